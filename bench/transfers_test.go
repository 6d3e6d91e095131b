package bench

import (
	"context"
	"testing"
	"time"

	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/keystore"
	"github.com/depinhq/depin/node"
	"github.com/depinhq/depin/node/nodetest"
)

// TestTransfersOnDevnet runs the end-to-end benchmark at a small size and
// checks its accounting against the chain.
func TestTransfersOnDevnet(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet")
	}
	n := nodetest.Devnet(t, node.DevnetOptions{TimeoutCommit: 200 * time.Millisecond})
	home := n.Home()
	ctx := context.Background()
	alice, err := keystore.Open(node.KeysDir(home)).Load("alice", nil)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := client.New(n.RPCURL())
	cfg := DefaultTransfersConfig()
	cfg.Txs, cfg.Accounts, cfg.Workers, cfg.Funder, cfg.Timeout = 400, 40, 4, alice.Private, 2*time.Minute
	res, err := Transfers(ctx, c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Committed != 400 || res.Failed != 0 || res.Blocks == 0 || res.TxsPerSecond <= 0 {
		t.Fatalf("result %+v", res)
	}
	if res.LastHeight < res.FirstHeight || res.MaxBlockTxs > 400 {
		t.Fatalf("heights %+v", res)
	}
}
