package app

import (
	"fmt"
	"testing"
	"time"

	agreementv1 "github.com/depinhq/depin/gen/depin/agreement/v1"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/x/agreement"
	"github.com/depinhq/depin/x/bank"
	"github.com/depinhq/depin/x/network"
)

// TestAgreementPaysPerVerifiedUnit: bob pays alice's solar device 1.5
// udpin per Wh its accepted reports prove, for two epochs, capped at 500
// Wh; each epoch's end pays what the reports proved; the end refunds the
// rest. Bad requests change nothing but the fee.
func TestAgreementPaysPerVerifiedUnit(t *testing.T) {
	w := newWorld(t)
	c := w.c
	a := w.register("a", 5000)
	bob := newTestKey("bob")
	c.mustBlock(c.tx(w.owner, &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: w.owner.addr.Bytes(), To: bob.addr.Bytes(), Amount: []*bankv1.Coin{bank.Coin("udpin", 1_000_000_000)}}}}))
	n := network.Keeper{}.Network(c.snapshot(), "solar")
	e := network.EpochAt(n, c.time.Unix()+1)
	open := func(m *agreementv1.MsgOpenAgreement) *claimResult {
		m.Consumer = bob.addr.Bytes()
		r := c.block(c.tx(bob, &txv1.Msg{Sum: &txv1.Msg_OpenAgreement{OpenAgreement: m}}))[0]
		return &claimResult{r.Code, r.Codespace, r.Log}
	}
	good := func() *agreementv1.MsgOpenAgreement {
		return &agreementv1.MsgOpenAgreement{Device: a[:], Metric: 1, Denom: "udpin", PriceNum: 3, PriceDen: 2, MaxUnits: 500, StartEpoch: e, EndEpoch: e + 1}
	}
	// Bad requests: refused, only the fee moves.
	before := c.balance(bob.addr, "udpin")
	for name, mutate := range map[string]func(m *agreementv1.MsgOpenAgreement){
		"zero price":        func(m *agreementv1.MsgOpenAgreement) { m.PriceNum = 0 },
		"zero quantity":     func(m *agreementv1.MsgOpenAgreement) { m.MaxUnits = 0 },
		"overflowing price": func(m *agreementv1.MsgOpenAgreement) { m.MaxUnits, m.PriceNum, m.PriceDen = ^uint64(0), ^uint64(0), 1 },
		"overspending":      func(m *agreementv1.MsgOpenAgreement) { m.MaxUnits, m.PriceNum = 1_000_000_000, 2 },
		"unknown metric":    func(m *agreementv1.MsgOpenAgreement) { m.Metric = 9 },
		"past start":        func(m *agreementv1.MsgOpenAgreement) { m.StartEpoch = e - 1 },
		"end before start":  func(m *agreementv1.MsgOpenAgreement) { m.EndEpoch = e - 1 },
		"unknown denom":     func(m *agreementv1.MsgOpenAgreement) { m.Denom = "uwho" },
	} {
		m := good()
		mutate(m)
		if r := open(m); r.code == 0 {
			t.Errorf("%s: accepted", name)
		}
		before -= txFee
	}
	if got := c.balance(bob.addr, "udpin"); got != before {
		t.Fatalf("bob has %d after refused requests, want %d (fees only)", got, before)
	}
	if r := open(good()); r.code != 0 {
		t.Fatal(r.log)
	}
	ag := agreement.Keeper{}.Get(c.snapshot(), 1)
	if ag.Escrow != 750 || c.balance(agreement.Escrow, "udpin") != 750 {
		t.Fatalf("escrow %d", ag.Escrow)
	}
	// Someone else cannot decline or cancel it.
	if r := c.block(c.tx(bob, &txv1.Msg{Sum: &txv1.Msg_DeclineAgreement{DeclineAgreement: &agreementv1.MsgDeclineAgreement{Owner: bob.addr.Bytes(), Id: 1}}}))[0]; r.Code == 0 {
		t.Fatal("the consumer declined on the provider's behalf")
	}
	if r := c.block(c.tx(w.owner, &txv1.Msg{Sum: &txv1.Msg_CancelAgreement{CancelAgreement: &agreementv1.MsgCancelAgreement{Consumer: w.owner.addr.Bytes(), Id: 1}}}))[0]; r.Code == 0 {
		t.Fatal("the provider cancelled on the consumer's behalf")
	}

	// Epoch e: 100 Wh proved. Epoch e+1: 333 Wh. The cap is 500.
	now := c.time.Unix() + 1
	w.batch(w.report("a", 1, now-100, now, 100))
	aliceBefore := c.balance(w.owner.addr, "udpin")
	c.time = time.Unix(network.EpochStart(n, e+1)+200, 0).UTC()
	c.block()
	if got := c.balance(w.owner.addr, "udpin") - aliceBefore; got != 150 { // 100 × 1.5
		t.Fatalf("paid %d for epoch %d, want 150", got, e)
	}
	c.block() // settling is once per epoch: nothing more
	if got := c.balance(w.owner.addr, "udpin") - aliceBefore; got != 150 {
		t.Fatalf("paid %d after a second block, want 150", got)
	}
	now = c.time.Unix() + 1
	w.batch(w.report("a", 2, now-300, now, 333))
	aliceBefore = c.balance(w.owner.addr, "udpin") // the batch's fee is alice's
	bobBefore := c.balance(bob.addr, "udpin")
	c.time = time.Unix(network.EpochStart(n, e+2)+10, 0).UTC()
	c.block()
	// floor(433 × 1.5) = 649 paid in all: 499 now; the term is over: 750 − 649 = 101 back to bob.
	if got := c.balance(w.owner.addr, "udpin") - aliceBefore; got != 499 {
		t.Fatalf("paid %d for epoch %d, want 499", got, e+1)
	}
	if got := c.balance(bob.addr, "udpin") - bobBefore; got != 101 {
		t.Fatalf("refund %d, want 101", got)
	}
	ag = agreement.Keeper{}.Get(c.snapshot(), 1)
	if ag.Status != agreementv1.Status_STATUS_CLOSED || ag.Paid != 649 || ag.UnitsPaid != 433 || ag.Refunded != 101 {
		t.Fatalf("agreement at the end: %v", ag)
	}
	if c.balance(agreement.Escrow, "udpin") != 0 {
		t.Fatal("escrow not empty")
	}
}

