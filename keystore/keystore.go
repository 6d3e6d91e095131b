// Package keystore keeps account keys on disk, one JSON file per key under a
// directory, encrypted at rest: the ed25519 seed is sealed with
// XChaCha20-Poly1305 under a key derived from the passphrase with scrypt.
// Keys created without a passphrase (devnet keys) are stored in the clear
// and every listing says so.
//
// The package never logs or prints secrets; callers get a private key only
// from Load with the right passphrase.
package keystore

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/scrypt"

	"github.com/depinhq/depin/crypto"
)

// Errors.
var (
	ErrNotFound      = errors.New("key not found")
	ErrExists        = errors.New("key already exists")
	ErrBadPassphrase = errors.New("wrong passphrase or corrupted key file")
	ErrInvalidName   = errors.New("invalid key name: use 1-64 of a-z A-Z 0-9 . _ -")
	ErrInvalidFile   = errors.New("invalid key file")
)

// FileVersion is the key file format version.
const FileVersion = 1

// Bounds on the KDF cost a key file may ask for: 4× the default.
const (
	maxScryptMemory = 128 << 20
	maxScryptWork   = 4 * (1 << 15) * 8
)

// maxFileSize bounds what Load and Import read.
const maxFileSize = 64 << 10

// ScryptParams are the key-derivation cost parameters.
type ScryptParams struct {
	N, R, P int
}

// DefaultScrypt costs about 100 ms and 32 MiB per derivation.
var DefaultScrypt = ScryptParams{N: 1 << 15, R: 8, P: 1}

// File is the on-disk (and export) format of one key.
type File struct {
	Version   int    `json:"version"`
	Name      string `json:"name"`
	Address   string `json:"address"`
	PublicKey string `json:"public_key"` // hex
	Encrypted bool   `json:"encrypted"`
	// Encrypted keys.
	KDF        *KDF   `json:"kdf,omitempty"`
	Cipher     string `json:"cipher,omitempty"`
	Nonce      string `json:"nonce,omitempty"`
	Ciphertext string `json:"ciphertext,omitempty"`
	// Unencrypted (devnet) keys.
	Seed    string `json:"seed,omitempty"`
	Warning string `json:"warning,omitempty"`
}

// KDF records the key-derivation parameters of an encrypted key.
type KDF struct {
	Name string `json:"name"` // "scrypt"
	N    int    `json:"n"`
	R    int    `json:"r"`
	P    int    `json:"p"`
	Salt string `json:"salt"` // hex
}

// Info is the public part of a key.
type Info struct {
	Name      string         `json:"name"`
	Address   crypto.Address `json:"-"`
	PublicKey []byte         `json:"-"`
	Encrypted bool           `json:"encrypted"`
}

// MarshalJSON shows addresses in bech32 and keys in hex.
func (i Info) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Name      string `json:"name"`
		Address   string `json:"address"`
		PublicKey string `json:"public_key"`
		Encrypted bool   `json:"encrypted"`
	}{i.Name, i.Address.String(), hex.EncodeToString(i.PublicKey), i.Encrypted})
}

// Key is a loaded key with its private part.
type Key struct {
	Info
	Private ed25519.PrivateKey
}

// Store is a directory of key files.
type Store struct {
	dir    string
	scrypt ScryptParams
	rand   io.Reader
}

// Open returns the store in dir (created on first write).
func Open(dir string) *Store {
	return &Store{dir: dir, scrypt: DefaultScrypt, rand: rand.Reader}
}

// WithScrypt returns a copy of s using other KDF costs (tests use cheap ones).
func (s *Store) WithScrypt(p ScryptParams) *Store {
	c := *s
	c.scrypt = p
	return &c
}

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

