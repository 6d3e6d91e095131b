package graph

import (
	"context"
	"errors"
	"time"

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
	cache *deviceCache[uint64]
}

// NewUnclaimed reads from chain and keeps answers for ttl, timed by now
// (time.Now when nil).
func NewUnclaimed(chain UnclaimedReader, ttl time.Duration, now func() time.Time) *Unclaimed {
	return &Unclaimed{chain: chain, cache: newDeviceCache[uint64](ttl, now)}
}

// Amounts returns each device's unclaimed reward, in the order of ids.
func (u *Unclaimed) Amounts(ctx context.Context, ids []crypto.DeviceID) ([]uint64, error) {
	if u == nil || u.chain == nil {
		return nil, ErrNoChain
	}
	return u.cache.get(ctx, ids, func(ctx context.Context, id crypto.DeviceID) (uint64, error) {
		return u.chain.Unclaimed(ctx, id, client.QueryOptions{})
	})
}
