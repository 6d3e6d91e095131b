// Package staking is the public layout of the staking module (x/staking):
// the keys of validators, delegations, unbondings and staking params, and
// the module's error kinds.
//
// State layout:
//
//	staking/p                                     -> Params
//	staking/v/<cons address>                      -> Validator
//	staking/d/<delegator 20B><cons address>       -> Delegation
//	staking/u/<complete time u64 BE><seq u64 BE>  -> Unbonding
//
// It is what a program outside the state machine must know to read the
// module's state; x/staking re-exports it, so each key has one definition.
// Like every package under api/, it imports only crypto, errs, the
// generated protobuf types, pure math (h3) and the standard library —
// never store, state, app or a keeper.
package staking
