package indexer

import (
	"database/sql"
	"errors"
	"fmt"
	"sort"

	"google.golang.org/protobuf/proto"

	storagev1 "github.com/depinhq/depin/gen/depin/storage/v1"
)

// The storage market (x/storage) from its events alone: deals with their
// pieces (EventDealOpened carries the layout), storage nodes (a row once
// a node announces its endpoint, or first holds a piece) whose used bytes,
// pieces, audits and earnings follow the chain's NodeStats, audit
// outcomes per node and epoch, payments and repairs.
//
// One difference from the chain's NodeStats: audits_passed counts every
// proof the chain accepted (EventAuditsPassed); the chain counts them when
// the epoch is judged, so a proof for a deal its owner closes later in
// the same epoch is in the index's count and not in the chain's.

// Deal and repair statuses as the index stores them (upper case: the
// explorer's words() turns them into "Active", "No fee" …).
const (
	dealActive = "ACTIVE"
	dealClosed = "CLOSED"

	repairDue       = "DUE"       // the fee is paid when the piece first passes an audit at its new node
	repairPaid      = "PAID"      // EventRepairPaid
	repairNoFee     = "NO_FEE"    // the deal's repair budget was spent
	repairForfeited = "FORFEITED" // the new node was disqualified first: the fee went back to the budget
	repairUnpaid    = "UNPAID"    // the deal ended with the fee still due and no escrow left to pay it
)

// applyStorage updates the storage tables for one storage event; ok is
// false for events of other modules.
func (w *blockWriter) applyStorage(m proto.Message) (ok bool, err error) {
	switch e := m.(type) {
	case *storagev1.EventEndpointSet:
		return true, w.endpointSet(e)
	case *storagev1.EventDealOpened:
		return true, w.dealOpened(e)
	case *storagev1.EventDealPaid:
		return true, w.dealPaid(e)
	case *storagev1.EventDealClosed:
		return true, w.dealClosed(e)
	case *storagev1.EventAuditsPassed:
		w.audits.add(e.Device, e.Epoch, int64(len(e.Pieces)), 0)
		return true, nil
	case *storagev1.EventAuditMissed:
		w.audits.add(e.Device, e.Epoch, 0, 1)
		return true, nil
	case *storagev1.EventNodeDisqualified:
		return true, w.nodeDisqualified(e)
	case *storagev1.EventPieceRepaired:
		return true, w.pieceRepaired(e)
	case *storagev1.EventRepairPaid:
		return true, w.repairPaid(e)
	}
	return false, nil
}

func (w *blockWriter) execStorage(q string, args ...any) error {
	_, err := w.tx.ExecContext(w.ctx, q, args...)
	return err
}

// storageNode makes sure a node has its row (in its device's network).
func (w *blockWriter) storageNode(device string) error {
	return w.execStorage(`INSERT INTO storage_nodes (device, network, endpoint, endpoint_height, used_bytes, pieces, audits_passed, audits_missed,
  disqualified, disqualified_height, earned)
VALUES ($1, COALESCE((SELECT network FROM devices WHERE id = $1), ''), '', 0, 0, 0, 0, 0, FALSE, 0, '0') ON CONFLICT (device) DO NOTHING`, device)
}

func (w *blockWriter) endpointSet(e *storagev1.EventEndpointSet) error {
	if err := w.storageNode(e.Device); err != nil {
		return err
	}
	return w.execStorage(`UPDATE storage_nodes SET endpoint = $1, endpoint_height = $2 WHERE device = $3`, e.Url, w.height, e.Device)
}

// holds adds (or with a negative sign takes away) pieces and bytes to a
// node's running totals, never below zero (as the chain saturates).
func (w *blockWriter) holds(device string, pieces, bytes int64) error {
	if err := w.storageNode(device); err != nil {
		return err
	}
	return w.execStorage(`UPDATE storage_nodes SET
  pieces = CASE WHEN pieces + $1 > 0 THEN pieces + $1 ELSE 0 END,
  used_bytes = CASE WHEN used_bytes + $2 > 0 THEN used_bytes + $2 ELSE 0 END WHERE device = $3`, pieces, bytes, device)
}

