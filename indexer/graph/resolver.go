package graph

// THIS CODE WILL BE UPDATED WITH SCHEMA CHANGES. PREVIOUS IMPLEMENTATION FOR SCHEMA CHANGES WILL BE KEPT IN THE COMMENT SECTION. IMPLEMENTATION FOR UNCHANGED SCHEMA WILL BE KEPT.

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/explain"
	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
	"github.com/depinhq/depin/indexer"
)

// Resolver answers queries from the index.
type Resolver struct {
	DB *indexer.DB
	// Chain reports the indexer's and the node's heights (nil: the
	// index's cursor only).
	Chain func() (indexed, chain int64)
}

// MaxPage bounds first.
const MaxPage = 100

func page(first *int) (int, error) {
	if first == nil {
		return 20, nil
	}
	if *first < 1 || *first > MaxPage {
		return 0, fmt.Errorf("first must be between 1 and %d, got %d", MaxPage, *first)
	}
	return *first, nil
}

func encodeCursor(parts ...string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join(parts, "\x00")))
}

func decodeCursor(s string, n int) ([]string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("after: not a cursor from this API")
	}
	parts := strings.Split(string(b), "\x00")
	if len(parts) != n {
		return nil, fmt.Errorf("after: not a cursor for this list")
	}
	return parts, nil
}

// where builds a SQL condition with numbered placeholders.
type where struct {
	conds []string
	args  []any
}

func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func (w *where) str(col string, f *StringFilter) error {
	if f == nil {
		return nil
	}
	if f.Eq != nil {
		w.conds = append(w.conds, col+" = "+w.arg(*f.Eq))
	}
	if f.In != nil {
		if len(f.In) == 0 || len(f.In) > 100 {
			return fmt.Errorf("in: give 1 to 100 values")
		}
		ph := make([]string, len(f.In))
		for i, v := range f.In {
			ph[i] = w.arg(v)
		}
		w.conds = append(w.conds, col+" IN ("+strings.Join(ph, ", ")+")")
	}
	if f.Contains != nil {
		if len(*f.Contains) > 200 {
			return fmt.Errorf("contains: at most 200 characters")
		}
		w.conds = append(w.conds, col+" LIKE "+w.arg("%"+escapeLike(*f.Contains)+"%")+` ESCAPE '\'`)
	}
	return nil
}

