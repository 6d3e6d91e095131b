// Package report is the public layout of the report module (x/report): the
// keys of work records and fraud evidence (and the evidence index by
// device), the size limit of a report batch, and the module's error kinds.
// The wire format of a device report itself is package wire.
//
// State layout:
//
//	report/w/<network>\x00<epoch u64 BE><device 20B> -> WorkRecord
//	report/e/<evidence id 32B>                        -> Evidence
//	report/ed/<device 20B><evidence id 32B>           -> (empty) evidence by device
//
// It is what a program outside the state machine must know to read the
// module's state; x/report re-exports it, so each key has one definition.
// Like every package under api/, it imports only crypto, errs, the
// generated protobuf types, pure math (h3) and the standard library —
// never store, state, app or a keeper.
package report