// TestAgreementEnds: the cap closes an agreement at once; a consumer's
// cancellation leaves the notice epochs paid; the provider's decline
// refunds everything not yet paid. With a budget of one agreement per
// block the settlement pass takes several blocks and ends the same.
func TestAgreementEnds(t *testing.T) {
	for _, budget := range []int{20_000, 1} {
		t.Run(fmt.Sprintf("budget=%d", budget), func(t *testing.T) { testAgreementEnds(t, budget) })
	}
}

func testAgreementEnds(t *testing.T, budget int) {
	w := newWorld(t)
	c := w.c
	c.app.agreement.BlockBudget = budget
	a := w.register("a", 5000)
	bob := newTestKey("bob")
	c.mustBlock(c.tx(w.owner, &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: w.owner.addr.Bytes(), To: bob.addr.Bytes(), Amount: []*bankv1.Coin{bank.Coin("udpin", 1_000_000_000)}}}}))
	n := network.Keeper{}.Network(c.snapshot(), "solar")
	e := network.EpochAt(n, c.time.Unix()+1)
	openTx := func(max uint64, end uint64) {
		m := &agreementv1.MsgOpenAgreement{Consumer: bob.addr.Bytes(), Device: a[:], Metric: 1, Denom: "udpin", PriceNum: 1, PriceDen: 1, MaxUnits: max, StartEpoch: e, EndEpoch: end}
		if r := c.block(c.tx(bob, &txv1.Msg{Sum: &txv1.Msg_OpenAgreement{OpenAgreement: m}}))[0]; r.Code != 0 {
			t.Fatal(r.Log)
		}
	}
	openTx(50, e+10)   // 1: capped at 50
	openTx(1000, e+10) // 2: cancelled
	openTx(1000, e+10) // 3: declined
	if r := c.block(c.tx(bob, &txv1.Msg{Sum: &txv1.Msg_CancelAgreement{CancelAgreement: &agreementv1.MsgCancelAgreement{Consumer: bob.addr.Bytes(), Id: 2}}}))[0]; r.Code != 0 {
		t.Fatal(r.Log)
	}
	if r := c.block(c.tx(w.owner, &txv1.Msg{Sum: &txv1.Msg_DeclineAgreement{DeclineAgreement: &agreementv1.MsgDeclineAgreement{Owner: w.owner.addr.Bytes(), Id: 3}}}))[0]; r.Code != 0 {
		t.Fatal(r.Log)
	}
	k := agreement.Keeper{}
	if ag := k.Get(c.snapshot(), 3); ag.Status != agreementv1.Status_STATUS_CLOSED || ag.Refunded != 1000 {
		t.Fatalf("declined: %v", ag)
	}
	if ag := k.Get(c.snapshot(), 2); ag.EndEpoch != e+agreement.NoticeEpochs {
		t.Fatalf("cancelled: ends %d, want %d", ag.EndEpoch, e+agreement.NoticeEpochs)
	}
	// 100 Wh in epoch e.
	now := c.time.Unix() + 1
	w.batch(w.report("a", 1, now-100, now, 100))
	c.time = time.Unix(network.EpochStart(n, e+1)+1, 0).UTC()
	c.block()
	c.block()
	c.block()
	if ag := k.Get(c.snapshot(), 1); ag.Status != agreementv1.Status_STATUS_CLOSED || ag.Paid != 50 || ag.CloseReason != "cap reached" {
		t.Fatalf("capped: %v", ag)
	}
	if ag := k.Get(c.snapshot(), 2); ag.Status != agreementv1.Status_STATUS_OPEN || ag.Paid != 100 {
		t.Fatalf("cancelled, in notice: %v", ag)
	}
	c.time = time.Unix(network.EpochStart(n, e+2)+1, 0).UTC()
	c.block()
	c.block()
	c.block()
	if ag := k.Get(c.snapshot(), 2); ag.Status != agreementv1.Status_STATUS_CLOSED || ag.Paid != 100 || ag.Refunded != 900 || ag.CloseReason != "cancelled by the consumer" {
		t.Fatalf("cancelled, after notice: %v", ag)
	}
}
