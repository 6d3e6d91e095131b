package app

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	uh3 "github.com/uber/h3-go/v4"

	"github.com/depinhq/depin/crypto"
	agreementv1 "github.com/depinhq/depin/gen/depin/agreement/v1"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/agreement"
	"github.com/depinhq/depin/x/auth"
	"github.com/depinhq/depin/x/bank"
	"github.com/depinhq/depin/x/device"
	"github.com/depinhq/depin/x/network"
	"github.com/depinhq/depin/x/report"
	"github.com/depinhq/depin/x/reward"
)

// BenchmarkReportBlock measures the state machine on proof of work as a
// validator runs it: blocks of ReportBatch txs (5,000 reports each) from
// 50,000 registered devices on the on-disk IAVL tree, FinalizeBlock +
// Commit timed. In "checked" the txs went through CheckTx first (their
// report signatures are verified and cached there, as in a node whose
// mempool saw them); in "unchecked" FinalizeBlock verifies everything.
// Reports/s is the figure; compare with BenchmarkBatchVerify (package
// crypto), the signature limit.
//
//	go test ./app -run '^$' -bench ReportBlock -benchtime 3x
func BenchmarkReportBlock(b *testing.B) {
	const devices, perBatch = 50_000, 5_000
	t := &testing.T{}
	tree, err := store.OpenTree(b.TempDir(), "state", store.TreeOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer tree.Close()
	w := newWorldOn(t, tree)
	defer w.c.app.WaitCommitted() // before the tree closes
	c := w.c
	keys := make([]ed25519.PrivateKey, devices)
	for lo := 0; lo < devices; lo += 60 {
		var msgs []*txv1.Msg
		for i := lo; i < min(lo+60, devices); i++ {
			name := fmt.Sprintf("bench-%d", i)
			keys[i] = devKey(name)
			msgs = append(msgs, &txv1.Msg{Sum: &txv1.Msg_RegisterDevice{RegisterDevice: &devicev1.MsgRegisterDevice{Owner: w.owner.addr.Bytes(), Cert: w.cert(name, 5000), DeviceSignature: pop(name, w.owner.addr), Cell: w.cell}}})
		}
		if r := c.block(c.tx(w.owner, msgs...))[0]; r.Code != 0 {
			b.Fatalf("register: %s", r.Log)
		}
	}
	for _, mode := range []string{"checked", "unchecked"} {
		b.Run(mode, func(b *testing.B) {
			reports := 0
			for n := 0; n < b.N; n++ {
				b.StopTimer()
				txs := reportBlockTxs(b, w, keys, perBatch)
				if mode == "checked" {
					for _, tx := range txs {
						r, err := c.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: tx, Type: abci.CHECK_TX_TYPE_CHECK})
						if err != nil || r.Code != 0 {
							b.Fatalf("CheckTx: %v %s", err, r.GetLog())
						}
					}
				}
				b.StartTimer()
				c.height++
				c.time = c.time.Add(time.Second)
				res, err := c.app.FinalizeBlock(context.Background(), &abci.FinalizeBlockRequest{Height: c.height, Time: c.time, Txs: txs})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := c.app.Commit(context.Background(), &abci.CommitRequest{}); err != nil {
					b.Fatal(err)
				}
				if err := c.app.WaitCommitted(); err != nil { // the background save counts
					b.Fatal(err)
				}
				for _, r := range res.TxResults {
					if r.Code != 0 {
						b.Fatal(r.Log)
					}
					if acc, _ := outcomes(t, r); acc != perBatch {
						b.Fatalf("%d of %d reports accepted", acc, perBatch)
					}
				}
				reports += len(keys)
			}
			b.ReportMetric(float64(reports)/b.Elapsed().Seconds(), "reports/s")
		})
	}
}

