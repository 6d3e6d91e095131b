package gateway

import (
	"crypto/ed25519"
	"slices"
	"testing"
	"time"

	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/clock"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
)

// feeder publishes reports from a few devices through the ingest path and
// remembers what it queued, in order.
type feeder struct {
	t       *testing.T
	g       *Gateway
	clk     *clock.Manual
	devices []*device
	sent    []string // report_bytes, in queue order
	foreign int      // of sent, committed by another submitter
}

func newFeeder(t *testing.T, g *Gateway, clk *clock.Manual) *feeder {
	f := &feeder{t: t, g: g, clk: clk}
	for _, name := range []string{"a", "b", "c"} {
		f.devices = append(f.devices, newDevice(name, "solar"))
	}
	return f
}

func (f *feeder) send(n int) {
	f.t.Helper()
	for i := range n {
		dev := f.devices[i%len(f.devices)]
		raw := dev.report(f.t, testChainID)
		if err := f.g.ingest.ingest(SourceMQTT, dev.topic(), raw); err != nil {
			f.t.Fatalf("report %d refused: %v", len(f.sent), err)
		}
		f.sent = append(f.sent, reportBytes(f.t, raw))
	}
}

// checkDelivered runs the clock until the chain has every sent report,
// then a minute more (time for any duplicate to land), and checks each is
// there exactly once, in the order it was sent.
func (f *feeder) checkDelivered(c *memChain) {
	f.t.Helper()
	runUntil(f.t, f.clk, "every report committed", time.Minute, func() bool {
		got, _ := c.committed()
		return len(got) >= len(f.sent) && f.g.Stats().Committed >= uint64(len(f.sent)-f.foreign)
	})
	advance(f.clk, time.Minute)
	got, _ := c.committed()
	if !slices.Equal(got, f.sent) {
		f.t.Fatalf("chain has %d reports, sent %d; equal in order: %v (a duplicate, a loss or a reordering)", len(got), len(f.sent), slices.Equal(got, f.sent))
	}
	st := f.g.Stats()
	if st.Committed != uint64(len(f.sent)-f.foreign) || st.Dropped != 0 {
		f.t.Fatalf("stats: committed %d dropped %d, want %d and 0", st.Committed, st.Dropped, len(f.sent)-f.foreign)
	}
}

func submitterAddr() crypto.Address {
	return crypto.AddressFromPubKey(testKey("submitter").Public().(ed25519.PublicKey))
}

// TestDeliveryThroughFailures: whatever transient failure the node goes
// through, every queued report is committed exactly once, in order.
func TestDeliveryThroughFailures(t *testing.T) {
	cases := []struct {
		name   string
		inject func(c *memChain)
		heal   func(t *testing.T, clk *clock.Manual, c *memChain)
	}{
		{"node down", func(c *memChain) { c.set(func(c *memChain) { c.down = true }) },
			func(_ *testing.T, _ *clock.Manual, c *memChain) { c.set(func(c *memChain) { c.down = false }) }},
		{"mempool full", func(c *memChain) { c.set(func(c *memChain) { c.fullFor = 6 }) }, nil},
		{"answers lost after the tx was accepted", func(c *memChain) { c.set(func(c *memChain) { c.loseAnswers = 3 }) }, nil},
		{"answer lost, tx committed, node restarted", func(c *memChain) {
			c.set(func(c *memChain) { c.loseAnswers, c.downAfterLoss = 1, true })
		}, func(t *testing.T, clk *clock.Manual, c *memChain) {
			runUntil(t, clk, "the node down", time.Minute, func() bool { var d bool; c.set(func(c *memChain) { d = c.down }); return d })
			runUntil(t, clk, "the lost tx committed", time.Minute, func() bool { return c.mempoolLen() == 0 })
			c.restart()
			c.set(func(c *memChain) { c.down = false })
		}},
		{"node restarts and loses its mempool", func(c *memChain) {
			c.set(func(c *memChain) { c.paused = true })
		}, func(t *testing.T, clk *clock.Manual, c *memChain) {
			runUntil(t, clk, "a batch in the mempool", time.Minute, func() bool { return c.mempoolLen() > 0 })
			c.restart()
			c.set(func(c *memChain) { c.paused = false })
		}},
		{"down while a tx waits in a paused chain", func(c *memChain) {
			c.set(func(c *memChain) { c.paused = true })
		}, func(t *testing.T, clk *clock.Manual, c *memChain) {
			runUntil(t, clk, "a batch in the mempool", time.Minute, func() bool { return c.mempoolLen() > 0 })
			c.set(func(c *memChain) { c.down = true })
			advance(clk, 50*time.Millisecond)
			c.restart()
			c.set(func(c *memChain) { c.down, c.paused = false, false })
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			simulated(t, func(t *testing.T, clk *clock.Manual) {
				c := newMemChain(clk)
				cfg := simConfig(clk)
				cfg.MaxBatchReports = 25
				cfg.ConfirmTimeout = 150 * time.Millisecond
				g := newSimGateway(t, cfg, c)
				runGateway(t, g)
				f := newFeeder(t, g, clk)
				f.send(40)
				runUntil(t, clk, "a first commit", time.Minute, func() bool { return g.Stats().Committed > 0 })
				tc.inject(c)
				f.send(60)
				advance(clk, 80*time.Millisecond) // let the failure bite
				f.send(40)
				if tc.heal != nil {
					tc.heal(t, clk, c)
				}
				f.send(30)
				f.checkDelivered(c)
				if g.Stats().Retries == 0 {
					t.Error("no retry counted")
				}
			})
		})
	}
}

