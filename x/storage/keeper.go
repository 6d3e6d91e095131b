// Package storage is the storage market: files' erasure-coded pieces held
// by the storage nodes (devices) of a STORAGE network, committed to by
// Merkle roots in a deal, audited on chain every epoch from an
// unpredictable seed (the block hash) and paid per proven byte-second
// from the deal's escrow to each node's current owner. Nodes that miss
// audits are not paid; nodes that keep missing are disqualified, slashed
// and their pieces marked lost for repair.
//
// The chain never sees a byte of a file: nodes serve pieces over HTTP
// (their Endpoint), clients encrypt, erasure-code and upload, and the
// chain checks one leaf per challenge against the piece's root.
package storage

import (
	"bytes"
	"encoding/hex"
	"fmt"

	api "github.com/depinhq/depin/api/storage"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	storagev1 "github.com/depinhq/depin/gen/depin/storage/v1"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/bank"
	"github.com/depinhq/depin/x/device"
	"github.com/depinhq/depin/x/fixed"
	"github.com/depinhq/depin/x/network"
)

// Escrow holds the funds of active deals.
var Escrow = crypto.ModuleAddress("storage_escrow")

// MaxStrikes: a node whose strikes (missed audits, halved after every
// epoch without a miss) reach this many is disqualified.
const MaxStrikes = 4

// Keeper runs storage deals and audits.
type Keeper struct {
	Bank    bank.Keeper
	Network network.Keeper
	Device  device.Keeper
	// BlockBudget bounds the pieces one block's epoch passes touch, over
	// every network (0: DefaultBlockBudget). Every validator must use the
	// same: it is set where the app is built, never from a node's
	// configuration.
	BlockBudget int
}

// Deal returns a deal, or nil.
func (Keeper) Deal(r store.Reader, id uint64) *storagev1.Deal {
	return state.Load[storagev1.Deal](r, DealKey(id))
}

// Endpoint returns a node's endpoint, or nil.
func (Keeper) Endpoint(r store.Reader, id crypto.DeviceID) *storagev1.Endpoint {
	return state.Load[storagev1.Endpoint](r, EndpointKey(id))
}

// Stats returns a node's storage record (zero if none).
func (Keeper) Stats(r store.Reader, id crypto.DeviceID) *storagev1.NodeStats {
	if s := state.Load[storagev1.NodeStats](r, StatsKey(id)); s != nil {
		return s
	}
	return &storagev1.NodeStats{Device: id.Bytes()}
}

func (Keeper) setStats(kv store.KV, s *storagev1.NodeStats) {
	id, _ := crypto.AddressFromBytes(s.Device)
	kv.Set(StatsKey(id), state.Marshal(s))
}

