package demo

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/depinhq/depin/api/storage"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/keystore"
	"github.com/depinhq/depin/storageclient"
	"github.com/depinhq/depin/storagenet"
)

// The demo's real storage network: StorageNodes storage nodes on
// loopback that store what a client puts (encrypted, erasure-coded,
// audited on chain), beside the simulated "storage" fleet, which only
// reports GB-hours.
const (
	StorageNetwork  = "vault"
	StorageNodes    = 5
	StorageInterval = time.Minute // how often the client puts and gets a file
	// StorageUser is the demo account that creates the network, funds its
	// node owners and stores the files.
	StorageUser = "storage-user"
)

// storageFileSize is the size of each file the demo's client stores.
const storageFileSize = 48 << 10

// runStorage starts the storage nodes (data under home/storage), closes
// up, and then,
// every StorageInterval, puts a small random file k=2 of n=4 for ten
// minutes and gets it back, saying how each went. A failed put or get is
// said and tried again at the next interval; only nodes that cannot start
// end it.
func runStorage(ctx context.Context, c *client.Client, ks *keystore.Store, home string, log *slog.Logger, up chan<- struct{}, say func(string, ...any)) error {
	user, err := ks.Load(StorageUser, nil)
	if err != nil {
		return err
	}
	cfg := storagenet.DefaultConfig()
	cfg.Network, cfg.Nodes, cfg.EpochSeconds, cfg.Params = StorageNetwork, StorageNodes, EpochSeconds, storage.DefaultParams()
	cfg.Dir, cfg.Funder, cfg.Logger = filepath.Join(home, "storage"), user.Private, log.With("component", "storage")
	sn, err := storagenet.Start(ctx, c, cfg)
	if err != nil {
		return err
	}
	defer sn.Close()
	close(up) // the compute network keeps its module here
	say("  storage: %d nodes of network %s serving on loopback (%s, …); a file is put and got back every %s\n",
		StorageNodes, StorageNetwork, sn.Node(0).URL(), StorageInterval)
	scfg := storageclient.DefaultConfig()
	scfg.Key, scfg.Logger = user.Private, log.With("component", "storage-client")
	sc, err := storageclient.New(c, scfg)
	if err != nil {
		return err
	}
	tick := time.NewTicker(StorageInterval)
	defer tick.Stop()
	for {
		if line, err := putAndGet(ctx, sc); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			say("  storage: %v\n", err)
		} else {
			say("  storage: %s\n", line)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// putAndGet stores a random file and reads it back.
func putAndGet(ctx context.Context, sc *storageclient.Client) (string, error) {
	data := make([]byte, storageFileSize)
	rand.Read(data)
	start := time.Now()
	put, err := sc.Put(ctx, bytes.NewReader(data), uint64(len(data)), storageclient.PutOptions{Network: StorageNetwork, K: 2, N: 4,
		Duration: 10 * time.Minute, SegmentSize: storageFileSize / 2})
	if err != nil {
		return "", fmt.Errorf("put failed: %w", err)
	}
	putTook := time.Since(start)
	start = time.Now()
	var out bytes.Buffer
	if _, err := sc.Get(ctx, put.Deal, &out, storageclient.GetOptions{}); err != nil {
		return "", fmt.Errorf("deal %d: get failed: %w", put.Deal, err)
	}
	if !bytes.Equal(out.Bytes(), data) {
		return "", fmt.Errorf("deal %d: get returned other bytes", put.Deal)
	}
	return fmt.Sprintf("put %d KiB as deal %d (k=%d of n=%d, %d segments, encrypted) in %s; got it back byte-identical in %s",
		len(data)>>10, put.Deal, put.Layout.K, put.Layout.N, put.Layout.Segments, putTook.Round(time.Millisecond), time.Since(start).Round(time.Millisecond)), nil
}