// TestSequenceTakenByAnotherTx: another transaction of the same account
// (the key used elsewhere) takes the sequence of a batch in the mempool;
// the batch is signed again for the next sequence and committed once.
func TestSequenceTakenByAnotherTx(t *testing.T) {
	simulated(t, func(t *testing.T, clk *clock.Manual) {
		c := newMemChain(clk)
		g := newSimGateway(t, simConfig(clk), c)
		runGateway(t, g)
		f := newFeeder(t, g, clk)
		f.send(5)
		f.checkDelivered(c)

		c.set(func(c *memChain) { c.paused = true })
		f.send(5)
		runUntil(t, clk, "a batch in the mempool", time.Minute, func() bool { return c.mempoolLen() > 0 })
		c.take(submitterAddr())
		c.set(func(c *memChain) { c.paused = false })
		f.send(5)
		f.checkDelivered(c)
	})
}

// TestSequenceTakenWhileIdle: the account's sequence moved while the
// gateway had nothing to send; the next batch learns it from the wrong
// sequence answer and is re-signed at once (it cannot have been sent).
func TestSequenceTakenWhileIdle(t *testing.T) {
	simulated(t, func(t *testing.T, clk *clock.Manual) {
		c := newMemChain(clk)
		c.seqs[submitterAddr()] = 41 // the account has history
		g := newSimGateway(t, simConfig(clk), c)
		runGateway(t, g)
		f := newFeeder(t, g, clk)
		f.send(3)
		f.checkDelivered(c)
		c.take(submitterAddr())
		c.take(submitterAddr())
		f.send(3)
		f.checkDelivered(c)
		if seq := c.seqs[submitterAddr()]; seq != 41+2+2 {
			t.Fatalf("account sequence %d, want 45", seq)
		}
	})
}

// TestSequenceHeldInMempool: a transaction of an earlier run of the gateway
// still holds the next sequence in the mempool; the batch waits for it to
// commit, then takes the following sequence.
func TestSequenceHeldInMempool(t *testing.T) {
	simulated(t, func(t *testing.T, clk *clock.Manual) {
		c := newMemChain(clk)
		addr := submitterAddr()
		dev := newDevice("old", "solar")
		old := dev.report(t, testChainID)
		var s reportv1.SignedReport
		if err := protoUnmarshal(old, &s); err != nil {
			t.Fatal(err)
		}
		body := &txv1.TxBody{
			Messages: []*txv1.Msg{{Sum: &txv1.Msg_ReportBatch{ReportBatch: &reportv1.MsgReportBatch{Submitter: addr.Bytes(), Reports: []*reportv1.SignedReport{&s}}}}},
			Signer:   &txv1.SignerInfo{PublicKey: testKey("submitter").Public().(ed25519.PublicKey), Sequence: 0},
		}
		tx, err := client.SignWithMinFee(testKey("submitter"), testChainID, body, c.params.FeeBase, c.params.FeePerByte)
		if err != nil {
			t.Fatal(err)
		}
		c.set(func(c *memChain) { c.paused = true })
		if _, err := c.Broadcast(t.Context(), tx); err != nil {
			t.Fatal(err)
		}

		g := newSimGateway(t, simConfig(clk), c)
		runGateway(t, g)
		f := newFeeder(t, g, clk)
		f.send(4)
		runUntil(t, clk, "a wrong sequence retry", time.Minute, func() bool { return g.Stats().Retries >= 2 })
		c.set(func(c *memChain) { c.paused = false })
		f.sent = append([]string{reportBytes(t, old)}, f.sent...) // the old run's batch commits first
		f.foreign = 1
		f.checkDelivered(c)
	})
}

