package gateway

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/depinhq/depin/crypto"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	"github.com/depinhq/depin/x/report"
	"google.golang.org/protobuf/proto"
)

// testLogger logs at debug level with -v and DEPIN_TEST_LOG=1, else not.
func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("DEPIN_TEST_LOG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

func testKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("gateway test key " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

// device is a simulated device that signs reports.
type device struct {
	key     ed25519.PrivateKey
	id      crypto.DeviceID
	network string
	seq     uint64
}

func newDevice(name, network string) *device {
	k := testKey("device " + name)
	return &device{key: k, id: crypto.AddressFromPubKey(k.Public().(ed25519.PublicKey)), network: network}
}

func (d *device) topic() string { return ReportTopic(d.network, d.id) }

// report signs the device's next report for chainID.
func (d *device) report(t testing.TB, chainID string) []byte {
	t.Helper()
	d.seq++
	start := int64(1_700_000_000) + int64(d.seq)*60
	raw, err := report.Sign(d.key, chainID, &reportv1.Report{
		Network:     d.network,
		Seq:         d.seq,
		PeriodStart: start,
		PeriodEnd:   start + 60,
		Metrics:     []*reportv1.MetricValue{{Id: 1, Value: 100 + d.seq}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// reportBytes is the signed report_bytes of a SignedReport payload, the
// way memChain records committed reports.
func reportBytes(t testing.TB, payload []byte) string {
	t.Helper()
	var s reportv1.SignedReport
	if err := proto.Unmarshal(payload, &s); err != nil {
		t.Fatal(err)
	}
	return string(s.ReportBytes)
}

// testConfig is TestConfig with the test submitter key and chain id.
func testConfig() Config {
	c := TestConfig()
	c.SubmitterKey = testKey("submitter")
	c.ChainID = testChainID
	return c
}

// runGateway starts g.Run and stops it when the test ends; the returned
// function stops it earlier and returns Run's error.
func runGateway(t testing.TB, g *Gateway) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- g.Run(ctx) }()
	var err error
	stopped := false
	stop = func() error {
		if !stopped {
			stopped = true
			cancel()
			select {
			case err = <-errc:
			case <-time.After(20 * time.Second):
				err = fmt.Errorf("Run did not return 20 s after its context ended")
			}
		}
		return err
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	})
	return stop
}

func newGateway(t testing.TB, cfg Config, chain Chain) *Gateway {
	t.Helper()
	g, err := New(cfg, chain, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func protoUnmarshal(b []byte, m proto.Message) error { return proto.Unmarshal(b, m) }
