package app

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/depinhq/depin/crypto"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	marketv1 "github.com/depinhq/depin/gen/depin/market/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/bank"
	"github.com/depinhq/depin/x/device"
	"github.com/depinhq/depin/x/market"
)

// gridParams: household meters (1 consumed, 2 exported Wh) with a
// 15-minute market settled a minute after each interval.
func gridParams() *networkv1.Params {
	p := solarParams()
	p.Metrics = []*networkv1.Metric{
		{Id: 1, Name: "consumed", Unit: "Wh", BoundNum: 1, BoundDen: 3600, Weight: 1},
		{Id: 2, Name: "exported", Unit: "Wh", BoundNum: 1, BoundDen: 3600, Weight: 1},
	}
	p.Market = &marketv1.MarketParams{IntervalSeconds: 900, Denom: "udpin", SellerMetric: 2, BuyerMetric: 1, SettleDelaySeconds: 60, ShortfallPenalty: 100_000_000}
	return p
}

// TestEnergyMarket: two producer meters offer, one consumer bids; the
// interval clears at a uniform price; settlement pays for what the meters
// proved, refunds the shortfall and lowers the short seller's reputation;
// nothing is paid twice. Bad orders change nothing but the fee.
func TestEnergyMarket(t *testing.T) {
	w := newWorldWith(t, store.NewMemTree(), gridParams())
	c := w.c
	bob := newTestKey("bob")
	c.mustBlock(c.tx(w.owner, &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: w.owner.addr.Bytes(), To: bob.addr.Bytes(), Amount: []*bankv1.Coin{bank.Coin("udpin", 1_000_000_000)}}}}))
	s1, s2 := w.register("s1", 5000), w.register("s2", 5000)
	// bob registers his own meter.
	c.mustBlock(c.tx(bob, &txv1.Msg{Sum: &txv1.Msg_RegisterDevice{RegisterDevice: &devicev1.MsgRegisterDevice{Owner: bob.addr.Bytes(), Cert: w.cert("b1", 5000), DeviceSignature: pop("b1", bob.addr), Cell: w.cell}}}))
	b1 := crypto.AddressFromPubKey(devKey("b1").Public().(ed25519.PublicKey))

	iv := uint64(c.time.Unix())/900 + 1
	c.time = time.Unix(int64(iv*900)+10, 0).UTC()
	order := func(k testKey, dev crypto.DeviceID, side marketv1.Side, price, qty uint64) *claimResult {
		r := c.block(c.tx(k, &txv1.Msg{Sum: &txv1.Msg_PlaceOrder{PlaceOrder: &marketv1.MsgPlaceOrder{Owner: k.addr.Bytes(), Device: dev[:], Side: side, Price: price, Quantity: qty}}}))[0]
		return &claimResult{r.Code, r.Codespace, r.Log}
	}
	bid, ask := marketv1.Side_SIDE_BID, marketv1.Side_SIDE_ASK
	bobStart := c.balance(bob.addr, "udpin")
	bad := map[string]*claimResult{
		"bid with someone else's meter": order(bob, s1, bid, 8, 10),
		"zero price":                    order(bob, b1, bid, 0, 10),
		"zero quantity":                 order(bob, b1, bid, 8, 0),
		"overflowing":                   order(bob, b1, bid, ^uint64(0), 2),
		"overspending the escrow":       order(bob, b1, bid, 1_000_000, 1_000_000),
	}
	for name, r := range bad {
		if r.code == 0 {
			t.Errorf("%s: accepted", name)
		}
	}
	if got := c.balance(bob.addr, "udpin"); got != bobStart-uint64(len(bad))*txFee {
		t.Fatalf("bad orders cost bob %d, want the fees only", bobStart-got)
	}
	for _, r := range []*claimResult{order(w.owner, s1, ask, 5, 100), order(w.owner, s2, ask, 7, 100), order(bob, b1, bid, 8, 150)} {
		if r.code != 0 {
			t.Fatal(r.log)
		}
	}
	bobAfterBid := c.balance(bob.addr, "udpin")

	// The meters report inside the interval: s1 exports 100 Wh, s2 only 30, b1 consumes 200.
	c.time = c.time.Add(300 * time.Second)
	now := c.time.Unix() + 1
	rep := func(name string, metric uint32, v uint64) *reportv1.SignedReport {
		return signReport(t, devKey(name), "solar", 1, now-250, now-10, &reportv1.MetricValue{Id: metric, Value: v})
	}
	w.batch(rep("s1", 2, 100), rep("s2", 2, 30), rep("b1", 1, 200))

	// The interval closes: bids 8×150 against asks 5×100, 7×100 → 100 from
	// s1 and 50 from s2 at (8 + 7) / 2 = 7; bob gets 150 × (8 − 7) back.
	c.time = time.Unix(int64((iv+1)*900)+1, 0).UTC()
	c.block()
	k := market.Keeper{}
	cl := k.Clearing(c.snapshot(), "solar", iv)
	if cl == nil || cl.Price != 7 || cl.Volume != 150 || len(cl.Trades) != 2 || cl.Settled {
		t.Fatalf("clearing %v", cl)
	}
	if got := c.balance(bob.addr, "udpin") - bobAfterBid; got != 150 {
		t.Fatalf("refund at clearing %d, want 150", got)
	}
	aliceBefore := c.balance(w.owner.addr, "udpin")
	bobBefore := c.balance(bob.addr, "udpin")
	// A minute later it settles: s1 delivered its 100 (700), s2 30 of 50
	// (210, 140 back to bob); s2 fell short.
	c.time = c.time.Add(61 * time.Second)
	c.block()
	if got := c.balance(w.owner.addr, "udpin") - aliceBefore; got != 910 {
		t.Fatalf("sellers paid %d, want 910", got)
	}
	if got := c.balance(bob.addr, "udpin") - bobBefore; got != 140 {
		t.Fatalf("shortfall refund %d, want 140", got)
	}
	cl = k.Clearing(c.snapshot(), "solar", iv)
	if !cl.Settled || cl.Trades[0].Delivered != 100 || cl.Trades[1].Delivered != 30 {
		t.Fatalf("settled clearing %v", cl)
	}
	d2, d1 := device.Keeper{}.Get(c.snapshot(), s2), device.Keeper{}.Get(c.snapshot(), s1)
	if d2.RepBeta < 100_000_000 || d1.RepBeta >= 100_000_000 {
		t.Fatalf("reputation: short seller β %d, full seller β %d", d2.RepBeta, d1.RepBeta)
	}
	// Settled once: more blocks pay nothing more.
	aliceAfter := c.balance(w.owner.addr, "udpin")
	c.block()
	if c.balance(w.owner.addr, "udpin") != aliceAfter {
		t.Fatal("paid twice")
	}
	// An order for the closed interval is refused.
	m := &marketv1.MsgPlaceOrder{Owner: bob.addr.Bytes(), Device: b1[:], Side: bid, Interval: iv, Price: 8, Quantity: 1}
	if r := c.block(c.tx(bob, &txv1.Msg{Sum: &txv1.Msg_PlaceOrder{PlaceOrder: m}}))[0]; r.Code != market.ErrClosed.Code {
		t.Fatalf("order for a closed interval: %d %s", r.Code, r.Log)
	}
}