// TestRefusedBatchIsDropped: a batch CheckTx refuses for good is dropped
// and counted; its sequence stays free for the next batch.
func TestRefusedBatchIsDropped(t *testing.T) {
	simulated(t, func(t *testing.T, clk *clock.Manual) {
		c := newMemChain(clk)
		c.reject = errs.ErrUnknownMsg
		g := newSimGateway(t, simConfig(clk), c)
		runGateway(t, g)
		f := newFeeder(t, g, clk)
		f.send(4)
		runUntil(t, clk, "the batch dropped", time.Minute, func() bool { return g.Stats().Dropped == 4 })
		if st := g.Stats(); st.Batches[BatchRejected] != 1 || st.Committed != 0 {
			t.Fatalf("stats %+v", st)
		}
		c.set(func(c *memChain) { c.reject = nil })
		f.sent = nil
		f.send(4)
		runUntil(t, clk, "the next batch committed", time.Minute, func() bool { return g.Stats().Committed == 4 })
		got, _ := c.committed()
		if !slices.Equal(got, f.sent) {
			t.Fatalf("chain has %d reports, want the 4 sent after the refusal", len(got))
		}
		if seq := c.seqs[submitterAddr()]; seq != 1 {
			t.Fatalf("account sequence %d, want 1: a refused tx uses no sequence", seq)
		}
	})
}

// TestFeeChange: the fee schedule rises under the gateway; the batch is
// signed again, for the same sequence, with the new fee.
func TestFeeChange(t *testing.T) {
	simulated(t, func(t *testing.T, clk *clock.Manual) {
		c := newMemChain(clk)
		g := newSimGateway(t, simConfig(clk), c)
		runGateway(t, g)
		f := newFeeder(t, g, clk)
		f.send(3)
		f.checkDelivered(c)
		c.set(func(c *memChain) { c.params.FeePerByte = 5 })
		f.send(3)
		f.checkDelivered(c)
	})
}

// TestBatchBySize: full batches go at once; the rest waits for
// MaxBatchWait (an hour here, which never comes) or the drain.
func TestBatchBySize(t *testing.T) {
	simulated(t, func(t *testing.T, clk *clock.Manual) {
		c := newMemChain(clk)
		cfg := simConfig(clk)
		cfg.MaxBatchReports = 10
		cfg.MaxBatchWait = time.Hour
		g := newSimGateway(t, cfg, c)
		stop := runGateway(t, g)
		f := newFeeder(t, g, clk)
		f.send(25)
		runUntil(t, clk, "two full batches", time.Minute, func() bool { _, b := c.committed(); return len(b) == 2 })
		advance(clk, 59*time.Minute)
		if _, b := c.committed(); !slices.Equal(b, []int{10, 10}) {
			t.Fatalf("batches %v, want [10 10] and 5 waiting", b)
		}
		if err := stopOnClock(t, clk, stop, time.Minute); err != nil { // the drain sends the last 5 at once
			t.Fatal(err)
		}
		if _, b := c.committed(); !slices.Equal(b, []int{10, 10, 5}) {
			t.Fatalf("batches %v after the drain, want [10 10 5]", b)
		}
		got, _ := c.committed()
		if !slices.Equal(got, f.sent) {
			t.Fatal("reports out of order")
		}
	})
}

