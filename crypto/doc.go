// Package crypto holds depin's identity primitives: ed25519 keys, addresses
// (first 20 bytes of SHA-256 of the public key, shown in bech32) and the
// domain-separated sign bytes every signed message uses.
//
// It is used by the state machine, so it must stay deterministic: no clock,
// no randomness except in key generation (which the state machine never
// calls), no I/O.
package crypto
