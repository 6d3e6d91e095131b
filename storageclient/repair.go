package storageclient

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/klauspost/reedsolomon"

	"github.com/depinhq/depin/api/storage"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	storagev1 "github.com/depinhq/depin/gen/depin/storage/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
)

// Repair is anyone's work, and paid: a segment whose live pieces fell to
// its deal's repair threshold (its other pieces' nodes were disqualified)
// is rebuilt from k of them and its lost pieces put on new nodes. The
// repairer never decrypts anything: it reads ciphertext pieces (a node
// serves a piece a live deal references to anyone's order), checks each
// against its root on chain, and Reed–Solomon rebuilds the others — the
// coding is deterministic, so a rebuilt piece has the root the deal
// committed to, which is checked before it is uploaded. The upload's
// order is the repairer's own (the piece id stays the deal owner's, so
// audits and downloads find it; the node records the repairer as its
// uploader). MsgRepairDeal then moves the pieces to their new nodes, and
// the chain pays the repair fee once each passes an audit there.

// ErrRebuild: the pieces of a segment rebuilt to bytes whose root is not
// the deal's (the deal was not coded as this client codes, or a piece was
// wrong in a way its root did not show). Nothing is uploaded.
var ErrRebuild = errors.New("the rebuilt piece does not have the deal's root")

// RepairOptions say which network to repair.
type RepairOptions struct {
	Network string // "": the chain's storage network, if it has one
}

// RepairedPiece is a piece moved to a new node.
type RepairedPiece struct {
	Deal    uint64
	Segment uint32
	Piece   uint32 // index into the deal's pieces
	Node    crypto.DeviceID
	Size    uint64
}

// RepairSkip is a segment due for repair that this pass left as it was,
// and why.
type RepairSkip struct {
	Deal    uint64
	Segment uint32
	Reason  string
}

// RepairReport is what one repair pass did.
type RepairReport struct {
	Network  string
	Deals    int // active deals looked at
	Due      int // segments due for repair
	Repaired []RepairedPiece
	Skipped  []RepairSkip
	TxHashes []string
}

// RepairPass looks once at every active deal of the network and repairs
// every segment that is due: at most its repair threshold of live pieces
// and at least k. A segment it cannot repair (k pieces unreadable, no
// eligible node left, a rebuilt root that does not match) is skipped and
// reported; a deal whose repair tx fails is reported in the error, after
// the other deals were tried.
func (c *Client) RepairPass(ctx context.Context, o RepairOptions) (*RepairReport, error) {
	net := o.Network
	if net == "" {
		var err error
		if net, err = c.DefaultNetwork(ctx); err != nil {
			return nil, err
		}
	}
	deals, err := c.chain.ActiveDeals(ctx, net)
	if err != nil {
		return nil, err
	}
	rep := &RepairReport{Network: net, Deals: len(deals)}
	var due []*storagev1.Deal
	for _, d := range deals {
		if len(dueSegments(d)) > 0 {
			due = append(due, d)
		}
	}
	if len(due) == 0 {
		return rep, nil
	}
	chainID, err := c.chain.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	nodes, err := c.chain.StorageNodes(ctx, net)
	if err != nil {
		return nil, err
	}
	r := &repairer{c: c, chainID: chainID, nodes: nodes, byID: map[crypto.DeviceID]client.StorageNode{}, added: map[crypto.DeviceID]uint64{}}
	for _, nd := range nodes {
		r.byID[nd.ID] = nd
	}
	// Better nodes first (reputation × free share), ties by id.
	slices.SortStableFunc(r.nodes, func(a, b client.StorageNode) int {
		if wa, wb := weight(a), weight(b); wa != wb {
			if wa > wb {
				return -1
			}
			return 1
		}
		return bytes.Compare(a.ID[:], b.ID[:])
	})
	var errs []error
	for _, d := range due {
		if err := r.deal(ctx, d, rep); err != nil {
			if ctx.Err() != nil {
				return rep, ctx.Err()
			}
			errs = append(errs, fmt.Errorf("deal %d: %w", d.Id, err))
		}
	}
	return rep, errors.Join(errs...)
}

// dueSegments are the segments of d with at most its repair threshold of
// live pieces, some lost, in order.
func dueSegments(d *storagev1.Deal) []uint32 {
	if d.N == 0 || uint64(len(d.Pieces)) != uint64(d.Segments)*uint64(d.N) {
		return nil
	}
	var out []uint32
	for s := uint32(0); s < d.Segments; s++ {
		if live := liveOf(d, s); live <= d.RepairThreshold && live < d.N {
			out = append(out, s)
		}
	}
	return out
}

