package node

import (
	"context"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto/ed25519"

	"github.com/depinhq/depin/client"
)

// TestValidatorUpdatesReachCometBFT checks the wiring staking will use: a
// power change the app returns from FinalizeBlock changes CometBFT's
// validator set, and power 0 removes the validator again.
func TestValidatorUpdatesReachCometBFT(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	home := t.TempDir()
	p, err := FreeLoopbackPorts()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := SetupDevnet(DevnetOptions{Home: home, Ports: p, TimeoutCommit: 100 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	n, err := New(ctx, Config{Home: home, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	c, _ := client.New(n.RPCURL())
	rpc := cometRPC(t, c)
	validators := func() map[string]int64 {
		res, err := rpc.Validators(ctx, nil, nil, nil)
		if err != nil {
			return nil
		}
		out := map[string]int64{}
		for _, v := range res.Validators {
			out[v.Address.String()] = v.VotingPower
		}
		return out
	}
	waitFor(t, "first block", 30*time.Second, func() bool { return len(validators()) == 1 })

	// A second validator with 1 of 101 votes: the devnet validator alone
	// still has > 2/3, so blocks keep coming.
	newVal := ed25519.GenPrivKey().PubKey()
	n.App.QueueValidatorUpdate(abci.NewValidatorUpdate(newVal, 1))
	waitFor(t, "new validator in the set", 30*time.Second, func() bool { return validators()[newVal.Address().String()] == 1 })

	n.App.QueueValidatorUpdate(abci.NewValidatorUpdate(newVal, 0))
	waitFor(t, "validator removed", 30*time.Second, func() bool {
		v := validators()
		_, present := v[newVal.Address().String()]
		return v != nil && !present
	})
	st, _ := c.Status(ctx)
	h := st.SyncInfo.LatestBlockHeight
	waitFor(t, "blocks after the changes", 30*time.Second, func() bool {
		st, err := c.Status(ctx)
		return err == nil && st.SyncInfo.LatestBlockHeight > h+2
	})
}
