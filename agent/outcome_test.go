package agent

import (
	"context"
	"crypto/ed25519"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/depinhq/depin/crypto"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	"github.com/depinhq/depin/wire"
)

// outcomeLog collects what OnOutcome is handed.
type outcomeLog struct {
	mu  sync.Mutex
	got []Outcome
}

func (l *outcomeLog) add(o Outcome) {
	l.mu.Lock()
	l.got = append(l.got, o)
	l.mu.Unlock()
}

func (l *outcomeLog) all() []Outcome {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Outcome(nil), l.got...)
}

func signedReport(t *testing.T, seq uint64) []byte {
	t.Helper()
	seed := make([]byte, ed25519.SeedSize)
	key := ed25519.NewKeyFromSeed(seed)
	raw, err := wire.Sign(key, "depin-test-1", &reportv1.Report{Network: "solar", Seq: seq, PeriodStart: 100, PeriodEnd: 160,
		Metrics: []*reportv1.MetricValue{{Id: 1, Value: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestAwaited: each awaited report gets exactly one outcome — the
// gateway's, or an unknown one after the timeout — filled in with what
// the report says; WaitOutcomes returns once none is awaited.
func TestAwaited(t *testing.T) {
	var log outcomeLog
	a := newAwaited(log.add, time.Minute)
	t0 := time.Unix(1_700_000_000, 0)
	r1, r2, r3 := signedReport(t, 1), signedReport(t, 2), signedReport(t, 3)
	id1 := a.add(r1, t0)
	id2 := a.add(r2, t0.Add(10*time.Second))
	if id1 != ReportID(r1) || a.add(r1, t0.Add(time.Second)) != id1 {
		t.Fatal("a report's id is the hex SHA-256 of its bytes, and adding it twice awaits it once")
	}
	a.add(r3, t0.Add(50*time.Second))
	if got := a.ids(); len(got) != 3 || got[0] != id1 || got[1] != id2 {
		t.Fatalf("awaited %v", got)
	}
	a.settle(Outcome{ID: id2, Status: StatusPending})
	a.settle(Outcome{ID: id2, Seq: 2, Status: StatusRejected, Reason: "stale_seq"})
	a.expire(t0.Add(65 * time.Second)) // report 1 waited 65 s, report 3 15 s
	got := log.all()
	if len(got) != 2 || got[0].ID != id2 || got[0].Status != StatusRejected ||
		got[1].ID != id1 || got[1].Status != StatusUnknown || got[1].Seq != 1 || got[1].Network != "solar" ||
		!strings.Contains(got[1].Detail, "within 1m0s") || !strings.HasPrefix(got[1].Device, "depindev1") {
		t.Fatalf("outcomes %+v", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := a.wait(ctx); err == nil {
		t.Fatal("wait returned with report 3 awaited")
	}
	a.giveUp(ReportID(r3), "gone")
	a.giveUp(ReportID(r3), "gone twice")               // no second call
	a.settle(Outcome{ID: id1, Status: StatusAccepted}) // late: still handed over
	if err := a.wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := log.all(); len(got) != 4 || got[2].Detail != "gone" || got[3].Status != StatusAccepted {
		t.Fatalf("outcomes %+v", got)
	}
	if len(a.order) != 0 || len(a.reports) != 0 {
		t.Fatalf("left %d ids in order, %d reports", len(a.order), len(a.reports))
	}
	// An outcome that arrives before its report is awaited (a result
	// faster than the PUBACK) is handed over, and the report then awaits
	// nothing.
	r4 := signedReport(t, 4)
	a.settle(Outcome{ID: ReportID(r4), Status: StatusAccepted})
	a.add(r4, t0)
	if err := a.wait(context.Background()); err != nil || len(log.all()) != 5 {
		t.Fatalf("early outcome: %v, %d outcomes", err, len(log.all()))
	}
}

// TestAwaitedBound: beyond maxAwaited reports, the oldest is given up.
func TestAwaitedBound(t *testing.T) {
	var log outcomeLog
	a := newAwaited(log.add, time.Hour)
	seed := make([]byte, ed25519.SeedSize)
	key := ed25519.NewKeyFromSeed(seed)
	var first string
	for i := range maxAwaited + 1 {
		raw, _ := wire.Sign(key, "c", &reportv1.Report{Network: "n", Seq: uint64(i + 1), PeriodEnd: 1, Metrics: []*reportv1.MetricValue{{Id: 1}}})
		if id := a.add(raw, time.Unix(0, 0)); i == 0 {
			first = id
		}
	}
	if got := log.all(); len(got) != 1 || got[0].ID != first || got[0].Status != StatusUnknown || len(a.reports) != maxAwaited {
		t.Fatalf("%d outcomes (%v), %d awaited", len(got), got, len(a.reports))
	}
}

func TestOutcomeString(t *testing.T) {
	o := Outcome{ID: strings.Repeat("ab", 32), Seq: 7, Status: StatusRejected, Reason: "period_overlap",
		Detail: "starts at 100, the last accepted period ended at 160", Height: 42}
	want := "report 7 (abababababab…) rejected: period_overlap — starts at 100, the last accepted period ended at 160 (block 42)"
	if o.String() != want {
		t.Fatalf("%q\nwant %q", o.String(), want)
	}
	if got := ResultsTopic(crypto.DeviceString(crypto.DeviceID{})); !strings.HasPrefix(got, "depin/devices/depindev1") || !strings.HasSuffix(got, "/results") {
		t.Fatal(got)
	}
}
