package share

import (
	"strconv"
	"testing"

	"github.com/depinhq/depin/crypto"
)

// TestKeyBytes pins the bytes of the module's own keys (those not in
// api/share, which api/keybytes_test.go pins) for sample inputs: printed by
// the builders before they were rewritten with package keys.
func TestKeyBytes(t *testing.T) {
	var dev crypto.DeviceID
	for i := range dev {
		dev[i] = byte(i + 1)
	}
	for _, c := range []struct {
		name string
		key  []byte
		want string
	}{
		{"activeLeasesOf", activeLeasesOf("solar"), `"share/la/solar\x00"`},
		{"activeLeaseKey", activeLeaseKey("solar", dev), `"share/la/solar\x00\x01\x02\x03\x04\x05\x06\a\b\t\n\v\f\r\x0e\x0f\x10\x11\x12\x13\x14"`},
	} {
		if got := strconv.Quote(string(c.key)); got != c.want {
			t.Errorf("%s = %s, want %s", c.name, got, c.want)
		}
	}
}
