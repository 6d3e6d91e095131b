package graph

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The storage market's queries (tables of migration 6, kept by
// indexer/storage.go). Byte counts go out as decimal strings.

// MaxDealNodes bounds StorageDeal.nodes (n ≤ 64 pieces per segment, so a
// deal whose segments all use the same nodes shows every one).
const MaxDealNodes = 64

// MaxNodeAudits bounds the nodes StorageMarket.nodeAudits follows.
const MaxNodeAudits = 10

// gb is the storage kind's capacity unit: a device's capacity is in GB.
const gb = 1_000_000_000

// capacityBytes is a node's certified capacity in bytes, saturating as
// the chain does (x/storage capacityBytes).
func capacityBytes(gbs int64) uint64 {
	if gbs <= 0 {
		return 0
	}
	if uint64(gbs) > ^uint64(0)/gb {
		return ^uint64(0)
	}
	return uint64(gbs) * gb
}

func u64(v uint64) string { return strconv.FormatUint(v, 10) }

// storageMarket is network id's storage market, or nil when the index
// has seen none there.
func (r *Resolver) storageMarket(ctx context.Context, id string) (*StorageMarket, error) {
	m := &StorageMarket{Network: id}
	var used, disq int64
	if err := r.DB.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(used_bytes), 0), COALESCE(SUM(CASE WHEN disqualified THEN 1 ELSE 0 END), 0)
FROM storage_nodes WHERE network = $1`, id).Scan(&m.NodeCount, &used, &disq); err != nil {
		return nil, err
	}
	var active int64
	if err := r.DB.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN status = 'ACTIVE' THEN 1 ELSE 0 END), 0) FROM storage_deals WHERE network = $1`,
		id).Scan(&m.DealCount, &active); err != nil {
		return nil, err
	}
	if m.NodeCount == 0 && m.DealCount == 0 {
		return nil, nil
	}
	m.ActiveDealCount, m.DisqualifiedNodes, m.BytesStored = int(active), int(disq), strconv.FormatInt(used, 10)
	var denom string
	switch err := r.DB.QueryRowContext(ctx, `SELECT denom FROM storage_deals WHERE network = $1 ORDER BY id DESC LIMIT 1`, id).Scan(&denom); {
	case err == nil:
		m.Denom = &denom
	case !errors.Is(err, sql.ErrNoRows):
		return nil, err
	}
	if err := r.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM storage_repairs WHERE network = $1`, id).Scan(&m.RepairCount); err != nil {
		return nil, err
	}
	// Capacity and free space of the nodes that can take pieces, summed
	// exactly (a capacity in bytes may not fit 64 bits summed).
	rows, err := r.DB.QueryContext(ctx, `SELECT d.capacity, s.used_bytes FROM storage_nodes s JOIN devices d ON d.id = s.device
