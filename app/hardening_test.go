package app

// The hardening classes of issue 15, each driven through the state
// machine as an account, a network owner or a third party would drive
// it: nothing they do may halt the chain, strand funds, slash the honest,
// lower an honest device's reputation or create a token the chain owns.
// Every block of these tests is also checked against every module's
// books (CheckInvariants, in newTestChainAppOn).

import (
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	uh3 "github.com/uber/h3-go/v4"

	"github.com/depinhq/depin/crypto"
	agreementv1 "github.com/depinhq/depin/gen/depin/agreement/v1"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	marketv1 "github.com/depinhq/depin/gen/depin/market/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	sharev1 "github.com/depinhq/depin/gen/depin/share/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/agreement"
	"github.com/depinhq/depin/x/bank"
	"github.com/depinhq/depin/x/device"
	"github.com/depinhq/depin/x/market"
	"github.com/depinhq/depin/x/network"
	"github.com/depinhq/depin/x/report"
	"github.com/depinhq/depin/x/reward"
	"github.com/depinhq/depin/x/share"
)

// corruptNext makes the next block read value under key, as if a bug had
// stored it: the write goes into the committed view only, so that block
// executes over it but it is never saved. It drives a block step into a
// real failure without a test hook in the code under test.
func (c *testChainApp) corruptNext(key, value []byte) {
	c.t.Helper()
	a := c.app
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.committed == nil {
		c.t.Fatal("corruptNext: no committed view yet (run a block first)")
	}
	a.committed.Set(key, value)
}

// result runs one tx in a block and returns its result.
func (c *testChainApp) result(k testKey, msgs ...*txv1.Msg) *abci.ExecTxResult {
	c.t.Helper()
	return c.block(c.tx(k, msgs...))[0]
}

// expectErr fails unless r failed with kind.
func expectErr(t *testing.T, what string, r *abci.ExecTxResult, kind error) {
	t.Helper()
	if r.Code == 0 {
		t.Fatalf("%s: accepted, want %v", what, kind)
	}
	if kind != nil && !strings.Contains(r.Log, kind.Error()) {
		t.Fatalf("%s: %s, want %v", what, r.Log, kind)
	}
}

// certFor is a maker certificate for device name in network net.
func (w *world) certFor(net, name string, capacity uint64) *devicev1.SignedDeviceCert {
	w.c.t.Helper()
	priv := devKey(name)
	sc, err := device.SignCert(w.maker.priv, testChain, &devicev1.DeviceCert{
		Network: net, DevicePublicKey: priv.Public().(ed25519.PublicKey), Model: "SunBox 5", Serial: "SN-" + name,
		Capacity: capacity, MakerPublicKey: w.maker.priv.Public().(ed25519.PublicKey)})
	if err != nil {
		w.c.t.Fatal(err)
	}
	return sc
}

// addNetwork creates another network of alice's with the same maker and
// registers one device in it.
func (w *world) addNetwork(id, denom string, params *networkv1.Params, dev string) crypto.DeviceID {
	w.c.t.Helper()
	c, alice := w.c, w.owner
	c.mustBlock(c.tx(alice, &txv1.Msg{Sum: &txv1.Msg_CreateNetwork{CreateNetwork: &networkv1.MsgCreateNetwork{
		Owner: alice.addr.Bytes(), Id: id, Name: id, Class: networkv1.ResourceClass_RESOURCE_CLASS_ENERGY, RewardDenom: denom, Params: params}}}))
	c.mustBlock(c.tx(alice, &txv1.Msg{Sum: &txv1.Msg_ApproveMaker{ApproveMaker: &networkv1.MsgApproveMaker{
		Owner: alice.addr.Bytes(), Network: id, MakerPublicKey: w.maker.priv.Public().(ed25519.PublicKey)}}}))
	c.mustBlock(c.tx(alice, registerMsg(alice.addr, w.certFor(id, dev, 5000), dev, w.cell)))
	return deviceID(dev)
}

// registerMsg registers device dev (named as in devKey) to owner, with the
// device key's proof of possession.
func registerMsg(owner crypto.Address, sc *devicev1.SignedDeviceCert, dev string, cell uint64) *txv1.Msg {
	return &txv1.Msg{Sum: &txv1.Msg_RegisterDevice{RegisterDevice: &devicev1.MsgRegisterDevice{
		Owner: owner.Bytes(), Cert: sc, DeviceSignature: pop(dev, owner), Cell: cell}}}
}

func rewardParams() *networkv1.Params {
	p := solarParams()
	p.Rewards = network.DefaultRewards(1_000_000)
	p.Rewards.Geo = nil
	return p
}

func hasEvent(evs []abci.Event, typ string) bool {
	for _, e := range evs {
		if e.Type == typ {
			return true
		}
	}
	return false
}

