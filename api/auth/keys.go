package auth

import (
	"github.com/depinhq/depin/api/keys"
	"github.com/depinhq/depin/crypto"
)

// Keys.
var (
	AccountPrefix = []byte("auth/a/")
	ParamsKey     = []byte("auth/params")
)

// AccountKey is the key of addr's account record.
func AccountKey(addr crypto.Address) []byte {
	return keys.New(AccountPrefix).Bytes(addr[:])
}
