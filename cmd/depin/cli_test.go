package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cometbft/cometbft/p2p"

	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/gateway"
	"github.com/depinhq/depin/keystore"
	"github.com/depinhq/depin/node"
	"github.com/depinhq/depin/node/nodetest"
)

// devnet starts an in-process devnet and returns its home and node.
func devnet(t *testing.T) (string, *node.Node) {
	n := nodetest.Devnet(t, node.DevnetOptions{})
	return n.Home(), n
}

// run executes the CLI and returns stdout and the exit code it maps to.
func run(t *testing.T, home, nodeURL string, args ...string) (string, int, error) {
	t.Helper()
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(io.Discard)
	cmd.SetArgs(append([]string{"--home", home, "--node", nodeURL}, args...))
	err := cmd.ExecuteContext(context.Background())
	return out.String(), exitCode(err), err
}

func TestCLIEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet")
	}
	home, n := devnet(t)
	url := n.RPCURL()
	t.Setenv("DEPIN_PASSPHRASE", "correct horse battery")

	// A new encrypted key.
	out, code, err := run(t, home, url, "keys", "add", "carl", "-o", "json")
	if code != 0 {
		t.Fatalf("keys add: %v", err)
	}
	var key struct{ Address string }
	if err := json.Unmarshal([]byte(out), &key); err != nil || !strings.HasPrefix(key.Address, "depin1") {
		t.Fatalf("keys add output %q: %v", out, err)
	}
	raw, _ := os.ReadFile(filepath.Join(home, "keys", "carl.json"))
	if !strings.Contains(string(raw), `"encrypted": true`) {
		t.Fatalf("key not encrypted at rest: %s", raw)
	}

	// alice → carl, then carl → bob signed with the encrypted key.
	if _, code, err := run(t, home, url, "tx", "bank", "send", "alice", key.Address, "2dpin"); code != 0 {
		t.Fatalf("send: %v", err)
	}
	// (through the REST API: raw tx bytes in, result without the bytes out)
	out, code, err = run(t, home, url, "tx", "bank", "send", "carl", "bob", "0.5dpin", "-o", "json", "--api", n.APIURL())
	if code != 0 {
		t.Fatalf("send from encrypted key over --api: %v", err)
	}
	var txr struct {
		Hash   string
		Status string
		Height int64 `json:",string"`
		Code   uint32
	}
	if err := json.Unmarshal([]byte(out), &txr); err != nil || txr.Height == 0 || txr.Code != 0 || txr.Status != "committed" {
		t.Fatalf("tx output %q: %v", out, err)
	}

	// Balances, with a proof.
	out, code, err = run(t, home, url, "query", "bank", "balance", "carl", "udpin", "--prove", "-o", "json")
	if code != 0 {
		t.Fatalf("balance: %v", err)
	}
	var bal struct {
		Amount string
		Proven bool
	}
	json.Unmarshal([]byte(out), &bal)
	if !bal.Proven {
		t.Fatalf("not proven: %s", out)
	}
	// carl got 2 DPIN, sent 0.5 and paid one fee (base 1000 + 1 per byte).
	var amount uint64
	fmt.Sscan(bal.Amount, &amount)
	if amount >= 1_500_000-1000 || amount < 1_500_000-2000 {
		t.Fatalf("carl's balance %s", bal.Amount)
	}

	// Rejections map to exit codes and change nothing, over RPC or the API.
	for _, extra := range [][]string{nil, {"--api", n.APIURL()}} {
		_, code, err = run(t, home, url, append([]string{"tx", "bank", "send", "carl", "bob", "100dpin"}, extra...)...)
		if code != exitRejected {
			t.Fatalf("overspend %v: exit %d (%v)", extra, code, err)
		}
		var ce *client.CodeError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), "insufficient funds") {
			t.Fatalf("overspend error %v: %v", extra, err)
		}
	}
	if _, code, _ := run(t, home, url, "status", "--api", "ftp://x"); code != exitUsage {
		t.Fatalf("--api ftp://x: exit %d", code)
	}
	if _, code, _ := run(t, home, url, "tx", "bank", "send", "alice", "bob", "-1dpin"); code != exitUsage {
		t.Fatalf("negative amount: exit %d", code)
	}
	if _, code, _ := run(t, home, url, "query", "bank", "balance", "depin1notanaddress"); code != exitUsage {
		t.Fatalf("bad address: exit %d", code)
	}
	t.Setenv("DEPIN_PASSPHRASE", "wrong")
	if _, code, _ := run(t, home, url, "tx", "bank", "send", "carl", "bob", "1udpin"); code != exitBadSecret {
		t.Fatalf("wrong passphrase: exit %d", code)
	}
	if _, code, _ := run(t, home, "http://127.0.0.1:1", "status"); code != exitNoNode {
		t.Fatalf("no node: exit %d", code)
	}

	// Block and status commands speak JSON.
	out, code, _ = run(t, home, url, "query", "block", fmt.Sprint(txr.Height), "-o", "json")
	if code != 0 || !strings.Contains(out, txr.Hash) {
		t.Fatalf("block %d does not list tx %s: %s", txr.Height, txr.Hash, out)
	}
	out, code, _ = run(t, home, url, "status", "-o", "json")
	if code != 0 || !strings.Contains(out, `"chain_id": "depin-devnet"`) {
		t.Fatalf("status: %s", out)
	}

	// The REST API agrees.
	resp, err := http.Get(n.APIURL() + "/v1/accounts/" + key.Address)
	if err != nil {
		t.Fatal(err)
	}
	var acc struct {
		Sequence string
		Balances []struct{ Denom, Amount string }
	}
	json.NewDecoder(resp.Body).Decode(&acc)
	resp.Body.Close()
	if acc.Sequence != "1" || len(acc.Balances) != 1 || acc.Balances[0].Amount != bal.Amount {
		t.Fatalf("REST account: %+v (CLI said %s)", acc, bal.Amount)
	}
	for path, status := range map[string]int{
		"/v1/accounts/nonsense":                            400,
		"/v1/accounts/" + key.Address + "?height=-1":       400,
		"/v1/accounts/" + key.Address + "?height=99999999": 404,
		"/v1/supply/udpin":                                 200,
		"/v1/nothing":                                      404,
	} {
		resp, err := http.Get(n.APIURL() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != status {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, status)
		}
	}
}

