package crypto

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/cosmos/btcutil/bech32"
)

// AddressLen is the length in bytes of every address.
const AddressLen = 20

// Bech32 human-readable prefixes.
const (
	AccountPrefix = "depin"    // accounts
	DevicePrefix  = "depindev" // devices (their own keys)
)

// ErrInvalidAddress is returned for addresses that do not decode or have
// the wrong length or prefix.
var ErrInvalidAddress = errors.New("invalid address")

// Address identifies an account: the first 20 bytes of SHA-256(pubkey).
type Address [AddressLen]byte

// AddressFromPubKey derives the address of an ed25519 public key.
func AddressFromPubKey(pub ed25519.PublicKey) Address {
	sum := sha256.Sum256(pub)
	var a Address
	copy(a[:], sum[:AddressLen])
	return a
}

// AddressFromBytes checks the length of raw address bytes.
func AddressFromBytes(b []byte) (Address, error) {
	var a Address
	if len(b) != AddressLen {
		return a, fmt.Errorf("%w: %d bytes, want %d", ErrInvalidAddress, len(b), AddressLen)
	}
	copy(a[:], b)
	return a, nil
}

// Bytes returns a copy of the raw address.
func (a Address) Bytes() []byte { return append([]byte(nil), a[:]...) }

// IsZero reports whether a is the all-zero address.
func (a Address) IsZero() bool { return a == Address{} }

// String is the bech32 account form, depin1....
func (a Address) String() string { return EncodeBech32(AccountPrefix, a[:]) }

// Compare orders addresses bytewise.
func (a Address) Compare(b Address) int { return bytes.Compare(a[:], b[:]) }

// EncodeBech32 encodes data under the given human-readable prefix.
func EncodeBech32(hrp string, data []byte) string {
	conv, err := bech32.ConvertBits(data, 8, 5, true)
	if err != nil {
		panic(err) // cannot happen for 8→5 with padding
	}
	s, err := bech32.Encode(hrp, conv)
	if err != nil {
		panic(err) // only for invalid hrp, a programming error
	}
	return s
}

// DecodeBech32 decodes s and checks its prefix.
func DecodeBech32(hrp, s string) ([]byte, error) {
	if len(s) > 128 {
		return nil, fmt.Errorf("%w: too long", ErrInvalidAddress)
	}
	got, data, err := bech32.Decode(s, 128)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidAddress, err)
	}
	if got != hrp {
		return nil, fmt.Errorf("%w: prefix %q, want %q", ErrInvalidAddress, got, hrp)
	}
	raw, err := bech32.ConvertBits(data, 5, 8, false)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidAddress, err)
	}
	return raw, nil
}

// ParseAddress decodes a depin1... account address.
func ParseAddress(s string) (Address, error) {
	raw, err := DecodeBech32(AccountPrefix, s)
	if err != nil {
		return Address{}, err
	}
	return AddressFromBytes(raw)
}

// ModuleAddress is the address of a module account (fee collector, escrow
// pools…): it has no private key, so only the state machine moves its funds.
func ModuleAddress(name string) Address {
	sum := sha256.Sum256([]byte("depin/module/" + name))
	var a Address
	copy(a[:], sum[:AddressLen])
	return a
}

// DeviceID is a device's identity: the first 20 bytes of SHA-256 of its
// public key, shown as depindev1….
type DeviceID = Address

// DeviceString renders a device id in bech32 (depindev1…).
func DeviceString(id DeviceID) string { return EncodeBech32(DevicePrefix, id[:]) }

// ParseDeviceID decodes a depindev1… device id.
func ParseDeviceID(s string) (DeviceID, error) {
	raw, err := DecodeBech32(DevicePrefix, s)
	if err != nil {
		return DeviceID{}, err
	}
	return AddressFromBytes(raw)
}
