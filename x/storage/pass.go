package storage

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	api "github.com/depinhq/depin/api/storage"
	"github.com/depinhq/depin/crypto"
	storagev1 "github.com/depinhq/depin/gen/depin/storage/v1"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/store"
)

// An epoch end judges the ended epoch's audits at once (work bounded by
// the challenges: nodes × challenges_per_node) and starts an epoch pass
// (EpochPass, under api/storage.PassKey) for the rest, which grows with
// the deals and pieces anyone may open: x/storage's block step
// (BeginNetwork) does it over the next blocks, at most a budget of
// pieces per block shared by every network. In order:
//
//  1. pay: every deal active at the epoch end, by id: its pieces on
//     nodes disqualified are marked lost, its nodes paid up to the epoch
//     end's block time (not those that missed an audit since the deal
//     was last paid), and the deal closed if it ended by then;
//  2. challenge: every node's challenges of the new epoch are drawn from
//     the epoch end's block hash, node by node (a node's all in one
//     block, so a node that sees any has them all).
//
// Everything the pass needs from the epoch end is in its record, so the
// blocks it takes change nothing it pays or draws; transactions between
// them that change a deal (close, repair) first bring it to where the
// pass would leave it (settle). An epoch end while a pass still runs
// (more work than an epoch's blocks can do) replaces it: deals it had
// not visited are visited by the new pass, paid once for the whole time
// since they were last paid, and not to a node that missed an audit in
// any epoch judged in that time (Deal.judged_from); nodes it had not
// drawn challenges for go unaudited for that epoch.

// DefaultBlockBudget bounds the pieces one block's epoch passes touch,
// over every storage network: a deal visited costs its pieces + 1 (twice
// its pieces if it closes), a piece index entry read 1, a node's
// challenges written a quarter each (challengesCost), and judging them
// as much again, plus 1 a miss (the epoch end's judging, which cannot
// wait, counts against its block's budget). That keeps a block of
// the pass under ~0.5 s on the machine of docs/PERFORMANCE.md
// (BenchmarkStorageAudits, BenchmarkStorageManyDeals).
const DefaultBlockBudget = 20_000

// Budget is how many pieces one block's epoch passes may touch.
func (k Keeper) Budget() int {
	if k.BlockBudget > 0 {
		return k.BlockBudget
	}
	return DefaultBlockBudget
}

// Pass returns a network's running epoch pass, or nil.
func (Keeper) Pass(r store.Reader, net string) *storagev1.EpochPass {
	return state.Load[storagev1.EpochPass](r, api.PassKey(net))
}

// startPass starts the epoch pass of an epoch end (replacing one that
// still runs): deals up to the last one opened are paid up to now, and
// challengesPerNode of every node's pieces drawn for epoch now. What
// judging cost (judged units) is charged to this block's budget.
func (k Keeper) startPass(ctx state.Context, net string, ended, now uint64, challengesPerNode uint32, judged int) {
	last, _ := state.Uint64(ctx.KV, api.SeqKey)
	seed := sha256.New()
	seed.Write([]byte("depin/storage/v1/challenge\x00"))
	seed.Write(ctx.BlockHash)
	seed.Write([]byte(net))
	seed.Write(binary.BigEndian.AppendUint64(nil, now))
	p := &storagev1.EpochPass{Ended: ended, Epoch: now, PayUntil: ctx.Time.Unix(), LastDeal: last, Seed: seed.Sum(nil),
		ChallengesPerNode: challengesPerNode, Height: ctx.Height, Phase: storagev1.EpochPassPhase_EPOCH_PASS_PHASE_PAY, Judged: uint64(judged)}
	ctx.KV.Set(api.PassKey(net), state.Marshal(p))
}

