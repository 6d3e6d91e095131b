package keystore_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/keystore"
)

// cheap keeps scrypt at ~1 ms per derivation; production costs are in
// keystore.DefaultScrypt.
var cheap = keystore.ScryptParams{N: 1 << 10, R: 8, P: 1}

func newStore(t *testing.T) *keystore.Store {
	t.Helper()
	return keystore.Open(filepath.Join(t.TempDir(), "keys")).WithScrypt(cheap)
}

func fixedSeed(name string) []byte {
	s := sha256.Sum256([]byte(name))
	return s[:]
}

func keyFile(s *keystore.Store, name string) string {
	return filepath.Join(s.Dir(), name+".json")
}

func TestAddLoadRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name       string
		passphrase []byte
	}{
		{"encrypted", []byte("correct horse battery staple")},
		{"unencrypted", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			added, err := s.Add("k1", tc.passphrase)
			if err != nil {
				t.Fatal(err)
			}
			if added.Encrypted != (tc.passphrase != nil) {
				t.Errorf("Encrypted = %v", added.Encrypted)
			}
			if added.Address != crypto.AddressFromPubKey(added.PublicKey) {
				t.Errorf("address %s does not match the public key", added.Address)
			}
			need, err := s.NeedsPassphrase("k1")
			if err != nil || need != added.Encrypted {
				t.Errorf("NeedsPassphrase = %v, %v", need, err)
			}
			loaded, err := s.Load("k1", tc.passphrase)
			if err != nil {
				t.Fatal(err)
			}
			if !loaded.Private.Equal(added.Private) || loaded.Address != added.Address || loaded.Name != "k1" {
				t.Fatalf("loaded %s %s, added %s", loaded.Name, loaded.Address, added.Address)
			}
			// The key signs what its public key verifies.
			sig := crypto.Sign(loaded.Private, crypto.DomainTx, "c", []byte("m"))
			if err := crypto.Verify(ed25519.PublicKey(loaded.PublicKey), crypto.DomainTx, "c", []byte("m"), sig); err != nil {
				t.Fatal(err)
			}
			info, err := s.Show("k1")
			if err != nil || info.Address != added.Address || info.Encrypted != added.Encrypted {
				t.Fatalf("Show = %+v, %v", info, err)
			}
		})
	}
}

func TestLoadWithWrongPassphrase(t *testing.T) {
	s := newStore(t)
	if _, err := s.Add("k", []byte("right")); err != nil {
		t.Fatal(err)
	}
	for _, p := range [][]byte{[]byte("wrong"), []byte("Right"), nil} {
		if _, err := s.Load("k", p); !errors.Is(err, keystore.ErrBadPassphrase) {
			t.Errorf("Load(%q) = %v, want ErrBadPassphrase", p, err)
		}
	}
}

func TestAddRejects(t *testing.T) {
	s := newStore(t)
	if _, err := s.Add("taken", nil); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		key  string
		want error
	}{
		{"duplicate", "taken", keystore.ErrExists},
		{"empty", "", keystore.ErrInvalidName},
		{"parent dir", "../x", keystore.ErrInvalidName},
		{"path", "a/b", keystore.ErrInvalidName},
		{"backslash", `a\b`, keystore.ErrInvalidName},
		{"dot", ".", keystore.ErrInvalidName},
		{"dot dot", "..", keystore.ErrInvalidName},
		{"space", "a b", keystore.ErrInvalidName},
		{"nul", "a\x00", keystore.ErrInvalidName},
		{"65 chars", string(bytes.Repeat([]byte("a"), 65)), keystore.ErrInvalidName},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.Add(tc.key, []byte("p")); !errors.Is(err, tc.want) {
				t.Fatalf("Add(%q) = %v, want %v", tc.key, err, tc.want)
			}
			if _, err := s.Load(tc.key, nil); tc.want == keystore.ErrInvalidName && !errors.Is(err, keystore.ErrInvalidName) {
				t.Fatalf("Load(%q) = %v, want ErrInvalidName", tc.key, err)
			}
		})
	}
	// Nothing escaped the store's directory.
	entries, err := os.ReadDir(filepath.Dir(s.Dir()))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "keys" {
		t.Fatalf("files outside the store: %v", entries)
	}
	if _, err := s.Load("missing", nil); !errors.Is(err, keystore.ErrNotFound) {
		t.Fatalf("Load(missing) = %v, want ErrNotFound", err)
	}
}

func TestKeyFilesArePrivate(t *testing.T) {
	s := newStore(t)
	seed := fixedSeed("keystore/test/private")
	for _, tc := range []struct {
		name       string
		passphrase []byte
	}{{"enc", []byte("p")}, {"plain", nil}} {
		if _, err := s.ImportSeed(tc.name, seed, tc.passphrase); err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(keyFile(s, tc.name))
		if err != nil {
			t.Fatal(err)
		}
		if perm := st.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s: mode %o, want 600", tc.name, perm)
		}
	}
	st, err := os.Stat(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		t.Errorf("store directory mode %o is readable by others", perm)
	}
}

