// Package reward is the public layout of the reward module (x/reward): the
// keys of each network's incentive bookkeeping, per-device per-epoch
// breakdowns, unclaimed rewards, boosts and running reward jobs, and the
// module's error kinds.
//
// State layout:
//
//	reward/s/<network>                                 -> State
//	reward/b/<network>\x00<epoch u64 BE><device 20B>  -> Breakdown
//	reward/u/<device 20B>                              -> unclaimed, uint64 BE
//	reward/x/<network>\x00<cell u64 BE>                -> Boost
//	reward/j/<network>                                 -> the running reward job
//
// It is what a program outside the state machine must know to read the
// module's state; x/reward re-exports it, so each key has one definition.
// Like every package under api/, it imports only crypto, errs, the
// generated protobuf types, pure math (h3) and the standard library —
// never store, state, app or a keeper.
package reward
