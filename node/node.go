package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	cmtcfg "github.com/cometbft/cometbft/config"
	cmtnode "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"
	"github.com/cometbft/cometbft/state/txindex"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/depinhq/depin/app"
	"github.com/depinhq/depin/store"
)

// Config configures a Node beyond what its home's files say.
type Config struct {
	Home   string
	Logger *slog.Logger
	// VerboseConsensus logs CometBFT's info messages at info level.
	VerboseConsensus bool
}

// Node is one running depin node.
type Node struct {
	home    string
	log     *slog.Logger
	comet   *cmtnode.Node
	cometCf *cmtcfg.Config
	appCf   AppConfig
	App     *app.App
	tree    *store.Tree
	api     *http.Server
	apiLn   net.Listener
	chainID string
	dbs     *dbTracker

	txSlots chan struct{} // POST /v1/txs in progress
	// checkTxTurn lets one POST /v1/txs at a time into the mempool. The
	// app's CheckTx calls are serialized anyway (one ABCI connection), but
	// a caller queued there holds the mempool's read lock, and the block
	// commit, which takes the write lock, would wait for every queued
	// CheckTx — ~50 ms each for a 5,000-report batch.
	checkTxTurn chan struct{}
	rpcEnvOnce  sync.Once
	txIndex     txindex.TxIndexer // for GET /v1/txs/{hash}; nil if indexing is off
	eventBus    *cmttypes.EventBus
	txWaiters   chan struct{} // GET /v1/txs/{hash}?wait= waiting
	txWaitSeq   atomic.Uint64
	invariants  *invariantChecker // nil unless app.toml check_invariants
}

// dbTracker opens CometBFT's databases and remembers the ones CometBFT does
// not close on Stop (the tx index), so a node can be restarted in-process.
type dbTracker struct {
	mu      sync.Mutex
	unowned []dbm.DB
}

func (t *dbTracker) provide(ctx *cmtcfg.DBContext) (dbm.DB, error) {
	db, err := cmtcfg.DefaultDBProvider(ctx)
	if err != nil {
		return nil, err
	}
	switch ctx.ID {
	case "blockstore", "state", "evidence": // closed by CometBFT's OnStop
		return &closedGuard{DB: db}, nil
	default:
		t.mu.Lock()
		t.unowned = append(t.unowned, db)
		t.mu.Unlock()
	}
	return db, nil
}

func (t *dbTracker) close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	var errs []error
	for _, db := range t.unowned {
		errs = append(errs, db.Close())
	}
	t.unowned = nil
	return errors.Join(errs...)
}

