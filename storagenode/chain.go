package storagenode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/depinhq/depin/api/storage"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	storagev1 "github.com/depinhq/depin/gen/depin/storage/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
)

// chainLoop is the node's work on the chain: announce the endpoint until
// it is on chain, then every PollInterval answer the current epoch's
// challenges, and every GCInterval delete what no deal references. It
// retries whatever fails at the next tick.
func (n *Node) chainLoop(ctx context.Context) {
	announced := n.cfg.OwnerKey == nil
	nextGC := n.cfg.now().Add(n.cfg.GCInterval)
	tick := time.NewTicker(n.cfg.PollInterval)
	defer tick.Stop()
	// Pieces of live deals are readable by anyone (repairers) from the
	// start, not only after the first garbage collection.
	if _, err := n.gc.refresh(ctx); err != nil && ctx.Err() == nil {
		n.log.Warn("reading the node's live pieces failed; retrying at the next garbage collection", "err", err)
	}
	for polls := 0; ; polls++ {
		if !announced {
			if err := n.announce(ctx); err != nil {
				n.log.Warn("announcing the endpoint failed; retrying", "url", n.url, "err", err)
			} else {
				announced = true
			}
		}
		if polls%20 == 19 {
			if p, err := n.chain.StorageParams(ctx, n.network); err == nil {
				n.setParams(p)
			}
		}
		if n.cfg.OwnerKey != nil {
			if err := n.audits.poll(ctx); err != nil && ctx.Err() == nil {
				n.log.Warn("answering audits failed; retrying", "err", err)
			}
		}
		if now := n.cfg.now(); !now.Before(nextGC) {
			if err := n.gc.run(ctx); err != nil && ctx.Err() == nil {
				n.log.Warn("garbage collection failed; retrying", "err", err)
			}
			nextGC = now.Add(n.cfg.GCInterval)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// announce puts the node's URL on chain unless it is there already.
func (n *Node) announce(ctx context.Context) error {
	e, err := n.chain.Endpoint(ctx, n.id)
	if err != nil {
		return err
	}
	if e != nil && e.Url == n.url {
		return nil
	}
	err = n.send(ctx, &txv1.Msg{Sum: &txv1.Msg_SetEndpoint{SetEndpoint: &storagev1.MsgSetEndpoint{
		Owner: n.owner(), Device: n.id.Bytes(), Url: n.url}}})
	if err == nil {
		n.log.Info("endpoint announced on chain", "url", n.url)
	}
	return err
}

type challengeKey struct {
	deal  uint64
	piece uint32
	epoch uint64
}

// auditor answers the chain's challenges to this node.
type auditor struct {
	node     *Node
	answered map[challengeKey]bool // proven, or found unprovable (not held)
	done     uint64                // an epoch whose every challenge is answered
}

// poll answers the challenges of the network's current epoch not yet
// answered: for each, a Merkle proof of the challenged leaf of a piece
// the node holds, checked against the deal's root before it is sent (one
// bad proof would fail the whole tx). Pieces it does not hold, or holds
// with other bytes, it cannot prove: those are misses.
func (a *auditor) poll(ctx context.Context) error {
	n := a.node
	epoch, ok, err := n.chain.NetworkEpoch(ctx, n.network, client.QueryOptions{})
	if err != nil || !ok || epoch == a.done {
		return err
	}
	// The chain draws an epoch's challenges over the blocks after it
	// starts (x/storage's epoch pass, node by node): the epoch is done
	// once they are all drawn and answered.
	pass, err := n.chain.EpochPass(ctx, n.network)
	if err != nil {
		return err
	}
	drawn := pass == nil || pass.Epoch != epoch
	chs, err := n.chain.ChallengesFor(ctx, n.id)
	if err != nil {
		return err
	}
	var proofs []*storagev1.AuditProof
	var keys []challengeKey
	for _, ch := range chs {
		k := challengeKey{ch.Deal.Id, ch.Challenge.Piece, ch.Epoch}
		if ch.Epoch != epoch || ch.Passed || a.answered[k] {
			continue
		}
		p, err := a.prove(ch)
		if err != nil {
			n.log.Warn("cannot answer an audit", "deal", ch.Deal.Id, "piece", ch.Challenge.Piece, "epoch", epoch, "err", err)
			a.answered[k] = true
			continue
		}
		proofs, keys = append(proofs, p), append(keys, k)
	}
	for lo := 0; lo < len(proofs); lo += maxProofsPerTx {
		hi := min(lo+maxProofsPerTx, len(proofs))
		err := n.send(ctx, &txv1.Msg{Sum: &txv1.Msg_SubmitAudits{SubmitAudits: &storagev1.MsgSubmitAudits{
			Submitter: n.owner(), Device: n.id.Bytes(), Proofs: proofs[lo:hi]}}})
		if err != nil {
			return fmt.Errorf("submitting %d audit proofs of epoch %d: %w", hi-lo, epoch, err)
		}
		for _, k := range keys[lo:hi] {
			a.answered[k] = true
		}
		n.log.Info("audits answered", "epoch", epoch, "proofs", hi-lo)
	}
	for k := range a.answered {
		if k.epoch < epoch {
			delete(a.answered, k)
		}
	}
	if drawn {
		a.done = epoch
	}
	return nil
}

// prove builds the proof of a challenge from the stored piece.
func (a *auditor) prove(ch client.NodeChallenge) (*storagev1.AuditProof, error) {
	piece := ch.Piece()
	var id PieceID
	copy(id[:], storage.PieceIDOf(ch.Deal, piece))
	p, err := a.node.store.Open(id)
	if err != nil {
		return nil, fmt.Errorf("piece %s: %w", id, err)
	}
	defer p.Close()
	if p.Info.Size != piece.Size {
		return nil, fmt.Errorf("piece %s has %d bytes, the deal says %d", id, p.Info.Size, piece.Size)
	}
	ls := ch.Deal.LeafSize
	h := storage.NewMerkleHasher(ls)
	if _, err := io.Copy(h, io.NewSectionReader(p, 0, int64(p.Info.Size))); err != nil {
		return nil, err
	}
	if !bytes.Equal(h.Root(), piece.Root) {
		return nil, fmt.Errorf("piece %s on disk does not have the deal's root", id)
	}
	path, err := h.Path(ch.Leaf)
	if err != nil {
		return nil, err
	}
	off := ch.Leaf * uint64(ls)
	leaf := make([]byte, min(uint64(ls), piece.Size-off))
	if _, err := p.ReadAt(leaf, int64(off)); err != nil {
		return nil, err
	}
	if err := storage.VerifyLeaf(piece.Root, piece.Size, ls, ch.Leaf, leaf, path); err != nil {
		return nil, err
	}
	return &storagev1.AuditProof{Deal: ch.Deal.Id, Piece: ch.Challenge.Piece, Leaf: leaf, Path: path}, nil
}

// collector deletes pieces no deal references: at once if a deal
// referenced it before (the deal closed, or the node lost the piece to
// disqualification), else once its owner has uploaded nothing to this
// node for GCGrace (the client uploads every piece first and opens the
// deal after, so the first pieces of a long upload wait for the last; an
// upload whose deal never came goes GCGrace after its last piece).
type collector struct {
	node       *Node
	referenced map[PieceID]bool // seen referenced by a live deal
}

func (c *collector) run(ctx context.Context) error {
	n := c.node
	live, err := c.refresh(ctx)
	if err != nil {
		return err
	}
	now := n.cfg.now()
	pieces := n.store.List()
	lastUpload := map[crypto.Address]time.Time{}
	for _, p := range pieces {
		if p.Stored.After(lastUpload[p.Owner]) {
			lastUpload[p.Owner] = p.Stored
		}
	}
	deleted := 0
	for _, p := range pieces {
		if live[p.ID] {
			c.referenced[p.ID] = true
			continue
		}
		if !c.referenced[p.ID] && now.Sub(lastUpload[p.Owner]) < n.cfg.GCGrace {
			continue
		}
		if err := n.store.Delete(p.ID); err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrPieceBusy) {
			return err
		}
		delete(c.referenced, p.ID)
		deleted++
	}
	n.serials.forget(now.Unix())
	if deleted > 0 {
		used, pieces, _ := n.store.Usage()
		n.log.Info("deleted pieces no deal references", "deleted", deleted, "pieces", pieces, "used", used)
	}
	return nil
}

// refresh reads which pieces the node holds for live deals and lets
// anyone read those (pieceServer.live).
func (c *collector) refresh(ctx context.Context) (map[PieceID]bool, error) {
	n := c.node
	refs, err := n.chain.NodePieces(ctx, n.network, n.id)
	if err != nil {
		return nil, err
	}
	live := map[PieceID]bool{}
	deals := map[uint64]*storagev1.Deal{}
	for _, r := range refs {
		d, seen := deals[r.Deal]
		if !seen {
			if d, err = n.chain.Deal(ctx, r.Deal, client.QueryOptions{}); err != nil {
				return nil, err
			}
			deals[r.Deal] = d
		}
		if d == nil || int(r.Piece) >= len(d.Pieces) {
			continue
		}
		var id PieceID
		copy(id[:], storage.PieceIDOf(d, d.Pieces[r.Piece]))
		live[id] = true
	}
	n.server.live.Store(&live)
	return live, nil
}