// reportBlockTxs signs one report per device (the next seq of each) and
// packs them into batch txs with consecutive sequences of the owner.
func reportBlockTxs(b *testing.B, w *world, keys []ed25519.PrivateKey, perBatch int) [][]byte {
	c := w.c
	now := c.time.Unix() + 1
	seq := c.seq(w.owner.addr)
	signed := make([]*reportv1.SignedReport, len(keys))
	snap := c.snapshot()
	parallelFor(len(keys), func(i int) {
		id := crypto.AddressFromPubKey(keys[i].Public().(ed25519.PublicKey))
		d := device.Keeper{}.Get(snap, id)
		raw, err := report.Sign(keys[i], testChain, &reportv1.Report{Network: "solar", Seq: d.LastSeq + 1,
			PeriodStart: max(d.LastPeriodEnd, now-60), PeriodEnd: now, Metrics: []*reportv1.MetricValue{{Id: 1, Value: 1}}})
		if err != nil {
			panic(err)
		}
		dr, err := report.Decode(raw)
		if err != nil {
			panic(err)
		}
		signed[i] = dr.Signed
	})
	var txs [][]byte
	for lo := 0; lo < len(keys); lo += perBatch {
		body := &txv1.TxBody{Messages: []*txv1.Msg{{Sum: &txv1.Msg_ReportBatch{ReportBatch: &reportv1.MsgReportBatch{Submitter: w.owner.addr.Bytes(), Reports: signed[lo:min(lo+perBatch, len(keys))]}}}},
			Signer: &txv1.SignerInfo{PublicKey: w.owner.priv.Public().(ed25519.PublicKey), Sequence: seq}, Fee: bank.Coin(bank.NativeDenom, txFee)}
		raw, err := auth.SignTx(w.owner.priv, testChain, body)
		if err != nil {
			b.Fatal(err)
		}
		txs = append(txs, raw)
		seq++
	}
	return txs
}

