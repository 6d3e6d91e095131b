package app

import (
	"crypto/sha256"
	"sync"

	"github.com/depinhq/depin/x/auth"
	"github.com/depinhq/depin/x/report"
)

// sigCache remembers transactions whose signature CheckTx verified, so
// FinalizeBlock does not verify them a second time. A signature's validity
// depends only on the tx bytes and the chain id, so skipping the check
// never changes a result; a node that restarted (empty cache) just verifies
// again. Bounded, evicting the oldest entry. Safe for concurrent use.
type sigCache struct {
	mu   sync.Mutex
	set  map[[32]byte]struct{}
	ring [][32]byte
	next int
}

func newSigCache(size int) *sigCache {
	return &sigCache{set: make(map[[32]byte]struct{}, size), ring: make([][32]byte, size)}
}

func (c *sigCache) add(tx []byte) {
	if len(c.ring) == 0 {
		return
	}
	h := sha256.Sum256(tx)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.set[h]; ok {
		return
	}
	old := c.ring[c.next]
	delete(c.set, old)
	c.ring[c.next] = h
	c.next = (c.next + 1) % len(c.ring)
	c.set[h] = struct{}{}
}

func (c *sigCache) has(tx []byte) bool {
	h := sha256.Sum256(tx)
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.set[h]
	return ok
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

// prepare verifies the report batches of tx (raw bytes txBytes) unless
// already cached, and caches the results.
func (c *prepCache) prepare(chainID string, txBytes []byte, tx *auth.Tx, workers int) {
	h := sha256.Sum256(txBytes)
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
			preps[j] = report.Prepare(chainID, rb, workers, nil)
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
func (c *prepCache) get(txBytes []byte) map[int]*report.Prepared {
	h := sha256.Sum256(txBytes)
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byTx[h]
}
