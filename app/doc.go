// Package app is depin's ABCI++ application: it decodes transactions, runs
// the ante checks and routes messages to the modules under x/, stages each
// block's writes and commits them to the IAVL trees, and answers queries
// (with ICS-23 proofs on request).
//
// The app is a deterministic core: block time and block data enter through
// FinalizeBlock and nothing else (no wall clock, randomness, network or
// file access; see the deps test). CheckTx returns a code, never an error.
package app