WHERE s.network = $1 AND d.status = 'ACTIVE' AND NOT s.disqualified AND s.endpoint <> ''`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	capacity, free := new(big.Int), new(big.Int)
	for rows.Next() {
		var gbs, used int64
		if err := rows.Scan(&gbs, &used); err != nil {
			return nil, err
		}
		c := capacityBytes(gbs)
		capacity.Add(capacity, new(big.Int).SetUint64(c))
		if left := c - min(c, uint64(max(used, 0))); left > 0 {
			free.Add(free, new(big.Int).SetUint64(left))
			m.NodesWithFreeSpace++
		}
	}
	m.Capacity, m.FreeBytes = capacity.String(), free.String()
	return m, rows.Err()
}

const storageNodeCols = `s.device, s.network, COALESCE(d.owner, ''), COALESCE(d.status, ''), s.endpoint, COALESCE(d.capacity, 0), s.used_bytes, s.pieces,
  s.audits_passed, s.audits_missed, s.disqualified, s.earned, (SELECT x.denom FROM storage_deals x WHERE x.network = s.network ORDER BY x.id DESC LIMIT 1)`

const storageNodeFrom = ` FROM storage_nodes s LEFT JOIN devices d ON d.id = s.device`

func scanStorageNode(row scanner) (*StorageNode, error) {
	var n StorageNode
	var gbs, used, pieces, passed, missed int64
	var denom sql.NullString
	if err := row.Scan(&n.Device, &n.Network, &n.Owner, &n.Status, &n.Endpoint, &gbs, &used, &pieces, &passed, &missed, &n.Disqualified, &n.Earned, &denom); err != nil {
		return nil, err
	}
	if denom.Valid {
		n.Denom = &denom.String
	}
	c := capacityBytes(gbs)
	u := uint64(max(used, 0))
	n.Capacity, n.UsedBytes, n.FreeBytes = u64(c), u64(u), u64(c-min(c, u))
	n.Pieces, n.AuditsPassed, n.AuditsMissed = int(pieces), int(passed), int(missed)
	n.AcceptsPieces = n.Status == "ACTIVE" && !n.Disqualified && n.Endpoint != "" && c > u
	return &n, nil
}

// storageNode is a device's storage record, or nil.
func (r *Resolver) storageNode(ctx context.Context, device string) (*StorageNode, error) {
	n, err := scanStorageNode(r.DB.QueryRowContext(ctx, `SELECT `+storageNodeCols+storageNodeFrom+` WHERE s.device = $1`, device))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return n, err
}

// storageNodes pages through a network's storage nodes by device id.
func (r *Resolver) storageNodes(ctx context.Context, network string, first *int, after *string) (*StorageNodeConnection, error) {
	n, err := page(first)
	if err != nil {
		return nil, err
	}
	var w sqlWhere
	w.conds = append(w.conds, "s.network = "+w.arg(network))
	var total int
	if err := r.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM storage_nodes s`+w.sql(), w.args...).Scan(&total); err != nil {
		return nil, err
	}
	if after != nil {
		parts, err := decodeCursor(*after, 1)
		if err != nil {
			return nil, err
		}
		w.conds = append(w.conds, "s.device > "+w.arg(parts[0]))
	}
	nodes, err := list(ctx, r.DB, scanStorageNode, `SELECT `+storageNodeCols+storageNodeFrom+w.sql()+` ORDER BY s.device LIMIT `+w.arg(n+1), w.args...)
	if err != nil {
		return nil, err
	}
	conn := &StorageNodeConnection{TotalCount: total, Edges: []*StorageNodeEdge{}, PageInfo: &PageInfo{}}
	for _, v := range nodes {
		if len(conn.Edges) == n {
			conn.PageInfo.HasNextPage = true
			break
		}
		conn.Edges = append(conn.Edges, &StorageNodeEdge{Cursor: encodeCursor(v.Device), Node: v})
	}
	if len(conn.Edges) > 0 {
		c := conn.Edges[len(conn.Edges)-1].Cursor
		conn.PageInfo.EndCursor = &c
	}
	return conn, nil
}

func scanEpochAudits(row scanner) (*EpochAudits, error) {
	var a EpochAudits
	var epoch, passed, missed int64
	if err := row.Scan(&epoch, &passed, &missed); err != nil {
		return nil, err
	}
	a.Epoch, a.Passed, a.Missed = int(epoch), int(passed), int(missed)
	return &a, nil
}

// networkAudits sums a network's audit outcomes per epoch, newest first.
func (r *Resolver) networkAudits(ctx context.Context, network string, last *int) ([]*EpochAudits, error) {
	n, err := lastN(last, 20)
	if err != nil {
		return nil, err
	}
	return list(ctx, r.DB, scanEpochAudits, `SELECT epoch, SUM(passed), SUM(missed) FROM storage_audits WHERE network = $1
GROUP BY epoch ORDER BY epoch DESC LIMIT $2`, network, n)
}

