package node

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"path/filepath"
	"testing"
	"time"

	cmtproto "github.com/cometbft/cometbft/api/cometbft/types/v1"
	"github.com/cometbft/cometbft/privval"
	cmttypes "github.com/cometbft/cometbft/types"
	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	stakingv1 "github.com/depinhq/depin/gen/depin/staking/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/x/staking"
)

// TestStakingOnANetwork: four genesis validators and a full node. The
// full node's key becomes a validator by staking and starts signing
// blocks; then one genesis validator double-signs (two conflicting
// prevotes, submitted as evidence through CometBFT's RPC): CometBFT
// verifies and commits the evidence, the app slashes and tombstones the
// validator and removes it from the set, and the chain goes on.
func TestStakingOnANetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-node network in -short mode")
	}
	nodes, err := WriteTestnet(TestnetOptions{Output: t.TempDir(), Validators: 4, FullNodes: 1, TimeoutCommit: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var running []*Node
	t.Cleanup(func() {
		for _, n := range running {
			n.Close()
		}
	})
	for k := range nodes {
		n, err := New(ctx, Config{Home: nodes[k].Home, Logger: testLogger(t).With("node", k)})
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Start(); err != nil {
			t.Fatal(err)
		}
		running = append(running, n)
	}
	c, _ := client.New(running[0].RPCURL())
	rpc := cometRPC(t, c)
	valSet := func() map[string]int64 {
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
	height := func() int64 {
		st, err := c.Status(ctx)
		if err != nil {
			return 0
		}
		return st.SyncInfo.LatestBlockHeight
	}
	waitFor(t, "blocks", 60*time.Second, func() bool { return height() >= 3 })

	// The full node's consensus key joins by staking 25 dpin (power 25).
	pv := privval.LoadFilePV(filepath.Join(nodes[4].Home, "config", "priv_validator_key.json"), filepath.Join(nodes[4].Home, "data", "priv_validator_state.json"))
	pub := pv.Key.PubKey.Bytes()
	newAddr := pv.Key.PubKey.Address().String()
	alice := devKey(t, nodes[0].Home, "alice")
	if _, err := c.SendTx(ctx, alice, []*txv1.Msg{{Sum: &txv1.Msg_CreateValidator{CreateValidator: &stakingv1.MsgCreateValidator{
		Operator: crypto.AddressFromPubKey(alice.Public().(ed25519.PublicKey)).Bytes(), PubKey: pub, Moniker: "node4", Amount: 25_000_000}}}}, client.TxOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the staked validator in CometBFT's set", 60*time.Second, func() bool { return valSet()[newAddr] == 25 })
	signs := func(addr string) bool {
		h := height() - 1
		cm, err := rpc.Commit(ctx, &h)
		if err != nil {
			return false
		}
		for _, s := range cm.Commit.Signatures {
			if s.ValidatorAddress.String() == addr && s.BlockIDFlag == cmttypes.BlockIDFlagCommit {
				return true
			}
		}
		return false
	}
	waitFor(t, "the new validator signing blocks", 60*time.Second, func() bool { return signs(newAddr) })

	// Node 3 double-signs at a committed height.
	pv3 := privval.LoadFilePV(filepath.Join(nodes[3].Home, "config", "priv_validator_key.json"), filepath.Join(nodes[3].Home, "data", "priv_validator_state.json"))
	addr3 := pv3.Key.PubKey.Address()
	h := height() - 1
	vals, err := rpc.Validators(ctx, &h, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	set := cmttypes.NewValidatorSet(vals.Validators)
	idx, _ := set.GetByAddress(addr3)
	blk, err := rpc.Block(ctx, &h)
	if err != nil {
		t.Fatal(err)
	}
	chainID := blk.Block.ChainID
	vote := func(seed string) *cmttypes.Vote {
		hash := sha256.Sum256([]byte(seed))
		v := &cmttypes.Vote{Type: cmtproto.PrevoteType, Height: h, Round: 0,
			BlockID:   cmttypes.BlockID{Hash: hash[:], PartSetHeader: cmttypes.PartSetHeader{Total: 1, Hash: hash[:]}},
			Timestamp: blk.Block.Time, ValidatorAddress: addr3, ValidatorIndex: idx}
		p := v.ToProto()
		sig, err := pv3.Key.PrivKey.Sign(cmttypes.VoteSignBytes(chainID, p))
		if err != nil {
			t.Fatal(err)
		}
		v.Signature = sig
		return v
	}
	ev, err := cmttypes.NewDuplicateVoteEvidence(vote("a"), vote("b"), blk.Block.Time, set)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rpc.BroadcastEvidence(ctx, ev); err != nil {
		t.Fatalf("broadcast evidence: %v", err)
	}
	waitFor(t, "the double signer removed from the set", 60*time.Second, func() bool {
		vs := valSet()
		_, present := vs[addr3.String()]
		return vs != nil && !present && vs[newAddr] == 25
	})
	kr, err := c.QueryKey(ctx, staking.ValidatorKey(addr3), client.QueryOptions{})
	if err != nil || kr.Value == nil {
		t.Fatalf("validator record: %v", err)
	}
	var rec stakingv1.Validator
	if err := proto.Unmarshal(kr.Value, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Status != stakingv1.ValidatorStatus_VALIDATOR_STATUS_TOMBSTONED || !bytes.Equal(rec.ConsAddress, addr3) {
		t.Fatalf("double signer's record: %v", &rec)
	}
	// The chain goes on with the four left.
	after := height()
	waitFor(t, "blocks after the removal", 60*time.Second, func() bool { return height() > after+3 })
}
