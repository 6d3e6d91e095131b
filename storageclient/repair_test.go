package storageclient_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/depinhq/depin/api/storage"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/node"
	"github.com/depinhq/depin/node/nodetest"
	"github.com/depinhq/depin/storageclient"
	"github.com/depinhq/depin/storagenet"
	"github.com/depinhq/depin/storagenode"
)

// TestStorageRepair: 6 storage nodes on a devnet, a file stored k=2 of
// n=4 in 4 segments (repair threshold 3). One node stops: it misses its
// audits and is disqualified, its pieces lost. A repair pass by carol —
// not the file's owner — reads 2 live pieces of each segment, rebuilds
// the lost one, puts it on a node that held nothing of the segment and
// moves it there on chain; the pieces are live again, the owner's get is
// byte-identical, and carol is paid once the new pieces pass an audit.
// A second pass finds nothing to do.
func TestStorageRepair(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet and 6 storage nodes")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	n := nodetest.Devnet(t, node.DevnetOptions{})
	chain, err := client.New(n.RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	if err := chain.UseAPI(n.APIURL()); err != nil {
		t.Fatal(err)
	}
	params := storage.DefaultParams()
	params.ChallengesPerNode, params.PricePerGibMonth, params.RepairFee = 64, 1<<40, 1000
	cfg := storagenet.DefaultConfig()
	cfg.Nodes, cfg.Params, cfg.Dir, cfg.Funder = 6, params, t.TempDir(), devKey(t, n, "alice").Private
	if testing.Verbose() {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	// A repaired piece waits for its repair tx unreferenced: more grace
	// than TestConfig's.
	cfg.Node = func(_ int, c *storagenode.Config) { c.GCGrace = time.Minute }
	sn, err := storagenet.Start(ctx, chain, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sn.Close)
	newClient := func(name string) *storageclient.Client {
		c := storageclient.DefaultConfig()
		c.Key, c.HedgeAfter = devKey(t, n, name).Private, time.Second
		sc, err := storageclient.New(chain, c)
		if err != nil {
			t.Fatal(err)
		}
		return sc
	}
	bob, carol := newClient("bob"), newClient("carol")

	data := make([]byte, 200<<10)
	rand.Read(data)
	put, err := bob.Put(ctx, bytes.NewReader(data), uint64(len(data)), storageclient.PutOptions{K: 2, N: 4, Duration: time.Hour, SegmentSize: 50 << 10})
	if err != nil {
		t.Fatalf("put: %v", err)
	}
	if put.Layout.Segments != 4 {
		t.Fatalf("%d segments", put.Layout.Segments)
	}
	index := func(id crypto.DeviceID) int {
		for i := range cfg.Nodes {
			if sn.ID(i) == id {
				return i
			}
		}
		t.Fatalf("no node %s", crypto.DeviceString(id))
		return -1
	}
	// Nothing is due while every piece is live.
	if rep, err := carol.RepairPass(ctx, storageclient.RepairOptions{}); err != nil || rep.Due != 0 || rep.Deals != 1 {
		t.Fatalf("a pass over a healthy deal: %+v %v", rep, err)
	}

	// The node of piece 3 of every segment stops: 4 missed audits in an
	// epoch, disqualified.
	gone := put.Nodes[3]
	if err := sn.Stop(index(gone)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for {
		s, err := chain.NodeStats(ctx, gone)
		if err != nil {
			t.Fatal(err)
		}
		if s.Disqualified {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the stopped node was not disqualified: %v", s)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("the stopped node was disqualified after %s", time.Since(start).Round(time.Millisecond))

	rep, err := carol.RepairPass(ctx, storageclient.RepairOptions{})
	if err != nil {
		t.Fatalf("repair: %v (%+v)", err, rep)
	}
	// After the repair tx's fee; the repair fee comes after an audit at the
	// new node, an epoch or two later.
	carolAddr := carol.Owner()
	before, _, err := chain.Balance(ctx, carolAddr, "udpin", client.QueryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Due != 4 || len(rep.Repaired) != 4 || len(rep.Skipped) != 0 || len(rep.TxHashes) != 1 {
		t.Fatalf("repair pass: %+v", rep)
	}
	d, err := chain.Deal(ctx, put.Deal, client.QueryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Repaired {
		p := d.Pieces[r.Piece]
		if p.Lost || !bytes.Equal(p.Node, r.Node.Bytes()) || r.Node == gone || p.Index != 3 {
			t.Fatalf("repaired piece %d: %v", r.Piece, p)
		}
		// The new node holds it: the piece's owner can read it there.
		for _, q := range d.Pieces[p.Segment*d.N : (p.Segment+1)*d.N] {
			if q != p && bytes.Equal(q.Node, p.Node) {
				t.Fatalf("segment %d has two pieces on one node", p.Segment)
			}
		}
	}
	// The 4 pieces spread over the 2 nodes that held nothing of the deal.
	spread := map[crypto.DeviceID]int{}
	for _, r := range rep.Repaired {
		spread[r.Node]++
	}
	if len(spread) != 2 {
		t.Fatalf("repaired pieces on %d nodes, want 2: %v", len(spread), spread)
	}
	for _, p := range d.Pieces {
		if p.Lost {
			t.Fatalf("a piece is still lost: %v", p)
		}
	}
	// The owner's file, from the repaired deal, with the piece of a
	// surviving node missing too: a repaired piece is needed and read.
	if err := sn.Stop(index(put.Nodes[0])); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := bob.Get(ctx, put.Deal, &out, storageclient.GetOptions{}); err != nil || !bytes.Equal(out.Bytes(), data) {
		t.Fatalf("get after repair: %v (%d bytes, identical: %v)", err, out.Len(), bytes.Equal(out.Bytes(), data))
	}
	if err := sn.Start(ctx, index(put.Nodes[0])); err != nil {
		t.Fatal(err)
	}
	if rep, err := carol.RepairPass(ctx, storageclient.RepairOptions{}); err != nil || rep.Due != 0 {
		t.Fatalf("a second pass: %+v %v", rep, err)
	}
	// The new nodes prove the pieces; carol is paid the fee of each.
	for {
		after, _, err := chain.Balance(ctx, carolAddr, "udpin", client.QueryOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if after-before == 4*params.RepairFee {
			break
		}
		if ctx.Err() != nil || after-before > 4*params.RepairFee {
			t.Fatalf("the repairer got %d, want %d", after-before, 4*params.RepairFee)
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Logf("repaired and paid %s after the disqualification", time.Since(start).Round(time.Millisecond))
}