// nodeAudits: see StorageMarket.nodeAudits.
func (r *Resolver) nodeAudits(ctx context.Context, network string, epochs, nodes *int) ([]*NodeEpochAudits, error) {
	ne, err := lastN(epochs, 20)
	if err != nil {
		return nil, fmt.Errorf("epochs: %w", err)
	}
	nn := 8
	if nodes != nil {
		if *nodes < 1 || *nodes > MaxNodeAudits {
			return nil, fmt.Errorf("nodes must be between 1 and %d", MaxNodeAudits)
		}
		nn = *nodes
	}
	var from int64
	err = r.DB.QueryRowContext(ctx, `SELECT COALESCE(MIN(epoch), -1) FROM (SELECT DISTINCT epoch FROM storage_audits WHERE network = $1 ORDER BY epoch DESC LIMIT $2) AS e`,
		network, ne).Scan(&from)
	if err != nil || from < 0 {
		return []*NodeEpochAudits{}, err
	}
	type total struct {
		device         string
		passed, missed int64
	}
	totals, err := list(ctx, r.DB, func(row scanner) (*total, error) {
		var t total
		return &t, row.Scan(&t.device, &t.passed, &t.missed)
	}, `SELECT device, SUM(passed), SUM(missed) FROM storage_audits WHERE network = $1 AND epoch >= $2 GROUP BY device`, network, from)
	if err != nil {
		return nil, err
	}
	// Lowest pass rate first (a/(a+b) < c/(c+d) ⇔ a(c+d) < c(a+b)), then
	// the most audits, then by id.
	sort.Slice(totals, func(i, j int) bool {
		a, b := totals[i], totals[j]
		x, y := a.passed*(b.passed+b.missed), b.passed*(a.passed+a.missed)
		if x != y {
			return x < y
		}
		if a.passed+a.missed != b.passed+b.missed {
			return a.passed+a.missed > b.passed+b.missed
		}
		return a.device < b.device
	})
	if len(totals) > nn {
		totals = totals[:nn]
	}
	if len(totals) == 0 {
		return []*NodeEpochAudits{}, nil
	}
	var w sqlWhere
	ph := make([]string, len(totals))
	for i, t := range totals {
		ph[i] = w.arg(t.device)
	}
	return list(ctx, r.DB, func(row scanner) (*NodeEpochAudits, error) {
		var a NodeEpochAudits
		var epoch, passed, missed int64
		if err := row.Scan(&a.Device, &epoch, &passed, &missed); err != nil {
			return nil, err
		}
		a.Epoch, a.Passed, a.Missed = int(epoch), int(passed), int(missed)
		return &a, nil
	}, `SELECT device, epoch, passed, missed FROM storage_audits WHERE device IN (`+strings.Join(ph, ", ")+`) AND epoch >= `+w.arg(from)+
		` AND network = `+w.arg(network)+` ORDER BY epoch, device`, w.args...)
}

const dealCols = `d.id, d.owner, d.network, d.file_id, d.size, d.k, d.n, d.segments, d.pieces, d.piece_bytes, d.denom, d.price_per_gib_month,
  d.escrow, d.paid, d.refunded, d.repair_budget, d.repair_threshold, d.status, d.close_reason, d.start_time, d.end_time, d.opened_height, d.closed_height,
  (SELECT COUNT(*) FROM storage_pieces p WHERE p.deal = d.id AND p.lost), (SELECT COUNT(DISTINCT p.node) FROM storage_pieces p WHERE p.deal = d.id)`

func scanDeal(row scanner) (*StorageDeal, error) {
	var d StorageDeal
	var id, k, n, segs, pieces, pieceBytes, threshold, start, end, opened, closed, lost, nodes int64
	if err := row.Scan(&id, &d.Owner, &d.Network, &d.FileID, &d.Size, &k, &n, &segs, &pieces, &pieceBytes, &d.Denom, &d.PricePerGibMonth,
		&d.Escrow, &d.Paid, &d.Refunded, &d.RepairBudget, &threshold, &d.Status, &d.CloseReason, &start, &end, &opened, &closed, &lost, &nodes); err != nil {
		return nil, err
	}
	d.ID, d.K, d.N, d.Segments, d.PieceCount, d.RepairThreshold = int(id), int(k), int(n), int(segs), int(pieces), int(threshold)
	d.PieceBytes, d.LostPieces, d.LivePieces, d.NodeCount = strconv.FormatInt(pieceBytes, 10), int(lost), int(pieces-lost), int(nodes)
	d.Start, d.End = time.Unix(start, 0).UTC().Format(time.RFC3339), time.Unix(end, 0).UTC().Format(time.RFC3339)
	d.OpenedHeight = int(opened)
	if closed > 0 {
		c := int(closed)
		d.ClosedHeight = &c
	}
	return &d, nil
}

