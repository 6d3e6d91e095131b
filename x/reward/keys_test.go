package reward

import (
	"strconv"
	"testing"
)

// TestKeyBytes pins the bytes of the module's own keys (those not in
// api/reward, which api/keybytes_test.go pins) for sample inputs: printed by
// the builders before they were rewritten with package keys.
func TestKeyBytes(t *testing.T) {

	for _, c := range []struct {
		name string
		key  []byte
		want string
	}{
		{"chunkKey input", chunkKey('i', "solar", 0x01020304), `"reward/c/solar\x00i\x01\x02\x03\x04"`},
		{"chunkKey result", chunkKey('r', "solar", 7), `"reward/c/solar\x00r\x00\x00\x00\a"`},
	} {
		if got := strconv.Quote(string(c.key)); got != c.want {
			t.Errorf("%s = %s, want %s", c.name, got, c.want)
		}
	}
}
