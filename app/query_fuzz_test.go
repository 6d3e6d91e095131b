package app

import (
	"bytes"
	"context"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/errs"
	appv1 "github.com/depinhq/depin/gen/depin/app/v1"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/auth"
	"github.com/depinhq/depin/x/bank"
)

// newQueryFuzzApp is newTestChainApp for fuzz targets (which have no
// *testing.T to build once with): genesis, then one block with a send, so
// that heights 1 and 2 are committed.
func newQueryFuzzApp(tb testing.TB) *App {
	tb.Helper()
	alice, bob := newTestKey("alice"), newTestKey("bob")
	a, err := New(Config{ChainID: testChain}, store.NewMemTree())
	if err != nil {
		tb.Fatal(err)
	}
	js, err := MarshalGenesis(DefaultGenesis(bal(alice, bank.Coin("udpin", 1_000_000)), bal(bob, bank.Coin("udpin", 7))))
	if err != nil {
		tb.Fatal(err)
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ctx := context.Background()
	if _, err := a.InitChain(ctx, &abci.InitChainRequest{ChainId: testChain, AppStateBytes: js, InitialHeight: 1, Time: start}); err != nil {
		tb.Fatal(err)
	}
	blocks := [][][]byte{nil, {sendTx(tb, alice, bob.addr, 0, fee, testChain, bank.Coin("udpin", 250_000))}}
	for i, txs := range blocks {
		h := int64(i + 1)
		res, err := a.FinalizeBlock(ctx, &abci.FinalizeBlockRequest{Height: h, Time: start.Add(time.Duration(h) * time.Second), Txs: txs})
		if err != nil {
			tb.Fatal(err)
		}
		for _, r := range res.TxResults {
			if r.Code != 0 {
				tb.Fatalf("block %d: %s", h, r.Log)
			}
		}
		if _, err := a.Commit(ctx, &abci.CommitRequest{}); err != nil {
			tb.Fatal(err)
		}
	}
	return a
}

func prefixQuery(tb testing.TB, q *appv1.PrefixQuery) []byte {
	tb.Helper()
	b, err := proto.Marshal(q)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// FuzzQuery checks that Query, which answers anyone who can reach the RPC,
// never panics or fails with a Go error, and that what it answers is true:
// proofs verify against the app hash of the height answered for, and
// prefix listings hold only keys under the prefix, in order, within the
// limit.
func FuzzQuery(f *testing.F) {
	a := newQueryFuzzApp(f)
	alice := newTestKey("alice")
	paths := []string{QueryKey, QueryPrefix, "/store/other"}
	const key, prefix, other = 0, 1, 2

	f.Add(uint8(key), bank.BalanceKey(alice.addr, "udpin"), int64(0), true)
	f.Add(uint8(key), bank.BalanceKey(alice.addr, "udpin"), int64(1), true)
	f.Add(uint8(key), bank.BalanceKey(alice.addr, "nope"), int64(2), true)
	f.Add(uint8(key), auth.AccountKey(alice.addr), int64(2), false)
	f.Add(uint8(key), []byte{}, int64(0), true)
	f.Add(uint8(key), bytes.Repeat([]byte{0xff}, MaxQueryKeyBytes+1), int64(0), false)
	f.Add(uint8(prefix), prefixQuery(f, &appv1.PrefixQuery{Prefix: bank.BalancePrefix}), int64(0), false)
	f.Add(uint8(prefix), prefixQuery(f, &appv1.PrefixQuery{Prefix: []byte("bank/"), Limit: 1}), int64(2), false)
	f.Add(uint8(prefix), prefixQuery(f, &appv1.PrefixQuery{Prefix: bank.BalancePrefix, StartAfter: bank.BalanceKey(alice.addr, "udpin")}), int64(1), false)
	f.Add(uint8(prefix), prefixQuery(f, &appv1.PrefixQuery{Prefix: []byte{0xff, 0xff}, StartAfter: []byte{0xff, 0xff, 0xff}}), int64(0), false)
	f.Add(uint8(prefix), prefixQuery(f, &appv1.PrefixQuery{Prefix: []byte("a"), StartAfter: []byte("b")}), int64(0), false)
	f.Add(uint8(prefix), prefixQuery(f, &appv1.PrefixQuery{Limit: MaxPrefixLimit + 1}), int64(0), false)
	f.Add(uint8(prefix), []byte{0xff}, int64(0), false)
	f.Add(uint8(other), []byte("x"), int64(0), false)
	f.Add(uint8(key), []byte("x"), int64(-1), false)
	f.Add(uint8(key), []byte("x"), int64(3), true)
	f.Add(uint8(key), []byte("x"), int64(1<<62), true)

	if err := a.WaitCommitted(); err != nil {
		f.Fatal(err)
	}
	latest := a.tree.Version()
	f.Fuzz(func(t *testing.T, pathSel uint8, data []byte, height int64, prove bool) {
		req := &abci.QueryRequest{Path: paths[int(pathSel)%len(paths)], Data: data, Height: height, Prove: prove}
		res, err := a.Query(context.Background(), req)
		if err != nil || res == nil {
			t.Fatalf("Query(%s) = %v, %v: want a response with a code", req.Path, res, err)
		}
		if res.Code != 0 {
			if errs.Lookup(res.Codespace, res.Code) == nil {
				t.Fatalf("Query(%s, height %d) failed with unregistered code %s/%d: %s", req.Path, height, res.Codespace, res.Code, res.Log)
			}
			return
		}
		if res.Height < 1 || res.Height > latest || (height != 0 && res.Height != height) {
			t.Fatalf("answered for height %d, asked %d, latest %d", res.Height, height, latest)
		}
		snap, err := a.tree.Snapshot(res.Height)
		if err != nil {
			t.Fatal(err)
		}
		switch req.Path {
		case QueryKey:
			checkKeyAnswer(t, snap, req, res)
		case QueryPrefix:
			checkPrefixAnswer(t, req, res)
		default:
			t.Fatalf("unknown path %q answered", req.Path)
		}
	})
}

func checkKeyAnswer(t *testing.T, snap *store.Snapshot, req *abci.QueryRequest, res *abci.QueryResponse) {
	t.Helper()
	if !bytes.Equal(res.Key, req.Data) || !bytes.Equal(res.Value, snap.Get(req.Data)) {
		t.Fatalf("key %x: answered %x = %x, state has %x", req.Data, res.Key, res.Value, snap.Get(req.Data))
	}
	if !req.Prove {
		return
	}
	p, err := DecodeProof(res.ProofOps)
	if err != nil {
		t.Fatalf("asked for a proof, got %v: %v", res.ProofOps, err)
	}
	if err := store.VerifyProof(snap.Hash(), req.Data, res.Value, p); err != nil {
		t.Fatalf("proof for key %x (value %x) at height %d: %v", req.Data, res.Value, res.Height, err)
	}
}

func checkPrefixAnswer(t *testing.T, req *abci.QueryRequest, res *abci.QueryResponse) {
	t.Helper()
	var q appv1.PrefixQuery
	if err := proto.Unmarshal(req.Data, &q); err != nil {
		t.Fatalf("answered an undecodable prefix query: %v", err)
	}
	var r appv1.PrefixResult
	if err := proto.Unmarshal(res.Value, &r); err != nil {
		t.Fatalf("result: %v", err)
	}
	limit := int(q.Limit)
	if limit == 0 {
		limit = DefaultPrefixLimit
	}
	limit = min(limit, MaxPrefixLimit)
	if len(r.Pairs) > limit {
		t.Fatalf("%d pairs, limit %d", len(r.Pairs), limit)
	}
	if r.More && len(r.Pairs) != limit {
		t.Fatalf("more with %d pairs, limit %d", len(r.Pairs), limit)
	}
	var last []byte
	for _, kv := range r.Pairs {
		if !bytes.HasPrefix(kv.Key, q.Prefix) {
			t.Fatalf("key %q is not under prefix %q", kv.Key, q.Prefix)
		}
		if len(q.StartAfter) > 0 && bytes.Compare(kv.Key, q.StartAfter) <= 0 {
			t.Fatalf("key %q is not after %q", kv.Key, q.StartAfter)
		}
		if last != nil && bytes.Compare(kv.Key, last) <= 0 {
			t.Fatalf("keys out of order: %q after %q", kv.Key, last)
		}
		last = kv.Key
	}
}
