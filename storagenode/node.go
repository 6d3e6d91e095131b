package storagenode

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/depinhq/depin/api/storage"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	storagev1 "github.com/depinhq/depin/gen/depin/storage/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
)

// Chain is what a storage node asks of the chain (package client's
// Client has it all).
type Chain interface {
	ChainID(ctx context.Context) (string, error)
	Device(ctx context.Context, id crypto.DeviceID, o client.QueryOptions) (*devicev1.Device, error)
	StorageParams(ctx context.Context, net string) (*storagev1.StorageParams, error)
	Endpoint(ctx context.Context, id crypto.DeviceID) (*storagev1.Endpoint, error)
	NetworkEpoch(ctx context.Context, net string, o client.QueryOptions) (uint64, bool, error)
	EpochPass(ctx context.Context, net string) (*storagev1.EpochPass, error)
	ChallengesFor(ctx context.Context, node crypto.DeviceID) ([]client.NodeChallenge, error)
	NodePieces(ctx context.Context, net string, node crypto.DeviceID) ([]client.PieceRef, error)
	Deal(ctx context.Context, id uint64, o client.QueryOptions) (*storagev1.Deal, error)
	SendTx(ctx context.Context, priv ed25519.PrivateKey, msgs []*txv1.Msg, opts client.TxOptions) (*client.TxResult, error)
}

var _ Chain = (*client.Client)(nil)

// Node is one storage node: the piece store, its HTTP server and its
// work on the chain (endpoint, audits, garbage collection).
type Node struct {
	cfg     Config
	log     *slog.Logger
	chain   Chain
	id      crypto.DeviceID
	network string
	url     string

	store   *Store
	serials *serials
	server  *pieceServer
	ln      net.Listener
	http    *http.Server

	audits auditor
	gc     collector

	relearnMu   sync.Mutex
	relearnLast time.Time

	ran       atomic.Bool
	closeOnce sync.Once
}

// New opens a storage node: it reads its device from the chain (it must
// be registered in a storage network, and owned by OwnerKey's account
// when one is given), opens the piece store in DataDir and listens on
// Listen. Run serves; Close stops.
func New(ctx context.Context, cfg Config, chain Chain) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	id := crypto.AddressFromPubKey(cfg.DeviceKey.Public().(ed25519.PublicKey))
	log = log.With("component", "storagenode", "device", crypto.DeviceString(id))
	chainID, err := chain.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	dev, err := chain.Device(ctx, id, client.QueryOptions{})
	if err != nil {
		return nil, err
	}
	if dev == nil {
		return nil, fmt.Errorf("storage node: device %s is not registered on chain %s: register it in a storage network first", crypto.DeviceString(id), chainID)
	}
	params, err := chain.StorageParams(ctx, dev.Network)
	if err != nil {
		return nil, fmt.Errorf("storage node: device %s is in network %s: %w", crypto.DeviceString(id), dev.Network, err)
	}
	if cfg.OwnerKey != nil {
		if owner := crypto.AddressFromPubKey(cfg.OwnerKey.Public().(ed25519.PublicKey)); string(owner[:]) != string(dev.Owner) {
			return nil, fmt.Errorf("storage node: the owner key is %s's, but device %s belongs to %s", owner, crypto.DeviceString(id), accountString(dev.Owner))
		}
	} else {
		log.Warn("no owner key: the node serves pieces but neither announces its endpoint nor answers audits (it will be disqualified)")
	}
	if certified := dev.Capacity * 1_000_000_000; dev.Capacity < 1<<34 && cfg.Capacity > certified {
		log.Warn("the capacity is more than the device's certified capacity: the chain places at most that much on it", "capacity", cfg.Capacity, "certified", certified)
	}
	store, err := OpenStore(cfg.DataDir, cfg.Capacity, log)
	if err != nil {
		return nil, err
	}
	ser, err := openSerials(cfg.DataDir, cfg.now().Unix())
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		ser.close()
		return nil, fmt.Errorf("storage node: listen on %s: %w", cfg.Listen, err)
	}
	n := &Node{cfg: cfg, log: log, chain: chain, id: id, network: dev.Network, store: store, serials: ser, ln: ln}
	n.url = cfg.PublicURL
	if n.url == "" {
		n.url = "http://" + ln.Addr().String()
	}
	n.server = &pieceServer{store: store, serials: ser, chainID: chainID, id: id, devKey: cfg.DeviceKey, maxTTL: cfg.MaxOrderTTL, now: cfg.now, log: log}
	n.server.relearn = n.relearnLive
	n.setParams(params)
	n.http = &http.Server{Handler: n.server.routes(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 16 << 10}
	n.audits = auditor{node: n, answered: map[challengeKey]bool{}}
	n.gc = collector{node: n, referenced: map[PieceID]bool{}}
	return n, nil
}