// TestBlockStepFailureFreezesOnlyItsNetwork drives each per-network block
// step (rewards, agreements, market) into a failure in one of two
// networks: the block commits, the failing network's step is rolled back
// and the network frozen with a reason its owner sees, the other network's
// step runs, the books balance at every block, the frozen network takes
// no reports, its escrows can be withdrawn, and its owner can resume it.
func TestBlockStepFailureFreezesOnlyItsNetwork(t *testing.T) {
	for _, step := range []string{stepEpoch, stepRewards, stepAgreements, stepMarket} {
		t.Run(step, func(t *testing.T) {
			params := rewardParams()
			if step == stepMarket {
				params = gridParams()
				params.Rewards = rewardParams().Rewards
			}
			w := newWorldWith(t, store.NewMemTree(), params)
			c, alice := w.c, w.owner
			a := w.register("a", 5000)
			other := w.addNetwork("wind", "uwind", rewardParams(), "wd")
			bob := newTestKey("bob")
			c.mustBlock(c.tx(alice, &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: alice.addr.Bytes(), To: bob.addr.Bytes(), Amount: []*bankv1.Coin{bank.Coin("udpin", 1_000_000_000)}}}}))
			c.mustBlock(c.tx(bob, registerMsg(bob.addr, w.cert("b", 5000), "b", w.cell)))
			b := deviceID("b")
			n := (network.Keeper{}).Network(c.snapshot(), "solar")
			e := network.EpochAt(n, c.time.Unix()+1)
			now := c.time.Unix() + 1
			w.batch(w.report("a", 1, now-300, now-200, 100),
				signReport(t, devKey("wd"), "wind", 1, now-300, now-200, &reportv1.MetricValue{Id: 1, Value: 100}))

			// Escrows in the network that will freeze: an agreement and a bid.
			r := c.result(bob, &txv1.Msg{Sum: &txv1.Msg_OpenAgreement{OpenAgreement: &agreementv1.MsgOpenAgreement{
				Consumer: bob.addr.Bytes(), Device: a[:], Metric: 1, Denom: "udpin", PriceNum: 1, PriceDen: 1, MaxUnits: 1000, StartEpoch: e, EndEpoch: e + 5}}})
			if r.Code != 0 {
				t.Fatal(r.Log)
			}
			// A lease of device a to bob, rent 100 udpin per epoch from e+1.
			if r := c.result(alice, &txv1.Msg{Sum: &txv1.Msg_OfferLease{OfferLease: &sharev1.MsgOfferLease{Owner: alice.addr.Bytes(), Device: a[:], Lessee: bob.addr.Bytes(), Denom: "udpin", RentPerEpoch: 100, StartEpoch: e + 1, EndEpoch: e + 9}}}); r.Code != 0 {
				t.Fatal(r.Log)
			}
			if r := c.result(bob, &txv1.Msg{Sum: &txv1.Msg_AcceptLease{AcceptLease: &sharev1.MsgAcceptLease{Lessee: bob.addr.Bytes(), Device: a[:], Deposit: 1000}}}); r.Code != 0 {
				t.Fatal(r.Log)
			}
			endLease := &txv1.Msg{Sum: &txv1.Msg_EndLease{EndLease: &sharev1.MsgEndLease{Lessee: bob.addr.Bytes(), Device: a[:]}}}
			expectErr(t, "ending a lease early", c.result(bob, endLease), share.ErrInvalid)
			var order uint64
			if step == stepMarket {
				iv := market.IntervalAt(params.Market, c.time.Unix()+1)
				r := c.result(bob, &txv1.Msg{Sum: &txv1.Msg_PlaceOrder{PlaceOrder: &marketv1.MsgPlaceOrder{Owner: bob.addr.Bytes(), Device: b[:], Side: marketv1.Side_SIDE_BID, Interval: iv + 2, Price: 3, Quantity: 100}}})
				if r.Code != 0 {
					t.Fatal(r.Log)
				}
				order = 1
			}

			// The failing block. Rewards and agreements fail at the epoch's
			// end; the market when it clears a closed interval.
			// Both networks' epochs end in this block (wind was created a few
			// blocks after solar).
			wn := (network.Keeper{}).Network(c.snapshot(), "wind")
			ew := network.EpochAt(wn, now)
			c.time = time.Unix(max(network.EpochStart(n, e+1), network.EpochStart(wn, ew+1)), 0).UTC()
			switch step {
			case stepEpoch:
				// An active-lease index entry without its lease: the lease
				// rent hook (the first epoch hook) fails, so the whole epoch
				// step — the epoch record, every hook — is rolled back.
				k := append([]byte("share/la/solar\x00"), deviceID("ghost").Bytes()...)
				c.corruptNext(k, []byte{})
			case stepRewards:
				c.corruptNext(reward.JobKey("solar"), []byte{0xff, 0xff}) // a job record that does not decode
			case stepAgreements:
				k := append(append(append([]byte{}, agreement.OpenPrefix...), "solar"...), 0)
				c.corruptNext(binary.BigEndian.AppendUint64(k, 999), []byte{}) // an open agreement that is not stored
			case stepMarket:
				iv := market.IntervalAt(params.Market, c.time.Unix()) - 1
				c.corruptNext(binary.BigEndian.AppendUint64(market.BookPrefixOf("solar", iv), 777), []byte{}) // a booked order that is not stored
			}
			c.block() // must not fail: newTestChainApp fails the test if FinalizeBlock errs
			if !hasEvent(c.events, "depin.network.v1.EventNetworkFrozen") {
				t.Fatalf("no EventNetworkFrozen among %d block events", len(c.events))
			}
			r2 := c.snapshot()
			solar := (network.Keeper{}).Network(r2, "solar")
			if !solar.Frozen || !strings.HasPrefix(solar.FrozenReason, step+": ") || solar.FrozenHeight != c.height {
				t.Fatalf("solar frozen=%v reason %q height %d", solar.Frozen, solar.FrozenReason, solar.FrozenHeight)
			}
			if (network.Keeper{}).Network(r2, "wind").Frozen {
				t.Fatal("the other network froze too")
			}
			// The other network's rewards ran in the same block.
			if (reward.Keeper{}).Breakdown(r2, "wind", ew, other) == nil {
				t.Fatal("wind was not rewarded in the block solar froze in")
			}
			// Steps before the failing one kept their work: rewards run
			// first, after the epoch step.
			solarRewarded := (reward.Keeper{}).Breakdown(r2, "solar", e, a) != nil
			if solarRewarded != (step != stepRewards && step != stepEpoch) {
				t.Fatalf("solar rewarded %v in the %s failure", solarRewarded, step)
			}
			// The chain goes on; the frozen network takes no reports, devices or orders.
			c.block()
			now = c.time.Unix() + 1
			acc, rej := outcomes(t, w.batch(w.report("a", 2, now-100, now-50, 10)))
			if acc != 0 || rej[0] != "REJECT_REASON_NETWORK_FROZEN" {
				t.Fatalf("report to a frozen network: accepted %d, %v", acc, rej)
			}
			expectErr(t, "register in a frozen network", c.result(alice, registerMsg(alice.addr, w.cert("late", 5000), "late", w.cell)), network.ErrFrozen)
			// Escrows come back: the agreement at once, the open order by cancelling.
			before := c.balance(bob.addr, "udpin")
			ag := (agreement.Keeper{}).Get(c.snapshot(), 1)
			if r := c.result(bob, &txv1.Msg{Sum: &txv1.Msg_CancelAgreement{CancelAgreement: &agreementv1.MsgCancelAgreement{Consumer: bob.addr.Bytes(), Id: 1}}}); r.Code != 0 {
				t.Fatal(r.Log)
			}
			refund := ag.Escrow - ag.Paid
			if order != 0 {
				if r := c.result(bob, &txv1.Msg{Sum: &txv1.Msg_CancelOrder{CancelOrder: &marketv1.MsgCancelOrder{Owner: bob.addr.Bytes(), Id: order}}}); r.Code != 0 {
					t.Fatal(r.Log)
				}
				refund += 300
			}
			if r := c.result(bob, endLease); r.Code != 0 {
				t.Fatal(r.Log)
			}
			refund += 1000
			fees := txFee * uint64(2+min(order, 1))
			if got := c.balance(bob.addr, "udpin"); got != before+refund-fees {
				t.Fatalf("bob has %d after cancelling, want %d", got, before+refund-fees)
			}
			if c.balance(agreement.Escrow, "udpin") != 0 || c.balance(market.Escrow, "udpin") != 0 || c.balance(share.LeaseEscrow, "udpin") != 0 {
				t.Fatal("escrow left behind")
			}
			// Only the owner resumes, and only a frozen network.
			expectErr(t, "resume by another", c.result(bob, &txv1.Msg{Sum: &txv1.Msg_ResumeNetwork{ResumeNetwork: &networkv1.MsgResumeNetwork{Owner: bob.addr.Bytes(), Network: "solar"}}}), network.ErrNotOwner)
			if r := c.result(alice, &txv1.Msg{Sum: &txv1.Msg_ResumeNetwork{ResumeNetwork: &networkv1.MsgResumeNetwork{Owner: alice.addr.Bytes(), Network: "solar"}}}); r.Code != 0 {
				t.Fatal(r.Log)
			}
			expectErr(t, "resume twice", c.result(alice, &txv1.Msg{Sum: &txv1.Msg_ResumeNetwork{ResumeNetwork: &networkv1.MsgResumeNetwork{Owner: alice.addr.Bytes(), Network: "solar"}}}), network.ErrNotFrozen)
			// Resumed: the rolled-back epoch is rewarded, reports count again.
			now = c.time.Unix() + 1
			if acc, rej := outcomes(t, w.batch(w.report("a", 2, now-100, now-50, 10))); acc != 1 {
				t.Fatalf("report after resuming: %v", rej)
			}
			if (reward.Keeper{}).Breakdown(c.snapshot(), "solar", e, a) == nil {
				t.Fatal("solar's epoch was not rewarded after resuming")
			}
		})
	}
}

