package app

import (
	"context"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto/ed25519"

	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/store"
)

// FinalizeBlock implements abci.Application: it executes the decided block
// and returns the app hash the block commits to. A block runs in stages,
// each in its own function:
//
//	startBlock     drop an unfinished block, check the height
//	beginBlock     block steps before the txs: staking, then each
//	               network's rewards, agreements and market (contain.go)
//	decodeAll      decode every tx and verify every signature (verify.go)
//	deliverAll     run each tx: ante, then its messages
//	endBlock       staking's power changes, the block time
//	stage          write the block over the committed state and hash it
//	               (commit.go saves it)
//
// Only startBlock and stage can fail, and only for reasons outside the
// block's content (a failed save, a height CometBFT should never send):
// nothing a transaction or a network does can stop the chain.
func (a *App) FinalizeBlock(_ context.Context, req *abci.FinalizeBlockRequest) (*abci.FinalizeBlockResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.executing.Store(true)
	defer a.executing.Store(false)
	if err := a.startBlock(req.Height); err != nil {
		return nil, err
	}
	// The block executes over the committed state — the last block's view
	// while the tree may still be saving it — and waits for the save only
	// to write its own changes into the tree.
	base, prefetchOK, err := a.committedState()
	if err != nil {
		return nil, err
	}
	blockKV := store.NewCache(store.ReadOnly(base))
	ctx := state.Context{KV: blockKV, ChainID: a.cfg.ChainID, Height: req.Height, Time: req.Time, BlockHash: req.Hash, Events: &state.Events{}}
	a.beginBlock(ctx, req)
	var prefetchFrom store.Reader
	if prefetchOK {
		prefetchFrom = base
	}
	decodeStart := a.now()
	decoded := a.decodeAll(req.Txs, prefetchFrom)
	execStart := a.now()
	results := a.deliverAll(ctx, decoded)
	a.endBlock(ctx, req)
	waitStart := a.now()
	sum := blockSummary{height: req.Height, txs: len(req.Txs), failed: countFailed(results),
		decode: execStart.Sub(decodeStart), exec: waitStart.Sub(execStart)}
	appHash, err := a.stage(blockKV, req, sum)
	if err != nil {
		return nil, err
	}
	updates := a.valUpdates
	a.valUpdates = nil
	return &abci.FinalizeBlockResponse{
		TxResults:        results,
		ValidatorUpdates: updates,
		AppHash:          appHash,
		Events:           ctx.Events.List(),
	}, nil
}

// startBlock drops a block finalized but not committed (a crash, or
// CometBFT re-executing): the next one starts from the committed state.
// It refuses a height that does not follow the committed one.
func (a *App) startBlock(height int64) error {
	if a.staged != 0 {
		if err := a.waitSaved(); err != nil {
			return err
		}
		a.tree.Rollback()
		a.devices.Drop()
		a.staged, a.view = 0, nil
	}
	if height != a.height+1 && a.height != 0 {
		return fmt.Errorf("FinalizeBlock: height %d, state is at %d", height, a.height)
	}
	return nil
}

// beginBlock runs the block steps before the block's txs — CometBFT's
// evidence and last-commit votes, then every network's rewards,
// agreements and market — over a cache of the block's state. Their events
// (mints, payments, clearings, punishments) are the block's events. None
// may stop the chain: each is contained (contain.go). Staking is
// chain-wide: if it fails, its step is rolled back and logged; a
// network's step that fails freezes that network.
func (a *App) beginBlock(ctx state.Context, req *abci.FinalizeBlockRequest) {
	beginKV := store.NewCache(ctx.KV)
	bctx := ctx
	bctx.KV = beginKV
	if err := a.contained(bctx, "staking", func(c state.Context) error {
		return a.staking.BeginBlock(c, misbehavior(req.Misbehavior), lastVotes(req.DecidedLastCommit))
	}); err != nil {
		a.log.Error("staking block step failed; rolled back", "height", req.Height, "err", err)
	}
	a.networkSteps(bctx)
	beginKV.Write()
}

// deliverAll runs the block's txs in order over its state; a tx that did
// not decode or verify fails with its error.
func (a *App) deliverAll(ctx state.Context, decoded []decoded) []*abci.ExecTxResult {
	results := make([]*abci.ExecTxResult, len(decoded))
	for i, d := range decoded {
		if d.err != nil {
			results[i] = errResult(d.err)
			continue
		}
		results[i] = a.deliver(ctx.WithKV(ctx.KV), d.tx, d.prep)
	}
	return results
}

// endBlock runs after the txs: staking's voting-power changes (queued for
// CometBFT, contained like every block step) and the block's time, which
// CheckTx judges time-dependent rules by after a restart.
func (a *App) endBlock(ctx state.Context, req *abci.FinalizeBlockRequest) {
	if err := a.contained(ctx, "staking end block", func(c state.Context) error {
		for _, pc := range a.staking.EndBlock(c) {
			a.queueValidatorUpdate(abci.ValidatorUpdate{Power: pc.Power, PubKeyBytes: pc.PubKey, PubKeyType: ed25519.KeyType})
		}
		return nil
	}); err != nil {
		a.log.Error("staking end block failed; rolled back", "height", req.Height, "err", err)
	}
	ctx.KV.Set(blockTimeKey, encodeTime(req.Time))
}
