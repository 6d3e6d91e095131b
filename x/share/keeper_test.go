package share

import (
	"crypto/sha256"
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/depinhq/depin/crypto"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/bank"
)

func addr(name string) crypto.Address {
	h := sha256.Sum256([]byte(name))
	a, _ := crypto.AddressFromBytes(h[:20])
	return a
}

type rig struct {
	t      *testing.T
	ctx    state.Context
	bank   bank.Keeper
	shares Keeper
	dev    crypto.DeviceID
	denom  string
}

func newRig(t *testing.T, total uint64, owner crypto.Address) *rig {
	ctx := state.Context{KV: store.NewCache(store.NewMemTree()), Events: &state.Events{}}
	r := &rig{t: t, ctx: ctx, shares: Keeper{}, dev: addr("device")}
	r.bank = bank.Keeper{Hook: Hook{Shares: r.shares}}
	r.denom = Denom(r.dev)
	if err := r.bank.RegisterDenom(ctx.KV, &bankv1.DenomMetadata{Base: r.denom, Display: r.denom}); err != nil {
		t.Fatal(err)
	}
	r.shares.Open(ctx.KV, r.dev, total)
	if err := r.bank.Mint(ctx, owner, []*bankv1.Coin{bank.Coin(r.denom, total)}, "tokenize"); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) send(from, to crypto.Address, n uint64) error {
	return r.bank.Send(r.ctx, from, to, []*bankv1.Coin{bank.Coin(r.denom, n)}, "test")
}

// TestRewardPerShareTable walks a fixed sequence by hand: 100 shares,
// alice gives bob 30, a reward of 1000, bob gives carol 10, a reward of
// 500, claims.
func TestRewardPerShareTable(t *testing.T) {
	alice, bob, carol := addr("alice"), addr("bob"), addr("carol")
	r := newRig(t, 100, alice)
	steps := []struct {
		do   func() error
		want map[crypto.Address]uint64 // pending after the step
	}{
		{func() error { return r.send(alice, bob, 30) }, map[crypto.Address]uint64{alice: 0, bob: 0}},
		// 1000 over 70/30.
		{func() error { r.shares.AddReward(r.ctx.KV, r.dev, 1000); return nil }, map[crypto.Address]uint64{alice: 700, bob: 300}},
		// The transfer settles bob first: his 300 stay his.
		{func() error { return r.send(bob, carol, 10) }, map[crypto.Address]uint64{alice: 700, bob: 300, carol: 0}},
		// 500 over 70/20/10.
		{func() error { r.shares.AddReward(r.ctx.KV, r.dev, 500); return nil }, map[crypto.Address]uint64{alice: 1050, bob: 400, carol: 50}},
		{func() error {
			if got := r.shares.TakeOwed(r.ctx.KV, r.bank, r.dev, bob); got != 400 {
				return fmt.Errorf("bob claimed %d, want 400", got)
			}
			return nil
		}, map[crypto.Address]uint64{alice: 1050, bob: 0, carol: 50}},
		// Transferring more than held fails and changes nothing.
		{func() error {
			if err := r.send(carol, alice, 11); err == nil {
				return fmt.Errorf("carol sent 11 of 10 shares")
			}
			return nil
		}, map[crypto.Address]uint64{alice: 1050, bob: 0, carol: 50}},
		// 1 unit over 100 shares: nobody's share reaches a unit yet; it is
		// carried, not lost: with 99 more, each gets its exact part.
		{func() error { r.shares.AddReward(r.ctx.KV, r.dev, 1); return nil }, map[crypto.Address]uint64{alice: 1050, bob: 0, carol: 50}},
		{func() error { r.shares.AddReward(r.ctx.KV, r.dev, 99); return nil }, map[crypto.Address]uint64{alice: 1120, bob: 20, carol: 60}},
	}
	for i, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		for who, want := range s.want {
			if got := r.shares.Pending(r.ctx.KV, r.bank, r.dev, who); got != want {
				t.Errorf("step %d: pending %d, want %d", i, got, want)
			}
		}
	}
}

// TestRewardPerShareAgainstModel: random sequences of rewards, transfers
// and claims against a brute-force model that splits every reward exactly
// (rationals). Each holder's claimed + pending is the model's amount
// rounded down, give or take one unit per settlement, and never more in
// total than was rewarded: dust stays, nothing is created.
func TestRewardPerShareAgainstModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	holders := []crypto.Address{addr("h0"), addr("h1"), addr("h2"), addr("h3")}
	for round := 0; round < 200; round++ {
		total := 1 + rng.Uint64N(1_000_000)
		r := newRig(t, total, holders[0])
		model := make([]*big.Rat, len(holders))
		claimed := make([]uint64, len(holders))
		settles := make([]uint64, len(holders))
		for i := range model {
			model[i] = new(big.Rat)
		}
		var rewarded uint64
		for step := 0; step < 60; step++ {
			switch rng.IntN(3) {
			case 0:
				amt := rng.Uint64N(1_000_000_000)
				r.shares.AddReward(r.ctx.KV, r.dev, amt)
				rewarded += amt
				for i, h := range holders {
					bal := r.bank.Balance(r.ctx.KV, h, r.denom)
					model[i].Add(model[i], new(big.Rat).SetFrac(new(big.Int).Mul(new(big.Int).SetUint64(amt), new(big.Int).SetUint64(bal)), new(big.Int).SetUint64(total)))
				}
			case 1:
				from, to := rng.IntN(len(holders)), rng.IntN(len(holders))
				bal := r.bank.Balance(r.ctx.KV, holders[from], r.denom)
				if from == to || bal == 0 {
					continue
				}
				if err := r.send(holders[from], holders[to], 1+rng.Uint64N(bal)); err != nil {
					t.Fatal(err)
				}
				settles[from]++
				settles[to]++
			case 2:
				i := rng.IntN(len(holders))
				claimed[i] += r.shares.TakeOwed(r.ctx.KV, r.bank, r.dev, holders[i])
				settles[i]++
			}
		}
		var paid uint64
		for i, h := range holders {
			got := claimed[i] + r.shares.Pending(r.ctx.KV, r.bank, r.dev, h)
			paid += got
			exact := new(big.Int).Quo(model[i].Num(), model[i].Denom()) // floor
			diff := new(big.Int).Sub(exact, new(big.Int).SetUint64(got))
			if diff.Sign() < 0 || diff.Cmp(new(big.Int).SetUint64(settles[i]+1)) > 0 {
				t.Fatalf("round %d holder %d: got %d, model %s (settled %d times)", round, i, got, model[i].FloatString(3), settles[i])
			}
		}
		if paid > rewarded {
			t.Fatalf("round %d: holders got %d of %d rewarded", round, paid, rewarded)
		}
	}
}
