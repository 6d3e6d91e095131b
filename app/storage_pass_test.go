package app

import (
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	api "github.com/depinhq/depin/api/storage"
	"github.com/depinhq/depin/crypto"
	storagev1 "github.com/depinhq/depin/gen/depin/storage/v1"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/fixed"
	"github.com/depinhq/depin/x/network"
	"github.com/depinhq/depin/x/storage"
)

// passRun is what a storage scenario came to, epoch pass by epoch pass.
type passRun struct {
	passBlocks []int          // blocks each epoch pass took after its epoch end's block
	states     []store.Reader // the state once each pass was done
	events     []string       // every storage event, of blocks and of txs, in order
	snap       store.Reader   // the state at the end
}

// storagePassWorld is a storage world whose storage block budget is
// budget (0: the default) that records its storage events.
func storagePassWorld(t *testing.T, budget int, run *passRun) *storageWorld {
	sw := newStorageWorld(t)
	sw.c.app.storage.BlockBudget = budget
	keep := func(evs []abci.Event) {
		for _, e := range evs {
			if strings.HasPrefix(e.Type, "depin.storage.") {
				run.events = append(run.events, fmt.Sprint(stripIndex(e)))
			}
		}
	}
	sw.c.onBlock = func(_ int64, evs []abci.Event, txs []*abci.ExecTxResult) {
		keep(evs)
		for _, r := range txs {
			keep(r.Events)
		}
	}
	return sw
}

// epochEndBlock runs the block at the start of the vault's next epoch.
func (sw *storageWorld) epochEndBlock() {
	c := sw.c
	n := network.Keeper{}.Network(c.snapshot(), "vault")
	c.time = time.Unix(network.EpochStart(n, network.EpochAt(n, c.time.Unix())+1), 0).UTC().Add(-time.Second)
	c.block()
}

// epochEnd runs the vault's next epoch end's block and then blocks until
// its pass is done, or, if pad is not nil, exactly pad[i] blocks for the
// i-th epoch end (failing if the pass is not done by then).
func (sw *storageWorld) epochEnd(t *testing.T, run *passRun, pad []int) {
	t.Helper()
	c := sw.c
	sw.epochEndBlock()
	blocks := 0
	if pad == nil {
		for (storage.Keeper{}).Pass(c.snapshot(), "vault") != nil {
			c.block()
			blocks++
		}
	} else {
		for blocks < pad[len(run.passBlocks)] {
			c.block()
			blocks++
		}
		if (storage.Keeper{}).Pass(c.snapshot(), "vault") != nil {
			t.Fatalf("epoch end %d: the pass is still running after %d blocks", len(run.passBlocks), blocks)
		}
	}
	run.passBlocks = append(run.passBlocks, blocks)
	run.states = append(run.states, c.snapshot())
}

// storagePassScenario: four deals, one of which expires; node2 never
// answers its audits, is disqualified at the third epoch end and its
// pieces lost; the others answer and are paid; five epoch ends.
func storagePassScenario(t *testing.T, budget int, pad []int) passRun {
	var run passRun
	sw := storagePassWorld(t, budget, &run)
	sw.openDeal(2, 300, 6000)
	sw.openDeal(3, 200, 6000)
	sw.openDeal(1, 100, 90) // ends before the second epoch end
	sw.openDeal(4, 130, 6000)
	for range 5 {
		sw.epochEnd(t, &run, pad)
		sw.answer("node0", "node1")
	}
	run.snap = sw.c.snapshot()
	return run
}

