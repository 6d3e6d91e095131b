package agreement

import (
	"strconv"
	"testing"
)

// TestKeyBytes pins the bytes of the module's own keys (those not in
// api/agreement, which api/keybytes_test.go pins) for sample inputs: printed by
// the builders before they were rewritten with package keys.
func TestKeyBytes(t *testing.T) {

	for _, c := range []struct {
		name string
		key  []byte
		want string
	}{
		{"openPrefix", openPrefix("solar"), `"agreement/o/solar\x00"`},
		{"openKey", openKey("solar", 1<<40+0x2a), `"agreement/o/solar\x00\x00\x00\x01\x00\x00\x00\x00*"`},
		{"cursorKey", cursorKey("solar"), `"agreement/k/solar"`},
	} {
		if got := strconv.Quote(string(c.key)); got != c.want {
			t.Errorf("%s = %s, want %s", c.name, got, c.want)
		}
	}
}
