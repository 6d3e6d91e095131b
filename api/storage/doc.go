// Package storage is the public layout of the storage module (x/storage):
// its keys, the Merkle tree that pieces are committed to and audited
// against, the price of a deal, endpoint rules, limits and error kinds,
// and the off-chain messages of the storage network: piece ids, the
// orders an uploader signs for every request to a node and the receipts
// a node signs for what it stored (order.go). Storage nodes, clients and
// the chain all use it, so a piece's root, a proof, an order or an escrow
// is computed one way.
//
// State layout:
//
//	storage/e/<device 20B>                              -> Endpoint
//	storage/d/<deal u64 BE>                             -> Deal
//	storage/seq                                         -> last deal id
//	storage/o/<owner 20B><deal u64>                     -> {} deals by owner
//	storage/a/<network>\x00<deal u64>                   -> {} active deals by network
//	storage/p/<network>\x00<node 20B><deal u64><piece u32> -> PieceEntry: live pieces by node
//	storage/c/<network>\x00<node 20B>                   -> NodeChallenges: a node's challenges of the current epoch
//	storage/s/<device 20B>                              -> NodeStats
//	storage/k/<network>                                 -> EpochPass (while one runs)
//
// Like every package under api/, it imports only crypto, errs, the
// generated protobuf types and the standard library.
package storage