// TestStoragePassSpreadsOverBlocks: with a budget of 5 pieces a block the
// storage epoch passes take several blocks each — marking a disqualified
// node's pieces lost, paying, closing an expired deal, drawing
// challenges — and end in exactly the state, with exactly the events,
// of the default budget, which does each in its epoch end's block (run
// with as many blocks after each epoch end, so heights, block times and
// block hashes match).
func TestStoragePassSpreadsOverBlocks(t *testing.T) {
	tiny := storagePassScenario(t, 5, nil)
	spread := 0
	for _, n := range tiny.passBlocks {
		spread = max(spread, n)
	}
	if spread < 3 {
		t.Fatalf("a budget of 5 took %v blocks after the epoch ends: the passes did not spread", tiny.passBlocks)
	}
	full := storagePassScenario(t, 0, tiny.passBlocks)
	// (The app hashes differ: an IAVL tree's shape, hence its hash, depends
	// on the order keys were written in, and the pass's record came and
	// went in the blocks in between.)
	for i := range tiny.states {
		if diff := stateDiff(tiny.states[i], full.states[i]); diff != "" {
			t.Fatalf("epoch end %d (pass of %d blocks): the state differs from the default budget's in %s", i, tiny.passBlocks[i], diff)
		}
	}
	if len(tiny.events) != len(full.events) {
		t.Fatalf("%d storage events, with the default budget %d", len(tiny.events), len(full.events))
	}
	for i := range tiny.events {
		if tiny.events[i] != full.events[i] {
			t.Fatalf("storage event %d: %s, with the default budget %s", i, tiny.events[i], full.events[i])
		}
	}
	// The scenario did what it says.
	for _, want := range []string{"EventDealPaid", "EventChallenged", "EventNodeDisqualified", "EventAuditsPassed", "EventAuditMissed", "expired"} {
		if !strings.Contains(strings.Join(tiny.events, "\n"), want) {
			t.Fatalf("no %s in the scenario", want)
		}
	}
	for _, d := range state.Records[storagev1.Deal](tiny.snap, api.DealPrefix) {
		if d.Status != storagev1.DealStatus_DEAL_STATUS_ACTIVE {
			continue
		}
		for _, p := range d.Pieces {
			if p.Lost != (p.Index == 2) { // node2's
				t.Fatalf("deal %d piece %d/%d lost=%v", d.Id, p.Segment, p.Index, p.Lost)
			}
		}
	}
}

// TestStoragePassSettlesDealsChangedMidPass: a transaction that changes a
// deal while the epoch pass has yet to reach it first brings the deal to
// where the pass would leave it: closed by its owner while its pieces on
// a node disqualified at the epoch end are not yet lost and it is not yet
// paid, the deal comes to exactly what closing it after the pass does.
func TestStoragePassSettlesDealsChangedMidPass(t *testing.T) {
	type outcome struct {
		deal     *storagev1.Deal
		balances []uint64
	}
	run := func(budget int) outcome {
		var r passRun
		sw := storagePassWorld(t, budget, &r)
		c := sw.c
		sw.openDeal(2, 300, 6000)
		sw.openDeal(2, 100, 6000) // each deal over the budget: a block of the pass visits one
		_, last := sw.openDeal(3, 200, 6000)
		sw.nextEpoch()
		for i := 0; ; i++ {
			if i == 4 {
				t.Fatal("node2 not disqualified")
			}
			sw.answer("node0", "node1") // node2 misses
			sw.epochEndBlock()
			if (storage.Keeper{}).Stats(c.snapshot(), sw.nodes["node2"]).Disqualified {
				break
			}
			for (storage.Keeper{}).Pass(c.snapshot(), "vault") != nil {
				c.block()
			}
		}
		// With a budget of 5 the pass has not visited the last deal yet:
		// node2's pieces in it are not lost yet, the deal not paid.
		p := (storage.Keeper{}).Pass(c.snapshot(), "vault")
		if budget == 5 && (p == nil || p.Phase != storagev1.EpochPassPhase_EPOCH_PASS_PHASE_PAY || p.NextDeal > last) {
			t.Fatalf("the pass reached deal %d already: %v", last, p)
		}
		if r := c.result(sw.dave, msgOf(&storagev1.MsgCloseDeal{Owner: sw.dave.addr.Bytes(), Id: last})); r.Code != 0 {
			t.Fatalf("budget %d: close: %s", budget, r.Log)
		}
		// (The block's step ran before the tx: the pass is still short of
		// the deal, which the tx settled.)
		if p := (storage.Keeper{}).Pass(c.snapshot(), "vault"); budget == 5 && (p == nil || p.NextDeal > last) {
			t.Fatalf("the pass reached deal %d before the close: %v", last, p)
		}
		for (storage.Keeper{}).Pass(c.snapshot(), "vault") != nil {
			c.block()
		}
		o := outcome{deal: storage.Keeper{}.Deal(c.snapshot(), last)}
		for _, k := range []testKey{sw.dave, sw.owners["node0"], sw.owners["node1"], sw.owners["node2"]} {
			o.balances = append(o.balances, c.balance(k.addr, "udpin"))
		}
		return o
	}
	tiny, full := run(5), run(0)
	if tiny.deal.Status != storagev1.DealStatus_DEAL_STATUS_CLOSED || tiny.deal.CloseReason != "closed by its owner" {
		t.Fatalf("deal %v", tiny.deal)
	}
	if got, want := state.Marshal(tiny.deal), state.Marshal(full.deal); string(got) != string(want) {
		t.Fatalf("closed mid-pass: %v\nclosed after the pass: %v", tiny.deal, full.deal)
	}
	if fmt.Sprint(tiny.balances) != fmt.Sprint(full.balances) {
		t.Fatalf("balances %v, closing after the pass %v", tiny.balances, full.balances)
	}
}

