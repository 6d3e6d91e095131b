package crypto_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/internal/golden"
)

const signBytesGolden = "testdata/signbytes.golden"

// goldenKey is the fixed key of the golden vectors: its seed is
// SHA-256("depin/crypto/golden-key").
func goldenKey() ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("depin/crypto/golden-key"))
	return ed25519.NewKeyFromSeed(seed[:])
}

// goldenVectors are the named byte strings pinned by signbytes.golden. A
// change to any of them changes what every existing signature covers, so
// every key holder's old signatures stop verifying: that is a hard fork.
func goldenVectors() []struct {
	name string
	data []byte
} {
	priv := goldenKey()
	pub := priv.Public().(ed25519.PublicKey)
	addr := crypto.AddressFromPubKey(pub)
	payload := []byte("\x0a\x03abc\x12\x01\x00")
	return []struct {
		name string
		data []byte
	}{
		{"signbytes/tx", crypto.SignBytes(crypto.DomainTx, "depin-1", payload)},
		{"signbytes/empty-chain-id", crypto.SignBytes(crypto.DomainTx, "", payload)},
		{"signbytes/empty-payload", crypto.SignBytes(crypto.DomainTx, "depin-golden", nil)},
		// 200 bytes: the length prefix takes two uvarint bytes.
		{"signbytes/long-chain-id", crypto.SignBytes(crypto.DomainTx, strings.Repeat("c", 200), payload)},
		{"signbytes/other-domain", crypto.SignBytes("depin/test/v1", "depin-1", payload)},
		{"ed25519/public-key", pub},
		{"ed25519/address", addr.Bytes()},
		{"ed25519/signature", crypto.Sign(priv, crypto.DomainTx, "depin-golden", payload)},
	}
}

func renderGolden() []byte {
	var b bytes.Buffer
	b.WriteString("# name hex — regenerate with: go test ./crypto -run Golden -update\n")
	for _, v := range goldenVectors() {
		fmt.Fprintf(&b, "%s %s\n", v.name, hex.EncodeToString(v.data))
	}
	return b.Bytes()
}

func TestSignBytesGolden(t *testing.T) {
	got := renderGolden()
	if golden.Update() {
		if err := os.MkdirAll(filepath.Dir(signBytesGolden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(signBytesGolden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(signBytesGolden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	wantLines := map[string]string{}
	for _, line := range strings.Split(string(want), "\n") {
		if name, hx, ok := strings.Cut(line, " "); ok && !strings.HasPrefix(line, "#") {
			wantLines[name] = hx
		}
	}
	for _, v := range goldenVectors() {
		if g, w := hex.EncodeToString(v.data), wantLines[v.name]; g != w {
			t.Errorf("%s:\n got  %s\n want %s", v.name, g, w)
		}
	}
	t.Errorf("%s is out of date: a changed sign-bytes format or key derivation invalidates every existing signature; if that is intended, run with -update", signBytesGolden)
}

func TestGoldenSignatureVerifiesOnlyWhereSigned(t *testing.T) {
	priv := goldenKey()
	pub := priv.Public().(ed25519.PublicKey)
	payload := []byte("payload")
	sig := crypto.Sign(priv, crypto.DomainTx, "depin-golden", payload)
	if err := crypto.Verify(pub, crypto.DomainTx, "depin-golden", payload, sig); err != nil {
		t.Fatalf("own signature: %v", err)
	}
	cases := []struct {
		name, domain, chainID string
		payload               []byte
	}{
		{"other chain", crypto.DomainTx, "depin-other", payload},
		{"other domain", "depin/test/v1", "depin-golden", payload},
		{"other payload", crypto.DomainTx, "depin-golden", []byte("payloaD")},
		// The chain id is length-prefixed, so moving bytes between it and
		// the payload changes the sign bytes.
		{"shifted boundary", crypto.DomainTx, "depin-goldenp", []byte("ayload")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := crypto.Verify(pub, tc.domain, tc.chainID, tc.payload, sig); err == nil {
				t.Fatal("signature verified outside the context it was made for")
			}
		})
	}
}

func TestSignBytesIsUnambiguous(t *testing.T) {
	pairs := [][2][]byte{
		{crypto.SignBytes(crypto.DomainTx, "ab", []byte("c")), crypto.SignBytes(crypto.DomainTx, "a", []byte("bc"))},
		{crypto.SignBytes(crypto.DomainTx, "", []byte("\x01a")), crypto.SignBytes(crypto.DomainTx, "a", nil)},
		{crypto.SignBytes("depin/a", "", []byte("b")), crypto.SignBytes("depin/ab", "", nil)},
	}
	for i, p := range pairs {
		if bytes.Equal(p[0], p[1]) {
			t.Errorf("pair %d: different inputs, same sign bytes %x", i, p[0])
		}
	}
}

func TestVerifyRejectsMalformedKeysAndSignatures(t *testing.T) {
	priv := goldenKey()
	pub := priv.Public().(ed25519.PublicKey)
	sig := crypto.Sign(priv, crypto.DomainTx, "c", nil)
	cases := []struct {
		name string
		pub  []byte
		sig  []byte
	}{
		{"short key", pub[:31], sig},
		{"long key", append(bytes.Clone(pub), 0), sig},
		{"nil key", nil, sig},
		{"short signature", pub, sig[:63]},
		{"long signature", pub, append(bytes.Clone(sig), 0)},
		{"nil signature", pub, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := crypto.Verify(tc.pub, crypto.DomainTx, "c", nil, tc.sig); err == nil {
				t.Fatal("verified")
			}
		})
	}
	if _, err := crypto.CheckPubKey(pub[:31]); err == nil {
		t.Error("CheckPubKey accepted a 31-byte key")
	}
}