func (w *where) int(col string, f *IntFilter) {
	if f == nil {
		return
	}
	if f.Eq != nil {
		w.conds = append(w.conds, col+" = "+w.arg(*f.Eq))
	}
	if f.Gt != nil {
		w.conds = append(w.conds, col+" > "+w.arg(*f.Gt))
	}
	if f.Lt != nil {
		w.conds = append(w.conds, col+" < "+w.arg(*f.Lt))
	}
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

const deviceCols = `id, network, owner, model, capacity, cell, cell_r7, status, stake, registered_height, reports_accepted, reports_rejected, last_report_height`

func scanDevice(row interface{ Scan(...any) error }) (*Device, error) {
	var d Device
	var capacity, stake, reg, acc, rej, last int64
	if err := row.Scan(&d.ID, &d.Network, &d.Owner, &d.Model, &capacity, &d.Cell, &d.CellR7, &d.Status, &stake, &reg, &acc, &rej, &last); err != nil {
		return nil, err
	}
	d.Capacity, d.Stake = strconv.FormatInt(capacity, 10), strconv.FormatInt(stake, 10)
	d.RegisteredHeight, d.ReportsAccepted, d.ReportsRejected, d.LastReportHeight = int(reg), int(acc), int(rej), int(last)
	return &d, nil
}

// Balances is the resolver for the balances field.
func (r *accountResolver) Balances(ctx context.Context, obj *Account) ([]*Balance, error) {
	rows, err := r.DB.QueryContext(ctx, `SELECT denom, amount FROM balances WHERE address = $1 ORDER BY denom`, obj.Address)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*Balance{}
	for rows.Next() {
		var b Balance
		if err := rows.Scan(&b.Denom, &b.Amount); err != nil {
			return nil, err
		}
		out = append(out, &b)
	}
	return out, rows.Err()
}

// Devices is the resolver for the devices field.
func (r *accountResolver) Devices(ctx context.Context, obj *Account) ([]*Device, error) {
	rows, err := r.DB.QueryContext(ctx, `SELECT `+deviceCols+` FROM devices WHERE owner = $1 ORDER BY id LIMIT 1000`, obj.Address)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*Device{}
	for rows.Next() {
		d, err := scanDevice(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

func lastN(last *int, def int) (int, error) {
	if last == nil {
		return def, nil
	}
	if *last < 1 || *last > MaxPage {
		return 0, fmt.Errorf("last must be between 1 and %d", MaxPage)
	}
	return *last, nil
}

// Reports is the resolver for the reports field.
func (r *deviceResolver) Reports(ctx context.Context, obj *Device, last *int) ([]*ReportCount, error) {
	n, err := lastN(last, 50)
	if err != nil {
		return nil, err
	}
	rows, err := r.DB.QueryContext(ctx, `SELECT height, accepted, rejected FROM device_reports WHERE device = $1 ORDER BY height DESC LIMIT $2`, obj.ID, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*ReportCount{}
	for rows.Next() {
		var c ReportCount
		var h int64
		if err := rows.Scan(&h, &c.Accepted, &c.Rejected); err != nil {
			return nil, err
		}
		c.Height = int(h)
		out = append(out, &c)
	}
	return out, rows.Err()
}

// Rewards is the resolver for the rewards field.
func (r *deviceResolver) Rewards(ctx context.Context, obj *Device, last *int) ([]*Reward, error) {
	n, err := lastN(last, 20)
	if err != nil {
		return nil, err
	}
	rows, err := r.DB.QueryContext(ctx, `SELECT network, epoch, reward, denom, work_reward, availability_reward, productivity, uptime_ppm, reputation_ppm,
  quality_ppm, geo_ppm, boost_bps, below_threshold, weight, total_weight, emission, devices, covered_seconds, epoch_seconds, reports_accepted, reports_rejected, cell
FROM rewards WHERE device = $1 ORDER BY epoch DESC LIMIT $2`, obj.ID, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*Reward{}
	for rows.Next() {
		var w Reward
		var epoch, devices, covered, epochSecs, acc, rej int64
		var cell string
		if err := rows.Scan(&w.Network, &epoch, &w.Reward, &w.Denom, &w.WorkReward, &w.AvailabilityReward, &w.Productivity, &w.UptimePpm, &w.ReputationPpm,
			&w.QualityPpm, &w.GeoPpm, &w.BoostBps, &w.BelowThreshold, &w.Weight, &w.TotalWeight, &w.Emission, &devices, &covered, &epochSecs, &acc, &rej, &cell); err != nil {
			return nil, err
		}
		w.Epoch, w.Devices, w.CoveredSeconds, w.EpochSeconds = int(epoch), int(devices), int(covered), int(epochSecs)
		u := func(s string) uint64 { v, _ := strconv.ParseUint(s, 10, 64); return v }
		c, _ := strconv.ParseUint(cell, 16, 64)
		w.Explanation = explain.String(&rewardv1.Breakdown{Network: w.Network, Epoch: uint64(epoch), Productivity: u(w.Productivity),
			ReportsAccepted: uint64(acc), ReportsRejected: uint64(rej), CoveredSeconds: uint64(covered), EpochSeconds: uint64(epochSecs),
			UptimePpm: uint32(w.UptimePpm), ReputationPpm: uint32(w.ReputationPpm), BelowThreshold: w.BelowThreshold, QualityPpm: uint32(w.QualityPpm),
			GeoPpm: uint32(w.GeoPpm), Cell: c, BoostBps: uint32(w.BoostBps), Weight: w.Weight, WorkReward: u(w.WorkReward),
			AvailabilityReward: u(w.AvailabilityReward), Reward: u(w.Reward), Denom: w.Denom, Emission: u(w.Emission), TotalWeight: w.TotalWeight,
			Devices: uint64(devices)}, obj.ID)
		out = append(out, &w)
	}
	return out, rows.Err()
}

// Status is the resolver for the status field.
func (r *queryResolver) Status(ctx context.Context) (*IndexStatus, error) {
	h, err := r.DB.Height(ctx)
	if err != nil {
		return nil, err
	}
	chain := h
	if r.Chain != nil {
		_, chain = r.Chain()
	}
	return &IndexStatus{Height: int(h), ChainHeight: int(chain), Lag: int(max(0, chain-h))}, nil
}

// Networks is the resolver for the networks field.
func (r *queryResolver) Networks(ctx context.Context) ([]*Network, error) {
	rows, err := r.DB.QueryContext(ctx, `SELECT n.id, n.owner, n.class, n.reward_denom, n.created_height, (SELECT COUNT(*) FROM devices d WHERE d.network = n.id)
FROM networks n ORDER BY n.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*Network{}
	for rows.Next() {
		var n Network
		var h, c int64
		if err := rows.Scan(&n.ID, &n.Owner, &n.Class, &n.RewardDenom, &h, &c); err != nil {
			return nil, err
		}
		n.CreatedHeight, n.Devices = int(h), int(c)
		out = append(out, &n)
	}
	return out, rows.Err()
}

// Devices is the resolver for the devices field.
func (r *queryResolver) Devices(ctx context.Context, first *int, after *string, wh *DeviceWhere, orderBy *DeviceOrder) (*DeviceConnection, error) {
	n, err := page(first)
	if err != nil {
		return nil, err
	}
	var w where
	if wh != nil {
		for _, f := range []struct {
			col string
			f   *StringFilter
		}{{"network", wh.Network}, {"owner", wh.Owner}, {"status", wh.Status}, {"model", wh.Model}, {"cell_r7", wh.CellR7}} {
			if err := w.str(f.col, f.f); err != nil {
				return nil, fmt.Errorf("where.%s: %w", f.col, err)
			}
		}
		w.int("reports_accepted", wh.ReportsAccepted)
	}
	var total int
	if err := r.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM devices`+w.sql(), w.args...).Scan(&total); err != nil {
		return nil, err
	}
	col, desc := "id", false
	if orderBy != nil {
		desc = orderBy.Desc != nil && *orderBy.Desc
		switch orderBy.Field {
		case DeviceOrderFieldReportsAccepted:
			col = "reports_accepted"
		case DeviceOrderFieldRegisteredHeight:
			col = "registered_height"
		}
	}
	cmp, dir := ">", "ASC"
	if desc {
		cmp, dir = "<", "DESC"
	}
	if after != nil {
		parts, err := decodeCursor(*after, 2)
		if err != nil {
			return nil, err
		}
		if col == "id" {
			w.conds = append(w.conds, "id "+cmp+" "+w.arg(parts[1]))
		} else {
			v, err := strconv.ParseInt(parts[0], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("after: not a cursor for this order")
			}
			w.conds = append(w.conds, fmt.Sprintf("(%s %s %s OR (%s = %s AND id %s %s))", col, cmp, w.arg(v), col, w.arg(v), cmp, w.arg(parts[1])))
		}
	}
	q := `SELECT ` + deviceCols + ` FROM devices` + w.sql() + fmt.Sprintf(` ORDER BY %s %s, id %s LIMIT %s`, col, dir, dir, w.arg(n+1))
	rows, err := r.DB.QueryContext(ctx, q, w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	conn := &DeviceConnection{TotalCount: total, Edges: []*DeviceEdge{}, PageInfo: &PageInfo{}}
	for rows.Next() {
		d, err := scanDevice(rows)
		if err != nil {
			return nil, err
		}
		if len(conn.Edges) == n {
			conn.PageInfo.HasNextPage = true
			break
		}
		key := ""
		switch col {
		case "reports_accepted":
			key = strconv.Itoa(d.ReportsAccepted)
		case "registered_height":
			key = strconv.Itoa(d.RegisteredHeight)
		}
		conn.Edges = append(conn.Edges, &DeviceEdge{Cursor: encodeCursor(key, d.ID), Node: d})
	}
	if len(conn.Edges) > 0 {
		c := conn.Edges[len(conn.Edges)-1].Cursor
		conn.PageInfo.EndCursor = &c
	}
	return conn, rows.Err()
}

// Device is the resolver for the device field.
func (r *queryResolver) Device(ctx context.Context, id string) (*Device, error) {
	if _, err := crypto.ParseDeviceID(id); err != nil {
		return nil, fmt.Errorf("id: %v", err)
	}
	d, err := scanDevice(r.DB.QueryRowContext(ctx, `SELECT `+deviceCols+` FROM devices WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return d, err
}

// Blocks is the resolver for the blocks field.
func (r *queryResolver) Blocks(ctx context.Context, first *int, after *string) (*BlockConnection, error) {
	n, err := page(first)
	if err != nil {
		return nil, err
	}
	var w where
	if after != nil {
		parts, err := decodeCursor(*after, 1)
		if err != nil {
			return nil, err
		}
		h, err := strconv.ParseInt(parts[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("after: not a cursor for this list")
		}
		w.conds = append(w.conds, "height < "+w.arg(h))
	}
	var total int
	if err := r.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM blocks`).Scan(&total); err != nil {
		return nil, err
	}
	rows, err := r.DB.QueryContext(ctx, `SELECT height, block_time, hash, txs, events FROM blocks`+w.sql()+` ORDER BY height DESC LIMIT `+w.arg(n+1), w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	conn := &BlockConnection{TotalCount: total, Edges: []*BlockEdge{}, PageInfo: &PageInfo{}}
	for rows.Next() {
		var b Block
		var h int64
		if err := rows.Scan(&h, &b.Time, &b.Hash, &b.Txs, &b.Events); err != nil {
			return nil, err
		}
		b.Height = int(h)
		if len(conn.Edges) == n {
			conn.PageInfo.HasNextPage = true
			break
		}
		conn.Edges = append(conn.Edges, &BlockEdge{Cursor: encodeCursor(strconv.FormatInt(h, 10)), Node: &b})
	}
	if len(conn.Edges) > 0 {
		c := conn.Edges[len(conn.Edges)-1].Cursor
		conn.PageInfo.EndCursor = &c
	}
	return conn, rows.Err()
}

// Block is the resolver for the block field.
func (r *queryResolver) Block(ctx context.Context, height int) (*Block, error) {
	var b Block
	var h int64
	err := r.DB.QueryRowContext(ctx, `SELECT height, block_time, hash, txs, events FROM blocks WHERE height = $1`, height).Scan(&h, &b.Time, &b.Hash, &b.Txs, &b.Events)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	b.Height = int(h)
	return &b, err
}

// Account is the resolver for the account field.
func (r *queryResolver) Account(ctx context.Context, address string) (*Account, error) {
	if _, err := crypto.ParseAddress(address); err != nil {
		return nil, fmt.Errorf("address: %v", err)
	}
	return &Account{Address: address}, nil
}

// DevicesPerHex is the resolver for the devicesPerHex field.
func (r *queryResolver) DevicesPerHex(ctx context.Context, network string, resolution int) ([]*HexCount, error) {
	if resolution < 4 || resolution > 8 {
		return nil, fmt.Errorf("resolution must be 4 to 8")
	}
	col := fmt.Sprintf("cell_r%d", resolution) // from a checked integer: no injection
	rows, err := r.DB.QueryContext(ctx, `SELECT `+col+`, COUNT(*) FROM devices WHERE network = $1 GROUP BY `+col+` ORDER BY `+col+` LIMIT 100000`, network)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*HexCount{}
	for rows.Next() {
		var h HexCount
		if err := rows.Scan(&h.Hex, &h.Devices); err != nil {
			return nil, err
		}
		out = append(out, &h)
	}
	return out, rows.Err()
}

// RewardsPerEpoch is the resolver for the rewardsPerEpoch field.
func (r *queryResolver) RewardsPerEpoch(ctx context.Context, network string) ([]*EpochRewards, error) {
	rows, err := r.DB.QueryContext(ctx, `SELECT epoch, emission, distributed, treasury, devices FROM epochs WHERE network = $1 ORDER BY epoch DESC LIMIT 1000`, network)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*EpochRewards{}
	for rows.Next() {
		var e EpochRewards
		var epoch, devices int64
		if err := rows.Scan(&epoch, &e.Emission, &e.Distributed, &e.Treasury, &devices); err != nil {
			return nil, err
		}
		e.Epoch, e.Devices = int(epoch), int(devices)
		out = append(out, &e)
	}
	return out, rows.Err()
}

// Account returns AccountResolver implementation.
func (r *Resolver) Account() AccountResolver { return &accountResolver{r} }

// Device returns DeviceResolver implementation.
func (r *Resolver) Device() DeviceResolver { return &deviceResolver{r} }

// Query returns QueryResolver implementation.
func (r *Resolver) Query() QueryResolver { return &queryResolver{r} }

type accountResolver struct{ *Resolver }
type deviceResolver struct{ *Resolver }
type queryResolver struct{ *Resolver }

// Agreements is the resolver for the agreements field.
func (r *queryResolver) Agreements(ctx context.Context, consumer *string, device *string, last *int) ([]*Agreement, error) {
	n, err := lastN(last, 50)
	if err != nil {
		return nil, err
	}
	var w where
	switch {
	case consumer != nil:
		w.conds = append(w.conds, "consumer = "+w.arg(*consumer))
	case device != nil:
		w.conds = append(w.conds, "device = "+w.arg(*device))
	default:
		return nil, fmt.Errorf("give consumer or device")
	}
	rows, err := r.DB.QueryContext(ctx, `SELECT id, consumer, device, denom, escrow, paid, units_paid, refunded, status, reason, opened_height FROM agreements`+
		w.sql()+` ORDER BY id DESC LIMIT `+w.arg(n), w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*Agreement{}
	for rows.Next() {
		var a Agreement
		var id, h int64
		if err := rows.Scan(&id, &a.Consumer, &a.Device, &a.Denom, &a.Escrow, &a.Paid, &a.UnitsPaid, &a.Refunded, &a.Status, &a.Reason, &h); err != nil {
			return nil, err
		}
		a.ID, a.OpenedHeight = int(id), int(h)
		out = append(out, &a)
	}
	return out, rows.Err()
}

// MarketClearings is the resolver for the marketClearings field.
func (r *queryResolver) MarketClearings(ctx context.Context, network string, last *int) ([]*MarketClearing, error) {
	n, err := lastN(last, 50)
	if err != nil {
		return nil, err
	}
	rows, err := r.DB.QueryContext(ctx, `SELECT interval_no, price, volume, trades, delivered, paid, settled FROM market_clearings WHERE network = $1 ORDER BY interval_no DESC LIMIT $2`, network, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*MarketClearing{}
	for rows.Next() {
		var c MarketClearing
		var iv int64
		if err := rows.Scan(&iv, &c.Price, &c.Volume, &c.Trades, &c.Delivered, &c.Paid, &c.Settled); err != nil {
			return nil, err
		}
		c.Interval = int(iv)
		out = append(out, &c)
	}
	return out, rows.Err()
}

// MarketOrders is the resolver for the marketOrders field.
func (r *queryResolver) MarketOrders(ctx context.Context, network string, interval int) ([]*MarketOrder, error) {
	rows, err := r.DB.QueryContext(ctx, `SELECT id, side, price, quantity, owner, height FROM market_orders WHERE network = $1 AND interval_no = $2 ORDER BY id LIMIT 1000`, network, interval)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*MarketOrder{}
	for rows.Next() {
		var o MarketOrder
		var id, h int64
		if err := rows.Scan(&id, &o.Side, &o.Price, &o.Quantity, &o.Owner, &h); err != nil {
			return nil, err
		}
		o.ID, o.Height = int(id), int(h)
		out = append(out, &o)
	}
	return out, rows.Err()
}

// Claims is the resolver for the claims field.
func (r *queryResolver) Claims(ctx context.Context, owner string, last *int) ([]*Claim, error) {
	n, err := lastN(last, 50)
	if err != nil {
		return nil, err
	}
	rows, err := r.DB.QueryContext(ctx, `SELECT height, denom, amount, kind, device FROM claims WHERE owner = $1 ORDER BY height DESC, tx_index DESC, seq DESC LIMIT $2`, owner, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*Claim{}
	for rows.Next() {
		var c Claim
		var h int64
		if err := rows.Scan(&h, &c.Denom, &c.Amount, &c.Kind, &c.Device); err != nil {
			return nil, err
		}
		c.Height = int(h)
		out = append(out, &c)
	}
	return out, rows.Err()
}
