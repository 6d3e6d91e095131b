// Package staking secures the chain with bonded udpin: validators bond
// stake (their own and delegators'), their voting power follows it and
// reaches CometBFT as validator updates; double signing (evidence from
// CometBFT) burns a share of the stake and removes the validator for good;
// missing too many blocks jails it until it asks to come back.
package staking

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/depinhq/depin/api/keys"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
	stakingv1 "github.com/depinhq/depin/gen/depin/staking/v1"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/bank"
	"github.com/depinhq/depin/x/fixed"
)

// Pools.
var (
	BondedPool    = crypto.ModuleAddress("bonded")
	UnbondingPool = crypto.ModuleAddress("unbonding")
)

// ConsAddress is CometBFT's address of an ed25519 consensus key.
func ConsAddress(pub []byte) []byte {
	h := sha256.Sum256(pub)
	return h[:20]
}

// DefaultParams: 1 dpin per unit of power, 21-day unbonding, 5% burned
// for double signing, jailed for 10 minutes after signing fewer than half
// of a 100-block window.
func DefaultParams() *stakingv1.Params {
	return &stakingv1.Params{
		UnbondingSeconds: 21 * 24 * 3600, DoubleSignSlashBps: 500,
		SignedWindow: 100, MinSignedBps: 5000, JailSeconds: 600,
		MinSelfBond: 1_000_000, PowerReduction: 1_000_000,
	}
}

// ValidateParams checks staking params.
func ValidateParams(p *stakingv1.Params) error {
	switch {
	case p == nil:
		return fmt.Errorf("staking params missing")
	case p.PowerReduction == 0:
		return fmt.Errorf("staking: power_reduction must be > 0")
	case p.SignedWindow == 0 || p.SignedWindow > 1_000_000:
		return fmt.Errorf("staking: signed_window must be 1..1000000")
	case p.MinSignedBps > fixed.BPS || p.DoubleSignSlashBps > fixed.BPS:
		return fmt.Errorf("staking: bps values must be ≤ 10000")
	case p.UnbondingSeconds > 366*24*3600 || p.JailSeconds > 366*24*3600:
		return fmt.Errorf("staking: durations must be ≤ a year")
	}
	return nil
}

// Keeper manages validators and delegations.
type Keeper struct {
	Bank bank.Keeper
}

// Params returns the staking params.
func (Keeper) Params(r store.Reader) *stakingv1.Params {
	p := &stakingv1.Params{}
	if !state.Get(r, ParamsKey, p) {
		return DefaultParams()
	}
	return p
}

// Validator returns a validator by consensus address, or nil.
func (Keeper) Validator(r store.Reader, cons []byte) *stakingv1.Validator {
	return state.Load[stakingv1.Validator](r, ValidatorKey(cons))
}

func (Keeper) setValidator(kv store.KV, v *stakingv1.Validator) {
	kv.Set(ValidatorKey(v.ConsAddress), state.Marshal(v))
}

// Delegation returns a delegation, or nil.
func (Keeper) Delegation(r store.Reader, delegator crypto.Address, cons []byte) *stakingv1.Delegation {
	return state.Load[stakingv1.Delegation](r, DelegationKey(delegator, cons))
}

// GenesisValidator is a validator of the genesis file.
type GenesisValidator struct {
	PubKey []byte
	Power  int64
}

// InitGenesis stores the params and the genesis validators (their power
// has no tokens behind it).
func (k Keeper) InitGenesis(ctx state.Context, g *stakingv1.GenesisState, vals []GenesisValidator) error {
	p := DefaultParams()
	if g != nil && g.Params != nil {
		p = g.Params
	}
	if err := ValidateParams(p); err != nil {
		return err
	}
	ctx.KV.Set(ParamsKey, state.Marshal(p))
	for _, gv := range vals {
		if len(gv.PubKey) != 32 || gv.Power <= 0 {
			return fmt.Errorf("staking genesis: validator key of %d bytes, power %d", len(gv.PubKey), gv.Power)
		}
		k.setValidator(ctx.KV, &stakingv1.Validator{PubKey: gv.PubKey, ConsAddress: ConsAddress(gv.PubKey), Moniker: "genesis",
			Status: stakingv1.ValidatorStatus_VALIDATOR_STATUS_BONDED, GenesisPower: gv.Power, Power: gv.Power})
	}
	return nil
}

