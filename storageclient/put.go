package storageclient

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/depinhq/depin/api/storage"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	storagev1 "github.com/depinhq/depin/gen/depin/storage/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
)

// PutOptions say how to store a file.
type PutOptions struct {
	Network     string        // "": the chain's storage network, if it has one
	K, N        uint32        // any K of each segment's N pieces restore it
	Duration    time.Duration // how long the deal runs
	SegmentSize uint64        // plaintext bytes per segment; 0: DefaultSegmentSize
	// Progress, if set, is called as pieces are stored: bytes of pieces
	// stored so far and in all.
	Progress func(done, total uint64)
}

// PutResult is what Put did.
type PutResult struct {
	Deal    uint64
	FileID  []byte
	Network string
	Layout  Layout
	Stored  uint64 // bytes of pieces uploaded (what the deal pays for)
	Escrow  uint64
	Denom   string
	EndTime int64
	// Nodes hold the pieces, each piece i of every segment on Nodes[i]
	// unless it went to a spare.
	Nodes    []crypto.DeviceID
	Replaced int // pieces a spare node took because their node failed
	TxHash   string
	Height   int64
	Uploaded time.Duration // from the start until every piece was stored (the rest: the deal's tx)
	Elapsed  time.Duration
}

// ErrDuration: a deal's duration outside the network's bounds.
var ErrDuration = errors.New("invalid storage duration")

// Put stores size bytes of src: it checks the request against the
// network before uploading anything (an empty file, k ≥ n, more pieces
// per segment than eligible nodes, a duration the network refuses),
// encrypts each segment with the owner's file key, codes it into N
// pieces, uploads them in parallel (a piece whose node fails goes to a
// spare node), checks every node's signed receipt against the piece's
// root, and opens the deal that commits to the roots. If the deal cannot
// be opened, the pieces uploaded are deleted again (best effort; nodes
// also drop pieces no deal references).
func (c *Client) Put(ctx context.Context, src io.ReaderAt, size uint64, o PutOptions) (*PutResult, error) {
	start := time.Now()
	if size == 0 {
		return nil, ErrEmptyFile
	}
	if o.K == 0 || o.K >= o.N || o.N > storage.MaxN {
		return nil, fmt.Errorf("%w: k=%d of n=%d: want 1 ≤ k < n ≤ %d", ErrCoding, o.K, o.N, storage.MaxN)
	}
	net := o.Network
	if net == "" {
		var err error
		if net, err = c.DefaultNetwork(ctx); err != nil {
			return nil, err
		}
	}
	params, err := c.chain.StorageParams(ctx, net)
	if err != nil {
		return nil, err
	}
	l, err := Plan(size, o.K, o.N, o.SegmentSize, params)
	if err != nil {
		return nil, err
	}
	secs := uint64(o.Duration / time.Second)
	if secs == 0 || secs > params.MaxDurationSeconds {
		return nil, fmt.Errorf("%w: %s; network %s takes deals of 1 s to %d days", ErrDuration, o.Duration, net, params.MaxDurationSeconds/86400)
	}
	escrow, ok := storage.Price(l.StoredBytes(), params.PricePerGibMonth, secs, true)
	budget := params.RepairFee * uint64(l.N-l.K) * uint64(l.Segments)
	if !ok || (params.RepairFee != 0 && budget/params.RepairFee != uint64(l.N-l.K)*uint64(l.Segments)) || escrow+budget < escrow {
		return nil, fmt.Errorf("%w: the price of %d bytes for %s overflows", ErrTooLarge, l.StoredBytes(), o.Duration)
	}
	escrow += budget
	chainID, err := c.chain.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	nodes, err := c.chain.StorageNodes(ctx, net)
	if err != nil {
		return nil, err
	}
	var seed [16]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return nil, err
	}
	rng := mrand.New(mrand.NewPCG(binary.BigEndian.Uint64(seed[:8]), binary.BigEndian.Uint64(seed[8:])))
	chosen, spares, err := ChooseNodes(nodes, int(l.N), l.NodeBytes(), rng)
	if err != nil {
		return nil, err
	}
	fileID := make([]byte, storage.FileIDLen)
	if _, err := rand.Read(fileID); err != nil {
		return nil, err
	}
	cd, err := newCodec(l, c.cfg.Key.Seed(), fileID)
	if err != nil {
		return nil, err
	}
	up := &uploader{c: c, chainID: chainID, fileID: fileID, leafSize: params.LeafSize, chosen: chosen, spares: spares,
		bad: map[crypto.DeviceID]error{}, sem: make(chan struct{}, c.cfg.Transfers), total: l.StoredBytes(), progress: o.Progress,
		pieces: make([]*storagev1.Piece, uint64(l.Segments)*uint64(l.N))}
	c.log.Info("storing a file", "network", net, "size", size, "segments", l.Segments, "k", l.K, "n", l.N, "nodes", len(chosen), "spares", len(spares))
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(c.cfg.Segments)
	// A segment is read into the buffer its pieces are then sealed and
	// coded in, and the buffers of stored segments are used again: a put
	// touches Segments' worth of fresh memory, not the file's n/k times
	// over (depin bench storage: the page faults of fresh buffers cost as
	// much CPU as the encryption).
	bufs := newBufPool(int(l.PieceSize(0)*uint64(l.N)), c.cfg.Segments) // segment 0 is the longest
	for s := uint32(0); s < l.Segments; s++ {
		eg.Go(func() error {
			buf := bufs.get()
			plain := buf[:l.SegmentLen(s)]
			if n, err := src.ReadAt(plain, int64(l.SegmentOffset(s))); n != len(plain) {
				return fmt.Errorf("reading segment %d of the file: %w", s, err)
			}
			pieces, err := cd.encodeInPlace(s, buf)
			if err != nil {
				return err
			}
			clean, err := up.segment(ectx, s, pieces)
			if clean {
				// Every piece went to its node in one try, so no request
				// that failed may still be reading the buffer.
				bufs.put(buf)
			}
			return err
		})
	}
	if err := eg.Wait(); err != nil {
		up.cleanup(context.WithoutCancel(ctx))
		return nil, err
	}
	uploaded := time.Since(start)
	m := &storagev1.MsgOpenDeal{Owner: c.owner.Bytes(), Network: net, FileId: fileID, Size: size, K: l.K, N: l.N, Segments: l.Segments,
		Pieces: up.pieces, DurationSeconds: secs, MaxEscrow: escrow}
	res, err := c.chain.SendTx(ctx, c.cfg.Key, []*txv1.Msg{{Sum: &txv1.Msg_OpenDeal{OpenDeal: m}}}, client.TxOptions{})
	if err != nil {
		up.cleanup(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("opening the deal: %w", err)
	}
	out := &PutResult{FileID: fileID, Network: net, Layout: l, Stored: l.StoredBytes(), Replaced: int(up.replaced.Load()),
		TxHash: res.Hash, Height: res.Height, Uploaded: uploaded, Elapsed: time.Since(start)}
	for _, nd := range chosen {
		out.Nodes = append(out.Nodes, nd.ID)
	}
	// The deal is the owner's one with this (random) file id.
	deals, err := c.chain.DealsOf(ctx, c.owner)
	if err != nil {
		return out, fmt.Errorf("the deal was opened (tx %s) but cannot be read: %w", res.Hash, err)
	}
	for _, d := range deals {
		if bytes.Equal(d.FileId, fileID) {
			out.Deal, out.Escrow, out.Denom, out.EndTime = d.Id, d.Escrow, d.Denom, d.EndTime
		}
	}
	if out.Deal == 0 {
		return out, fmt.Errorf("tx %s opened no deal of file %x", res.Hash, fileID)
	}
	c.log.Info("file stored", "deal", out.Deal, "escrow", out.Escrow, "denom", out.Denom, "elapsed", out.Elapsed)
	return out, nil
}

