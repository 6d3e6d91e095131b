package event

import (
	"encoding/json"
	"testing"

	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
)

func TestToABCI(t *testing.T) {
	ev := ToABCI(&bankv1.EventTransfer{
		From: "depin1a", To: "depin1\"b\"",
		Amount: []*bankv1.Coin{{Denom: "udpin", Amount: 18446744073709551615}, {Denom: "x"}},
		Reason: "fee",
	})
	if ev.Type != "depin.bank.v1.EventTransfer" {
		t.Fatalf("type %q", ev.Type)
	}
	want := []struct{ key, value string }{
		{"from", "depin1a"},
		{"to", `depin1"b"`},
		{"amount", `[{"denom":"udpin","amount":"18446744073709551615"},{"denom":"x"}]`},
		{"reason", "fee"},
	}
	if len(ev.Attributes) != len(want) {
		t.Fatalf("attributes %v", ev.Attributes)
	}
	for i, w := range want {
		a := ev.Attributes[i]
		if a.Key != w.key || a.Value != w.value || a.Index {
			t.Errorf("attribute %d = %+v, want %+v, not indexed", i, a, w)
		}
	}
	// Composite values are valid JSON that protojson-style decoders read.
	var coins []map[string]string
	if err := json.Unmarshal([]byte(ev.Attributes[2].Value), &coins); err != nil || coins[0]["amount"] != "18446744073709551615" {
		t.Fatalf("amount JSON: %v %v", coins, err)
	}
	// Unset fields are left out.
	if got := ToABCI(&bankv1.EventMint{To: "x"}); len(got.Attributes) != 1 {
		t.Fatalf("unset fields emitted: %v", got.Attributes)
	}
}
