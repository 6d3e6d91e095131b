package app

import "crypto/sha256"

// sigCache remembers transactions whose signature CheckTx verified, so
// FinalizeBlock does not verify them a second time. A signature's validity
// depends only on the tx bytes and the chain id, so skipping the check
// never changes a result; a node that restarted (empty cache) just verifies
// again. Bounded, evicting the oldest entry.
type sigCache struct {
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
	if _, ok := c.set[h]; ok {
		return
	}
	old := c.ring[c.next]
	delete(c.set, old)
	c.ring[c.next] = h
	c.next = (c.next + 1) % len(c.ring)
	c.set[h] = struct{}{}
}

// has is safe for concurrent use as long as nobody calls add meanwhile.
func (c *sigCache) has(tx []byte) bool {
	_, ok := c.set[sha256.Sum256(tx)]
	return ok
}
