package simnet

import (
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	agreementv1 "github.com/depinhq/depin/gen/depin/agreement/v1"
	marketv1 "github.com/depinhq/depin/gen/depin/market/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/keystore"
	"github.com/depinhq/depin/node"
	"github.com/depinhq/depin/node/nodetest"
	"github.com/depinhq/depin/x/market"
	"github.com/depinhq/depin/x/network"
)

// TestMarketAndAgreementOnDevnet: on a devnet, simulated household meters
// trade energy for several 10-second intervals (half offer their exports,
// half bid for consumption) while a simulated storage fleet is paid per
// GB-hour through a service agreement. Every interval with orders clears
// and settles, payments equal what the meters proved at the clearing
// price, and the agreement pays for the device's verified storage.
func TestMarketAndAgreementOnDevnet(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a devnet and fleets")
	}
	n := nodetest.Devnet(t, node.DevnetOptions{})
	ks := keystore.Open(node.KeysDir(n.Home()))
	alice, _ := ks.Load("alice", nil)
	bob, _ := ks.Load("bob", nil)
	eve, _ := ks.Load("eve", nil)
	dave, _ := ks.Load("dave", nil)
	c, err := client.New(n.RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const meters = 6
	type runResult struct {
		res *Result
		err error
	}
	meterDone := make(chan runResult, 1)
	go func() {
		r, err := Run(ctx, c, Config{Kind: "meter", Devices: meters, Regions: []Region{Cities["tokyo"]}, EpochSeconds: 10,
			Duration: 45 * time.Second, Interval: 2 * time.Second, Seed: 3, Owners: []ed25519.PrivateKey{alice.Private}, Submitter: eve.Private})
		meterDone <- runResult{r, err}
	}()
	storageDone := make(chan runResult, 1)
	go func() {
		r, err := Run(ctx, c, Config{Kind: "storage", Devices: 2, Regions: []Region{Cities["berlin"]}, EpochSeconds: 10,
			Duration: 35 * time.Second, Interval: 2 * time.Second, Seed: 4, Owners: []ed25519.PrivateKey{bob.Private}, Submitter: dave.Private})
		storageDone <- runResult{r, err}
	}()
	var ids []crypto.DeviceID
	deadline := time.Now().Add(60 * time.Second)
	for len(ids) < meters {
		if time.Now().After(deadline) {
			t.Fatal("meters were not registered")
		}
		time.Sleep(500 * time.Millisecond)
		ids, _ = c.Devices(ctx, client.DeviceFilter{Network: "meter"})
	}
	net, _ := c.Network(ctx, "meter", client.QueryOptions{})
	mp := net.Params.Market
	st, _ := c.Status(ctx)
	first := market.IntervalAt(mp, st.SyncInfo.LatestBlockTime.Unix()) + 1
	const intervals = 3
	var msgs []*txv1.Msg
	for iv := first; iv < first+intervals; iv++ {
		for i, id := range ids {
			side, price := marketv1.Side_SIDE_ASK, uint64(2+i)
			if i >= meters/2 {
				side, price = marketv1.Side_SIDE_BID, uint64(9+i)
			}
			msgs = append(msgs, &txv1.Msg{Sum: &txv1.Msg_PlaceOrder{PlaceOrder: &marketv1.MsgPlaceOrder{
				Owner: alice.Address.Bytes(), Device: id[:], Side: side, Interval: iv, Price: price, Quantity: 5}}})
		}
	}
	if _, err := c.SendTx(ctx, alice.Private, msgs, client.TxOptions{}); err != nil {
		t.Fatal(err)
	}
	// The typed reads see the orders: all of alice's, and the first
	// interval's book (open until that interval ends, ≥ 10 s from now).
	if mine, err := c.MarketOrders(ctx, alice.Address); err != nil || len(mine) != meters*intervals {
		t.Fatalf("MarketOrders(alice) = %d orders, %v; want %d", len(mine), err, meters*intervals)
	}
	if book, err := c.MarketBook(ctx, "meter", first); err != nil || len(book) != meters || book[0].Interval != first {
		t.Fatalf("MarketBook(meter, %d) = %v, %v; want its %d orders", first, book, err, meters)
	}

	// A consumer (carol) pays bob's first storage device 1 udpin per 100 mGBh.
	carol, _ := ks.Load("carol", nil)
	var sids []crypto.DeviceID
	for len(sids) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("storage devices were not registered")
		}
		time.Sleep(500 * time.Millisecond)
		sids, _ = c.Devices(ctx, client.DeviceFilter{Network: "storage"})
	}
	snet, _ := c.Network(ctx, "storage", client.QueryOptions{})
	st, _ = c.Status(ctx)
	se := network.EpochAt(snet, st.SyncInfo.LatestBlockTime.Unix())
	if _, err := c.SendTx(ctx, carol.Private, []*txv1.Msg{{Sum: &txv1.Msg_OpenAgreement{OpenAgreement: &agreementv1.MsgOpenAgreement{
		Consumer: carol.Address.Bytes(), Device: sids[0][:], Metric: 1, Denom: "udpin", PriceNum: 1, PriceDen: 100,
		MaxUnits: 1_000_000_000, StartEpoch: se, EndEpoch: se + 1}}}}, client.TxOptions{}); err != nil {
		t.Fatal(err)
	}

	for _, ch := range []chan runResult{meterDone, storageDone} {
		r := <-ch
		if r.err != nil {
			t.Fatal(r.err)
		}
		if r.res.Rejected != 0 {
			t.Fatalf("%d reports rejected: %v", r.res.Rejected, r.res.RejectedByReason)
		}
	}
	// Every interval cleared (asks 2..4 against bids 12..14: all cross) and
	// settled, paying exactly delivered × price.
	waitSettled := time.Now().Add(40 * time.Second)
	for iv := first; iv < first+intervals; iv++ {
		var cl marketv1.Clearing
		for {
			ok, err := c.GetProto(ctx, market.ClearingKey("meter", iv), &cl)
			if err != nil {
				t.Fatal(err)
			}
			if ok && cl.Settled {
				break
			}
			if time.Now().After(waitSettled) {
				t.Fatalf("interval %d not settled: %v", iv, &cl)
			}
			time.Sleep(500 * time.Millisecond)
		}
		if cl.Volume != 15 || cl.Price == 0 || len(cl.Trades) == 0 {
			t.Fatalf("interval %d: %v", iv, &cl)
		}
		for _, tr := range cl.Trades {
			if tr.Delivered > tr.Quantity {
				t.Fatalf("interval %d: delivered %d of %d", iv, tr.Delivered, tr.Quantity)
			}
		}
	}
	escrow, _, err := c.Balance(ctx, market.Escrow, "udpin", client.QueryOptions{})
	if err != nil || escrow != 0 {
		t.Fatalf("market escrow holds %d after every interval settled (%v)", escrow, err)
	}
	// The agreement paid for epoch se's verified storage.
	deadlineAg := time.Now().Add(40 * time.Second)
	for {
		a, err := c.Agreement(ctx, 1, client.QueryOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if a.Status == agreementv1.Status_STATUS_CLOSED {
			if a.Paid == 0 || a.Paid+a.Refunded != a.Escrow || a.UnitsPaid == 0 {
				t.Fatalf("agreement at its end: %v", a)
			}
			break
		}
		if time.Now().After(deadlineAg) {
			t.Fatalf("agreement still open: %v", a)
		}
		time.Sleep(500 * time.Millisecond)
	}
	for _, f := range []client.AgreementFilter{{Consumer: &carol.Address}, {Device: &sids[0]}} {
		if got, err := c.AgreementIDs(ctx, f); err != nil || len(got) != 1 || got[0] != 1 {
			t.Fatalf("AgreementIDs(%+v) = %v, %v; want [1]", f, got, err)
		}
	}
}