// TestTxHandlerPanicFailsTheTx: a handler that panics on a corrupt record
// fails its tx (code 1, internal) and changes nothing but the fee; the
// chain goes on.
func TestTxHandlerPanicFailsTheTx(t *testing.T) {
	w := newWorld(t)
	c := w.c
	bob := newTestKey("bob")
	c.mustBlock(c.tx(w.owner, &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: w.owner.addr.Bytes(), To: bob.addr.Bytes(), Amount: []*bankv1.Coin{bank.Coin("udpin", 100_000_000)}}}}))
	c.corruptNext(agreement.Key(5), []byte{0xff, 0xff})
	r := c.result(bob, &txv1.Msg{Sum: &txv1.Msg_CancelAgreement{CancelAgreement: &agreementv1.MsgCancelAgreement{Consumer: bob.addr.Bytes(), Id: 5}}})
	if r.Code != 1 || r.Codespace != "internal" || !strings.Contains(r.Log, "panic") {
		t.Fatalf("got code %d %s %q", r.Code, r.Codespace, r.Log)
	}
	if got := c.balance(bob.addr, "udpin"); got != 100_000_000-txFee {
		t.Fatalf("bob has %d", got)
	}
	c.mustBlock(c.tx(bob, &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: bob.addr.Bytes(), To: w.owner.addr.Bytes(), Amount: []*bankv1.Coin{bank.Coin("udpin", 1)}}}}))
}

// TestRewardScheduleCannotOverflow: the emission that halted the chain
// (2^64−1 per epoch, no max supply) is refused; the largest allowed runs
// epoch after epoch and stops at the chain's cap instead of overflowing.
func TestRewardScheduleCannotOverflow(t *testing.T) {
	w := newWorldWith(t, store.NewMemTree(), rewardParams())
	c, alice := w.c, w.owner
	for name, mutate := range map[string]func(p *networkv1.Params){
		"emission 2^64-1":   func(p *networkv1.Params) { p.Rewards.EpochEmission = math.MaxUint64 },
		"max supply 2^64-1": func(p *networkv1.Params) { p.Rewards.MaxSupply = math.MaxUint64 },
		"emission 2^62+1":   func(p *networkv1.Params) { p.Rewards.EpochEmission = network.MaxRewardSupply + 1 },
	} {
		p := rewardParams()
		mutate(p)
		expectErr(t, name+" (create)", c.result(alice, &txv1.Msg{Sum: &txv1.Msg_CreateNetwork{CreateNetwork: &networkv1.MsgCreateNetwork{
			Owner: alice.addr.Bytes(), Id: "greedy", Name: "Greedy", Class: networkv1.ResourceClass_RESOURCE_CLASS_ENERGY, RewardDenom: "ugreedy", Params: p}}}), network.ErrInvalidParams)
		expectErr(t, name+" (update)", c.result(alice, &txv1.Msg{Sum: &txv1.Msg_UpdateNetworkParams{UpdateNetworkParams: &networkv1.MsgUpdateNetworkParams{
			Owner: alice.addr.Bytes(), Network: "solar", Params: p}}}), network.ErrInvalidParams)
	}
	p := rewardParams()
	p.EpochSeconds = network.MinEpochSeconds
	p.Rewards.EpochEmission = network.MaxRewardSupply
	id := w.addNetwork("greedy", "ugreedy", p, "g")
	for i := range 4 {
		now := c.time.Unix() + 1
		if acc, rej := outcomes(t, w.batch(signReport(t, devKey("g"), "greedy", uint64(i+1), now-5, now-1, &reportv1.MetricValue{Id: 1, Value: 1}))); acc != 1 {
			t.Fatalf("epoch %d: %v", i, rej)
		}
		c.time = c.time.Add(time.Duration(network.MinEpochSeconds) * time.Second)
		c.block()
	}
	r := c.snapshot()
	st := (reward.Keeper{}).State(r, "greedy")
	if st.Minted != network.MaxRewardSupply || (bank.Keeper{}).Supply(r, "ugreedy") != network.MaxRewardSupply {
		t.Fatalf("minted %d, supply %d: want the cap %d", st.Minted, (bank.Keeper{}).Supply(r, "ugreedy"), uint64(network.MaxRewardSupply))
	}
	if (network.Keeper{}).Network(r, "greedy").Frozen || (reward.Keeper{}).Unclaimed(r, id) == 0 {
		t.Fatal("the capped network froze or paid nothing")
	}
}