// CreateValidator registers a consensus key bonded with the signer's stake.
func (k Keeper) CreateValidator(ctx state.Context, signer crypto.Address, m *stakingv1.MsgCreateValidator) error {
	if len(m.PubKey) != 32 {
		return fmt.Errorf("%w: consensus key must be a 32-byte ed25519 key", ErrInvalidValidator)
	}
	if len(m.Moniker) > 64 {
		return fmt.Errorf("%w: moniker longer than 64 bytes", ErrInvalidValidator)
	}
	p := k.Params(ctx.KV)
	if m.Amount < p.MinSelfBond || m.Amount < p.PowerReduction {
		return fmt.Errorf("%w: self-bond %d udpin, need at least %d", ErrInvalidAmount, m.Amount, max(p.MinSelfBond, p.PowerReduction))
	}
	cons := ConsAddress(m.PubKey)
	if k.Validator(ctx.KV, cons) != nil {
		return fmt.Errorf("%w: %X", ErrValidatorExists, cons)
	}
	if err := k.Bank.Send(ctx, signer, BondedPool, bank.Coins(bank.NativeDenom, m.Amount), "bond"); err != nil {
		return err
	}
	v := &stakingv1.Validator{Operator: signer.Bytes(), PubKey: m.PubKey, ConsAddress: cons, Moniker: m.Moniker,
		Tokens: m.Amount, Shares: m.Amount, Status: stakingv1.ValidatorStatus_VALIDATOR_STATUS_BONDED}
	k.setValidator(ctx.KV, v)
	ctx.KV.Set(DelegationKey(signer, cons), state.Marshal(&stakingv1.Delegation{Delegator: signer.Bytes(), Validator: cons, Shares: m.Amount}))
	ctx.Emit(&stakingv1.EventValidatorCreated{Validator: hex.EncodeToString(cons), Operator: signer.String(), Moniker: m.Moniker, Amount: m.Amount})
	return nil
}

// Delegate bonds the signer's udpin to a validator.
func (k Keeper) Delegate(ctx state.Context, signer crypto.Address, m *stakingv1.MsgDelegate) error {
	if m.Amount == 0 {
		return fmt.Errorf("%w: 0", ErrInvalidAmount)
	}
	v := k.Validator(ctx.KV, m.Validator)
	if v == nil {
		return fmt.Errorf("%w: %X", ErrNoValidator, m.Validator)
	}
	if v.Status == stakingv1.ValidatorStatus_VALIDATOR_STATUS_TOMBSTONED {
		return ErrTombstoned
	}
	shares := m.Amount
	if v.Tokens > 0 {
		s, ok := fixed.MulDiv(m.Amount, v.Shares, v.Tokens)
		if !ok || s == 0 {
			return fmt.Errorf("%w: %d udpin buys no shares", ErrInvalidAmount, m.Amount)
		}
		shares = s
	}
	nt, ok1 := fixed.Add(v.Tokens, m.Amount)
	ns, ok2 := fixed.Add(v.Shares, shares)
	if !ok1 || !ok2 {
		return fmt.Errorf("%w: overflow", ErrInvalidAmount)
	}
	if err := k.Bank.Send(ctx, signer, BondedPool, bank.Coins(bank.NativeDenom, m.Amount), "bond"); err != nil {
		return err
	}
	v.Tokens, v.Shares = nt, ns
	k.setValidator(ctx.KV, v)
	d := k.Delegation(ctx.KV, signer, m.Validator)
	if d == nil {
		d = &stakingv1.Delegation{Delegator: signer.Bytes(), Validator: m.Validator}
	}
	d.Shares += shares // ≤ v.Shares: no overflow
	ctx.KV.Set(DelegationKey(signer, m.Validator), state.Marshal(d))
	ctx.Emit(&stakingv1.EventDelegated{Delegator: signer.String(), Validator: hex.EncodeToString(m.Validator), Amount: m.Amount, Shares: shares})
	return nil
}

