package app

import (
	"context"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/depinhq/depin/crypto"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/bank"
	"github.com/depinhq/depin/x/device"
	"github.com/depinhq/depin/x/network"
	"github.com/depinhq/depin/x/reward"
)

// TestRewardsEndToEnd: devices work in an epoch; the first block of the
// next epoch rewards it (values computed by hand below); the owner claims;
// bad claims change nothing but the fee.
func TestRewardsEndToEnd(t *testing.T) {
	params := solarParams()
	params.Rewards = network.DefaultRewards(1_000_000) // 70% work, 20% availability, 10% treasury
	params.Rewards.Geo = nil                           // geography has its own tests
	w := newWorldWith(t, store.NewMemTree(), params)
	c := w.c
	a := w.register("a", 5000)
	b := w.register("b", 5000)
	bob := newTestKey("bob")
	c.mustBlock(c.tx(w.owner, &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: w.owner.addr.Bytes(), To: bob.addr.Bytes(), Amount: []*bankv1.Coin{bank.Coin("udpin", 1_000_000_000)}}}}))
	n := network.Keeper{}.Network(c.snapshot(), "solar")
	e := network.EpochAt(n, c.time.Unix()+1)
	now := c.time.Unix() + 1
	if network.EpochAt(n, now-600) != e {
		t.Fatal("test setup: the reports would straddle an epoch boundary")
	}
	// a: 2 reports, 350 Wh over 300 s; b: 1 report, 200 Wh over 600 s.
	w.batch(w.report("a", 1, now-300, now-200, 100), w.report("a", 2, now-200, now, 250), w.report("b", 1, now-600, now, 200))

	// Jump to the next epoch: its first block rewards epoch e.
	c.time = time.Unix(network.EpochStart(n, e+1), 0).UTC()
	c.block()
	k := reward.Keeper{}
	r := c.snapshot()
	// By hand: reputation stays 1 (α₀ = 1000 is λ's fixed point with all
	// reports accepted, β = 0). Uptime a = 300/3600 → 83,333 ppm, b =
	// 600/3600 → 166,666 ppm. Availability weights 833,330,000 and
	// 1,666,660,000; work weights 350 × 833,330,000 and 200 × 1,666,660,000,
	// i.e. 7/15 and 8/15 of the total: the work pool (700,000) splits
	// 326,666.67 / 373,333.33 → 326,666 / 373,333; the availability pool
	// (200,000) 66,666.67 / 133,333.33 → 66,666 / 133,333. Dust 2 → treasury.
	for _, tc := range []struct {
		id                crypto.DeviceID
		prod, up          uint64
		work, avail, dist uint64
	}{{a, 350, 83_333, 326_666, 66_666, 393_332}, {b, 200, 166_666, 373_333, 133_333, 506_666}} {
		bd := k.Breakdown(r, "solar", e, tc.id)
		if bd == nil {
			t.Fatalf("no breakdown for %s", crypto.DeviceString(tc.id))
		}
		if bd.Productivity != tc.prod || uint64(bd.UptimePpm) != tc.up || bd.ReputationPpm != 1_000_000 || bd.GeoPpm != 1_000_000 ||
			bd.WorkReward != tc.work || bd.AvailabilityReward != tc.avail || bd.Reward != tc.dist || bd.Devices != 2 || bd.Emission != 1_000_000 {
			t.Errorf("breakdown %v", bd)
		}
		if got := k.Unclaimed(r, tc.id); got != tc.dist {
			t.Errorf("unclaimed %d, want %d", got, tc.dist)
		}
	}
	st := k.State(r, "solar")
	if st.Minted != 1_000_000 || st.Unclaimed != 899_998 || st.Treasury != 100_002 || st.Claimed != 0 {
		t.Fatalf("state %v", st)
	}
	if got := c.balance(network.TreasuryAddress("solar"), "usolar"); got != 100_002 {
		t.Fatalf("treasury %d", got)
	}

	claim := func(who testKey, dev []byte) *claimResult {
		res := c.block(c.tx(who, &txv1.Msg{Sum: &txv1.Msg_ClaimRewards{ClaimRewards: &rewardv1.MsgClaimRewards{Owner: who.addr.Bytes(), Device: dev}}}))[0]
		return &claimResult{res.Code, res.Codespace, res.Log}
	}
	// Bob claims alice's device: refused (the one "not the device owner"
	// every module answers), nothing moves.
	if res := claim(bob, a[:]); res.code != device.ErrNotDeviceOwner.Code || res.space != device.ErrNotDeviceOwner.Codespace {
		t.Fatalf("claiming another's device: %+v", res)
	}
	if res := claim(bob, nil); res.code != reward.ErrNothingToClaim.Code {
		t.Fatalf("claiming with no devices: %+v", res)
	}
	if got := k.Unclaimed(c.snapshot(), a); got != 393_332 {
		t.Fatalf("unclaimed after a refused claim: %d", got)
	}
	// Alice claims one device, then the rest.
	if res := claim(w.owner, a[:]); res.code != 0 {
		t.Fatalf("claim: %+v", res)
	}
	if got := c.balance(w.owner.addr, "usolar"); got != 393_332 {
		t.Fatalf("alice has %d usolar after claiming a", got)
	}
	if res := claim(w.owner, nil); res.code != 0 {
		t.Fatalf("claim all: %+v", res)
	}
	if got := c.balance(w.owner.addr, "usolar"); got != 899_998 {
		t.Fatalf("alice has %d usolar", got)
	}
	if res := claim(w.owner, nil); res.code != reward.ErrNothingToClaim.Code {
		t.Fatalf("second claim: %+v", res)
	}
	st = k.State(c.snapshot(), "solar")
	if st.Claimed != 899_998 || st.Unclaimed != 0 || st.Minted != st.Claimed+st.Treasury+st.Unclaimed {
		t.Fatalf("state after claims %v", st)
	}
}

