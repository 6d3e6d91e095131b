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

// TestStorageRepair is issue 18's scenario: a 64 MiB file stored k=4 of
// n=8 (16 segments) on a devnet's storage network. Three of the deal's
// nodes stop: the owner's get is byte-identical at once (5 pieces of 8
// live), the stopped nodes miss their audits and are disqualified, their
// pieces lost. A repair pass by carol — not the file's owner — reads 4
// live pieces of each segment, rebuilds the 3 lost ones and puts them on
// the other nodes (the network has 11: 8 for the deal and 3 that held
// nothing of it), and moves them there on chain: every segment has 8
// live pieces again. Three different nodes of the deal stop: the get is
// still byte-identical. carol is paid the repair fee of each piece once
// the new nodes pass an audit of it; a pass over the healthy deal finds
// nothing to do.
func TestStorageRepair(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet and 11 storage nodes")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	n := nodetest.Devnet(t, node.DevnetOptions{})
	chain, err := client.New(n.RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	if err := chain.UseAPI(n.APIURL()); err != nil {
		t.Fatal(err)
	}
	const k, nPieces, size = 4, 8, 64 << 20
	params := storage.DefaultParams()
	params.ChallengesPerNode, params.PricePerGibMonth, params.RepairFee = 64, 1<<30, 1000
	cfg := storagenet.DefaultConfig()
	cfg.Nodes, cfg.Params, cfg.Dir, cfg.Funder = nPieces+3, params, t.TempDir(), devKey(t, n, "alice").Private
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

	data := make([]byte, size)
	rand.Read(data)
	put, err := bob.Put(ctx, bytes.NewReader(data), uint64(len(data)), storageclient.PutOptions{K: k, N: nPieces, Duration: time.Hour,
		SegmentSize: 4 << 20})
	if err != nil {
		t.Fatalf("put: %v", err)
	}
	segments := put.Layout.Segments
	t.Logf("put %d MiB in %d segments in %s", size>>20, segments, put.Elapsed.Round(time.Millisecond))
	index := func(id crypto.DeviceID) int {
		for i := range cfg.Nodes {
			if sn.ID(i) == id {
				return i
			}
		}
		t.Fatalf("no node %s", crypto.DeviceString(id))
		return -1
	}
	get := func(when string) {
		t.Helper()
		var out bytes.Buffer
		res, err := bob.Get(ctx, put.Deal, &out, storageclient.GetOptions{})
		if err != nil || !bytes.Equal(out.Bytes(), data) {
			t.Fatalf("get %s: %v (%d bytes, identical: %v)", when, err, out.Len(), bytes.Equal(out.Bytes(), data))
		}
		t.Logf("get %s: byte-identical in %s", when, res.Elapsed.Round(time.Millisecond))
	}
	// Nothing is due while every piece is live.
	if rep, err := carol.RepairPass(ctx, storageclient.RepairOptions{}); err != nil || rep.Due != 0 || rep.Deals != 1 {
		t.Fatalf("a pass over a healthy deal: %+v %v", rep, err)
	}

	// Three of the deal's nodes stop.
	gone := map[crypto.DeviceID]bool{put.Nodes[1]: true, put.Nodes[4]: true, put.Nodes[6]: true}
	for id := range gone {
		if err := sn.Stop(index(id)); err != nil {
			t.Fatal(err)
		}
	}
	get("with 3 of the deal's 8 nodes stopped")
	start := time.Now()
	for id := range gone {
		for {
			s, err := chain.NodeStats(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if s.Disqualified {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("a stopped node was not disqualified: %v", s)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	t.Logf("the stopped nodes were disqualified after %s", time.Since(start).Round(time.Millisecond))

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
	repaired := 3 * int(segments)
	if rep.Due != int(segments) || len(rep.Repaired) != repaired || len(rep.Skipped) != 0 {
		t.Fatalf("repair pass: due %d, repaired %d, skipped %v; want %d segments, %d pieces", rep.Due, len(rep.Repaired), rep.Skipped, segments, repaired)
	}
	t.Logf("carol repaired %d pieces in %d tx(s)", len(rep.Repaired), len(rep.TxHashes))
	d, err := chain.Deal(ctx, put.Deal, client.QueryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Every segment has 8 live pieces on 8 distinct nodes, none stopped;
	// the repaired ones on the 3 nodes that held nothing of the deal.
	holders := map[crypto.DeviceID]bool{}
	for _, id := range put.Nodes {
		holders[id] = true
	}
	for s := range segments {
		seen := map[string]bool{}
		for _, p := range d.Pieces[s*d.N : (s+1)*d.N] {
			id, _ := crypto.AddressFromBytes(p.Node)
			if p.Lost || gone[id] || seen[string(p.Node)] {
				t.Fatalf("segment %d after the repair: piece %d on %s (lost %v, a stopped node %v, a second piece there %v)",
					s, p.Index, crypto.DeviceString(id), p.Lost, gone[id], seen[string(p.Node)])
			}
			seen[string(p.Node)] = true
		}
	}
	for _, r := range rep.Repaired {
		if holders[r.Node] {
			t.Fatalf("piece %d repaired onto %s, which held a piece of the deal", r.Piece, crypto.DeviceString(r.Node))
		}
	}

	// Three different nodes of the deal stop: 5 of 8 pieces left.
	var second []int
	for _, id := range put.Nodes {
		if !gone[id] && len(second) < 3 {
			second = append(second, index(id))
		}
	}
	for _, i := range second {
		if err := sn.Stop(i); err != nil {
			t.Fatal(err)
		}
	}
	get("after the repair, with 3 other nodes stopped")
	for _, i := range second {
		if err := sn.Start(ctx, i); err != nil {
			t.Fatal(err)
		}
	}
	if rep, err := carol.RepairPass(ctx, storageclient.RepairOptions{}); err != nil || rep.Due != 0 {
		t.Fatalf("a second pass: %+v %v", rep, err)
	}
	// The new nodes prove the pieces; carol is paid the fee of each.
	want := uint64(repaired) * params.RepairFee
	for {
		after, _, err := chain.Balance(ctx, carolAddr, "udpin", client.QueryOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if after-before == want {
			break
		}
		if ctx.Err() != nil || after-before > want {
			t.Fatalf("the repairer got %d, want %d", after-before, want)
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Logf("repaired and paid %s after the disqualification", time.Since(start).Round(time.Millisecond))
}
