// Package agreement is the public layout of the agreement module
// (x/agreement): the keys of service agreements and of their indices by
// consumer, device and open provider network, how an id is read back from
// an index key, and the module's error kinds.
//
// State layout:
//
//	agreement/a/<id u64 BE>                    -> Agreement
//	agreement/c/<consumer 20B><id u64 BE>      -> (empty)
//	agreement/d/<device 20B><id u64 BE>        -> (empty)
//	agreement/o/<network>\x00<id u64 BE>       -> (empty) open agreements
//
// It is what a program outside the state machine must know to read the
// module's state; x/agreement re-exports it, so each key has one definition.
// Like every package under api/, it imports only crypto, errs, the
// generated protobuf types, pure math (h3) and the standard library —
// never store, state, app or a keeper.
package agreement