func (w *blockWriter) dealOpened(e *storagev1.EventDealOpened) error {
	var total uint64
	for _, p := range e.Layout {
		total += p.Size
	}
	if err := w.execStorage(`INSERT INTO storage_deals (id, owner, network, file_id, size, k, n, segments, pieces, piece_bytes, denom, price_per_gib_month,
  repair_threshold, repair_budget, escrow, paid, refunded, status, close_reason, start_time, end_time, opened_height, closed_height)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, '0', '0', $16, '', $17, $18, $19, 0)`,
		int64(e.Id), e.Owner, e.Network, e.FileId, dec(e.Size), int64(e.K), int64(e.N), int64(e.Segments), int64(e.Pieces), int64(total),
		e.Denom, dec(e.PricePerGibMonth), int64(e.RepairThreshold), dec(e.RepairBudget), dec(e.Escrow), dealActive,
		w.blockTime.Unix(), e.EndTime, w.height); err != nil {
		return err
	}
	// An event from before deals carried their layout has no pieces to
	// index (and no n to place them by).
	if e.N == 0 || len(e.Layout) == 0 {
		return nil
	}
	type held struct{ pieces, bytes int64 }
	per := map[string]*held{}
	var order []string
	rows := make([][]any, len(e.Layout))
	for i, p := range e.Layout {
		rows[i] = []any{int64(e.Id), i, i / int(e.N), p.Device, int64(p.Size), false}
		h := per[p.Device]
		if h == nil {
			h = &held{}
			per[p.Device] = h
			order = append(order, p.Device)
		}
		h.pieces++
		h.bytes += int64(p.Size)
	}
	if err := w.values(`INSERT INTO storage_pieces (deal, idx, segment, node, size, lost) VALUES `, "", "", rows); err != nil {
		return err
	}
	for _, d := range order {
		if err := w.holds(d, per[d].pieces, per[d].bytes); err != nil {
			return err
		}
	}
	return nil
}