// TestEscrowsKeepTheirTerms: unmatched orders can be cancelled by their
// owner only; a bid escrowed in one currency is refunded in it when the
// owner switches the market's currency, and an interval auctioned before
// the switch settles under the terms it cleared with; removing the market
// refunds every open order.
func TestEscrowsKeepTheirTerms(t *testing.T) {
	gp := gridParams()
	gp.Market.SettleDelaySeconds = 7200 // settlement comes after the switch below
	w := newWorldWith(t, store.NewMemTree(), gp)
	c, alice := w.c, w.owner
	bob := newTestKey("bob")
	c.mustBlock(c.tx(alice, &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: alice.addr.Bytes(), To: bob.addr.Bytes(), Amount: []*bankv1.Coin{bank.Coin("udpin", 1_000_000_000)}}}}))
	c.mustBlock(c.tx(bob, registerMsg(bob.addr, w.cert("b1", 5000), "b1", w.cell)))
	b1 := deviceID("b1")
	s1 := w.register("s1", 5000)
	mp := gp.Market
	place := func(k testKey, dev crypto.DeviceID, side marketv1.Side, iv, price, qty uint64) {
		t.Helper()
		r := c.result(k, &txv1.Msg{Sum: &txv1.Msg_PlaceOrder{PlaceOrder: &marketv1.MsgPlaceOrder{Owner: k.addr.Bytes(), Device: dev[:], Side: side, Interval: iv, Price: price, Quantity: qty}}})
		if r.Code != 0 {
			t.Fatal(r.Log)
		}
	}
	cancel := func(k testKey, id uint64) *abci.ExecTxResult {
		return c.result(k, &txv1.Msg{Sum: &txv1.Msg_CancelOrder{CancelOrder: &marketv1.MsgCancelOrder{Owner: k.addr.Bytes(), Id: id}}})
	}
	iv := market.IntervalAt(mp, c.time.Unix()) + 1
	c.time = time.Unix(int64(iv*mp.IntervalSeconds)+200, 0).UTC()
	bid, ask := marketv1.Side_SIDE_BID, marketv1.Side_SIDE_ASK
	place(bob, b1, bid, iv+3, 4, 100)  // 1: 400 escrowed, open at the switch
	place(bob, b1, bid, iv+3, 5, 10)   // 2: cancelled by bob
	place(alice, s1, ask, iv+3, 1, 10) // 3
	place(bob, b1, bid, iv, 5, 10)     // 4: trades in iv
	place(alice, s1, ask, iv, 5, 10)   // 5

	// Cancel: only the owner, only an open order, refunded once.
	expectErr(t, "cancel someone else's order", cancel(alice, 1), errors.New("unauthorized"))
	expectErr(t, "cancel an unknown order", cancel(bob, 99), market.ErrNotFound)
	before := c.balance(bob.addr, "udpin")
	if r := cancel(bob, 2); r.Code != 0 {
		t.Fatal(r.Log)
	}
	if got := c.balance(bob.addr, "udpin"); got != before+50-txFee {
		t.Fatalf("cancel refunded %d, want 50", got+txFee-before)
	}
	expectErr(t, "cancel twice", cancel(bob, 2), market.ErrNotOpen)

	// The meters prove the trade; iv closes and clears (10 at 5).
	now := c.time.Unix() + 1
	w.batch(signReport(t, devKey("s1"), "solar", 1, now-100, now-1, &reportv1.MetricValue{Id: 2, Value: 10}),
		signReport(t, devKey("b1"), "solar", 1, now-100, now-1, &reportv1.MetricValue{Id: 1, Value: 10}))
	c.time = time.Unix(int64((iv+1)*mp.IntervalSeconds)+1, 0).UTC()
	c.block()
	if cl := (market.Keeper{}).Clearing(c.snapshot(), "solar", iv); cl == nil || cl.Volume != 10 || cl.Settled {
		t.Fatalf("clearing %v", cl)
	}
	expectErr(t, "cancel an auctioned order", cancel(bob, 4), market.ErrNotOpen)

	// The owner switches the market's currency while bid 1 (400 udpin) is
	// escrowed and iv is unsettled.
	p := gridParams()
	p.Market.Denom = "usolar"
	if r := c.result(alice, &txv1.Msg{Sum: &txv1.Msg_UpdateNetworkParams{UpdateNetworkParams: &networkv1.MsgUpdateNetworkParams{Owner: alice.addr.Bytes(), Network: "solar", Params: p}}}); r.Code != 0 {
		t.Fatal(r.Log)
	}
	n := (network.Keeper{}).Network(c.snapshot(), "solar")
	before = c.balance(bob.addr, "udpin")
	c.time = time.Unix(network.EpochStart(n, n.PendingEpoch), 0).UTC()
	c.block()
	if !hasEvent(c.events, "depin.market.v1.EventOrderCancelled") {
		t.Fatal("no cancellation event when the terms changed")
	}
	if got := c.balance(bob.addr, "udpin"); got != before+400 {
		t.Fatalf("bob got %d back, want 400 udpin", got-before)
	}
	r := c.snapshot()
	for _, id := range []uint64{1, 3} {
		o := (market.Keeper{}).Order(r, id)
		if o.Status != marketv1.OrderStatus_ORDER_STATUS_CANCELLED || o.Escrow != 0 || !strings.Contains(o.CloseReason, "changed") {
			t.Fatalf("order %d after the change: %v", id, o)
		}
	}
	// iv settles under the terms it cleared with: alice is paid 50 udpin.
	aliceBefore := c.balance(alice.addr, "udpin")
	c.time = time.Unix(int64((iv+1)*mp.IntervalSeconds+mp.SettleDelaySeconds)+1, 0).UTC()
	c.block()
	if cl := (market.Keeper{}).Clearing(c.snapshot(), "solar", iv); !cl.Settled {
		t.Fatal("iv did not settle after the currency changed")
	}
	if got := c.balance(alice.addr, "udpin"); got != aliceBefore+50 {
		t.Fatalf("seller paid %d udpin, want 50", got-aliceBefore)
	}
	if c.balance(market.Escrow, "udpin") != 0 {
		t.Fatal("udpin left in the market escrow")
	}
}

// TestMarketRemovedRefundsOpenOrders: a network whose owner removes its
// market refunds every open bid; new orders are refused.
func TestMarketRemovedRefundsOpenOrders(t *testing.T) {
	w := newWorldWith(t, store.NewMemTree(), gridParams())
	c, alice := w.c, w.owner
	b1 := w.register("b1", 5000)
	iv := market.IntervalAt(gridParams().Market, c.time.Unix()+1)
	for _, q := range []uint64{10, 20} {
		if r := c.result(alice, &txv1.Msg{Sum: &txv1.Msg_PlaceOrder{PlaceOrder: &marketv1.MsgPlaceOrder{Owner: alice.addr.Bytes(), Device: b1[:], Side: marketv1.Side_SIDE_BID, Interval: iv + 2, Price: 7, Quantity: q}}}); r.Code != 0 {
			t.Fatal(r.Log)
		}
	}
	p := gridParams()
	p.Market = nil
	if r := c.result(alice, &txv1.Msg{Sum: &txv1.Msg_UpdateNetworkParams{UpdateNetworkParams: &networkv1.MsgUpdateNetworkParams{Owner: alice.addr.Bytes(), Network: "solar", Params: p}}}); r.Code != 0 {
		t.Fatal(r.Log)
	}
	if c.balance(market.Escrow, "udpin") != 210 {
		t.Fatalf("escrow %d before the removal", c.balance(market.Escrow, "udpin"))
	}
	n := (network.Keeper{}).Network(c.snapshot(), "solar")
	before := c.balance(alice.addr, "udpin")
	c.time = time.Unix(network.EpochStart(n, n.PendingEpoch), 0).UTC()
	c.block()
	if got := c.balance(alice.addr, "udpin"); got != before+210 || c.balance(market.Escrow, "udpin") != 0 {
		t.Fatalf("refunded %d of 210; escrow holds %d", got-before, c.balance(market.Escrow, "udpin"))
	}
	expectErr(t, "order without a market", c.result(alice, &txv1.Msg{Sum: &txv1.Msg_PlaceOrder{PlaceOrder: &marketv1.MsgPlaceOrder{Owner: alice.addr.Bytes(), Device: b1[:], Side: marketv1.Side_SIDE_BID, Price: 7, Quantity: 1}}}), market.ErrNoMarket)
}

// TestSystemDenomsAreReserved: no account can create a token in the
// chain's namespaces — a share denom of someone else's device, the native
// token under another spelling — so share supply always equals shares
// issued.
func TestSystemDenomsAreReserved(t *testing.T) {
	w := newWorld(t)
	c, alice := w.c, w.owner
	dev := w.register("a", 5000)
	eve := newTestKey("eve")
	c.mustBlock(c.tx(alice, &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: alice.addr.Bytes(), To: eve.addr.Bytes(), Amount: []*bankv1.Coin{bank.Coin("udpin", 1_000_000_000)}}}}))
	for _, denom := range []string{share.Denom(dev), "share/x", "module/y", "ibc:z", "udpin", "dpin", "DPIN", "usolar"} {
		r := c.result(eve, &txv1.Msg{Sum: &txv1.Msg_CreateNetwork{CreateNetwork: &networkv1.MsgCreateNetwork{
			Owner: eve.addr.Bytes(), Id: "evil", Name: "Evil", Class: networkv1.ResourceClass_RESOURCE_CLASS_ENERGY, RewardDenom: denom, Params: rewardParams()}}})
		expectErr(t, "reward denom "+denom, r, network.ErrInvalidNetwork)
	}
	if r := c.result(alice, &txv1.Msg{Sum: &txv1.Msg_Tokenize{Tokenize: &sharev1.MsgTokenize{Owner: alice.addr.Bytes(), Device: dev[:], Shares: 1000}}}); r.Code != 0 {
		t.Fatal(r.Log)
	}
	if s := (bank.Keeper{}).Supply(c.snapshot(), share.Denom(dev)); s != 1000 {
		t.Fatalf("share supply %d", s)
	}
}

