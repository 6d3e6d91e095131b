package auth

import api "github.com/depinhq/depin/api/auth"

// The module's public layout (keys, codecs, limits, error kinds) lives in
// the leaf package api/auth, which clients import instead of
// this one; these names keep the module's API whole with one definition.

type (
	Tx = api.Tx
)

const (
	MaxTxBytes = api.MaxTxBytes
)

var (
	AccountKey    = api.AccountKey
	AccountPrefix = api.AccountPrefix
	DecodeTx      = api.DecodeTx
	ParamsKey     = api.ParamsKey
	SignTx        = api.SignTx
)