func (r *Resolver) deal(ctx context.Context, id int) (*StorageDeal, error) {
	if id < 1 {
		return nil, nil
	}
	d, err := scanDeal(r.DB.QueryRowContext(ctx, `SELECT `+dealCols+` FROM storage_deals d WHERE d.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return d, err
}

// deals pages through the deals of an owner and/or a network, newest first.
func (r *Resolver) deals(ctx context.Context, owner, network *string, first *int, after *string) (*StorageDealConnection, error) {
	n, err := page(first)
	if err != nil {
		return nil, err
	}
	var w sqlWhere
	if owner != nil {
		w.conds = append(w.conds, "d.owner = "+w.arg(*owner))
	}
	if network != nil {
		w.conds = append(w.conds, "d.network = "+w.arg(*network))
	}
	if len(w.conds) == 0 {
		return nil, fmt.Errorf("give owner or network")
	}
	var total int
	if err := r.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM storage_deals d`+w.sql(), w.args...).Scan(&total); err != nil {
		return nil, err
	}
	if after != nil {
		parts, err := decodeCursor(*after, 1)
		if err != nil {
			return nil, err
		}
		id, err := strconv.ParseInt(parts[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("after: not a cursor for this list")
		}
		w.conds = append(w.conds, "d.id < "+w.arg(id))
	}
	deals, err := list(ctx, r.DB, scanDeal, `SELECT `+dealCols+` FROM storage_deals d`+w.sql()+` ORDER BY d.id DESC LIMIT `+w.arg(n+1), w.args...)
	if err != nil {
		return nil, err
	}
	conn := &StorageDealConnection{TotalCount: total, Edges: []*StorageDealEdge{}, PageInfo: &PageInfo{}}
	for _, d := range deals {
		if len(conn.Edges) == n {
			conn.PageInfo.HasNextPage = true
			break
		}
		conn.Edges = append(conn.Edges, &StorageDealEdge{Cursor: encodeCursor(strconv.Itoa(d.ID)), Node: d})
	}
	if len(conn.Edges) > 0 {
		c := conn.Edges[len(conn.Edges)-1].Cursor
		conn.PageInfo.EndCursor = &c
	}
	return conn, nil
}

func (r *Resolver) dealPieces(ctx context.Context, deal int, first, after *int) ([]*StoragePiece, error) {
	n, err := page(first)
	if err != nil {
		return nil, err
	}
	from := -1
	if after != nil {
		from = *after
	}
	return list(ctx, r.DB, func(row scanner) (*StoragePiece, error) {
		var p StoragePiece
		var idx, seg, size int64
		if err := row.Scan(&idx, &seg, &p.Node, &size, &p.Lost); err != nil {
			return nil, err
		}
		p.Index, p.Segment, p.Size = int(idx), int(seg), strconv.FormatInt(size, 10)
		return &p, nil
	}, `SELECT idx, segment, node, size, lost FROM storage_pieces WHERE deal = $1 AND idx > $2 ORDER BY idx LIMIT $3`, deal, from, n)
}

// dealNodes: the nodes holding a deal's pieces and those it paid (a node
// whose lost piece was repaired away holds none now), most pieces first,
// then most paid, with their cells.
func (r *Resolver) dealNodes(ctx context.Context, deal int) ([]*DealNode, error) {
	byNode := map[string]*DealNode{}
	get := func(dev string) *DealNode {
		n := byNode[dev]
		if n == nil {
			n = &DealNode{Device: dev, Paid: "0", Bytes: "0", Boundary: [][]float64{}}
			byNode[dev] = n
		}
		return n
	}
	bytes := map[string]int64{}
	rows, err := r.DB.QueryContext(ctx, `SELECT node, lost, size FROM storage_pieces WHERE deal = $1`, deal)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var dev string
		var lost bool
		var size int64
		if err := rows.Scan(&dev, &lost, &size); err != nil {
			rows.Close()
			return nil, err
		}
		n := get(dev)
		n.Pieces++
		if !lost {
			n.LivePieces++
			bytes[dev] += size
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	paid := map[string]*big.Int{}
	rows, err = r.DB.QueryContext(ctx, `SELECT device, paid FROM storage_deal_nodes WHERE deal = $1`, deal)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var dev, amount string
		if err := rows.Scan(&dev, &amount); err != nil {
			rows.Close()
			return nil, err
		}
		get(dev).Paid = amount
		paid[dev], _ = new(big.Int).SetString(amount, 10)
		if paid[dev] == nil {
			paid[dev] = new(big.Int)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]*DealNode, 0, len(byNode))
	for dev, n := range byNode {
		n.Bytes = strconv.FormatInt(bytes[dev], 10)
		out = append(out, n)
	}
	zero := new(big.Int)
	amountOf := func(dev string) *big.Int {
		if v := paid[dev]; v != nil {
			return v
		}
		return zero
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Pieces != b.Pieces {
			return a.Pieces > b.Pieces
		}
		if c := amountOf(a.Device).Cmp(amountOf(b.Device)); c != 0 {
			return c > 0
		}
		return a.Device < b.Device
	})
	if len(out) > MaxDealNodes {
		out = out[:MaxDealNodes]
	}
	if len(out) == 0 {
		return out, nil
	}
	var w sqlWhere
	ph := make([]string, len(out))
	for i, n := range out {
		ph[i] = w.arg(n.Device)
	}
	in := ` IN (` + strings.Join(ph, ", ") + `)`
	rows, err = r.DB.QueryContext(ctx, `SELECT d.id, d.cell, COALESCE(s.disqualified, FALSE) FROM devices d LEFT JOIN storage_nodes s ON s.device = d.id WHERE d.id`+in, w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var dev, cell string
		var disq bool
		if err := rows.Scan(&dev, &cell, &disq); err != nil {
			return nil, err
		}
		n := byNode[dev]
		n.Disqualified = disq
		if c, err := cellOf(cell); err == nil {
			n.Cell = cell
			ll := c.LatLng()
			n.Lat, n.Lon = ll.Lat, ll.Lng
			if n.Boundary, err = boundary(cell); err != nil {
				return nil, err
			}
		}
	}
	return out, rows.Err()
}

func (r *Resolver) dealPayments(ctx context.Context, deal int, last *int) ([]*StoragePayment, error) {
	n, err := lastN(last, 20)
	if err != nil {
		return nil, err
	}
	return list(ctx, r.DB, func(row scanner) (*StoragePayment, error) {
		var p StoragePayment
		var h, epoch int64
		if err := row.Scan(&h, &epoch, &p.Device, &p.Owner, &p.Amount, &p.Denom); err != nil {
			return nil, err
		}
		p.Height, p.Epoch = int(h), int(epoch)
		return &p, nil
	}, `SELECT height, epoch, device, owner, amount, denom FROM storage_payments WHERE deal = $1 ORDER BY height DESC, tx_index DESC, seq DESC LIMIT $2`, deal, n)
}

// repairs lists repairs matching cond (on r, with the deal as d), newest first.
func (r *Resolver) repairs(ctx context.Context, cond string, key any, last *int) ([]*StorageRepair, error) {
	n, err := lastN(last, 20)
	if err != nil {
		return nil, err
	}
	return list(ctx, r.DB, func(row scanner) (*StorageRepair, error) {
		var x StorageRepair
		var h, deal, piece, paidAt int64
		if err := row.Scan(&h, &deal, &piece, &x.FromNode, &x.ToNode, &x.Repairer, &x.FeeDue, &x.FeePaid, &x.Status, &paidAt, &x.Denom); err != nil {
			return nil, err
		}
		x.Height, x.Deal, x.Piece = int(h), int(deal), int(piece)
		if paidAt > 0 {
			p := int(paidAt)
			x.PaidHeight = &p
		}
		return &x, nil
	}, `SELECT r.height, r.deal, r.piece, r.from_node, r.to_node, r.repairer, r.fee_due, r.fee_paid, r.status, r.paid_height, COALESCE(d.denom, '')
FROM storage_repairs r LEFT JOIN storage_deals d ON d.id = r.deal WHERE `+cond+` = $1 ORDER BY r.height DESC, r.tx_index DESC, r.seq DESC LIMIT $2`, key, n)
}

func (r *Resolver) nodeEpochAudits(ctx context.Context, device string, last *int) ([]*EpochAudits, error) {
	n, err := lastN(last, 20)
	if err != nil {
		return nil, err
	}
	return list(ctx, r.DB, scanEpochAudits, `SELECT epoch, passed, missed FROM storage_audits WHERE device = $1 ORDER BY epoch DESC LIMIT $2`, device, n)
}
