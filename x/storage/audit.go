package storage

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/big"

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

// EpochEnded implements network.EpochHook for storage networks. It
// judges the audits of the epoch that ended (a challenge not answered is
// a miss) and disqualifies nodes whose misses add up, then starts the
// epoch pass (pass.go) that, over this and the next blocks, pays every
// active deal's nodes that missed nothing for the time since they were
// last paid, closes expired deals, and challenges the new epoch: for
// each node, challenges_per_node of its live pieces and one leaf of
// each, drawn from this block's hash, which nobody knew in advance.
func (k Keeper) EpochEnded(ctx state.Context, n *networkv1.Network, ended, now uint64) error {
	if n.Class != networkv1.ResourceClass_RESOURCE_CLASS_STORAGE {
		return nil
	}
	judged, err := k.judge(ctx, n, ended)
	if err != nil {
		return err
	}
	perNode := uint32(0) // storage turned off: no new challenges; deals run out
	if sp := n.Params.Storage; sp != nil {
		perNode = sp.ChallengesPerNode
	}
	k.startPass(ctx, n.Id, ended, now, perNode, judged)
	return nil
}

// judge scores the challenges of epoch `ended`: a pass counts good, a miss
// bad in the node's reputation and a strike (and the epoch is the node's
// last_missed_epoch: the pass does not pay it); strikes halve after an
// epoch without a miss, and a node with MaxStrikes is disqualified:
// slashed, jailed, its pieces lost. It reads one record per node
// challenged, in node order, and deletes them all. It returns the
// budget units it used: a node's challenges as many as writing them
// cost (challengesCost), a miss 1 more (its event, the strike), a repair
// fee paid 1, a stale record 1.
func (k Keeper) judge(ctx state.Context, n *networkv1.Network, ended uint64) (int, error) {
	var stale [][]byte
	var current []*storagev1.NodeChallenges
	for key, nc := range state.Records[storagev1.NodeChallenges](ctx.KV, api.NetworkChallengesPrefix(n.Id)) {
		stale = append(stale, bytes.Clone(key))
		if nc.Epoch == ended {
			current = append(current, nc)
		}
	}
	for _, key := range stale { // read first, then write: no write while iterating
		ctx.KV.Delete(key)
	}
	cost := len(stale) - len(current)     // records of earlier epochs: deleted
	deals := map[uint64]*storagev1.Deal{} // read only to pay a repair, each once
	var paid []*storagev1.Deal            // deals that paid a repair, in the order they first did: written once each
	repaid := map[uint64]bool{}
	rp := network.RewardsOf(n.Params)
	for _, nc := range current {
		node, err := crypto.AddressFromBytes(nc.Node)
		if err != nil {
			return 0, fmt.Errorf("challenges of node %x: %w", nc.Node, err)
		}
		name := crypto.DeviceString(node)
		var passed, missed uint64
		for _, c := range nc.Challenges {
			if !c.Passed {
				missed++
				ctx.Emit(&storagev1.EventAuditMissed{Deal: c.Deal, Piece: c.Piece, Device: name, Epoch: ended})
				continue
			}
			passed++
			if !c.RepairDue {
				continue
			}
			d, seen := deals[c.Deal]
			if !seen {
				d = k.Deal(ctx.KV, c.Deal)
				deals[c.Deal] = d
			}
			if d != nil && int(c.Piece) < len(d.Pieces) && d.Pieces[c.Piece].RepairFeeDue > 0 {
				if !repaid[c.Deal] {
					repaid[c.Deal] = true
					paid = append(paid, d)
				}
				if err := k.payRepair(ctx, d, c.Piece); err != nil {
					return 0, err
				}
				cost++
			}
		}
		cost += challengesCost(len(nc.Challenges)) + int(missed)
		if passed+missed == 0 {
			continue
		}
		dev := k.Device.Get(ctx.KV, node)
		st := k.Stats(ctx.KV, node)
		st.AuditsPassed += passed
		st.AuditsMissed += missed
		if dev != nil {
			for i := uint64(0); i < passed; i++ {
				device.Observe(dev, rp, true)
			}
			for i := uint64(0); i < missed; i++ {
				device.Observe(dev, rp, false)
			}
			k.Device.Set(ctx.KV, dev)
		}
		if missed == 0 {
			st.Strikes /= 2
			k.setStats(ctx.KV, st)
			continue
		}
		st.Strikes = fixed.SatAdd(st.Strikes, missed)
		st.LastMissedEpoch = ended
		k.setStats(ctx.KV, st)
		if st.Strikes >= MaxStrikes && !st.Disqualified && dev != nil {
			k.disqualify(ctx, n, dev, node, st)
		}
	}
	for _, d := range paid {
		k.setDeal(ctx.KV, d)
	}
	return cost, nil
}

