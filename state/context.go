package state

import (
	"time"

	"github.com/depinhq/depin/store"
)

// Context is what a message handler sees: the state to read and write, the
// block it runs in, and the event sink.
type Context struct {
	KV      store.KV
	ChainID string
	Height  int64
	Time    time.Time // block time from the header; never the wall clock
	// BlockHash is the hash of the block being executed (nil in CheckTx):
	// a seed no one knew before the block was proposed (storage audits
	// draw their challenges from it).
	BlockHash []byte
	Events    *Events
	// CheckTx is set when the message runs for mempool admission, not in a
	// block: handlers may skip work whose outcome is recorded per item
	// rather than as a tx failure (e.g. each report of a batch).
	CheckTx bool
}

// WithKV returns a copy of ctx over kv with a fresh event sink.
func (c Context) WithKV(kv store.KV) Context {
	c.KV = kv
	c.Events = &Events{}
	return c
}

// Emit records a typed event.
func (c Context) Emit(ev Event) { c.Events.Emit(ev) }