var nameRE = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,64}$`)

func (s *Store) path(name string) (string, error) {
	if !nameRE.MatchString(name) || name == "." || name == ".." {
		return "", ErrInvalidName
	}
	return filepath.Join(s.dir, name+".json"), nil
}

// Add generates a new key. An empty passphrase stores it unencrypted, which
// is meant for devnets only.
func (s *Store) Add(name string, passphrase []byte) (*Key, error) {
	seed := make([]byte, ed25519.SeedSize)
	if _, err := io.ReadFull(s.rand, seed); err != nil {
		return nil, err
	}
	return s.ImportSeed(name, seed, passphrase)
}

// ImportSeed stores the key with the given 32-byte ed25519 seed.
func (s *Store) ImportSeed(name string, seed, passphrase []byte) (*Key, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%w: seed must be %d bytes", ErrInvalidFile, ed25519.SeedSize)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	k := &Key{Private: priv}
	k.Name = name
	k.PublicKey = priv.Public().(ed25519.PublicKey)
	k.Address = crypto.AddressFromPubKey(k.PublicKey)
	k.Encrypted = len(passphrase) > 0
	f, err := s.seal(k, passphrase)
	if err != nil {
		return nil, err
	}
	if err := s.write(f, false); err != nil {
		return nil, err
	}
	return k, nil
}

// ImportFile stores a key file produced by Export under a (possibly new)
// name. The file's passphrase is checked before anything is written.
func (s *Store) ImportFile(name string, data, passphrase []byte) (*Key, error) {
	f, err := ParseFile(data)
	if err != nil {
		return nil, err
	}
	k, err := open(f, passphrase)
	if err != nil {
		return nil, err
	}
	f.Name = name
	k.Name = name
	if err := s.write(f, false); err != nil {
		return nil, err
	}
	return k, nil
}

func (s *Store) seal(k *Key, passphrase []byte) (*File, error) {
	f := &File{
		Version:   FileVersion,
		Name:      k.Name,
		Address:   k.Address.String(),
		PublicKey: hex.EncodeToString(k.PublicKey),
		Encrypted: len(passphrase) > 0,
	}
	seed := k.Private.Seed()
	if !f.Encrypted {
		f.Seed = hex.EncodeToString(seed)
		f.Warning = "UNENCRYPTED key (devnet use only): anyone who can read this file controls the account"
		return f, nil
	}
	salt := make([]byte, 16)
	nonce := make([]byte, chacha20poly1305.NonceSizeX)
	if _, err := io.ReadFull(s.rand, salt); err != nil {
		return nil, err
	}
	if _, err := io.ReadFull(s.rand, nonce); err != nil {
		return nil, err
	}
	kdf := &KDF{Name: "scrypt", N: s.scrypt.N, R: s.scrypt.R, P: s.scrypt.P, Salt: hex.EncodeToString(salt)}
	aead, err := deriveAEAD(kdf, salt, passphrase)
	if err != nil {
		return nil, err
	}
	f.KDF = kdf
	f.Cipher = "xchacha20-poly1305"
	f.Nonce = hex.EncodeToString(nonce)
	f.Ciphertext = hex.EncodeToString(aead.Seal(nil, nonce, seed, additionalData(f)))
	return f, nil
}

// additionalData binds the ciphertext to the public key and address.
func additionalData(f *File) []byte {
	return []byte("depin-key-v1|" + f.Address + "|" + f.PublicKey)
}

func deriveAEAD(kdf *KDF, salt, passphrase []byte) (interface {
	Seal(dst, nonce, plaintext, ad []byte) []byte
	Open(dst, nonce, ciphertext, ad []byte) ([]byte, error)
}, error) {
	if kdf.Name != "scrypt" || kdf.N < 2 || kdf.N > 1<<20 || kdf.N&(kdf.N-1) != 0 || kdf.R < 1 || kdf.R > 32 || kdf.P < 1 || kdf.P > 16 {
		return nil, fmt.Errorf("%w: unsupported kdf parameters", ErrInvalidFile)
	}
	// scrypt needs 128·N·r bytes of memory and time proportional to N·r·p;
	// a key file must not be able to exhaust either before the passphrase
	// is even checked.
	if 128*kdf.N*kdf.R > maxScryptMemory || kdf.N*kdf.R*kdf.P > maxScryptWork {
		return nil, fmt.Errorf("%w: kdf parameters cost more than this key store allows (%d MiB)", ErrInvalidFile, maxScryptMemory>>20)
	}
	key, err := scrypt.Key(passphrase, salt, kdf.N, kdf.R, kdf.P, chacha20poly1305.KeySize)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidFile, err)
	}
	return chacha20poly1305.NewX(key)
}

func (s *Store) write(f *File, overwrite bool) error {
	p, err := s.path(f.Name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return err
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if overwrite {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	fh, err := os.OpenFile(p, flags, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%w: %s", ErrExists, f.Name)
	}
	if err != nil {
		return err
	}
	if _, err := fh.Write(append(data, '\n')); err != nil {
		fh.Close()
		return err
	}
	if err := fh.Sync(); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}

// read loads name's file. The key's name is its file name: a name field
// inside the file that disagrees (a renamed file) is overridden.
func (s *Store) read(name string) (*File, error) {
	p, err := s.path(name)
	if err != nil {
		return nil, err
	}
	fh, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %q (see 'depin keys list')", ErrNotFound, name)
	}
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	f, err := ParseFile(data)
	if err != nil {
		return nil, err
	}
	f.Name = name
	return f, nil
}

// ParseFile decodes and checks a key file without decrypting it.
func ParseFile(data []byte) (*File, error) {
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrInvalidFile, maxFileSize)
	}
	var f File
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidFile, err)
	}
	if f.Version != FileVersion {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrInvalidFile, f.Version, FileVersion)
	}
	pub, err := hex.DecodeString(f.PublicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: bad public key", ErrInvalidFile)
	}
	if crypto.AddressFromPubKey(pub).String() != f.Address {
		return nil, fmt.Errorf("%w: address does not match public key", ErrInvalidFile)
	}
	if f.Encrypted == (f.Seed != "") {
		return nil, fmt.Errorf("%w: encrypted flag does not match contents", ErrInvalidFile)
	}
	if f.Encrypted && (f.KDF == nil || f.Cipher != "xchacha20-poly1305") {
		return nil, fmt.Errorf("%w: unknown cipher or missing kdf", ErrInvalidFile)
	}
	return &f, nil
}

func (f *File) info() Info {
	pub, _ := hex.DecodeString(f.PublicKey) // checked by ParseFile
	return Info{Name: f.Name, Address: crypto.AddressFromPubKey(pub), PublicKey: pub, Encrypted: f.Encrypted}
}

// open decrypts f.
func open(f *File, passphrase []byte) (*Key, error) {
	var seed []byte
	if f.Encrypted {
		salt, err1 := hex.DecodeString(f.KDF.Salt)
		nonce, err2 := hex.DecodeString(f.Nonce)
		ct, err3 := hex.DecodeString(f.Ciphertext)
		if err := errors.Join(err1, err2, err3); err != nil || len(nonce) != chacha20poly1305.NonceSizeX {
			return nil, fmt.Errorf("%w: bad hex fields", ErrInvalidFile)
		}
		aead, err := deriveAEAD(f.KDF, salt, passphrase)
		if err != nil {
			return nil, err
		}
		seed, err = aead.Open(nil, nonce, ct, additionalData(f))
		if err != nil {
			return nil, ErrBadPassphrase
		}
	} else {
		var err error
		seed, err = hex.DecodeString(f.Seed)
		if err != nil {
			return nil, fmt.Errorf("%w: bad seed", ErrInvalidFile)
		}
	}
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%w: bad seed length", ErrInvalidFile)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	k := &Key{Info: f.info(), Private: priv}
	if !priv.Public().(ed25519.PublicKey).Equal(ed25519.PublicKey(k.PublicKey)) {
		return nil, fmt.Errorf("%w: seed does not match public key", ErrInvalidFile)
	}
	return k, nil
}

// Show returns a key's public information.
func (s *Store) Show(name string) (Info, error) {
	f, err := s.read(name)
	if err != nil {
		return Info{}, err
	}
	return f.info(), nil
}

// NeedsPassphrase reports whether loading name requires a passphrase.
func (s *Store) NeedsPassphrase(name string) (bool, error) {
	f, err := s.read(name)
	if err != nil {
		return false, err
	}
	return f.Encrypted, nil
}

// Load decrypts a key. Unencrypted keys ignore the passphrase.
func (s *Store) Load(name string, passphrase []byte) (*Key, error) {
	f, err := s.read(name)
	if err != nil {
		return nil, err
	}
	return open(f, passphrase)
}

// Export returns the key file re-sealed under exportPassphrase (which must
// not be empty), after checking passphrase opens it.
func (s *Store) Export(name string, passphrase, exportPassphrase []byte) ([]byte, error) {
	if len(exportPassphrase) == 0 {
		return nil, errors.New("export needs a passphrase to encrypt the exported key")
	}
	k, err := s.Load(name, passphrase)
	if err != nil {
		return nil, err
	}
	f, err := s.seal(k, exportPassphrase)
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(f, "", "  ")
}

// List returns every key, sorted by name.
func (s *Store) List() ([]Info, error) {
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Info
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || e.IsDir() {
			continue
		}
		f, err := s.read(name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name(), err)
		}
		out = append(out, f.info())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Resolve returns the key named nameOrAddress, or the key whose address is
// nameOrAddress.
func (s *Store) Resolve(nameOrAddress string) (Info, error) {
	if strings.HasPrefix(nameOrAddress, crypto.AccountPrefix+"1") {
		all, err := s.List()
		if err != nil {
			return Info{}, err
		}
		for _, i := range all {
			if i.Address.String() == nameOrAddress {
				return i, nil
			}
		}
		return Info{}, fmt.Errorf("%w: no key with address %s", ErrNotFound, nameOrAddress)
	}
	return s.Show(nameOrAddress)
}
