package main

import (
	"context"

	"github.com/depinhq/depin/api/event"
	"github.com/depinhq/depin/client"
	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
	sharev1 "github.com/depinhq/depin/gen/depin/share/v1"
)

// claims is what a committed tx paid out as claimed rewards, read from
// its typed events (api/event.FromABCI), amounts in each token's display
// unit as the chain registered it.
func (g *globals) claims(ctx context.Context, c *client.Client, res *client.TxResult) []claimView {
	var out []claimView
	for _, ev := range res.Events {
		if !event.Typed(ev.Type) {
			continue
		}
		m, err := event.FromABCI(ev)
		if err != nil {
			continue
		}
		var cv claimView
		switch e := m.(type) {
		case *rewardv1.EventRewardsClaimed:
			cv = claimView{To: e.Owner, Denom: e.Denom, Amount: e.Amount, Devices: e.Devices}
		case *sharev1.EventShareRewardsClaimed:
			cv = claimView{To: e.Holder, Device: e.Device, Denom: e.Denom, Amount: e.Amount}
		default:
			continue
		}
		md, _ := c.Denom(ctx, cv.Denom, client.QueryOptions{})
		cv.Display = formatIn(md, cv.Denom, cv.Amount)
		out = append(out, cv)
	}
	return out
}