// disqualify takes a node out of storage: its stake is slashed (the
// network's fraud slash, the rest of it to the treasury) and it is
// jailed; from now on it is neither paid nor challenged, and takes no
// new pieces. Its pieces are marked lost in their deals (no longer paid
// or audited; what repair rebuilds) as the epoch pass that starts now
// visits them (work that grows with its pieces).
func (k Keeper) disqualify(ctx state.Context, n *networkv1.Network, dev *devicev1.Device, node crypto.DeviceID, st *storagev1.NodeStats) {
	rp := network.RewardsOf(n.Params)
	k.Device.Slash(ctx, dev, node, rp.SlashBps, 0, nil, nil)
	k.Device.Set(ctx.KV, dev)
	lost := uint32(min(st.Pieces, uint64(^uint32(0))))
	st.Disqualified, st.UsedBytes, st.Pieces = true, 0, 0
	k.setStats(ctx.KV, st)
	rep := device.ReputationOf(dev, rp)
	ppm := uint32(0)
	if s := rep.Alpha + rep.Beta; s > 0 {
		ppm = uint32(fixed.Frac(rep.Alpha, fixed.PPM, s))
	}
	ctx.Emit(&storagev1.EventNodeDisqualified{Device: crypto.DeviceString(node), Network: n.Id, ReputationPpm: ppm, PiecesLost: lost})
}

// pay pays a deal's nodes for the time since they were last paid, up to
// upTo or the deal's end: each node that holds live pieces of it and is
// neither disqualified nor missed (nil: none did), bytes × price ×
// seconds, to the node's current owner. What a node was not paid stays
// in the escrow (refunded at the end). The caller stores the deal and
// flushes ps.
func (k Keeper) pay(ctx state.Context, d *storagev1.Deal, upTo int64, missed func(crypto.DeviceID) bool, epoch uint64, ps *payees) error {
	until := min(upTo, d.EndTime)
	if until <= d.PaidUntil {
		return nil
	}
	secs := uint64(until - d.PaidUntil)
	bytesOf := map[crypto.DeviceID]uint64{}
	var order []crypto.DeviceID
	for _, p := range d.Pieces {
		node, _ := crypto.AddressFromBytes(p.Node)
		if p.Lost || (missed != nil && missed(node)) {
			continue
		}
		if _, ok := bytesOf[node]; !ok {
			order = append(order, node)
		}
		bytesOf[node] += p.Size
	}
	accounts := make(map[crypto.DeviceID]*storagev1.NodeAccount, len(d.Accounts))
	for _, a := range d.Accounts {
		node, _ := crypto.AddressFromBytes(a.Node)
		accounts[node] = a
	}
	for _, node := range order {
		pe := ps.get(k, ctx.KV, node)
		if !pe.payable {
			continue
		}
		acct := accounts[node]
		if acct == nil {
			acct = &storagev1.NodeAccount{Node: node.Bytes(), ByteSeconds: fixed.U128{}.Bytes()}
			d.Accounts = append(d.Accounts, acct)
		}
		bs, ok := fixed.U128FromBytes(acct.ByteSeconds).Add(fixed.Mul64(bytesOf[node], secs))
		if !ok {
			return fmt.Errorf("node %s: byte-seconds overflow", pe.name)
		}
		acct.ByteSeconds = bs.Bytes()
		due := dueFor(bs, d.PricePerGibMonth)
		amount := min(due-min(due, acct.Paid), d.Escrow-d.Paid) // never more than is left
		if amount == 0 {
			continue
		}
		if err := k.Bank.Send(ctx, Escrow, pe.owner, bank.Coins(d.Denom, amount), "storage_payment"); err != nil {
			return err
		}
		d.Paid += amount
		acct.Paid += amount
		ps.earn(pe, node, amount)
		ctx.Emit(&storagev1.EventDealPaid{Id: d.Id, Device: pe.name, Owner: pe.ownerName, Amount: amount, Denom: d.Denom, Epoch: epoch})
	}
	d.PaidUntil = until
	return nil
}

// payees remembers, over the payments of one block step or transaction
// (no owner changes meanwhile), what paying a node needs — whether it
// is disqualified or may be paid, its owner, their names — and adds up
// what each node earned, written to its record once (flush).
type payees struct {
	nodes  map[crypto.DeviceID]*payee
	earned []crypto.DeviceID // nodes that earned, in the order they first did
}

type payee struct {
	disqualified    bool
	payable         bool // a registered device, not disqualified
	owner           crypto.Address
	name, ownerName string
	earned          uint64
}

func newPayees() *payees { return &payees{nodes: map[crypto.DeviceID]*payee{}} }

