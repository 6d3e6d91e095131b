// Package auth owns accounts (public key, sequence), the fee schedule, and
// the checks every transaction passes before its messages run: decoding,
// size and memo limits, signature, sequence (replay protection), timeout
// height and fee payment.
//
// State layout:
//
//	auth/a/<addr 20 bytes> -> Account (protobuf)
//	auth/params            -> Params (protobuf)
package auth
