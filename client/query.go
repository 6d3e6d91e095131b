package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cometbft/cometbft/rpc/client"
	cmttypes "github.com/cometbft/cometbft/types"
	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/api/auth"
	"github.com/depinhq/depin/api/bank"
	"github.com/depinhq/depin/crypto"
	appv1 "github.com/depinhq/depin/gen/depin/app/v1"
	authv1 "github.com/depinhq/depin/gen/depin/auth/v1"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	"github.com/depinhq/depin/proof"
)

// ErrProof is returned when a proof does not verify.
var ErrProof = errors.New("proof verification failed")

// QueryOptions choose the height and whether to verify a proof.
type QueryOptions struct {
	Height int64 // 0 = latest
	Prove  bool
}

// KeyResult is a value read from the state.
type KeyResult struct {
	Key, Value []byte // Value nil = absent
	Height     int64
	// Proven says the value (or its absence) was proven against the app
	// hash of a header signed by more than 2/3 of the validator set.
	Proven  bool
	AppHash []byte
}

// QueryKey reads one key of the state.
func (c *Client) QueryKey(ctx context.Context, key []byte, o QueryOptions) (*KeyResult, error) {
	res, err := c.rpc.ABCIQueryWithOptions(ctx, proof.QueryKey, key, client.ABCIQueryOptions{Height: o.Height, Prove: o.Prove})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNodeUnreachable, err)
	}
	r := res.Response
	if err := resultError(r.Codespace, r.Code, r.Log); err != nil {
		return nil, err
	}
	out := &KeyResult{Key: key, Value: r.Value, Height: r.Height}
	if !o.Prove {
		return out, nil
	}
	p, err := proof.Decode(r.ProofOps)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProof, err)
	}
	root, err := c.verifiedAppHash(ctx, r.Height)
	if err != nil {
		return nil, err
	}
	if err := proof.Verify(root, key, r.Value, p); err != nil {
		return nil, fmt.Errorf("%w: key %x at height %d: %v", ErrProof, key, r.Height, err)
	}
	out.Proven, out.AppHash = true, root
	return out, nil
}

// verifiedAppHash returns the app hash of state version h: it is in the
// header of block h+1, whose commit must carry signatures of more than 2/3
// of the voting power of that block's validator set.
//
// The validator set is taken from the node; a light client that must not
// trust the node at all would verify the set from a trusted height (see
// docs/ARCHITECTURE.md).
func (c *Client) verifiedAppHash(ctx context.Context, h int64) ([]byte, error) {
	next := h + 1
	var commit *cmttypes.SignedHeader
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := c.rpc.Commit(ctx, &next)
		if err == nil && res.CanonicalCommit {
			commit = &res.SignedHeader
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%w: no canonical commit for block %d yet: %v", ErrProof, next, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	var vals []*cmttypes.Validator
	for page := 1; ; page++ {
		p, per := page, 100
		res, err := c.rpc.Validators(ctx, &next, &p, &per)
		if err != nil {
			return nil, fmt.Errorf("%w: validators at %d: %v", ErrProof, next, err)
		}
		vals = append(vals, res.Validators...)
		if len(vals) >= res.Total || len(res.Validators) == 0 {
			break
		}
	}
	set := cmttypes.NewValidatorSet(vals)
	if !bytes.Equal(set.Hash(), commit.Header.ValidatorsHash) {
		return nil, fmt.Errorf("%w: validator set does not match header %d", ErrProof, next)
	}
	chainID, err := c.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	if commit.Header.ChainID != chainID {
		return nil, fmt.Errorf("%w: header is for chain %q", ErrProof, commit.Header.ChainID)
	}
	if err := set.VerifyCommitLight(chainID, commit.Commit.BlockID, next, commit.Commit); err != nil {
		return nil, fmt.Errorf("%w: commit %d: %v", ErrProof, next, err)
	}
	if !bytes.Equal(commit.Commit.BlockID.Hash, commit.Header.Hash()) {
		return nil, fmt.Errorf("%w: commit does not sign header %d", ErrProof, next)
	}
	return commit.Header.AppHash, nil
}

// QueryPrefix runs one page of a prefix query at height (0 = latest).
func (c *Client) QueryPrefix(ctx context.Context, q *appv1.PrefixQuery, height int64) (*appv1.PrefixResult, int64, error) {
	data, err := proto.Marshal(q)
	if err != nil {
		return nil, 0, err
	}
	res, err := c.rpc.ABCIQueryWithOptions(ctx, proof.QueryPrefix, data, client.ABCIQueryOptions{Height: height})
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrNodeUnreachable, err)
	}
	r := res.Response
	if err := resultError(r.Codespace, r.Code, r.Log); err != nil {
		return nil, 0, err
	}
	var out appv1.PrefixResult
	if err := proto.Unmarshal(r.Value, &out); err != nil {
		return nil, 0, err
	}
	return &out, r.Height, nil
}

// Account returns addr's account (nil if it never signed a tx).
func (c *Client) Account(ctx context.Context, addr crypto.Address, o QueryOptions) (*authv1.Account, *KeyResult, error) {
	r, err := c.QueryKey(ctx, auth.AccountKey(addr), o)
	if err != nil || r.Value == nil {
		return nil, r, err
	}
	var acc authv1.Account
	if err := proto.Unmarshal(r.Value, &acc); err != nil {
		return nil, r, err
	}
	return &acc, r, nil
}

// Balance returns addr's balance of denom.
func (c *Client) Balance(ctx context.Context, addr crypto.Address, denom string, o QueryOptions) (uint64, *KeyResult, error) {
	r, err := c.QueryKey(ctx, bank.BalanceKey(addr, denom), o)
	if err != nil {
		return 0, nil, err
	}
	return bank.DecodeAmount(r.Value), r, nil
}

// Balances returns all of addr's balances at one height.
func (c *Client) Balances(ctx context.Context, addr crypto.Address, height int64) ([]*bankv1.Coin, int64, error) {
	var out []*bankv1.Coin
	q := &appv1.PrefixQuery{Prefix: bank.AccountBalancesPrefix(addr)}
	for {
		q.Limit = proof.MaxPrefixLimit
		res, h, err := c.QueryPrefix(ctx, q, height)
		if err != nil {
			return nil, 0, err
		}
		height = h
		out = append(out, bank.DecodeBalances(addr, res.Pairs)...)
		if !res.More || len(res.Pairs) == 0 {
			return out, height, nil
		}
		q.StartAfter = res.Pairs[len(res.Pairs)-1].Key
	}
}

// Supply returns the total supply of denom.
func (c *Client) Supply(ctx context.Context, denom string, o QueryOptions) (uint64, *KeyResult, error) {
	r, err := c.QueryKey(ctx, bank.SupplyKey(denom), o)
	if err != nil {
		return 0, nil, err
	}
	return bank.DecodeAmount(r.Value), r, nil
}

// AuthParams returns the fee schedule.
func (c *Client) AuthParams(ctx context.Context) (*authv1.Params, error) {
	r, err := c.QueryKey(ctx, auth.ParamsKey, QueryOptions{})
	if err != nil {
		return nil, err
	}
	var p authv1.Params
	if err := proto.Unmarshal(r.Value, &p); err != nil {
		return nil, err
	}
	return &p, nil
}
