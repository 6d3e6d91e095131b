package share

import api "github.com/depinhq/depin/api/share"

// The module's public layout (keys, codecs, limits, error kinds) lives in
// the leaf package api/share, which clients import instead of
// this one; these names keep the module's API whole with one definition.

const (
	DenomPrefix = api.DenomPrefix
	MaxShares   = api.MaxShares
)

var (
	Denom         = api.Denom
	ErrInvalid    = api.ErrInvalid
	HolderFromKey = api.HolderFromKey
	HolderKey     = api.HolderKey
	HolderPrefix  = api.HolderPrefix
	HoldersPrefix = api.HoldersPrefix
	PoolKey       = api.PoolKey
	PoolPrefix    = api.PoolPrefix
)