// uploader puts the pieces of one file.
type uploader struct {
	c        *Client
	chainID  string
	fileID   []byte
	leafSize uint32
	chosen   []client.StorageNode
	spares   []client.StorageNode
	sem      chan struct{}
	total    uint64
	done     atomic.Uint64
	progress func(done, total uint64)
	replaced atomic.Int32

	mu     sync.Mutex
	bad    map[crypto.DeviceID]error // nodes that failed an upload: no more pieces for them
	pieces []*storagev1.Piece        // segment-major, as the deal lists them
}

// segment uploads the pieces of segment s, piece i to chosen[i] unless
// that node fails, then to a spare whose owner holds no other piece of
// the segment. Clean says that every piece was stored by the first node
// asked: the pieces' bytes were read whole and are no longer being read.
func (u *uploader) segment(ctx context.Context, s uint32, pieces [][]byte) (clean bool, err error) {
	n := uint32(len(pieces))
	owners := map[string]int{}
	nodes := make([]client.StorageNode, n)
	for i := range nodes {
		nodes[i] = u.chosen[i]
		owners[string(nodes[i].Device.Owner)]++
	}
	var segMu sync.Mutex
	var failed atomic.Bool
	eg, ctx := errgroup.WithContext(ctx)
	for i := uint32(0); i < n; i++ {
		eg.Go(func() error {
			data := pieces[i]
			root := storage.MerkleRoot(data, u.leafSize)
			id := storage.PieceID(u.c.owner, u.fileID, s, i)
			segMu.Lock()
			node := nodes[i]
			segMu.Unlock()
			var lastErr error
			for {
				u.mu.Lock()
				badErr := u.bad[node.ID]
				u.mu.Unlock()
				if badErr == nil {
					err := u.put(ctx, node, id, data, root)
					if err == nil {
						u.mu.Lock()
						u.pieces[s*n+i] = &storagev1.Piece{Segment: s, Index: i, Node: node.ID.Bytes(), Root: root, Size: uint64(len(data))}
						u.mu.Unlock()
						return nil
					}
					failed.Store(true)
					if ctx.Err() != nil {
						return ctx.Err()
					}
					u.c.log.Warn("a storage node failed an upload; its pieces go to spares", "node", deviceString(node.ID), "err", err)
					u.mu.Lock()
					u.bad[node.ID] = err
					u.mu.Unlock()
					badErr = err
				}
				lastErr = badErr
				segMu.Lock()
				next, ok := u.spare(owners, nodes, node)
				if ok {
					owners[string(node.Device.Owner)]--
					owners[string(next.Device.Owner)]++
					nodes[i] = next
				}
				segMu.Unlock()
				if !ok {
					return fmt.Errorf("segment %d piece %d: %w: no spare node left to take it (the last failure: %v)", s, i, ErrNotEnoughNodes, lastErr)
				}
				u.replaced.Add(1)
				node = next
			}
		})
	}
	err = eg.Wait()
	return err == nil && !failed.Load(), err
}

