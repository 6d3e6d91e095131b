package indexer

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/keystore"
	"github.com/depinhq/depin/node"
	"github.com/depinhq/depin/node/nodetest"
	"github.com/depinhq/depin/simnet"
)

// TestIndexerFollowsTheChain: a devnet with a simulated fleet; the indexer
// is killed mid-stream and restarted; the index ends with every block
// exactly once, the fleet's devices and reports, and balances equal to the
// chain's at the indexed height. On SQLite and on a real PostgreSQL.
func TestIndexerFollowsTheChain(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a devnet")
	}
	t.Run("sqlite", func(t *testing.T) { followTheChain(t, "sqlite:"+filepath.Join(t.TempDir(), "index.db")) })
	t.Run("postgres", func(t *testing.T) { followTheChain(t, postgresDSN(t)) })
}

func followTheChain(t *testing.T, dsn string) {
	n := nodetest.Devnet(t, node.DevnetOptions{})
	ks := keystore.Open(node.KeysDir(n.Home()))
	alice, _ := ks.Load("alice", nil)
	eve, _ := ks.Load("eve", nil)
	c, err := client.New(n.RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	run := func(ctx context.Context) *Indexer {
		db, err := Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		ix := &Indexer{DB: db, Client: c, Poll: 50 * time.Millisecond, Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := ix.Run(ctx); err != nil {
				t.Error(err)
			}
		}()
		t.Cleanup(func() { <-done; db.Close() })
		return ix
	}
	// First run: killed after a few blocks, while the fleet works.
	ctx1, kill := context.WithCancel(ctx)
	ix := run(ctx1)
	simDone := make(chan *simnet.Result, 1)
	go func() {
		res, err := simnet.Run(ctx, c, simnet.Config{Kind: "storage", Devices: 8, Regions: []simnet.Region{simnet.Cities["tokyo"]}, EpochSeconds: 10,
			Duration: 12 * time.Second, Interval: time.Second, Seed: 9, Owners: []ed25519.PrivateKey{alice.Private}, Submitter: eve.Private})
		if err != nil {
			t.Error(err)
		}
		simDone <- res
	}()
	deadline := time.Now().Add(30 * time.Second)
	for ix.Height() < 8 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	kill()
	res := <-simDone
	if res == nil {
		t.Fatal("sim failed")
	}
	// Wait for an epoch's rewards, then alice claims them.
	for {
		rs, err := c.RewardState(ctx, "storage", client.QueryOptions{})
		if err == nil && rs != nil && rs.Unclaimed > 0 {
			break
		}
		if time.Now().After(deadline.Add(30 * time.Second)) {
			t.Fatal("no rewards accrued")
		}
		time.Sleep(200 * time.Millisecond)
	}
	before, _, _ := c.Balance(ctx, alice.Address, "ustorage", client.QueryOptions{})
	if _, err := c.SendTx(ctx, alice.Private, []*txv1.Msg{{Sum: &txv1.Msg_ClaimRewards{ClaimRewards: &rewardv1.MsgClaimRewards{Owner: alice.Address.Bytes()}}}}, client.TxOptions{}); err != nil {
		t.Fatal(err)
	}
	after, _, _ := c.Balance(ctx, alice.Address, "ustorage", client.QueryOptions{})
	// Second run resumes from the cursor and catches up.
	ctx2, stop := context.WithCancel(ctx)
	defer stop()
	ix2 := run(ctx2)
	st, _ := c.Status(ctx)
	target := st.SyncInfo.LatestBlockHeight
	for ix2.Height() < target {
		if time.Now().After(deadline.Add(30 * time.Second)) {
			t.Fatalf("indexer at %d, chain at %d", ix2.Height(), target)
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	time.Sleep(100 * time.Millisecond)
	db, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h, _ := db.Height(ctx)
	var count, maxH int64
	if err := db.QueryRow(`SELECT COUNT(*), COALESCE(MAX(height), 0) FROM blocks`).Scan(&count, &maxH); err != nil {
		t.Fatal(err)
	}
	if count != maxH || maxH != h || h < target {
		t.Fatalf("blocks: %d rows, max %d, cursor %d, target %d: a gap or a duplicate", count, maxH, h, target)
	}
	var devices, accepted int64
	if err := db.QueryRow(`SELECT COUNT(*), COALESCE(SUM(reports_accepted), 0) FROM devices WHERE network = 'storage'`).Scan(&devices, &accepted); err != nil {
		t.Fatal(err)
	}
	if devices != 8 || accepted != int64(res.Accepted) {
		t.Fatalf("indexed %d devices with %d accepted reports; the sim says %d devices, %d accepted", devices, accepted, res.Devices, res.Accepted)
	}
	// The per-hex counts kept block by block equal a recount from scratch,
	// and count the fleet: 8 devices at every resolution.
	hexStats := func() string {
		rows, err := db.Query(`SELECT network, res, cell, devices, rewards FROM hex_stats ORDER BY network, res, cell`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var b strings.Builder
		perRes := map[int]int64{}
		for rows.Next() {
			var net, cell, rewards string
			var res int
			var n int64
			if err := rows.Scan(&net, &res, &cell, &n, &rewards); err != nil {
				t.Fatal(err)
			}
			perRes[res] += n
			fmt.Fprintln(&b, net, res, cell, n, rewards)
		}
		for _, r := range HexResolutions {
			if perRes[r] != 8 {
				t.Errorf("resolution %d: hex_stats counts %d devices, want 8", r, perRes[r])
			}
		}
		return b.String()
	}
	kept := hexStats()
	if err := db.RebuildHexStats(ctx); err != nil {
		t.Fatal(err)
	}
	if rebuilt := hexStats(); rebuilt != kept {
		t.Fatalf("hex_stats kept while indexing:\n%s\nrecounted:\n%s", kept, rebuilt)
	}
	// Every reward row equals the chain's breakdown; the claim is there.
	rrows, err := db.Query(`SELECT network, epoch, device, reward FROM rewards`)
	if err != nil {
		t.Fatal(err)
	}
	nrewards := 0
	for rrows.Next() {
		var net, dev, reward string
		var epoch uint64
		if err := rrows.Scan(&net, &epoch, &dev, &reward); err != nil {
			t.Fatal(err)
		}
		id, _ := crypto.ParseDeviceID(dev)
		b, err := c.RewardBreakdown(ctx, net, epoch, id, client.QueryOptions{})
		if err != nil || b == nil || itoa(b.Reward) != reward {
			t.Fatalf("reward %s %d %s: index %s, chain %v (%v)", net, epoch, dev, reward, b, err)
		}
		nrewards++
	}
	rrows.Close()
	if nrewards == 0 {
		t.Fatal("no rewards indexed")
	}
	var claimed string
	if err := db.QueryRow(`SELECT amount FROM claims WHERE owner = $1 AND denom = 'ustorage'`, alice.Address.String()).Scan(&claimed); err != nil || claimed != itoa(after-before) {
		t.Fatalf("claim indexed as %q (%v), balance grew by %d", claimed, err, after-before)
	}
	// Balances equal the chain's at the indexed height.
	rows, err := db.Query(`SELECT address, denom, amount FROM balances`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	checked := 0
	for rows.Next() {
		var addr, denom, amount string
		if err := rows.Scan(&addr, &denom, &amount); err != nil {
			t.Fatal(err)
		}
		a, err := parseAddr(addr)
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := c.Balance(ctx, a, denom, client.QueryOptions{Height: h})
		if err != nil {
			t.Fatal(err)
		}
		if amount != itoa(got) {
			t.Errorf("%s %s: index %s, chain %d at height %d", addr, denom, amount, got, h)
		}
		checked++
	}
	if checked < 6 {
		t.Fatalf("only %d balances indexed", checked)
	}
}

func parseAddr(s string) (crypto.Address, error) { return crypto.ParseAddress(s) }

func itoa(v uint64) string { return strconv.FormatUint(v, 10) }
