// Package network is the public layout of the network module (x/network):
// the keys of networks, of their makers and of their parameter history, the
// module's error kinds, and the rules of network parameters a client checks
// before it sends them (limits, ValidateParams, reward defaults and bounds)
// or needs to read state by epoch (EpochAt, EpochStart, MetricByID).
//
// State layout:
//
//	network/n/<id>                         -> Network
//	network/m/<id>\x00<maker public key>    -> Maker
//	network/h/<id>\x00<from time u64 BE>    -> ParamsVersion
//
// It is what a program outside the state machine must know to read the
// module's state; x/network re-exports it, so each key has one definition.
// Like every package under api/, it imports only crypto, errs, the
// generated protobuf types, pure math (h3) and the standard library —
// never store, state, app or a keeper.
package network