func liveOf(d *storagev1.Deal, s uint32) uint32 {
	live := uint32(0)
	for _, p := range d.Pieces[s*d.N : (s+1)*d.N] {
		if !p.Lost {
			live++
		}
	}
	return live
}

// repairer is one repair pass.
type repairer struct {
	c       *Client
	chainID string
	nodes   []client.StorageNode // best first
	byID    map[crypto.DeviceID]client.StorageNode
	added   map[crypto.DeviceID]uint64 // bytes this pass put on each node
}

// deal repairs the due segments of d and sends one MsgRepairDeal for
// what it rebuilt and uploaded.
func (r *repairer) deal(ctx context.Context, d *storagev1.Deal, rep *RepairReport) error {
	f := &fetcher{c: r.c, chainID: r.chainID, deal: d, sem: make(chan struct{}, r.c.cfg.Transfers)}
	var repairs []*storagev1.PieceRepair
	var done []RepairedPiece
	for _, s := range dueSegments(d) {
		rep.Due++
		got, err := r.segment(ctx, f, d, s)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			rep.Skipped = append(rep.Skipped, RepairSkip{Deal: d.Id, Segment: s, Reason: err.Error()})
			r.c.log.Warn("a segment due for repair was skipped", "deal", d.Id, "segment", s, "err", err)
			continue
		}
		for _, g := range got {
			repairs = append(repairs, &storagev1.PieceRepair{Piece: g.Piece, Node: g.Node.Bytes()})
		}
		done = append(done, got...)
	}
	if len(repairs) == 0 {
		return nil
	}
	res, err := r.c.chain.SendTx(ctx, r.c.cfg.Key, []*txv1.Msg{{Sum: &txv1.Msg_RepairDeal{RepairDeal: &storagev1.MsgRepairDeal{
		Repairer: r.c.owner.Bytes(), Deal: d.Id, Repairs: repairs}}}}, client.TxOptions{})
	if err != nil {
		for _, g := range done {
			r.added[g.Node] -= g.Size
		}
		return fmt.Errorf("the repair tx for %d pieces: %w", len(repairs), err)
	}
	rep.Repaired = append(rep.Repaired, done...)
	rep.TxHashes = append(rep.TxHashes, res.Hash)
	r.c.log.Info("deal repaired", "deal", d.Id, "pieces", len(repairs), "tx", res.Hash)
	return nil
}

// segment rebuilds segment s of d and uploads every lost piece to a new
// node (the chain judges the repair threshold on the live pieces before
// the repair tx, so one tx restores the whole segment).
func (r *repairer) segment(ctx context.Context, f *fetcher, d *storagev1.Deal, s uint32) ([]RepairedPiece, error) {
	seg := d.Pieces[s*d.N : (s+1)*d.N]
	size := seg[0].Size
	for _, p := range seg {
		if p.Size != size {
			return nil, fmt.Errorf("its pieces differ in size (%d and %d bytes): not coded as this client codes", size, p.Size)
		}
	}
	live := liveOf(d, s)
	if live < d.K {
		return nil, fmt.Errorf("%w: %d live pieces, %d are needed", ErrUnrecoverable, live, d.K)
	}
	shards, err := r.download(ctx, f, d, s)
	if err != nil {
		return nil, err
	}
	if err := rebuild(d, s, shards); err != nil {
		return nil, err
	}
	// New nodes: eligible, holding no live piece of the segment, of an
	// owner holding none either, with room (counting what this pass put
	// on them already).
	inSeg, owners := map[crypto.DeviceID]bool{}, map[string]bool{}
	for _, p := range seg {
		id, _ := crypto.AddressFromBytes(p.Node)
		inSeg[id] = true // a lost piece's node is disqualified: not eligible anyway
		if nd, ok := r.byID[id]; ok && !p.Lost {
			owners[string(nd.Device.Owner)] = true
		}
	}
	var out []RepairedPiece
	var lastErr error
	for i, p := range seg {
		if !p.Lost {
			continue
		}
		idx := s*d.N + uint32(i)
		placed := false
		// The nodes this pass loaded least first (best first among equals),
		// so that the pieces of many segments spread.
		cands := slices.Clone(r.nodes)
		slices.SortStableFunc(cands, func(a, b client.StorageNode) int { return cmp.Compare(r.added[a.ID], r.added[b.ID]) })
		for _, nd := range cands {
			if inSeg[nd.ID] || owners[string(nd.Device.Owner)] || !Eligible(nd, r.added[nd.ID]+size) {
				continue
			}
			if err := r.put(ctx, nd, storage.PieceIDOf(d, p), shards[i], d.LeafSize, p.Root); err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				lastErr = err
				inSeg[nd.ID] = true // not again for this segment
				r.c.log.Warn("a node refused a repaired piece; trying another", "node", deviceString(nd.ID), "err", err)
				continue
			}
			inSeg[nd.ID], owners[string(nd.Device.Owner)] = true, true
			r.added[nd.ID] += size
			out = append(out, RepairedPiece{Deal: d.Id, Segment: s, Piece: idx, Node: nd.ID, Size: size})
			placed = true
			break
		}
		if !placed {
			if len(out) > 0 {
				return out, nil // repair what found a node
			}
			if lastErr != nil {
				return nil, fmt.Errorf("%w: no node took piece %d (the last refusal: %v)", ErrNotEnoughNodes, idx, lastErr)
			}
			return nil, fmt.Errorf("%w: no node can take piece %d (eligible, %d bytes free, no piece of the segment and an owner holding none)", ErrNotEnoughNodes, idx, size)
		}
	}
	return out, nil
}

