package graph

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"strconv"

	"github.com/depinhq/depin/h3"
)

// Virtual power plants' queries (tables of migration 8, kept by
// indexer/vpp.go) and a network token's supply flows: its emission per
// epoch against what was burned for service credits.

// MaxSeriesPoints bounds a dispatch's series: a window of at most a day
// (api/vpp's limit on max_duration_seconds) of one-minute intervals.
const MaxSeriesPoints = 1440

// vppMarket is a network's virtual power plants, or nil when it has none.
func (r *Resolver) vppMarket(ctx context.Context, id string) (*VppMarket, error) {
	m := &VppMarket{Network: id}
	var creditPrice sql.NullString
	err := r.DB.QueryRowContext(ctx, `SELECT credit_price FROM vpp_params WHERE network = $1`, id).Scan(&creditPrice)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if creditPrice.Valid {
		m.CreditPrice = &creditPrice.String
	}
	var pools, open, dispatches, challenges int64
	if err := r.DB.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN closed THEN 0 ELSE 1 END), 0), COALESCE(SUM(dispatches), 0),
  COALESCE(SUM(challenges), 0) FROM vpp_pools WHERE network = $1`, id).Scan(&pools, &open, &dispatches, &challenges); err != nil {
		return nil, err
	}
	if pools == 0 && m.CreditPrice == nil {
		return nil, nil
	}
	m.PoolCount, m.OpenPools, m.DispatchCount, m.ChallengeCount = int(pools), int(open), int(dispatches), int(challenges)
	if err := r.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM vpp_members m JOIN vpp_pools p ON p.id = m.pool WHERE p.network = $1 AND m.status <> 'LEFT'`,
		id).Scan(&m.MemberCount); err != nil {
		return nil, err
	}
	delivered, err := sumDecimals(ctx, r, `SELECT delivered_wh FROM vpp_pools WHERE network = $1`, id)
	if err != nil {
		return nil, err
	}
	m.DeliveredWh = delivered
	return m, nil
}

// sumDecimals sums the decimal TEXT amounts a query returns (exactly).
func sumDecimals(ctx context.Context, r *Resolver, q string, args ...any) (string, error) {
	rows, err := r.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	sum := new(big.Int)
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return "", err
		}
		if x, ok := new(big.Int).SetString(v, 10); ok {
			sum.Add(sum, x)
		}
	}
	return sum.String(), rows.Err()
}

const poolCols = `id, name, network, operator, closed, cell, denom, price_per_kwh, penalty_bps, min_response_bps, notice_seconds, members, max_w,
  dispatches, challenges, delivered_wh, paid, created_height, closed_height`

func scanPool(row scanner) (*VppPool, error) {
	var p VppPool
	var id, penalty, response, notice, members, maxW, dispatches, challenges, created, closedAt int64
	var closed bool
	if err := row.Scan(&id, &p.Name, &p.Network, &p.Operator, &closed, &p.Cell, &p.Denom, &p.PricePerKwh, &penalty, &response, &notice, &members, &maxW,
		&dispatches, &challenges, &p.DeliveredWh, &p.Paid, &created, &closedAt); err != nil {
		return nil, err
	}
	p.ID, p.PenaltyBps, p.MinResponseBps, p.MemberCount = int(id), int(penalty), int(response), int(members)
	p.NoticeSeconds, p.MaxW = strconv.FormatInt(notice, 10), strconv.FormatInt(maxW, 10)
	p.DispatchCount, p.ChallengeCount, p.CreatedHeight = int(dispatches), int(challenges), int(created)
	p.Status = "OPEN"
	if closed {
		p.Status = "CLOSED"
		c := int(closedAt)
		p.ClosedHeight = &c
	}
	if c, err := cellOf(p.Cell); err == nil {
		ll := c.LatLng()
		p.Lat, p.Lon, p.Resolution = ll.Lat, ll.Lng, h3.Resolution(uint64(c))
	}
	return &p, nil
}