// TestInitThenStart: 'depin init' writes a home a node starts from, with
// the --fund balances in genesis; a second init refuses to overwrite it;
// 'depin testnet' writes N homes with peers wired.
func TestInitThenStart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	home := t.TempDir()
	rich := "depin1p9v0xhfsxhl5zhg8gu5n6k9yq8zf6kq5nvuj2s" // devnet alice
	if _, code, err := run(t, home, "", "init", "--chain-id", "mynet", "--fund", rich+"=5dpin"); code != 0 {
		t.Fatalf("init: %v", err)
	}
	if _, code, _ := run(t, home, "", "init", "--chain-id", "mynet"); code == 0 {
		t.Fatal("second init overwrote the home")
	}
	if _, code, _ := run(t, t.TempDir(), "", "init"); code != exitUsage {
		t.Fatal("init without --chain-id accepted")
	}
	// Free ports so the test does not collide with a running devnet.
	ports, _ := node.FreePorts(3)
	cfgPath := filepath.Join(home, "config", "config.toml")
	b, _ := os.ReadFile(cfgPath)
	s := strings.Replace(string(b), "tcp://127.0.0.1:26657", fmt.Sprintf("tcp://127.0.0.1:%d", ports[0]), 1)
	s = strings.Replace(s, "tcp://127.0.0.1:26656", fmt.Sprintf("tcp://127.0.0.1:%d", ports[1]), 1)
	os.WriteFile(cfgPath, []byte(s), 0o600)
	os.WriteFile(filepath.Join(home, "config", "app.toml"), []byte(fmt.Sprintf("api_address = \"127.0.0.1:%d\"\n", ports[2])), 0o600)

	n, err := node.New(context.Background(), node.Config{Home: home})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if n.ChainID() != "mynet" {
		t.Fatalf("chain id %s", n.ChainID())
	}
	c, _ := client.New(n.RPCURL())
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, code, _ := run(t, home, n.RPCURL(), "query", "bank", "balance", rich, "-o", "json")
		if code == 0 && strings.Contains(out, `"amount": "5000000"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("funded balance not visible: %s", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = c

	// testnet's --output is the directory (so it prints text only).
	tn := filepath.Join(t.TempDir(), "tn")
	if _, code, err := run(t, home, "", "testnet", "--validators", "3", "--output", tn, "--base-port", "36000"); code != 0 {
		t.Fatalf("testnet: %v", err)
	}
	var nodes []struct{ Home, NodeID string }
	for k := 0; k < 3; k++ {
		h := filepath.Join(tn, fmt.Sprintf("node%d", k))
		nk, err := p2p.LoadNodeKey(filepath.Join(h, "config", "node_key.json"))
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, struct{ Home, NodeID string }{h, string(nk.ID())})
	}
	cfg, _ := os.ReadFile(filepath.Join(nodes[0].Home, "config", "config.toml"))
	if !strings.Contains(string(cfg), nodes[1].NodeID+"@127.0.0.1:36010") || !strings.Contains(string(cfg), nodes[2].NodeID+"@127.0.0.1:36020") {
		t.Fatalf("peers not wired in node0's config")
	}
}

// TestNetworkDeviceCommands: launch a network from a kind template, approve
// a maker, certify offline, register by lat/lon, and find the device by
// id, owner and hex.
func TestNetworkDeviceCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet")
	}
	home, n := devnet(t)
	url := n.RPCURL()
	must := func(args ...string) string {
		t.Helper()
		out, code, err := run(t, home, url, args...)
		if code != 0 {
			t.Fatalf("depin %s: exit %d: %v", strings.Join(args, " "), code, err)
		}
		return out
	}
	must("tx", "network", "create", "solar", "--kind", "solar", "--epoch", "1m", "--from", "alice")
	out := must("query", "network", "solar", "-o", "json")
	if !strings.Contains(out, `"reward_denom": "usolar"`) || !strings.Contains(out, `"name": "energy"`) {
		t.Fatalf("network: %s", out)
	}
	if _, code, _ := run(t, home, url, "tx", "network", "create", "solar", "--kind", "solar", "--from", "alice"); code != exitRejected {
		t.Fatalf("duplicate network: exit %d", code)
	}
	must("keys", "add", "acme", "--unencrypted")
	must("tx", "network", "approve-maker", "solar", "acme", "--name", "ACME", "--from", "alice")

	dir := t.TempDir()
	keyFile, cert := filepath.Join(dir, "device.key"), filepath.Join(dir, "cert.json")
	var kg struct {
		PublicKey string `json:"public_key"`
	}
	if err := json.Unmarshal([]byte(must("device", "keygen", "--out", keyFile, "-o", "json")), &kg); err != nil {
		t.Fatal(err)
	}
	pub, _ := hex.DecodeString(kg.PublicKey)
	must("maker", "certify", "acme", "--network", "solar", "--device-key", kg.PublicKey,
		"--model", "SunBox", "--serial", "SN1", "--capacity", "5000", "--chain-id", "depin-devnet", "--out", cert)
	// Without the device key's proof of possession the CLI says what it needs.
	if _, code, err := run(t, home, url, "tx", "device", "register", "--cert", cert, "--lat", "52.52", "--lon", "13.405", "--from", "alice"); code != exitUsage || !strings.Contains(fmt.Sprint(err), "proof of possession") {
		t.Fatalf("registration without a proof: exit %d: %v", code, err)
	}
	// The proof is made where the key is (on the device), then used by the owner.
	proof := strings.TrimSpace(must("device", "prove", "--key", keyFile, "--owner", "alice"))
	must("tx", "device", "register", "--cert", cert, "--proof", proof, "--lat", "52.52", "--lon", "13.405", "--from", "alice")
	id := crypto.DeviceString(crypto.AddressFromPubKey(pub))
	out = must("query", "device", id, "-o", "json")
	if !strings.Contains(out, `"status": "active"`) || !strings.Contains(out, `"capacity": "5000"`) {
		t.Fatalf("device: %s", out)
	}
	for _, args := range [][]string{
		{"query", "devices", "--owner", "alice", "-o", "json"},
		{"query", "devices", "--network", "solar", "-o", "json"},
		{"query", "devices", "--network", "solar", "--lat", "52.5", "--lon", "13.4", "--res", "5", "-o", "json"},
	} {
		if out := must(args...); !strings.Contains(out, id) {
			t.Errorf("%v does not list the device: %s", args, out)
		}
	}
	if out := must("query", "devices", "--network", "solar", "--lat", "48.85", "--lon", "2.35", "--res", "5", "-o", "json"); strings.Contains(out, id) {
		t.Errorf("Paris hex lists a Berlin device")
	}
	// The same certificate cannot register twice; a forged one never.
	if _, code, _ := run(t, home, url, "tx", "device", "register", "--cert", cert, "--key", keyFile, "--lat", "52.52", "--lon", "13.405", "--from", "alice"); code != exitRejected {
		t.Fatalf("second registration: exit %d", code)
	}
	must("query", "work", id, "-o", "json")
	must("query", "evidence", id)
	// Share, market and agreement reads go through typed client calls.
	if _, code, _ := run(t, home, url, "query", "shares", id); code == 0 {
		t.Error("query shares of an untokenized device succeeded")
	}
	must("tx", "share", "tokenize", id, "1000", "--from", "alice")
	if out := must("query", "shares", id, "--holder", "alice", "-o", "json"); !strings.Contains(out, `"total_shares": "1000"`) || !strings.Contains(out, `"shares": "1000"`) {
		t.Errorf("shares: %s", out)
	}
	for _, args := range [][]string{
		{"query", "market", "orders", "alice", "-o", "json"},
		{"query", "market", "book", "solar", "1", "-o", "json"},
		{"query", "agreements", "--consumer", "alice", "-o", "json"},
		{"query", "agreements", "--device", id, "-o", "json"},
	} {
		if out := strings.TrimSpace(must(args...)); out != "[]" {
			t.Errorf("%v: %s, want []", args, out)
		}
	}

	// The device reports through a gateway and learns the chain's verdict
	// on each report (the gateway's results topic): the summary counts them.
	c, err := client.New(url)
	if err != nil {
		t.Fatal(err)
	}
	eve, err := keystore.Open(node.KeysDir(home)).Load("eve", nil)
	if err != nil {
		t.Fatal(err)
	}
	gcfg := gateway.TestConfig()
	gcfg.SubmitterKey, gcfg.MaxBatchWait, gcfg.ConfirmTimeout = eve.Private, 100*time.Millisecond, 5*time.Second
	g, err := gateway.New(gcfg, c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	gctx, stopGateway := context.WithCancel(context.Background())
	gdone := make(chan error, 1)
	go func() { gdone <- g.Run(gctx) }()
	defer func() { stopGateway(); <-gdone; g.Close() }()
	out = must("device", "run", "--key", keyFile, "--sim", "solar", "--interval", "1s", "--duration", "4s", "--mqtt", "tcp://"+g.MQTTAddr(), "-o", "json")
	var ran struct {
		Delivered       string `json:"delivered"`
		AcceptedOnChain string `json:"accepted_on_chain"`
	}
	t.Logf("device run: %s", out)
	if err := json.Unmarshal([]byte(out), &ran); err != nil || ran.AcceptedOnChain == "0" || ran.AcceptedOnChain != ran.Delivered {
		t.Fatalf("device run: %s (%v)", out, err)
	}
}
