package storageclient

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	"github.com/depinhq/depin/h3"
)

// ErrNotEnoughNodes: the network has fewer eligible nodes with distinct
// owners than pieces per segment.
var ErrNotEnoughNodes = errors.New("not enough eligible storage nodes")

// SpreadResolution is the H3 resolution at which the pieces of a
// segment go to distinct cells when the network has nodes enough (a
// resolution-3 cell is about 12,000 km²: a region, so one flood, fire or
// power cut takes out at most one piece).
const SpreadResolution = 3

// Eligible says whether a node can take need more bytes: active, serving
// at an endpoint, not disqualified, with room left of its certified
// capacity (what the chain checks when the deal opens).
func Eligible(n client.StorageNode, need uint64) bool {
	return n.Device.Status == devicev1.DeviceStatus_DEVICE_STATUS_ACTIVE && n.Endpoint != nil &&
		(n.Stats == nil || !n.Stats.Disqualified) && free(n) >= need
}

// capacityOf is a node's certified capacity in bytes (GB of 10^9 bytes,
// the storage kind's unit).
func capacityOf(n client.StorageNode) uint64 {
	if n.Device.Capacity > math.MaxUint64/1_000_000_000 {
		return math.MaxUint64
	}
	return n.Device.Capacity * 1_000_000_000
}

func free(n client.StorageNode) uint64 {
	c, used := capacityOf(n), uint64(0)
	if n.Stats != nil {
		used = n.Stats.UsedBytes
	}
	return c - min(c, used)
}

// weight favours nodes with a good reputation and room to spare: the
// reputation's mean α/(α+β) (one half until the node has one) times the
// share of its capacity still free, in parts per million.
func weight(n client.StorageNode) float64 {
	rep := 0.5
	if d := n.Device; d.RepInit && d.RepAlpha+d.RepBeta > 0 {
		rep = float64(d.RepAlpha) / float64(d.RepAlpha+d.RepBeta)
	}
	share := 1.0
	if c := capacityOf(n); c > 0 {
		share = float64(free(n)) / float64(c)
	}
	return max(rep*share, 1e-6)
}

// ChooseNodes picks the n nodes that take a file's pieces — piece i of
// every segment goes to the i-th — and orders the other eligible nodes
// as spares, best first, for pieces whose node fails. The n have distinct
// owners (the chain requires it of every segment) and, as far as the
// network allows, distinct cells at SpreadResolution; among those, nodes
// are drawn at random in proportion to weight (Efraimidis–Spirakis), so
// load spreads and better nodes get more of it. need is the bytes each
// node must have free.
func ChooseNodes(nodes []client.StorageNode, n int, need uint64, rng *rand.Rand) (chosen, spares []client.StorageNode, err error) {
	type cand struct {
		node client.StorageNode
		key  float64
	}
	var cs []cand
	owners := map[string]bool{}
	for _, nd := range nodes {
		if Eligible(nd, need) {
			cs = append(cs, cand{nd, math.Pow(rng.Float64(), 1/weight(nd))})
			owners[string(nd.Device.Owner)] = true
		}
	}
	if len(owners) < n {
		return nil, nil, fmt.Errorf("%w: %d pieces per segment need %d nodes of distinct owners with %d bytes free; the network has %d (of %d nodes)",
			ErrNotEnoughNodes, n, n, need, len(owners), len(nodes))
	}
	slices.SortStableFunc(cs, func(a, b cand) int {
		if a.key != b.key {
			if a.key > b.key {
				return -1
			}
			return 1
		}
		return slices.Compare(a.node.ID[:], b.node.ID[:])
	})
	taken := make([]bool, len(cs))
	usedOwner, usedCell := map[string]bool{}, map[uint64]bool{}
	for pass := 0; pass < 2 && len(chosen) < n; pass++ {
		for i, c := range cs {
			if len(chosen) == n {
				break
			}
			cell := region(c.node.Device.Cell)
			if taken[i] || usedOwner[string(c.node.Device.Owner)] || (pass == 0 && usedCell[cell]) {
				continue
			}
			taken[i], usedOwner[string(c.node.Device.Owner)], usedCell[cell] = true, true, true
			chosen = append(chosen, c.node)
		}
	}
	for i, c := range cs {
		if !taken[i] {
			spares = append(spares, c.node)
		}
	}
	return chosen, spares, nil
}

// region is a cell's parent at SpreadResolution (the cell itself if it
// is coarser or not a cell).
func region(cell uint64) uint64 {
	if p, err := h3.Parent(cell, SpreadResolution); err == nil {
		return p
	}
	return cell
}

func deviceString(id crypto.DeviceID) string { return crypto.DeviceString(id) }