func (r *Resolver) pool(ctx context.Context, id int) (*VppPool, error) {
	if id < 1 {
		return nil, nil
	}
	p, err := scanPool(r.DB.QueryRowContext(ctx, `SELECT `+poolCols+` FROM vpp_pools WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return p, err
}

// pools pages through the pools of a network and/or an operator, newest first.
func (r *Resolver) pools(ctx context.Context, network, operator *string, first *int, after *string) (*VppPoolConnection, error) {
	n, err := page(first)
	if err != nil {
		return nil, err
	}
	var w sqlWhere
	if network != nil {
		w.conds = append(w.conds, "network = "+w.arg(*network))
	}
	if operator != nil {
		w.conds = append(w.conds, "operator = "+w.arg(*operator))
	}
	if len(w.conds) == 0 {
		return nil, fmt.Errorf("give network or operator")
	}
	var total int
	if err := r.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM vpp_pools`+w.sql(), w.args...).Scan(&total); err != nil {
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
		w.conds = append(w.conds, "id < "+w.arg(id))
	}
	ps, err := list(ctx, r.DB, scanPool, `SELECT `+poolCols+` FROM vpp_pools`+w.sql()+` ORDER BY id DESC LIMIT `+w.arg(n+1), w.args...)
	if err != nil {
		return nil, err
	}
	conn := &VppPoolConnection{TotalCount: total, Edges: []*VppPoolEdge{}, PageInfo: &PageInfo{}}
	for _, p := range ps {
		if len(conn.Edges) == n {
			conn.PageInfo.HasNextPage = true
			break
		}
		conn.Edges = append(conn.Edges, &VppPoolEdge{Cursor: encodeCursor(strconv.Itoa(p.ID)), Node: p})
	}
	if len(conn.Edges) > 0 {
		c := conn.Edges[len(conn.Edges)-1].Cursor
		conn.PageInfo.EndCursor = &c
	}
	return conn, nil
}

const memberCols = `m.pool, m.device, m.owner, m.status, m.max_w, m.min_soc_ppt, m.rated_w, m.energy_wh, m.leave_time, m.left_reason, m.joined_height,
  m.left_height, m.passed, m.failed, m.misses, m.delivered_wh, m.earned, m.penalties, d.cell`

const memberFrom = ` FROM vpp_members m LEFT JOIN devices d ON d.id = m.device`

func scanMember(row scanner) (*VppMember, error) {
	var m VppMember
	var pool, maxW, soc, rated, energy, leave, joined, left, passed, failed, misses int64
	var cell sql.NullString
	if err := row.Scan(&pool, &m.Device, &m.Owner, &m.Status, &maxW, &soc, &rated, &energy, &leave, &m.LeftReason, &joined, &left, &passed, &failed,
		&misses, &m.DeliveredWh, &m.Earned, &m.Penalties, &cell); err != nil {
		return nil, err
	}
	m.Pool, m.MinSocPpt, m.JoinedHeight = int(pool), int(soc), int(joined)
	m.MaxW, m.RatedW, m.EnergyWh = strconv.FormatInt(maxW, 10), strconv.FormatInt(rated, 10), strconv.FormatInt(energy, 10)
	m.Passed, m.Failed, m.Misses = int(passed), int(failed), int(misses)
	if m.Status == "LEAVING" && leave > 0 {
		t := unixText(leave)
		m.LeaveTime = &t
	}
	if left > 0 {
		l := int(left)
		m.LeftHeight = &l
	}
	if cell.Valid {
		if c, err := cellOf(cell.String); err == nil {
			ll := c.LatLng()
			m.Cell, m.Lat, m.Lon = &cell.String, &ll.Lat, &ll.Lng
		}
	}
	return &m, nil
}

// poolMembers lists a pool's members by device id: those in it (and
// leaving), or all that ever joined.
func (r *Resolver) poolMembers(ctx context.Context, pool int, first *int, after *string, all *bool) ([]*VppMember, error) {
	n, err := page(first)
	if err != nil {
		return nil, err
	}
	var w sqlWhere
	w.conds = append(w.conds, "m.pool = "+w.arg(pool))
	if all == nil || !*all {
		w.conds = append(w.conds, "m.status <> 'LEFT'")
	}
	if after != nil {
		w.conds = append(w.conds, "m.device > "+w.arg(*after))
	}
	return list(ctx, r.DB, scanMember, `SELECT `+memberCols+memberFrom+w.sql()+` ORDER BY m.device LIMIT `+w.arg(n), w.args...)
}

// deviceMembership is a device's latest membership, or nil.
func (r *Resolver) deviceMembership(ctx context.Context, device string) (*VppMember, error) {
	m, err := scanMember(r.DB.QueryRowContext(ctx, `SELECT `+memberCols+memberFrom+` WHERE m.device = $1 ORDER BY m.joined_height DESC, m.pool DESC LIMIT 1`, device))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return m, err
}

const dispatchCols = `id, pool, network, operator, challenge, direction, power_w, start_time, end_time, interval_seconds, status, denom, price_per_kwh,
  escrow, credits, allocated_w, allocated_wh, members, baseline_wh, delivered_wh, paid, refunded, responded, missed, penalties, created_height, settled_height`

func scanDispatch(row scanner) (*VppDispatch, error) {
	var d VppDispatch
	var id, pool, power, start, end, every, allocW, allocWh, members, baseline, delivered, responded, missed, created, settled int64
	if err := row.Scan(&id, &pool, &d.Network, &d.Operator, &d.Challenge, &d.Direction, &power, &start, &end, &every, &d.Status, &d.Denom, &d.PricePerKwh,
		&d.Escrow, &d.Credits, &allocW, &allocWh, &members, &baseline, &delivered, &d.Paid, &d.Refunded, &responded, &missed, &d.Penalties, &created,
		&settled); err != nil {
		return nil, err
	}
	d.ID, d.Pool, d.IntervalSeconds, d.MemberCount = int(id), int(pool), int(every), int(members)
	d.PowerW, d.AllocatedW, d.AllocatedWh = strconv.FormatInt(power, 10), strconv.FormatInt(allocW, 10), strconv.FormatInt(allocWh, 10)
	d.BaselineWh, d.DeliveredWh = strconv.FormatInt(baseline, 10), strconv.FormatInt(delivered, 10)
	d.Start, d.End = unixText(start), unixText(end)
	d.Responded, d.Missed, d.CreatedHeight = int(responded), int(missed), int(created)
	if settled > 0 {
		s := int(settled)
		d.SettledHeight = &s
	}
	return &d, nil
}

func (r *Resolver) dispatch(ctx context.Context, id int) (*VppDispatch, error) {
	if id < 1 {
		return nil, nil
	}
	d, err := scanDispatch(r.DB.QueryRowContext(ctx, `SELECT `+dispatchCols+` FROM vpp_dispatches WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return d, err
}

// poolDispatches lists a pool's dispatches (and/or challenges), newest first.
func (r *Resolver) poolDispatches(ctx context.Context, pool int, first, after *int, challenges *bool) ([]*VppDispatch, error) {
	n, err := page(first)
	if err != nil {
		return nil, err
	}
	var w sqlWhere
	w.conds = append(w.conds, "pool = "+w.arg(pool))
	if challenges != nil {
		w.conds = append(w.conds, "challenge = "+w.arg(*challenges))
	}
	if after != nil {
		w.conds = append(w.conds, "id < "+w.arg(*after))
	}
	return list(ctx, r.DB, scanDispatch, `SELECT `+dispatchCols+` FROM vpp_dispatches`+w.sql()+` ORDER BY id DESC LIMIT `+w.arg(n), w.args...)
}

func scanAllocation(row scanner) (*VppAllocation, error) {
	var a VppAllocation
	var dispatch, power, allocWh, baseline, metered, delivered int64
	var open, responded bool
	if err := row.Scan(&dispatch, &a.Device, &a.Owner, &a.Direction, &power, &allocWh, &baseline, &metered, &delivered, &a.Paid, &responded, &a.Penalty, &open); err != nil {
		return nil, err
	}
	a.Dispatch = int(dispatch)
	a.PowerW, a.AllocatedWh = strconv.FormatInt(power, 10), strconv.FormatInt(allocWh, 10)
	a.BaselineWh, a.MeteredWh, a.DeliveredWh = strconv.FormatInt(baseline, 10), strconv.FormatInt(metered, 10), strconv.FormatInt(delivered, 10)
	a.Settled = !open
	if a.Settled {
		a.Responded = &responded
	}
	return &a, nil
}

const allocationCols = `dispatch, device, owner, direction, power_w, allocated_wh, baseline_wh, metered_wh, delivered_wh, paid, responded, penalty, open`

// dispatchMembers lists a dispatch's allocations by device id.
func (r *Resolver) dispatchMembers(ctx context.Context, dispatch int, first *int, after *string) ([]*VppAllocation, error) {
	n, err := page(first)
	if err != nil {
		return nil, err
	}
	var w sqlWhere
	w.conds = append(w.conds, "dispatch = "+w.arg(dispatch))
	if after != nil {
		w.conds = append(w.conds, "device > "+w.arg(*after))
	}
	return list(ctx, r.DB, scanAllocation, `SELECT `+allocationCols+` FROM vpp_allocations`+w.sql()+` ORDER BY device LIMIT `+w.arg(n), w.args...)
}

// seriesAlloc is what a series needs of one allocation.
type seriesAlloc struct {
	powerW, baselineWh int64
	settled            bool
	metered            map[int64]int64 // by interval start
}

// series is a dispatch's window interval by interval, over its members
// or (device != "") one member.
func (r *Resolver) series(ctx context.Context, dispatch int, device string) ([]*VppPoint, error) {
	var start, end, every int64
	if err := r.DB.QueryRowContext(ctx, `SELECT start_time, end_time, interval_seconds FROM vpp_dispatches WHERE id = $1`, dispatch).
		Scan(&start, &end, &every); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return []*VppPoint{}, nil
		}
		return nil, err
	}
	if end <= start {
		return []*VppPoint{}, nil
	}
	if every <= 0 || (end-start)%every != 0 || (end-start)/every > MaxSeriesPoints {
		every = end - start // the window as one interval
	}
	var w sqlWhere
	w.conds = append(w.conds, "dispatch = "+w.arg(dispatch))
	if device != "" {
		w.conds = append(w.conds, "device = "+w.arg(device))
	}
	allocs := map[string]*seriesAlloc{}
	rows, err := r.DB.QueryContext(ctx, `SELECT device, power_w, baseline_wh, open FROM vpp_allocations`+w.sql(), w.args...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var dev string
		var a seriesAlloc
		var open bool
		if err := rows.Scan(&dev, &a.powerW, &a.baselineWh, &open); err != nil {
			rows.Close()
			return nil, err
		}
		a.settled, a.metered = !open, map[int64]int64{}
		allocs[dev] = &a
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = r.DB.QueryContext(ctx, `SELECT device, interval_start, metered_wh FROM vpp_intervals`+w.sql(), w.args...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var dev string
		var at, wh int64
		if err := rows.Scan(&dev, &at, &wh); err != nil {
			rows.Close()
			return nil, err
		}
		if a := allocs[dev]; a != nil {
			a.metered[start+(at-start)/every*every] += wh
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	settled := len(allocs) > 0
	for _, a := range allocs {
		settled = settled && a.settled
	}
	n := (end - start) / every
	watts := func(wh int64) string { return strconv.FormatInt(wh*3600/every, 10) }
	out := make([]*VppPoint, 0, n)
	for t := start; t < end; t += every {
		var requested, metered, baseline, delivered int64
		for _, a := range allocs {
			requested += a.powerW
			m := a.metered[t]
			metered += m
			b := a.baselineWh / n
			baseline += b
			allowed := a.powerW * every / 3600
			delivered += min(max(m-b, 0), allowed)
		}
		p := &VppPoint{Start: unixText(t), RequestedW: strconv.FormatInt(requested, 10), MeteredW: watts(metered)}
		if settled {
			b, d := watts(baseline), watts(delivered)
			p.BaselineW, p.DeliveredW = &b, &d
		}
		out = append(out, p)
	}
	return out, nil
}

// supply is a network token's emission and burn.
func (r *Resolver) supply(ctx context.Context, n *Network) (*TokenSupply, error) {
	s := &TokenSupply{Denom: n.RewardDenom, CreditsMinted: "0", CreditsSpent: "0"}
	var err error
	if s.Minted, err = sumDecimals(ctx, r, `SELECT emission FROM epochs WHERE network = $1`, n.ID); err != nil {
		return nil, err
	}
	if s.Burned, err = sumDecimals(ctx, r, `SELECT burned FROM vpp_burns WHERE network = $1`, n.ID); err != nil {
		return nil, err
	}
	err = r.DB.QueryRowContext(ctx, `SELECT minted, spent FROM vpp_books WHERE network = $1`, n.ID).Scan(&s.CreditsMinted, &s.CreditsSpent)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	return s, nil
}

// supplyFlows is a network's last epochs' emission and the burns since
// the epoch before each, oldest first, then the burns since the last.
func (r *Resolver) supplyFlows(ctx context.Context, network string, last *int) ([]*SupplyFlow, error) {
	n, err := lastN(last, 20)
	if err != nil {
		return nil, err
	}
	type epoch struct {
		epoch, height int64
		emission      string
	}
	var epochs []epoch
	rows, err := r.DB.QueryContext(ctx, `SELECT epoch, height, emission FROM epochs WHERE network = $1 ORDER BY epoch DESC LIMIT $2`, network, n+1)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var e epoch
		if err := rows.Scan(&e.epoch, &e.height, &e.emission); err != nil {
			rows.Close()
			return nil, err
		}
		epochs = append(epochs, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Oldest first; the one before the first shown only bounds its burns.
	for i, j := 0, len(epochs)-1; i < j; i, j = i+1, j-1 {
		epochs[i], epochs[j] = epochs[j], epochs[i]
	}
	var from int64
	if len(epochs) > n {
		from, epochs = epochs[0].height, epochs[1:]
	}
	burns := map[int]*big.Int{} // by the index of the epoch row they fall in; len(epochs): after the last
	rows, err = r.DB.QueryContext(ctx, `SELECT height, burned FROM vpp_burns WHERE network = $1 AND height > $2 ORDER BY height`, network, from)
	if err != nil {
		return nil, err
	}
	k := 0
	for rows.Next() {
		var h int64
		var v string
		if err := rows.Scan(&h, &v); err != nil {
			rows.Close()
			return nil, err
		}
		for k < len(epochs) && h > epochs[k].height {
			k++
		}
		x, ok := new(big.Int).SetString(v, 10)
		if !ok {
			continue
		}
		if burns[k] == nil {
			burns[k] = new(big.Int)
		}
		burns[k].Add(burns[k], x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	burned := func(i int) string {
		if b := burns[i]; b != nil {
			return b.String()
		}
		return "0"
	}
	out := make([]*SupplyFlow, 0, len(epochs)+1)
	for i, e := range epochs {
		ep := int(e.epoch)
		out = append(out, &SupplyFlow{Epoch: &ep, Height: int(e.height), Minted: e.emission, Burned: burned(i)})
	}
	if b := burns[len(epochs)]; b != nil {
		var h int64
		if err := r.DB.QueryRowContext(ctx, `SELECT COALESCE(MAX(height), 0) FROM blocks`).Scan(&h); err != nil {
			return nil, err
		}
		out = append(out, &SupplyFlow{Height: int(h), Minted: "0", Burned: b.String()})
	}
	return out, nil
}
