package bank

import (
	"fmt"
	"sort"
	"strings"

	"github.com/depinhq/depin/crypto"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/x/fixed"
)

// DefaultParams registers the native token.
func DefaultParams() *bankv1.Params {
	return &bankv1.Params{Denoms: []*bankv1.DenomMetadata{{Base: NativeDenom, Display: NativeDisplay, Exponent: NativeExponent}}}
}

// ValidateGenesis checks a genesis state without applying it.
func ValidateGenesis(g *bankv1.GenesisState) error {
	if g.Params == nil {
		return fmt.Errorf("bank genesis: params missing")
	}
	known := map[string]bool{}
	for _, d := range g.Params.Denoms {
		if err := ValidateDenom(d.GetBase()); err != nil {
			return fmt.Errorf("bank genesis: %w", err)
		}
		if known[d.Base] {
			return fmt.Errorf("bank genesis: denom %s listed twice", d.Base)
		}
		if strings.HasPrefix(d.Base, ShareDenomPrefix) {
			return fmt.Errorf("bank genesis: %w: %s (device shares are created by tokenizing a device)", ErrReservedDenom, d.Base)
		}
		known[d.Base] = true
	}
	seen := map[string]bool{}
	totals := map[string]uint64{}
	for _, b := range g.Balances {
		if _, err := crypto.ParseAddress(b.GetAddress()); err != nil {
			return fmt.Errorf("bank genesis: %w", err)
		}
		if seen[b.Address] {
			return fmt.Errorf("bank genesis: %s listed twice", b.Address)
		}
		seen[b.Address] = true
		if err := ValidateCoins(b.Coins); err != nil {
			return fmt.Errorf("bank genesis: %s: %w", b.Address, err)
		}
		for _, c := range b.Coins {
			if !known[c.Denom] {
				return fmt.Errorf("bank genesis: %s: %w: %s", b.Address, ErrUnknownDenom, c.Denom)
			}
			t, ok := fixed.Add(totals[c.Denom], c.Amount)
			if !ok {
				return fmt.Errorf("bank genesis: %w: %s", ErrSupplyOverflow, c.Denom)
			}
			totals[c.Denom] = t
		}
	}
	return nil
}

// InitGenesis writes the genesis state.
func (k Keeper) InitGenesis(ctx state.Context, g *bankv1.GenesisState) error {
	if err := ValidateGenesis(g); err != nil {
		return err
	}
	params := &bankv1.Params{Denoms: append([]*bankv1.DenomMetadata(nil), g.Params.Denoms...)}
	sort.Slice(params.Denoms, func(i, j int) bool { return params.Denoms[i].Base < params.Denoms[j].Base })
	k.SetParams(ctx.KV, params)
	for _, b := range g.Balances {
		addr, _ := crypto.ParseAddress(b.Address) // validated
		if err := k.Mint(ctx, addr, b.Coins, "genesis"); err != nil {
			return err
		}
	}
	return nil
}