// parallelFor runs fn(0..n-1) on all cores.
func parallelFor(n int, fn func(i int)) {
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// BenchmarkEpochRewardsOnChain measures an epoch's reward job on the
// on-disk tree: 50,000 devices that each reported once, rewarded with the
// default incentives (HIP-104 geography) in blocks of at most
// reward.DefaultBlockBudget devices. It reports the slowest block and the blocks
// the job took.
//
//	go test ./app -run '^$' -bench EpochRewardsOnChain -benchtime 1x
func BenchmarkEpochRewardsOnChain(b *testing.B) {
	const devices = 50_000
	t := &testing.T{}
	tree, err := store.OpenTree(b.TempDir(), "state", store.TreeOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer tree.Close()
	params := solarParams()
	params.Rewards = network.DefaultRewards(1_000_000_000)
	w := newWorldWith(t, tree, params)
	defer w.c.app.WaitCommitted() // before the tree closes
	c := w.c
	keys := make([]ed25519.PrivateKey, devices)
	cells := berlinCells(b, 2000)
	for lo := 0; lo < devices; lo += 60 {
		var msgs []*txv1.Msg
		for i := lo; i < min(lo+60, devices); i++ {
			name := fmt.Sprintf("bench-%d", i)
			keys[i] = devKey(name)
			msgs = append(msgs, &txv1.Msg{Sum: &txv1.Msg_RegisterDevice{RegisterDevice: &devicev1.MsgRegisterDevice{Owner: w.owner.addr.Bytes(), Cert: w.cert(name, 5000), DeviceSignature: pop(name, w.owner.addr), Cell: cells[i%len(cells)]}}})
		}
		if r := c.block(c.tx(w.owner, msgs...))[0]; r.Code != 0 {
			b.Fatalf("register: %s", r.Log)
		}
	}
	n := network.Keeper{}.Network(c.snapshot(), "solar")
	// Report in the next epoch's first seconds so the whole batch lands in one epoch.
	c.time = time.Unix(network.EpochStart(n, network.EpochAt(n, c.time.Unix())+1)+120, 0).UTC()
	for c.block(); rewardBusy(c); c.block() { // epoch 0 had no work: let its job finish
	}
	txs := reportBlockTxs(b, w, keys, 5000)
	c.block(txs...)
	e := network.EpochAt(n, c.time.Unix())
	c.time = time.Unix(network.EpochStart(n, e+1), 0).UTC()
	b.ResetTimer()
	var slowest time.Duration
	blocks := 0
	for {
		start := time.Now()
		c.block()
		slowest = max(slowest, time.Since(start))
		blocks++
		if !rewardBusy(c) {
			break
		}
	}
	b.StopTimer()
	if st := (reward.Keeper{}).State(c.snapshot(), "solar"); st.Unclaimed == 0 || st.Pending != 0 {
		b.Fatalf("state after the job (%d blocks, epoch %d): %v", blocks, e, st)
	}
	b.ReportMetric(float64(blocks), "blocks")
	b.ReportMetric(slowest.Seconds()*1000, "slowest-block-ms")
	b.ReportMetric(float64(devices)/b.Elapsed().Seconds(), "devices/s")
}

// rewardBusy reports whether the solar network has reward work left.
func rewardBusy(c *testChainApp) bool {
	r := c.snapshot()
	return r.Get(reward.JobKey("solar")) != nil || len(reward.Keeper{}.State(r, "solar").GetQueued()) > 0
}

// berlinCells returns n res-10 cells around Berlin.
func berlinCells(b *testing.B, n int) []uint64 {
	base := uh3.LatLngToCell(uh3.NewLatLng(52.52, 13.405), 6)
	var out []uint64
	for _, k := range base.Children(10) {
		out = append(out, uint64(k))
		if len(out) == n {
			break
		}
	}
	return out
}

// BenchmarkAgreementSettlement measures an epoch's settlement of 100,000
// open service agreements (50 per device, 2,000 devices that each
// reported in the epoch) on the on-disk tree: the first block of the next
// epoch pays them all.
//
//	go test ./app -run '^$' -bench AgreementSettlement -benchtime 1x
func BenchmarkAgreementSettlement(b *testing.B) {
	const devices, perDevice = 2_000, 50
	t := &testing.T{}
	tree, err := store.OpenTree(b.TempDir(), "state", store.TreeOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer tree.Close()
	w := newWorldWith(t, tree, solarParams())
	defer w.c.app.WaitCommitted() // before the tree closes
	c := w.c
	keys := make([]ed25519.PrivateKey, devices)
	ids := make([]crypto.DeviceID, devices)
	for lo := 0; lo < devices; lo += 60 {
		var msgs []*txv1.Msg
		for i := lo; i < min(lo+60, devices); i++ {
			name := fmt.Sprintf("bench-%d", i)
			keys[i] = devKey(name)
			ids[i] = crypto.AddressFromPubKey(keys[i].Public().(ed25519.PublicKey))
			msgs = append(msgs, &txv1.Msg{Sum: &txv1.Msg_RegisterDevice{RegisterDevice: &devicev1.MsgRegisterDevice{Owner: w.owner.addr.Bytes(), Cert: w.cert(name, 5000), DeviceSignature: pop(name, w.owner.addr), Cell: w.cell}}})
		}
		if r := c.block(c.tx(w.owner, msgs...))[0]; r.Code != 0 {
			b.Fatalf("register: %s", r.Log)
		}
	}
	n := network.Keeper{}.Network(c.snapshot(), "solar")
	c.time = time.Unix(network.EpochStart(n, network.EpochAt(n, c.time.Unix())+1)+60, 0).UTC()
	e := network.EpochAt(n, c.time.Unix())
	var msgs []*txv1.Msg
	flush := func() {
		if len(msgs) == 0 {
			return
		}
		if r := c.block(c.tx(w.owner, msgs...))[0]; r.Code != 0 {
			b.Fatalf("open: %s", r.Log)
		}
		msgs = nil
	}
	for i := 0; i < devices; i++ {
		for j := 0; j < perDevice; j++ {
			msgs = append(msgs, &txv1.Msg{Sum: &txv1.Msg_OpenAgreement{OpenAgreement: &agreementv1.MsgOpenAgreement{Consumer: w.owner.addr.Bytes(), Device: ids[i][:],
				Metric: 1, Denom: "udpin", PriceNum: 1, PriceDen: 1, MaxUnits: 1_000_000, StartEpoch: e, EndEpoch: e + 5}}})
			if len(msgs) == 64 {
				flush()
			}
		}
	}
	flush()
	c.block(reportBlockTxs(b, w, keys, 2000)...)
	c.time = time.Unix(network.EpochStart(n, e+1), 0).UTC()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	blocks := 0
	var slowest time.Duration
	for {
		start := time.Now()
		c.block()
		slowest = max(slowest, time.Since(start))
		blocks++
		if c.snapshot().Get([]byte("agreement/k/solar")) == nil {
			break
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(blocks), "blocks")
	b.ReportMetric(slowest.Seconds()*1000, "slowest-block-ms")
	if a := (agreement.Keeper{}).Get(c.snapshot(), 1); a.Paid == 0 || a.NextEpoch != e+1 {
		b.Fatalf("agreement 1 after the epoch: %v", a)
	}
	b.ReportMetric(float64(devices*perDevice)/b.Elapsed().Seconds(), "agreements/s")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/(1<<20), "MiB-allocated")
}
