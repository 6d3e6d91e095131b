package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/depinhq/depin/api/event"
	"github.com/depinhq/depin/errs"
	"github.com/depinhq/depin/proof"
)

// The answers in testdata/rpc are a devnet's, as TestRPCAgainstNode
// captured them (go test ./client -run TestRPCAgainstNode -args -update):
// a transfer committed at height H, the query of the sender's balance at
// H with its proof, block H+1's signed header and validators.

var capturedFiles sync.Map // name → []byte, read once (the fuzz test reads them per input)

func captured(t testing.TB, name string) []byte {
	t.Helper()
	if b, ok := capturedFiles.Load(name); ok {
		return b.([]byte)
	}
	b, err := os.ReadFile(filepath.Join("testdata", "rpc", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	capturedFiles.Store(name, b)
	return b
}

// capturedID is the JSON-RPC id of a captured answer.
func capturedID(body []byte) int64 {
	var env struct {
		ID int64 `json:"id"`
	}
	json.Unmarshal(body, &env)
	return env.ID
}

func decodeCaptured(t testing.TB, name string, result any) {
	t.Helper()
	body := captured(t, name)
	if err := decodeRPCResponse(body, capturedID(body), result); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// provenQuery is the captured query and what proves it: the key it asked
// for, the signed header of the next block and its validators.
type provenQuery struct {
	chainID string
	key     []byte
	query   abciResponse
	signed  commitResult
	vals    validatorsResult
}

func loadProvenQuery(t testing.TB) *provenQuery {
	t.Helper()
	var p provenQuery
	var st Status
	decodeCaptured(t, "status", &st)
	p.chainID = st.NodeInfo.Network
	var q abciQueryResult
	decodeCaptured(t, "abci_query", &q)
	p.query = q.Response
	var withKey struct {
		Result struct {
			Response struct {
				Key []byte `json:"key"`
			} `json:"response"`
		} `json:"result"`
	}
	if err := json.Unmarshal(captured(t, "abci_query"), &withKey); err != nil {
		t.Fatal(err)
	}
	p.key = withKey.Result.Response.Key
	decodeCaptured(t, "commit", &p.signed)
	decodeCaptured(t, "validators", &p.vals)
	return &p
}

// verify is what QueryKey does with the node's answers.
func (p *provenQuery) verify() ([]byte, error) {
	appHash, err := verifySignedHeader(p.chainID, p.query.Height+1, &p.signed, p.vals.Validators)
	if err != nil {
		return nil, err
	}
	ops, err := proof.Decode(p.query.ProofOps)
	if err != nil {
		return nil, err
	}
	return appHash, proof.Verify(appHash, p.key, p.query.Value, ops)
}

func TestCapturedAnswersVerify(t *testing.T) {
	p := loadProvenQuery(t)
	if len(p.key) == 0 || len(p.query.Value) == 0 || p.query.ProofOps == nil || len(p.query.ProofOps.Ops) != 2 {
		t.Fatalf("query %+v of key %q", p.query, p.key)
	}
	appHash, err := p.verify()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(appHash, p.signed.SignedHeader.Header.AppHash) {
		t.Fatal("verified another app hash than the header's")
	}

	// Whatever the node changes, the proof stops verifying.
	for name, tamper := range map[string]func(p *provenQuery){
		"value":       func(p *provenQuery) { p.query.Value = append([]byte{1}, p.query.Value...) },
		"height":      func(p *provenQuery) { p.query.Height++ },
		"app hash":    func(p *provenQuery) { p.signed.SignedHeader.Header.AppHash[0] ^= 1 },
		"header time": func(p *provenQuery) { p.signed.SignedHeader.Header.Time = p.signed.SignedHeader.Header.Time.Add(1) },
		"signature":   func(p *provenQuery) { p.signed.SignedHeader.Commit.Signatures[0].Signature[3] ^= 1 },
		"signature timestamp": func(p *provenQuery) {
			p.signed.SignedHeader.Commit.Signatures[0].Timestamp = p.signed.SignedHeader.Commit.Signatures[0].Timestamp.Add(1)
		},
		"absent signer": func(p *provenQuery) { p.signed.SignedHeader.Commit.Signatures[0].BlockIDFlag = 1 },
		"voting power":  func(p *provenQuery) { p.vals.Validators[0].VotingPower++ },
		"validator key": func(p *provenQuery) { p.vals.Validators[0].PubKey.Value[0] ^= 1 },
		"no validators": func(p *provenQuery) { p.vals.Validators = nil },
		"chain":         func(p *provenQuery) { p.chainID += "x" },
		"block id":      func(p *provenQuery) { p.signed.SignedHeader.Commit.BlockID.Hash[0] ^= 1 },
		"no header":     func(p *provenQuery) { p.signed.SignedHeader.Header = nil },
		"no commit":     func(p *provenQuery) { p.signed.SignedHeader.Commit = nil },
	} {
		p := loadProvenQuery(t)
		tamper(p)
		if _, err := p.verify(); err == nil {
			t.Errorf("%s changed: still verifies", name)
		}
	}
}

func TestCapturedAnswersDecode(t *testing.T) {
	var b BlockWithID
	decodeCaptured(t, "block", &b)
	var tx txResult
	decodeCaptured(t, "tx", &tx)
	if len(b.Block.Txs) != 1 || !bytes.Equal(b.Block.Txs[0].Hash(), tx.Hash) || b.Block.Height != tx.Height {
		t.Fatalf("block %d has txs %x; tx %s at %d", b.Block.Height, b.Block.Txs, tx.Hash, tx.Height)
	}
	if !bytes.Equal(b.Block.Hash(), b.BlockID.Hash) {
		t.Fatalf("header hash %s, block id %s", b.Block.Hash(), b.BlockID.Hash)
	}
	var res BlockResults
	decodeCaptured(t, "block_results", &res)
	if res.Height != b.Block.Height || len(res.TxResults) != 1 || res.TxResults[0].Code != 0 {
		t.Fatalf("results %+v", res)
	}
	events := res.TxResults[0].Events
	if len(events) < 2 || events[0].Type != "message" || !events[0].Attributes[0].Index || len(tx.TxResult.Events) != len(events) {
		t.Fatalf("events %+v", events)
	}
	var g struct {
		Genesis *Genesis `json:"genesis"`
	}
	decodeCaptured(t, "genesis", &g)
	if g.Genesis.ChainID == "" || g.Genesis.InitialHeight != 1 || !json.Valid(g.Genesis.AppState) {
		t.Fatalf("genesis %+v", g.Genesis)
	}
	var br broadcastResult
	decodeCaptured(t, "broadcast_tx_sync", &br)
	if br.Code != 0 || len(br.Hash) != 32 {
		t.Fatalf("broadcast %+v", br)
	}

	// The node's errors: a CheckTx refusal becomes the chain's error kind
	// (and its log the message), as over CometBFT's own client.
	body := captured(t, "broadcast_tx_sync_refused")
	err := decodeRPCResponse(body, capturedID(body), &broadcastResult{})
	var rpcErr *RPCError
	if !errors.As(err, &rpcErr) || rpcErr.Code != -32603 {
		t.Fatalf("refused: %v", err)
	}
	err = broadcastError(fmt.Errorf("broadcast_tx_sync: %w", err))
	if !errors.Is(err, errs.ErrWrongSequence) || !strings.HasPrefix(err.Error(), "wrong sequence: account depin1") {
		t.Fatalf("refused: %v", err)
	}
	body = captured(t, "block_results_missing")
	err = decodeRPCResponse(body, capturedID(body), &BlockResults{})
	if want := "RPC error -32603 - Internal error: height 1000000 must be less than or equal to the current blockchain height"; !strings.HasPrefix(fmt.Sprint(err), want) {
		t.Fatalf("missing results: %v", err)
	}
}

func TestDecodeRPCResponse(t *testing.T) {
	type result struct {
		Height int64 `json:"height,string"`
	}
	for _, tc := range []struct {
		body, err string
		height    int64
	}{
		{body: `{"jsonrpc":"2.0","id":7,"result":{"height":"12"}}`, height: 12},
		{body: `{"jsonrpc":"2.0","id":7,"error":{"code":-32603,"message":"Internal error","data":"boom"}}`, err: "RPC error -32603 - Internal error: boom"},
		{body: `{"jsonrpc":"2.0","id":-1,"error":{"code":-32700,"message":"Parse error. Invalid JSON"}}`, err: "RPC error -32700 - Parse error. Invalid JSON"},
		{body: `{"jsonrpc":"2.0","id":8,"result":{"height":"12"}}`, err: "not a JSON-RPC response: id 8, want 7"},
		{body: `{"jsonrpc":"2.0","id":"7","result":{}}`, err: `not a JSON-RPC response: id "7", want 7`},
		{body: `{"jsonrpc":"2.0","id":7}`, err: "not a JSON-RPC response: no result and no error"},
		{body: `<html>502 Bad Gateway</html>`, err: `not a JSON-RPC response: invalid character '<' looking for beginning of value: "<html>502 Bad Gateway</html>"`},
		{body: ``, err: "not a JSON-RPC response: unexpected end of JSON input"},
		{body: `{"jsonrpc":"2.0","id":7,"result":{"height":12}}`, err: "decoding the result: json: invalid use of ,string struct tag, trying to unmarshal unquoted value into int64"},
		{body: `{"jsonrpc":"2.0","id":7,"result":{"height":"x"}}`, err: "decoding the result"},
	} {
		var r result
		err := decodeRPCResponse([]byte(tc.body), 7, &r)
		if tc.err == "" {
			if err != nil || r.Height != tc.height {
				t.Errorf("%s: %+v, %v", tc.body, r, err)
			}
			continue
		}
		if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
			t.Errorf("%s: error %v, want %q", tc.body, err, tc.err)
		}
	}
}

// rpcServer answers every JSON-RPC request with answer(request body).
func rpcServer(t *testing.T, answer func(w http.ResponseWriter, req map[string]any)) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req map[string]any
		d := json.NewDecoder(bytes.NewReader(body))
		d.UseNumber()
		if err := d.Decode(&req); err != nil || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if u, p, ok := r.BasicAuth(); ok {
			req["auth"] = u + ":" + p
		}
		answer(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func reply(w http.ResponseWriter, req map[string]any, result string) {
	fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":%s}`, req["id"], result)
}

func TestCallSendsCometBFTParams(t *testing.T) {
	var got map[string]any
	srv := rpcServer(t, func(w http.ResponseWriter, req map[string]any) {
		got = req
		if req["method"] == "abci_query" {
			reply(w, req, `{"response":{"code":0,"value":"AQI=","height":"5"}}`)
			return
		}
		reply(w, req, `{"code":0,"data":"","log":"","codespace":"","hash":"039058C6F2C0CB492C533B0A4D14EF77CC0F78ABCCCED5287D84A1A2011CFB81"}`)
	})
	c, err := New(strings.Replace(srv.URL, "http://", "tcp://user:secret@", 1))
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.QueryKey(context.Background(), []byte{0x0a, 0xbc}, QueryOptions{Height: 5})
	if err != nil || r.Height != 5 || !bytes.Equal(r.Value, []byte{1, 2}) {
		t.Fatalf("%+v, %v", r, err)
	}
	js, _ := json.Marshal(got)
	// What CometBFT's own client sends: the data as hex, the height as a
	// decimal string.
	want := `{"auth":"user:secret","id":1,"jsonrpc":"2.0","method":"abci_query","params":{"data":"0ABC","height":"5","path":"/store/key","prove":false}}`
	if string(js) != want {
		t.Fatalf("request\n%s\nwant\n%s", js, want)
	}
	// The tx as base64.
	if h, err := c.Broadcast(context.Background(), []byte{1, 2, 3}); err != nil || !bytes.Equal(h, TxHash([]byte{1, 2, 3})) {
		t.Fatalf("broadcast: %X, %v", h, err)
	}
	js, _ = json.Marshal(got)
	if want := `{"auth":"user:secret","id":2,"jsonrpc":"2.0","method":"broadcast_tx_sync","params":{"tx":"AQID"}}`; string(js) != want {
		t.Fatalf("request\n%s\nwant\n%s", js, want)
	}
}

func TestCallErrors(t *testing.T) {
	const big = 1 << 10
	srv := rpcServer(t, func(w http.ResponseWriter, req map[string]any) {
		switch req["method"] {
		case "status":
			http.Error(w, "<html>bad gateway</html>", http.StatusBadGateway)
		case "block":
			reply(w, req, `{"block_id":{},"block":{"data":{"txs":["`+strings.Repeat("A", big)+`"]}}}`)
		case "block_results":
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"error":{"code":-32603,"message":"Internal error","data":"could not find results for height #9"}}`, req["id"])
		case "abci_query":
			w.Write([]byte(`{"jsonrpc":"2.0","id":1,"result":`))
			panic(http.ErrAbortHandler) // the connection breaks mid-answer
		}
	})
	c, err := New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	_, err = c.Status(ctx)
	if !errors.Is(err, ErrNodeUnreachable) || !strings.Contains(err.Error(), "answered 502 Bad Gateway") {
		t.Errorf("status: %v", err)
	}

	c.rpc.maxResponse = big
	if _, err := c.Block(ctx, 3); err == nil || !strings.Contains(err.Error(), "block: the answer is larger than the client's limit of 1024 bytes") {
		t.Errorf("block: %v", err)
	}
	c.rpc.maxResponse = 2 * big
	if b, err := c.Block(ctx, 3); err != nil || len(b.Block.Txs[0]) != big*3/4 {
		t.Errorf("block: %v", err)
	}

	// A node's RPC error keeps its text (BlockResults retries this one
	// until its deadline: cancel it).
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = c.BlockResults(cctx, 9)
	var rpcErr *RPCError
	if !errors.Is(err, context.Canceled) && !errors.As(err, &rpcErr) {
		t.Errorf("block_results: %v", err)
	}
	err = c.call(ctx, "block_results", nil, &BlockResults{})
	if !errors.As(err, &rpcErr) || err.Error() != "block_results: RPC error -32603 - Internal error: could not find results for height #9" {
		t.Errorf("block_results: %v", err)
	}

	if _, err := c.QueryKey(ctx, []byte("k"), QueryOptions{}); !errors.Is(err, ErrNodeUnreachable) {
		t.Errorf("broken answer: %v", err)
	}

	for _, bad := range []string{"", "127.0.0.1:26657", "ftp://host", "http://", "unix:///tmp/sock", "http://[::1"} {
		if _, err := New(bad); err == nil {
			t.Errorf("New(%q) accepted", bad)
		}
	}
}

// FuzzDecodeRPCResponse: an RPC answer is outside input. Any body either
// decodes or fails with an error, into every result type the client reads,
// never a panic; and whatever the node answers, a proof the client accepts
// proves what the state holds: a mutated answer that still verifies
// carries the same key, value and app hash as the real one.
func FuzzDecodeRPCResponse(f *testing.F) {
	entries, err := os.ReadDir(filepath.Join("testdata", "rpc"))
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		f.Add(captured(f, strings.TrimSuffix(e.Name(), ".json")))
	}
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"result":{"signed_header":{"header":{},"commit":{"signatures":[{}]}}}}`))
	real := loadProvenQuery(f)
	realHash, err := real.verify()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		id := capturedID(body)
		for _, result := range []any{&Status{}, &BlockWithID{}, &BlockResults{}, &struct {
			Genesis *Genesis `json:"genesis"`
		}{}, &abciQueryResult{}, &broadcastResult{}, &txResult{}, &commitResult{}, &validatorsResult{}, &struct{ Events []event.Event }{}} {
			if err := decodeRPCResponse(body, id, result); err != nil {
				continue
			}
			switch r := result.(type) {
			case *BlockWithID:
				if r.Block != nil {
					r.Block.Hash()
				}
			case *commitResult:
				p := loadProvenQuery(t)
				p.signed = *r
				if appHash, err := p.verify(); err == nil && !bytes.Equal(appHash, realHash) {
					t.Fatalf("a changed header verifies with app hash %X", appHash)
				}
			case *validatorsResult:
				p := loadProvenQuery(t)
				p.vals = *r
				if appHash, err := p.verify(); err == nil && !bytes.Equal(appHash, realHash) {
					t.Fatalf("changed validators verify app hash %X", appHash)
				}
			case *abciQueryResult:
				p := loadProvenQuery(t)
				p.query = r.Response
				if _, err := p.verify(); err == nil && (!bytes.Equal(p.query.Value, real.query.Value) || p.query.Height != real.query.Height) {
					t.Fatalf("proves value %x at %d; the state holds %x at %d", p.query.Value, p.query.Height, real.query.Value, real.query.Height)
				}
			}
		}
	})
}

// TestQueryRPCErrorIsNotUnreachable: a node that answers a query with an
// RPC error is reachable: the error is its *RPCError, not
// ErrNodeUnreachable (which the CLI turns into "is a node running?").
func TestQueryRPCErrorIsNotUnreachable(t *testing.T) {
	srv := rpcServer(t, func(w http.ResponseWriter, req map[string]any) {
		fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"error":{"code":-32603,"message":"Internal error","data":"height 99 is not available"}}`, req["id"])
	})
	c, err := New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.QueryKey(context.Background(), []byte("k"), QueryOptions{Height: 99})
	var rpcErr *RPCError
	if errors.Is(err, ErrNodeUnreachable) || !errors.As(err, &rpcErr) || !strings.Contains(err.Error(), "height 99 is not available") {
		t.Fatalf("query error: %v", err)
	}
}
