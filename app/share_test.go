package app

import (
	"testing"
	"time"

	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
	sharev1 "github.com/depinhq/depin/gen/depin/share/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/bank"
	"github.com/depinhq/depin/x/device"
	"github.com/depinhq/depin/x/network"
	"github.com/depinhq/depin/x/reward"
	"github.com/depinhq/depin/x/share"
)

// TestDeviceShares: alice splits her device into 100 shares and sells 40
// to bob; the next epoch's reward goes 60/40; bob claims his part; the
// device cannot be transferred while split; once alice buys the shares
// back she merges them and owns the device again. Bad requests change
// nothing but fees (the books are checked after every block).
func TestDeviceShares(t *testing.T) {
	params := solarParams()
	params.Rewards = network.DefaultRewards(1_000_000)
	params.Rewards.Geo = nil
	w := newWorldWith(t, store.NewMemTree(), params)
	c := w.c
	a := w.register("a", 5000)
	bob := newTestKey("bob")
	c.mustBlock(c.tx(w.owner, &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: w.owner.addr.Bytes(), To: bob.addr.Bytes(), Amount: []*bankv1.Coin{bank.Coin("udpin", 1_000_000_000)}}}}))
	run := func(k testKey, m *txv1.Msg) *claimResult {
		r := c.block(c.tx(k, m))[0]
		return &claimResult{r.Code, r.Codespace, r.Log}
	}
	tokenize := func(k testKey, n uint64) *claimResult {
		return run(k, &txv1.Msg{Sum: &txv1.Msg_Tokenize{Tokenize: &sharev1.MsgTokenize{Owner: k.addr.Bytes(), Device: a[:], Shares: n}}})
	}
	if r := tokenize(bob, 100); r.code == 0 {
		t.Fatal("bob tokenized alice's device")
	}
	if r := tokenize(w.owner, 0); r.code == 0 {
		t.Fatal("zero shares accepted")
	}
	if r := tokenize(w.owner, 100); r.code != 0 {
		t.Fatal(r.log)
	}
	denom := share.Denom(a)
	sendShares := func(from, to testKey, n uint64) *claimResult {
		return run(from, &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: from.addr.Bytes(), To: to.addr.Bytes(), Amount: []*bankv1.Coin{bank.Coin(denom, n)}}}})
	}
	if r := sendShares(w.owner, bob, 40); r.code != 0 {
		t.Fatal(r.log)
	}
	if r := sendShares(bob, w.owner, 41); r.code == 0 {
		t.Fatal("bob sent more shares than he holds")
	}
	if r := run(w.owner, &txv1.Msg{Sum: &txv1.Msg_TransferDevice{TransferDevice: &devicev1.MsgTransferDevice{Owner: w.owner.addr.Bytes(), Device: a[:], NewOwner: bob.addr.Bytes()}}}); r.code == 0 {
		t.Fatal("a tokenized device was transferred")
	}

	// One epoch of work, rewarded 60/40.
	n := network.Keeper{}.Network(c.snapshot(), "solar")
	now := c.time.Unix() + 1
	e := network.EpochAt(n, now)
	w.batch(w.report("a", 1, now-100, now, 100))
	c.time = time.Unix(network.EpochStart(n, e+1), 0).UTC()
	c.block()
	rw := reward.Keeper{}.Breakdown(c.snapshot(), "solar", e, a).GetReward()
	if rw == 0 {
		t.Fatal("no reward")
	}
	if r := run(w.owner, &txv1.Msg{Sum: &txv1.Msg_ClaimRewards{ClaimRewards: &rewardv1.MsgClaimRewards{Owner: w.owner.addr.Bytes(), Device: a[:]}}}); r.code == 0 {
		t.Fatal("the owner claimed a tokenized device's rewards for herself")
	}
	claim := func(k testKey) *claimResult {
		return run(k, &txv1.Msg{Sum: &txv1.Msg_ClaimShareRewards{ClaimShareRewards: &sharev1.MsgClaimShareRewards{Holder: k.addr.Bytes(), Device: a[:]}}})
	}
	if r := claim(bob); r.code != 0 {
		t.Fatal(r.log)
	}
	if got, want := c.balance(bob.addr, "usolar"), rw*40/100; got != want {
		t.Fatalf("bob got %d usolar, want %d (40%% of %d)", got, want, rw)
	}
	if r := claim(bob); r.code != reward.ErrNothingToClaim.Code {
		t.Fatalf("second claim: %+v", r)
	}
	// Merging needs every share.
	untokenize := func(k testKey) *claimResult {
		return run(k, &txv1.Msg{Sum: &txv1.Msg_Untokenize{Untokenize: &sharev1.MsgUntokenize{Holder: k.addr.Bytes(), Device: a[:]}}})
	}
	if r := untokenize(w.owner); r.code == 0 {
		t.Fatal("untokenized with 60 of 100 shares")
	}
	if r := sendShares(bob, w.owner, 40); r.code != 0 {
		t.Fatal(r.log)
	}
	if r := untokenize(w.owner); r.code != 0 {
		t.Fatal(r.log)
	}
	d := device.Keeper{}.Get(c.snapshot(), a)
	if d.Tokenized || (bank.Keeper{}).Supply(c.snapshot(), denom) != 0 {
		t.Fatalf("after merging: tokenized %v, supply %d", d.Tokenized, (bank.Keeper{}).Supply(c.snapshot(), denom))
	}
	// Alice got her 60% on merging; bob + alice + what is left on the device = the reward.
	left := reward.Keeper{}.Unclaimed(c.snapshot(), a)
	if got := c.balance(w.owner.addr, "usolar") + c.balance(bob.addr, "usolar") + left; got != rw {
		t.Fatalf("paid %d + left %d ≠ reward %d", got-left, left, rw)
	}
}
