package gateway

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/clock"
	"github.com/depinhq/depin/crypto"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	"github.com/depinhq/depin/wire"
)

// ingestOnly is a gateway that is not running: its queue fills and is
// never drained, so tests see exactly what ingest queued.
func ingestOnly(t *testing.T, cfg Config) *Gateway {
	t.Helper()
	cfg.MQTTListen, cfg.HTTPListen = "", "127.0.0.1:0"
	return newGateway(t, cfg, newMemChain(clock.System{}))
}

func TestIngestRules(t *testing.T) {
	dev := newDevice("a", "solar")
	other := newDevice("b", "solar")
	valid := dev.report(t, testChainID)
	wrongChain := dev.report(t, "another-chain")
	tampered := func() []byte {
		var s reportv1.SignedReport
		if err := proto.Unmarshal(dev.report(t, testChainID), &s); err != nil {
			t.Fatal(err)
		}
		s.Signature[0] ^= 1
		raw, _ := proto.Marshal(&s)
		return raw
	}()
	unknownField := append(append([]byte(nil), dev.report(t, testChainID)...), 0x18, 0x01) // field 3 = 1
	big := make([]byte, wire.MaxSignedReportBytes+1)

	cases := []struct {
		name    string
		source  string
		topic   string
		payload []byte
		want    error // nil: queued
		reason  string
	}{
		{"valid over mqtt", SourceMQTT, dev.topic(), valid, nil, ""},
		{"valid over http", SourceHTTP, "", dev.report(t, testChainID), nil, ""},
		{"empty", SourceHTTP, "", nil, ErrMalformed, ReasonDecode},
		{"garbage", SourceMQTT, dev.topic(), []byte("hello, chain"), ErrMalformed, ReasonDecode},
		{"too large", SourceHTTP, "", big, ErrTooLarge, ReasonTooLarge},
		{"too large over mqtt", SourceMQTT, dev.topic(), big, ErrTooLarge, ReasonTooLarge},
		{"unknown field", SourceHTTP, "", unknownField, ErrMalformed, ReasonDecode},
		{"not a report topic", SourceMQTT, "devices/x/telemetry", dev.report(t, testChainID), ErrTopicMismatch, ReasonTopic},
		{"junk on a results topic", SourceMQTT, ResultsTopic(dev.id), []byte(`{"status":"accepted"}`), ErrTopicMismatch, ReasonTopic},
		{"topic with extra segment", SourceMQTT, "depin/v1/solar/x/" + crypto.DeviceString(dev.id) + "/report", dev.report(t, testChainID), ErrTopicMismatch, ReasonTopic},
		{"topic of another network", SourceMQTT, ReportTopic("wind", dev.id), dev.report(t, testChainID), ErrTopicMismatch, ReasonTopic},
		{"topic of another device", SourceMQTT, other.topic(), dev.report(t, testChainID), ErrTopicMismatch, ReasonTopic},
		{"signed for another chain", SourceHTTP, "", wrongChain, ErrBadSignature, ReasonSignature},
		{"tampered signature", SourceMQTT, dev.topic(), tampered, ErrBadSignature, ReasonSignature},
		{"duplicate over mqtt", SourceMQTT, dev.topic(), valid, ErrDuplicate, ReasonDuplicate},
		{"duplicate over http", SourceHTTP, "", valid, ErrDuplicate, ReasonDuplicate},
	}
	g := ingestOnly(t, testConfig())
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := g.Stats()
			err := g.ingest.ingest(tc.source, tc.topic, tc.payload)
			after := g.Stats()
			if tc.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if after.Queued != before.Queued+1 {
					t.Fatalf("queued %d → %d, want one more", before.Queued, after.Queued)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if after.Queued != before.Queued {
				t.Fatalf("queued %d → %d: an invalid report was queued", before.Queued, after.Queued)
			}
			if got := after.Invalid[tc.reason] - before.Invalid[tc.reason]; got != 1 {
				t.Fatalf("invalid[%s] grew by %d, want 1 (all: %v)", tc.reason, got, after.Invalid)
			}
		})
	}
	st := g.Stats()
	if st.ReceivedMQTT+st.ReceivedHTTP != uint64(len(cases)) {
		t.Errorf("received %d+%d, want %d", st.ReceivedMQTT, st.ReceivedHTTP, len(cases))
	}
}

