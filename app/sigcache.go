package app

import (
	"sync"

	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/x/auth"
	"github.com/depinhq/depin/x/report"
)

// sigCache remembers transactions whose signature CheckTx verified, so
// FinalizeBlock does not verify them a second time. A signature's validity
// depends only on the tx bytes and the chain id, so skipping the check
// never changes a result; a node that restarted (empty cache) just verifies
// again. Bounded, evicting the oldest entry. Safe for concurrent use.
//
// For the last keepDecoded report-batch txs it also keeps the decoded tx:
// decoding a 5,000-report batch (unmarshal, canonical re-encoding check)
// costs ~10 ms, and CometBFT's recheck after every block and the block
// itself would otherwise pay it again for each batch, on the path between
// two blocks. Report batch handling never modifies its message, so the
// decoded form is as good as a fresh decode.
type sigCache struct {
	mu   sync.Mutex
	set  map[[32]byte]*auth.Tx // nil: verified, not kept decoded
	ring [][32]byte
	next int
	// kept are the hashes whose decoded tx is kept, oldest at keptNext.
	kept     [][32]byte
	keptNext int
}

// keepDecoded bounds the decoded report batches sigCache keeps (~2 MB
// each for 5,000 reports).
const keepDecoded = 64

func newSigCache(size int) *sigCache {
	return &sigCache{set: make(map[[32]byte]*auth.Tx, size), ring: make([][32]byte, size), kept: make([][32]byte, 0, keepDecoded)}
}

// add records that tx (hash h) has a valid signature, keeping tx itself if
// it carries report batches only.
func (c *sigCache) add(h [32]byte, tx *auth.Tx) {
	if len(c.ring) == 0 {
		return
	}
	keep := reportBatchesOnly(tx)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.set[h]; ok {
		return
	}
	old := c.ring[c.next]
	delete(c.set, old)
	c.ring[c.next] = h
	c.next = (c.next + 1) % len(c.ring)
	c.set[h] = nil
	if !keep {
		return
	}
	if len(c.kept) < keepDecoded {
		c.kept = append(c.kept, h)
	} else {
		if t, ok := c.set[c.kept[c.keptNext]]; ok && t != nil {
			c.set[c.kept[c.keptNext]] = nil
		}
		c.kept[c.keptNext] = h
		c.keptNext = (c.keptNext + 1) % keepDecoded
	}
	c.set[h] = tx
}

// get reports whether the tx with hash h was verified, and returns its
// decoded form if it is kept (nil otherwise).
func (c *sigCache) get(h [32]byte) (*auth.Tx, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	tx, ok := c.set[h]
	return tx, ok
}

// decode returns the tx with hash h and raw bytes raw — the kept decoded
// form if there is one, else a fresh decode — and whether its signature
// was verified already.
func (c *sigCache) decode(h [32]byte, raw []byte) (tx *auth.Tx, verified bool, err error) {
	tx, verified = c.get(h)
	if tx == nil {
		tx, err = auth.DecodeTx(raw)
	}
	return tx, verified, err
}

// reportBatchesOnly reports whether every message of tx is a report batch.
func reportBatchesOnly(tx *auth.Tx) bool {
	for _, m := range tx.Body.Messages {
		if m.GetReportBatch() == nil {
			return false
		}
	}
	return true
}

// prepCacheReports bounds how many verified reports prepCache keeps
// (about 300 bytes each).
const prepCacheReports = 400_000

// prepCache keeps the report batches CheckTx decoded and signature-checked,
// by tx hash and message index, so FinalizeBlock does not verify them
// again. Like sigCache it only saves work: a result depends on nothing but
// the bytes and the chain id. Bounded by the number of reports, evicting
// the oldest tx. Safe for concurrent use.
type prepCache struct {
	mu      sync.Mutex
	max     int
	reports int
	byTx    map[[32]byte]map[int]*report.Prepared
	order   [][32]byte
}

func newPrepCache(maxReports int) *prepCache {
	return &prepCache{max: maxReports, byTx: map[[32]byte]map[int]*report.Prepared{}}
}

// prepare verifies the report batches of tx (hash h) unless
// already cached, and caches the results.
func (c *prepCache) prepare(chainID string, h [32]byte, tx *auth.Tx, workers int, keys *crypto.KeyCache) {
	c.mu.Lock()
	_, ok := c.byTx[h]
	c.mu.Unlock()
	if ok {
		return
	}
	var preps map[int]*report.Prepared
	n := 0
	for j, m := range tx.Body.Messages {
		if rb := m.GetReportBatch(); rb != nil && len(rb.Reports) <= report.MaxBatchReports {
			if preps == nil {
				preps = map[int]*report.Prepared{}
			}
			preps[j] = report.Prepare(chainID, rb, report.PrepareOptions{Workers: workers, Keys: keys})
			n += len(rb.Reports)
		}
	}
	if preps == nil || n > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byTx[h]; ok {
		return
	}
	for c.reports+n > c.max && len(c.order) > 0 {
		old := c.order[0]
		c.order = c.order[1:]
		for _, p := range c.byTx[old] {
			c.reports -= len(p.Reports)
		}
		delete(c.byTx, old)
	}
	c.byTx[h] = preps
	c.order = append(c.order, h)
	c.reports += n
}

// get returns the cached batches of a tx by message index (nil if none).
func (c *prepCache) get(h [32]byte) map[int]*report.Prepared {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byTx[h]
}
