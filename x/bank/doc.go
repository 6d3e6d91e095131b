// Package bank owns balances and supply of every denomination: transfers,
// minting and burning, the known-denom registry, and the invariant that the
// balances of each denom sum to its supply.
//
// State layout (all under the "bank/" prefix of the tree):
//
//	bank/b/<addr 20 bytes><denom>  -> uint64 big-endian balance (absent = 0)
//	bank/s/<denom>                 -> uint64 big-endian total supply
//	bank/params                    -> Params (protobuf)
//
// Amounts are uint64 in the smallest unit; every addition is checked and an
// overflow is an error, never a wrap.
package bank
