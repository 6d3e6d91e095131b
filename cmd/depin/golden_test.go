package main

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/agent"
	"github.com/depinhq/depin/api/network"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	marketv1 "github.com/depinhq/depin/gen/depin/market/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/internal/golden"
	"github.com/depinhq/depin/node"
	"github.com/depinhq/depin/wire"
)

// seed is a deterministic 32-byte seed for the test's keys, so their
// addresses and device ids are the same in every run.
func seed(name string) []byte {
	s := sha256.Sum256([]byte("depin cli golden: " + name))
	return s[:]
}

// goldenScript runs CLI commands against a devnet and compares their
// output with testdata/<name>.golden after replacing what differs between
// runs (heights, times, hashes of blocks, the validator's random key).
type goldenScript struct {
	t         *testing.T
	home, url string
	subst     []substitution
}

type substitution struct {
	re   *regexp.Regexp
	with string
}

// varying are the values no run repeats: heights and times of blocks,
// app hashes. Addresses, device ids, tx hashes and amounts are the same in
// every run (dev accounts and the test's keys are seeded; txs carry no
// time) and are compared as they are.
var varying = []substitution{
	{regexp.MustCompile(`"([a-z_]*height)": "?[1-9][0-9]*"?`), `"$1": "<height>"`},
	{regexp.MustCompile(`"([a-z_]*time)": "[^"]*"`), `"$1": "<time>"`},
	{regexp.MustCompile(`"([a-z_]*app_hash)": "[0-9A-F]*"`), `"$1": "<app-hash>"`},
	{regexp.MustCompile(`\b((?:height|block):?\s+)[1-9][0-9]*`), `${1}<height>`},
	{regexp.MustCompile(`(app hash:?\s+)[0-9A-F]{64}`), `${1}<app-hash>`},
	{regexp.MustCompile(`\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?Z?`), `<time>`},
}

var word = regexp.MustCompile(`\w`)

// replace makes the script write with in place of every whole-word
// occurrence of value.
func (s *goldenScript) replace(value, with string) {
	re := regexp.QuoteMeta(value)
	if word.MatchString(value[:1]) {
		re = `\b` + re
	}
	if word.MatchString(value[len(value)-1:]) {
		re += `\b`
	}
	s.subst = append(s.subst, substitution{regexp.MustCompile(re), with})
}

func (s *goldenScript) normalise(out string) string {
	for _, r := range append(append([]substitution{}, s.subst...), varying...) {
		out = r.re.ReplaceAllString(out, r.with)
	}
	return out
}

// run runs a command that must succeed and returns its output.
func (s *goldenScript) run(args ...string) string {
	s.t.Helper()
	out, code, err := run(s.t, s.home, s.url, args...)
	if code != 0 {
		s.t.Fatalf("depin %s: exit %d: %v", strings.Join(args, " "), code, err)
	}
	return out
}

func (s *goldenScript) transcript(args []string, out string) string {
	return s.normalise("$ depin " + strings.Join(args, " ") + "\n" + out)
}

// query compares a read-only command's output as JSON and as text with
// testdata/name.golden.
func (s *goldenScript) query(name string, args ...string) {
	s.t.Helper()
	js := append(append([]string{}, args...), "-o", "json")
	got := s.transcript(js, s.run(js...)) + "\n" + s.transcript(args, s.run(args...))
	checkGolden(s.t, name+".golden", got)
}

// once runs a command that changes state once (as given: with or
// without -o json) and compares its output with testdata/name.golden.
func (s *goldenScript) once(name string, args ...string) string {
	s.t.Helper()
	out := s.run(args...)
	checkGolden(s.t, name+".golden", s.transcript(args, out))
	return out
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), name, got)
}

