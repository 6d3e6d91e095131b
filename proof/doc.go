// Package proof is the protocol between a node's state queries and their
// readers: the ABCI query paths and limits, how the state's root hash is
// made from its trees' roots, and the proof a node returns with a value —
// its encoding as ABCI proof ops and its verification against an app hash.
//
// The node (package app) encodes proofs with it and clients verify them
// with it, so both sides share one definition. It must stay a leaf:
// it needs ICS-23 and protobuf types only, never the state trees (store),
// the application or a module keeper, so a client verifies proofs without
// linking IAVL or a database.
package proof