// rebuild fills in the missing pieces of segment s of d from the k or
// more in shards (the others nil) and checks that every lost piece
// rebuilt has the deal's root: if one does not, the deal was not coded
// as this client codes, and nothing of the segment may be uploaded.
func rebuild(d *storagev1.Deal, s uint32, shards [][]byte) error {
	rs, err := reedsolomon.New(int(d.K), int(d.N-d.K))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrCoding, err)
	}
	if err := rs.Reconstruct(shards); err != nil {
		return fmt.Errorf("rebuilding: %w", err)
	}
	for i, p := range d.Pieces[s*d.N : (s+1)*d.N] {
		if !p.Lost {
			continue
		}
		if root := storage.MerkleRoot(shards[i], d.LeafSize); !bytes.Equal(root, p.Root) {
			return fmt.Errorf("piece %d: %w (%x, the deal has %x)", s*d.N+uint32(i), ErrRebuild, root, p.Root)
		}
	}
	return nil
}

// download fetches k live pieces of segment s, each checked against its
// root on chain, asking the next live piece's node whenever one fails;
// the others are nil.
func (r *repairer) download(ctx context.Context, f *fetcher, d *storagev1.Deal, s uint32) ([][]byte, error) {
	type cand struct {
		i   uint32
		id  crypto.DeviceID
		url string
	}
	var cands []cand
	for i, p := range d.Pieces[s*d.N : (s+1)*d.N] {
		id, _ := crypto.AddressFromBytes(p.Node)
		if nd, ok := r.byID[id]; ok && !p.Lost && nd.Endpoint != nil {
			cands = append(cands, cand{uint32(i), id, nd.Endpoint.Url})
		}
	}
	shards := make([][]byte, d.N)
	good, next := 0, 0
	var reasons []string
	for good < int(d.K) && next < len(cands) {
		batch := cands[next:min(next+int(d.K)-good, len(cands))]
		next += len(batch)
		type result struct {
			i    uint32
			data []byte
			err  error
		}
		results := make(chan result, len(batch))
		for _, cd := range batch {
			go func() {
				data, err := f.piece(ctx, cd.id, cd.url, d.Pieces[s*d.N+cd.i], nil)
				results <- result{cd.i, data, err}
			}()
		}
		for range batch {
			res := <-results
			if res.err != nil {
				reasons = append(reasons, res.err.Error())
				continue
			}
			shards[res.i] = res.data
			good++
		}
	}
	if good < int(d.K) {
		return nil, fmt.Errorf("%w: %d of its pieces could be read, %d are needed: %v", ErrUnrecoverable, good, d.K, reasons)
	}
	return shards, nil
}

// put uploads a rebuilt piece to node with the repairer's order and
// checks the node's receipt (Client.putPiece) for the deal's root at the
// deal's leaf size.
func (r *repairer) put(ctx context.Context, node client.StorageNode, id, data []byte, leafSize uint32, root []byte) error {
	return r.c.putPiece(ctx, r.chainID, node, id, data, leafSize, root)
}
