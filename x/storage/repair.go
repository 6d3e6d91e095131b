package storage

import (
	"bytes"
	"fmt"

	"github.com/depinhq/depin/crypto"
	storagev1 "github.com/depinhq/depin/gen/depin/storage/v1"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/x/bank"
)

// RepairDeal moves lost pieces of a deal to new nodes that hold them
// again. Anyone may repair: the repairer downloaded k pieces of the
// segment, rebuilt the lost ones (erasure coding is deterministic, so a
// rebuilt piece has the root the deal committed to) and uploaded them to
// the new nodes. The chain checks the repair is due (the segment has at
// most repair_threshold live pieces), each new node can take the piece
// (eligible, not already holding a piece of the segment, no second piece
// of the segment for its owner, capacity), and books the repair fee for
// the repairer, paid once the piece passes an audit at its new node — a
// repair onto a node that does not hold the bytes earns nothing and costs
// that node its audits.
func (k Keeper) RepairDeal(ctx state.Context, signer crypto.Address, m *storagev1.MsgRepairDeal) error {
	d := k.Deal(ctx.KV, m.Deal)
	if d == nil {
		return fmt.Errorf("%w: %d", ErrUnknownDeal, m.Deal)
	}
	if d.Status != storagev1.DealStatus_DEAL_STATUS_ACTIVE {
		return fmt.Errorf("%w: deal %d (%s)", ErrDealClosed, m.Deal, d.CloseReason)
	}
	if len(m.Repairs) == 0 || len(m.Repairs) > len(d.Pieces) {
		return fmt.Errorf("%w: %d repairs for a deal of %d pieces", ErrInvalidDeal, len(m.Repairs), len(d.Pieces))
	}
	if _, _, err := k.storageNetwork(ctx, d.Network); err != nil {
		return err
	}
	ps := newPayees()
	defer ps.flush(k, ctx.KV)
	if closed, err := k.settle(ctx, d, ps); err != nil || closed {
		if err == nil { // it expired by the epoch end: the running pass closes it
			err = fmt.Errorf("%w: deal %d (%s)", ErrDealClosed, m.Deal, d.CloseReason)
		}
		return err
	}
	// A segment's live pieces as the message finds them: repairs earlier in
	// the message do not count (one message may restore a whole segment).
	liveBefore := make([]uint32, d.Segments)
	for _, q := range d.Pieces {
		if !q.Lost && q.Segment < d.Segments {
			liveBefore[q.Segment]++
		}
	}
	seen := map[uint32]bool{}
	added := map[crypto.DeviceID]uint64{}
	for i, r := range m.Repairs {
		where := fmt.Sprintf("repair %d (piece %d)", i, r.Piece)
		if int(r.Piece) >= len(d.Pieces) || seen[r.Piece] {
			return fmt.Errorf("%w: %s: no such piece, or repaired twice", ErrInvalidDeal, where)
		}
		seen[r.Piece] = true
		p := d.Pieces[r.Piece]
		if !p.Lost {
			return fmt.Errorf("%w: %s is not lost", ErrInvalidDeal, where)
		}
		seg := d.Pieces[p.Segment*d.N : (p.Segment+1)*d.N]
		live := liveBefore[p.Segment]
		if live > d.RepairThreshold {
			return fmt.Errorf("%w: %s: segment %d has %d live pieces, more than the repair threshold %d", ErrInvalidDeal, where, p.Segment, live, d.RepairThreshold)
		}
		if live < d.K {
			return fmt.Errorf("%w: %s: segment %d has %d live pieces, fewer than the %d that rebuild it", ErrInvalidDeal, where, p.Segment, live, d.K)
		}
		node, err := crypto.AddressFromBytes(r.Node)
		if err != nil {
			return fmt.Errorf("%w: %s: node: %v", ErrInvalidDeal, where, err)
		}
		dev, err := k.node(ctx.KV, d.Network, node)
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		for _, q := range seg {
			if q.Lost {
				continue
			}
			if bytes.Equal(q.Node, node[:]) {
				return fmt.Errorf("%w: %s: node %s already holds a piece of segment %d", ErrInvalidDeal, where, crypto.DeviceString(node), p.Segment)
			}
			if other := k.Device.Get(ctx.KV, mustID(q.Node)); other != nil && bytes.Equal(other.Owner, dev.Owner) {
				return fmt.Errorf("%w: %s: the owner of node %s already holds a piece of segment %d", ErrInvalidDeal, where, crypto.DeviceString(node), p.Segment)
			}
		}
		if st := k.Stats(ctx.KV, node); st.UsedBytes+added[node]+p.Size > capacityBytes(dev) {
			return fmt.Errorf("%w: %s: node %s has no room for %d bytes", ErrNodeUnavailable, where, crypto.DeviceString(node), p.Size)
		}
		added[node] += p.Size
		fee := min(d.RepairFee, d.RepairBudget)
		d.RepairBudget -= fee
		p.Node, p.Lost, p.Repairer, p.RepairFeeDue = node.Bytes(), false, signer.Bytes(), fee
		k.indexPiece(ctx.KV, d, r.Piece)
		st := k.Stats(ctx.KV, node)
		st.UsedBytes += p.Size
		st.Pieces++
		k.setStats(ctx.KV, st)
		ctx.Emit(&storagev1.EventPieceRepaired{Deal: d.Id, Piece: r.Piece, Device: crypto.DeviceString(node), Repairer: signer.String(), FeeDue: fee})
	}
	k.setDeal(ctx.KV, d)
	return nil
}

// payRepair pays a piece's repairer the fee booked for it.
func (k Keeper) payRepair(ctx state.Context, d *storagev1.Deal, piece uint32) error {
	p := d.Pieces[piece]
	fee := min(p.RepairFeeDue, d.Escrow-d.Paid)
	if fee > 0 {
		to, err := crypto.AddressFromBytes(p.Repairer)
		if err != nil {
			return fmt.Errorf("deal %d piece %d: repairer: %w", d.Id, piece, err)
		}
		if err := k.Bank.Send(ctx, Escrow, to, bank.Coins(d.Denom, fee), "storage_repair"); err != nil {
			return err
		}
		d.Paid += fee
		ctx.Emit(&storagev1.EventRepairPaid{Deal: d.Id, Piece: piece, Repairer: to.String(), Amount: fee, Denom: d.Denom})
	}
	p.RepairFeeDue, p.Repairer = 0, nil
	if !p.Lost {
		k.indexPiece(ctx.KV, d, piece) // no longer due
	}
	return nil
}

func mustID(b []byte) crypto.DeviceID {
	id, _ := crypto.AddressFromBytes(b)
	return id
}