// TestStoragePassSuperseded: an epoch ends while the previous epoch's pass
// is still paying (a budget of 5 pieces, no block in between). The new
// pass replaces it: every deal is paid exactly up to the new epoch end,
// once per pass that reached it, and the byte-seconds of every node add
// up to one payment over the whole time; a node that missed an audit in
// the replaced pass's epoch is not paid, by the new pass, for any of the
// time since the deals were last paid.
func TestStoragePassSuperseded(t *testing.T) {
	var run passRun
	sw := storagePassWorld(t, 5, &run)
	c := sw.c
	var ids []uint64
	for range 3 {
		_, id := sw.openDeal(2, 300, 60000)
		ids = append(ids, id)
	}
	sw.epochEnd(t, &run, nil) // challenges of epoch e1
	sw.answer("node0", "node1")
	before := map[uint64]*storagev1.Deal{}
	for _, id := range ids {
		before[id] = storage.Keeper{}.Deal(c.snapshot(), id)
	}
	// Epoch end of e1 (node2 missed): judging takes its block's budget;
	// in the next block its pass pays the first deal only...
	sw.epochEndBlock()
	if p := (storage.Keeper{}).Pass(c.snapshot(), "vault"); p == nil || p.NextDeal != 0 {
		t.Fatalf("the epoch end's block judged and paid: %v", p)
	}
	c.block()
	p := (storage.Keeper{}).Pass(c.snapshot(), "vault")
	if p == nil || p.Phase != storagev1.EpochPassPhase_EPOCH_PASS_PHASE_PAY || p.NextDeal != ids[1] {
		t.Fatalf("pass after the epoch end: %v", p)
	}
	e1 := p.Ended
	if st := (storage.Keeper{}).Stats(c.snapshot(), sw.nodes["node2"]); st.LastMissedEpoch != e1 {
		t.Fatalf("node2 %v, want a miss in epoch %d", st, e1)
	}
	// ...and the next epoch ends at once: the new pass pays everything.
	sw.epochEnd(t, &run, nil)
	n := network.Keeper{}.Network(c.snapshot(), "vault")
	end := network.EpochStart(n, network.EpochAt(n, c.time.Unix()))
	for i, id := range ids {
		d := storage.Keeper{}.Deal(c.snapshot(), id)
		if d.PaidUntil != end || d.JudgedFrom != e1+2 {
			t.Fatalf("deal %d paid until %d (judged from %d), want %d (%d)", id, d.PaidUntil, d.JudgedFrom, end, e1+2)
		}
		for _, name := range []string{"node0", "node1", "node2"} {
			node := sw.nodes[name]
			was, now := nodeAccount(before[id], node), nodeAccount(d, node)
			grew := new(big.Int).Sub(new(big.Int).SetBytes(now.ByteSeconds), new(big.Int).SetBytes(was.ByteSeconds)).Uint64()
			want := uint64(600) * uint64(end-before[id].PaidUntil)
			switch {
			case name == "node2" && i == 0: // paid by the replaced pass without it, then by the new one
				want = 600 * uint64(end-p.PayUntil)
			case name == "node2":
				want = 0
			}
			if grew != want {
				t.Fatalf("deal %d, %s: byte-seconds grew by %d, want %d", id, name, grew, want)
			}
			due := new(big.Int).Mul(new(big.Int).SetBytes(now.ByteSeconds), new(big.Int).SetUint64(d.PricePerGibMonth))
			if due.Quo(due, big.NewInt(api.GiB*api.MonthSecs)); now.Paid != due.Uint64() {
				t.Fatalf("deal %d, %s: paid %d for %x byte-seconds, which come to %d", id, name, now.Paid, now.ByteSeconds, due)
			}
		}
	}
	// Nodes the replaced pass drew no challenges for were not audited in
	// its epoch; the new one's are all drawn.
	for _, ch := range sw.challenges() {
		if ch.Epoch != e1+2 {
			t.Fatalf("challenge %v, want epoch %d", ch, e1+2)
		}
	}
}