// TestReplaysNeverHurtADevice: a third party resubmitting a device's own
// accepted report a thousand times, or a rejected one, changes nothing of
// the device: reputation, counts and rewards stay.
func TestReplaysNeverHurtADevice(t *testing.T) {
	w := newWorldWith(t, store.NewMemTree(), rewardParams())
	c := w.c
	dev := w.register("a", 5000)
	eve := newTestKey("eve")
	c.mustBlock(c.tx(w.owner, &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: w.owner.addr.Bytes(), To: eve.addr.Bytes(), Amount: []*bankv1.Coin{bank.Coin("udpin", 1_000_000_000)}}}}))
	now := c.time.Unix() + 1
	good := w.report("a", 1, now-300, now-200, 100)
	future := w.report("a", 2, now-100, now+600, 1) // rejected: ends in the future
	w.batch(good, future)
	d0 := (device.Keeper{}).Get(c.snapshot(), dev)
	if d0.ReportsAccepted != 1 || d0.ReportsRejected != 1 {
		t.Fatalf("setup: accepted %d rejected %d", d0.ReportsAccepted, d0.ReportsRejected)
	}
	replays := make([]*reportv1.SignedReport, 0, 1000)
	for i := range 1000 {
		replays = append(replays, []*reportv1.SignedReport{good, future}[i%2])
	}
	r := c.result(eve, &txv1.Msg{Sum: &txv1.Msg_ReportBatch{ReportBatch: &reportv1.MsgReportBatch{Submitter: eve.addr.Bytes(), Reports: replays}}})
	if r.Code != 0 {
		t.Fatal(r.Log)
	}
	if acc, _ := outcomes(t, r); acc != 0 {
		t.Fatalf("%d replays accepted", acc)
	}
	d1 := (device.Keeper{}).Get(c.snapshot(), dev)
	if d1.RepAlpha != d0.RepAlpha || d1.RepBeta != d0.RepBeta || d1.ReportsRejected != d0.ReportsRejected || d1.ReportsAccepted != d0.ReportsAccepted {
		t.Fatalf("replays changed the device: α %d→%d β %d→%d rejected %d→%d", d0.RepAlpha, d1.RepAlpha, d0.RepBeta, d1.RepBeta, d0.ReportsRejected, d1.ReportsRejected)
	}
	// Its epoch reward is not zeroed by reputation.
	n := (network.Keeper{}).Network(c.snapshot(), "solar")
	e := network.EpochAt(n, now)
	c.time = time.Unix(network.EpochStart(n, e+1), 0).UTC()
	c.block()
	if bd := (reward.Keeper{}).Breakdown(c.snapshot(), "solar", e, dev); bd == nil || bd.BelowThreshold || bd.Reward == 0 {
		t.Fatalf("breakdown after replays: %v", bd)
	}
}

// TestRegistrationNeedsProofOfPossession: a certificate seen in the
// mempool cannot be registered by anyone but an owner the device key
// signed for; the signature is bound to the owner and the chain.
func TestRegistrationNeedsProofOfPossession(t *testing.T) {
	w := newWorld(t)
	c, alice := w.c, w.owner
	eve := newTestKey("eve")
	c.mustBlock(c.tx(alice, &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: alice.addr.Bytes(), To: eve.addr.Bytes(), Amount: []*bankv1.Coin{bank.Coin("udpin", 1_000_000_000)}}}}))
	cert := w.cert("a", 5000)
	reg := func(k testKey, sig []byte) *abci.ExecTxResult {
		return c.result(k, &txv1.Msg{Sum: &txv1.Msg_RegisterDevice{RegisterDevice: &devicev1.MsgRegisterDevice{Owner: k.addr.Bytes(), Cert: cert, DeviceSignature: sig, Cell: w.cell}}})
	}
	alicePoP := pop("a", alice.addr)
	otherChain := crypto.SignPossession(devKey("a"), "another-chain", eve.addr)
	for name, r := range map[string]*abci.ExecTxResult{
		"no proof":                             reg(eve, nil),
		"alice's proof, copied by eve":         reg(eve, alicePoP),
		"eve's own key signing":                reg(eve, crypto.SignPossession(eve.priv, testChain, eve.addr)),
		"the device's proof for another chain": reg(eve, otherChain),
		"a truncated proof":                    reg(eve, alicePoP[:63]),
	} {
		expectErr(t, name, r, device.ErrNoPossession)
	}
	if r := reg(alice, alicePoP); r.Code != 0 {
		t.Fatal(r.Log)
	}
	if d := (device.Keeper{}).Get(c.snapshot(), deviceID("a")); d == nil || !strings.EqualFold(string(d.Owner), string(alice.addr.Bytes())) {
		t.Fatal("alice does not own the device")
	}
}

// TestEvidenceJudgedByTheRulesWhenMade: a report exactly at the physical
// bound is accepted; its owner then lowers the bound. Neither a third
// party's evidence nor a late resubmission slashes the device; a report
// beyond the bound in force when it was made still does; double-report
// evidence is unaffected by parameter changes.
func TestEvidenceJudgedByTheRulesWhenMade(t *testing.T) {
	w := newWorld(t)
	c, alice := w.c, w.owner
	dev := w.register("a", 5000)
	w.register("late", 5000)
	eve := newTestKey("eve")
	c.mustBlock(c.tx(alice, &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: alice.addr.Bytes(), To: eve.addr.Bytes(), Amount: []*bankv1.Coin{bank.Coin("udpin", 1_000_000_000)}}}}))
	now := c.time.Unix() + 1
	// 5000 W over 100 s is at most 138.9 Wh.
	atBound := w.report("a", 1, now-300, now-200, 138)
	heldBack := w.report("late", 1, now-300, now-200, 138) // made now, submitted after the change
	if acc, rej := outcomes(t, w.batch(atBound)); acc != 1 {
		t.Fatal(rej)
	}
	// The owner halves the bound; it takes effect at the next epoch.
	p := solarParams()
	p.Metrics[0].BoundDen = 7200
	if r := c.result(alice, &txv1.Msg{Sum: &txv1.Msg_UpdateNetworkParams{UpdateNetworkParams: &networkv1.MsgUpdateNetworkParams{Owner: alice.addr.Bytes(), Network: "solar", Params: p}}}); r.Code != 0 {
		t.Fatal(r.Log)
	}
	n := (network.Keeper{}).Network(c.snapshot(), "solar")
	c.time = time.Unix(network.EpochStart(n, n.PendingEpoch)+1, 0).UTC()
	c.block()
	evidence := func(s *reportv1.SignedReport) *abci.ExecTxResult {
		return c.result(eve, &txv1.Msg{Sum: &txv1.Msg_SubmitEvidence{SubmitEvidence: &reportv1.MsgSubmitEvidence{Submitter: eve.addr.Bytes(), Kind: reportv1.EvidenceKind_EVIDENCE_KIND_IMPOSSIBLE_REPORT, Reports: []*reportv1.SignedReport{s}}}})
	}
	expectErr(t, "evidence from a report within the old bound", evidence(atBound), report.ErrInvalidEvidence)
	// Resubmitted late (still in the window): rejected under today's
	// bound, but not fraud.
	_, rej := outcomes(t, w.batch(heldBack))
	if rej[0] != "REJECT_REASON_IMPOSSIBLE_METRIC" && rej[0] != "REJECT_REASON_TOO_OLD" {
		t.Fatalf("held-back report: %v", rej)
	}
	r := c.snapshot()
	for _, name := range []string{"a", "late"} {
		d := (device.Keeper{}).Get(r, deviceID(name))
		if d.Status != devicev1.DeviceStatus_DEVICE_STATUS_ACTIVE || d.EvidenceCount != 0 || d.Stake != solarParams().MinStake {
			t.Fatalf("%s was punished for a report within the rules it was made under: %v", name, d.Status)
		}
	}
	// A report beyond the bound in force when it was made is fraud.
	now = c.time.Unix() + 1
	cheat := w.report("a", 2, now-100, now-50, 70) // 5000 W × 50 s / 7200 = 34.7 Wh
	if r := evidence(cheat); r.Code != 0 {
		t.Fatalf("evidence of a report beyond the bound in force: %s", r.Log)
	}
	if d := (device.Keeper{}).Get(c.snapshot(), dev); d.Status != devicev1.DeviceStatus_DEVICE_STATUS_JAILED || d.EvidenceCount != 1 {
		t.Fatalf("cheat not punished: %v evidence %d", d.Status, d.EvidenceCount)
	}
}

