package state

import (
	"testing"

	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
)

// TestToABCI: the format is event.ToABCI's (tested there); state adds the
// index flags of CometBFT's tx index.
func TestToABCI(t *testing.T) {
	indexed := func(ev Event) map[string]bool {
		out := map[string]bool{}
		for _, a := range ToABCI(ev).Attributes {
			out[a.Key] = a.Index
		}
		return out
	}
	for _, tc := range []struct {
		name string
		ev   Event
		want map[string]bool
	}{
		{"accounts are indexed, amounts and reasons not", &bankv1.EventTransfer{From: "depin1a", To: "depin1b",
			Amount: []*bankv1.Coin{{Denom: "udpin", Amount: 1}}, Reason: "fee"},
			map[string]bool{"from": true, "to": true, "amount": false, "reason": false}},
		{"a message field named like an indexed key is not", &networkv1.EventNetworkCreated{Id: "solar", Owner: "depin1a",
			Network: &networkv1.Network{Id: "solar"}},
			map[string]bool{"id": false, "owner": true, "network": false}},
		{"rejected reports are not indexed at all", &reportv1.EventReportRejected{Device: "depindev1x", Network: "solar", Seq: 3},
			map[string]bool{"device": false, "network": false, "seq": false}},
	} {
		got := indexed(tc.ev)
		if len(got) != len(tc.want) {
			t.Errorf("%s: attributes %v, want %v", tc.name, got, tc.want)
		}
		for k, w := range tc.want {
			if got[k] != w {
				t.Errorf("%s: %s indexed %v, want %v", tc.name, k, got[k], w)
			}
		}
	}
	back, err := FromABCI(ToABCI(&bankv1.EventMint{To: "x"}))
	if err != nil || back.(*bankv1.EventMint).To != "x" {
		t.Fatalf("FromABCI: %v %v", back, err)
	}
}
