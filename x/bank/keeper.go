package bank

import (
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/depinhq/depin/crypto"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/fixed"
)

// Keeper reads and changes balances and supply. It is stateless: all state
// is in the Context's KV.
type Keeper struct {
	// Hook, if set, is told before any balance changes (x/share settles
	// share holders' rewards there).
	Hook BalanceHook
	// Escrows are module accounts whose balance must equal what their
	// module's records say (escrows, pools): MsgSend cannot pay them, so
	// no third party can unbalance a module's books with a donation.
	Escrows map[crypto.Address]bool
}

// BalanceHook is called before addr's balance of denom changes.
type BalanceHook interface {
	BeforeBalanceChange(ctx state.Context, addr crypto.Address, denom string)
}

func (k Keeper) before(ctx state.Context, denom string, addrs ...crypto.Address) {
	if k.Hook == nil {
		return
	}
	for _, a := range addrs {
		k.Hook.BeforeBalanceChange(ctx, a, denom)
	}
}

// amount reads a balance or supply (absent: 0).
func amount(r store.Reader, key []byte) uint64 {
	v, _ := state.Uint64(r, key)
	return v
}

// Balance returns addr's balance of denom.
func (Keeper) Balance(r store.Reader, addr crypto.Address, denom string) uint64 {
	return amount(r, BalanceKey(addr, denom))
}

// Balances returns all of addr's non-zero balances, sorted by denom.
func (Keeper) Balances(r store.Reader, addr crypto.Address) []*bankv1.Coin {
	prefix := AccountBalancesPrefix(addr)
	var out []*bankv1.Coin
	for k, v := range store.Prefix(r, prefix) {
		out = append(out, Coin(string(k[len(prefix):]), binary.BigEndian.Uint64(v)))
	}
	return out
}

// Supply returns the total supply of denom.
func (Keeper) Supply(r store.Reader, denom string) uint64 {
	return amount(r, SupplyKey(denom))
}

// Params returns the module parameters: every registered denom, in order.
// (Each denom is stored under its own key, so that checking one — every
// transfer does — reads one small record however many tokens exist.)
func (Keeper) Params(r store.Reader) *bankv1.Params {
	p := &bankv1.Params{}
	for _, md := range state.Records[bankv1.DenomMetadata](r, DenomPrefix) {
		p.Denoms = append(p.Denoms, md)
	}
	return p
}

// SetParams registers every denom of p.
func (k Keeper) SetParams(kv store.KV, p *bankv1.Params) {
	for _, md := range p.Denoms {
		kv.Set(DenomKey(md.Base), state.Marshal(md))
	}
}

// KnownDenom reports whether denom is registered.
func (Keeper) KnownDenom(r store.Reader, denom string) bool {
	return r.Get(DenomKey(denom)) != nil
}

// CreateDenom adds a new denom to the registry, or fails if it exists:
// what a module calls when it creates a token, so two creators can never
// share one.
func (k Keeper) CreateDenom(kv store.KV, md *bankv1.DenomMetadata) error {
	if k.KnownDenom(kv, md.Base) {
		return fmt.Errorf("%w: %s", ErrDenomExists, md.Base)
	}
	return k.RegisterDenom(kv, md)
}

// RegisterDenom adds a denom to the registry (idempotent). Modules that
// create tokens call it.
func (k Keeper) RegisterDenom(kv store.KV, md *bankv1.DenomMetadata) error {
	if err := ValidateDenom(md.Base); err != nil {
		return err
	}
	if k.KnownDenom(kv, md.Base) {
		return nil
	}
	kv.Set(DenomKey(md.Base), state.Marshal(md))
	return nil
}

// Send moves coins from one account to another, or changes nothing and
// returns an error. reason is recorded in the transfer event.
func (k Keeper) Send(ctx state.Context, from, to crypto.Address, coins []*bankv1.Coin, reason string) error {
	if err := ValidateCoins(coins); err != nil {
		return err
	}
	if from == to {
		return fmt.Errorf("%w: %s", ErrSelfSend, from)
	}
	// Check everything first so a failure leaves state untouched.
	for _, c := range coins {
		if !k.KnownDenom(ctx.KV, c.Denom) {
			return fmt.Errorf("%w: %s", ErrUnknownDenom, c.Denom)
		}
		if have := k.Balance(ctx.KV, from, c.Denom); have < c.Amount {
			return fmt.Errorf("%w: %s has %d%s, needs %d%s", ErrInsufficientFunds, from, have, c.Denom, c.Amount, c.Denom)
		}
		// A recipient balance can never overflow: it is bounded by supply.
	}
	for _, c := range coins {
		k.before(ctx, c.Denom, from, to)
		fk, tk := BalanceKey(from, c.Denom), BalanceKey(to, c.Denom)
		state.SetAmount(ctx.KV, fk, amount(ctx.KV, fk)-c.Amount)
		nt, ok := fixed.Add(amount(ctx.KV, tk), c.Amount)
		if !ok {
			panic("bank: balance exceeds supply") // invariant broken
		}
		state.SetAmount(ctx.KV, tk, nt)
	}
	ctx.Emit(&bankv1.EventTransfer{From: from.String(), To: to.String(), Amount: coins, Reason: reason})
	return nil
}