// storageNetwork returns an active STORAGE network with storage params.
func (k Keeper) storageNetwork(ctx state.Context, id string) (*networkv1.Network, *storagev1.StorageParams, error) {
	n, err := k.Network.Active(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if n.Class != networkv1.ResourceClass_RESOURCE_CLASS_STORAGE || n.Params.Storage == nil {
		return nil, nil, fmt.Errorf("%w: %s (class %s)", ErrNoStorage, id, n.Class)
	}
	return n, n.Params.Storage, nil
}

// SetEndpoint lets a storage node's owner say where it serves pieces.
func (k Keeper) SetEndpoint(ctx state.Context, signer crypto.Address, m *storagev1.MsgSetEndpoint) error {
	d, id, err := k.Device.Owned(ctx.KV, signer, m.Device)
	if err != nil {
		return err
	}
	if _, _, err := k.storageNetwork(ctx, d.Network); err != nil {
		return err
	}
	if d.Status != devicev1.DeviceStatus_DEVICE_STATUS_ACTIVE {
		return fmt.Errorf("%w: device %s is %s", ErrNodeUnavailable, crypto.DeviceString(id), d.Status)
	}
	if err := api.ValidateEndpoint(m.Url); err != nil {
		return err
	}
	ctx.KV.Set(EndpointKey(id), state.Marshal(&storagev1.Endpoint{Device: id.Bytes(), Url: m.Url, Height: ctx.Height}))
	ctx.Emit(&storagev1.EventEndpointSet{Device: crypto.DeviceString(id), Owner: signer.String(), Url: m.Url})
	return nil
}

// capacityBytes is a storage node's capacity: its certified capacity in
// GB (10^9 bytes), the storage kind's unit.
func capacityBytes(d *devicev1.Device) uint64 {
	if d.Capacity > ^uint64(0)/1_000_000_000 {
		return ^uint64(0)
	}
	return d.Capacity * 1_000_000_000
}

// OpenDeal stores a file: its pieces, already uploaded to the nodes they
// name, are committed to by their roots; the owner escrows the price of
// every piece's bytes for the whole duration.
func (k Keeper) OpenDeal(ctx state.Context, signer crypto.Address, m *storagev1.MsgOpenDeal) (uint64, error) {
	n, sp, err := k.storageNetwork(ctx, m.Network)
	if err != nil {
		return 0, err
	}
	pieces := uint64(m.Segments) * uint64(m.N)
	switch {
	case m.Size == 0:
		return 0, fmt.Errorf("%w: the file is empty: there is nothing to store", ErrInvalidDeal)
	case len(m.FileId) != api.FileIDLen:
		return 0, fmt.Errorf("%w: file id of %d bytes, want %d", ErrInvalidDeal, len(m.FileId), api.FileIDLen)
	case m.K == 0 || m.K >= m.N || m.N > api.MaxN:
		return 0, fmt.Errorf("%w: k=%d of n=%d pieces: want 1 ≤ k < n ≤ %d", ErrInvalidDeal, m.K, m.N, api.MaxN)
	case m.Segments == 0 || pieces > uint64(sp.MaxPieces):
		return 0, fmt.Errorf("%w: %d segments × %d pieces: at most %d pieces per deal", ErrInvalidDeal, m.Segments, m.N, sp.MaxPieces)
	case uint64(len(m.Pieces)) != pieces:
		return 0, fmt.Errorf("%w: %d pieces listed, want segments × n = %d", ErrInvalidDeal, len(m.Pieces), pieces)
	case m.DurationSeconds == 0 || m.DurationSeconds > sp.MaxDurationSeconds:
		return 0, fmt.Errorf("%w: duration %d s (1..%d)", ErrInvalidDeal, m.DurationSeconds, sp.MaxDurationSeconds)
	}
	var total uint64
	added := map[crypto.DeviceID]uint64{}
	nodes := map[crypto.DeviceID]*devicev1.Device{}
	for s := uint32(0); s < m.Segments; s++ {
		owners := map[crypto.Address]bool{}
		for i := uint32(0); i < m.N; i++ {
			p := m.Pieces[s*m.N+i]
			where := fmt.Sprintf("segment %d piece %d", s, i)
			if p.Segment != s || p.Index != i || p.Lost {
				return 0, fmt.Errorf("%w: %s is listed as segment %d piece %d: list pieces segment by segment, in order", ErrInvalidDeal, where, p.Segment, p.Index)
			}
			if p.Size == 0 || p.Size > sp.MaxPieceSize || len(p.Root) != api.HashSize {
				return 0, fmt.Errorf("%w: %s: size %d (1..%d) and a %d-byte root", ErrInvalidDeal, where, p.Size, sp.MaxPieceSize, api.HashSize)
			}
			id, err := crypto.AddressFromBytes(p.Node)
			if err != nil {
				return 0, fmt.Errorf("%w: %s: node: %v", ErrInvalidDeal, where, err)
			}
			d, ok := nodes[id]
			if !ok {
				if d, err = k.node(ctx.KV, n.Id, id); err != nil {
					return 0, fmt.Errorf("%s: %w", where, err)
				}
				nodes[id] = d
			}
			owner, _ := crypto.AddressFromBytes(d.Owner)
			if owners[owner] {
				return 0, fmt.Errorf("%w: %s: two pieces of one segment with nodes of one owner (%s): a segment must survive any owner leaving", ErrInvalidDeal, where, owner)
			}
			owners[owner] = true
			added[id] += p.Size
			total += p.Size // ≤ 4096 × 4 GiB
		}
	}
	for id, add := range added {
		st := k.Stats(ctx.KV, id)
		if st.UsedBytes+add > capacityBytes(nodes[id]) {
			return 0, fmt.Errorf("%w: node %s has %d of %d bytes free, the deal puts %d on it", ErrNodeUnavailable, crypto.DeviceString(id),
				capacityBytes(nodes[id])-min(st.UsedBytes, capacityBytes(nodes[id])), capacityBytes(nodes[id]), add)
		}
	}
	escrow, ok := api.Price(total, sp.PricePerGibMonth, m.DurationSeconds, true)
	if !ok {
		return 0, fmt.Errorf("%w: the price overflows", ErrInvalidDeal)
	}
	threshold := m.RepairThreshold
	if threshold == 0 {
		threshold = min(m.K+2, m.N-1)
	}
	if threshold < m.K || threshold >= m.N {
		return 0, fmt.Errorf("%w: repair threshold %d: want k ≤ threshold < n", ErrInvalidDeal, threshold)
	}
	budget, ok := fixed.Mul(sp.RepairFee, uint64(m.N-m.K)*uint64(m.Segments))
	if ok {
		escrow, ok = fixed.Add(escrow, budget)
	}
	if !ok {
		return 0, fmt.Errorf("%w: the price and repair budget overflow", ErrInvalidDeal)
	}
	if m.MaxEscrow != 0 && escrow > m.MaxEscrow {
		return 0, fmt.Errorf("%w: storing %d bytes for %d s (and its repairs) costs %d %s, more than max_escrow %d", ErrInvalidDeal, total, m.DurationSeconds, escrow, sp.Denom, m.MaxEscrow)
	}
	if escrow > 0 {
		if err := k.Bank.Send(ctx, signer, Escrow, bank.Coins(sp.Denom, escrow), "storage_escrow"); err != nil {
			return 0, err
		}
	}
	id := state.NextSeq(ctx.KV, api.SeqKey)
	now := ctx.Time.Unix()
	epoch, _ := k.Network.LastEpoch(ctx.KV, n.Id) // the current one: block steps ran before the txs
	deal := &storagev1.Deal{Id: id, Owner: signer.Bytes(), Network: n.Id, FileId: m.FileId, Size: m.Size, K: m.K, N: m.N, Segments: m.Segments,
		Pieces: m.Pieces, StartTime: now, EndTime: now + int64(m.DurationSeconds), Denom: sp.Denom, PricePerGibMonth: sp.PricePerGibMonth,
		LeafSize: sp.LeafSize, Escrow: escrow, Status: storagev1.DealStatus_DEAL_STATUS_ACTIVE, PaidUntil: now,
		RepairThreshold: threshold, RepairFee: sp.RepairFee, RepairBudget: budget, JudgedFrom: epoch}
	k.setDeal(ctx.KV, deal)
	ctx.KV.Set(api.OwnerIndexKey(signer, id), []byte{})
	ctx.KV.Set(api.ActiveKey(n.Id, id), []byte{})
	for i := range deal.Pieces {
		k.indexPiece(ctx.KV, deal, uint32(i))
	}
	for nid, add := range added {
		st := k.Stats(ctx.KV, nid)
		st.UsedBytes += add
		st.Pieces += uint64(countPieces(deal, nid))
		k.setStats(ctx.KV, st)
	}
	layout := make([]*storagev1.PiecePlacement, len(deal.Pieces))
	for i, p := range deal.Pieces {
		layout[i] = &storagev1.PiecePlacement{Device: crypto.DeviceString(mustID(p.Node)), Size: p.Size}
	}
	ctx.Emit(&storagev1.EventDealOpened{Id: id, Owner: signer.String(), Network: n.Id, Size: m.Size, Pieces: uint32(pieces),
		Escrow: escrow, Denom: sp.Denom, EndTime: deal.EndTime, K: m.K, N: m.N, Segments: m.Segments, FileId: hex.EncodeToString(m.FileId),
		PricePerGibMonth: sp.PricePerGibMonth, RepairThreshold: threshold, RepairBudget: budget, Layout: layout})
	return id, nil
}

func countPieces(d *storagev1.Deal, node crypto.DeviceID) int {
	c := 0
	for _, p := range d.Pieces {
		if !p.Lost && bytes.Equal(p.Node, node[:]) {
			c++
		}
	}
	return c
}

// node returns a device that can take pieces in network net: registered
// there, active, not disqualified, with an endpoint.
func (k Keeper) node(r store.Reader, net string, id crypto.DeviceID) (*devicev1.Device, error) {
	d := k.Device.Get(r, id)
	switch {
	case d == nil:
		return nil, fmt.Errorf("%w: %s is not a registered device", ErrNodeUnavailable, crypto.DeviceString(id))
	case d.Network != net:
		return nil, fmt.Errorf("%w: %s is a device of network %s", ErrNodeUnavailable, crypto.DeviceString(id), d.Network)
	case d.Status != devicev1.DeviceStatus_DEVICE_STATUS_ACTIVE:
		return nil, fmt.Errorf("%w: %s is %s", ErrNodeUnavailable, crypto.DeviceString(id), d.Status)
	case k.Stats(r, id).Disqualified:
		return nil, fmt.Errorf("%w: %s was disqualified", ErrNodeUnavailable, crypto.DeviceString(id))
	case k.Endpoint(r, id) == nil:
		return nil, fmt.Errorf("%w: %s has announced no endpoint (tx storage endpoint)", ErrNodeUnavailable, crypto.DeviceString(id))
	}
	return d, nil
}

func (Keeper) setDeal(kv store.KV, d *storagev1.Deal) { kv.Set(DealKey(d.Id), state.Marshal(d)) }

// indexPiece writes a live piece's entry in its node's piece index.
func (Keeper) indexPiece(kv store.KV, d *storagev1.Deal, piece uint32) {
	p := d.Pieces[piece]
	e := api.PieceEntry{Size: p.Size, LeafSize: d.LeafSize, Root: p.Root, RepairDue: p.RepairFeeDue > 0}
	kv.Set(api.PieceKey(d.Network, mustID(p.Node), d.Id, piece), e.Bytes())
}

// CloseDeal lets a deal's owner end it early: nodes are paid up to now
// (those not disqualified), the rest of the escrow is refunded and the
// nodes may delete the pieces.
func (k Keeper) CloseDeal(ctx state.Context, signer crypto.Address, m *storagev1.MsgCloseDeal) error {
	d := k.Deal(ctx.KV, m.Id)
	if d == nil {
		return fmt.Errorf("%w: %d", ErrUnknownDeal, m.Id)
	}
	if !bytes.Equal(d.Owner, signer[:]) {
		return fmt.Errorf("%w: deal %d belongs to another account", errs.ErrUnauthorized, m.Id)
	}
	if d.Status != storagev1.DealStatus_DEAL_STATUS_ACTIVE {
		return fmt.Errorf("%w: deal %d (%s)", ErrDealClosed, m.Id, d.CloseReason)
	}
	ps := newPayees()
	if closed, err := k.settle(ctx, d, ps); err != nil || closed {
		if err == nil { // it expired by the epoch end: the running pass closes it
			err = fmt.Errorf("%w: deal %d (%s)", ErrDealClosed, m.Id, d.CloseReason)
		}
		return err
	}
	if err := k.pay(ctx, d, ctx.Time.Unix(), nil, 0, ps); err != nil {
		return err
	}
	ps.flush(k, ctx.KV)
	return k.close(ctx, d, "closed by its owner")
}

// close ends a deal: the escrow not paid is refunded to its owner, the
// nodes' space is freed, the deal leaves the indexes, its challenges and
// the running pass's sample.
func (k Keeper) close(ctx state.Context, d *storagev1.Deal, reason string) error {
	k.unpick(ctx.KV, d)
	// Repairs whose piece was never audited but is still held are paid.
	for i, p := range d.Pieces {
		if p.RepairFeeDue > 0 && !p.Lost {
			if err := k.payRepair(ctx, d, uint32(i)); err != nil {
				return err
			}
		}
	}
	refund := d.Escrow - d.Paid
	if refund > 0 {
		owner, _ := crypto.AddressFromBytes(d.Owner)
		if err := k.Bank.Send(ctx, Escrow, owner, bank.Coins(d.Denom, refund), "storage_refund"); err != nil {
			return err
		}
	}
	type held struct{ bytes, pieces uint64 }
	freed := map[crypto.DeviceID]*held{}
	var nodes []crypto.DeviceID // in the order of the deal's pieces
	for i, p := range d.Pieces {
		node, _ := crypto.AddressFromBytes(p.Node)
		ctx.KV.Delete(api.PieceKey(d.Network, node, d.Id, uint32(i)))
		if !p.Lost {
			h := freed[node]
			if h == nil {
				h = &held{}
				freed[node] = h
				nodes = append(nodes, node)
			}
			h.bytes += p.Size
			h.pieces++
		}
	}
	for _, node := range nodes {
		k.dropChallenges(ctx.KV, d.Network, node, func(c *storagev1.Challenge) bool { return c.Deal == d.Id })
		st := k.Stats(ctx.KV, node)
		st.UsedBytes -= min(st.UsedBytes, freed[node].bytes)
		st.Pieces -= min(st.Pieces, freed[node].pieces)
		k.setStats(ctx.KV, st)
	}
	ctx.KV.Delete(api.ActiveKey(d.Network, d.Id))
	d.Refunded, d.Status, d.CloseReason = refund, storagev1.DealStatus_DEAL_STATUS_CLOSED, reason
	k.setDeal(ctx.KV, d)
	ctx.Emit(&storagev1.EventDealClosed{Id: d.Id, Reason: reason, Refunded: refund})
	return nil
}

// CheckInvariant verifies that the escrow holds exactly what active deals
// have not paid out, per denom, and that the indexes the epoch passes and
// audits read instead of the deals say what the deals do (checkIndexes).
func (k Keeper) CheckInvariant(r store.Reader) error {
	held := map[string]uint64{}
	active := map[uint64]*storagev1.Deal{}
	live := 0
	for _, d := range state.Records[storagev1.Deal](r, api.DealPrefix) {
		if d.Status == storagev1.DealStatus_DEAL_STATUS_ACTIVE {
			if d.Paid > d.Escrow {
				return fmt.Errorf("storage invariant: deal %d paid %d of an escrow of %d", d.Id, d.Paid, d.Escrow)
			}
			held[d.Denom] += d.Escrow - d.Paid
			active[d.Id] = d
			for _, p := range d.Pieces {
				if !p.Lost {
					live++
				}
			}
		}
	}
	if err := k.Bank.CheckEscrow(r, Escrow, held, "storage", "active deals"); err != nil {
		return err
	}
	return k.checkIndexes(r, active, live)
}

// checkIndexes verifies that the piece index holds exactly the live
// pieces of active deals, each with its entry as its deal says; that a
// node not disqualified counts exactly its indexed pieces (a
// disqualified one counts none: its pieces wait in the index until the
// epoch pass marks them lost); and that every challenge is of a live
// piece of the node whose record holds it and carries the piece as its
// deal says, a record's in (deal, piece) order.
func (k Keeper) checkIndexes(r store.Reader, active map[uint64]*storagev1.Deal, live int) error {
	indexed := 0
	perNode := map[crypto.DeviceID]uint64{}
	for key, v := range store.Prefix(r, api.PiecePrefix) {
		rest := key[len(api.PiecePrefix):]
		if len(rest) < 33 || rest[len(rest)-33] != 0 {
			return fmt.Errorf("storage invariant: piece index key %x", key)
		}
		net := string(rest[:len(rest)-33])
		node, id, piece, _ := api.PieceFromKey(net, key)
		d := active[id]
		if d == nil || d.Network != net || int(piece) >= len(d.Pieces) {
			return fmt.Errorf("storage invariant: piece index entry of deal %d piece %d, not an active deal's piece", id, piece)
		}
		p := d.Pieces[piece]
		want := api.PieceEntry{Size: p.Size, LeafSize: d.LeafSize, Root: p.Root, RepairDue: p.RepairFeeDue > 0}
		if p.Lost || !bytes.Equal(p.Node, node[:]) || !bytes.Equal(v, want.Bytes()) {
			return fmt.Errorf("storage invariant: piece index entry %x of deal %d piece %d (lost %v, node %x)", v, id, piece, p.Lost, p.Node)
		}
		indexed++
		perNode[node]++
	}
	if indexed != live {
		return fmt.Errorf("storage invariant: %d pieces indexed, %d live in active deals", indexed, live)
	}
	for _, st := range state.Records[storagev1.NodeStats](r, api.StatsPrefix) {
		node, _ := crypto.AddressFromBytes(st.Device)
		if want := perNode[node]; !st.Disqualified && st.Pieces != want || st.Disqualified && st.Pieces != 0 {
			return fmt.Errorf("storage invariant: node %s counts %d pieces, the index %d (disqualified %v)", crypto.DeviceString(node), st.Pieces, want, st.Disqualified)
		}
	}
	for key, nc := range state.Records[storagev1.NodeChallenges](r, api.ChallengePrefix) {
		node, err := crypto.AddressFromBytes(nc.Node)
		if err != nil || len(nc.Challenges) == 0 || len(nc.Challenges) > api.MaxChallengesPerNode {
			return fmt.Errorf("storage invariant: challenge record %x of node %x holds %d challenges", key, nc.Node, len(nc.Challenges))
		}
		for i, c := range nc.Challenges {
			d := active[c.Deal]
			if d == nil || int(c.Piece) >= len(d.Pieces) || !bytes.Equal(key, api.ChallengesKey(d.Network, node)) {
				return fmt.Errorf("storage invariant: challenge of node %s, deal %d piece %d, not an active deal's piece", crypto.DeviceString(node), c.Deal, c.Piece)
			}
			if i > 0 && !challengeBefore(nc.Challenges[i-1], c.Deal, c.Piece) {
				return fmt.Errorf("storage invariant: challenges of node %s out of (deal, piece) order at %d", crypto.DeviceString(node), i)
			}
			p := d.Pieces[c.Piece]
			if p.Lost || !bytes.Equal(p.Node, node[:]) || !bytes.Equal(p.Root, c.Root) || p.Size != c.Size || d.LeafSize != c.LeafSize || c.RepairDue && p.RepairFeeDue == 0 {
				return fmt.Errorf("storage invariant: challenge %v of node %s, deal %d piece %v", c, crypto.DeviceString(node), c.Deal, p)
			}
		}
	}
	return nil
}
