// Package api holds no code: its subpackages, one per module (api/bank,
// api/device, …), are the public layout of the chain's state — key
// builders, id-from-key decoders, value codecs, limits and error kinds —
// that programs outside the state machine (client, gateway, indexer,
// wallets) need to read it. The keepers under x/ re-export them, so every
// key has one definition. Beside them, api/event is the format of the
// chain's events, both ways (the state machine encodes with it, consumers
// decode typed events with it).
//
// They must stay leaves: crypto, errs, the generated protobuf types, pure
// math (h3) and the standard library only — never store, state, app or a
// keeper (clientdeps_test.go holds this).
package api