// TestFrozenNetworkStrandsNoFunds: a bid auctioned before its network
// froze can be taken back while it is frozen; the resumed network settles
// the trade as withdrawn, paying nothing twice.
func TestFrozenNetworkStrandsNoFunds(t *testing.T) {
	w := newWorldWith(t, store.NewMemTree(), gridParams())
	c, alice := w.c, w.owner
	bob := newTestKey("bob")
	c.mustBlock(c.tx(alice, &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: alice.addr.Bytes(), To: bob.addr.Bytes(), Amount: []*bankv1.Coin{bank.Coin("udpin", 1_000_000_000)}}}}))
	c.mustBlock(c.tx(bob, registerMsg(bob.addr, w.cert("b1", 5000), "b1", w.cell)))
	b1, s1 := deviceID("b1"), w.register("s1", 5000)
	mp := gridParams().Market
	iv := market.IntervalAt(mp, c.time.Unix()) + 1
	c.time = time.Unix(int64(iv*mp.IntervalSeconds)+200, 0).UTC()
	for _, r := range []*abci.ExecTxResult{
		c.result(bob, &txv1.Msg{Sum: &txv1.Msg_PlaceOrder{PlaceOrder: &marketv1.MsgPlaceOrder{Owner: bob.addr.Bytes(), Device: b1[:], Side: marketv1.Side_SIDE_BID, Price: 5, Quantity: 10}}}),
		c.result(alice, &txv1.Msg{Sum: &txv1.Msg_PlaceOrder{PlaceOrder: &marketv1.MsgPlaceOrder{Owner: alice.addr.Bytes(), Device: s1[:], Side: marketv1.Side_SIDE_ASK, Price: 5, Quantity: 10}}}),
	} {
		if r.Code != 0 {
			t.Fatal(r.Log)
		}
	}
	c.time = time.Unix(int64((iv+1)*mp.IntervalSeconds)+1, 0).UTC()
	c.block() // iv clears: bob's bid keeps 50
	if o := (market.Keeper{}).Order(c.snapshot(), 1); o.Status != marketv1.OrderStatus_ORDER_STATUS_CLEARED || o.Escrow != 50 {
		t.Fatalf("bid after clearing: %v", o)
	}
	expectErr(t, "withdrawing an auctioned bid of a running network", c.result(bob, &txv1.Msg{Sum: &txv1.Msg_CancelOrder{CancelOrder: &marketv1.MsgCancelOrder{Owner: bob.addr.Bytes(), Id: 1}}}), market.ErrNotOpen)
	c.corruptNext(reward.JobKey("solar"), []byte{0xff})
	c.block()
	if !(network.Keeper{}).Network(c.snapshot(), "solar").Frozen {
		t.Fatal("not frozen")
	}
	before := c.balance(bob.addr, "udpin")
	if r := c.result(bob, &txv1.Msg{Sum: &txv1.Msg_CancelOrder{CancelOrder: &marketv1.MsgCancelOrder{Owner: bob.addr.Bytes(), Id: 1}}}); r.Code != 0 {
		t.Fatal(r.Log)
	}
	if got := c.balance(bob.addr, "udpin"); got != before+50-txFee {
		t.Fatalf("withdrew %d, want 50", got+txFee-before)
	}
	if r := c.result(alice, &txv1.Msg{Sum: &txv1.Msg_ResumeNetwork{ResumeNetwork: &networkv1.MsgResumeNetwork{Owner: alice.addr.Bytes(), Network: "solar"}}}); r.Code != 0 {
		t.Fatal(r.Log)
	}
	aliceBefore := c.balance(alice.addr, "udpin")
	c.time = time.Unix(int64((iv+1)*mp.IntervalSeconds+mp.SettleDelaySeconds)+1, 0).UTC()
	c.block()
	if cl := (market.Keeper{}).Clearing(c.snapshot(), "solar", iv); !cl.Settled {
		t.Fatal("not settled after resuming")
	}
	if c.balance(alice.addr, "udpin") != aliceBefore || c.balance(market.Escrow, "udpin") != 0 {
		t.Fatal("a withdrawn bid paid the seller, or escrow is left")
	}
}

// TestEscrowAccountsTakeNoDonations: MsgSend cannot pay a module's escrow
// or pool, whose balance must equal its module's records.
func TestEscrowAccountsTakeNoDonations(t *testing.T) {
	w := newWorld(t)
	c, alice := w.c, w.owner
	for _, to := range []crypto.Address{reward.Pool, share.LeaseEscrow, market.Escrow, agreement.Escrow, device.StakePool} {
		r := c.result(alice, &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: alice.addr.Bytes(), To: to.Bytes(), Amount: []*bankv1.Coin{bank.Coin("udpin", 1)}}}})
		expectErr(t, "donation to "+to.String(), r, bank.ErrModuleAccount)
	}
}

// TestSlashIsTheMildestSinceTheFraud: an owner who raises the slash after
// a device's fraud cannot make that fraud cost more than it did when
// committed.
func TestSlashIsTheMildestSinceTheFraud(t *testing.T) {
	p := rewardParams()
	p.Rewards.SlashBps = 1000
	w := newWorldWith(t, store.NewMemTree(), p)
	c, alice := w.c, w.owner
	dev := w.register("a", 5000)
	now := c.time.Unix() + 1
	cheat := w.report("a", 1, now-100, now-50, 1000) // far beyond 5000 W × 50 s
	harsh := rewardParams()
	harsh.Rewards.SlashBps = 10_000
	if r := c.result(alice, &txv1.Msg{Sum: &txv1.Msg_UpdateNetworkParams{UpdateNetworkParams: &networkv1.MsgUpdateNetworkParams{Owner: alice.addr.Bytes(), Network: "solar", Params: harsh}}}); r.Code != 0 {
		t.Fatal(r.Log)
	}
	n := (network.Keeper{}).Network(c.snapshot(), "solar")
	c.time = time.Unix(network.EpochStart(n, n.PendingEpoch)+1, 0).UTC()
	c.block()
	if r := c.result(alice, &txv1.Msg{Sum: &txv1.Msg_SubmitEvidence{SubmitEvidence: &reportv1.MsgSubmitEvidence{Submitter: alice.addr.Bytes(), Kind: reportv1.EvidenceKind_EVIDENCE_KIND_IMPOSSIBLE_REPORT, Reports: []*reportv1.SignedReport{cheat}}}}); r.Code != 0 {
		t.Fatal(r.Log)
	}
	stake := solarParams().MinStake
	if d := (device.Keeper{}).Get(c.snapshot(), dev); d.Stake != stake-stake/10 {
		t.Fatalf("stake %d after the fraud, want 10%% slashed (%d)", d.Stake, stake-stake/10)
	}
}

