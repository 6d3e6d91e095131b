package crypto_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"

	"github.com/depinhq/depin/crypto"
)

func TestAddressRoundTrip(t *testing.T) {
	pub := goldenKey().Public().(ed25519.PublicKey)
	addr := crypto.AddressFromPubKey(pub)
	sum := sha256.Sum256(pub)
	if !bytes.Equal(addr[:], sum[:crypto.AddressLen]) {
		t.Fatalf("address %x is not the first 20 bytes of SHA-256(pubkey) %x", addr, sum)
	}
	s := addr.String()
	if !strings.HasPrefix(s, crypto.AccountPrefix+"1") {
		t.Fatalf("%s does not start with %s1", s, crypto.AccountPrefix)
	}
	for _, in := range []string{s, strings.ToUpper(s)} {
		got, err := crypto.ParseAddress(in)
		if err != nil {
			t.Fatalf("ParseAddress(%s): %v", in, err)
		}
		if got != addr {
			t.Fatalf("ParseAddress(%s) = %x, want %x", in, got, addr)
		}
	}
	raw, err := crypto.DecodeBech32(crypto.DevicePrefix, crypto.EncodeBech32(crypto.DevicePrefix, addr[:]))
	if err != nil || !bytes.Equal(raw, addr[:]) {
		t.Fatalf("device prefix round trip: %x, %v", raw, err)
	}
	if _, err := crypto.AddressFromBytes(addr.Bytes()); err != nil {
		t.Fatal(err)
	}
}

func TestParseAddressRejects(t *testing.T) {
	addr := crypto.AddressFromPubKey(goldenKey().Public().(ed25519.PublicKey))
	good := addr.String()
	cases := []struct {
		name string
		in   string
	}{
		{"empty", ""},
		{"device prefix", crypto.EncodeBech32(crypto.DevicePrefix, addr[:])},
		{"other prefix", crypto.EncodeBech32("cosmos", addr[:])},
		{"bad checksum", good[:len(good)-1] + string(other(good[len(good)-1]))},
		{"changed data", good[:10] + string(other(good[10])) + good[11:]},
		{"19 bytes", crypto.EncodeBech32(crypto.AccountPrefix, addr[:19])},
		{"21 bytes", crypto.EncodeBech32(crypto.AccountPrefix, append(addr.Bytes(), 0))},
		{"32 bytes", crypto.EncodeBech32(crypto.AccountPrefix, make([]byte, 32))},
		{"no data", crypto.EncodeBech32(crypto.AccountPrefix, nil)},
		{"mixed case", strings.ToUpper(good[:8]) + good[8:]},
		{"hex", "0x" + strings.Repeat("ab", 20)},
		{"too long", crypto.EncodeBech32(crypto.AccountPrefix, make([]byte, 80))},
		{"space", " " + good},
		{"no separator", strings.ReplaceAll(good, "1", "")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := crypto.ParseAddress(tc.in)
			if !errors.Is(err, crypto.ErrInvalidAddress) {
				t.Fatalf("ParseAddress(%q) = %v, want ErrInvalidAddress", tc.in, err)
			}
		})
	}
}

// other returns a bech32 character different from c.
func other(c byte) byte {
	if c == 'q' {
		return 'p'
	}
	return 'q'
}

func FuzzParseAddress(f *testing.F) {
	addr := crypto.AddressFromPubKey(goldenKey().Public().(ed25519.PublicKey))
	f.Add(addr.String())
	f.Add(strings.ToUpper(addr.String()))
	f.Add(crypto.Address{}.String())
	f.Add(crypto.ModuleAddress("fee_collector").String())
	f.Add(crypto.EncodeBech32(crypto.DevicePrefix, addr[:]))
	f.Add(crypto.EncodeBech32(crypto.AccountPrefix, addr[:19]))
	f.Add(addr.String()[:20])
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := crypto.ParseAddress(s)
		if err != nil {
			if !errors.Is(err, crypto.ErrInvalidAddress) {
				t.Fatalf("ParseAddress(%q): error %v is not ErrInvalidAddress", s, err)
			}
			return
		}
		// Bech32 input is case-insensitive; the canonical form is lowercase.
		if got := a.String(); got != strings.ToLower(s) {
			t.Fatalf("ParseAddress(%q) = %s: does not re-encode to its input", s, got)
		}
	})
}

func FuzzDecodeBech32(f *testing.F) {
	addr := crypto.AddressFromPubKey(goldenKey().Public().(ed25519.PublicKey))
	f.Add(crypto.AccountPrefix, addr.String())
	f.Add(crypto.DevicePrefix, crypto.EncodeBech32(crypto.DevicePrefix, addr[:]))
	f.Add(crypto.AccountPrefix, crypto.EncodeBech32(crypto.AccountPrefix, nil))
	f.Add(crypto.AccountPrefix, crypto.EncodeBech32(crypto.AccountPrefix, []byte{1, 2, 3}))
	f.Add("a1b", crypto.EncodeBech32("a1b", []byte("data")))
	f.Add(crypto.DevicePrefix, addr.String())
	f.Fuzz(func(t *testing.T, hrp, s string) {
		raw, err := crypto.DecodeBech32(hrp, s)
		if err != nil {
			if !errors.Is(err, crypto.ErrInvalidAddress) {
				t.Fatalf("DecodeBech32(%q, %q): error %v is not ErrInvalidAddress", hrp, s, err)
			}
			return
		}
		if got := crypto.EncodeBech32(hrp, raw); got != strings.ToLower(s) {
			t.Fatalf("DecodeBech32(%q, %q) = %x, re-encodes to %s", hrp, s, raw, got)
		}
	})
}
