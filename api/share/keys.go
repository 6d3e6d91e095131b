package share

import (
	"bytes"

	"github.com/depinhq/depin/api/bank"
	"github.com/depinhq/depin/api/keys"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
)

// Errors.
var (
	ErrInvalid = errs.Register("share", 2, "invalid share operation")
)

// MaxShares bounds a device's share count.
const MaxShares = 1 << 60

// DenomPrefix starts every share denom.
const DenomPrefix = bank.ShareDenomPrefix

// Denom is the share token of a device.
func Denom(id crypto.DeviceID) string { return DenomPrefix + crypto.DeviceString(id) }

// State layout.
var (
	PoolPrefix   = []byte("share/p/") // + device(20) → Pool
	HolderPrefix = []byte("share/h/") // + device(20) holder(20) → Holder
	LeasePrefix  = []byte("share/l/") // + device(20) → Lease
)

// LeaseKey is where a device's lease lives.
func LeaseKey(id crypto.DeviceID) []byte { return keys.New(LeasePrefix).Bytes(id[:]) }

// PoolKey is where a device's share pool lives.
func PoolKey(id crypto.DeviceID) []byte { return keys.New(PoolPrefix).Bytes(id[:]) }

// HolderKey is where a holder's position lives.
func HolderKey(id crypto.DeviceID, holder crypto.Address) []byte {
	return keys.New(HolderPrefix).Bytes(id[:]).Bytes(holder[:])
}

// HoldersPrefix prefixes the positions of a device's holders.
func HoldersPrefix(id crypto.DeviceID) []byte { return keys.New(HolderPrefix).Bytes(id[:]) }

// HolderFromKey is the holder address at the end of a key under
// HoldersPrefix.
func HolderFromKey(k []byte) (crypto.Address, bool) {
	if len(k) != len(HolderPrefix)+2*crypto.AddressLen || !bytes.HasPrefix(k, HolderPrefix) {
		return crypto.Address{}, false
	}
	a, err := crypto.AddressFromBytes(k[len(k)-crypto.AddressLen:])
	return a, err == nil
}
