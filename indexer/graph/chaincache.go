package graph

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/depinhq/depin/crypto"
)

// Limits of the chain reads behind a list (Account.unclaimed,
// ComputeProvider.reputation).
const (
	// chainReads is how many chain reads of one request run at once.
	chainReads = 8
	// chainCacheSize bounds a cache (devices).
	chainCacheSize = 20_000
)

// deviceCache keeps one value per device read from the chain, each for
// ttl, so that a page refreshed on every block does not ask the node
// again for each of its devices. It reads at most chainReads at once.
type deviceCache[V any] struct {
	ttl time.Duration
	now func() time.Time

	mu sync.Mutex
	m  map[crypto.DeviceID]cacheEntry[V]
}

type cacheEntry[V any] struct {
	v  V
	at time.Time
}

func newDeviceCache[V any](ttl time.Duration, now func() time.Time) *deviceCache[V] {
	if now == nil {
		now = time.Now
	}
	return &deviceCache[V]{ttl: ttl, now: now, m: map[crypto.DeviceID]cacheEntry[V]{}}
}

// get returns each device's value, in the order of ids: from the cache
// when fresh, else from read.
func (c *deviceCache[V]) get(ctx context.Context, ids []crypto.DeviceID, read func(context.Context, crypto.DeviceID) (V, error)) ([]V, error) {
	out := make([]V, len(ids))
	var missing []int
	now := c.now()
	c.mu.Lock()
	for i, id := range ids {
		if e, ok := c.m[id]; ok && now.Sub(e.at) < c.ttl {
			out[i] = e.v
		} else {
			missing = append(missing, i)
		}
	}
	c.mu.Unlock()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(chainReads)
	for _, i := range missing {
		g.Go(func() error {
			v, err := read(gctx, ids[i])
			if err != nil {
				return fmt.Errorf("device %s: %w", crypto.DeviceString(ids[i]), err)
			}
			out[i] = v
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m)+len(missing) > chainCacheSize {
		for id, e := range c.m {
			if now.Sub(e.at) >= c.ttl {
				delete(c.m, id)
			}
		}
		if len(c.m)+len(missing) > chainCacheSize {
			clear(c.m)
		}
	}
	for _, i := range missing {
		c.m[ids[i]] = cacheEntry[V]{v: out[i], at: now}
	}
	return out, nil
}