// BeginNetwork runs a network's epoch pass, if one is running, touching
// at most *budget pieces (shared by every network of the block; the unit
// of work that crosses it — a deal, a piece — is finished, so a block
// may go over by one deal). It runs before the block's transactions.
func (k Keeper) BeginNetwork(ctx state.Context, net string, budget *int) error {
	p := k.Pass(ctx.KV, net)
	if p == nil {
		return nil
	}
	save := func() { ctx.KV.Set(api.PassKey(net), state.Marshal(p)) }
	charged := false
	if p.Judged > 0 { // the epoch end's judging counts against its block's budget
		if p.Height == ctx.Height && *budget > 0 {
			*budget -= int(min(p.Judged, uint64(*budget)))
		}
		p.Judged, charged = 0, true
	}
	if *budget <= 0 {
		if charged {
			save()
		}
		return nil
	}
	switch p.Phase {
	case storagev1.EpochPassPhase_EPOCH_PASS_PHASE_PAY:
		done, err := k.payDeals(ctx, net, p, budget)
		if err != nil || !done {
			save()
			return err
		}
		p.Phase = storagev1.EpochPassPhase_EPOCH_PASS_PHASE_CHALLENGE
		fallthrough
	case storagev1.EpochPassPhase_EPOCH_PASS_PHASE_CHALLENGE:
		if p.ChallengesPerNode > 0 {
			done, err := k.drawChallenges(ctx, net, p, budget)
			if err != nil || !done {
				save()
				return err
			}
			if p.Challenges > 0 {
				ctx.Emit(&storagev1.EventChallenged{Network: net, Epoch: p.Epoch, Challenges: p.Challenges})
			}
		}
	default:
		return fmt.Errorf("epoch pass of epoch %d in phase %s", p.Epoch, p.Phase)
	}
	ctx.KV.Delete(api.PassKey(net))
	return nil
}

// markLost marks a live piece of a deal lost (its node was disqualified):
// no longer paid or audited, what repair rebuilds. A repair onto the node
// that never passed an audit earns nothing: its fee goes back to the
// repair budget. The caller stores the deal.
func (k Keeper) markLost(ctx state.Context, d *storagev1.Deal, piece uint32) {
	p := d.Pieces[piece]
	if !p.Lost {
		d.RepairBudget += p.RepairFeeDue
		p.Lost, p.RepairFeeDue, p.Repairer = true, 0, nil
	}
	// Its node was disqualified, so it has no challenges to drop: judging
	// deleted its record when it disqualified it, and the pass draws none
	// for it (its pieces are lost before the pass draws; it takes no new
	// ones). The invariants check that no challenge is of a lost piece.
	ctx.KV.Delete(api.PieceKey(d.Network, mustID(p.Node), d.Id, piece))
}

// payDeals pays the deals active at the epoch end from p.NextDeal on
// and reports whether all are done. A deal costs len(pieces)+1, twice
// its pieces if it is closed.
func (k Keeper) payDeals(ctx state.Context, net string, p *storagev1.EpochPass, budget *int) (bool, error) {
	missed, ps := k.missedSince(ctx.KV, p), newPayees()
	defer ps.flush(k, ctx.KV)
	for *budget > 0 {
		// A batch of the index read first (no write while iterating), no
		// more than the budget could pay for.
		var ids []uint64
		for key := range store.Range(ctx.KV, api.ActiveKey(net, p.NextDeal), api.ActiveKey(net, p.LastDeal+1)) {
			if len(ids) == min(*budget, readBatch) {
				break
			}
			id, _ := api.DealIDFromIndexKey(key)
			ids = append(ids, id)
		}
		if len(ids) == 0 {
			return true, nil
		}
		for _, id := range ids {
			if *budget <= 0 {
				return false, nil
			}
			d := k.Deal(ctx.KV, id)
			if d == nil {
				return false, fmt.Errorf("deal %d is active but not stored", id)
			}
			cost, err := k.payForPass(ctx, p, d, missed, ps)
			if err != nil {
				return false, fmt.Errorf("deal %d: %w", id, err)
			}
			*budget -= cost
			p.NextDeal = id + 1
		}
	}
	return false, nil
}

