package storage

import (
	"sort"

	api "github.com/depinhq/depin/api/storage"
	"github.com/depinhq/depin/crypto"
	storagev1 "github.com/depinhq/depin/gen/depin/storage/v1"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/store"
)

// A node's challenges of an epoch are one record (NodeChallenges under
// api/storage.ChallengesKey), sorted by (deal, piece): the epoch pass
// writes it once, when it has drawn the node's sample; MsgSubmitAudits
// names the node and reads and writes it once for all its proofs; the
// next epoch end judges one record per node. Per-piece records made each
// proof a read and a write of the tree, and judging a read of every
// challenge (docs/PERFORMANCE.md, BenchmarkStorageAudits).

// Challenges returns a node's challenges of its network's current epoch
// (nil: none).
func (Keeper) Challenges(r store.Reader, net string, node crypto.DeviceID) *storagev1.NodeChallenges {
	return state.Load[storagev1.NodeChallenges](r, api.ChallengesKey(net, node))
}

// challengesCost is what a node's n challenges cost of the epoch pass's
// budget to write, or to judge: a quarter of a piece index entry each
// (their record is read or written at once; drawing 64 and writing them
// costs ~1.2 µs a challenge, judging them ~2.5 µs, reading an index
// entry ~7 µs: BenchmarkStorageAudits' profile), at least 1.
func challengesCost(n int) int { return max(1, (n+3)/4) }

// findChallenge returns the challenge of a deal's piece in nc, or nil.
func findChallenge(nc *storagev1.NodeChallenges, deal uint64, piece uint32) *storagev1.Challenge {
	cs := nc.Challenges
	i := sort.Search(len(cs), func(i int) bool { return !challengeBefore(cs[i], deal, piece) })
	if i < len(cs) && cs[i].Deal == deal && cs[i].Piece == piece {
		return cs[i]
	}
	return nil
}

// challengeBefore reports whether c is of a piece before (deal, piece)
// in (deal, piece) order.
func challengeBefore(c *storagev1.Challenge, deal uint64, piece uint32) bool {
	return c.Deal < deal || c.Deal == deal && c.Piece < piece
}

// sortChallenges puts challenges in (deal, piece) order (they are of
// distinct pieces: the order is total).
func sortChallenges(cs []*storagev1.Challenge) {
	sort.Slice(cs, func(i, j int) bool { return challengeBefore(cs[i], cs[j].Deal, cs[j].Piece) })
}

// dropChallenges removes the challenges of node that drop selects (of a
// deal closed: a challenge lives only as long as its piece), and the
// record with the last of them. (A lost piece's node, disqualified, has
// none: markLost.)
func (Keeper) dropChallenges(kv store.KV, net string, node crypto.DeviceID, drop func(*storagev1.Challenge) bool) {
	key := api.ChallengesKey(net, node)
	nc := state.Load[storagev1.NodeChallenges](kv, key)
	if nc == nil {
		return
	}
	kept := make([]*storagev1.Challenge, 0, len(nc.Challenges))
	for _, c := range nc.Challenges {
		if !drop(c) {
			kept = append(kept, c)
		}
	}
	switch {
	case len(kept) == len(nc.Challenges):
	case len(kept) == 0:
		kv.Delete(key)
	default:
		nc.Challenges = kept
		kv.Set(key, state.Marshal(nc))
	}
}
