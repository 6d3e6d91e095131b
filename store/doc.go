// Package store is the state storage of the application: a small KV
// interface that modules read and write, a write-back Cache that stages
// changes (per transaction, per block, for CheckTx) and adapters over the
// IAVL Merkle trees that hold committed state (Shards of them, one app
// hash over their roots).
//
// Everything here is deterministic: caches flush in sorted key order, so the
// trees' shapes and app hash depend only on what was written, never on map
// iteration order. Storage failures are not recoverable by the state machine
// and panic (the node stops rather than diverge).
package store
