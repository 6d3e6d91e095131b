// Package nodetest starts real depin nodes for tests in other packages: a
// devnet on free loopback ports in a temporary home, stopped when the test
// ends.
package nodetest

import (
	"context"
	"testing"
	"time"

	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/node"
)

// Devnet starts a single-validator devnet with fast blocks and waits until
// its first block is committed by the app (CometBFT reports a height as
// soon as it stores the block, before the app commits it, so it waits for
// height 2). Zero fields of opts get test defaults (a temp home, free
// ports, 100 ms between blocks). The node checks every module's books
// after every block (app.toml check_invariants); the test fails at its
// end if any block broke one.
func Devnet(t testing.TB, opts node.DevnetOptions) *node.Node {
	t.Helper()
	if opts.Home == "" {
		opts.Home = t.TempDir()
	}
	if opts.Ports == (node.Ports{}) {
		p, err := node.FreeLoopbackPorts()
		if err != nil {
			t.Fatal(err)
		}
		opts.Ports = p
	}
	if opts.TimeoutCommit == 0 {
		opts.TimeoutCommit = 100 * time.Millisecond
	}
	created, err := node.SetupDevnet(opts)
	if err != nil {
		t.Fatal(err)
	}
	if created {
		ac, err := node.LoadAppConfig(opts.Home)
		if err != nil {
			t.Fatal(err)
		}
		ac.CheckInvariants = true
		if err := node.WriteAppConfig(opts.Home, ac); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	n, err := node.New(ctx, node.Config{Home: opts.Home})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		n.Close()
		vs, err := node.ReadInvariantViolations(opts.Home)
		if err != nil {
			t.Errorf("reading the node's invariant violations: %v", err)
		}
		for _, v := range vs {
			t.Errorf("invariant violated at height %d: %s", v.Height, v.Error)
		}
	})
	c, err := client.New(n.RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if st, err := c.Status(ctx); err == nil && st.SyncInfo.LatestBlockHeight >= 2 {
			return n
		}
		if time.Now().After(deadline) {
			t.Fatal("devnet did not produce a block in 30 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