// spare is the best spare node not failed, not in the segment and of an
// owner with no piece of it (the one leaving excepted).
func (u *uploader) spare(owners map[string]int, seg []client.StorageNode, leaving client.StorageNode) (client.StorageNode, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, sp := range u.spares {
		if u.bad[sp.ID] != nil {
			continue
		}
		inSeg := false
		for _, nd := range seg {
			inSeg = inSeg || nd.ID == sp.ID
		}
		o, held := string(sp.Device.Owner), 0
		if held = owners[o]; o == string(leaving.Device.Owner) {
			held-- // the leaving node's piece moves
		}
		if inSeg || held > 0 {
			continue
		}
		return sp, true
	}
	return client.StorageNode{}, false
}

// put uploads one piece to node and checks its receipt: signed by that
// node for this chain, for this piece, owner and order, with the root
// and size the client computed.
func (u *uploader) put(ctx context.Context, node client.StorageNode, id, data, root []byte) error {
	select {
	case u.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-u.sem }()
	if err := u.c.putPiece(ctx, u.chainID, node, id, data, u.leafSize, root); err != nil {
		return err
	}
	done := u.done.Add(uint64(len(data)))
	if u.progress != nil {
		u.progress(done, u.total)
	}
	return nil
}

// putPiece uploads one piece to node under the client's order and checks
// the node's receipt: signed by that node for this chain, for this piece,
// owner (the client's key) and size, with the root the caller expects at
// leafSize. Put and repair both upload through it.
func (c *Client) putPiece(ctx context.Context, chainID string, node client.StorageNode, id, data []byte, leafSize uint32, root []byte) error {
	res, err := c.request(ctx, chainID, http.MethodPut, node.Endpoint.Url, node.ID, id, uint64(len(data)), data)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, storage.MaxReceiptBytes+1))
	if err != nil {
		return fmt.Errorf("node %s: reading its receipt: %w", deviceString(node.ID), err)
	}
	r, err := storage.DecodeReceipt(raw)
	if err == nil {
		err = r.Verify(chainID)
	}
	switch {
	case err != nil:
	case r.Node != node.ID:
		err = fmt.Errorf("the receipt is signed by %s", deviceString(r.Node))
	case !bytes.Equal(r.PieceId, id) || !bytes.Equal(r.Owner, c.owner[:]) || r.Size != uint64(len(data)):
		err = errors.New("the receipt is for another piece")
	case !bytes.Equal(r.Root, root) || r.LeafSize != leafSize:
		err = fmt.Errorf("the node stored bytes with root %x at leaf size %d, not %x at %d", r.Root, r.LeafSize, root, leafSize)
	}
	if err != nil {
		return fmt.Errorf("node %s: bad receipt: %w", deviceString(node.ID), err)
	}
	return nil
}

// cleanup deletes the pieces uploaded for a deal that will not be
// opened.
func (u *uploader) cleanup(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	byID := map[crypto.DeviceID]client.StorageNode{}
	for _, nd := range append(append([]client.StorageNode(nil), u.chosen...), u.spares...) {
		byID[nd.ID] = nd
	}
	var wg sync.WaitGroup
	for _, p := range u.pieces {
		if p == nil {
			continue
		}
		node, _ := crypto.AddressFromBytes(p.Node)
		nd := byID[node]
		wg.Add(1)
		go func() {
			defer wg.Done()
			u.sem <- struct{}{}
			defer func() { <-u.sem }()
			res, err := u.c.request(ctx, u.chainID, http.MethodDelete, nd.Endpoint.Url, node, storage.PieceID(u.c.owner, u.fileID, p.Segment, p.Index), 0, nil)
			if err == nil {
				res.Body.Close()
			}
		}()
	}
	wg.Wait()
}
