package app

import (
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/x/agreement"
	"github.com/depinhq/depin/x/auth"
	"github.com/depinhq/depin/x/bank"
	"github.com/depinhq/depin/x/compute"
	"github.com/depinhq/depin/x/device"
	"github.com/depinhq/depin/x/market"
	"github.com/depinhq/depin/x/network"
	"github.com/depinhq/depin/x/report"
	"github.com/depinhq/depin/x/reward"
	"github.com/depinhq/depin/x/share"
	"github.com/depinhq/depin/x/staking"
	"github.com/depinhq/depin/x/storage"
	"github.com/depinhq/depin/x/vpp"
)

// The module system: this file is where modules are put together. A new
// module (docs/ARCHITECTURE.md, "Adding a module") is built here with
// the keepers it uses, and joins the chain in up to four places, all in
// this file or beside it:
//
//   - epoch hooks: network.Keeper.Hooks, told in order when a network's
//     epoch ends (network.EpochHook);
//   - block steps: a.steps, each run per network at the start of every
//     block, contained (contain.go);
//   - invariants: CheckInvariants's list (invariants.go), and its escrow
//     accounts in escrowAccounts;
//   - messages: route.go sends each to its handler; signer.go names the
//     field holding its signer.
//
// Modules that call each other back (reward pays through share's
// Payouts, share pays holders out of reward's pool) hold pointers to the
// App's keepers, so each sees the other fully wired; hooks and steps too
// reach the App's keepers, never copies taken while wiring.

// networkStep is a module's per-network block step: start is called once
// per block and returns the function run for each network (a step may
// keep state across the networks of one block, e.g. agreements share one
// budget).
type networkStep struct {
	name  string
	start func() func(ctx state.Context, network string) error
}

// each is a networkStep without per-block state; f is called each time
// (not a method value bound when the app is built), so the step always
// runs the App's keeper as it is now.
func each(name string, f func(state.Context, string) error) networkStep {
	return networkStep{name: name, start: func() func(state.Context, string) error { return f }}
}

// wireModules builds the keepers and registers their hooks and steps.
func (a *App) wireModules() {
	// Share balances settle their holders' rewards before they change.
	a.bank = bank.Keeper{Hook: share.Hook{Shares: share.Keeper{}, Bank: bank.Keeper{}}, Escrows: escrowAccounts()}
	a.auth = auth.Keeper{Bank: a.bank}
	a.network = network.Keeper{Bank: a.bank}
	a.device = device.Keeper{Bank: a.bank, Network: a.network, Keys: a.keys}
	a.market = market.Keeper{Bank: a.bank, Network: a.network, Device: a.device}
	a.report = report.Keeper{Bank: a.bank, Network: a.network, Device: a.device, Market: a.market}
	a.staking = staking.Keeper{Bank: a.bank}
	a.agreement = agreement.Keeper{Bank: a.bank, Network: a.network, Device: a.device, Report: a.report}
	a.share = share.Keeper{Bank: a.bank, Network: a.network, Device: a.device, Rewards: &a.reward}
	a.reward = reward.Keeper{Bank: a.bank, Network: a.network, Device: a.device, Report: a.report, Payouts: &a.share}
	a.storage = storage.Keeper{Bank: a.bank, Network: a.network, Device: a.device}
	a.compute = compute.Keeper{Bank: a.bank, Network: a.network, Device: a.device}
	a.vpp = vpp.Keeper{Bank: a.bank, Network: a.network, Device: a.device}
	a.report.Vpp = &a.vpp // members' accepted reports are metered for their pool

	// When a network's epoch ends, in this order: lease rent, then the
	// epoch's rewards are queued, then agreements start paying, then
	// storage audits are judged and the storage epoch pass starts.
	a.network.Hooks = []network.EpochHook{&a.share, &a.reward, &a.agreement, &a.storage}

	// Every block, per network, after x/network's epoch step (which runs
	// first, for frozen networks too), every network before the next step.
	a.steps = []networkStep{
		each(stepRewards, func(c state.Context, id string) error { return a.reward.BeginNetwork(c, id) }),
		{name: stepAgreements, start: func() func(state.Context, string) error {
			budget := a.agreement.Budget() // shared by every network of the block
			return func(c state.Context, id string) error { return a.agreement.BeginNetwork(c, id, &budget) }
		}},
		{name: stepStorage, start: func() func(state.Context, string) error {
			budget := a.storage.Budget() // shared by every network of the block
			return func(c state.Context, id string) error { return a.storage.BeginNetwork(c, id, &budget) }
		}},
		each(stepMarket, func(c state.Context, id string) error { return a.market.BeginNetwork(c, id) }),
		{name: stepCompute, start: func() func(state.Context, string) error {
			budget := a.compute.Budget() // shared by every network of the block
			return func(c state.Context, id string) error { return a.compute.BeginNetwork(c, id, &budget) }
		}},
		{name: stepVpp, start: func() func(state.Context, string) error {
			budget := a.vpp.Budget() // shared by every network of the block
			return func(c state.Context, id string) error { return a.vpp.BeginNetwork(c, id, &budget) }
		}},
	}
}