// Burn destroys coins held by from, shrinking supply, or changes nothing
// and returns an error.
func (k Keeper) Burn(ctx state.Context, from crypto.Address, coins []*bankv1.Coin, reason string) error {
	if err := ValidateCoins(coins); err != nil {
		return err
	}
	for _, c := range coins {
		if have := k.Balance(ctx.KV, from, c.Denom); have < c.Amount {
			return fmt.Errorf("%w: %s has %d%s, burning %d%s", ErrInsufficientFunds, from, have, c.Denom, c.Amount, c.Denom)
		}
	}
	for _, c := range coins {
		k.before(ctx, c.Denom, from)
		sk, bk := SupplyKey(c.Denom), BalanceKey(from, c.Denom)
		state.SetAmount(ctx.KV, bk, amount(ctx.KV, bk)-c.Amount)
		state.SetAmount(ctx.KV, sk, amount(ctx.KV, sk)-c.Amount) // supply ≥ any balance
	}
	ctx.Emit(&bankv1.EventBurn{From: from.String(), Amount: coins, Reason: reason})
	return nil
}

// Mint creates coins in to's account, growing supply.
func (k Keeper) Mint(ctx state.Context, to crypto.Address, coins []*bankv1.Coin, reason string) error {
	if err := ValidateCoins(coins); err != nil {
		return err
	}
	for _, c := range coins {
		if !k.KnownDenom(ctx.KV, c.Denom) {
			return fmt.Errorf("%w: %s", ErrUnknownDenom, c.Denom)
		}
		if _, ok := fixed.Add(k.Supply(ctx.KV, c.Denom), c.Amount); !ok {
			return fmt.Errorf("%w: %s", ErrSupplyOverflow, c.Denom)
		}
	}
	for _, c := range coins {
		k.before(ctx, c.Denom, to)
		sk, bk := SupplyKey(c.Denom), BalanceKey(to, c.Denom)
		state.SetAmount(ctx.KV, sk, amount(ctx.KV, sk)+c.Amount)
		state.SetAmount(ctx.KV, bk, amount(ctx.KV, bk)+c.Amount) // ≤ supply
	}
	ctx.Emit(&bankv1.EventMint{To: to.String(), Amount: coins, Reason: reason})
	return nil
}

// CheckInvariant verifies that, for every denom, the balances sum to the
// supply, and that no zero balance or supply is stored. Tests run it after
// every block.
func (k Keeper) CheckInvariant(r store.Reader) error {
	sums := map[string]fixed.U128{}
	for key, v := range store.Prefix(r, BalancePrefix) {
		if len(key) < len(BalancePrefix)+crypto.AddressLen+1 || len(v) != 8 {
			return fmt.Errorf("malformed balance entry %x", key)
		}
		denom := string(key[len(BalancePrefix)+crypto.AddressLen:])
		amt := binary.BigEndian.Uint64(v)
		if amt == 0 {
			return fmt.Errorf("zero balance stored at %x", key)
		}
		sums[denom], _ = sums[denom].Add(fixed.U128{Lo: amt}) // < 2^128: fewer than 2^64 balances
	}
	supplies := map[string]uint64{}
	for key, v := range store.Prefix(r, SupplyPrefix) {
		supplies[string(key[len(SupplyPrefix):])] = binary.BigEndian.Uint64(v)
	}
	denoms := make([]string, 0, len(sums)+len(supplies))
	for d := range sums {
		denoms = append(denoms, d)
	}
	for d := range supplies {
		if _, ok := sums[d]; !ok {
			denoms = append(denoms, d)
		}
	}
	sort.Strings(denoms)
	for _, d := range denoms {
		if sum := sums[d]; sum != (fixed.U128{Lo: supplies[d]}) {
			return fmt.Errorf("bank invariant broken for %s: balances sum to %s, supply is %d", d, sum, supplies[d])
		}
	}
	return nil
}

// CheckEscrow verifies that a module's escrow account holds exactly what
// its records say, denom by denom, and nothing else: held is the records'
// sum per denom. The invariant of every module that holds others' funds
// (agreements, market bids, leases); the error names the module's
// invariant and what its records are ("open agreements", "orders").
func (k Keeper) CheckEscrow(r store.Reader, escrow crypto.Address, held map[string]uint64, module, records string) error {
	denoms := make([]string, 0, len(held))
	for d := range held {
		denoms = append(denoms, d)
	}
	for _, c := range k.Balances(r, escrow) {
		if _, ok := held[c.Denom]; !ok {
			denoms = append(denoms, c.Denom)
		}
	}
	sort.Strings(denoms)
	for _, d := range denoms {
		if got := k.Balance(r, escrow, d); got != held[d] {
			return fmt.Errorf("%s invariant: escrow holds %d %s, %s %d", module, got, d, records, held[d])
		}
	}
	return nil
}