type claimResult struct {
	code  uint32
	space string
	log   string
}

// TestRewardJobSpreadsOverBlocks: with a budget of 2 devices per block an
// epoch's rewards take several blocks (the books balance after every one:
// AfterCommit checks the invariants) and end exactly where a single-block
// run ends.
func TestRewardJobSpreadsOverBlocks(t *testing.T) {
	run := func(budget int) (map[crypto.DeviceID]uint64, *rewardv1.State, int) {
		params := solarParams()
		params.Rewards = network.DefaultRewards(1_000_000)
		w := newWorldWith(t, store.NewMemTree(), params)
		c := w.c
		names := []string{"a", "b", "c", "d", "e"}
		ids := map[string]crypto.DeviceID{}
		for _, nm := range names {
			ids[nm] = w.register(nm, 5000)
		}
		n := network.Keeper{}.Network(c.snapshot(), "solar")
		now := c.time.Unix() + 1
		e := network.EpochAt(n, now)
		var reports []*reportv1.SignedReport
		for i, nm := range names {
			reports = append(reports, w.report(nm, 1, now-int64(100*(i+1)), now, uint64(10*(i+1))))
		}
		w.batch(reports...)
		c.app.reward.BlockBudget = budget
		c.time = time.Unix(network.EpochStart(n, e+1), 0).UTC()
		blocks := 0
		for {
			c.block()
			blocks++
			if c.snapshot().Get(reward.JobKey("solar")) == nil {
				break
			}
			if blocks > 20 {
				t.Fatal("job never finished")
			}
		}
		out := map[crypto.DeviceID]uint64{}
		for _, id := range ids {
			out[id] = reward.Keeper{}.Unclaimed(c.snapshot(), id)
		}
		return out, reward.Keeper{}.State(c.snapshot(), "solar"), blocks
	}
	one, st1, b1 := run(10_000)
	spread, st2, b2 := run(2)
	if b1 != 1 || b2 < 4 {
		t.Fatalf("blocks: %d with a large budget, %d with 2 per block", b1, b2)
	}
	for id, v := range one {
		if spread[id] != v || v == 0 {
			t.Errorf("device %x: %d in one block, %d spread", id, v, spread[id])
		}
	}
	if st1.Minted != st2.Minted || st1.Treasury != st2.Treasury || st1.Unclaimed != st2.Unclaimed || st2.Pending != 0 {
		t.Fatalf("states differ: %v vs %v", st1, st2)
	}
}

// TestBlockEventsReported: what the block-level phases do (here: minting
// an epoch's rewards) appears in FinalizeBlock's events, so indexers see it.
func TestBlockEventsReported(t *testing.T) {
	params := solarParams()
	params.Rewards = network.DefaultRewards(1_000_000)
	params.Rewards.Geo = nil
	w := newWorldWith(t, store.NewMemTree(), params)
	c := w.c
	w.register("a", 5000)
	n := network.Keeper{}.Network(c.snapshot(), "solar")
	now := c.time.Unix() + 1
	e := network.EpochAt(n, now)
	w.batch(w.report("a", 1, now-100, now, 100))
	c.height++
	c.time = time.Unix(network.EpochStart(n, e+1), 0).UTC()
	res, err := c.app.FinalizeBlock(context.Background(), &abci.FinalizeBlockRequest{Height: c.height, Time: c.time})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.app.Commit(context.Background(), &abci.CommitRequest{}); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, ev := range res.Events {
		seen[ev.Type] = true
	}
	for _, want := range []string{"depin.bank.v1.EventMint", "depin.reward.v1.EventEpochRewarded", "depin.reward.v1.EventDeviceRewarded"} {
		if !seen[want] {
			t.Errorf("block events lack %s (have %v)", want, seen)
		}
	}
}