// readBatch bounds the index entries the pass reads ahead of its work.
const readBatch = 1024

// payForPass visits a deal as pass p does: its pieces on disqualified
// nodes are marked lost, its nodes paid up to the epoch end (those that
// missed an audit since the deal was last paid are not), and it is
// closed if it ended by then. It returns the pieces it touched.
func (k Keeper) payForPass(ctx state.Context, p *storagev1.EpochPass, d *storagev1.Deal, missed func(crypto.DeviceID, uint64) bool, ps *payees) (int, error) {
	cost := len(d.Pieces) + 1
	for i, pc := range d.Pieces {
		if !pc.Lost && ps.get(k, ctx.KV, mustID(pc.Node)).disqualified {
			k.markLost(ctx, d, uint32(i))
		}
	}
	from := d.JudgedFrom
	if err := k.pay(ctx, d, p.PayUntil, func(node crypto.DeviceID) bool { return missed(node, from) }, p.Ended, ps); err != nil {
		return cost, err
	}
	d.JudgedFrom = max(d.JudgedFrom, p.Ended+1)
	if p.PayUntil >= d.EndTime {
		return cost + len(d.Pieces), k.close(ctx, d, "expired")
	}
	k.setDeal(ctx.KV, d)
	return cost, nil
}

// missedSince returns whether a node missed an audit in an epoch from
// `from` to the pass's ended epoch, reading each node's record once.
func (k Keeper) missedSince(r store.Reader, p *storagev1.EpochPass) func(node crypto.DeviceID, from uint64) bool {
	last := map[crypto.DeviceID]uint64{}
	return func(node crypto.DeviceID, from uint64) bool {
		e, ok := last[node]
		if !ok {
			e = k.Stats(r, node).LastMissedEpoch
			last[node] = e
		}
		return e != 0 && e >= from && e <= p.Ended
	}
}

// drawChallenges draws the new epoch's challenges, node by node in the
// piece index's order, and reports whether all are drawn. Each node's
// challenges_per_node distinct pieces are a uniform sample of its
// pieces of deals opened before the epoch end, drawn as the index is
// read (reservoir sampling, from a stream keyed by the seed and the
// node), so a node with more pieces than a block's budget is drawn over
// several blocks; one leaf of each, from the seed, the deal and the
// piece. A piece visited costs 1, a node's challenges written
// challengesCost.
func (k Keeper) drawChallenges(ctx state.Context, net string, p *storagev1.EpochPass, budget *int) (bool, error) {
	prefix := api.NetworkPiecesPrefix(net)
	type entry struct {
		key  []byte
		node crypto.DeviceID
		pick *storagev1.PiecePick
	}
	for *budget > 0 {
		// A batch of the index read first (no write while iterating).
		start := prefix
		if len(p.After) > 0 {
			start = append(bytes.Clone(p.After), 0) // the key right after
		}
		var batch []entry
		for key, v := range store.Range(ctx.KV, start, store.PrefixEnd(prefix)) {
			if len(batch) == min(*budget, readBatch) {
				break
			}
			node, deal, piece, ok := api.PieceFromKey(net, key)
			if _, vok := api.PieceEntryFromBytes(v); !ok || !vok {
				return false, fmt.Errorf("piece index entry %x = %x", key, v)
			}
			batch = append(batch, entry{bytes.Clone(key), node, &storagev1.PiecePick{Deal: deal, Piece: piece, Entry: bytes.Clone(v)}})
		}
		if len(batch) == 0 {
			if len(p.After) > 0 {
				last, _, _, _ := api.PieceFromKey(net, p.After)
				k.writeChallenges(ctx, net, last, p, budget) // the last node's
			}
			return true, nil
		}
		for _, e := range batch {
			if *budget <= 0 {
				return false, nil
			}
			if len(p.After) > 0 {
				if prev, _, _, _ := api.PieceFromKey(net, p.After); prev != e.node {
					k.writeChallenges(ctx, net, prev, p, budget)
				}
			}
			if e.pick.Deal <= p.LastDeal {
				if p.Seen < uint64(p.ChallengesPerNode) {
					p.Picks = append(p.Picks, e.pick)
				} else if j := draw(p.Seed, e.node[:], p.Seen) % (p.Seen + 1); j < uint64(len(p.Picks)) {
					p.Picks[j] = e.pick
				}
				p.Seen++
			}
			p.After = e.key
			*budget--
		}
	}
	return false, nil
}

