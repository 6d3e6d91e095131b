package keystore_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/keystore"
)

// FuzzParseFile checks that ParseFile, which reads files that may come from
// anywhere (an export received from someone), never panics and only
// accepts files whose public parts are consistent. It does not decrypt:
// scrypt with attacker-chosen costs is too slow to fuzz.
func FuzzParseFile(f *testing.F) {
	s := keystore.Open(filepath.Join(f.TempDir(), "keys")).WithScrypt(cheap)
	if _, err := s.ImportSeed("enc", fixedSeed("keystore/fuzz/enc"), []byte("p")); err != nil {
		f.Fatal(err)
	}
	if _, err := s.ImportSeed("plain", fixedSeed("keystore/fuzz/plain"), nil); err != nil {
		f.Fatal(err)
	}
	for _, name := range []string{"enc", "plain"} {
		data, err := os.ReadFile(filepath.Join(s.Dir(), name+".json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add(data[:len(data)/2])
		f.Add(bytes.Replace(data, []byte(`"version": 1`), []byte(`"version": 1.5`), 1))
	}
	exported, err := s.Export("plain", nil, []byte("x"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(exported)
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"version":1,"public_key":"","encrypted":true,"kdf":null}`))

	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := keystore.ParseFile(data)
		if err != nil {
			if !errors.Is(err, keystore.ErrInvalidFile) {
				t.Fatalf("error %v is not ErrInvalidFile", err)
			}
			return
		}
		if file.Version != keystore.FileVersion {
			t.Fatalf("accepted version %d", file.Version)
		}
		pub, err := hex.DecodeString(file.PublicKey)
		if err != nil || len(pub) != ed25519.PublicKeySize {
			t.Fatalf("accepted public key %q", file.PublicKey)
		}
		if got := crypto.AddressFromPubKey(pub).String(); got != file.Address {
			t.Fatalf("accepted address %q for public key %x (its address is %s)", file.Address, pub, got)
		}
		if file.Encrypted == (file.Seed != "") {
			t.Fatalf("accepted encrypted=%v with seed %q", file.Encrypted, file.Seed)
		}
		if file.Encrypted && (file.KDF == nil || file.Cipher != "xchacha20-poly1305") {
			t.Fatalf("accepted an encrypted file with kdf %v, cipher %q", file.KDF, file.Cipher)
		}
	})
}
