package staking

import (
	"strconv"
	"testing"
)

// TestKeyBytes pins the bytes of the module's own keys (those not in
// api/staking, which api/keybytes_test.go pins) for sample inputs: printed by
// the builders before they were rewritten with package keys.
func TestKeyBytes(t *testing.T) {

	for _, c := range []struct {
		name string
		key  []byte
		want string
	}{
		{"unbondKey", unbondKey(1_700_000_000, 0x0102), `"staking/u/\x00\x00\x00\x00eS\xf1\x00\x00\x00\x00\x00\x00\x00\x01\x02"`},
		{"unbondsAfter", unbondsAfter(1_700_000_000), `"staking/u/\x00\x00\x00\x00eS\xf1\x01"`},
	} {
		if got := strconv.Quote(string(c.key)); got != c.want {
			t.Errorf("%s = %s, want %s", c.name, got, c.want)
		}
	}
}
