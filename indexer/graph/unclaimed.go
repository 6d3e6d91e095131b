package graph

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
)

// UnclaimedReader reads a device's accrued, unclaimed reward from the
// chain (*client.Client does).
type UnclaimedReader interface {
	Unclaimed(ctx context.Context, id crypto.DeviceID, o client.QueryOptions) (uint64, error)
}

var _ UnclaimedReader = (*client.Client)(nil)

// Limits of Account.unclaimed.
const (
	// MaxUnclaimedDevices bounds the devices of one account whose
	// unclaimed rewards one request reads from the chain.
	MaxUnclaimedDevices = 100
	// unclaimedReads is how many chain reads of one request run at once.
	unclaimedReads = 8
	// unclaimedCacheSize bounds the cache (devices).
	unclaimedCacheSize = 20_000
	// UnclaimedTTL is how long Mux's API keeps a device's unclaimed
	// reward: a few blocks.
	UnclaimedTTL = 5 * time.Second
)

// ErrNoChain: the API was started without a chain to read what the index
// cannot know.
var ErrNoChain = errors.New("this API is not connected to a chain")

// Unclaimed reads devices' unclaimed rewards from the chain, a few at a
// time, and keeps each answer for TTL, so an account page refreshed on
// every block does not ask the node again for each of its devices.
type Unclaimed struct {
	chain UnclaimedReader
	ttl   time.Duration
	now   func() time.Time

	mu    sync.Mutex
	cache map[crypto.DeviceID]unclaimedEntry
}

type unclaimedEntry struct {
	amount uint64
	at     time.Time
}

// NewUnclaimed reads from chain and keeps answers for ttl, timed by now
// (time.Now when nil).
func NewUnclaimed(chain UnclaimedReader, ttl time.Duration, now func() time.Time) *Unclaimed {
	if now == nil {
		now = time.Now
	}
	return &Unclaimed{chain: chain, ttl: ttl, now: now, cache: map[crypto.DeviceID]unclaimedEntry{}}
}

// Amounts returns each device's unclaimed reward, in the order of ids.
func (u *Unclaimed) Amounts(ctx context.Context, ids []crypto.DeviceID) ([]uint64, error) {
	if u == nil || u.chain == nil {
		return nil, ErrNoChain
	}
	out := make([]uint64, len(ids))
	var missing []int
	now := u.now()
	u.mu.Lock()
	for i, id := range ids {
		if e, ok := u.cache[id]; ok && now.Sub(e.at) < u.ttl {
			out[i] = e.amount
		} else {
			missing = append(missing, i)
		}
	}
	u.mu.Unlock()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(unclaimedReads)
	for _, i := range missing {
		g.Go(func() error {
			v, err := u.chain.Unclaimed(gctx, ids[i], client.QueryOptions{})
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
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.cache)+len(missing) > unclaimedCacheSize {
		for id, e := range u.cache {
			if now.Sub(e.at) >= u.ttl {
				delete(u.cache, id)
			}
		}
		if len(u.cache)+len(missing) > unclaimedCacheSize {
			clear(u.cache)
		}
	}
	for _, i := range missing {
		u.cache[ids[i]] = unclaimedEntry{amount: out[i], at: now}
	}
	return out, nil
}