func TestEncryptedFileHidesTheSeed(t *testing.T) {
	s := newStore(t)
	seed := fixedSeed("keystore/test/hidden")
	k, err := s.ImportSeed("k", seed, []byte("p"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(keyFile(s, "k"))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range [][]byte{seed, k.Private} {
		for _, form := range [][]byte{secret, []byte(hex.EncodeToString(secret))} {
			if bytes.Contains(bytes.ToLower(data), form) {
				t.Fatalf("key file contains the secret %x:\n%s", secret, data)
			}
		}
	}
	// The unencrypted form does contain it: it is what the warning is for.
	if _, err := s.ImportSeed("plain", seed, nil); err != nil {
		t.Fatal(err)
	}
	plain, err := os.ReadFile(keyFile(s, "plain"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(plain, []byte(hex.EncodeToString(seed))) || !bytes.Contains(plain, []byte("UNENCRYPTED")) {
		t.Fatalf("unencrypted key file:\n%s", plain)
	}
}

func TestExportImport(t *testing.T) {
	for _, tc := range []struct {
		name       string
		passphrase []byte
	}{{"from encrypted", []byte("old")}, {"from unencrypted", nil}} {
		t.Run(tc.name, func(t *testing.T) {
			src, dst := newStore(t), newStore(t)
			k, err := src.Add("orig", tc.passphrase)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := src.Export("orig", tc.passphrase, nil); err == nil {
				t.Fatal("exported without an export passphrase")
			}
			if tc.passphrase != nil {
				if _, err := src.Export("orig", []byte("wrong"), []byte("new")); !errors.Is(err, keystore.ErrBadPassphrase) {
					t.Fatalf("export with wrong passphrase: %v", err)
				}
			}
			exported, err := src.Export("orig", tc.passphrase, []byte("export"))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(exported, []byte(hex.EncodeToString(k.Private.Seed()))) {
				t.Fatal("export contains the seed")
			}
			if _, err := dst.ImportFile("copy", exported, []byte("wrong")); !errors.Is(err, keystore.ErrBadPassphrase) {
				t.Fatalf("import with wrong passphrase: %v", err)
			}
			if _, err := dst.Show("copy"); !errors.Is(err, keystore.ErrNotFound) {
				t.Fatalf("a failed import wrote a file: %v", err)
			}
			imported, err := dst.ImportFile("copy", exported, []byte("export"))
			if err != nil {
				t.Fatal(err)
			}
			if imported.Address != k.Address || imported.Name != "copy" {
				t.Fatalf("imported %s %s, want copy %s", imported.Name, imported.Address, k.Address)
			}
			loaded, err := dst.Load("copy", []byte("export"))
			if err != nil {
				t.Fatal(err)
			}
			if !loaded.Private.Equal(k.Private) {
				t.Fatal("imported key differs")
			}
			if _, err := dst.ImportFile("copy", exported, []byte("export")); !errors.Is(err, keystore.ErrExists) {
				t.Fatalf("second import under the same name: %v", err)
			}
		})
	}
}

// editFile rewrites one JSON field of a stored key file.
func editFile(t *testing.T, path string, edit func(*keystore.File)) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f keystore.File
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	edit(&f)
	out, err := json.Marshal(&f)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestTamperedFilesDoNotLoad(t *testing.T) {
	other := ed25519.NewKeyFromSeed(fixedSeed("keystore/test/other")).Public().(ed25519.PublicKey)
	otherAddr := crypto.AddressFromPubKey(other).String()
	cases := []struct {
		name string
		edit func(*keystore.File)
	}{
		{"address", func(f *keystore.File) { f.Address = otherAddr }},
		{"public key", func(f *keystore.File) { f.PublicKey = hex.EncodeToString(other) }},
		// Both changed consistently: only the seed (or the AEAD's
		// additional data) can catch it.
		{"public key and address", func(f *keystore.File) { f.PublicKey, f.Address = hex.EncodeToString(other), otherAddr }},
		{"version", func(f *keystore.File) { f.Version = 2 }},
		{"encrypted flag", func(f *keystore.File) { f.Encrypted = !f.Encrypted }},
	}
	for _, enc := range []struct {
		name       string
		passphrase []byte
	}{{"encrypted", []byte("p")}, {"unencrypted", nil}} {
		for _, tc := range cases {
			t.Run(enc.name+"/"+tc.name, func(t *testing.T) {
				s := newStore(t)
				if _, err := s.Add("k", enc.passphrase); err != nil {
					t.Fatal(err)
				}
				editFile(t, keyFile(s, "k"), tc.edit)
				k, err := s.Load("k", enc.passphrase)
				if err == nil {
					t.Fatalf("tampered key loaded as %s", k.Address)
				}
				if !errors.Is(err, keystore.ErrInvalidFile) && !errors.Is(err, keystore.ErrBadPassphrase) {
					t.Fatalf("Load = %v, want ErrInvalidFile or ErrBadPassphrase", err)
				}
			})
		}
	}
	t.Run("ciphertext", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.Add("k", []byte("p")); err != nil {
			t.Fatal(err)
		}
		editFile(t, keyFile(s, "k"), func(f *keystore.File) {
			digit := byte('0')
			if f.Ciphertext[0] == '0' {
				digit = '1'
			}
			f.Ciphertext = string(digit) + f.Ciphertext[1:]
		})
		if _, err := s.Load("k", []byte("p")); !errors.Is(err, keystore.ErrBadPassphrase) {
			t.Fatalf("Load = %v, want ErrBadPassphrase", err)
		}
	})
}

func TestListAndResolve(t *testing.T) {
	s := newStore(t)
	if got, err := s.List(); err != nil || len(got) != 0 {
		t.Fatalf("List of a new store = %v, %v", got, err)
	}
	keys := map[string]*keystore.Key{}
	for _, name := range []string{"charlie", "alice", "Bob", "bob-2"} {
		k, err := s.Add(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		keys[name] = k
	}
	// Files that are not keys are ignored.
	if err := os.WriteFile(filepath.Join(s.Dir(), "notes.txt"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, i := range list {
		names = append(names, i.Name)
		if i.Address != keys[i.Name].Address {
			t.Errorf("%s: address %s, want %s", i.Name, i.Address, keys[i.Name].Address)
		}
	}
	if want := []string{"Bob", "alice", "bob-2", "charlie"}; !slices.Equal(names, want) {
		t.Fatalf("List = %v, want %v", names, want)
	}

	for name, k := range keys {
		byAddr, err := s.Resolve(k.Address.String())
		if err != nil || byAddr.Name != name {
			t.Errorf("Resolve(%s) = %q, %v; want %q", k.Address, byAddr.Name, err, name)
		}
		byName, err := s.Resolve(name)
		if err != nil || byName.Address != k.Address {
			t.Errorf("Resolve(%s) = %s, %v", name, byName.Address, err)
		}
	}
	unknown := crypto.AddressFromPubKey(make([]byte, 32)).String()
	if _, err := s.Resolve(unknown); !errors.Is(err, keystore.ErrNotFound) {
		t.Errorf("Resolve(unknown address) = %v, want ErrNotFound", err)
	}
	if _, err := s.Resolve("nobody"); !errors.Is(err, keystore.ErrNotFound) {
		t.Errorf("Resolve(unknown name) = %v, want ErrNotFound", err)
	}
}

func TestImportSeedRejectsBadSeed(t *testing.T) {
	s := newStore(t)
	for _, n := range []int{0, 31, 33, 64} {
		if _, err := s.ImportSeed("k", make([]byte, n), nil); !errors.Is(err, keystore.ErrInvalidFile) {
			t.Errorf("%d-byte seed: %v, want ErrInvalidFile", n, err)
		}
	}
}

func TestKeyFileCannotDemandHugeKDFCost(t *testing.T) {
	dir := t.TempDir()
	ks := keystore.Open(dir).WithScrypt(keystore.ScryptParams{N: 1 << 10, R: 8, P: 1})
	if _, err := ks.Add("k", []byte("passphrase")); err != nil {
		t.Fatal(err)
	}
	exported, err := ks.Export("k", []byte("passphrase"), []byte("export-pass"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := keystore.ParseFile(exported)
	if err != nil {
		t.Fatal(err)
	}
	f.KDF.N, f.KDF.R, f.KDF.P = 1<<20, 32, 16 // 4 GiB of memory
	evil, _ := json.Marshal(f)
	if _, err := keystore.Open(t.TempDir()).ImportFile("evil", evil, []byte("export-pass")); !errors.Is(err, keystore.ErrInvalidFile) {
		t.Fatalf("huge KDF cost accepted: %v", err)
	}
}

func TestKeyNameIsTheFileName(t *testing.T) {
	dir := t.TempDir()
	ks := keystore.Open(dir)
	if _, err := ks.Add("old", nil); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "old.json"), filepath.Join(dir, "new.json")); err != nil {
		t.Fatal(err)
	}
	infos, err := ks.List()
	if err != nil || len(infos) != 1 || infos[0].Name != "new" {
		t.Fatalf("list after rename: %+v %v", infos, err)
	}
	if _, err := ks.Load(infos[0].Name, nil); err != nil {
		t.Fatalf("load by listed name: %v", err)
	}
}
