package app

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/agreement"
	"github.com/depinhq/depin/x/auth"
	"github.com/depinhq/depin/x/bank"
	"github.com/depinhq/depin/x/compute"
	"github.com/depinhq/depin/x/device"
	"github.com/depinhq/depin/x/market"
	"github.com/depinhq/depin/x/network"
	"github.com/depinhq/depin/x/report"
	"github.com/depinhq/depin/x/reward"
	"github.com/depinhq/depin/x/share"
	"github.com/depinhq/depin/x/staking"
	"github.com/depinhq/depin/x/storage"
	"github.com/depinhq/depin/x/vpp"
)

// recentDevices bounds how many committed device records the app keeps
// decoded-ready in memory (a few hundred bytes each).
const recentDevices = 1_000_000

// AppVersion is the application protocol version reported to CometBFT.
const AppVersion = 1

// Config configures an App.
type Config struct {
	// ChainID must equal the genesis chain id; it is part of every sign
	// bytes.
	ChainID string
	// KeepRecent is how many recent state versions to keep for queries;
	// 0 keeps every version, and at least 2 are kept (the committed view
	// reads the version before the latest while the latest is saved).
	KeepRecent int64
	// SigWorkers is how many goroutines verify a block's signatures;
	// 0 means GOMAXPROCS. It never affects results.
	SigWorkers int
	// DeviceKeys is how many device public keys are kept expanded for
	// report verification (~1.5 KiB each; 0: none). It never affects
	// results, only speed.
	DeviceKeys int
	// Logger receives the app's logs; nil discards them.
	Logger *slog.Logger
	// Stopwatch, if set, reads the wall clock for the "block timing" debug
	// log line only: the state machine itself never reads the clock (the
	// node passes time.Now).
	Stopwatch func() time.Time
}

// Validate checks the config.
func (c Config) Validate() error {
	if c.ChainID == "" {
		return fmt.Errorf("app: chain id is empty")
	}
	if c.KeepRecent < 0 {
		return fmt.Errorf("app: keep_recent must be ≥ 0")
	}
	return nil
}

// App is the state machine. All its ABCI methods are safe for concurrent
// use. Block execution, commit, queries and the handshake serialize on mu;
// CheckTx takes only checkMu (held by Commit while it resets the CheckTx
// state), so the mempool keeps admitting txs while a block executes.
//
// Commit returns before the tree has written the block to disk: the save
// runs in the background, during CometBFT's pause between blocks, and
// everything that reads or writes the tree (the next FinalizeBlock, Query,
// Info) first waits for it. CheckTx meanwhile reads the block's writes
// over the previous version. A crash before the save ends loses nothing:
// the app reports the previous height on restart and CometBFT replays the
// block from its block store.
type App struct {
	abci.BaseApplication

	mu        sync.Mutex
	cfg       Config
	log       *slog.Logger
	tree      *store.Tree
	auth      auth.Keeper
	bank      bank.Keeper
	network   network.Keeper
	device    device.Keeper
	report    report.Keeper
	reward    reward.Keeper
	share     share.Keeper
	staking   staking.Keeper
	agreement agreement.Keeper
	market    market.Keeper
	storage   storage.Keeper
	compute   compute.Keeper
	vpp       vpp.Keeper
	// steps are the modules' per-network block steps, in order (modules.go).
	steps       []networkStep
	checkMu     sync.Mutex
	check       *store.Cache     // CheckTx state over the last committed version
	checkHeight int64            // height CheckTx assumes for the next block
	checkTime   time.Time        // time CheckTx assumes for the next block
	preps       *prepCache       // report batches CheckTx verified
	keys        *crypto.KeyCache // expanded device keys, for report verification
	devices     *store.Recent    // committed device records, for report batches
	staged      int64            // height finalized but not committed, or 0
	// view is the staged block's writes over the last committed version:
	// the state the block commits to, readable before the tree saves it.
	// nil when the block must be saved before Commit returns.
	view *store.Cache
	// committed is the last committed block's view while its save may
	// still run (nil: read the tree), and height its height: the next
	// block executes over it without waiting for the save.
	committed *store.Cache
	height    int64
	// executing is set during FinalizeBlock: CheckTx then verifies on one
	// core fewer (it never changes a result).
	executing atomic.Bool
	// saving is closed when the background save of the last committed
	// block ends (nil: none running); saveErr is its failure, if any.
	saving  chan struct{}
	saveErr error
	sigs    *sigCache // txs whose signature CheckTx verified
	// lastBlockTime is the time of the last finalized block; after Commit
	// CheckTx uses it as its best guess of the next block's time.
	lastBlockTime time.Time
	// lastBlock summarizes the finalized block for the commit log line.
	lastBlock blockSummary

	valUpdates []abci.ValidatorUpdate

	// AfterCommit, if set, is called with the new committed state after
	// every Commit (tests check invariants with it).
	AfterCommit func(height int64, r store.Reader)
}

var _ abci.Application = (*App)(nil)