// Unbond starts returning amount udpin of the signer's delegation; the
// tokens come back after the unbonding period.
func (k Keeper) Unbond(ctx state.Context, signer crypto.Address, m *stakingv1.MsgUnbond) error {
	if m.Amount == 0 {
		return fmt.Errorf("%w: 0", ErrInvalidAmount)
	}
	v := k.Validator(ctx.KV, m.Validator)
	d := k.Delegation(ctx.KV, signer, m.Validator)
	if v == nil || d == nil || v.Tokens == 0 {
		return fmt.Errorf("%w: no delegation to %X", ErrNotDelegated, m.Validator)
	}
	// Shares needed for amount, rounded up so nobody unbonds more than owned.
	shares, ok := fixed.MulDivCeil(m.Amount, v.Shares, v.Tokens)
	if !ok {
		return fmt.Errorf("%w: %d udpin", ErrNotDelegated, m.Amount)
	}
	if shares > d.Shares || m.Amount > v.Tokens {
		owned, _ := fixed.MulDiv(d.Shares, v.Tokens, v.Shares)
		return fmt.Errorf("%w: %d udpin asked, %d bonded", ErrNotDelegated, m.Amount, owned)
	}
	if err := k.Bank.Send(ctx, BondedPool, UnbondingPool, bank.Coins(bank.NativeDenom, m.Amount), "unbond"); err != nil {
		return err
	}
	v.Tokens -= m.Amount
	v.Shares -= shares
	k.setValidator(ctx.KV, v)
	d.Shares -= shares
	if d.Shares == 0 {
		ctx.KV.Delete(DelegationKey(signer, m.Validator))
	} else {
		ctx.KV.Set(DelegationKey(signer, m.Validator), state.Marshal(d))
	}
	done := ctx.Time.Unix() + int64(k.Params(ctx.KV).UnbondingSeconds)
	ctx.KV.Set(unbondKey(done, k.nextSeq(ctx.KV)), state.Marshal(&stakingv1.Unbonding{Delegator: signer.Bytes(), Validator: m.Validator, Amount: m.Amount, CompleteTime: done}))
	ctx.Emit(&stakingv1.EventUnbonding{Delegator: signer.String(), Validator: hex.EncodeToString(m.Validator), Amount: m.Amount, CompleteTime: done})
	return nil
}

// unbondKey is where the seq-th unbonding, completing at time done, waits.
func unbondKey(done int64, seq uint64) []byte {
	return keys.New(UnbondPrefix).U64(uint64(done)).U64(seq)
}

// unbondsAfter is the first unbonding key completing after time t: the
// keys before it are the unbondings due at t.
func unbondsAfter(t int64) []byte { return keys.New(UnbondPrefix).U64(uint64(t) + 1) }

// nextSeq numbers unbondings from 0.
func (Keeper) nextSeq(kv store.KV) uint64 { return state.NextSeq(kv, SeqKey) - 1 }

// Unjail lets the operator of a validator jailed for downtime back in
// once its jail time is over.
func (k Keeper) Unjail(ctx state.Context, signer crypto.Address, m *stakingv1.MsgUnjail) error {
	v := k.Validator(ctx.KV, m.Validator)
	if v == nil {
		return fmt.Errorf("%w: %X", ErrNoValidator, m.Validator)
	}
	if !bytes.Equal(v.Operator, signer[:]) {
		return fmt.Errorf("%w: not the validator's operator", errs.ErrUnauthorized)
	}
	if v.Status != stakingv1.ValidatorStatus_VALIDATOR_STATUS_JAILED || ctx.Time.Unix() < v.JailedUntil {
		return fmt.Errorf("%w: status %s, jailed until %d", ErrNotJailed, v.Status, v.JailedUntil)
	}
	v.Status = stakingv1.ValidatorStatus_VALIDATOR_STATUS_BONDED
	v.WindowSigned, v.WindowMissed = 0, 0
	k.setValidator(ctx.KV, v)
	ctx.Emit(&stakingv1.EventValidatorUnjailed{Validator: hex.EncodeToString(v.ConsAddress)})
	return nil
}

// Vote is one validator's participation in the last block's commit.
type Vote struct {
	ConsAddress []byte
	Signed      bool
}

// Misbehavior is evidence CometBFT committed.
type Misbehavior struct {
	ConsAddress []byte
	DoubleSign  bool // duplicate vote or light-client attack
}

