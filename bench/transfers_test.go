package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/keystore"
	"github.com/depinhq/depin/node"
)

// TestTransfersOnDevnet runs the end-to-end benchmark at a small size and
// checks its accounting against the chain.
func TestTransfersOnDevnet(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet")
	}
	home := t.TempDir()
	ports, err := node.FreePorts(3)
	if err != nil {
		t.Fatal(err)
	}
	p := node.Ports{P2P: fmt.Sprintf("127.0.0.1:%d", ports[0]), RPC: fmt.Sprintf("127.0.0.1:%d", ports[1]), API: fmt.Sprintf("127.0.0.1:%d", ports[2])}
	if _, err := node.SetupDevnet(node.DevnetOptions{Home: home, Ports: p, TimeoutCommit: 200 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	n, err := node.New(ctx, node.Config{Home: home})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	defer n.Close()
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