// New opens the node in cfg.Home: its state, keys and genesis. It does not
// start it.
func New(ctx context.Context, cfg Config) (*Node, error) {
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	cc, err := LoadCometConfig(cfg.Home)
	if err != nil {
		return nil, err
	}
	ac, err := LoadAppConfig(cfg.Home)
	if err != nil {
		return nil, err
	}
	gen, err := LoadGenesis(cfg.Home)
	if err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}
	for _, f := range []string{cc.PrivValidatorKeyFile(), cc.PrivValidatorStateFile(), cc.NodeKeyFile()} {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("node key file missing: %w", err)
		}
	}
	tree, err := store.OpenTree(cc.DBDir(), "app", store.TreeOptions{InitialVersion: uint64(gen.InitialHeight), CacheSize: ac.StateCacheNodes})
	if err != nil {
		return nil, err
	}
	a, err := app.New(app.Config{ChainID: gen.ChainID, KeepRecent: ac.KeepRecent, DeviceKeys: ac.DeviceKeyCache, Logger: lg.With("module", "app"), Stopwatch: time.Now}, tree)
	if err != nil {
		tree.Close()
		return nil, err
	}
	var inv *invariantChecker
	if ac.CheckInvariants {
		// Set before CometBFT's handshake, so blocks replayed at start are
		// checked too.
		inv = newInvariantChecker(cfg.Home, lg.With("module", "invariants"))
		a.AfterCommit = inv.afterCommit
		lg.Info("checking invariants after every block", "violations_file", InvariantViolationsPath(cfg.Home))
	}
	nk, err := p2p.LoadNodeKey(cc.NodeKeyFile())
	if err != nil {
		tree.Close()
		return nil, err
	}
	dbs := &dbTracker{}
	pv := privval.LoadFilePV(cc.PrivValidatorKeyFile(), cc.PrivValidatorStateFile())
	// One lock per ABCI connection, not one for all: the app guards its
	// own state, and the mempool's CheckTx runs while a block executes.
	cn, err := cmtnode.NewNode(ctx, cc, pv, nk,
		proxy.NewConnSyncLocalClientCreator(a),
		cmtnode.DefaultGenesisDocProviderFunc(cc),
		dbs.provide,
		cmtnode.DefaultMetricsProvider(cc.Instrumentation),
		newCometLogger(lg, cfg.VerboseConsensus),
	)
	if err != nil {
		tree.Close()
		return nil, fmt.Errorf("start cometbft: %w", err)
	}
	return &Node{home: cfg.Home, log: lg, comet: cn, cometCf: cc, appCf: ac, App: a, tree: tree, chainID: gen.ChainID, dbs: dbs,
		txSlots: make(chan struct{}, maxConcurrentTxPosts), checkTxTurn: make(chan struct{}, 1), txWaiters: make(chan struct{}, maxTxWaiters), invariants: inv}, nil
}

// ChainID of the node's chain.
func (n *Node) ChainID() string { return n.chainID }

// Home directory.
func (n *Node) Home() string { return n.home }

// Comet is the embedded CometBFT node.
func (n *Node) Comet() *cmtnode.Node { return n.comet }

// RPCURL is the CometBFT RPC address, e.g. http://127.0.0.1:26657.
func (n *Node) RPCURL() string { return "http://" + rpcHostPort(n.cometCf.RPC.ListenAddress) }

// P2PAddress is the p2p listen address.
func (n *Node) P2PAddress() string { return rpcHostPort(n.cometCf.P2P.ListenAddress) }

// APIURL is the REST API base URL, or "" if disabled.
func (n *Node) APIURL() string {
	if n.apiLn == nil {
		return ""
	}
	return "http://" + n.apiLn.Addr().String()
}

// NodeID is the p2p identity.
func (n *Node) NodeID() string { return string(n.comet.NodeInfo().ID()) }

// Start starts consensus, RPC and the REST API.
func (n *Node) Start() error {
	if n.appCf.APIAddress != "" {
		ln, err := net.Listen("tcp", n.appCf.APIAddress)
		if err != nil {
			return fmt.Errorf("REST API: %w", err)
		}
		n.apiLn = ln
		// The goroutine keeps its own reference: if CometBFT fails to
		// start, closeAPI clears n.api, possibly before Serve is called.
		srv := newAPIServer(n)
		n.api = srv
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				n.log.Error("REST API stopped", "err", err)
			}
		}()
	}
	if err := n.comet.Start(); err != nil {
		n.closeAPI()
		return err
	}
	return nil
}

// Run starts the node and blocks until ctx is done, then stops it.
func (n *Node) Run(ctx context.Context) error {
	if err := n.Start(); err != nil {
		return err
	}
	<-ctx.Done()
	return n.Close()
}

func (n *Node) closeAPI() {
	if n.api != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = n.api.Shutdown(sctx)
		n.api = nil
	}
}

// Close stops everything in reverse order of start and closes the state.
func (n *Node) Close() error {
	n.closeAPI()
	var errs []error
	if n.comet.IsRunning() {
		if err := n.comet.Stop(); err != nil {
			errs = append(errs, err)
		}
		n.comet.Wait()
	}
	if err := n.App.WaitCommitted(); err != nil {
		errs = append(errs, err)
	}
	if err := n.dbs.close(); err != nil {
		errs = append(errs, err)
	}
	if err := n.tree.Close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