// New returns an App over tree (opened at its latest version).
func New(cfg Config, tree *store.Tree) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.SigWorkers <= 0 {
		cfg.SigWorkers = runtime.GOMAXPROCS(0)
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	a := &App{cfg: cfg, log: lg, tree: tree, sigs: newSigCache(100_000), preps: newPrepCache(prepCacheReports),
		devices: store.NewRecent(device.DevicePrefix, recentDevices)}
	a.keys = crypto.NewKeyCache(cfg.DeviceKeys)
	a.wireModules()
	a.lastBlockTime = decodeTime(tree.Get(blockTimeKey))
	a.height = tree.Version()
	a.resetCheckState()
	return a, nil
}

// ChainID is the chain the app validates signatures for.
func (a *App) ChainID() string { return a.cfg.ChainID }

// resetCheckState points the CheckTx state at the last committed version.
// The caller holds mu and checkMu (or has the App to itself).
func (a *App) resetCheckState() {
	a.checkHeight = a.tree.Version() + 1
	a.checkTime = a.lastBlockTime
	var parent store.KV
	if v := a.tree.Version(); v > 0 {
		snap, err := a.tree.Snapshot(v)
		if err != nil {
			panic(err)
		}
		parent = store.ReadOnly(snap)
	} else {
		// Before the first block: genesis is not committed yet, so CheckTx
		// sees an empty state and rejects everything; blocks start at once.
		parent = store.NewCache(store.ReadOnly(store.NewMemTree()))
	}
	a.check = store.NewCache(parent)
}

// QueueValidatorUpdate schedules a validator power change (power 0
// removes the validator), returned to CometBFT at the end of the next
// FinalizeBlock; CometBFT applies it two blocks later. It is for callers
// outside the ABCI methods; modules running inside a block use
// queueValidatorUpdate.
func (a *App) QueueValidatorUpdate(u abci.ValidatorUpdate) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.queueValidatorUpdate(u)
}

// WaitCommitted waits until the last committed block is saved to disk
// and returns the save's error, if it failed. Call it before closing the
// tree.
func (a *App) WaitCommitted() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.waitSaved()
}

// waitSaved waits for the background save, if one runs; the caller holds
// mu. A failed save fails every later block: the node must stop.
func (a *App) waitSaved() error {
	if a.saving != nil {
		<-a.saving
		a.saving = nil
	}
	if a.saveErr != nil {
		return fmt.Errorf("saving the committed state failed; the node must be restarted: %w", a.saveErr)
	}
	return nil
}

// now reads the Stopwatch (the zero time without one); only durations
// for the block timing log come from it.
func (a *App) now() time.Time {
	if a.cfg.Stopwatch == nil {
		return time.Time{}
	}
	return a.cfg.Stopwatch()
}

func (a *App) queueValidatorUpdate(u abci.ValidatorUpdate) {
	a.valUpdates = append(a.valUpdates, u)
}

// Info implements abci.Application: CometBFT's handshake compares this
// height and hash with its block store and replays what the app missed.
func (a *App) Info(_ context.Context, _ *abci.InfoRequest) (*abci.InfoResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.waitSaved(); err != nil {
		return nil, err
	}
	return &abci.InfoResponse{
		Data:             "depin",
		Version:          "v1",
		AppVersion:       AppVersion,
		LastBlockHeight:  a.tree.Version(),
		LastBlockAppHash: a.tree.Hash(),
	}, nil
}

// deliver runs one decoded transaction against parent: ante (fee and
// sequence) then messages. A failed message leaves only the ante's changes.
func (a *App) deliver(ctx state.Context, tx *auth.Tx, prep map[int]*report.Prepared) *abci.ExecTxResult {
	parent := ctx.KV
	anteKV := store.NewCache(parent)
	actx := ctx.WithKV(anteKV)
	if err := a.auth.Ante(actx, tx); err != nil {
		return errResult(err)
	}
	anteKV.Write()
	// Every message says what it is and who sent it (indexed); the fee's
	// transfer is not indexed (every tx has one).
	msgEvents := make([]abci.Event, 0, len(tx.Body.Messages)+len(actx.Events.List()))
	for _, m := range tx.Body.Messages {
		action := "unknown"
		if in := inner(m); in != nil {
			action = string(in.Descriptor().FullName())
		}
		msgEvents = append(msgEvents, state.MessageEvent(action, tx.Signer.String()))
	}
	msgEvents = append(msgEvents, state.Unindexed(actx.Events.List())...)
	msgKV := store.NewCache(parent)
	mctx := ctx.WithKV(msgKV)
	for i, m := range tx.Body.Messages {
		// A handler that panics (a bug) fails its tx with an internal
		// error, code 1; it never stops the chain.
		err := a.safely("a message handler", func() error { return a.route(mctx, tx, m, prep[i]) })
		if err != nil {
			res := errResult(fmt.Errorf("message %d: %w", i, err))
			res.Events = msgEvents // the fee was paid
			return res
		}
	}
	msgKV.Write()
	return &abci.ExecTxResult{Code: 0, Events: append(msgEvents, mctx.Events.List()...)}
}

func errResult(err error) *abci.ExecTxResult {
	space, code, log := errs.Info(err)
	return &abci.ExecTxResult{Code: code, Codespace: space, Log: log}
}