// TestCLIGolden runs a scripted session against a devnet — a network and
// a device, an agreement, a lease, shares, an energy market with an order,
// transfers — and compares what the read commands print, as JSON and as
// text, with the golden files in testdata/.
func TestCLIGolden(t *testing.T) {
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
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.replace(st.ValidatorInfo.Address.String(), "<validator>")
	s.replace(string(st.NodeInfo.ID()), "<node-id>")
	dir := t.TempDir()
	s.replace(dir, "<tmp>")
	s.replace(home, "<home>")

	// Keys: a maker key from a seed, next to the dev accounts.
	s.once("keys_import", "keys", "import", "acme", "--seed-hex", hex.EncodeToString(seed("acme")), "-o", "json")
	s.query("keys_list", "keys", "list")
	s.query("keys_show", "keys", "show", "acme")

	// A network, its maker and a certified device.
	s.once("tx_network_create", "tx", "network", "create", "solar", "--kind", "solar", "--from", "alice", "-o", "json")
	s.run("tx", "network", "approve-maker", "solar", "acme", "--name", "ACME", "--from", "alice")
	solarKey := ed25519.NewKeyFromSeed(seed("solar device"))
	solar := deviceWithKey(t, s, dir, "solar", solarKey, "SunBox", "SN1", "5000", "alice", "52.52", "13.405")
	s.query("device_prove", "device", "prove", "--key", filepath.Join(dir, "solar.key"), "--owner", "alice")
	s.query("query_network", "query", "network", "solar")
	s.query("query_device", "query", "device", solar)
	s.query("query_devices", "query", "devices", "--owner", "alice")
	s.query("query_work_empty", "query", "work", solar, "--epoch", "0")
	s.query("query_evidence", "query", "evidence", solar)
	s.query("query_reward_unclaimed", "query", "reward", "unclaimed", solar)
	s.query("query_reward_network", "query", "reward", "network", "solar")

	// An agreement, a lease offer, shares.
	s.once("tx_agreement_open", "tx", "agreement", "open", solar, "--metric", "1", "--price", "2udpin/1000", "--max-units", "5000000", "--end", "5", "--from", "bob")
	s.query("query_agreement", "query", "agreement", "1")
	s.query("query_agreements", "query", "agreements", "--device", solar)
	s.run("tx", "lease", "offer", solar, "--lessee", "bob", "--rent", "5dpin", "--reward-share", "50", "--start", "1", "--end", "3", "--from", "alice")
	s.query("query_lease", "query", "lease", solar)
	s.run("tx", "share", "tokenize", solar, "1000", "--from", "alice")
	s.query("query_shares", "query", "shares", solar, "--holder", "alice")

	// An energy market (no CLI flag creates one: the network is created
	// through the client), a meter with a report, an order in the next
	// interval.
	meterKind, _ := kindTemplate("meter")
	mp := &marketv1.MarketParams{IntervalSeconds: 3600, Denom: "udpin", SellerMetric: 2, BuyerMetric: 1, SettleDelaySeconds: 3600, ShortfallPenalty: 10_000_000}
	alice := ed25519.NewKeyFromSeed(node.DevSeed("alice"))
	aliceAddr := crypto.AddressFromPubKey(alice.Public().(ed25519.PublicKey))
	if _, err := c.SendTx(ctx, alice, []*txv1.Msg{{Sum: &txv1.Msg_CreateNetwork{CreateNetwork: &networkv1.MsgCreateNetwork{
		Owner: aliceAddr.Bytes(), Id: "grid", Name: "Grid", Class: meterKind.Class, Physical: true, RewardDenom: "ugrid",
		Params: &networkv1.Params{Metrics: meterKind.Metrics, EpochSeconds: 3600, ReportWindowSeconds: 3600, MaxClockSkewSeconds: 30,
			MinStake: 1_000_000, UnbondingSeconds: 3600, MinMoveIntervalSeconds: 3600, Rewards: network.DefaultRewards(1000), Market: mp},
	}}}}, client.TxOptions{}); err != nil {
		t.Fatal(err)
	}
	s.run("tx", "network", "approve-maker", "grid", "acme", "--from", "alice")
	meterKey := ed25519.NewKeyFromSeed(seed("meter device"))
	meter := deviceWithKey(t, s, dir, "grid", meterKey, "HomeMeter", "M1", "10000", "bob", "48.8566", "2.3522")
	now := time.Now().Unix()
	raw, err := wire.Sign(meterKey, "depin-devnet", &reportv1.Report{Network: "grid", Seq: 1, PeriodStart: now - 70, PeriodEnd: now - 10,
		Metrics: []*reportv1.MetricValue{{Id: 1, Value: 100}, {Id: 2, Value: 50}}})
	if err != nil {
		t.Fatal(err)
	}
	var sr reportv1.SignedReport
	if err := proto.Unmarshal(raw, &sr); err != nil {
		t.Fatal(err)
	}
	eve := ed25519.NewKeyFromSeed(node.DevSeed("eve"))
	eveAddr := crypto.AddressFromPubKey(eve.Public().(ed25519.PublicKey))
	if res, err := c.SendTx(ctx, eve, []*txv1.Msg{{Sum: &txv1.Msg_ReportBatch{ReportBatch: &reportv1.MsgReportBatch{
		Submitter: eveAddr.Bytes(), Reports: []*reportv1.SignedReport{&sr}}}}}, client.TxOptions{}); err != nil || res.Code != 0 {
		t.Fatalf("report: %v", err)
	}
	s.query("query_work", "query", "work", meter, "--epoch", "0")
	st, err = c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	interval := fmt.Sprint(st.SyncInfo.LatestBlockTime.Unix()/3600 + 1)
	s.replace(interval, "<interval>")
	// The order's tx names its interval (the next hour), so its hash
	// changes with the hour the test runs in: compared without it.
	orderArgs := []string{"tx", "market", "order", meter, "bid", "--quantity", "500", "--price", "3", "--interval", interval, "--from", "bob", "-o", "json"}
	orderOut := regexp.MustCompile(`"hash": "[0-9A-F]{64}"`).ReplaceAllString(s.run(orderArgs...), `"hash": "<hash of a tx naming the interval>"`)
	checkGolden(t, "tx_market_order.golden", s.transcript(orderArgs, orderOut))
	s.query("query_market_book", "query", "market", "book", "grid", interval)
	s.query("query_market_orders", "query", "market", "orders", "bob")
	s.query("query_networks", "query", "networks")

	// Transfers, balances, the block of a transfer, validators, status.
	out := s.once("tx_bank_send_json", "tx", "bank", "send", "alice", "carol", "1.5dpin", "-o", "json")
	s.once("tx_bank_send_text", "tx", "bank", "send", "alice", "carol", "2500udpin")
	var h int64
	if i := strings.Index(out, `"height": `); i >= 0 {
		fmt.Sscanf(strings.Trim(out[i+len(`"height": `):], `"`), "%d", &h)
	}
	if h == 0 {
		t.Fatalf("no height in %s", out)
	}
	b, err := c.Block(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	s.replace(b.BlockID.Hash.String(), "<block-hash>")
	s.query("query_block", "query", "block", fmt.Sprint(h))
	s.query("query_bank_balances", "query", "bank", "balance", "alice")
	s.query("query_bank_balance", "query", "bank", "balance", "carol", "udpin", "--prove")
	s.query("query_bank_supply", "query", "bank", "supply", "udpin")
	s.query("query_bank_supply_display", "query", "bank", "supply", "dpin")
	s.query("query_bank_balances_proven", "query", "bank", "balance", "carol", "--prove")
	s.query("query_account", "query", "account", "alice")
	s.query("query_staking_validators", "query", "staking", "validators")
	s.query("status", "status")
}

// deviceWithKey certifies a device with the acme maker key and registers it
// to owner at lat/lon in net, and returns its id.
func deviceWithKey(t *testing.T, s *goldenScript, dir, net string, key ed25519.PrivateKey, model, serial, capacity, owner, lat, lon string) string {
	t.Helper()
	keyFile, certFile := filepath.Join(dir, net+".key"), filepath.Join(dir, net+"-cert.json")
	if err := agent.SaveKey(keyFile, key); err != nil {
		t.Fatal(err)
	}
	pub := key.Public().(ed25519.PublicKey)
	s.run("maker", "certify", "acme", "--network", net, "--device-key", hex.EncodeToString(pub),
		"--model", model, "--serial", serial, "--capacity", capacity, "--chain-id", "depin-devnet", "--out", certFile)
	s.run("tx", "device", "register", "--cert", certFile, "--key", keyFile, "--lat", lat, "--lon", lon, "--from", owner)
	return crypto.DeviceString(crypto.AddressFromPubKey(pub))
}
