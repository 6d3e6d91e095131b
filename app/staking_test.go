package app

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmttypes "github.com/cometbft/cometbft/api/cometbft/types/v1"

	stakingv1 "github.com/depinhq/depin/gen/depin/staking/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/bank"
	"github.com/depinhq/depin/x/staking"
)

type stakingChain struct {
	*testChainApp
	updates []abci.ValidatorUpdate
}

// next finalizes and commits a block with the given last-commit votes
// and evidence.
func (c *stakingChain) next(votes []abci.VoteInfo, ev []abci.Misbehavior, txs ...[]byte) []*abci.ExecTxResult {
	c.t.Helper()
	c.height++
	c.time = c.time.Add(time.Second)
	res, err := c.app.FinalizeBlock(context.Background(), &abci.FinalizeBlockRequest{Height: c.height, Time: c.time, Txs: txs,
		DecidedLastCommit: abci.CommitInfo{Votes: votes}, Misbehavior: ev})
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := c.app.Commit(context.Background(), &abci.CommitRequest{}); err != nil {
		c.t.Fatal(err)
	}
	c.updates = res.ValidatorUpdates
	return res.TxResults
}

func (c *stakingChain) power(pub []byte) (int64, bool) {
	for _, u := range c.updates {
		if string(u.PubKeyBytes) == string(pub) {
			return u.Power, true
		}
	}
	return 0, false
}

func consKey(name string) ([]byte, []byte) {
	s := sha256.Sum256([]byte("consensus " + name))
	pub := ed25519.NewKeyFromSeed(s[:]).Public().(ed25519.PublicKey)
	return pub, staking.ConsAddress(pub)
}

