package gateway

import (
	"sync"

	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/wire"
)

// maxVerifyBatch bounds one batch verification, so that the caller doing
// it for the others waits at most a few milliseconds.
const maxVerifyBatch = 128

// verifier checks device signatures, batching the checks of reports that
// arrive at the same time (many MQTT connections, many HTTP requests):
// a batch verification costs about half as much per signature. There is
// no goroutine of its own: the first caller that finds nobody verifying
// becomes the leader, verifies every pending check in one batch, hands
// each caller its result and passes the lead to the next waiter if more
// checks queued up meanwhile. A caller alone is checked alone, at once.
type verifier struct {
	mu      sync.Mutex
	busy    bool
	pending []*verifyReq
}

type verifyReq struct {
	d       *wire.Decoded
	chainID string
	done    chan verdict // buffered: the leader never blocks on it
}

type verdict uint8

const (
	verdictInvalid verdict = iota
	verdictValid
	verdictLead // the receiver now leads the next batch
)

// verify reports whether d's signature is valid for chainID.
func (v *verifier) verify(d *wire.Decoded, chainID string) bool {
	r := &verifyReq{d: d, chainID: chainID, done: make(chan verdict, 1)}
	v.mu.Lock()
	v.pending = append(v.pending, r)
	if v.busy {
		v.mu.Unlock()
		if res := <-r.done; res != verdictLead {
			return res == verdictValid
		}
		v.mu.Lock()
	}
	v.busy = true
	n := min(len(v.pending), maxVerifyBatch)
	batch := make([]*verifyReq, n)
	copy(batch, v.pending)
	v.pending = append(v.pending[:0], v.pending[n:]...)
	v.mu.Unlock()

	// r is in batch: whoever leads takes the oldest checks, and r was the
	// oldest when it was handed the lead (or the only one).
	mine := false
	for i, ok := range checkAll(batch) {
		if batch[i] == r {
			mine = ok
			continue
		}
		batch[i].done <- verdictOf(ok)
	}

	v.mu.Lock()
	if len(v.pending) > 0 {
		v.pending[0].done <- verdictLead
	} else {
		v.busy = false
	}
	v.mu.Unlock()
	return mine
}

func verdictOf(ok bool) verdict {
	if ok {
		return verdictValid
	}
	return verdictInvalid
}

// checkAll verifies a batch; results agree with Verify for every entry
// (crypto.BatchVerify falls back to single checks when the batch fails).
func checkAll(batch []*verifyReq) []bool {
	if len(batch) == 1 {
		return []bool{batch[0].d.Verify(batch[0].chainID)}
	}
	entries := make([]crypto.BatchEntry, len(batch))
	for i, r := range batch {
		entries[i] = crypto.BatchEntry{PubKey: r.d.PubKey, Message: r.d.SignBytes(r.chainID), Sig: r.d.Signed.Signature}
	}
	return crypto.BatchVerify(entries)
}