func TestBatchByBytes(t *testing.T) {
	simulated(t, func(t *testing.T, clk *clock.Manual) {
		c := newMemChain(clk)
		cfg := simConfig(clk)
		cfg.MaxBatchBytes = 2000 // a report here is ~140 bytes: ~13 fit
		cfg.MaxBatchWait = time.Hour
		g := newSimGateway(t, cfg, c)
		runGateway(t, g)
		f := newFeeder(t, g, clk)
		f.send(40)
		runUntil(t, clk, "two batches", time.Minute, func() bool { _, b := c.committed(); return len(b) >= 2 })
		_, b := c.committed()
		for _, n := range b {
			if n < 5 || n >= 40 {
				t.Fatalf("batches %v: not cut by bytes", b)
			}
		}
	})
}

// TestBatchByTime: a batch short of full goes exactly MaxBatchWait after
// its oldest report arrived.
func TestBatchByTime(t *testing.T) {
	simulated(t, func(t *testing.T, clk *clock.Manual) {
		c := newMemChain(clk)
		cfg := simConfig(clk)
		cfg.MaxBatchWait = 300 * time.Millisecond
		g := newSimGateway(t, cfg, c)
		runGateway(t, g)
		f := newFeeder(t, g, clk)
		start := clk.Now()
		f.send(3)
		advance(clk, cfg.MaxBatchWait-time.Nanosecond)
		if n := c.mempoolLen(); n != 0 || !c.firstAccepted().IsZero() {
			t.Fatalf("a batch was sent %s after the first report, before the %s wait", c.firstAccepted().Sub(start), cfg.MaxBatchWait)
		}
		runUntil(t, clk, "the batch", time.Minute, func() bool { _, b := c.committed(); return len(b) == 1 })
		if _, b := c.committed(); !slices.Equal(b, []int{3}) {
			t.Fatalf("batches %v, want [3]", b)
		}
		if sent := c.firstAccepted().Sub(start); sent != cfg.MaxBatchWait {
			t.Fatalf("batch sent %s after its first report, want exactly the %s wait", sent, cfg.MaxBatchWait)
		}
	})
}

// TestShutdownDrains: reports queued while the node is down are still
// delivered when Run's context ends, if the node returns within the drain
// timeout.
func TestShutdownDrains(t *testing.T) {
	simulated(t, func(t *testing.T, clk *clock.Manual) {
		c := newMemChain(clk)
		g := newSimGateway(t, simConfig(clk), c)
		stop := runGateway(t, g)
		f := newFeeder(t, g, clk)
		c.set(func(c *memChain) { c.down = true })
		f.send(10)
		done := make(chan error, 1)
		go func() { done <- stop() }()
		advance(clk, 200*time.Millisecond) // draining, the node still down
		select {
		case err := <-done:
			t.Fatalf("Run returned while draining, with the node down: %v", err)
		default:
		}
		c.set(func(c *memChain) { c.down = false })
		var err error
		runUntil(t, clk, "Run to return", testConfig().DrainTimeout, func() bool {
			select {
			case err = <-done:
				return true
			default:
				return false
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := c.committed()
		if !slices.Equal(got, f.sent) {
			t.Fatalf("chain has %d of %d reports after the drain", len(got), len(f.sent))
		}
	})
}

// TestShutdownGivesUp: with the node down for good, Run returns once the
// drain timeout has passed, and counts what it could not deliver.
func TestShutdownGivesUp(t *testing.T) {
	simulated(t, func(t *testing.T, clk *clock.Manual) {
		c := newMemChain(clk)
		cfg := simConfig(clk)
		cfg.DrainTimeout = 100 * time.Millisecond
		cfg.MaxBatchReports = 4
		g := newSimGateway(t, cfg, c)
		stop := runGateway(t, g)
		f := newFeeder(t, g, clk)
		c.set(func(c *memChain) { c.down = true })
		f.send(10)
		stopped := clk.Now()
		if err := stopOnClock(t, clk, stop, time.Minute); err != nil {
			t.Fatal(err)
		}
		if took := clk.Now().Sub(stopped); took < cfg.DrainTimeout {
			t.Fatalf("Run returned %s after its context ended, before the %s drain timeout", took, cfg.DrainTimeout)
		}
		if st := g.Stats(); st.Dropped != 10 || st.Committed != 0 {
			t.Fatalf("dropped %d committed %d, want 10 and 0", st.Dropped, st.Committed)
		}
	})
}