func (ps *payees) get(k Keeper, r store.Reader, node crypto.DeviceID) *payee {
	if pe, ok := ps.nodes[node]; ok {
		return pe
	}
	pe := &payee{name: crypto.DeviceString(node), disqualified: k.Stats(r, node).Disqualified}
	if dev := k.Device.Get(r, node); dev != nil && !pe.disqualified {
		pe.payable = true
		pe.owner, _ = crypto.AddressFromBytes(dev.Owner)
		pe.ownerName = pe.owner.String()
	}
	ps.nodes[node] = pe
	return pe
}

func (ps *payees) earn(pe *payee, node crypto.DeviceID, amount uint64) {
	if pe.earned == 0 {
		ps.earned = append(ps.earned, node)
	}
	pe.earned = fixed.SatAdd(pe.earned, amount)
}

// flush adds what the nodes earned to their records.
func (ps *payees) flush(k Keeper, kv store.KV) {
	for _, node := range ps.earned {
		st := k.Stats(kv, node)
		st.Earned = fixed.SatAdd(st.Earned, ps.nodes[node].earned)
		k.setStats(kv, st)
		ps.nodes[node].earned = 0
	}
	ps.earned = nil
}

// dueFor is what byte-seconds come to at a price per GiB-month, rounded
// down (saturating at 2^64−1: more than any escrow).
func dueFor(bs fixed.U128, price uint64) uint64 {
	num := new(big.Int).SetBytes(bs.Bytes())
	num.Mul(num, new(big.Int).SetUint64(price))
	num.Quo(num, big.NewInt(api.GiB*api.MonthSecs))
	if !num.IsUint64() {
		return ^uint64(0)
	}
	return num.Uint64()
}

// draw is the i-th 64-bit number of the stream keyed by seed and key.
func draw(seed, key []byte, i uint64) uint64 {
	h := sha256.New()
	h.Write(seed)
	h.Write(key)
	h.Write(binary.BigEndian.AppendUint64(nil, i))
	return binary.BigEndian.Uint64(h.Sum(nil)[:8])
}

// SubmitAudits answers challenges of one node in the current epoch:
// each proof is the challenged leaf of a piece and its Merkle path to
// the piece's root. The signer must own the node; one proof that does
// not hold fails the whole message and records nothing. The node's
// challenge record holds what the checks need (a challenge lives only
// while its piece does), so the message reads the node's device, its
// network's epoch and the record, and writes the record once, however
// many proofs it carries; no deal is read.
func (k Keeper) SubmitAudits(ctx state.Context, signer crypto.Address, m *storagev1.MsgSubmitAudits) error {
	if len(m.Proofs) == 0 || len(m.Proofs) > api.MaxProofs {
		return fmt.Errorf("%w: %d proofs (1..%d)", ErrInvalidProof, len(m.Proofs), api.MaxProofs)
	}
	node, err := crypto.AddressFromBytes(m.Device)
	if err != nil {
		return fmt.Errorf("%w: device: %v", ErrInvalidProof, err)
	}
	name := crypto.DeviceString(node)
	dev := k.Device.Get(ctx.KV, node)
	if dev == nil {
		return fmt.Errorf("%w: %s is not a registered device", ErrInvalidProof, name)
	}
	if !bytes.Equal(dev.Owner, signer[:]) {
		return fmt.Errorf("%w: node %s is not the signer's", errs.ErrUnauthorized, name)
	}
	cur, _ := k.Network.LastEpoch(ctx.KV, dev.Network)
	nc := k.Challenges(ctx.KV, dev.Network, node)
	if nc == nil || nc.Epoch != cur {
		return fmt.Errorf("%w: node %s has no challenges in epoch %d of network %s", ErrInvalidProof, name, cur, dev.Network)
	}
	pieces := make([]*storagev1.PieceRef, len(m.Proofs))
	for i, pr := range m.Proofs {
		c := findChallenge(nc, pr.Deal, pr.Piece)
		if c == nil {
			return fmt.Errorf("%w: proof %d: deal %d piece %d is not challenged at node %s in epoch %d", ErrInvalidProof, i, pr.Deal, pr.Piece, name, cur)
		}
		if c.Passed { // by an earlier tx, or proof of this message
			return fmt.Errorf("%w: proof %d: deal %d piece %d: already answered", ErrInvalidProof, i, pr.Deal, pr.Piece)
		}
		if err := api.VerifyLeaf(c.Root, c.Size, c.LeafSize, c.Leaf, pr.Leaf, pr.Path); err != nil {
			return fmt.Errorf("%w: proof %d: deal %d piece %d, leaf %d: %v", ErrInvalidProof, i, pr.Deal, pr.Piece, c.Leaf, err)
		}
		c.Passed = true
		pieces[i] = &storagev1.PieceRef{Deal: pr.Deal, Piece: pr.Piece}
	}
	ctx.KV.Set(api.ChallengesKey(dev.Network, node), state.Marshal(nc))
	ctx.Emit(&storagev1.EventAuditsPassed{Device: name, Epoch: nc.Epoch, Pieces: pieces})
	return nil
}
