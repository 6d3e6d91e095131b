// Package share is the public layout of the share module (x/share): the
// share denom of a device, the keys of share pools, holder positions and leases,
// how a holder is read back from a key, and the module's error kinds.
//
// State layout:
//
//	share/p/<device 20B>               -> Pool
//	share/h/<device 20B><holder 20B>   -> Holder
//	share/l/<device 20B>               -> Lease
//
// It is what a program outside the state machine must know to read the
// module's state; x/share re-exports it, so each key has one definition.
// Like every package under api/, it imports only crypto, errs, the
// generated protobuf types, pure math (h3) and the standard library —
// never store, state, app or a keeper.
package share