// TestEvidenceAcrossEveryParamChange: for every kind of parameter change
// an owner can make after reports were signed, every evidence kind is
// judged as it would have been when the reports were made: the honest
// report at the bound is never fraud, the report beyond it always is,
// two reports with one seq always are.
func TestEvidenceAcrossEveryParamChange(t *testing.T) {
	for name, change := range map[string]func(p *networkv1.Params){
		"bound lowered":      func(p *networkv1.Params) { p.Metrics[0].BoundDen *= 4 },
		"bound raised":       func(p *networkv1.Params) { p.Metrics[0].BoundNum *= 4 },
		"metric replaced":    func(p *networkv1.Params) { p.Metrics[0].Id = 2 },
		"epoch shortened":    func(p *networkv1.Params) { p.EpochSeconds = 600 },
		"window shrunk":      func(p *networkv1.Params) { p.ReportWindowSeconds = 60 },
		"slash raised":       func(p *networkv1.Params) { p.Rewards.SlashBps = 10_000 },
		"weights changed":    func(p *networkv1.Params) { p.Metrics[0].Weight = 1000 },
		"rewards turned off": func(p *networkv1.Params) { p.Rewards = nil },
	} {
		t.Run(name, func(t *testing.T) {
			w := newWorldWith(t, store.NewMemTree(), rewardParams())
			c, alice := w.c, w.owner
			for _, d := range []string{"honest", "cheat", "double"} {
				w.register(d, 5000)
			}
			now := c.time.Unix() + 1
			honest := w.report("honest", 1, now-300, now-200, 138) // at the bound: 5000 W × 100 s = 138.9 Wh
			cheat := w.report("cheat", 1, now-300, now-200, 300)
			first, second := w.report("double", 1, now-300, now-200, 10), w.report("double", 1, now-300, now-200, 11)
			if acc, rej := outcomes(t, w.batch(honest, first)); acc != 2 {
				t.Fatal(rej)
			}
			p := rewardParams()
			change(p)
			if r := c.result(alice, &txv1.Msg{Sum: &txv1.Msg_UpdateNetworkParams{UpdateNetworkParams: &networkv1.MsgUpdateNetworkParams{Owner: alice.addr.Bytes(), Network: "solar", Params: p}}}); r.Code != 0 {
				t.Fatal(r.Log)
			}
			n := (network.Keeper{}).Network(c.snapshot(), "solar")
			c.time = time.Unix(network.EpochStart(n, n.PendingEpoch)+1, 0).UTC()
			c.block()
			submit := func(kind reportv1.EvidenceKind, rs ...*reportv1.SignedReport) *abci.ExecTxResult {
				return c.result(alice, &txv1.Msg{Sum: &txv1.Msg_SubmitEvidence{SubmitEvidence: &reportv1.MsgSubmitEvidence{Submitter: alice.addr.Bytes(), Kind: kind, Reports: rs}}})
			}
			expectErr(t, "the honest report", submit(reportv1.EvidenceKind_EVIDENCE_KIND_IMPOSSIBLE_REPORT, honest), report.ErrInvalidEvidence)
			if r := submit(reportv1.EvidenceKind_EVIDENCE_KIND_IMPOSSIBLE_REPORT, cheat); r.Code != 0 {
				t.Fatalf("the report beyond the bound: %s", r.Log)
			}
			if r := submit(reportv1.EvidenceKind_EVIDENCE_KIND_DOUBLE_REPORT, first, second); r.Code != 0 {
				t.Fatalf("the double report: %s", r.Log)
			}
			r := c.snapshot()
			want := map[string]devicev1.DeviceStatus{"honest": devicev1.DeviceStatus_DEVICE_STATUS_ACTIVE, "cheat": devicev1.DeviceStatus_DEVICE_STATUS_JAILED, "double": devicev1.DeviceStatus_DEVICE_STATUS_JAILED}
			stake := solarParams().MinStake
			for d, st := range want {
				dv := (device.Keeper{}).Get(r, deviceID(d))
				if dv.Status != st {
					t.Errorf("%s is %s, want %s", d, dv.Status, st)
				}
				if st == devicev1.DeviceStatus_DEVICE_STATUS_JAILED && dv.Stake != stake-stake/10 {
					t.Errorf("%s slashed to %d, want 10%% (the slash when it cheated)", d, dv.Stake)
				}
			}
		})
	}
}

// TestRewardsAroundPentagons: devices registered on H3 pentagons (and
// next to them) at each geo rule resolution are rewarded with HIP-17
// geography like any other: a location anyone may choose must never fail
// a network's reward step.
func TestRewardsAroundPentagons(t *testing.T) {
	for i, res := range []int{5, 7, 8, 10} {
		t.Run(fmt.Sprint("r", res), func(t *testing.T) {
			p := rewardParams()
			p.Rewards.Geo = network.HIP104Geo()
			w := newWorldWith(t, store.NewMemTree(), p)
			c, alice := w.c, w.owner
			pents := uh3.Pentagons(res)
			cell := pents[(i*5)%len(pents)]
			ring := uh3.GridDisk(cell, 1)
			var ids []crypto.DeviceID
			var names []string
			for j, cl := range []uh3.Cell{cell, cell, ring[0], ring[len(ring)-1]} {
				name := fmt.Sprintf("pent-%d", j)
				c.mustBlock(c.tx(alice, registerMsg(alice.addr, w.cert(name, 5000), name, uint64(cl))))
				ids, names = append(ids, deviceID(name)), append(names, name)
			}
			n := (network.Keeper{}).Network(c.snapshot(), "solar")
			now := c.time.Unix() + 1
			e := network.EpochAt(n, now)
			var batch []*reportv1.SignedReport
			for _, name := range names {
				batch = append(batch, w.report(name, 1, now-300, now-200, 100))
			}
			if acc, rej := outcomes(t, w.batch(batch...)); acc != len(ids) {
				t.Fatal(rej)
			}
			c.time = time.Unix(network.EpochStart(n, e+1), 0).UTC()
			c.block()
			r := c.snapshot()
			if nw := (network.Keeper{}).Network(r, "solar"); nw.Frozen {
				t.Fatalf("rewards around a pentagon froze the network: %s", nw.FrozenReason)
			}
			for _, id := range ids {
				if bd := (reward.Keeper{}).Breakdown(r, "solar", e, id); bd == nil || bd.Reward == 0 {
					t.Errorf("device %s on or by a pentagon: breakdown %v", crypto.DeviceString(id), bd)
				}
			}
		})
	}
}

