// Package state is the vocabulary every module of the state machine shares:
// the Context a message executes in (state, block height and time, chain
// id, events) and typed events.
//
// Nothing here (or in any module) may read the wall clock, draw random
// numbers, touch the network or the file system, or iterate a map without
// sorting: two validators applying the same blocks must reach the same app
// hash. Time enters only as the block time in the Context.
package state
