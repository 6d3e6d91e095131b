package graph

import (
	"context"
	"fmt"
	"math/bits"
	"time"

	"github.com/depinhq/depin/api/network"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
)

// ReputationReader reads what a device's reputation is made of from the
// chain: the device, and its network for the prior of a device never
// judged (*client.Client does).
type ReputationReader interface {
	Device(ctx context.Context, id crypto.DeviceID, o client.QueryOptions) (*devicev1.Device, error)
	Network(ctx context.Context, id string, o client.QueryOptions) (*networkv1.Network, error)
}

var _ ReputationReader = (*client.Client)(nil)

// ReputationTTL is how long Mux's API keeps a device's reputation.
const ReputationTTL = 5 * time.Second

// Reputations reads providers' reputations from the chain — the index
// cannot know them: reports, audits, market deliveries and fraud
// evidence move a device's α and β as well as its compute tasks — a few
// at a time, each kept for a TTL.
type Reputations struct {
	chain ReputationReader
	cache *deviceCache[*int]
	// reads bounds the chain reads running at once over all requests:
	// gqlgen resolves a page of providers' reputations concurrently, one
	// field at a time.
	reads chan struct{}
}

// NewReputations reads from chain and keeps answers for ttl, timed by now
// (time.Now when nil).
func NewReputations(chain ReputationReader, ttl time.Duration, now func() time.Time) *Reputations {
	return &Reputations{chain: chain, cache: newDeviceCache[*int](ttl, now), reads: make(chan struct{}, chainReads)}
}

// PPM returns each device's reputation in parts per million (nil for a
// device the chain does not have), in the order of ids.
func (r *Reputations) PPM(ctx context.Context, ids []crypto.DeviceID) ([]*int, error) {
	if r == nil || r.chain == nil {
		return nil, ErrNoChain
	}
	return r.cache.get(ctx, ids, func(ctx context.Context, id crypto.DeviceID) (*int, error) {
		select {
		case r.reads <- struct{}{}:
			defer func() { <-r.reads }()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		d, err := r.chain.Device(ctx, id, client.QueryOptions{})
		if err != nil || d == nil {
			return nil, err
		}
		alpha, beta := d.RepAlpha, d.RepBeta
		if !d.RepInit {
			n, err := r.chain.Network(ctx, d.Network, client.QueryOptions{})
			if err != nil {
				return nil, err
			}
			if n == nil {
				return nil, fmt.Errorf("its network %q is not on the chain", d.Network)
			}
			rp := network.RewardsOf(n.Params)
			alpha, beta = rp.RepAlpha0, rp.RepBeta0
		}
		ppm := ReputationPPM(alpha, beta)
		return &ppm, nil
	})
}

// ReputationPPM is the mean α/(α+β) of a beta reputation in parts per
// million, rounded down as the chain rounds it (x/fixed.Frac); a device
// with neither counts as fully reputable, as the chain's draw does.
func ReputationPPM(alpha, beta uint64) int {
	sum := alpha + beta
	if sum < alpha { // both near 2^64: halve them, the ratio stays
		alpha, beta = alpha/2, beta/2
		sum = alpha + beta
	}
	if sum == 0 {
		return 1_000_000
	}
	hi, lo := bits.Mul64(alpha, 1_000_000)
	q, _ := bits.Div64(hi, lo, sum) // alpha ≤ sum: the quotient is at most 10^6, hi < sum
	return int(q)
}