// writeChallenges stores the challenges of node, whose pieces the pass
// has just visited, as one record, and starts the next node's sample. A
// challenge carries the piece's index entry (root, size, leaf size,
// repair due), so neither its proof nor its judgement reads the deal.
func (k Keeper) writeChallenges(ctx state.Context, net string, node crypto.DeviceID, p *storagev1.EpochPass, budget *int) {
	nc := &storagev1.NodeChallenges{Node: node.Bytes(), Epoch: p.Epoch}
	for _, pk := range p.Picks {
		e, _ := api.PieceEntryFromBytes(pk.Entry) // checked when picked
		leaves := api.Leaves(e.Size, e.LeafSize)
		if leaves == 0 {
			continue
		}
		leaf := draw(p.Seed, binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64(nil, pk.Deal), pk.Piece), 1<<63) % leaves
		nc.Challenges = append(nc.Challenges, &storagev1.Challenge{Deal: pk.Deal, Piece: pk.Piece, Leaf: leaf,
			Root: e.Root, Size: e.Size, LeafSize: e.LeafSize, RepairDue: e.RepairDue})
	}
	p.Picks, p.Seen = nil, 0
	if len(nc.Challenges) == 0 {
		return
	}
	sortChallenges(nc.Challenges)
	ctx.KV.Set(api.ChallengesKey(net, node), state.Marshal(nc))
	p.Challenges += uint32(len(nc.Challenges))
	*budget -= challengesCost(len(nc.Challenges))
}

// unpick takes a closing deal's pieces out of the sample the running
// pass holds of the node it is drawing (picked, not yet challenges: a
// node whose pieces span blocks), so no challenge of a closed deal is
// written. The node is challenged on fewer pieces that epoch. (Only a
// transaction closes a deal while a pass draws: the pass itself closes
// deals while it pays, before it picks any.)
func (k Keeper) unpick(kv store.KV, d *storagev1.Deal) {
	p := k.Pass(kv, d.Network)
	if p == nil || len(p.Picks) == 0 {
		return
	}
	kept := make([]*storagev1.PiecePick, 0, len(p.Picks))
	for _, pk := range p.Picks {
		if pk.Deal != d.Id {
			kept = append(kept, pk)
		}
	}
	if len(kept) < len(p.Picks) {
		p.Picks = kept
		kv.Set(api.PassKey(d.Network), state.Marshal(p))
	}
}

// settle brings a deal to where its network's running epoch pass would
// leave it, before a transaction changes it (close, repair): if the pass
// has yet to visit it, it does now (lost pieces, payment, expiry). So a
// transaction between the pass's blocks changes nothing the pass pays.
// (Pieces of disqualified nodes are only in deals the pass has yet to
// visit: nodes are disqualified at epoch ends, which start a pass, and
// take no new pieces.) It reports whether the deal was closed; the
// caller stores the deal and flushes ps.
func (k Keeper) settle(ctx state.Context, d *storagev1.Deal, ps *payees) (closed bool, err error) {
	p := k.Pass(ctx.KV, d.Network)
	if p == nil || p.Phase != storagev1.EpochPassPhase_EPOCH_PASS_PHASE_PAY || d.Id < p.NextDeal || d.Id > p.LastDeal {
		return false, nil
	}
	if _, err := k.payForPass(ctx, p, d, k.missedSince(ctx.KV, p), ps); err != nil {
		return false, err
	}
	return d.Status != storagev1.DealStatus_DEAL_STATUS_ACTIVE, nil
}
