// Package storagenode is a storage node of a depin storage network: a
// piece store on local disk served over HTTP to the uploaders whose
// signed orders it honours, and the node's side of the chain — it
// announces its URL (MsgSetEndpoint), answers the chain's audit
// challenges with Merkle proofs of the pieces it holds (MsgSubmitAudits,
// signed by the device owner's account key) and deletes pieces no deal
// references.
//
// Node (New, Run, Close) composes it; `depin storage node` wires it from
// flags. Pieces are written atomically (temp file, fsync, rename) and
// never beyond the configured capacity; a node restarted over the same
// data directory serves what it holds.
//
// It never trusts a request: every PUT, GET, HEAD and DELETE carries an
// order (api/storage.Order) signed by the piece owner's key for this node
// and this chain, honoured once before it expires. A piece a live deal
// references may be read (GET, HEAD) with anyone's order — its bytes are
// ciphertext and its root is on chain — so that anyone can repair a
// segment; a piece is deleted by its uploader only (a repaired piece's
// uploader is its repairer; it goes when its deal ends). It never imports the
// state machine: the chain is read through package client.
package storagenode
