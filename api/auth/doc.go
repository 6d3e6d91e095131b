// Package auth is the public layout of the auth module (x/auth): the keys
// of accounts and the fee schedule, and the transaction codec — decoding a
// Tx with its checks of canonical encoding and limits, sign bytes,
// signature checks and signing — that nodes, gateways, indexers and
// wallets share.
//
// State layout:
//
//	auth/a/<addr 20 bytes> -> Account (protobuf)
//	auth/params            -> Params (protobuf)
//
// x/auth re-exports it, so each key and rule has one definition. Like
// every package under api/, it imports only crypto, errs, the generated
// protobuf types and the standard library — never store, state, app or a
// keeper.
package auth
