package indexer

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/keystore"
	"github.com/depinhq/depin/node"
	"github.com/depinhq/depin/node/nodetest"
	"github.com/depinhq/depin/simnet"
)

// TestLiveUpdates: subscribers get every indexed block once, in order,
// with each device's report outcomes; the SSE endpoint streams them.
func TestLiveUpdates(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a devnet")
	}
	n := nodetest.Devnet(t, node.DevnetOptions{})
	ks := keystore.Open(node.KeysDir(n.Home()))
	alice, _ := ks.Load("alice", nil)
	eve, _ := ks.Load("eve", nil)
	c, _ := client.New(n.RPCURL())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "live.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ix := &Indexer{DB: db, Client: c, Poll: 50 * time.Millisecond}
	updates, stop, err := ix.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	// Drain from the start (a subscriber that lets 64 updates pile up
	// misses updates, by design).
	got := make(chan Update, 100_000)
	go func() {
		for u := range updates {
			got <- u
		}
	}()
	go ix.Run(ctx)

	srv := httptest.NewServer(ix.LiveHandler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/?device=depindev1nobody")
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(resp.Body)
	blocks := 0
	for sc.Scan() && blocks < 2 {
		if sc.Text() == "event: block" {
			blocks++
		}
	}
	resp.Body.Close()
	if blocks < 2 {
		t.Fatal("the SSE stream sent no block events")
	}

	res, err := simnet.Run(ctx, c, simnet.Config{Kind: "storage", Devices: 4, Regions: []simnet.Region{simnet.Cities["berlin"]},
		Duration: 4 * time.Second, Interval: time.Second, Seed: 5, Owners: []ed25519.PrivateKey{alice.Private}, Submitter: eve.Private})
	if err != nil {
		t.Fatal(err)
	}
	// Drain until the indexer has reached the chain.
	st, _ := c.Status(ctx)
	target := st.SyncInfo.LatestBlockHeight
	var last int64
	accepted := 0
	deadline := time.After(30 * time.Second)
	for last < target {
		select {
		case u := <-got:
			if last != 0 && u.Height != last+1 {
				t.Fatalf("update for %d after %d", u.Height, last)
			}
			last = u.Height
			for dev, rc := range u.Reports {
				if !strings.HasPrefix(dev, "depindev1") {
					t.Fatalf("report counts for %q", dev)
				}
				accepted += rc.Accepted
			}
		case <-deadline:
			t.Fatalf("updates stopped at %d (target %d)", last, target)
		}
	}
	if uint64(accepted) != res.Accepted {
		t.Fatalf("live updates counted %d accepted reports, the fleet %d", accepted, res.Accepted)
	}
}
