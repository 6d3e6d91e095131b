// Package bank is the public layout of the bank module (x/bank): the keys
// of balances and supplies and how their values decode, coins and denoms
// (the native token, validation, formatting) and the module's error kinds.
//
// It is what a program outside the state machine must know to read the
// bank's state; x/bank re-exports it, so each key has one definition. Like
// every package under api/, it imports only crypto, errs, the generated
// protobuf types and the standard library — never store, state, app or a
// keeper.
package bank
