package client_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"

	"github.com/depinhq/depin/api/bank"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/node"
	"github.com/depinhq/depin/node/nodetest"
	"github.com/depinhq/depin/proof"
)

var update = flag.Bool("update", false, "rewrite testdata/rpc with a live node's answers")

func devKey(name string) (ed25519.PrivateKey, crypto.Address) {
	k := ed25519.NewKeyFromSeed(node.DevSeed(name))
	return k, crypto.AddressFromPubKey(k.Public().(ed25519.PublicKey))
}

// rpcAnswer is one JSON-RPC call made to a node and its answer's body.
type rpcAnswer struct {
	name   string // testdata/rpc/<name>.json
	id     int64
	body   []byte
	ours   any // what package client decodes the result into
	theirs any // what CometBFT's RPC client decodes it into
}

// rawCall posts a JSON-RPC request as package client does and returns the
// answer's body as it came.
func rawCall(t *testing.T, url string, id int64, method string, params map[string]any) []byte {
	t.Helper()
	req, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
	resp, err := http.Post(url, "application/json", bytes.NewReader(req))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestRPCAgainstNode runs a devnet and checks package client's JSON-RPC
// against it: every answer the client decodes is decoded by CometBFT's own
// RPC types too, and each field the client has must equal CometBFT's (the
// wire format: 64-bit integers as strings, hex or base64 bytes, times,
// events, proofs). Then the client's own calls — proven queries, blocks,
// results, genesis, tx lookups, broadcast errors — run against the node.
// With -update, the answers are written to testdata/rpc, where the unit
// tests and fuzz seeds of the decoder read them.
func TestRPCAgainstNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet")
	}
	n := nodetest.Devnet(t, node.DevnetOptions{})
	url := n.RPCURL()
	c, err := client.New(url)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	alice, aliceAddr := devKey("alice")
	_, bobAddr := devKey("bob")

	// A committed transfer, so that a block, its results and the tx index
	// have something to show.
	sent, err := c.SendTx(ctx, alice, []*txv1.Msg{client.MsgSend(aliceAddr, bobAddr, bank.Coin(bank.NativeDenom, 5))}, client.TxOptions{Memo: "rpc test"})
	if err != nil {
		t.Fatal(err)
	}
	h := sent.Height
	hash, _ := hex.DecodeString(sent.Hash)
	// The state after block h is proven by header h+1: wait for its commit.
	waitHeight(t, ctx, c, h+2)
	key := bank.BalanceKey(aliceAddr, bank.NativeDenom)
	// A tx CheckTx accepts, and one it refuses (a replayed sequence).
	next, err := c.BuildTx(ctx, alice, []*txv1.Msg{client.MsgSend(aliceAddr, bobAddr, bank.Coin(bank.NativeDenom, 6))}, client.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	seq := uint64(0)
	replay, err := c.BuildTx(ctx, alice, []*txv1.Msg{client.MsgSend(aliceAddr, bobAddr, bank.Coin(bank.NativeDenom, 7))}, client.TxOptions{Sequence: &seq})
	if err != nil {
		t.Fatal(err)
	}

	answers := []rpcAnswer{
		{name: "status", ours: &client.Status{}, theirs: &ctypes.ResultStatus{}},
		{name: "block", ours: &client.BlockWithID{}, theirs: &ctypes.ResultBlock{}},
		{name: "block_results", ours: &client.BlockResults{}, theirs: &ctypes.ResultBlockResults{}},
		{name: "genesis", ours: &struct {
			Genesis *client.Genesis `json:"genesis"`
		}{}, theirs: &ctypes.ResultGenesis{}},
		{name: "abci_query", ours: &client.ABCIQueryResult{}, theirs: &ctypes.ResultABCIQuery{}},
		{name: "tx", ours: &client.TxResultRPC{}, theirs: &ctypes.ResultTx{}},
		{name: "commit", ours: &client.CommitResult{}, theirs: &ctypes.ResultCommit{}},
		{name: "validators", ours: &client.ValidatorsResult{}, theirs: &ctypes.ResultValidators{}},
		{name: "broadcast_tx_sync", ours: &client.BroadcastResult{}, theirs: &ctypes.ResultBroadcastTx{}},
		{name: "broadcast_tx_sync_refused"},
		{name: "block_results_missing"},
	}
	params := map[string]map[string]any{
		"block":                     {"height": fmt.Sprint(h)},
		"block_results":             {"height": fmt.Sprint(h)},
		"abci_query":                {"path": proof.QueryKey, "data": client.HexBytes(key), "height": fmt.Sprint(h), "prove": true},
		"tx":                        {"hash": hash, "prove": false},
		"commit":                    {"height": fmt.Sprint(h + 1)},
		"validators":                {"height": fmt.Sprint(h + 1), "page": "1", "per_page": "100"},
		"broadcast_tx_sync":         {"tx": next},
		"broadcast_tx_sync_refused": {"tx": replay},
		"block_results_missing":     {"height": "1000000"},
	}
	for i := range answers {
		a := &answers[i]
		method := strings.TrimSuffix(strings.TrimSuffix(a.name, "_refused"), "_missing")
		a.id = int64(100 + i)
		a.body = rawCall(t, url, a.id, method, params[a.name])
		if a.ours == nil {
			var rpcErr *client.RPCError
			if err := client.DecodeRPCResponse(a.body, a.id, &struct{}{}); !errors.As(err, &rpcErr) {
				t.Fatalf("%s: %v, want an RPC error; answer %s", a.name, err, a.body)
			}
			continue
		}
		if err := client.DecodeRPCResponse(a.body, a.id, a.ours); err != nil {
			t.Fatalf("%s: %v", a.name, err)
		}
		var env struct {
			Result json.RawMessage `json:"result"`
		}
		if err := json.Unmarshal(a.body, &env); err != nil {
			t.Fatal(err)
		}
		if err := cmtjson.Unmarshal(env.Result, a.theirs); err != nil {
			t.Fatalf("%s: CometBFT's types: %v", a.name, err)
		}
		ours, err := json.Marshal(a.ours)
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := cmtjson.Marshal(a.theirs)
		if err != nil {
			t.Fatal(err)
		}
		if err := sameFields(a.name, tree(t, ours), tree(t, theirs)); err != nil {
			t.Errorf("%v\nours:   %s\ntheirs: %s", err, ours, theirs)
		}
	}
	if *update {
		for _, a := range answers {
			var out bytes.Buffer
			if err := json.Indent(&out, a.body, "", "  "); err != nil {
				t.Fatal(err)
			}
			out.WriteByte('\n')
			if err := os.WriteFile(filepath.Join("testdata", "rpc", a.name+".json"), out.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}

	t.Run("client", func(t *testing.T) {
		bal, r, err := c.Balance(ctx, aliceAddr, bank.NativeDenom, client.QueryOptions{Height: h, Prove: true})
		if err != nil || !r.Proven || bal == 0 {
			t.Fatalf("proven balance %d %+v: %v", bal, r, err)
		}
		if _, r, err := c.Balance(ctx, bobAddr, "unotadenom", client.QueryOptions{Prove: true}); err != nil || !r.Proven || r.Value != nil {
			t.Fatalf("proven absence %+v: %v", r, err)
		}
		b, err := c.Block(ctx, h)
		if err != nil || len(b.Block.Txs) != 1 || !bytes.Equal(b.Block.Txs[0].Hash(), hash) || !bytes.Equal(b.Block.Hash(), b.BlockID.Hash) {
			t.Fatalf("block %d: %+v, %v", h, b, err)
		}
		if latest, err := c.Block(ctx, 0); err != nil || latest.Block.Height < h+2 {
			t.Fatalf("latest block: %v", err)
		}
		br, err := c.BlockResults(ctx, h)
		if err != nil || len(br.TxResults) != 1 || br.TxResults[0].Code != 0 || len(br.TxResults[0].Events) == 0 {
			t.Fatalf("results of %d: %+v, %v", h, br, err)
		}
		if _, err := c.BlockResults(ctx, 1_000_000); err == nil || !strings.Contains(err.Error(), "must be less than or equal to the current blockchain height") {
			t.Fatalf("results of a future block: %v", err)
		}
		g, err := c.Genesis(ctx)
		if err != nil || g.ChainID == "" || !json.Valid(g.AppState) || g.InitialHeight != 1 {
			t.Fatalf("genesis %+v: %v", g, err)
		}
		st, err := c.Status(ctx)
		if err != nil || st.NodeInfo.Network != g.ChainID || st.NodeInfo.ID() == "" || st.SyncInfo.LatestBlockHeight < h || st.ValidatorInfo.VotingPower == 0 {
			t.Fatalf("status %+v: %v", st, err)
		}
		// The RPC path of WaitTx, with the events of the transfer.
		res, err := c.WaitTx(ctx, hash, 5*time.Second)
		if err != nil || res.Height != h || res.Hash != strings.ToUpper(hex.EncodeToString(hash)) || len(res.Events) == 0 {
			t.Fatalf("WaitTx: %+v, %v", res, err)
		}
		// Broadcast above (raw): the node has it in its cache.
		if _, err := c.Broadcast(ctx, next); !errors.Is(err, client.ErrTxInCache) {
			t.Fatalf("broadcast of a tx the node has: %v", err)
		}
		// CheckTx refusals arrive as RPC errors and become the chain's kinds.
		if _, err := c.Broadcast(ctx, replay); !errors.Is(err, errs.ErrWrongSequence) {
			t.Fatalf("replayed tx: %v", err)
		}
		// An in-process app answers CheckTx before broadcast_tx_async returns.
		if err := c.BroadcastAsync(ctx, replay); err != nil && !errors.Is(err, errs.ErrWrongSequence) {
			t.Fatalf("async replay: %v", err)
		}
	})

	t.Run("unreachable", func(t *testing.T) {
		dead, err := client.New("http://127.0.0.1:1")
		if err != nil {
			t.Fatal(err)
		}
		_, err = dead.Status(ctx)
		if !errors.Is(err, client.ErrNodeUnreachable) || !strings.Contains(err.Error(), "is a node running?") {
			t.Fatalf("status of no node: %v", err)
		}
		if _, err := dead.Broadcast(ctx, next); !errors.Is(err, client.ErrNodeUnreachable) {
			t.Fatalf("broadcast to no node: %v", err)
		}
	})
}

func waitHeight(t *testing.T, ctx context.Context, c *client.Client, h int64) {
	t.Helper()
	for {
		st, err := c.Status(ctx)
		if err == nil && st.SyncInfo.LatestBlockHeight >= h {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("height %d not reached: %v", h, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// tree decodes JSON into maps, slices and json.Numbers.
func tree(t *testing.T, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// omittedWhenEmpty are the fields CometBFT's JSON leaves out when they are
// empty (omitempty).
var omittedWhenEmpty = map[string]bool{"app": true}

// sameFields reports the first field of ours that differs from theirs: a
// field ours has must be in theirs with the same value and JSON type.
func sameFields(path string, ours, theirs any) error {
	switch o := ours.(type) {
	case map[string]any:
		th, ok := theirs.(map[string]any)
		if !ok {
			if theirs == nil && len(o) == 0 {
				return nil
			}
			return fmt.Errorf("%s: an object, CometBFT's %v", path, theirs)
		}
		for k, v := range o {
			tv, ok := th[k]
			if !ok {
				// Only a field CometBFT leaves out when empty may be
				// missing: any other is a name CometBFT does not write.
				if !zero(v) || !omittedWhenEmpty[k] {
					return fmt.Errorf("%s.%s = %v, absent in CometBFT's", path, k, v)
				}
				continue
			}
			if err := sameFields(path+"."+k, v, tv); err != nil {
				return err
			}
		}
		return nil
	case []any:
		th, ok := theirs.([]any)
		if !ok {
			if theirs == nil && len(o) == 0 {
				return nil
			}
			return fmt.Errorf("%s: a list, CometBFT's %v", path, theirs)
		}
		if len(o) != len(th) {
			return fmt.Errorf("%s: %d items, CometBFT's %d", path, len(o), len(th))
		}
		for i := range o {
			if err := sameFields(fmt.Sprintf("%s[%d]", path, i), o[i], th[i]); err != nil {
				return err
			}
		}
		return nil
	}
	if fmt.Sprintf("%T %v", ours, ours) != fmt.Sprintf("%T %v", theirs, theirs) && !(zero(ours) && zero(theirs)) {
		return fmt.Errorf("%s = %v, CometBFT's %v", path, ours, theirs)
	}
	return nil
}

func zero(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case bool:
		return !v
	case string:
		return v == "" || v == "0" || v == "0001-01-01T00:00:00Z"
	case json.Number:
		return v == "0"
	case []any:
		return len(v) == 0
	case map[string]any:
		for _, x := range v {
			if !zero(x) {
				return false
			}
		}
		return true
	}
	return false
}
