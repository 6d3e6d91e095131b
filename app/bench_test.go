package app

import (
	"context"
	"fmt"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/bank"
)

// BenchmarkFinalizeBlockTransfers measures the state machine alone:
// FinalizeBlock + Commit of blocks full of transfers between distinct
// accounts, on the on-disk IAVL tree (fsync on commit). It reports
// committed transfers per second; compare with BenchmarkVerify in package
// crypto, the signature-checking limit.
func BenchmarkFinalizeBlockTransfers(b *testing.B) {
	for _, perBlock := range []int{1000, 5000} {
		b.Run(fmt.Sprintf("txs=%d", perBlock), func(b *testing.B) {
			benchTransfers(b, perBlock)
		})
	}
}

func benchTransfers(b *testing.B, perBlock int) {
	keys := make([]testKey, perBlock)
	balances := make([]*bankv1.Balance, perBlock)
	for i := range keys {
		keys[i] = newTestKey(fmt.Sprintf("bench-%d", i))
		balances[i] = bal(keys[i], bank.Coin("udpin", 1_000_000_000_000))
	}
	tree, err := store.OpenTree(b.TempDir(), "app", store.TreeOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer tree.Close()
	a, err := New(Config{ChainID: testChain, KeepRecent: 100}, tree)
	if err != nil {
		b.Fatal(err)
	}
	defer a.WaitCommitted() // before the tree closes
	js, _ := MarshalGenesis(DefaultGenesis(balances...))
	ctx := context.Background()
	if _, err := a.InitChain(ctx, &abci.InitChainRequest{ChainId: testChain, AppStateBytes: js, InitialHeight: 1}); err != nil {
		b.Fatal(err)
	}
	block := func(h int64) [][]byte {
		txs := make([][]byte, perBlock)
		for i := range txs {
			to := keys[(i+1)%perBlock].addr
			txs[i] = sendTx(b, keys[i], to, uint64(h-1), fee, testChain, bank.Coin("udpin", 1))
		}
		return txs
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for h := int64(1); h <= int64(b.N); h++ {
		b.StopTimer()
		txs := block(h)
		b.StartTimer()
		res, err := a.FinalizeBlock(ctx, &abci.FinalizeBlockRequest{Height: h, Time: now.Add(time.Duration(h) * time.Second), Txs: txs})
		if err != nil {
			b.Fatal(err)
		}
		if res.TxResults[0].Code != 0 {
			b.Fatalf("tx failed: %s", res.TxResults[0].Log)
		}
		if _, err := a.Commit(ctx, &abci.CommitRequest{}); err != nil {
			b.Fatal(err)
		}
		if err := a.WaitCommitted(); err != nil { // the background save counts
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*perBlock)/b.Elapsed().Seconds(), "txs/s")
}
