package bank

import (
	"errors"
	"math"
	"testing"

	"github.com/depinhq/depin/crypto"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/store"
)

func testCtx() state.Context {
	return state.Context{KV: store.NewCache(store.NewMemTree()), Events: &state.Events{}}
}

func TestMintSendAndInvariant(t *testing.T) {
	k := Keeper{}
	ctx := testCtx()
	k.SetParams(ctx.KV, DefaultParams())
	a, b := crypto.ModuleAddress("a"), crypto.ModuleAddress("b")
	if err := k.Mint(ctx, a, []*bankv1.Coin{Coin(NativeDenom, 100)}, "test"); err != nil {
		t.Fatal(err)
	}
	if err := k.Send(ctx, a, b, []*bankv1.Coin{Coin(NativeDenom, 100)}, "test"); err != nil {
		t.Fatal(err)
	}
	if k.Balance(ctx.KV, a, NativeDenom) != 0 || k.Balance(ctx.KV, b, NativeDenom) != 100 {
		t.Fatal("wrong balances")
	}
	// A fully spent balance is deleted, not stored as zero.
	if ctx.KV.Get(BalanceKey(a, NativeDenom)) != nil {
		t.Fatal("zero balance stored")
	}
	if err := k.CheckInvariant(ctx.KV); err != nil {
		t.Fatal(err)
	}
	// Minting past 2^64-1 fails and changes nothing.
	err := k.Mint(ctx, a, []*bankv1.Coin{Coin(NativeDenom, math.MaxUint64)}, "test")
	if !errors.Is(err, ErrSupplyOverflow) || k.Supply(ctx.KV, NativeDenom) != 100 {
		t.Fatalf("overflowing mint: %v, supply %d", err, k.Supply(ctx.KV, NativeDenom))
	}
	// Unregistered denoms are refused until registered.
	if err := k.Mint(ctx, a, []*bankv1.Coin{Coin("usolar", 5)}, "test"); !errors.Is(err, ErrUnknownDenom) {
		t.Fatalf("unknown denom: %v", err)
	}
	if err := k.RegisterDenom(ctx.KV, &bankv1.DenomMetadata{Base: "usolar", Display: "SOLAR", Exponent: 6}); err != nil {
		t.Fatal(err)
	}
	if err := k.Mint(ctx, a, []*bankv1.Coin{Coin("usolar", 5)}, "test"); err != nil {
		t.Fatal(err)
	}
	if got := k.Balances(ctx.KV, a); len(got) != 1 || got[0].Denom != "usolar" {
		t.Fatalf("balances %v", got)
	}
	// The invariant check catches a balance written behind bank's back.
	state.SetAmount(ctx.KV, BalanceKey(b, NativeDenom), 101)
	if err := k.CheckInvariant(ctx.KV); err == nil {
		t.Fatal("broken invariant not detected")
	}
}

func TestValidateGenesis(t *testing.T) {
	addr := crypto.ModuleAddress("x").String()
	ok := &bankv1.GenesisState{Params: DefaultParams(), Balances: []*bankv1.Balance{{Address: addr, Coins: []*bankv1.Coin{Coin(NativeDenom, 1)}}}}
	if err := ValidateGenesis(ok); err != nil {
		t.Fatal(err)
	}
	for name, g := range map[string]*bankv1.GenesisState{
		"no params":     {Balances: ok.Balances},
		"bad address":   {Params: DefaultParams(), Balances: []*bankv1.Balance{{Address: "nope", Coins: ok.Balances[0].Coins}}},
		"duplicate":     {Params: DefaultParams(), Balances: []*bankv1.Balance{ok.Balances[0], ok.Balances[0]}},
		"unknown denom": {Params: DefaultParams(), Balances: []*bankv1.Balance{{Address: addr, Coins: []*bankv1.Coin{Coin("ufoo", 1)}}}},
		"overflow": {Params: DefaultParams(), Balances: []*bankv1.Balance{
			{Address: addr, Coins: []*bankv1.Coin{Coin(NativeDenom, math.MaxUint64)}},
			{Address: crypto.ModuleAddress("y").String(), Coins: []*bankv1.Coin{Coin(NativeDenom, 1)}},
		}},
	} {
		if err := ValidateGenesis(g); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestCheckEscrow: an escrow must hold what its records say in every
// denom, and nothing they do not name.
func TestCheckEscrow(t *testing.T) {
	k := Keeper{}
	ctx := testCtx()
	k.SetParams(ctx.KV, DefaultParams())
	if err := k.RegisterDenom(ctx.KV, &bankv1.DenomMetadata{Base: "usolar"}); err != nil {
		t.Fatal(err)
	}
	esc := crypto.ModuleAddress("escrow")
	if err := k.Mint(ctx, esc, []*bankv1.Coin{Coin("udpin", 5), Coin("usolar", 7)}, "test"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		held map[string]uint64
		err  string
	}{
		{map[string]uint64{"udpin": 5, "usolar": 7}, ""},
		{map[string]uint64{"udpin": 5, "usolar": 7, "ufoo": 0}, ""},
		{map[string]uint64{"udpin": 5, "usolar": 6}, "orders invariant: escrow holds 7 usolar, orders 6"},
		{map[string]uint64{"udpin": 5}, "orders invariant: escrow holds 7 usolar, orders 0"},
		{map[string]uint64{"udpin": 5, "usolar": 7, "ufoo": 1}, "orders invariant: escrow holds 0 ufoo, orders 1"},
	} {
		err := k.CheckEscrow(ctx.KV, esc, tc.held, "orders", "orders")
		if (err == nil) != (tc.err == "") || (err != nil && err.Error() != tc.err) {
			t.Errorf("%v: %v, want %q", tc.held, err, tc.err)
		}
	}
}