// TestLeaseRentSurvivesShorterEpochs: a network owner who shortens the
// epochs after a lessee deposited cannot drain the deposit faster than
// agreed: rent is scaled to each epoch's length.
func TestLeaseRentSurvivesShorterEpochs(t *testing.T) {
	w := newWorld(t) // epochs of 3600 s
	c, alice := w.c, w.owner
	a := w.register("a", 5000)
	bob := newTestKey("bob")
	c.mustBlock(c.tx(alice, &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: alice.addr.Bytes(), To: bob.addr.Bytes(), Amount: []*bankv1.Coin{bank.Coin("udpin", 1_000_000_000)}}}}))
	n := (network.Keeper{}).Network(c.snapshot(), "solar")
	e := network.EpochAt(n, c.time.Unix()+1)
	if r := c.result(alice, &txv1.Msg{Sum: &txv1.Msg_OfferLease{OfferLease: &sharev1.MsgOfferLease{Owner: alice.addr.Bytes(), Device: a[:], Lessee: bob.addr.Bytes(), Denom: "udpin", RentPerEpoch: 3600, StartEpoch: e + 1, EndEpoch: e + 1000}}}); r.Code != 0 {
		t.Fatal(r.Log)
	}
	if r := c.result(bob, &txv1.Msg{Sum: &txv1.Msg_AcceptLease{AcceptLease: &sharev1.MsgAcceptLease{Lessee: bob.addr.Bytes(), Device: a[:], Deposit: 36_000}}}); r.Code != 0 {
		t.Fatal(r.Log)
	}
	// The owner (also the lessor) switches to 60-second epochs.
	p := solarParams()
	p.EpochSeconds = 60
	if r := c.result(alice, &txv1.Msg{Sum: &txv1.Msg_UpdateNetworkParams{UpdateNetworkParams: &networkv1.MsgUpdateNetworkParams{Owner: alice.addr.Bytes(), Network: "solar", Params: p}}}); r.Code != 0 {
		t.Fatal(r.Log)
	}
	// One hour of 60-second epochs later the lessee has paid about one
	// hour's rent, not sixty.
	start := network.EpochStart(n, e+1)
	for s := int64(0); s <= 3600; s += 60 {
		c.time = time.Unix(start+s+1, 0).UTC()
		c.block()
	}
	l := (share.Keeper{}).Lease(c.snapshot(), a)
	if l.Status != sharev1.LeaseStatus_LEASE_STATUS_ACTIVE || l.RentPaid > 2*3600 || l.RentPaid < 3600 {
		t.Fatalf("after an hour of short epochs: %s, rent paid %d (want about 3600), escrow %d", l.Status, l.RentPaid, l.Escrow)
	}
}

// TestAgreementCancelSurvivesLongerEpochs: a network owner who lengthens
// the epochs to a year cannot lock a consumer's escrow for two: the
// consumer's cancellation pays what was proved so far and refunds the rest
// at once.
func TestAgreementCancelSurvivesLongerEpochs(t *testing.T) {
	w := newWorld(t)
	c, alice := w.c, w.owner
	a := w.register("a", 5000)
	bob := newTestKey("bob")
	c.mustBlock(c.tx(alice, &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: alice.addr.Bytes(), To: bob.addr.Bytes(), Amount: []*bankv1.Coin{bank.Coin("udpin", 1_000_000_000)}}}}))
	n := (network.Keeper{}).Network(c.snapshot(), "solar")
	e := network.EpochAt(n, c.time.Unix()+1)
	if r := c.result(bob, &txv1.Msg{Sum: &txv1.Msg_OpenAgreement{OpenAgreement: &agreementv1.MsgOpenAgreement{Consumer: bob.addr.Bytes(), Device: a[:], Metric: 1, Denom: "udpin", PriceNum: 1, PriceDen: 1, MaxUnits: 10_000, StartEpoch: e, EndEpoch: e + 50}}}); r.Code != 0 {
		t.Fatal(r.Log)
	}
	p := solarParams()
	p.EpochSeconds = network.MaxEpochSeconds
	if r := c.result(alice, &txv1.Msg{Sum: &txv1.Msg_UpdateNetworkParams{UpdateNetworkParams: &networkv1.MsgUpdateNetworkParams{Owner: alice.addr.Bytes(), Network: "solar", Params: p}}}); r.Code != 0 {
		t.Fatal(r.Log)
	}
	n = (network.Keeper{}).Network(c.snapshot(), "solar")
	c.time = time.Unix(network.EpochStart(n, n.PendingEpoch)+1, 0).UTC()
	c.block()
	if got := (network.Keeper{}).Network(c.snapshot(), "solar").Params.EpochSeconds; got != network.MaxEpochSeconds {
		t.Fatalf("epochs of %d s", got)
	}
	now := c.time.Unix() + 1
	w.batch(w.report("a", 1, now-300, now-200, 100))
	before := c.balance(bob.addr, "udpin")
	if r := c.result(bob, &txv1.Msg{Sum: &txv1.Msg_CancelAgreement{CancelAgreement: &agreementv1.MsgCancelAgreement{Consumer: bob.addr.Bytes(), Id: 1}}}); r.Code != 0 {
		t.Fatal(r.Log)
	}
	ag := (agreement.Keeper{}).Get(c.snapshot(), 1)
	if ag.Status != agreementv1.Status_STATUS_CLOSED || ag.UnitsPaid != 100 || c.balance(agreement.Escrow, "udpin") != 0 {
		t.Fatalf("after cancelling: %s, units paid %d, escrow %d", ag.Status, ag.UnitsPaid, c.balance(agreement.Escrow, "udpin"))
	}
	if got := c.balance(bob.addr, "udpin"); got != before+ag.Refunded-txFee || ag.Refunded != 10_000-100 {
		t.Fatalf("refunded %d", ag.Refunded)
	}
}

// TestStakeUnbondsUnderItsOwnTerms: a network owner who raises the
// unbonding time to a year does not lock stakes registered under a
// minute for a year.
func TestStakeUnbondsUnderItsOwnTerms(t *testing.T) {
	w := newWorld(t) // unbonding 60 s
	c, alice := w.c, w.owner
	a := w.register("a", 5000)
	p := solarParams()
	p.UnbondingSeconds = network.MaxUnbondSeconds
	if r := c.result(alice, &txv1.Msg{Sum: &txv1.Msg_UpdateNetworkParams{UpdateNetworkParams: &networkv1.MsgUpdateNetworkParams{Owner: alice.addr.Bytes(), Network: "solar", Params: p}}}); r.Code != 0 {
		t.Fatal(r.Log)
	}
	n := (network.Keeper{}).Network(c.snapshot(), "solar")
	c.time = time.Unix(network.EpochStart(n, n.PendingEpoch)+1, 0).UTC()
	c.block()
	if r := c.result(alice, &txv1.Msg{Sum: &txv1.Msg_DeactivateDevice{DeactivateDevice: &devicev1.MsgDeactivateDevice{Owner: alice.addr.Bytes(), Device: a[:]}}}); r.Code != 0 {
		t.Fatal(r.Log)
	}
	c.time = c.time.Add(2 * time.Minute)
	if r := c.result(alice, &txv1.Msg{Sum: &txv1.Msg_WithdrawStake{WithdrawStake: &devicev1.MsgWithdrawStake{Owner: alice.addr.Bytes(), Device: a[:]}}}); r.Code != 0 {
		t.Fatalf("withdrawing after the unbonding agreed: %s", r.Log)
	}
}

// TestInvariantsReportCorruptState: a record that does not decode makes
// CheckInvariants return a violation naming it, not panic.
func TestInvariantsReportCorruptState(t *testing.T) {
	w := newWorld(t)
	w.register("a", 5000)
	kv := store.NewCache(store.ReadOnly(w.c.snapshot()))
	kv.Set(device.Key(deviceID("a")), []byte{0xff, 0xff})
	err := CheckInvariants(kv)
	if err == nil || !strings.Contains(err.Error(), "unreadable state") {
		t.Fatalf("CheckInvariants on a corrupt device record: %v", err)
	}
}
