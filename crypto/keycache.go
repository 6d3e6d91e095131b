package crypto

import (
	"sync"

	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// KeyCache keeps public keys in curve25519-voi's expanded form (the point
// already decompressed), so a batch verification of a signature by a key
// seen before skips the square root that decompressing costs: ~30% less
// CPU per signature in a batch. Devices sign a report every period with
// the same key, so a node keeps their keys.
//
// A verification gives the same answer with or without the cache (the
// expanded key carries the same validity checks); the cache only changes
// how fast it is. An expanded key takes ~1.5 KiB (voi keeps lookup tables
// with it), so the cache holds at most a set number of keys: when full it
// forgets the half least recently added or used. Safe for concurrent use.
type KeyCache struct {
	shards [keyCacheShards]keyCacheShard
	half   int // keys per generation per shard
}

const keyCacheShards = 64

// keyCacheShard holds two generations: lookups promote keys from old to
// cur; when cur is full, old is dropped and cur becomes old.
type keyCacheShard struct {
	mu       sync.Mutex
	cur, old map[[PubKeySize]byte]*voi.ExpandedPublicKey
}

// PubKeySize is the size of an ed25519 public key.
const PubKeySize = voi.PublicKeySize

// ExpandedKeyBytes is roughly the memory one cached key takes.
const ExpandedKeyBytes = 1600

// NewKeyCache returns a cache of at most n keys (nil if n ≤ 0: no cache;
// a nil *KeyCache is valid and caches nothing).
func NewKeyCache(n int) *KeyCache {
	if n <= 0 {
		return nil
	}
	c := &KeyCache{half: max(1, n/keyCacheShards/2)}
	for i := range c.shards {
		c.shards[i].cur = map[[PubKeySize]byte]*voi.ExpandedPublicKey{}
	}
	return c
}

func (c *KeyCache) shard(k *[PubKeySize]byte) *keyCacheShard {
	return &c.shards[int(k[0])%keyCacheShards]
}

// Add expands pub and keeps it (a no-op for a key already kept, a key of
// the wrong size or one that is not a curve point).
func (c *KeyCache) Add(pub []byte) {
	if c == nil || len(pub) != PubKeySize {
		return
	}
	k := [PubKeySize]byte(pub)
	if c.get(&k) != nil {
		return
	}
	x, err := voi.NewExpandedPublicKey(voi.PublicKey(pub))
	if err != nil {
		return // verification rejects it anyway
	}
	s := c.shard(&k)
	s.mu.Lock()
	s.put(k, x, c.half)
	s.mu.Unlock()
}

// get returns the expanded key, or nil.
func (c *KeyCache) get(k *[PubKeySize]byte) *voi.ExpandedPublicKey {
	if c == nil {
		return nil
	}
	s := c.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	if x := s.cur[*k]; x != nil {
		return x
	}
	if x := s.old[*k]; x != nil {
		delete(s.old, *k)
		s.put(*k, x, c.half) // used: keep it in the young generation
		return x
	}
	return nil
}

func (s *keyCacheShard) put(k [PubKeySize]byte, x *voi.ExpandedPublicKey, half int) {
	if len(s.cur) >= half {
		s.old, s.cur = s.cur, make(map[[PubKeySize]byte]*voi.ExpandedPublicKey, half)
	}
	s.cur[k] = x
}

// Len is the number of keys kept.
func (c *KeyCache) Len() int {
	if c == nil {
		return 0
	}
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += len(s.cur) + len(s.old)
		s.mu.Unlock()
	}
	return n
}
