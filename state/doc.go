// Package state is the vocabulary every module of the state machine shares:
// the Context a message executes in (state, block height and time, chain
// id, events) and typed events.
//
// A message handler receives the tx's signer and may rely on the app
// having checked that the message's acting-account field (owner, from,
// submitter, consumer, holder, lessee, operator, delegator) is that signer
// (app/signer.go); it checks what the signer may do to the records it
// touches (a device's owner, an order's owner…).
//
// Nothing here (or in any module) may read the wall clock, draw random
// numbers, touch the network or the file system, or iterate a map without
// sorting: two validators applying the same blocks must reach the same app
// hash. Time enters only as the block time in the Context.
package state