// relearnLive reads again which pieces live deals reference, at most once
// per PollInterval however many requests ask: a piece a repairer put here
// is the deal owner's to read as soon as the repair is on chain, not only
// at the next garbage collection.
func (n *Node) relearnLive(ctx context.Context) {
	n.relearnMu.Lock()
	defer n.relearnMu.Unlock()
	now := n.cfg.now()
	if now.Sub(n.relearnLast) < n.cfg.PollInterval {
		return
	}
	n.relearnLast = now
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := n.gc.refresh(ctx); err != nil && ctx.Err() == nil {
		n.log.Warn("reading the node's live pieces failed", "err", err)
	}
}

func (n *Node) setParams(p *storagev1.StorageParams) {
	n.server.leafSize.Store(p.LeafSize)
	n.server.maxPiece.Store(min(p.MaxPieceSize, n.cfg.MaxPieceSize))
}

// ID is the node's device id.
func (n *Node) ID() crypto.DeviceID { return n.id }

// URL is where the node serves (and what it announces).
func (n *Node) URL() string { return n.url }

// Addr is the HTTP listen address.
func (n *Node) Addr() string { return n.ln.Addr().String() }

// Network is the storage network the node is a device of.
func (n *Node) Network() string { return n.network }

// Store is the node's piece store.
func (n *Node) Store() *Store { return n.store }

// Run serves pieces and works on the chain until ctx ends or Close is
// called: it announces the node's URL, answers each epoch's audits and
// deletes pieces no deal references. Chain errors are logged and retried;
// only the HTTP server failing ends Run with an error.
func (n *Node) Run(ctx context.Context) error {
	if !n.ran.CompareAndSwap(false, true) {
		return errors.New("storage node: Run called twice")
	}
	defer n.Close()
	used, pieces, capacity := n.store.Usage()
	n.log.Info("storage node running", "url", n.url, "listen", n.Addr(), "network", n.network, "pieces", pieces, "used", used, "capacity", capacity)
	eg, ctx := errgroup.WithContext(ctx)
	eg.Go(func() error {
		if err := n.http.Serve(n.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	eg.Go(func() error {
		<-ctx.Done()
		n.Close()
		return nil
	})
	eg.Go(func() error {
		n.chainLoop(ctx)
		return nil
	})
	return eg.Wait()
}

// Close stops the HTTP server (requests in flight are cut) and closes
// the replay memory. Pieces on disk stay: a node opened over the same
// data directory serves them.
func (n *Node) Close() error {
	var err error
	n.closeOnce.Do(func() {
		err = n.http.Close()
		_ = n.ln.Close()
		if cerr := n.serials.close(); err == nil {
			err = cerr
		}
	})
	return err
}

func accountString(b []byte) string {
	a, err := crypto.AddressFromBytes(b)
	if err != nil {
		return fmt.Sprintf("%x", b)
	}
	return a.String()
}

// owner is the owner key's address.
func (n *Node) owner() []byte {
	return crypto.AddressFromPubKey(n.cfg.OwnerKey.Public().(ed25519.PublicKey)).Bytes()
}

// errNoOwnerKey: the node cannot sign transactions.
var errNoOwnerKey = errors.New("no owner key")

// send signs msgs with the owner's key and waits for their block.
func (n *Node) send(ctx context.Context, msgs ...*txv1.Msg) error {
	if n.cfg.OwnerKey == nil {
		return errNoOwnerKey
	}
	res, err := n.chain.SendTx(ctx, n.cfg.OwnerKey, msgs, client.TxOptions{})
	if err != nil {
		return err
	}
	if res.Code != 0 {
		return fmt.Errorf("tx failed: %s", res.Log)
	}
	return nil
}

// maxProofsPerTx is what one MsgSubmitAudits may carry: as many proofs
// as a node has challenges in an epoch, so one tx answers them all.
const maxProofsPerTx = storage.MaxProofs
