package app

import (
	"crypto/ed25519"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	vppv1 "github.com/depinhq/depin/gen/depin/vpp/v1"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/bank"
	"github.com/depinhq/depin/x/device"
	"github.com/depinhq/depin/x/network"
	"github.com/depinhq/depin/x/reward"
	"github.com/depinhq/depin/x/vpp"
)

// BenchmarkVppDispatch measures issue 20's dispatch over 100,000 joined
// batteries (DEPIN_VPP_MEMBERS overrides), on the on-disk tree: 8 owners
// register and join their batteries, the utility dispatches the pool for
// one interval, every battery reports its share of the window, and the
// dispatch settles. It reports the blocks allocation and settlement take
// under the default per-block budget (x/vpp.DefaultBlockBudget members),
// the slowest of those blocks and their sum (FinalizeBlock + Commit, wall
// time), for allocation and for settlement.
//
//	DEPIN_VPP_MEMBERS=100000 go test ./app -run '^$' -bench VppDispatch -benchtime 1x -timeout 30m
func BenchmarkVppDispatch(b *testing.B) {
	members := 100_000
	if v, err := strconv.Atoi(os.Getenv("DEPIN_VPP_MEMBERS")); err == nil && v > 0 {
		members = v
	}
	const owners = 8
	for range b.N {
		b.StopTimer()
		t := &testing.T{}
		tree, err := store.OpenTree(b.TempDir(), "state", store.TreeOptions{CacheSize: 3_000_000})
		if err != nil {
			b.Fatal(err)
		}
		params := vppParams()
		params.MinStake = 1
		params.Vpp.MaxDurationSeconds = 3600
		vw := &vppWorld{world: newWorldWith(t, tree, params), utility: newTestKey("utility"), seqs: map[string]uint64{}}
		c := vw.c
		c.app.AfterCommit = nil
		vw.region = vw.cell
		keys := make([]testKey, owners)
		funds := []*txv1.Msg{{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: vw.owner.addr.Bytes(), To: vw.utility.addr.Bytes(), Amount: bank.Coins("udpin", 100_000_000_000)}}}}
		for o := range keys {
			keys[o] = newTestKey(fmt.Sprintf("vpp-owner-%d", o))
			funds = append(funds, &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: vw.owner.addr.Bytes(), To: keys[o].addr.Bytes(), Amount: bank.Coins("udpin", 10_000_000_000)}}})
		}
		c.mustBlock(c.tx(vw.owner, funds...))
		terms := vw.terms()
		terms.Cell, terms.PenaltyBps = vw.cell, 0
		pool := vw.pool(terms)
		names := make([]string, members)
		per := members / owners
		setup := time.Now()
		// Registrations, then joins: 64 a tx, one tx per owner a block.
		for _, join := range []bool{false, true} {
			for lo := 0; lo < per; lo += 64 {
				var txs [][]byte
				for o, k := range keys {
					var msgs []*txv1.Msg
					for i := lo; i < min(lo+64, per); i++ {
						name := fmt.Sprintf("bat-%d-%d", o, i)
						names[o*per+i] = name
						if join {
							id := deviceID(name)
							msgs = append(msgs, vppMsg(&vppv1.MsgJoinPool{Owner: k.addr.Bytes(), Pool: pool, Device: id[:]}))
							continue
						}
						priv := devKey(name)
						sc, err := device.SignCert(vw.maker.priv, testChain, &devicev1.DeviceCert{Network: "solar", DevicePublicKey: priv.Public().(ed25519.PublicKey),
							Model: "PowerWall", Serial: name, Capacity: 5000, EnergyCapacity: 10_000, MakerPublicKey: vw.maker.priv.Public().(ed25519.PublicKey)})
						if err != nil {
							b.Fatal(err)
						}
						msgs = append(msgs, registerMsg(k.addr, sc, name, vw.cell))
					}
					txs = append(txs, c.tx(k, msgs...))
				}
				for _, r := range c.block(txs...) {
					if r.Code != 0 {
						b.Fatalf("setup: %s", r.Log)
					}
				}
			}
		}
		names = names[:per*owners]
		b.Logf("%d batteries registered and joined in %v", len(names), time.Since(setup).Round(time.Second))
		vp := (vpp.Keeper{}).Pool(c.snapshot(), pool)
		if vp.Members != uint64(len(names)) {
			b.Fatalf("pool has %d members", vp.Members)
		}
		vw.reportAllBench(b, names, c.time.Unix()/60*60-60, 10) // some history (and reputation)
		// Credits: the first reward epoch pays the owners (spread over
		// blocks), one of them gives the utility what 10,000 credits burn.
		n := (network.Keeper{}).Network(c.snapshot(), "solar")
		c.time = time.Unix(network.EpochStart(n, network.EpochAt(n, c.time.Unix())+1), 0).UTC()
		c.block()
		for i := 0; ; i++ { // the job gathers, mints, then pays every device
			if st := (reward.Keeper{}).State(c.snapshot(), "solar"); st.Minted > 0 && st.Pending == 0 {
				break
			}
			if i > 500 {
				b.Fatal("the reward job does not end")
			}
			c.block()
		}
		if r := c.block(c.tx(keys[0], &txv1.Msg{Sum: &txv1.Msg_ClaimRewards{ClaimRewards: &rewardv1.MsgClaimRewards{Owner: keys[0].addr.Bytes()}}}))[0]; r.Code != 0 {
			b.Fatalf("claim: %s", r.Log)
		}
		if got := c.balance(keys[0].addr, "usolar"); got < 20_000 {
			b.Fatalf("owner 0 earned %d usolar, the bench needs 20,000", got)
		}
		c.mustBlock(c.tx(keys[0], &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: keys[0].addr.Bytes(), To: vw.utility.addr.Bytes(), Amount: bank.Coins("usolar", 20_000)}}}))
		vw.ok(vw.utility, &vppv1.MsgBuyCredits{Operator: vw.utility.addr.Bytes(), Network: "solar", Credits: 10_000})
		now := c.time.Unix() + 1
		start := (now + 60 + 59) / 60 * 60
		power := vp.MaxW / 2
		vw.ok(vw.utility, &vppv1.MsgDispatch{Operator: vw.utility.addr.Bytes(), Pool: pool, Direction: vppv1.Direction_DIRECTION_DISCHARGE,
			PowerW: power, Start: start, DurationSeconds: 60})
		const id = 1 // the only dispatch
		timeBlocks := func(done func() bool) (blocks int, total, slowest time.Duration) {
			c.tree() // the previous blocks' saves are not the dispatch's
			for !done() {
				t0 := time.Now()
				c.block()
				el := time.Since(t0)
				blocks++
				total += el
				slowest = max(slowest, el)
				if blocks > 1000 {
					b.Fatal("no end")
				}
			}
			return
		}
		b.StartTimer()
		aBlocks, aTotal, aSlow := timeBlocks(func() bool {
			return vw.dispatch(id).Status == vppv1.DispatchStatus_DISPATCH_STATUS_ALLOCATED
		})
		b.StopTimer()
		d := vw.dispatch(id)
		if d.AllocatedMembers != uint64(len(names)) {
			b.Fatalf("allocated %d members", d.AllocatedMembers)
		}
		// Every battery delivers its allocation (2,500 W for a minute).
		vw.at(start + 61)
		vw.reportAllBench(b, names, start, 2500*60/3600)
		vw.at(start + 60 + 30 - 1)
		c.block()
		b.StartTimer()
		sBlocks, sTotal, sSlow := timeBlocks(func() bool {
			return vw.dispatch(id).Status == vppv1.DispatchStatus_DISPATCH_STATUS_SETTLED
		})
		b.StopTimer()
		d = vw.dispatch(id)
		if d.Responded != uint64(len(names)) || d.Paid == 0 {
			b.Fatalf("settled %v", d)
		}
		b.ReportMetric(float64(len(names)), "members")
		b.ReportMetric(float64(aBlocks), "alloc-blocks")
		b.ReportMetric(aTotal.Seconds(), "alloc-s")
		b.ReportMetric(aSlow.Seconds(), "alloc-slowest-block-s")
		b.ReportMetric(float64(sBlocks), "settle-blocks")
		b.ReportMetric(sTotal.Seconds(), "settle-s")
		b.ReportMetric(sSlow.Seconds(), "settle-slowest-block-s")
		if err := c.app.WaitCommitted(); err != nil {
			b.Fatal(err)
		}
		_ = tree.Close()
	}
}