func TestIngestQueueFull(t *testing.T) {
	cfg := testConfig()
	cfg.QueueLimit, cfg.MaxBatchReports = 2, 2
	g := ingestOnly(t, cfg)
	dev := newDevice("a", "solar")
	for range 2 {
		if err := g.ingest.ingest(SourceHTTP, "", dev.report(t, testChainID)); err != nil {
			t.Fatal(err)
		}
	}
	third := dev.report(t, testChainID)
	if err := g.ingest.ingest(SourceHTTP, "", third); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("err = %v, want ErrQueueFull", err)
	}
	if st := g.Stats(); st.Refused[ReasonQueueFull] != 1 || st.Invalid[ReasonQueueFull] != 0 {
		t.Fatalf("refused %v, invalid %v", st.Refused, st.Invalid)
	}
	// Room again: the refused report is not taken for a duplicate.
	g.queue.pop(1, 1<<20)
	if err := g.ingest.ingest(SourceHTTP, "", third); err != nil {
		t.Fatalf("retry after a full queue: %v", err)
	}
}

func TestParseTopic(t *testing.T) {
	for _, tc := range []struct {
		topic, network, device string
		ok                     bool
	}{
		{"depin/v1/solar/depindev1xyz/report", "solar", "depindev1xyz", true},
		{"depin/v1/solar/depindev1xyz/report/", "", "", false},
		{"depin/v2/solar/depindev1xyz/report", "", "", false},
		{"depin/v1//depindev1xyz/report", "", "", false},
		{"depin/v1/solar//report", "", "", false},
		{"depin/v1/solar/a/b/report", "", "", false},
		{"depin/v1/report", "", "", false},
		{"", "", "", false},
	} {
		n, d, ok := parseTopic(tc.topic)
		if n != tc.network || d != tc.device || ok != tc.ok {
			t.Errorf("parseTopic(%q) = %q, %q, %v; want %q, %q, %v", tc.topic, n, d, ok, tc.network, tc.device, tc.ok)
		}
	}
}

// TestVerifierConcurrent checks batched verification under contention:
// every caller gets its own report's verdict, whoever verified it.
func TestVerifierConcurrent(t *testing.T) {
	var v verifier
	const n = 400
	decoded := make([]*wire.Decoded, n)
	for i := range decoded {
		dev := newDevice(fmt.Sprint(i%7), "solar")
		chain := testChainID
		if i%5 == 0 {
			chain = "another-chain" // invalid for testChainID
		}
		d, err := wire.Decode(dev.report(t, chain))
		if err != nil {
			t.Fatal(err)
		}
		decoded[i] = d
	}
	var wg sync.WaitGroup
	for i, d := range decoded {
		wg.Go(func() {
			if got, want := v.verify(d, testChainID), i%5 != 0; got != want {
				t.Errorf("report %d: verify = %v, want %v", i, got, want)
			}
		})
	}
	wg.Wait()
	if v.busy || len(v.pending) != 0 {
		t.Fatalf("verifier left busy=%v pending=%d", v.busy, len(v.pending))
	}
}

func TestRecentSetForgetsOldest(t *testing.T) {
	r := newRecentSet(3)
	h := func(i byte) [32]byte { return [32]byte{i} }
	for i := range byte(3) {
		if !r.add(h(i)) {
			t.Fatalf("add %d: already there", i)
		}
	}
	if r.add(h(1)) {
		t.Fatal("add of a present hash succeeded")
	}
	r.add(h(3)) // evicts 0
	if r.has(h(0)) || !r.has(h(1)) || !r.has(h(3)) {
		t.Fatalf("after eviction: has(0)=%v has(1)=%v has(3)=%v", r.has(h(0)), r.has(h(1)), r.has(h(3)))
	}
	r.remove(h(3))
	if r.has(h(3)) {
		t.Fatal("removed hash still there")
	}
	off := newRecentSet(0)
	//lint:ignore SA4000 adding the same hash twice is the point: both must succeed
	if !off.add(h(1)) || !off.add(h(1)) || off.has(h(1)) {
		t.Fatal("a zero-size set must remember nothing")
	}
}
