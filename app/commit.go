package app

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/depinhq/depin/store"
)

// stage writes a finalized block's state into the tree (once the previous
// block's save is done) and returns the app hash it commits to. The
// block's writes stay readable over the version before it as the view
// Commit hands to CheckTx while the tree saves in the background.
func (a *App) stage(blockKV *store.Cache, req *abci.FinalizeBlockRequest, sum blockSummary) ([]byte, error) {
	waitStart := a.now()
	if err := a.waitSaved(); err != nil {
		return nil, err
	}
	sum.waited = a.now().Sub(waitStart)
	blockKV.SetParent(a.tree) // the tree now holds the committed state
	a.devices.Stage(blockKV)
	writeStart := a.now()
	if v := a.tree.Version(); v > 0 {
		prev, err := a.tree.Snapshot(v)
		if err != nil {
			return nil, fmt.Errorf("FinalizeBlock %d: %w", req.Height, err)
		}
		a.view = blockKV.WriteOver(store.ReadOnly(prev))
	} else {
		// The first block: InitChain's genesis writes went straight into
		// the tree, so there is no version to read under the block.
		blockKV.Write()
		a.view = nil
	}
	hashStart := a.now()
	appHash := a.tree.WorkingHash()
	a.staged = req.Height
	a.lastBlockTime = req.Time
	sum.write, sum.hash = hashStart.Sub(writeStart), a.now().Sub(hashStart)
	a.lastBlock = sum
	return appHash, nil
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