// reportAllBench has every battery report [start, start+60) with
// discharged Wh, in batches of 2,000, two a block.
func (vw *vppWorld) reportAllBench(b *testing.B, names []string, start int64, discharged uint64) {
	c := vw.c
	var txs [][]byte
	flush := func() {
		for _, r := range c.block(txs...) {
			if r.Code != 0 {
				b.Fatalf("reports: %s", r.Log)
			}
		}
		txs = nil
	}
	seq := c.seq(vw.owner.addr)
	var batch []*reportv1.SignedReport
	for i, name := range names {
		vw.seqs[name]++
		batch = append(batch, signReport(c.t, devKey(name), "solar", vw.seqs[name], start, start+60,
			&reportv1.MetricValue{Id: 2, Value: discharged}, &reportv1.MetricValue{Id: 3, Value: 500}))
		if len(batch) == 2000 || i == len(names)-1 {
			txs = append(txs, signedAt(b, vw.owner, seq, &txv1.Msg{Sum: &txv1.Msg_ReportBatch{ReportBatch: &reportv1.MsgReportBatch{Submitter: vw.owner.addr.Bytes(), Reports: batch}}}))
			seq++
			batch = nil
			if len(txs) == 2 {
				flush()
			}
		}
	}
	if len(txs) > 0 {
		flush()
	}
}
