package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

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
	// Proof is what proved it (with Prove), for a program that hands the
	// proof on to others who check it themselves (a gateway to devices).
	Proof *proof.Proof
}

// QueryKey reads one key of the state.
func (c *Client) QueryKey(ctx context.Context, key []byte, o QueryOptions) (*KeyResult, error) {
	r, err := c.abciQuery(ctx, proof.QueryKey, key, o.Height, o.Prove)
	if err != nil {
		return nil, err
	}
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
	out.Proven, out.AppHash, out.Proof = true, root, p
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
	var signed *commitResult
	deadline := time.Now().Add(10 * time.Second)
	for {
		var res commitResult
		err := c.call(ctx, "commit", map[string]any{"height": rpcInt(next)}, &res)
		if err == nil && res.Canonical {
			signed = &res
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
	vals, err := c.cometValidators(ctx, next)
	if err != nil {
		return nil, fmt.Errorf("%w: validators at %d: %v", ErrProof, next, err)
	}
	chainID, err := c.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	appHash, err := verifySignedHeader(chainID, next, signed, vals)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProof, err)
	}
	return appHash, nil
}

// verifySignedHeader checks the header of block height on chainID that
// /commit answered: its commit carries signatures of more than 2/3 of the
// voting power of vals, the validator set the header names, and signs
// that header. It returns the header's app hash.
func verifySignedHeader(chainID string, height int64, signed *commitResult, vals []*validator) ([]byte, error) {
	header, commit := signed.SignedHeader.Header, signed.SignedHeader.Commit
	if header == nil || commit == nil {
		return nil, fmt.Errorf("the node answered no signed header for block %d", height)
	}
	if header.Height != height {
		return nil, fmt.Errorf("the node answered header %d for block %d", header.Height, height)
	}
	set, err := newValidatorSet(vals)
	if err != nil {
		return nil, fmt.Errorf("validators at %d: %v", height, err)
	}
	if !bytes.Equal(set.hash(), header.ValidatorsHash) {
		return nil, fmt.Errorf("validator set does not match header %d", height)
	}
	if header.ChainID != chainID {
		return nil, fmt.Errorf("header is for chain %q", header.ChainID)
	}
	if err := set.verifyCommitLight(chainID, commit.BlockID, height, commit); err != nil {
		return nil, fmt.Errorf("commit %d: %v", height, err)
	}
	if !bytes.Equal(commit.BlockID.Hash, header.Hash()) {
		return nil, fmt.Errorf("commit does not sign header %d", height)
	}
	return header.AppHash, nil
}

// cometValidators reads CometBFT's validator set at height, every page.
func (c *Client) cometValidators(ctx context.Context, height int64) ([]*validator, error) {
	var vals []*validator
	for page := 1; ; page++ {
		var res validatorsResult
		params := map[string]any{"height": rpcInt(height), "page": rpcInt(int64(page)), "per_page": rpcInt(100)}
		if err := c.call(ctx, "validators", params, &res); err != nil {
			return nil, err
		}
		vals = append(vals, res.Validators...)
		if len(vals) >= res.Total || len(res.Validators) == 0 {
			return vals, nil
		}
	}
}

// abciQuery runs an ABCI query at height (0 = latest); a node that does
// not answer is ErrNodeUnreachable; one that answers with an RPC error
// is that *RPCError (errors.As).
func (c *Client) abciQuery(ctx context.Context, path string, data []byte, height int64, prove bool) (*abciResponse, error) {
	var res abciQueryResult
	params := map[string]any{"path": path, "data": HexBytes(data), "height": rpcInt(height), "prove": prove}
	if err := c.call(ctx, "abci_query", params, &res); err != nil {
		var rpcErr *RPCError
		if errors.As(err, &rpcErr) {
			// The node answered, with an error: it is reachable.
			return nil, fmt.Errorf("abci_query %s: %w", path, err)
		}
		return nil, fmt.Errorf("%w: %v", ErrNodeUnreachable, err)
	}
	return &res.Response, nil
}

// QueryPrefix runs one page of a prefix query at height (0 = latest).
func (c *Client) QueryPrefix(ctx context.Context, q *appv1.PrefixQuery, height int64) (*appv1.PrefixResult, int64, error) {
	data, err := proto.Marshal(q)
	if err != nil {
		return nil, 0, err
	}
	r, err := c.abciQuery(ctx, proof.QueryPrefix, data, height, false)
	if err != nil {
		return nil, 0, err
	}
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
