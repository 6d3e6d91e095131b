package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtcrypto "github.com/cometbft/cometbft/api/cometbft/crypto/v1"
	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/errs"
	appv1 "github.com/depinhq/depin/gen/depin/app/v1"
	"github.com/depinhq/depin/proof"
	"github.com/depinhq/depin/store"
)

// The query protocol (paths, limits, proof encoding) is package proof's,
// shared with clients; these names keep the application's API whole.
const (
	QueryKey           = proof.QueryKey
	QueryPrefix        = proof.QueryPrefix
	ProofOpICS23       = proof.OpICS23
	ProofOpRoots       = proof.OpRoots
	MaxQueryKeyBytes   = proof.MaxQueryKeyBytes
	DefaultPrefixLimit = proof.DefaultPrefixLimit
	MaxPrefixLimit     = proof.MaxPrefixLimit
)

// DecodeProof reads the proof ops QueryKey returns (proof.Decode).
func DecodeProof(ops *cmtcrypto.ProofOps) (*proof.Proof, error) { return proof.Decode(ops) }

// Query implements abci.Application. It reads committed versions only.
func (a *App) Query(_ context.Context, req *abci.QueryRequest) (*abci.QueryResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.waitSaved(); err != nil {
		return nil, err
	}
	res, err := a.query(req)
	if err != nil {
		space, code, log := errs.Info(err)
		return &abci.QueryResponse{Code: code, Codespace: space, Log: log, Height: req.Height}, nil
	}
	return res, nil
}

func (a *App) query(req *abci.QueryRequest) (*abci.QueryResponse, error) {
	height := req.Height
	if height == 0 {
		height = a.tree.Version()
	}
	if height <= 0 {
		return nil, fmt.Errorf("%w: no block committed yet", errs.ErrHeightUnavailable)
	}
	snap, err := a.tree.Snapshot(height)
	if err != nil {
		if errors.Is(err, store.ErrVersionUnavailable) {
			return nil, fmt.Errorf("%w: %v", errs.ErrHeightUnavailable, err)
		}
		return nil, err
	}
	switch req.Path {
	case QueryKey:
		if len(req.Data) == 0 || len(req.Data) > MaxQueryKeyBytes {
			return nil, fmt.Errorf("%w: key must be 1..%d bytes", errs.ErrInvalidQuery, MaxQueryKeyBytes)
		}
		res := &abci.QueryResponse{Key: req.Data, Value: snap.Get(req.Data), Height: height}
		if req.Prove {
			p, err := snap.Proof(req.Data)
			if err != nil {
				return nil, fmt.Errorf("proof: %w", err)
			}
			if res.ProofOps, err = proof.Encode(req.Data, p); err != nil {
				return nil, err
			}
		}
		return res, nil
	case QueryPrefix:
		var q appv1.PrefixQuery
		if err := proto.Unmarshal(req.Data, &q); err != nil {
			return nil, fmt.Errorf("%w: %v", errs.ErrInvalidQuery, err)
		}
		if len(q.Prefix) > MaxQueryKeyBytes || len(q.StartAfter) > MaxQueryKeyBytes {
			return nil, fmt.Errorf("%w: prefix too long", errs.ErrInvalidQuery)
		}
		limit := int(q.Limit)
		if limit == 0 {
			limit = DefaultPrefixLimit
		}
		limit = min(limit, MaxPrefixLimit)
		out := &appv1.PrefixResult{}
		start := q.Prefix
		if len(q.StartAfter) > 0 {
			if !bytes.HasPrefix(q.StartAfter, q.Prefix) {
				return nil, fmt.Errorf("%w: start_after is outside the prefix", errs.ErrInvalidQuery)
			}
			start = append(bytes.Clone(q.StartAfter), 0)
		}
		end := store.PrefixEnd(q.Prefix)
		if len(q.Start) > 0 {
			if !bytes.HasPrefix(q.Start, q.Prefix) {
				return nil, fmt.Errorf("%w: start is outside the prefix", errs.ErrInvalidQuery)
			}
			if bytes.Compare(q.Start, start) > 0 {
				start = q.Start
			}
		}
		if len(q.End) > 0 {
			if !bytes.HasPrefix(q.End, q.Prefix) {
				return nil, fmt.Errorf("%w: end is outside the prefix", errs.ErrInvalidQuery)
			}
			end = q.End
		}
		if len(q.Start) > MaxQueryKeyBytes || len(q.End) > MaxQueryKeyBytes {
			return nil, fmt.Errorf("%w: bound too long", errs.ErrInvalidQuery)
		}
		it := snap.Iterator(start, end)
		defer it.Close()
		for ; it.Valid(); it.Next() {
			if len(out.Pairs) == limit {
				out.More = true
				break
			}
			out.Pairs = append(out.Pairs, &appv1.KVPair{Key: bytes.Clone(it.Key()), Value: bytes.Clone(it.Value())})
		}
		bz, err := proto.Marshal(out)
		if err != nil {
			return nil, err
		}
		return &abci.QueryResponse{Key: q.Prefix, Value: bz, Height: height}, nil
	default:
		return nil, fmt.Errorf("%w: unknown path %q (want %s or %s)", errs.ErrInvalidQuery, req.Path, QueryKey, QueryPrefix)
	}
}
