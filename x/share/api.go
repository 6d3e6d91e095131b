package share

import (
	api "github.com/depinhq/depin/api/share"
	"github.com/depinhq/depin/crypto"
)

// The module's public layout (keys, codecs, limits, error kinds) lives in
// the leaf package api/share, which clients import instead of
// this one; these names keep the module's API whole with one definition.

const (
	DenomPrefix = api.DenomPrefix
	MaxShares   = api.MaxShares
)

var (
	ErrInvalid   = api.ErrInvalid
	HolderPrefix = api.HolderPrefix
	LeasePrefix  = api.LeasePrefix
	PoolPrefix   = api.PoolPrefix
)

// Denom: see api/share.Denom.
func Denom(id crypto.DeviceID) string { return api.Denom(id) }

// HolderFromKey: see api/share.HolderFromKey.
func HolderFromKey(k []byte) (crypto.Address, bool) { return api.HolderFromKey(k) }

// HolderKey: see api/share.HolderKey.
func HolderKey(id crypto.DeviceID, holder crypto.Address) []byte { return api.HolderKey(id, holder) }

// HoldersPrefix: see api/share.HoldersPrefix.
func HoldersPrefix(id crypto.DeviceID) []byte { return api.HoldersPrefix(id) }

// PoolKey: see api/share.PoolKey.
func PoolKey(id crypto.DeviceID) []byte { return api.PoolKey(id) }

// LeaseKey: see api/share.LeaseKey.
func LeaseKey(id crypto.DeviceID) []byte { return api.LeaseKey(id) }
