package app

import (
	"context"
	"crypto/sha256"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/store"
)

// CheckTx implements abci.Application. It runs the transaction against the
// CheckTx state (committed state plus the mempool's earlier txs) and keeps
// its effects only if it would succeed, so a tx that cannot pay its fee or
// whose messages would fail never enters the mempool.
//
// CheckTx runs concurrently with block execution (CometBFT calls it on
// its own connection): decoding and signature checks take no lock, the
// CheckTx state has its own. Report batches of a tx that passed are
// signature-verified here too, while the chain may be busy with a block,
// and FinalizeBlock reuses the results.
func (a *App) CheckTx(_ context.Context, req *abci.CheckTxRequest) (*abci.CheckTxResponse, error) {
	h := sha256.Sum256(req.Tx)
	tx, verified, err := a.sigs.decode(h, req.Tx)
	if err == nil && !verified {
		if err = tx.VerifySignature(a.cfg.ChainID); err == nil {
			a.sigs.add(h, tx)
		}
	}
	if err != nil {
		r := errResult(err)
		return &abci.CheckTxResponse{Code: r.Code, Codespace: r.Codespace, Log: r.Log}, nil
	}
	a.checkMu.Lock()
	kv := store.NewCache(a.check)
	ctx := state.Context{KV: kv, ChainID: a.cfg.ChainID, Height: a.checkHeight, Time: a.checkTime, Events: &state.Events{}, CheckTx: true}
	res := a.deliver(ctx, tx, nil)
	if res.Code == 0 {
		kv.Write()
	}
	a.checkMu.Unlock()
	if res.Code != 0 {
		return &abci.CheckTxResponse{Code: res.Code, Codespace: res.Codespace, Log: res.Log}, nil
	}
	if req.Type != abci.CHECK_TX_TYPE_RECHECK {
		// While a block executes (one core, serially) the batch verifies
		// on the other cores only, so the block is not slowed down.
		workers := a.cfg.SigWorkers
		if a.executing.Load() {
			workers = max(1, workers-1)
		}
		a.preps.prepare(a.cfg.ChainID, h, tx, workers, a.keys)
	}
	return &abci.CheckTxResponse{Code: 0}, nil
}
