package agent

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"

	"github.com/depinhq/depin/crypto"
)

// Device key files hold the ed25519 seed in the clear: a device must sign
// reports unattended, after every reboot, with nobody to type a
// passphrase. Protect them with file permissions (SaveKey writes 0600 and
// LoadKey refuses files others can read) and, on real hardware, with a
// secure element where there is one. Account keys, which move funds, live
// encrypted in package keystore instead.

// KeyFileVersion is the version of the device key file format.
const KeyFileVersion = 1

// Errors of the key file helpers.
var (
	ErrKeyExists      = errors.New("device key file already exists")
	ErrInvalidKeyFile = errors.New("invalid device key file")
)

// keyFile is the on-disk format of a device key.
type keyFile struct {
	Version   int    `json:"version"`
	Type      string `json:"type"`       // "ed25519"
	Device    string `json:"device"`     // depindev1…
	PublicKey string `json:"public_key"` // hex
	Seed      string `json:"seed"`       // hex, unencrypted
	Warning   string `json:"warning"`
}

const keyWarning = "unencrypted device key: anyone who can read this file can sign reports as this device"

// maxKeyFileSize bounds what LoadKey reads.
const maxKeyFileSize = 4 << 10

// GenerateKey makes a new device key from the system's randomness.
func GenerateKey() (ed25519.PrivateKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	return priv, err
}

// SaveKey writes key to a new file at path with mode 0600. It never
// overwrites an existing file: losing a device's key loses the device.
func SaveKey(path string, key ed25519.PrivateKey) error {
	if len(key) != ed25519.PrivateKeySize {
		return fmt.Errorf("device key: %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	pub := key.Public().(ed25519.PublicKey)
	b, err := json.MarshalIndent(keyFile{
		Version:   KeyFileVersion,
		Type:      "ed25519",
		Device:    crypto.DeviceString(crypto.AddressFromPubKey(pub)),
		PublicKey: hex.EncodeToString(pub),
		Seed:      hex.EncodeToString(key.Seed()),
		Warning:   keyWarning,
	}, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%w: %s", ErrKeyExists, path)
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}

// LoadKey reads a key SaveKey wrote, checking that its public key and
// device id match the seed, and that the file is not readable by others.
func LoadKey(path string) (ed25519.PrivateKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return nil, err
	} else if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s is accessible to others (mode %v): chmod 600 it", ErrInvalidKeyFile, path, fi.Mode().Perm())
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxKeyFileSize {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrInvalidKeyFile, path, maxKeyFileSize)
	}
	var kf keyFile
	if err := json.Unmarshal(b, &kf); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalidKeyFile, path, err)
	}
	if kf.Version != KeyFileVersion || kf.Type != "ed25519" {
		return nil, fmt.Errorf("%w: %s: version %d type %q, want %d ed25519", ErrInvalidKeyFile, path, kf.Version, kf.Type, KeyFileVersion)
	}
	seed, err := hex.DecodeString(kf.Seed)
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%w: %s: seed is not %d hex bytes", ErrInvalidKeyFile, path, ed25519.SeedSize)
	}
	key := ed25519.NewKeyFromSeed(seed)
	pub := key.Public().(ed25519.PublicKey)
	if kf.PublicKey != hex.EncodeToString(pub) || kf.Device != crypto.DeviceString(crypto.AddressFromPubKey(pub)) {
		return nil, fmt.Errorf("%w: %s: public key or device id does not match the seed", ErrInvalidKeyFile, path)
	}
	return key, nil
}
