package node

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/x/bank"
)

// childNode is a node running in a separate process (this test binary
// re-executed), so the test can SIGKILL it.
type childNode struct {
	cmd *exec.Cmd
	log string
}

func startChild(t *testing.T, home string, run int) *childNode {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), fmt.Sprintf("node-%d.log", run))
	lf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childHomeEnv+"="+home)
	cmd.Stdout, cmd.Stderr = lf, lf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lf.Close()
	c := &childNode{cmd: cmd, log: logPath}
	t.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			c.cmd.Process.Kill()
			c.cmd.Wait()
		}
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("node log (run %d):\n%s", run, tail(string(b), 4000))
		}
	})
	return c
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func (c *childNode) kill(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	c.cmd.Wait()
}

func latestHeight(ctx context.Context, c *client.Client) int64 {
	st, err := c.Status(ctx)
	if err != nil {
		return 0
	}
	return st.SyncInfo.LatestBlockHeight
}

// TestCrashRecovery SIGKILLs a node while transactions stream in, twice,
// and checks after each restart that it resumes at (or past) the height it
// had reached with the same block app hashes, that every transaction seen
// committed is still there, and that balances add up.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test in -short mode")
	}
	home := t.TempDir()
	p, err := FreeLoopbackPorts()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := SetupDevnet(DevnetOptions{Home: home, Ports: p, TimeoutCommit: 150 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, err := client.New("http://" + p.RPC)
	if err != nil {
		t.Fatal(err)
	}
	rpc := cometRPC(t, c)
	alice := devKey(t, home, "alice")
	aliceAddr := crypto.AddressFromPubKey(alice.Public().(ed25519.PublicKey))
	bob := devAddr("bob")
	const amount = 7

	var seq uint64
	committed := map[string]int64{} // tx hash → height, as seen before a kill
	appHashes := map[int64]string{} // block height → header app hash, as seen before a kill
	for run := 0; run < 3; run++ {
		child := startChild(t, home, run)
		waitFor(t, "node RPC", 60*time.Second, func() bool { return latestHeight(ctx, c) > 0 })
		// It resumed where it was: same height or later, same hashes.
		for h, want := range appHashes {
			hh := h
			b, err := rpc.Block(ctx, &hh)
			if err != nil {
				t.Fatalf("run %d: block %d lost after restart: %v", run, h, err)
			}
			if got := b.Block.AppHash.String(); got != want {
				t.Fatalf("run %d: block %d app hash %s, before the crash %s", run, h, got, want)
			}
		}
		for hash, h := range committed {
			res, err := rpc.Tx(ctx, []byte(hash), false)
			if err != nil || res.Height != h || res.TxResult.Code != 0 {
				t.Fatalf("run %d: tx %X committed at %d before the crash is gone: %v", run, hash, h, err)
			}
		}
		// Resync the sequence from the chain: txs in the mempool at the
		// kill may or may not have made it into a block.
		acc, _, err := c.Account(ctx, aliceAddr, client.QueryOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if acc != nil {
			seq = acc.Sequence
		}
		if run == 2 {
			break
		}
		// Stream transfers, then kill mid-stream.
		stop := time.Now().Add(2*time.Second + time.Duration(run)*700*time.Millisecond)
		var pending [][]byte
		for time.Now().Before(stop) {
			s := seq
			tx, err := c.BuildTx(ctx, alice, []*txv1.Msg{client.MsgSend(aliceAddr, bob, bank.Coin(bank.NativeDenom, amount))}, client.TxOptions{Sequence: &s})
			if err != nil {
				t.Fatal(err)
			}
			hash, err := c.Broadcast(ctx, tx)
			if err != nil {
				t.Fatalf("broadcast: %v", err)
			}
			seq++
			pending = append(pending, hash)
			// Learn which earlier txs have committed.
			for len(pending) > 0 {
				res, err := rpc.Tx(ctx, pending[0], false)
				if err != nil {
					break
				}
				committed[string(pending[0])] = res.Height
				pending = pending[1:]
			}
			time.Sleep(20 * time.Millisecond)
		}
		top := latestHeight(ctx, c)
		for h := int64(1); h <= top; h++ {
			hh := h
			if b, err := rpc.Block(ctx, &hh); err == nil {
				appHashes[h] = b.Block.AppHash.String()
			}
		}
		child.kill(t)
		t.Logf("run %d: killed at height ≥ %d with %d txs seen committed, %d in flight", run, top, len(committed), len(pending))
	}
	if len(committed) < 10 {
		t.Fatalf("only %d txs committed: the test did not exercise much", len(committed))
	}
	// Balances add up: bob received exactly amount per successful transfer
	// that is in the chain (including in-flight ones that made it).
	top := latestHeight(ctx, c)
	var sends uint64
	for h := int64(1); h <= top; h++ {
		br, err := c.BlockResults(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range br.TxResults {
			if r.Code == 0 {
				sends++
			}
		}
	}
	got, _, err := c.Balance(ctx, bob, bank.NativeDenom, client.QueryOptions{Height: top})
	if err != nil {
		t.Fatal(err)
	}
	if got != DevBalance+sends*amount {
		t.Fatalf("bob has %d, want %d (%d transfers in the chain)", got, DevBalance+sends*amount, sends)
	}
}
