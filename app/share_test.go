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

// TestLease: alice leases her device to bob for epochs e+1…e+2 at 100
// udpin per epoch and half the rewards; bob deposits 150. Epoch e+1's rent
// is paid and bob gets half its reward; e+2's rent cannot be paid: the
// lease ends, bob gets his 50 back and the device's rewards are alice's.
func TestLease(t *testing.T) {
	params := solarParams()
	params.Rewards = network.DefaultRewards(1_000_000)
	params.Rewards.Geo = nil
	w := newWorldWith(t, store.NewMemTree(), params)
	c := w.c
	a := w.register("a", 5000)
	bob := newTestKey("bob")
	c.mustBlock(c.tx(w.owner, &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: w.owner.addr.Bytes(), To: bob.addr.Bytes(), Amount: []*bankv1.Coin{bank.Coin("udpin", 1_000_000_000)}}}}))
	n := network.Keeper{}.Network(c.snapshot(), "solar")
	e := network.EpochAt(n, c.time.Unix()+1)
	run := func(k testKey, m *txv1.Msg) *claimResult {
		r := c.block(c.tx(k, m))[0]
		return &claimResult{r.Code, r.Codespace, r.Log}
	}
	offer := &sharev1.MsgOfferLease{Owner: w.owner.addr.Bytes(), Device: a[:], Lessee: bob.addr.Bytes(), Denom: "udpin", RentPerEpoch: 100, RewardShareBps: 5000, StartEpoch: e + 1, EndEpoch: e + 2}
	if r := run(bob, &txv1.Msg{Sum: &txv1.Msg_OfferLease{OfferLease: &sharev1.MsgOfferLease{Owner: bob.addr.Bytes(), Device: a[:], Lessee: bob.addr.Bytes(), Denom: "udpin", RentPerEpoch: 1, StartEpoch: e + 1, EndEpoch: e + 2}}}); r.code == 0 {
		t.Fatal("bob offered alice's device")
	}
	if r := run(w.owner, &txv1.Msg{Sum: &txv1.Msg_OfferLease{OfferLease: offer}}); r.code != 0 {
		t.Fatal(r.log)
	}
	if r := run(bob, &txv1.Msg{Sum: &txv1.Msg_AcceptLease{AcceptLease: &sharev1.MsgAcceptLease{Lessee: bob.addr.Bytes(), Device: a[:], Deposit: 99}}}); r.code == 0 {
		t.Fatal("a deposit below one epoch's rent was accepted")
	}
	if r := run(bob, &txv1.Msg{Sum: &txv1.Msg_AcceptLease{AcceptLease: &sharev1.MsgAcceptLease{Lessee: bob.addr.Bytes(), Device: a[:], Deposit: 150}}}); r.code != 0 {
		t.Fatal(r.log)
	}
	// Work in e+1.
	c.time = time.Unix(network.EpochStart(n, e+1)+200, 0).UTC()
	c.block()
	now := c.time.Unix() + 1
	w.batch(w.report("a", 1, now-100, now, 100))
	aliceBefore, bobBefore := c.balance(w.owner.addr, "udpin"), c.balance(bob.addr, "udpin")
	c.time = time.Unix(network.EpochStart(n, e+2)+1, 0).UTC()
	c.block()
	rw := reward.Keeper{}.Breakdown(c.snapshot(), "solar", e+1, a).GetReward()
	if got := c.balance(w.owner.addr, "udpin") - aliceBefore; got != 100 {
		t.Fatalf("rent paid %d, want 100", got)
	}
	if got := c.balance(bob.addr, "usolar"); rw == 0 || got != rw/2 {
		t.Fatalf("bob got %d usolar of a %d reward, want half", got, rw)
	}
	if got := (reward.Keeper{}).Unclaimed(c.snapshot(), a); got != rw-rw/2 {
		t.Fatalf("alice's unclaimed %d, want %d", got, rw-rw/2)
	}
	// e+2's rent (100) is more than the 50 left: the lease ends, 50 back.
	c.time = time.Unix(network.EpochStart(n, e+3)+1, 0).UTC()
	c.block()
	l := share.Keeper{}.Lease(c.snapshot(), a)
	if l.Status != sharev1.LeaseStatus_LEASE_STATUS_ENDED || l.EndReason != "escrow ran dry" || l.RentPaid != 100 {
		t.Fatalf("lease %v", l)
	}
	if got := c.balance(bob.addr, "udpin") - bobBefore; got != 50 {
		t.Fatalf("bob's refund %d, want 50", got)
	}
}
