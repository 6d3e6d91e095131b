package auth

import (
	"crypto/ed25519"

	api "github.com/depinhq/depin/api/auth"
	"github.com/depinhq/depin/crypto"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
)

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
	AccountPrefix = api.AccountPrefix
	ParamsKey     = api.ParamsKey
)

// AccountKey: see api/auth.AccountKey.
func AccountKey(addr crypto.Address) []byte { return api.AccountKey(addr) }

// DecodeTx: see api/auth.DecodeTx.
func DecodeTx(raw []byte) (*Tx, error) { return api.DecodeTx(raw) }

// SignTx: see api/auth.SignTx.
func SignTx(priv ed25519.PrivateKey, chainID string, body *txv1.TxBody) ([]byte, error) {
	return api.SignTx(priv, chainID, body)
}
