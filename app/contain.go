package app

import (
	"fmt"
	"runtime/debug"

	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/store"
)

// Block steps run at the start of every block, outside any tx: per
// network, in this order, every network before the next step. The epoch
// step (x/network) puts due params in force and tells the modules'
// epoch hooks (Keeper.Hooks) when an epoch ended; the others are each
// module's per-block work (a.steps). Both are registered in modules.go.
const (
	stepEpoch      = "epoch"      // params in force, epoch-ended hooks (x/network)
	stepRewards    = "rewards"    // reward jobs (x/reward)
	stepAgreements = "agreements" // agreement payments (x/agreement)
	stepStorage    = "storage"    // storage epoch passes: lost pieces, payments, challenges (x/storage)
	stepMarket     = "market"     // auctions and settlements (x/market)
	stepCompute    = "compute"    // compute task windows and job deadlines (x/compute)
	stepVpp        = "vpp"        // virtual power plants: leaves, challenges, settlements, allocations (x/vpp)
)

// safely runs f and turns a panic into an error. The error says only
// what the panic value says — deterministic for the same state, so it may
// be stored — while the stack goes to the log.
func (a *App) safely(what string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			a.log.Error("recovered from a panic", "in", what, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return f()
}

// contained runs one block-level step over its own cache of ctx.KV: if
// it succeeds its writes and events join the block's; if it fails or
// panics nothing it did is kept and the failure is returned. It never
// lets a failure reach CometBFT: a step that fails must not stop the
// chain for everyone.
func (a *App) contained(ctx state.Context, what string, step func(state.Context) error) error {
	kv := store.NewCache(ctx.KV)
	sctx := ctx.WithKV(kv)
	if err := a.safely(what, func() error { return step(sctx) }); err != nil {
		return err
	}
	kv.Write()
	ctx.Events.Append(sctx.Events.List()...)
	return nil
}

// networkSteps runs the per-network block steps. A step of one network
// that fails is rolled back and the network is frozen (x/network
// Freeze: an event, and the reason in its record): its later steps do
// not run, this block or after, until its owner resumes it. Every other
// network, and the chain, go on.
func (a *App) networkSteps(ctx state.Context) {
	nets := a.network.IDs(ctx.KV)
	run := func(step string, f func(state.Context, string) error, frozenToo bool) {
		for _, id := range nets {
			if !frozenToo && a.frozen(ctx, id) {
				continue
			}
			err := a.contained(ctx, step+" of "+id, func(c state.Context) error { return f(c, id) })
			if err == nil {
				continue
			}
			a.log.Error("network block step failed; network frozen", "network", id, "step", step, "height", ctx.Height, "err", err)
			if ferr := a.safely("freezing "+id, func() error { a.network.Freeze(ctx, id, step, err.Error()); return nil }); ferr != nil {
				a.log.Error("freezing the network failed", "network", id, "err", ferr)
			}
		}
	}
	// A frozen network's params still come in force (the step calls no
	// hook for it).
	run(stepEpoch, a.network.BeginNetwork, true)
	for _, s := range a.steps {
		run(s.name, s.start(), false)
	}
}

// frozen reports whether a network is frozen (or unreadable: then it is
// treated as frozen, since none of its steps could run).
func (a *App) frozen(ctx state.Context, id string) bool {
	frozen := true
	_ = a.safely("reading network "+id, func() error {
		n := a.network.Network(ctx.KV, id)
		frozen = n == nil || n.Frozen
		return nil
	})
	return frozen
}
