package bank

import (
	"bytes"
	"encoding/binary"

	"github.com/depinhq/depin/api/keys"
	"github.com/depinhq/depin/crypto"
	appv1 "github.com/depinhq/depin/gen/depin/app/v1"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
)

// Key prefixes: clients build keys to query (with proofs) from them.
var (
	BalancePrefix = []byte("bank/b/")
	SupplyPrefix  = []byte("bank/s/")
	ParamsKey     = []byte("bank/params") // no longer written: denoms have a key each
	DenomPrefix   = []byte("bank/d/")     // + denom → DenomMetadata
)

// DenomKey is the key of a registered denom's metadata.
func DenomKey(denom string) []byte { return keys.New(DenomPrefix).Str(denom) }

// BalanceKey is the key of addr's balance of denom.
func BalanceKey(addr crypto.Address, denom string) []byte {
	return keys.New(BalancePrefix).Bytes(addr[:]).Str(denom)
}

// AccountBalancesPrefix is the prefix of all of addr's balances.
func AccountBalancesPrefix(addr crypto.Address) []byte {
	return keys.New(BalancePrefix).Bytes(addr[:])
}

// SupplyKey is the key of denom's total supply.
func SupplyKey(denom string) []byte { return keys.New(SupplyPrefix).Str(denom) }

// DecodeAmount decodes a stored balance or supply value (nil = 0).
func DecodeAmount(v []byte) uint64 {
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

// DecodeBalances turns the entries under AccountBalancesPrefix(addr) into
// coins; entries not under that prefix are skipped.
func DecodeBalances(addr crypto.Address, pairs []*appv1.KVPair) []*bankv1.Coin {
	prefix := AccountBalancesPrefix(addr)
	var out []*bankv1.Coin
	for _, p := range pairs {
		if !bytes.HasPrefix(p.Key, prefix) || len(p.Key) == len(prefix) {
			continue
		}
		out = append(out, Coin(string(p.Key[len(prefix):]), DecodeAmount(p.Value)))
	}
	return out
}
