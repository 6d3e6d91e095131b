package market

import (
	"strconv"
	"testing"
)

// TestKeyBytes pins the bytes of the module's own keys (those not in
// api/market, which api/keybytes_test.go pins) for sample inputs: printed by
// the builders before they were rewritten with package keys.
func TestKeyBytes(t *testing.T) {

	for _, c := range []struct {
		name string
		key  []byte
		want string
	}{
		{"termsKey", termsKey("solar"), `"market/t/solar"`},
		{"countKey", countKey("solar", 1<<40+9), `"market/n/solar\x00\x00\x00\x01\x00\x00\x00\x00\t"`},
		{"netKey", netKey(BookPrefix, "solar"), `"market/b/solar\x00"`},
		{"unsettledKey", unsettledKey("solar", 1_700_000_000, 1<<40+9), `"market/u/solar\x00\x00\x00\x00\x00eS\xf1\x00\x00\x00\x01\x00\x00\x00\x00\t"`},
		{"unsettledKey before 1970", unsettledKey("solar", -5, 9), `"market/u/solar\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\t"`},
	} {
		if got := strconv.Quote(string(c.key)); got != c.want {
			t.Errorf("%s = %s, want %s", c.name, got, c.want)
		}
	}
}
