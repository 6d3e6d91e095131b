package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/agent"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	vppv1 "github.com/depinhq/depin/gen/depin/vpp/v1"
	"github.com/depinhq/depin/h3"
	"github.com/depinhq/depin/node"
	"github.com/depinhq/depin/wire"
)

// TestVppCLIGolden runs a virtual power plant through the CLI on a
// devnet and compares what the commands print with golden files: an
// energy network with vpp params from 'tx network create' flags, a
// certified battery, a pool opened and joined, service credits bought
// with the network's token (earned by the battery's reports), a
// dispatch whose start is rounded up to the network's interval; the
// pool, its member, the dispatch, the credits and the network's burn.
// Bad powers, shares and durations are usage errors (exit 2) before
// anything is sent.
func TestVppCLIGolden(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet")
	}
	home, n := devnet(t)
	s := &goldenScript{t: t, home: home, url: n.RPCURL()}
	t.Setenv("DEPIN_PASSPHRASE", "golden passphrase")
	ctx := context.Background()
	c, err := client.New(n.RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s.replace(dir, "<tmp>")
	// Txs naming a time (a dispatch's start) have hashes of their own.
	hashRE := regexp.MustCompile(`"hash": "[0-9A-F]{64}"|Committed tx [0-9A-F]{64}`)

	s.run("keys", "import", "acme", "--seed-hex", hex.EncodeToString(seed("acme")))
	s.run("tx", "network", "create", "grid", "--class", "energy", "--metric", "1:charged:Wh:1/3600", "--metric", "2:discharged:Wh:1/3600",
		"--metric", "3:soc:permille:1000/1:0", "--epoch", "10s", "--geo", "none", "--reward-denom", "ugrid",
		"--vpp-interval", "1m", "--vpp-baseline", "1", "--vpp-settle", "0s", "--vpp-min-lead", "0s", "--credit-price", "2",
		"--dispatch-credits", "10", "--kwh-credits", "1", "--vpp-challenge-every", "0s", "--vpp-max-notice", "1h", "--from", "alice")
	s.run("tx", "network", "approve-maker", "grid", "acme", "--from", "alice")
	key := ed25519.NewKeyFromSeed(seed("battery device"))
	keyFile, certFile := filepath.Join(dir, "b1.key"), filepath.Join(dir, "b1-cert.json")
	if err := agent.SaveKey(keyFile, key); err != nil {
		t.Fatal(err)
	}
	pub := key.Public().(ed25519.PublicKey)
	s.run("maker", "certify", "acme", "--network", "grid", "--device-key", hex.EncodeToString(pub), "--model", "PowerWall", "--serial", "B1",
		"--capacity", "5000", "--energy-capacity", "13500", "--chain-id", "depin-devnet", "--out", certFile)
	s.run("tx", "device", "register", "--cert", certFile, "--key", keyFile, "--lat", "52.52", "--lon", "13.405", "--from", "alice")
	id := crypto.AddressFromPubKey(pub)
	dev := crypto.DeviceString(id)
	d, err := c.Device(ctx, id, client.QueryOptions{})
	if err != nil || d == nil || d.EnergyCapacity != 13_500 {
		t.Fatalf("the battery on chain: %v %v", d, err)
	}
	region, err := h3.Parent(d.Cell, 5)
	if err != nil {
		t.Fatal(err)
	}

	// A pool in the battery's region, joined.
	s.once("tx_vpp_create", "tx", "vpp", "create", "Berlin VPP", "--network", "grid", "--region", cellString(region), "--price", "1dpin/kWh",
		"--penalty", "1%", "--notice", "2m", "--from", "bob", "-o", "json")
	for _, bad := range [][]string{
		{"tx", "vpp", "join", "1", dev, "--max-kw", "0.0005", "--from", "alice"},
		{"tx", "vpp", "join", "1", dev, "--max-kw=-5", "--from", "alice"},
		{"tx", "vpp", "join", "1", dev, "--min-soc", "20.55%", "--from", "alice"},
		{"tx", "vpp", "join", "1", dev, "--max-kw", "99999999999999999999", "--from", "alice"},
		{"tx", "vpp", "join", "1", "--from", "alice"},
		{"tx", "vpp", "join", "1", dev, "--all", "--from", "alice"},
		{"tx", "vpp", "create", "X", "--network", "grid", "--region", "52.52,13.40@16", "--price", "1dpin/kWh", "--from", "bob"},
		{"tx", "vpp", "create", "X", "--network", "grid", "--region", "berlin", "--price", "1dpin/kWh", "--from", "bob"},
		{"tx", "vpp", "create", "X", "--network", "grid", "--region", cellString(region), "--price", "1dpin", "--from", "bob"},
		{"tx", "vpp", "dispatch", "1", "--direction", "discharge", "--kw", "3", "--start", "+1m", "--duration", "90s", "--from", "bob"},
		{"tx", "vpp", "dispatch", "1", "--direction", "sideways", "--kw", "3", "--start", "+1m", "--duration", "1m", "--from", "bob"},
		{"tx", "vpp", "dispatch", "1", "--direction", "charge", "--kw", "3", "--start", "soon", "--duration", "1m", "--from", "bob"},
	} {
		if _, code, err := run(t, home, n.RPCURL(), bad...); code != exitUsage {
			t.Errorf("depin %s: exit %d (%v), want %d", strings.Join(bad, " "), code, err, exitUsage)
		}
	}
	s.once("tx_vpp_join", "tx", "vpp", "join", "1", dev, "--max-kw", "4", "--min-soc", "20%", "--from", "alice")
	// --all finds the battery in the pool now: nothing left to join.
	if _, code, err := run(t, home, n.RPCURL(), "tx", "vpp", "join", "1", "--all", "--from", "alice"); code != 1 || err == nil || !strings.Contains(err.Error(), "no active battery of network grid in no pool") {
		t.Errorf("join --all with every battery in a pool: exit %d, %v", code, err)
	}
	s.query("query_vpp_pool", "query", "vpp", "pool", "1")
	s.query("query_vpp_pools", "query", "vpp", "pools", "--network", "grid")
	s.query("query_vpp_member", "query", "vpp", "member", "1", dev)
	s.query("query_vpp_members", "query", "vpp", "members", "1")

	// The battery reports: its epoch's rewards, claimed, buy bob credits.
	report := func(seq uint64, discharged uint64) {
		t.Helper()
		st, err := c.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		end := st.SyncInfo.LatestBlockTime.Unix()
		raw, err := wire.Sign(key, "depin-devnet", &reportv1.Report{Network: "grid", Seq: seq, PeriodStart: end - 10, PeriodEnd: end,
			Metrics: []*reportv1.MetricValue{{Id: 1, Value: 0}, {Id: 2, Value: discharged}, {Id: 3, Value: 500}}})
		if err != nil {
			t.Fatal(err)
		}
		var sr reportv1.SignedReport
		if err := proto.Unmarshal(raw, &sr); err != nil {
			t.Fatal(err)
		}
		eve := ed25519.NewKeyFromSeed(node.DevSeed("eve"))
		res, err := c.SendTx(ctx, eve, []*txv1.Msg{{Sum: &txv1.Msg_ReportBatch{ReportBatch: &reportv1.MsgReportBatch{
			Submitter: crypto.AddressFromPubKey(eve.Public().(ed25519.PublicKey)).Bytes(), Reports: []*reportv1.SignedReport{&sr}}}}}, client.TxOptions{})
		if err != nil || res.Code != 0 {
			t.Fatalf("report %d: %v %v", seq, res, err)
		}
	}
	report(1, 10)
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if u, err := c.Unclaimed(ctx, id, client.QueryOptions{}); err == nil && u > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the battery earned nothing in 60 s")
		}
	}
	s.run("tx", "reward", "claim", "--from", "alice")
	s.run("tx", "bank", "send", "alice", "bob", "1000ugrid")
	s.once("tx_vpp_buy_credits", "tx", "vpp", "buy-credits", "100", "--network", "grid", "--from", "bob", "-o", "json")
	s.query("query_vpp_credits", "query", "vpp", "credits", "--network", "grid", "bob")
	s.query("query_vpp_books", "query", "vpp", "credits", "--network", "grid")

	// A dispatch a minute ahead, rounded up to the minute: 3 kW for a
	// minute escrows 50 Wh at 1 DPIN/kWh and costs 10 + 1 credits.
	args := []string{"tx", "vpp", "dispatch", "1", "--direction", "discharge", "--kw", "3", "--start", "+1m", "--duration", "1m", "--from", "bob", "-o", "json"}
	out := s.run(args...)
	checkGolden(t, "tx_vpp_dispatch.golden", hashRE.ReplaceAllString(s.transcript(args, out), `"hash": "<hash of a tx naming its start>"`))
	var tv struct {
		Dispatch  string `json:"dispatch"`
		StartTime string `json:"start_time"`
	}
	if err := json.Unmarshal([]byte(out), &tv); err != nil || tv.Dispatch != "1" {
		t.Fatalf("dispatch output %s: %v", out, err)
	}
	if start, _ := strconv.ParseInt(tv.StartTime, 10, 64); start%60 != 0 {
		t.Errorf("the dispatch starts at %d, not on the network's minute", start)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		dp, err := c.Dispatch(ctx, 1, client.QueryOptions{})
		if err == nil && dp.Status != vppv1.DispatchStatus_DISPATCH_STATUS_WEIGHING && dp.Status != vppv1.DispatchStatus_DISPATCH_STATUS_ALLOCATING {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the dispatch was not allocated in 30 s")
		}
	}
	s.query("query_vpp_dispatch", "query", "vpp", "dispatch", "1")
	s.query("query_vpp_dispatches", "query", "vpp", "dispatches", "1")

	// The network's books: its emission, and the 200 ugrid burned.
	var nv struct{ Minted, Burned string }
	if err := json.Unmarshal([]byte(s.run("query", "network", "grid", "-o", "json")), &nv); err != nil {
		t.Fatal(err)
	}
	if minted, _ := strconv.ParseUint(nv.Minted, 10, 64); nv.Burned != "200" || minted == 0 {
		t.Errorf("query network grid: minted %s, burned %s (want some minted and 200 burned)", nv.Minted, nv.Burned)
	}
	if text := s.run("query", "network", "grid"); !strings.Contains(text, "200ugrid burned for service credits") || !strings.Contains(text, "vpp  ") {
		t.Errorf("query network grid:\n%s", text)
	}
}