func (w *blockWriter) dealPaid(e *storagev1.EventDealPaid) error {
	id := int64(e.Id)
	if err := w.execStorage(`INSERT INTO storage_payments (height, tx_index, seq, deal, device, owner, amount, denom, epoch) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		w.height, w.txIndex, w.seq, id, e.Device, e.Owner, dec(e.Amount), e.Denom, int64(e.Epoch)); err != nil {
		return err
	}
	if err := w.addText(`storage_deals`, `id`, id, map[string]uint64{"paid": e.Amount}); err != nil {
		return err
	}
	if err := w.storageNode(e.Device); err != nil {
		return err
	}
	if err := w.addText(`storage_nodes`, `device`, e.Device, map[string]uint64{"earned": e.Amount}); err != nil {
		return err
	}
	var paid string
	err := w.tx.QueryRowContext(w.ctx, `SELECT paid FROM storage_deal_nodes WHERE deal = $1 AND device = $2`, id, e.Device).Scan(&paid)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return w.execStorage(`INSERT INTO storage_deal_nodes (deal, device, paid) VALUES ($1, $2, $3)`, id, e.Device, dec(e.Amount))
	case err != nil:
		return err
	}
	return w.execStorage(`UPDATE storage_deal_nodes SET paid = $1 WHERE deal = $2 AND device = $3`, addDecimal(paid, e.Amount), id, e.Device)
}

// dealClosed ends a deal: the nodes' space is freed (live pieces only, as
// the chain does) and repairs whose fee is still due will not be paid.
func (w *blockWriter) dealClosed(e *storagev1.EventDealClosed) error {
	id := int64(e.Id)
	if err := w.execStorage(`UPDATE storage_deals SET status = $1, close_reason = $2, refunded = $3, closed_height = $4 WHERE id = $5`,
		dealClosed, e.Reason, dec(e.Refunded), w.height, id); err != nil {
		return err
	}
	if err := w.execStorage(`UPDATE storage_repairs SET status = $1 WHERE deal = $2 AND status = $3`, repairUnpaid, id, repairDue); err != nil {
		return err
	}
	rows, err := w.tx.QueryContext(w.ctx, `SELECT node, COUNT(*), SUM(size) FROM storage_pieces WHERE deal = $1 AND NOT lost GROUP BY node ORDER BY node`, id)
	if err != nil {
		return err
	}
	type held struct {
		node          string
		pieces, bytes int64
	}
	var free []held
	for rows.Next() {
		var h held
		if err := rows.Scan(&h.node, &h.pieces, &h.bytes); err != nil {
			rows.Close()
			return err
		}
		free = append(free, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, h := range free {
		if err := w.holds(h.node, -h.pieces, -h.bytes); err != nil {
			return err
		}
	}
	return nil
}

// auditTally sums a block's audit outcomes per node and epoch (an epoch
// end judges every node of a network at once, and a tx proves up to 256
// pieces): written once per node and epoch at the block's end. Audit
// counts change nothing else the storage tables keep, so they may wait.
type auditTally map[auditKey]*[2]int64

type auditKey struct {
	device string
	epoch  uint64
}

func (t *auditTally) add(device string, epoch uint64, passed, missed int64) {
	if *t == nil {
		*t = auditTally{}
	}
	k := auditKey{device, epoch}
	c := (*t)[k]
	if c == nil {
		c = &[2]int64{}
		(*t)[k] = c
	}
	c[0] += passed
	c[1] += missed
}

// flushAudits writes the block's audit outcomes, in node and epoch
// order, and empties the tally.
func (w *blockWriter) flushAudits() error {
	defer func() { w.audits = nil }()
	keys := make([]auditKey, 0, len(w.audits))
	for k := range w.audits {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].device < keys[j].device || keys[i].device == keys[j].device && keys[i].epoch < keys[j].epoch
	})
	perNode := map[string]*[2]int64{}
	var nodes []string
	for _, k := range keys {
		c := w.audits[k]
		if _, err := w.exec(`INSERT INTO storage_audits (network, device, epoch, passed, missed)
VALUES (COALESCE((SELECT network FROM devices WHERE id = $1), ''), $1, $2, $3, $4)
ON CONFLICT (device, epoch) DO UPDATE SET passed = storage_audits.passed + excluded.passed, missed = storage_audits.missed + excluded.missed`,
			k.device, int64(k.epoch), c[0], c[1]); err != nil {
			return err
		}
		n := perNode[k.device]
		if n == nil {
			n = &[2]int64{}
			perNode[k.device] = n
			nodes = append(nodes, k.device)
		}
		n[0] += c[0]
		n[1] += c[1]
	}
	for _, d := range nodes {
		if err := w.storageNode(d); err != nil {
			return err
		}
		if _, err := w.exec(`UPDATE storage_nodes SET audits_passed = audits_passed + $1, audits_missed = audits_missed + $2 WHERE device = $3`,
			perNode[d][0], perNode[d][1], d); err != nil {
			return err
		}
	}
	return nil
}

// nodeDisqualified: the chain marks the node's live pieces of active
// deals lost and empties its record; a repair onto it whose fee was
// still due earns nothing, and the fee goes back to its deal's budget.
func (w *blockWriter) nodeDisqualified(e *storagev1.EventNodeDisqualified) error {
	if err := w.storageNode(e.Device); err != nil {
		return err
	}
	active := `deal IN (SELECT id FROM storage_deals WHERE status = '` + dealActive + `')`
	if err := w.execStorage(`UPDATE storage_pieces SET lost = TRUE WHERE node = $1 AND NOT lost AND `+active, e.Device); err != nil {
		return err
	}
	rows, err := w.tx.QueryContext(w.ctx, `SELECT deal, fee_due FROM storage_repairs WHERE to_node = $1 AND status = $2 AND `+active+` ORDER BY deal`, e.Device, repairDue)
	if err != nil {
		return err
	}
	back := map[int64]uint64{}
	for rows.Next() {
		var deal int64
		var fee uint64
		if err := rows.Scan(&deal, &fee); err != nil {
			rows.Close()
			return err
		}
		back[deal] += fee
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	deals := make([]int64, 0, len(back))
	for d := range back {
		deals = append(deals, d)
	}
	sort.Slice(deals, func(i, j int) bool { return deals[i] < deals[j] })
	for _, d := range deals {
		if err := w.addText(`storage_deals`, `id`, d, map[string]uint64{"repair_budget": back[d]}); err != nil {
			return err
		}
	}
	if err := w.execStorage(`UPDATE storage_repairs SET status = $1 WHERE to_node = $2 AND status = $3 AND `+active, repairForfeited, e.Device, repairDue); err != nil {
		return err
	}
	return w.execStorage(`UPDATE storage_nodes SET disqualified = TRUE, disqualified_height = $1, used_bytes = 0, pieces = 0 WHERE device = $2`, w.height, e.Device)
}

// pieceRepaired moves a lost piece to its new node and books the repair.
func (w *blockWriter) pieceRepaired(e *storagev1.EventPieceRepaired) error {
	deal, piece := int64(e.Deal), int64(e.Piece)
	var from, network string
	var size int64
	err := w.tx.QueryRowContext(w.ctx, `SELECT p.node, p.size, d.network FROM storage_pieces p JOIN storage_deals d ON d.id = p.deal WHERE p.deal = $1 AND p.idx = $2`,
		deal, piece).Scan(&from, &size, &network)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("repair of deal %d piece %d: the index has no such piece", e.Deal, e.Piece)
	}
	if err != nil {
		return err
	}
	if err := w.execStorage(`UPDATE storage_pieces SET node = $1, lost = FALSE WHERE deal = $2 AND idx = $3`, e.Device, deal, piece); err != nil {
		return err
	}
	if err := w.holds(e.Device, 1, size); err != nil {
		return err
	}
	status := repairDue
	if e.FeeDue == 0 {
		status = repairNoFee
	}
	if err := w.execStorage(`INSERT INTO storage_repairs (height, tx_index, seq, network, deal, piece, from_node, to_node, repairer, fee_due, fee_paid, status, paid_height)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '0', $11, 0)`,
		w.height, w.txIndex, w.seq, network, deal, piece, from, e.Device, e.Repairer, dec(e.FeeDue), status); err != nil {
		return err
	}
	var budget string
	if err := w.tx.QueryRowContext(w.ctx, `SELECT repair_budget FROM storage_deals WHERE id = $1`, deal).Scan(&budget); err != nil {
		return err
	}
	return w.execStorage(`UPDATE storage_deals SET repair_budget = $1 WHERE id = $2`, subDecimal(budget, e.FeeDue), deal)
}

// repairPaid pays the piece's latest repair whose fee is due.
func (w *blockWriter) repairPaid(e *storagev1.EventRepairPaid) error {
	deal := int64(e.Deal)
	if err := w.addText(`storage_deals`, `id`, deal, map[string]uint64{"paid": e.Amount}); err != nil {
		return err
	}
	return w.execStorage(`UPDATE storage_repairs SET status = $1, fee_paid = $2, paid_height = $3
WHERE deal = $4 AND piece = $5 AND status = $6 AND height = (SELECT MAX(height) FROM storage_repairs WHERE deal = $4 AND piece = $5 AND status = $6)`,
		repairPaid, dec(e.Amount), w.height, deal, int64(e.Piece), repairDue)
}
