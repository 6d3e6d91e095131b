// Package storageclient stores files on a depin storage network and
// fetches them back: it encrypts each file on the client with a key only
// the owner's account key derives (XChaCha20-Poly1305; the network never
// sees plaintext), cuts it into segments, erasure-codes each into n
// pieces of which any k restore it (Reed–Solomon), uploads the pieces to
// n storage nodes picked from the chain with signed orders, and opens
// the deal that commits to their Merkle roots. Download checks every
// piece against its root on chain, so a node serving other bytes is
// caught and skipped and never corrupts a file.
//
// RepairPass is anyone's paid work: it rebuilds the segments of any deal
// whose pieces fell to the deal's repair threshold from k of their
// pieces (never decrypting), checks the rebuilt pieces against their
// roots on chain, puts them on new nodes and moves them there on chain.
//
// It reads and writes the chain through package client only (never the
// state machine) and speaks to nodes over HTTP (api/storage: orders,
// receipts, paths). `depin storage put|get|ls|rm|info|repair` wire it.
package storageclient
