package bank

import "github.com/depinhq/depin/crypto"

// Key prefixes. Exported so clients can build keys to query (with proofs).
var (
	BalancePrefix = []byte("bank/b/")
	SupplyPrefix  = []byte("bank/s/")
	ParamsKey     = []byte("bank/params")
)

// BalanceKey is the key of addr's balance of denom.
func BalanceKey(addr crypto.Address, denom string) []byte {
	k := make([]byte, 0, len(BalancePrefix)+crypto.AddressLen+len(denom))
	k = append(k, BalancePrefix...)
	k = append(k, addr[:]...)
	return append(k, denom...)
}

// AccountBalancesPrefix is the prefix of all of addr's balances.
func AccountBalancesPrefix(addr crypto.Address) []byte {
	return append(append([]byte{}, BalancePrefix...), addr[:]...)
}

// SupplyKey is the key of denom's total supply.
func SupplyKey(denom string) []byte {
	return append(append([]byte{}, SupplyPrefix...), denom...)
}