// BeginBlock applies CometBFT's evidence and last-commit votes, and pays
// out matured unbondings.
func (k Keeper) BeginBlock(ctx state.Context, evidence []Misbehavior, votes []Vote) error {
	p := k.Params(ctx.KV)
	for _, e := range evidence {
		v := k.Validator(ctx.KV, e.ConsAddress)
		if v == nil || v.Status == stakingv1.ValidatorStatus_VALIDATOR_STATUS_TOMBSTONED {
			continue // unknown, or already punished for good
		}
		burn := fixed.Frac(v.Tokens, uint64(p.DoubleSignSlashBps), fixed.BPS)
		if burn > 0 {
			if err := k.Bank.Burn(ctx, BondedPool, bank.Coins(bank.NativeDenom, burn), "double_sign"); err != nil {
				return err
			}
			v.Tokens -= burn
		}
		v.Status = stakingv1.ValidatorStatus_VALIDATOR_STATUS_TOMBSTONED
		k.setValidator(ctx.KV, v)
		ctx.Emit(&stakingv1.EventValidatorPunished{Validator: hex.EncodeToString(v.ConsAddress), Reason: "double_sign", Burned: burn, Status: v.Status})
	}
	for _, vote := range votes {
		v := k.Validator(ctx.KV, vote.ConsAddress)
		if v == nil || v.Status != stakingv1.ValidatorStatus_VALIDATOR_STATUS_BONDED {
			continue
		}
		if vote.Signed {
			v.WindowSigned++
		} else {
			v.WindowMissed++
		}
		if v.WindowSigned+v.WindowMissed >= p.SignedWindow {
			// Signed fewer than min_signed of the window: jailed.
			if v.WindowSigned*fixed.BPS < p.SignedWindow*uint64(p.MinSignedBps) {
				v.Status = stakingv1.ValidatorStatus_VALIDATOR_STATUS_JAILED
				v.JailedUntil = ctx.Time.Unix() + int64(p.JailSeconds)
				ctx.Emit(&stakingv1.EventValidatorPunished{Validator: hex.EncodeToString(v.ConsAddress), Reason: "downtime", Status: v.Status, JailedUntil: v.JailedUntil})
			}
			v.WindowSigned, v.WindowMissed = 0, 0
		}
		k.setValidator(ctx.KV, v)
	}
	// Matured unbondings, oldest first.
	end := unbondsAfter(ctx.Time.Unix())
	var done [][]byte
	var entries []*stakingv1.Unbonding
	for k, v := range store.Range(ctx.KV, UnbondPrefix, end) {
		u := &stakingv1.Unbonding{}
		state.Decode(k, v, u)
		done = append(done, bytes.Clone(k))
		entries = append(entries, u)
	}
	for i, u := range entries {
		to, err := crypto.AddressFromBytes(u.Delegator)
		if err != nil {
			return err
		}
		if err := k.Bank.Send(ctx, UnbondingPool, to, bank.Coins(bank.NativeDenom, u.Amount), "unbonded"); err != nil {
			return err
		}
		ctx.KV.Delete(done[i])
		ctx.Emit(&stakingv1.EventUnbonded{Delegator: to.String(), Amount: u.Amount})
	}
	return nil
}

// PowerChange is a validator's new voting power for CometBFT.
type PowerChange struct {
	PubKey []byte
	Power  int64
}

// EndBlock returns the voting power changes since the last block. A change
// that would leave no validator with power is not made (the chain would
// halt); the set stays as it was.
func (k Keeper) EndBlock(ctx state.Context) []PowerChange {
	p := k.Params(ctx.KV)
	var vals []*stakingv1.Validator
	var total int64
	for _, v := range state.Records[stakingv1.Validator](ctx.KV, ValidatorPrefix) {
		vals = append(vals, v)
		total += power(v, p)
	}
	if total <= 0 {
		return nil
	}
	var out []PowerChange
	for _, v := range vals {
		if pw := power(v, p); pw != v.Power {
			v.Power = pw
			k.setValidator(ctx.KV, v)
			out = append(out, PowerChange{PubKey: v.PubKey, Power: pw})
			ctx.Emit(&stakingv1.EventPowerChanged{Validator: hex.EncodeToString(v.ConsAddress), Power: pw})
		}
	}
	return out
}

// maxPower keeps every power, and their sum, far below CometBFT's limit.
const maxPower = 1 << 50

func power(v *stakingv1.Validator, p *stakingv1.Params) int64 {
	if v.Status != stakingv1.ValidatorStatus_VALIDATOR_STATUS_BONDED {
		return 0
	}
	return min(maxPower, v.GenesisPower+int64(min(v.Tokens/p.PowerReduction, maxPower)))
}

// CheckInvariant verifies the pools: the bonded pool holds exactly the
// validators' tokens and the unbonding pool the pending unbondings.
func (k Keeper) CheckInvariant(r store.Reader) error {
	var bonded, unbonding uint64
	for _, v := range state.Records[stakingv1.Validator](r, ValidatorPrefix) {
		bonded += v.Tokens
	}
	for _, u := range state.Records[stakingv1.Unbonding](r, UnbondPrefix) {
		unbonding += u.Amount
	}
	if got := k.Bank.Balance(r, BondedPool, bank.NativeDenom); got != bonded {
		return fmt.Errorf("staking invariant: bonded pool holds %d, validators %d", got, bonded)
	}
	if got := k.Bank.Balance(r, UnbondingPool, bank.NativeDenom); got != unbonding {
		return fmt.Errorf("staking invariant: unbonding pool holds %d, unbondings %d", got, unbonding)
	}
	return nil
}
