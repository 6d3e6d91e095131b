package node

import (
	"context"
	"testing"
	"time"

	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/x/bank"
)

// TestMultiValidatorNetwork runs four validators in-process on loopback:
// they make blocks and agree on the app hash at every height; with one
// stopped the other three (75% of the power) keep going; the stopped one
// catches up after a restart and computes the same hashes.
func TestMultiValidatorNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-node network in -short mode")
	}
	nodes, err := WriteTestnet(TestnetOptions{Output: t.TempDir(), Validators: 4, TimeoutCommit: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	log := newHashLog(t)
	running := make([]*Node, len(nodes))
	start := func(k int) {
		t.Helper()
		n, err := New(ctx, Config{Home: nodes[k].Home, Logger: testLogger(t).With("node", k)})
		if err != nil {
			t.Fatalf("node %d: %v", k, err)
		}
		n.App.AfterCommit = log.hook(k)
		if err := n.Start(); err != nil {
			t.Fatalf("node %d: %v", k, err)
		}
		running[k] = n
	}
	for k := range nodes {
		start(k)
	}
	t.Cleanup(func() {
		for _, n := range running {
			if n != nil {
				n.Close()
			}
		}
	})
	allAt := func(h int64, which ...int) func() bool {
		return func() bool {
			for _, k := range which {
				if log.height(k) < h {
					return false
				}
			}
			return true
		}
	}
	waitFor(t, "4 nodes at height 3", 60*time.Second, allAt(3, 0, 1, 2, 3))

	alice, bob := devKey(t, nodes[0].Home, "alice"), devAddr("bob")
	c0, _ := client.New(running[0].RPCURL())
	send(t, c0, alice, bob, 1_000)

	// Stop one validator; the other three still have > 2/3 of the power.
	if err := running[3].Close(); err != nil {
		t.Fatal(err)
	}
	running[3] = nil
	stoppedAt := log.height(3)
	waitFor(t, "3 nodes to make 5 more blocks", 60*time.Second, allAt(stoppedAt+5, 0, 1, 2))
	c1, _ := client.New(running[1].RPCURL())
	res := send(t, c1, alice, bob, 2_000)
	if res.Height <= stoppedAt {
		t.Fatalf("tx committed at %d, before the stop at %d", res.Height, stoppedAt)
	}

	// Restart it: it must catch up and agree.
	start(3)
	target := log.height(0) + 2
	waitFor(t, "restarted node to catch up", 90*time.Second, allAt(target, 3))
	compared := log.checkAgreement()
	if compared < 4*int(target)-10 {
		t.Fatalf("only %d hashes compared", compared)
	}
	// The restarted node sees the transfer made while it was down.
	c3, _ := client.New(running[3].RPCURL())
	amt, _, err := c3.Balance(ctx, bob, bank.NativeDenom, client.QueryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if amt != DevBalance+3_000 {
		t.Fatalf("bob has %d on the restarted node, want %d", amt, DevBalance+3_000)
	}
	// And a proof from it verifies against a header signed by the validators.
	if _, r, err := c3.Balance(ctx, bob, bank.NativeDenom, client.QueryOptions{Prove: true}); err != nil || !r.Proven {
		t.Fatalf("proof: %v", err)
	}
}
