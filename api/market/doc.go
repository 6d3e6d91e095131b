// Package market is the public layout of the market module (x/market): the
// keys of orders, interval books, clearings, meter readings and the owner
// index, how an order id is read back from an index key, the interval of
// a time (IntervalAt), and the module's error kinds.
//
// State layout:
//
//	market/o/<id u64 BE>                                  -> Order
//	market/b/<network>\x00<interval u64 BE><id u64 BE>    -> (empty) book
//	market/c/<network>\x00<interval u64 BE>               -> Clearing
//	market/m/<device 20B><interval u64 BE>                -> Metered
//	market/w/<owner 20B><id u64 BE>                       -> (empty)
//
// It is what a program outside the state machine must know to read the
// module's state; x/market re-exports it, so each key has one definition.
// Like every package under api/, it imports only crypto, errs, the
// generated protobuf types, pure math (h3) and the standard library —
// never store, state, app or a keeper.
package market