// TestStaking walks a validator through its life: created by staking,
// delegated to, partly unbonded (and too much refused), jailed for
// downtime and unjailed, then tombstoned and slashed for double signing;
// every step's voting power reaches CometBFT's updates, and the pools
// always hold exactly what the records say (checked after every block).
func TestStaking(t *testing.T) {
	alice, bob := newTestKey("alice"), newTestKey("bob")
	a, err := New(Config{ChainID: testChain}, store.NewMemTree())
	if err != nil {
		t.Fatal(err)
	}
	violations := make(chan error, 1)
	c := &stakingChain{testChainApp: &testChainApp{t: t, app: a, time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), violations: violations}}
	a.AfterCommit = func(h int64, r store.Reader) {
		if err := CheckInvariants(r); err != nil {
			select {
			case violations <- fmt.Errorf("after block %d: %w", h, err):
			default:
			}
		}
	}
	g := DefaultGenesis(bal(alice, bank.Coin("udpin", 100_000_000_000)), bal(bob, bank.Coin("udpin", 100_000_000_000)))
	params := staking.DefaultParams()
	params.UnbondingSeconds, params.SignedWindow, params.MinSignedBps, params.JailSeconds = 60, 4, 5000, 30
	g.Staking = &stakingv1.GenesisState{Params: params}
	js, err := MarshalGenesis(g)
	if err != nil {
		t.Fatal(err)
	}
	genPub, genAddr := consKey("genesis")
	if _, err := a.InitChain(context.Background(), &abci.InitChainRequest{ChainId: testChain, AppStateBytes: js, InitialHeight: 1, Time: c.time,
		Validators: []abci.ValidatorUpdate{{PubKeyBytes: genPub, PubKeyType: "ed25519", Power: 10}}}); err != nil {
		t.Fatal(err)
	}
	c.next(nil, nil)
	tx := func(k testKey, m *txv1.Msg) *abci.ExecTxResult {
		return c.next(nil, nil, c.tx(k, m))[0]
	}
	pub, cons := consKey("v1")

	// Created by staking: 5 dpin → power 5.
	if r := tx(alice, &txv1.Msg{Sum: &txv1.Msg_CreateValidator{CreateValidator: &stakingv1.MsgCreateValidator{Operator: alice.addr.Bytes(), PubKey: pub, Moniker: "v1", Amount: 5_000_000}}}); r.Code != 0 {
		t.Fatal(r.Log)
	}
	if p, ok := c.power(pub); !ok || p != 5 {
		t.Fatalf("power after create: %d %v", p, ok)
	}
	if r := tx(bob, &txv1.Msg{Sum: &txv1.Msg_CreateValidator{CreateValidator: &stakingv1.MsgCreateValidator{Operator: bob.addr.Bytes(), PubKey: pub, Amount: 5_000_000}}}); r.Code != staking.ErrValidatorExists.Code {
		t.Fatalf("same key twice: %d %s", r.Code, r.Log)
	}
	// Delegated: +3 dpin → power 8.
	if r := tx(bob, &txv1.Msg{Sum: &txv1.Msg_Delegate{Delegate: &stakingv1.MsgDelegate{Delegator: bob.addr.Bytes(), Validator: cons, Amount: 3_000_000}}}); r.Code != 0 {
		t.Fatal(r.Log)
	}
	if p, _ := c.power(pub); p != 8 {
		t.Fatalf("power after delegation: %d", p)
	}
	// Unbonding more than bonded: refused, nothing but the fee moves.
	before := c.balance(bob.addr, "udpin")
	if r := tx(bob, &txv1.Msg{Sum: &txv1.Msg_Unbond{Unbond: &stakingv1.MsgUnbond{Delegator: bob.addr.Bytes(), Validator: cons, Amount: 3_000_001}}}); r.Code != staking.ErrNotDelegated.Code {
		t.Fatalf("unbond too much: %d %s", r.Code, r.Log)
	}
	if got := c.balance(bob.addr, "udpin"); got != before-txFee {
		t.Fatalf("bob %d, want %d", got, before-txFee)
	}
	// Unbond 1 dpin: power 7 at once, the tokens back after 60 s.
	if r := tx(bob, &txv1.Msg{Sum: &txv1.Msg_Unbond{Unbond: &stakingv1.MsgUnbond{Delegator: bob.addr.Bytes(), Validator: cons, Amount: 1_000_000}}}); r.Code != 0 {
		t.Fatal(r.Log)
	}
	if p, _ := c.power(pub); p != 7 {
		t.Fatalf("power after unbond: %d", p)
	}
	afterUnbond := c.balance(bob.addr, "udpin")
	c.time = c.time.Add(59 * time.Second)
	c.next(nil, nil)
	if got := c.balance(bob.addr, "udpin"); got != afterUnbond+1_000_000 {
		t.Fatalf("after the unbonding period bob has %d, want %d", got, afterUnbond+1_000_000)
	}

	// Downtime: absent from a whole window of 4 → jailed, power 0.
	absent := []abci.VoteInfo{{Validator: abci.Validator{Address: cons, Power: 7}, BlockIdFlag: cmttypes.BlockIDFlagAbsent},
		{Validator: abci.Validator{Address: genAddr, Power: 10}, BlockIdFlag: cmttypes.BlockIDFlagCommit}}
	for i := 0; i < 4; i++ {
		c.next(absent, nil)
	}
	if p, ok := c.power(pub); !ok || p != 0 {
		t.Fatalf("power after downtime: %d %v", p, ok)
	}
	unjail := &txv1.Msg{Sum: &txv1.Msg_Unjail{Unjail: &stakingv1.MsgUnjail{Operator: alice.addr.Bytes(), Validator: cons}}}
	if r := tx(alice, unjail); r.Code != staking.ErrNotJailed.Code {
		t.Fatalf("unjail too early: %d %s", r.Code, r.Log)
	}
	if r := tx(bob, &txv1.Msg{Sum: &txv1.Msg_Unjail{Unjail: &stakingv1.MsgUnjail{Operator: bob.addr.Bytes(), Validator: cons}}}); r.Code == 0 {
		t.Fatal("bob unjailed alice's validator")
	}
	c.time = c.time.Add(30 * time.Second)
	if r := tx(alice, unjail); r.Code != 0 {
		t.Fatal(r.Log)
	}
	if p, _ := c.power(pub); p != 7 {
		t.Fatalf("power after unjail: %d", p)
	}

	// Double signing: 5% of 7 dpin burned, tombstoned, power 0; evidence
	// about an unknown key and the same evidence again change nothing.
	supply := bank.Keeper{}.Supply(c.snapshot(), "udpin")
	_, stranger := consKey("stranger")
	c.next(nil, []abci.Misbehavior{{Type: abci.MISBEHAVIOR_TYPE_DUPLICATE_VOTE, Validator: abci.Validator{Address: cons, Power: 7}, Height: c.height}, {Type: abci.MISBEHAVIOR_TYPE_DUPLICATE_VOTE, Validator: abci.Validator{Address: stranger, Power: 1}, Height: c.height}})
	if p, ok := c.power(pub); !ok || p != 0 {
		t.Fatalf("power after double sign: %d %v", p, ok)
	}
	v := staking.Keeper{}.Validator(c.snapshot(), cons)
	if v.Status != stakingv1.ValidatorStatus_VALIDATOR_STATUS_TOMBSTONED || v.Tokens != 7_000_000-350_000 {
		t.Fatalf("after double sign: %s, %d tokens", v.Status, v.Tokens)
	}
	if got := (bank.Keeper{}).Supply(c.snapshot(), "udpin"); got != supply-350_000 {
		t.Fatalf("supply %d, want %d", got, supply-350_000)
	}
	c.next(nil, []abci.Misbehavior{{Type: abci.MISBEHAVIOR_TYPE_DUPLICATE_VOTE, Validator: abci.Validator{Address: cons, Power: 7}, Height: c.height}})
	sk := staking.Keeper{}
	if v2 := sk.Validator(c.snapshot(), cons); v2.Tokens != v.Tokens {
		t.Fatal("the same evidence slashed twice")
	}
	if r := tx(bob, &txv1.Msg{Sum: &txv1.Msg_Delegate{Delegate: &stakingv1.MsgDelegate{Delegator: bob.addr.Bytes(), Validator: cons, Amount: 1_000_000}}}); r.Code != staking.ErrTombstoned.Code {
		t.Fatalf("delegating to a tombstoned validator: %d %s", r.Code, r.Log)
	}
	// Delegators can still leave (what the slash left of their share).
	if r := tx(bob, &txv1.Msg{Sum: &txv1.Msg_Unbond{Unbond: &stakingv1.MsgUnbond{Delegator: bob.addr.Bytes(), Validator: cons, Amount: 1_900_000}}}); r.Code != 0 {
		t.Fatal(r.Log)
	}
}
