package network

import (
	"fmt"

	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/store"
)

// EpochHook is a module that acts when a network's epoch ends: x/share
// charges lease rent, x/reward queues the epoch's rewards, x/agreement
// starts paying its agreements. A new service that settles per epoch
// implements it and is added to Keeper.Hooks where the app is built.
type EpochHook interface {
	// EpochEnded is called in the first block step of network n in a
	// later epoch than its previous one: ended is the epoch of that
	// previous step, now the current epoch (epochs in between had no
	// block step, so no work). n is in force at the block's time. An
	// error fails the whole epoch step (see BeginNetwork).
	EpochEnded(ctx state.Context, n *networkv1.Network, ended, now uint64) error
}

// LastEpoch returns the epoch of the network's last block step and
// whether it had one.
func (Keeper) LastEpoch(r store.Reader, id string) (uint64, bool) {
	return state.Uint64(r, EpochKey(id))
}

// BeginNetwork is a network's first block step, before every module's:
// it puts params whose epoch has come in force (once, here: every later
// read sees them) and, if the network's epoch changed since its last
// block step, calls every hook in order. A frozen network's params still
// come in force, but its epochs do not end for the modules: when its
// owner resumes it, the hooks hear of the epoch it froze in, as if no
// block had run in between.
//
// The app runs it contained like every block step: if a hook fails, the
// whole step — params, the epoch record and every hook's writes — is
// rolled back and the network frozen, so the hooks hear of the same
// epoch end once the network is resumed, never twice.
func (k Keeper) BeginNetwork(ctx state.Context, id string) error {
	n := k.Network(ctx.KV, id)
	if n == nil {
		return nil
	}
	t := ctx.Time.Unix()
	k.putInForce(ctx.KV, n, t)
	if n.Frozen {
		return nil
	}
	now := EpochAt(n, t)
	last, ok := k.LastEpoch(ctx.KV, id)
	if ok && now <= last {
		return nil
	}
	state.SetUint64(ctx.KV, EpochKey(id), now)
	if !ok {
		return nil // the network's first block step: no epoch has ended
	}
	for _, h := range k.Hooks {
		if err := h.EpochEnded(ctx, n, last, now); err != nil {
			return fmt.Errorf("epoch %d ended: %T: %w", last, h, err)
		}
	}
	return nil
}