func nodeAccount(d *storagev1.Deal, node crypto.DeviceID) *storagev1.NodeAccount {
	for _, a := range d.Accounts {
		if string(a.Node) == string(node[:]) {
			return a
		}
	}
	return &storagev1.NodeAccount{ByteSeconds: fixed.U128{}.Bytes()}
}

// TestStoragePassForgetsClosedDealsPicks: a deal closed while the epoch
// pass holds pieces of it picked for the node it is drawing (the node's
// pieces span blocks) gets no challenge: the pass forgets those picks.
// The node is challenged on its other pieces; the invariants (checked
// after every block) hold. (Found by TestStorageAdversarial: the pass
// wrote a challenge of the closed deal, which its node, having deleted
// the piece, would have missed.)
func TestStoragePassForgetsClosedDealsPicks(t *testing.T) {
	var run passRun
	sw := storagePassWorld(t, 1, &run)
	c := sw.c
	_, closing := sw.openDeal(2, 300, 60000)
	_, kept := sw.openDeal(2, 300, 60000)
	sw.epochEndBlock()
	for {
		p := (storage.Keeper{}).Pass(c.snapshot(), "vault")
		if p == nil {
			t.Fatal("the pass ended before it picked a piece of the deal")
		}
		if len(p.Picks) > 0 && p.Picks[0].Deal == closing {
			break
		}
		c.block()
	}
	if r := c.result(sw.dave, msgOf(&storagev1.MsgCloseDeal{Owner: sw.dave.addr.Bytes(), Id: closing})); r.Code != 0 {
		t.Fatal(r.Log)
	}
	if p := (storage.Keeper{}).Pass(c.snapshot(), "vault"); p == nil || len(p.Picks) != 0 {
		t.Fatalf("the pass after the close: %v", p)
	}
	for (storage.Keeper{}).Pass(c.snapshot(), "vault") != nil {
		c.block()
	}
	chs := sw.challenges()
	if len(chs) == 0 {
		t.Fatal("no challenges")
	}
	for _, ch := range chs {
		if ch.Deal != kept {
			t.Fatalf("challenge of deal %d piece %d (deal %d closed)", ch.Deal, ch.Piece, closing)
		}
	}
}
