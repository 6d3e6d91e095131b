package main

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/agent"
	"github.com/depinhq/depin/api/auth"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/node"
	"github.com/depinhq/depin/wire"
)

// cliSession runs CLI commands against one devnet.
type cliSession struct {
	t         *testing.T
	home, url string
	c         *client.Client
}

func newSession(t *testing.T) (*cliSession, *node.Node) {
	home, n := devnet(t)
	c, err := client.New(n.RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	return &cliSession{t: t, home: home, url: n.RPCURL(), c: c}, n
}

// must runs a command that must succeed and returns its output.
func (s *cliSession) must(args ...string) string {
	s.t.Helper()
	out, code, err := run(s.t, s.home, s.url, args...)
	if code != 0 {
		s.t.Fatalf("depin %s: exit %d: %v", strings.Join(args, " "), code, err)
	}
	return out
}

// json runs a command with -o json into v.
func (s *cliSession) json(v any, args ...string) {
	s.t.Helper()
	out := s.must(append(args, "-o", "json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		s.t.Fatalf("depin %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// device certifies (with the acme maker key) and registers a device to
// owner in net, and returns its id and key.
func (s *cliSession) device(net, name, owner string) (string, ed25519.PrivateKey) {
	s.t.Helper()
	key := ed25519.NewKeyFromSeed(seed(name))
	dir := s.t.TempDir()
	keyFile, certFile := filepath.Join(dir, "device.key"), filepath.Join(dir, "cert.json")
	if err := agent.SaveKey(keyFile, key); err != nil {
		s.t.Fatal(err)
	}
	s.must("maker", "certify", "acme", "--network", net, "--device-key", hex.EncodeToString(key.Public().(ed25519.PublicKey)),
		"--model", "SunBox", "--serial", name, "--capacity", "5000", "--out", certFile)
	s.must("tx", "device", "register", "--cert", certFile, "--key", keyFile, "--lat", "52.52", "--lon", "13.405", "--from", owner)
	return crypto.DeviceString(crypto.AddressFromPubKey(key.Public().(ed25519.PublicKey))), key
}

// report submits signed reports (through eve, as a gateway would) and
// returns their outcomes.
func (s *cliSession) report(reports ...*reportv1.SignedReport) {
	s.t.Helper()
	eve := ed25519.NewKeyFromSeed(node.DevSeed("eve"))
	eveAddr := crypto.AddressFromPubKey(eve.Public().(ed25519.PublicKey))
	if res, err := s.c.SendTx(context.Background(), eve, []*txv1.Msg{{Sum: &txv1.Msg_ReportBatch{ReportBatch: &reportv1.MsgReportBatch{
		Submitter: eveAddr.Bytes(), Reports: reports}}}}, client.TxOptions{}); err != nil || res.Code != 0 {
		s.t.Fatalf("report batch: %v", err)
	}
}

// signed is a solar report of key over the last seconds before now.
func signed(t *testing.T, key ed25519.PrivateKey, seq, wh uint64, end int64) *reportv1.SignedReport {
	t.Helper()
	raw, err := wire.Sign(key, node.DevnetChainID, &reportv1.Report{Network: "solar", Seq: seq, PeriodStart: end - 15, PeriodEnd: end,
		Metrics: []*reportv1.MetricValue{{Id: 1, Value: wh}}})
	if err != nil {
		t.Fatal(err)
	}
	var sr reportv1.SignedReport
	if err := proto.Unmarshal(raw, &sr); err != nil {
		t.Fatal(err)
	}
	return &sr
}

// explanation is 'query reward explain' as JSON: a breakdown or the
// reason there is none.
type explanation struct {
	Reward string
	Reason string
	Detail string
	Jail   *struct{ Height, Evidence, Kind string }
}

// explain waits until the epoch's rewards are settled and returns why
// the device earned what it did.
func (s *cliSession) explain(dev string, epoch uint64) explanation {
	s.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var e explanation
		s.json(&e, "query", "reward", "explain", dev, fmt.Sprint(epoch))
		if e.Reason != noRewardRunning && e.Reason != noRewardNotBegun && e.Reason != noRewardComputing {
			return e
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("epoch %d of %s never settled: %+v", epoch, dev, e)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// TestDeviceStory follows a new owner through a network's life on a
// devnet: two devices report; one is jailed for a double report, and the
// advice printed for it is followed to the letter (deactivate, wait for
// the unbonding, withdraw); 'query reward explain' says why each device
// earned or did not (a breakdown, jailed at height H for evidence E, no
// accepted reports); a claim prints what it paid in display units; a
// lease shows in 'query lease' and 'query device'.
func TestDeviceStory(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet")
	}
	s, _ := newSession(t)
	t.Setenv("DEPIN_PASSPHRASE", "story passphrase")
	s.must("keys", "import", "acme", "--seed-hex", hex.EncodeToString(seed("acme")))
	s.must("tx", "network", "create", "solar", "--kind", "solar", "--epoch", "10s", "--unbonding", "10s", "--from", "alice")
	s.must("tx", "network", "approve-maker", "solar", "acme", "--from", "alice")
	good, goodKey := s.device("solar", "good", "alice")
	bad, badKey := s.device("solar", "bad", "alice")
	var epoch0 uint64
	{
		var st struct {
			CurrentEpoch uint64 `json:"current_epoch,string"`
		}
		s.json(&st, "query", "reward", "network", "solar")
		epoch0 = st.CurrentEpoch
	}

	// Both report; the bad one then signs a second, different report with
	// the same seq: the chain records the double report and jails it.
	// (One batch: the jailing is in the block that accepted the report,
	// so the epoch's rewards always find the device jailed.)
	now := time.Now().Unix()
	s.report(signed(t, goodKey, 1, 10, now-2), signed(t, badKey, 1, 10, now-2), signed(t, badKey, 1, 11, now-2))
	var dv struct {
		Status string
		Jail   *struct{ Height, Evidence, Kind string }
	}
	s.json(&dv, "query", "device", bad)
	if dv.Status != "jailed" || dv.Jail == nil || dv.Jail.Kind != "double_report" {
		t.Fatalf("device after a double report: %+v", dv)
	}
	text := s.must("query", "device", bad)
	deactivate := "depin tx device deactivate " + bad + " --from "
	if !strings.Contains(text, "jailed at height "+dv.Jail.Height+" for double report evidence "+dv.Jail.Evidence) || !strings.Contains(text, deactivate) {
		t.Fatalf("query device of a jailed device:\n%s", text)
	}

	// Why each device earned what it did in that epoch (reports count in
	// the epoch their block is in, which may be the next one).
	var epoch uint64
	var e explanation
	for epoch = epoch0; epoch <= epoch0+1; epoch++ {
		if e = s.explain(good, epoch); e.Reason == "" {
			break
		}
	}
	if e.Reason != "" || e.Reward == "" || e.Reward == "0" {
		t.Fatalf("explain of the good device in epochs %d–%d: %+v", epoch0, epoch, e)
	}
	jailed := s.explain(bad, epoch)
	if jailed.Reason != noRewardJailed || jailed.Jail == nil || jailed.Jail.Height != dv.Jail.Height || jailed.Jail.Evidence != dv.Jail.Evidence {
		t.Fatalf("explain of the jailed device: %+v", jailed)
	}
	if text := s.must("query", "reward", "explain", bad, fmt.Sprint(epoch)); !strings.Contains(text, "jailed at height "+dv.Jail.Height) || !strings.Contains(text, deactivate) {
		t.Errorf("explain of the jailed device, text:\n%s", text)
	}
	if idle := s.explain(good, epoch+1); idle.Reason != noRewardNoReports {
		t.Errorf("explain of an epoch without reports: %+v", idle)
	}

	// The claim says what it paid, in the token's display unit.
	if out := s.must("tx", "reward", "claim", "--from", "alice"); !strings.Contains(out, " SOLAR (") || !strings.Contains(out, "usolar) for depin1") {
		t.Errorf("claim output:\n%s", out)
	}

	// The advice, followed: deactivate, wait out the unbonding, withdraw.
	args := strings.Fields(text[strings.Index(text, deactivate):])[:7]
	s.must(args[1:]...)
	var unbonding struct {
		Status     string
		UnbondTime int64 `json:"unbond_time,string"`
	}
	s.json(&unbonding, "query", "device", bad)
	if unbonding.Status != "unbonding" {
		t.Fatalf("after deactivate: %+v", unbonding)
	}
	if _, code, err := run(t, s.home, s.url, "tx", "device", "withdraw", bad, "--from", "alice"); code != exitRejected || !strings.Contains(err.Error(), "stake still unbonding: until ") {
		t.Errorf("withdraw too early: exit %d: %v", code, err)
	}
	time.Sleep(time.Until(time.Unix(unbonding.UnbondTime+2, 0)))
	if out := s.must("query", "device", bad); !strings.Contains(out, "depin tx device withdraw "+bad) {
		t.Errorf("an unbonded device does not say how to withdraw:\n%s", out)
	}
	s.must("tx", "device", "withdraw", bad, "--from", "alice")
	s.json(&unbonding, "query", "device", bad)
	if unbonding.Status != "retired" {
		t.Errorf("after withdraw: %+v", unbonding)
	}

	// A lease, in 'query lease' and 'query device'.
	if _, code, err := run(t, s.home, s.url, "query", "lease", good); code != 1 || !strings.Contains(err.Error(), "has no lease") {
		t.Errorf("query lease without one: exit %d: %v", code, err)
	}
	var cur struct {
		CurrentEpoch uint64 `json:"current_epoch,string"`
	}
	s.json(&cur, "query", "reward", "network", "solar")
	s.must("tx", "lease", "offer", good, "--lessee", "bob", "--rent", "5dpin", "--reward-share", "50",
		"--start", fmt.Sprint(cur.CurrentEpoch+5), "--end", fmt.Sprint(cur.CurrentEpoch+8), "--from", "alice")
	if out := s.must("query", "lease", good); !strings.Contains(out, "offered") || !strings.Contains(out, "5 DPIN per epoch") {
		t.Errorf("query lease:\n%s", out)
	}
	if out := s.must("query", "device", good); !strings.Contains(out, "lease       offered, to depin1") {
		t.Errorf("query device does not show the lease:\n%s", out)
	}
}

// TestGenerateOnly: a tx printed by --generate-only decodes with
// api/auth and is committed when broadcast through CometBFT's RPC — hex
// through GET broadcast_tx_sync?tx=0x…, base64 through JSON-RPC; without
// a local key it is unsigned, and signing its sign_bytes makes it whole.
func TestGenerateOnly(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet")
	}
	s, _ := newSession(t)
	ctx := context.Background()
	bob := crypto.AddressFromPubKey(ed25519.NewKeyFromSeed(node.DevSeed("bob")).Public().(ed25519.PublicKey))
	before, _, err := s.c.Balance(ctx, bob, "udpin", client.QueryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wait := func(tx []byte) {
		t.Helper()
		res, err := s.c.WaitTx(ctx, client.TxHash(tx), 30*time.Second)
		if err != nil || res.Code != 0 {
			t.Fatalf("broadcast tx: %v", err)
		}
	}

	// Hex, through GET /broadcast_tx_sync?tx=0x….
	out := strings.TrimSpace(s.must("tx", "bank", "send", "alice", "bob", "1dpin", "--generate-only"))
	raw, err := hex.DecodeString(strings.TrimPrefix(out, "0x"))
	if err != nil || !strings.HasPrefix(out, "0x") {
		t.Fatalf("--generate-only printed %q", out)
	}
	tx, err := auth.DecodeTx(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.VerifySignature(node.DevnetChainID); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(strings.TrimSuffix(s.url, "/") + "/broadcast_tx_sync?tx=" + out)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"code":0`) {
		t.Fatalf("broadcast_tx_sync: %s", body)
	}
	wait(raw)

	// Base64, through JSON-RPC.
	var gen generatedTxView
	s.json(&gen, "tx", "bank", "send", "alice", "bob", "2dpin", "--generate-only", "--encoding", "base64")
	if raw, err = base64.StdEncoding.DecodeString(gen.Tx); err != nil || !gen.Signed || gen.Hash != fmt.Sprintf("%X", client.TxHash(raw)) {
		t.Fatalf("--generate-only --encoding base64: %+v (%v)", gen, err)
	}
	rpc, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "broadcast_tx_sync", "params": map[string]any{"tx": gen.Tx}})
	resp, err = http.Post(s.url, "application/json", strings.NewReader(string(rpc)))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"code":0`) {
		t.Fatalf("JSON-RPC broadcast_tx_sync: %s", body)
	}
	wait(raw)

	// No local key for the sender (a home without alice's key): unsigned,
	// with the bytes to sign.
	alice := ed25519.NewKeyFromSeed(node.DevSeed("alice"))
	aliceAddr := crypto.AddressFromPubKey(alice.Public().(ed25519.PublicKey)).String()
	out, code, err := run(t, t.TempDir(), s.url, "tx", "bank", "send", aliceAddr, bob.String(), "3dpin", "--generate-only", "-o", "json")
	if code != 0 {
		t.Fatalf("unsigned --generate-only: %v", err)
	}
	if err := json.Unmarshal([]byte(out), &gen); err != nil || gen.Signed || gen.SignBytes == "" {
		t.Fatalf("unsigned --generate-only: %s", out)
	}
	raw, _ = hex.DecodeString(strings.TrimPrefix(gen.Tx, "0x"))
	var unsigned txv1.Tx
	if err := proto.Unmarshal(raw, &unsigned); err != nil || len(unsigned.Signature) != 0 {
		t.Fatalf("unsigned tx: %v", err)
	}
	signBytes, _ := hex.DecodeString(gen.SignBytes)
	unsigned.Signature = ed25519.Sign(alice, signBytes)
	raw, _ = proto.MarshalOptions{Deterministic: true}.Marshal(&unsigned)
	if _, err := s.c.Broadcast(ctx, raw); err != nil {
		t.Fatalf("the unsigned tx, signed elsewhere: %v", err)
	}
	wait(raw)

	after, _, _ := s.c.Balance(ctx, bob, "udpin", client.QueryOptions{})
	if after-before != 6_000_000 {
		t.Errorf("bob received %d udpin, want 6 DPIN", after-before)
	}
}
