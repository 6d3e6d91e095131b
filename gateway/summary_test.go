package gateway

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/depinhq/depin/clock"
)

// TestOperatorLog: at info level an operator sees a line per committed
// batch (height, tx, accepted, rejected with reasons) and, every
// SummaryInterval, a summary with rates over the interval.
func TestOperatorLog(t *testing.T) {
	simulated(t, func(t *testing.T, clk *clock.Manual) {
		var logs lockedBuffer
		cfg := simConfig(clk)
		cfg.SummaryInterval = 10 * time.Second
		g, err := New(cfg, newMemChain(clk), slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo})))
		if err != nil {
			t.Fatal(err)
		}
		g.http.close()
		g.http = nil
		runGateway(t, g)
		dev := newDevice("a", "solar")
		for range 5 {
			if err := g.ingest.ingest(SourceMQTT, dev.topic(), dev.report(t, testChainID)); err != nil {
				t.Fatal(err)
			}
		}
		g.ingest.ingest(SourceMQTT, dev.topic(), []byte("junk"))
		runUntil(t, clk, "the reports committed", time.Minute, func() bool { return g.Stats().Committed == 5 })
		advance(clk, 10*time.Second)
		out := logs.String()
		for _, want := range []string{
			`msg="batch committed" component=gateway height=1 tx=`,
			`reports=5 accepted=4 rejected=1 reasons=unknown_device:1 latency=25ms`,
			`msg=summary component=gateway interval=10s received=6 refused=1 committed=5 accepted=4 rejected=1 accepted_per_s=0.4 rejected_per_s=0.1 dropped=0 queued=0 height=1`,
		} {
			if !strings.Contains(out, want) {
				t.Errorf("the log lacks %q:\n%s", want, out)
			}
		}
	})
}
