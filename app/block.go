package app

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmttypes "github.com/cometbft/cometbft/api/cometbft/types/v1"
	"github.com/cometbft/cometbft/crypto/ed25519"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/depinhq/depin/crypto"
	appv1 "github.com/depinhq/depin/gen/depin/app/v1"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/auth"
	"github.com/depinhq/depin/x/bank"
	"github.com/depinhq/depin/x/device"
	"github.com/depinhq/depin/x/report"
	"github.com/depinhq/depin/x/staking"
)

// MaxGenesisBytes bounds the app_state the app will parse.
const MaxGenesisBytes = 256 << 20

// ParseGenesis decodes and validates the genesis app_state JSON.
func ParseGenesis(js []byte) (*appv1.GenesisState, error) {
	if len(js) > MaxGenesisBytes {
		return nil, fmt.Errorf("genesis app_state is %d bytes, max %d", len(js), MaxGenesisBytes)
	}
	g := &appv1.GenesisState{}
	if err := protojson.Unmarshal(js, g); err != nil {
		return nil, fmt.Errorf("genesis app_state: %w", err)
	}
	if g.Auth == nil || g.Bank == nil {
		return nil, fmt.Errorf("genesis app_state: auth and bank sections are required")
	}
	if err := auth.ValidateGenesis(g.Auth); err != nil {
		return nil, err
	}
	if err := bank.ValidateGenesis(g.Bank); err != nil {
		return nil, err
	}
	if g.Staking != nil {
		if err := staking.ValidateParams(g.Staking.Params); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// InitChain implements abci.Application: it writes the genesis state into
// the working tree (committed with the first block).
func (a *App) InitChain(_ context.Context, req *abci.InitChainRequest) (*abci.InitChainResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.waitSaved(); err != nil {
		return nil, err
	}
	if req.ChainId != a.cfg.ChainID {
		return nil, fmt.Errorf("InitChain: chain id %q, app configured for %q", req.ChainId, a.cfg.ChainID)
	}
	g, err := ParseGenesis(req.AppStateBytes)
	if err != nil {
		return nil, err
	}
	a.tree.Rollback()
	kv := store.NewCache(a.tree)
	ctx := state.Context{KV: kv, ChainID: a.cfg.ChainID, Height: req.InitialHeight, Time: req.Time, Events: &state.Events{}}
	if err := a.auth.InitGenesis(ctx, g.Auth); err != nil {
		return nil, err
	}
	if err := a.bank.InitGenesis(ctx, g.Bank); err != nil {
		return nil, err
	}
	vals := make([]staking.GenesisValidator, len(req.Validators))
	for i, v := range req.Validators {
		vals[i] = staking.GenesisValidator{PubKey: v.PubKeyBytes, Power: v.Power}
	}
	if err := a.staking.InitGenesis(ctx, g.Staking, vals); err != nil {
		return nil, err
	}
	kv.Write()
	a.log.Info("genesis loaded", "chain_id", req.ChainId, "accounts", len(g.Bank.Balances), "validators", len(req.Validators))
	return &abci.InitChainResponse{AppHash: a.tree.WorkingHash()}, nil
}

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

// decoded is a transaction decoded and signature-checked ahead of
// execution.
type decoded struct {
	tx   *auth.Tx
	err  error
	prep map[int]*report.Prepared // by message index
}

// decodeAll decodes every tx of a block and batch-verifies the
// signatures, in parallel over contiguous chunks; results are stored by
// index so they never depend on scheduling.
func (a *App) decodeAll(txs [][]byte, committed store.Reader) []decoded {
	out := make([]decoded, len(txs))
	hashes := make([][32]byte, len(txs))
	workers := min(a.cfg.SigWorkers, len(txs))
	if workers == 0 {
		return out
	}
	chunk := (len(txs) + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < len(txs); lo += chunk {
		hi := min(lo+chunk, len(txs))
		wg.Add(1)
		go func() {
			defer wg.Done()
			entries := make([]crypto.BatchEntry, 0, hi-lo)
			pos := make([]int, 0, hi-lo)
			for i := lo; i < hi; i++ {
				hashes[i] = sha256.Sum256(txs[i])
				tx, verified, err := a.sigs.decode(hashes[i], txs[i])
				out[i] = decoded{tx: tx, err: err}
				if err == nil && !verified {
					entries = append(entries, crypto.BatchEntry{PubKey: tx.PubKey, Message: tx.SignBytes(a.cfg.ChainID), Sig: tx.Signature})
					pos = append(pos, i)
				}
			}
			for j, ok := range crypto.BatchVerify(entries) {
				if !ok {
					i := pos[j]
					out[i].err = out[i].tx.SignatureError(a.cfg.ChainID)
				}
			}
		}()
	}
	wg.Wait()
	// Report batches: decode and batch-verify every report, each batch
	// spread over all workers, reading the batch's device records from the
	// last committed state meanwhile.
	var prefetch report.Prefetcher
	if committed != nil {
		prefetch = func(ids []crypto.DeviceID) map[crypto.DeviceID][]byte {
			m := make(map[crypto.DeviceID][]byte, len(ids))
			for _, id := range ids {
				k := device.Key(id)
				m[id] = a.devices.Get(k, func() []byte { return committed.Get(k) })
			}
			return m
		}
	}
	// Batches CheckTx verified only need their device records read; the
	// others are verified now.
	var pending sync.WaitGroup
	for i := range out {
		if out[i].err != nil {
			continue
		}
		cached := a.preps.get(hashes[i])
		for j, m := range out[i].tx.Body.Messages {
			if rb := m.GetReportBatch(); rb != nil && len(rb.Reports) <= report.MaxBatchReports {
				if out[i].prep == nil {
					out[i].prep = map[int]*report.Prepared{}
				}
				if p := cached[j]; p != nil && len(p.Reports) == len(rb.Reports) {
					q := *p
					out[i].prep[j] = &q
					if prefetch != nil {
						pending.Add(1)
						go func() {
							defer pending.Done()
							q.Prefetch(prefetch)
						}()
					}
					continue
				}
				out[i].prep[j] = report.Prepare(a.cfg.ChainID, rb, report.PrepareOptions{Workers: a.cfg.SigWorkers, Prefetch: prefetch, Keys: a.keys})
			}
		}
	}
	pending.Wait()
	return out
}

// FinalizeBlock implements abci.Application: it executes the decided block
// and returns the app hash the block commits to.
func (a *App) FinalizeBlock(_ context.Context, req *abci.FinalizeBlockRequest) (*abci.FinalizeBlockResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.executing.Store(true)
	defer a.executing.Store(false)
	// A FinalizeBlock without Commit (a crash, or CometBFT re-executing)
	// must start from the committed state.
	if a.staged != 0 {
		if err := a.waitSaved(); err != nil {
			return nil, err
		}
		a.tree.Rollback()
		a.devices.Drop()
		a.staged, a.view = 0, nil
	}
	if req.Height != a.height+1 && a.height != 0 {
		return nil, fmt.Errorf("FinalizeBlock: height %d, state is at %d", req.Height, a.height)
	}
	// The block executes over the committed state — the last block's view
	// while the tree may still be saving it — and waits for the save only
	// to write its own changes into the tree.
	base, prefetchOK, err := a.committedState()
	if err != nil {
		return nil, err
	}
	blockKV := store.NewCache(store.ReadOnly(base))
	ctx := state.Context{KV: blockKV, ChainID: a.cfg.ChainID, Height: req.Height, Time: req.Time, Events: &state.Events{}}
	// Before the block's txs: CometBFT's evidence and last-commit votes,
	// then the rewards and agreement payments of epochs that ended.
	beginKV := store.NewCache(blockKV)
	// The block-level phases share the block's event sink: their events
	// (mints, payments, clearings, punishments) are the block's events.
	bctx := ctx
	bctx.KV = beginKV
	// None of these may stop the chain: each is contained (see
	// contain.go). Staking is chain-wide: if it fails, its step is rolled
	// back and logged; a network's step that fails freezes that network.
	if err := a.contained(bctx, "staking", func(c state.Context) error {
		return a.staking.BeginBlock(c, misbehavior(req.Misbehavior), lastVotes(req.DecidedLastCommit))
	}); err != nil {
		a.log.Error("staking block step failed; rolled back", "height", req.Height, "err", err)
	}
	a.networkSteps(bctx)
	beginKV.Write()
	results := make([]*abci.ExecTxResult, len(req.Txs))
	decodeStart := a.now()
	var prefetchFrom store.Reader
	if prefetchOK {
		prefetchFrom = base
	}
	decoded := a.decodeAll(req.Txs, prefetchFrom)
	execStart := a.now()
	for i, d := range decoded {
		if d.err != nil {
			results[i] = errResult(d.err)
			continue
		}
		results[i] = a.deliver(ctx.WithKV(blockKV), d.tx, d.prep)
	}
	ectx := ctx
	ectx.KV = blockKV
	if err := a.contained(ectx, "staking end block", func(c state.Context) error {
		for _, pc := range a.staking.EndBlock(c) {
			a.queueValidatorUpdate(abci.ValidatorUpdate{Power: pc.Power, PubKeyBytes: pc.PubKey, PubKeyType: ed25519.KeyType})
		}
		return nil
	}); err != nil {
		a.log.Error("staking end block failed; rolled back", "height", req.Height, "err", err)
	}
	blockKV.Set(blockTimeKey, encodeTime(req.Time))
	waitStart := a.now()
	if err := a.waitSaved(); err != nil {
		return nil, err
	}
	waited := a.now().Sub(waitStart)
	blockKV.SetParent(a.tree) // the tree now holds the committed state
	a.devices.Stage(blockKV)
	writeStart := a.now()
	if v := a.tree.Version(); v > 0 {
		// The block's writes stay readable over the version before it, so
		// Commit can hand them to CheckTx and save the tree in the
		// background. (Not for the first block: InitChain's genesis writes
		// went straight into the tree.)
		prev, err := a.tree.Snapshot(v)
		if err != nil {
			return nil, fmt.Errorf("FinalizeBlock %d: %w", req.Height, err)
		}
		a.view = blockKV.WriteOver(store.ReadOnly(prev))
	} else {
		blockKV.Write()
		a.view = nil
	}
	hashStart := a.now()
	appHash := a.tree.WorkingHash()
	a.staged = req.Height
	a.lastBlockTime = req.Time
	a.lastBlock = blockSummary{height: req.Height, txs: len(req.Txs), failed: countFailed(results),
		waited: waited, decode: execStart.Sub(decodeStart), exec: waitStart.Sub(execStart),
		write: hashStart.Sub(writeStart), hash: a.now().Sub(hashStart)}
	updates := a.valUpdates
	a.valUpdates = nil
	return &abci.FinalizeBlockResponse{
		TxResults:        results,
		ValidatorUpdates: updates,
		AppHash:          appHash,
		Events:           ctx.Events.List(),
	}, nil
}

// committedState is what the next block executes over: the last
// committed block's view, or the tree once no save runs. prefetchOK says
// whether it may be read from several goroutines (not the working tree,
// which holds InitChain's genesis before the first block).
func (a *App) committedState() (store.Reader, bool, error) {
	if a.committed != nil {
		return a.committed, true, nil
	}
	if err := a.waitSaved(); err != nil {
		return nil, false, err
	}
	if v := a.tree.Version(); v > 0 {
		snap, err := a.tree.Snapshot(v)
		if err != nil {
			return nil, false, err
		}
		return snap, true, nil
	}
	return a.tree, false, nil
}

// Commit implements abci.Application: it makes the finalized block the
// committed state — CheckTx and the device cache move to it at once — and
// saves it to disk as version = height, in the background when it can
// (see App), pruning old versions after.
func (a *App) Commit(_ context.Context, _ *abci.CommitRequest) (*abci.CommitResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.waitSaved(); err != nil {
		return nil, err
	}
	height, view := a.staged, a.view
	a.staged, a.view = 0, nil
	a.height, a.committed = height, view
	a.devices.Commit()
	if view == nil {
		if err := a.save(); err != nil {
			return nil, err
		}
		a.checkMu.Lock()
		a.resetCheckState()
		a.checkMu.Unlock()
		return &abci.CommitResponse{}, nil
	}
	a.checkMu.Lock()
	a.checkHeight, a.checkTime = height+1, a.lastBlockTime
	a.check = store.NewCache(view)
	a.checkMu.Unlock()
	done := make(chan struct{})
	a.saving = done
	go func() {
		defer close(done)
		a.saveErr = a.save()
	}()
	return &abci.CommitResponse{}, nil
}

// save writes the working tree as the next version, prunes, logs and runs
// AfterCommit. It runs under mu, or in the background while every other
// user of the tree waits for it (waitSaved).
func (a *App) save() error {
	start := a.now()
	_, v, err := a.tree.SaveVersion()
	if err != nil {
		a.log.Error("saving the committed state failed", "err", err)
		return fmt.Errorf("commit: %w", err)
	}
	// Never fewer than two versions: the committed view of the next block
	// reads the version before it.
	if k := max(a.cfg.KeepRecent, 2); a.cfg.KeepRecent > 0 && v > k {
		if err := a.tree.Prune(v - k); err != nil {
			a.log.Error("prune failed", "to_version", v-k, "err", err)
		}
	}
	if b := a.lastBlock; b.height == v {
		a.log.Info("committed block", "height", v, "txs", b.txs, "failed", b.failed, "app_hash", fmt.Sprintf("%X", a.tree.Hash()))
		// Where a block's time went, for performance work.
		if a.cfg.Stopwatch != nil {
			a.log.Debug("block timing", "height", v, "wait_prev_save", b.waited, "decode_verify", b.decode, "execute", b.exec,
				"tree_write", b.write, "hash", b.hash, "save", a.now().Sub(start))
		}
	}
	if a.AfterCommit != nil {
		snap, err := a.tree.Snapshot(v)
		if err != nil {
			return err
		}
		a.AfterCommit(v, snap)
	}
	return nil
}

// blockSummary is what the commit log line reports.
type blockSummary struct {
	height      int64
	txs, failed int
	// time spent waiting for the previous block's save, decoding and
	// verifying, executing, writing the tree and hashing it
	waited, decode, exec, write, hash time.Duration
}

func countFailed(rs []*abci.ExecTxResult) int {
	n := 0
	for _, r := range rs {
		if r.Code != 0 {
			n++
		}
	}
	return n
}

// blockTimeKey holds the last block's time, so CheckTx after a restart
// judges time-dependent rules against it rather than the zero time.
var blockTimeKey = []byte("app/block_time")

func encodeTime(t time.Time) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano()))
}

func decodeTime(b []byte) time.Time {
	if len(b) != 8 {
		return time.Time{}
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(b))).UTC()
}

// misbehavior converts CometBFT's evidence for the staking module.
func misbehavior(ms []abci.Misbehavior) []staking.Misbehavior {
	out := make([]staking.Misbehavior, 0, len(ms))
	for _, m := range ms {
		out = append(out, staking.Misbehavior{ConsAddress: m.Validator.Address,
			DoubleSign: m.Type == abci.MISBEHAVIOR_TYPE_DUPLICATE_VOTE || m.Type == abci.MISBEHAVIOR_TYPE_LIGHT_CLIENT_ATTACK})
	}
	return out
}

// lastVotes says which validators signed the previous block.
func lastVotes(c abci.CommitInfo) []staking.Vote {
	out := make([]staking.Vote, 0, len(c.Votes))
	for _, v := range c.Votes {
		out = append(out, staking.Vote{ConsAddress: v.Validator.Address, Signed: v.BlockIdFlag != cmttypes.BlockIDFlagAbsent})
	}
	return out
}
