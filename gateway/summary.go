package gateway

import (
	"context"
	"math"
	"time"
)

// summarize logs a summary line every Config.SummaryInterval until ctx
// ends, so that an operator sees the gateway working (or not) without a
// metrics stack: what came in, what the chain accepted and rejected, and
// the rates over the interval.
func (g *Gateway) summarize(ctx context.Context) error {
	every := g.cfg.SummaryInterval
	if every <= 0 {
		return nil
	}
	clk := g.sub.clock
	// The first interval counts from zero: nothing is served before Run.
	prev, since := Stats{}, clk.Now()
	for {
		t := clk.NewTimer(every)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C():
		}
		now, st := clk.Now(), g.Stats()
		g.log.Info("summary", summaryAttrs(prev, st, now.Sub(since))...)
		prev, since = st, now
	}
}

// summaryAttrs describes what happened between two Stats taken d apart.
func summaryAttrs(prev, st Stats, d time.Duration) []any {
	received := st.ReceivedMQTT + st.ReceivedHTTP - prev.ReceivedMQTT - prev.ReceivedHTTP
	refused := sum(st.Invalid) + sum(st.Refused) - sum(prev.Invalid) - sum(prev.Refused)
	accepted := st.ChainAccepted - prev.ChainAccepted
	rejected := sum(st.ChainRejected) - sum(prev.ChainRejected)
	perSecond := func(n uint64) float64 {
		if d <= 0 {
			return 0
		}
		return math.Round(float64(n)/d.Seconds()*100) / 100 // two decimals
	}
	return []any{
		"interval", d.Round(time.Second),
		"received", received,
		"refused", refused,
		"committed", st.Committed - prev.Committed,
		"accepted", accepted,
		"rejected", rejected,
		"accepted_per_s", perSecond(accepted),
		"rejected_per_s", perSecond(rejected),
		"dropped", st.Dropped - prev.Dropped,
		"queued", st.Queued,
		"height", st.LastHeight,
	}
}

func sum(m map[string]uint64) uint64 {
	var n uint64
	for _, v := range m {
		n += v
	}
	return n
}
