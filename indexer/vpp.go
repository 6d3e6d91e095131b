package indexer

import (
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"strconv"

	"google.golang.org/protobuf/proto"

	apivpp "github.com/depinhq/depin/api/vpp"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	vppv1 "github.com/depinhq/depin/gen/depin/vpp/v1"
)

// Virtual power plants (x/vpp) from their events, and each allocated
// member's metering from the report batches. Pools come whole in
// EventPoolCreated; members follow joins, leave notices and leaves;
// dispatches and challenges their creation, each member's allocation,
// the end of allocation, each member's settlement (baseline, metered,
// delivered, paid, responded, penalty) and the dispatch's settlement.
// Service credits: purchases burn the network's token (vpp_burns, one
// row each, so the network's burn can be drawn against its emission) and
// mint credits; an operator's dispatch spends them.
//
// Metering: the chain meters a member's accepted reports into the
// allocation whose window holds the end of the report's period, as net
// energy (discharged − charged, Wh) in the dispatch's direction. The
// index does the same from the batch txs, per metering interval of the
// window, so a dispatch can be drawn over time (vpp_intervals); it needs
// the network's metric ids and interval, which it takes from the vpp
// params of the network's creation and of each params update as it is
// scheduled (the chain applies an update from the next epoch on: a
// dispatch made between the two is bucketed by the newer interval — the
// window totals, from the chain's settlement events, are exact either
// way). Their sum over a settled window is the chain's metered_wh.

// Statuses as the index stores them.
const (
	memberIn      = "MEMBER"
	memberLeaving = "LEAVING"
	memberLeft    = "LEFT"

	dispatchAllocating = "ALLOCATING"
	dispatchAllocated  = "ALLOCATED"
	dispatchSettling   = "SETTLING"
	dispatchSettled    = "SETTLED"
)

// vppOpenAlloc is an allocation whose window may still take reports.
type vppOpenAlloc struct {
	dispatch          int64
	network           string
	direction         vppv1.Direction
	start, end, every int64
}

// vppMetricIDs are a network's vpp metric ids.
type vppMetricIDs struct{ charged, discharged uint32 }

// applyVpp updates the vpp tables for one event; ok is false for events
// of other modules.
func (w *blockWriter) applyVpp(m proto.Message) (ok bool, err error) {
	switch e := m.(type) {
	case *networkv1.EventNetworkParamsScheduled:
		return true, w.vppParams(e.Network, e.Params)
	case *vppv1.EventPoolCreated:
		return true, w.poolCreated(e)
	case *vppv1.EventPoolClosed:
		return true, w.execCompute(`UPDATE vpp_pools SET closed = TRUE, closed_height = $1 WHERE id = $2`, w.height, int64(e.Id))
	case *vppv1.EventMemberJoined:
		return true, w.memberJoined(e)
	case *vppv1.EventMemberLeaving:
		return true, w.execCompute(`UPDATE vpp_members SET status = $1, leave_time = $2 WHERE pool = $3 AND device = $4`,
			memberLeaving, e.LeaveTime, int64(e.Pool), e.Device)
	case *vppv1.EventMemberLeft:
		return true, w.memberLeft(e)
	case *vppv1.EventCreditsBought:
		return true, w.creditsBought(e)
	case *vppv1.EventDispatchCreated:
		return true, w.dispatchCreated(e)
	case *vppv1.EventDispatchAllocated:
		return true, w.dispatchAllocated(e)
	case *vppv1.EventDispatchAllocationDone:
		return true, w.execCompute(`UPDATE vpp_dispatches SET status = CASE WHEN status = $1 THEN $2 ELSE status END, allocated_w = $3, members = $4,
  allocated_wh = (SELECT COALESCE(SUM(allocated_wh), 0) FROM vpp_allocations WHERE dispatch = $5) WHERE id = $5`,
			dispatchAllocating, dispatchAllocated, clampInt64(e.AllocatedW), clampInt64(e.Members), int64(e.Dispatch))
	case *vppv1.EventMemberSettled:
		return true, w.memberSettled(e)
	case *vppv1.EventDispatchSettled:
		return true, w.dispatchSettled(e)
	case *devicev1.EventStakePenalized:
		// Stake taken for a missed dispatch: the device stays active.
		return true, w.execCompute(`UPDATE devices SET stake = CASE WHEN stake > $1 THEN stake - $1 ELSE 0 END WHERE id = $2`, clampInt64(e.Amount), e.Device)
	}
	return false, nil
}

// vppParams keeps a network's metering params (none: no metering).
func (w *blockWriter) vppParams(network string, p *networkv1.Params) error {
	vp := p.GetVpp()
	if vp == nil {
		return w.execCompute(`DELETE FROM vpp_params WHERE network = $1`, network)
	}
	delete(w.vppMetrics, network)
	return w.execCompute(`INSERT INTO vpp_params (network, charged_metric, discharged_metric, interval_seconds, credit_price, height) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (network) DO UPDATE SET charged_metric = excluded.charged_metric, discharged_metric = excluded.discharged_metric,
  interval_seconds = excluded.interval_seconds, credit_price = excluded.credit_price, height = excluded.height`,
		network, int64(vp.ChargedMetric), int64(vp.DischargedMetric), clampInt64(vp.IntervalSeconds), dec(vp.CreditPrice), w.height)
}

func (w *blockWriter) poolCreated(e *vppv1.EventPoolCreated) error {
	p := e.Pool
	if p == nil {
		p = &vppv1.Pool{Id: e.Id, Network: e.Network}
	}
	return w.execCompute(`INSERT INTO vpp_pools (id, network, operator, name, cell, denom, price_per_kwh, penalty_bps, min_response_bps, notice_seconds,
  members, max_w, closed, dispatches, challenges, delivered_wh, paid, created_height, closed_height)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, 0, FALSE, 0, 0, '0', '0', $11, 0)`,
		int64(e.Id), e.Network, e.Operator, textOf(p.Name), strconv.FormatUint(p.Cell, 16), p.Denom, dec(p.PricePerKwh), int64(p.PenaltyBps),
		int64(p.MinResponseBps), clampInt64(p.NoticeSeconds), w.height)
}

func (w *blockWriter) memberJoined(e *vppv1.EventMemberJoined) error {
	// A battery that left and joins again starts a new membership.
	if err := w.execCompute(`INSERT INTO vpp_members (pool, device, owner, max_w, min_soc_ppt, rated_w, energy_wh, status, leave_time, left_reason,
  joined_height, left_height, passed, failed, misses, delivered_wh, earned, penalties)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, '', $9, 0, 0, 0, 0, '0', '0', '0')
ON CONFLICT (pool, device) DO UPDATE SET owner = excluded.owner, max_w = excluded.max_w, min_soc_ppt = excluded.min_soc_ppt, rated_w = excluded.rated_w,
  energy_wh = excluded.energy_wh, status = excluded.status, leave_time = 0, left_reason = '', joined_height = excluded.joined_height, left_height = 0,
  passed = 0, failed = 0, misses = 0, delivered_wh = '0', earned = '0', penalties = '0'`,
		int64(e.Pool), e.Device, e.Owner, clampInt64(e.MaxW), int64(e.MinSocPpt), clampInt64(e.RatedW), clampInt64(e.EnergyWh), memberIn, w.height); err != nil {
		return err
	}
	return w.execCompute(`UPDATE vpp_pools SET members = members + 1, max_w = max_w + $1 WHERE id = $2`, clampInt64(e.MaxW), int64(e.Pool))
}

func (w *blockWriter) memberLeft(e *vppv1.EventMemberLeft) error {
	var maxW int64
	err := w.tx.QueryRowContext(w.ctx, `SELECT max_w FROM vpp_members WHERE pool = $1 AND device = $2`, int64(e.Pool), e.Device).Scan(&maxW)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // a member from before the index began
	}
	if err != nil {
		return err
	}
	if err := w.execCompute(`UPDATE vpp_members SET status = $1, left_reason = $2, left_height = $3 WHERE pool = $4 AND device = $5`,
		memberLeft, textOf(e.Reason), w.height, int64(e.Pool), e.Device); err != nil {
		return err
	}
	return w.execCompute(`UPDATE vpp_pools SET members = CASE WHEN members > 0 THEN members - 1 ELSE 0 END,
  max_w = CASE WHEN max_w > $1 THEN max_w - $1 ELSE 0 END WHERE id = $2`, maxW, int64(e.Pool))
}

// books makes sure a network has its credit books.
func (w *blockWriter) books(network, denom string) error {
	return w.execCompute(`INSERT INTO vpp_books (network, denom, burned, minted, spent) VALUES ($1, $2, '0', '0', '0') ON CONFLICT (network) DO NOTHING`,
		network, denom)
}

// addCredits adds delta (negative: spent) to an account's credits.
func (w *blockWriter) addCredits(network, account string, delta int64) error {
	var cur string
	err := w.tx.QueryRowContext(w.ctx, `SELECT credits FROM vpp_credits WHERE network = $1 AND account = $2`, network, account).Scan(&cur)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	v := addDecimal(cur, uint64(max(delta, 0)))
	if delta < 0 {
		v = subDecimal(cur, uint64(-delta))
	}
	return w.execCompute(`INSERT INTO vpp_credits (network, account, credits) VALUES ($1, $2, $3)
ON CONFLICT (network, account) DO UPDATE SET credits = excluded.credits`, network, account, v)
}

func (w *blockWriter) creditsBought(e *vppv1.EventCreditsBought) error {
	if err := w.books(e.Network, e.Denom); err != nil {
		return err
	}
	if err := w.addText(`vpp_books`, `network`, e.Network, map[string]uint64{"burned": e.Burned, "minted": e.Credits}); err != nil {
		return err
	}
	if err := w.addCredits(e.Network, e.Operator, clampInt64(e.Credits)); err != nil {
		return err
	}
	return w.execCompute(`INSERT INTO vpp_burns (height, tx_index, seq, network, account, credits, burned, denom) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		w.height, w.txIndex, w.seq, e.Network, e.Operator, dec(e.Credits), dec(e.Burned), e.Denom)
}

func (w *blockWriter) dispatchCreated(e *vppv1.EventDispatchCreated) error {
	var price string
	err := w.tx.QueryRowContext(w.ctx, `SELECT price_per_kwh FROM vpp_pools WHERE id = $1`, int64(e.Pool)).Scan(&price)
	if errors.Is(err, sql.ErrNoRows) {
		price = "0"
	} else if err != nil {
		return err
	}
	var every int64
	err = w.tx.QueryRowContext(w.ctx, `SELECT interval_seconds FROM vpp_params WHERE network = $1`, e.Network).Scan(&every)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	status := dispatchAllocating
	if e.Challenge {
		status, price = dispatchAllocated, "0" // drawn and allocated at once; paid nothing
	}
	if err := w.execCompute(`INSERT INTO vpp_dispatches (id, pool, network, operator, challenge, direction, power_w, start_time, end_time, interval_seconds,
  status, denom, price_per_kwh, escrow, credits, allocated_w, allocated_wh, members, baseline_wh, delivered_wh, paid, refunded, responded, missed,
  penalties, created_height, settled_height)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 0, 0, 0, 0, 0, '0', '0', 0, 0, '0', $16, 0)`,
		int64(e.Id), int64(e.Pool), e.Network, e.Operator, e.Challenge, enumText(e.Direction), clampInt64(e.PowerW), e.Start, e.End, every,
		status, e.Denom, price, dec(e.Escrow), dec(e.Credits), w.height); err != nil {
		return err
	}
	col := "dispatches"
	if e.Challenge {
		col = "challenges"
	}
	if err := w.execCompute(`UPDATE vpp_pools SET `+col+` = `+col+` + 1 WHERE id = $1`, int64(e.Pool)); err != nil {
		return err
	}
	if e.Challenge || e.Credits == 0 {
		return nil
	}
	if err := w.books(e.Network, ""); err != nil {
		return err
	}
	if err := w.addText(`vpp_books`, `network`, e.Network, map[string]uint64{"spent": e.Credits}); err != nil {
		return err
	}
	return w.addCredits(e.Network, e.Operator, -clampInt64(e.Credits))
}

func (w *blockWriter) dispatchAllocated(e *vppv1.EventDispatchAllocated) error {
	wh := apivpp.EnergyWh(e.PowerW, uint64(max(e.End-e.Start, 0)))
	if err := w.execCompute(`INSERT INTO vpp_allocations (dispatch, device, pool, direction, power_w, start_time, end_time, challenge, open, owner,
  allocated_wh, baseline_wh, metered_wh, delivered_wh, paid, responded, penalty, settled_height)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, TRUE, COALESCE((SELECT owner FROM devices WHERE id = $2), ''), $9, 0, 0, 0, '0', FALSE, '0', 0)
ON CONFLICT (dispatch, device) DO NOTHING`,
		int64(e.Dispatch), e.Device, int64(e.Pool), enumText(e.Direction), clampInt64(e.PowerW), e.Start, e.End, e.Challenge, clampInt64(wh)); err != nil {
		return err
	}
	w.vppOpen = nil // reload: a report of this block may fall in its window
	return nil
}

func (w *blockWriter) memberSettled(e *vppv1.EventMemberSettled) error {
	penalty := dec(e.Penalty)
	if err := w.execCompute(`UPDATE vpp_allocations SET open = FALSE, owner = CASE WHEN $1 = '' THEN owner ELSE $1 END, allocated_wh = $2, baseline_wh = $3,
  metered_wh = $4, delivered_wh = $5, paid = $6, responded = $7, penalty = $8, settled_height = $9 WHERE dispatch = $10 AND device = $11`,
		e.Owner, clampInt64(e.AllocatedWh), e.BaselineWh, e.MeteredWh, clampInt64(e.DeliveredWh), dec(e.Paid), e.Responded, penalty, w.height,
		int64(e.Dispatch), e.Device); err != nil {
		return err
	}
	w.vppOpen = nil
	if err := w.execCompute(`UPDATE vpp_dispatches SET status = $1 WHERE id = $2 AND status = $3`, dispatchSettling, int64(e.Dispatch), dispatchAllocated); err != nil {
		return err
	}
	// The member's record: only an active device is judged (as on chain).
	if err := w.execCompute(`UPDATE vpp_members SET
  passed = passed + CASE WHEN $1 AND COALESCE((SELECT status FROM devices WHERE id = $3), '') = 'ACTIVE' THEN 1 ELSE 0 END,
  failed = failed + CASE WHEN NOT $1 AND COALESCE((SELECT status FROM devices WHERE id = $3), '') = 'ACTIVE' THEN 1 ELSE 0 END,
  misses = CASE WHEN COALESCE((SELECT status FROM devices WHERE id = $3), '') <> 'ACTIVE' THEN misses WHEN $1 THEN 0 ELSE misses + 1 END
WHERE pool = $2 AND device = $3`, e.Responded, int64(e.Pool), e.Device); err != nil {
		return err
	}
	return w.addMemberText(int64(e.Pool), e.Device, map[string]uint64{"delivered_wh": e.DeliveredWh, "earned": e.Paid, "penalties": e.Penalty})
}

// addMemberText adds amounts to a member's decimal columns.
func (w *blockWriter) addMemberText(pool int64, device string, deltas map[string]uint64) error {
	var delivered, earned, penalties string
	err := w.tx.QueryRowContext(w.ctx, `SELECT delivered_wh, earned, penalties FROM vpp_members WHERE pool = $1 AND device = $2`, pool, device).
		Scan(&delivered, &earned, &penalties)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return w.execCompute(`UPDATE vpp_members SET delivered_wh = $1, earned = $2, penalties = $3 WHERE pool = $4 AND device = $5`,
		addDecimal(delivered, deltas["delivered_wh"]), addDecimal(earned, deltas["earned"]), addDecimal(penalties, deltas["penalties"]), pool, device)
}

func (w *blockWriter) dispatchSettled(e *vppv1.EventDispatchSettled) error {
	id := int64(e.Dispatch)
	penalties, err := w.sumText(`SELECT penalty FROM vpp_allocations WHERE dispatch = $1`, id)
	if err != nil {
		return err
	}
	if err := w.execCompute(`UPDATE vpp_dispatches SET status = $1, delivered_wh = $2, paid = $3, refunded = $4, responded = $5, missed = $6,
  allocated_wh = $7, baseline_wh = $8, escrow = '0', settled_height = $9, penalties = $10 WHERE id = $11`,
		dispatchSettled, clampInt64(e.DeliveredWh), dec(e.Paid), dec(e.Refunded), clampInt64(e.Responded), clampInt64(e.Missed),
		clampInt64(e.AllocatedWh), clampInt64(e.BaselineWh), w.height, penalties, id); err != nil {
		return err
	}
	return w.addText(`vpp_pools`, `id`, int64(e.Pool), map[string]uint64{"delivered_wh": e.DeliveredWh, "paid": e.Paid})
}

// sumText sums the decimal TEXT amounts a query returns.
func (w *blockWriter) sumText(q string, args ...any) (string, error) {
	rows, err := w.tx.QueryContext(w.ctx, q, args...)
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

// loadVppOpen reads the allocations whose windows may take reports:
// once per block, when its first report batch is applied (allocations
// are made and settled by the block's step, before its txs).
func (w *blockWriter) loadVppOpen() error {
	w.vppOpen = map[string][]vppOpenAlloc{}
	rows, err := w.tx.QueryContext(w.ctx, `SELECT a.device, a.dispatch, d.network, a.direction, a.start_time, a.end_time, d.interval_seconds
FROM vpp_allocations a JOIN vpp_dispatches d ON d.id = a.dispatch WHERE a.open ORDER BY a.device, a.dispatch`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var dev, dir string
		var a vppOpenAlloc
		if err := rows.Scan(&dev, &a.dispatch, &a.network, &dir, &a.start, &a.end, &a.every); err != nil {
			return err
		}
		a.direction = vppv1.Direction(vppv1.Direction_value[dir])
		w.vppOpen[dev] = append(w.vppOpen[dev], a)
	}
	return rows.Err()
}

// metricIDs are a network's vpp metric ids (nil: none), read once a block.
func (w *blockWriter) metricIDs(network string) (*vppMetricIDs, error) {
	if m, ok := w.vppMetrics[network]; ok {
		return m, nil
	}
	var charged, discharged int64
	err := w.tx.QueryRowContext(w.ctx, `SELECT charged_metric, discharged_metric FROM vpp_params WHERE network = $1`, network).Scan(&charged, &discharged)
	var m *vppMetricIDs
	switch {
	case err == nil:
		m = &vppMetricIDs{charged: uint32(charged), discharged: uint32(discharged)}
	case !errors.Is(err, sql.ErrNoRows):
		return nil, err
	}
	if w.vppMetrics == nil {
		w.vppMetrics = map[string]*vppMetricIDs{}
	}
	w.vppMetrics[network] = m
	return m, nil
}

// meterVpp adds an accepted report of device dev to the interval of the
// open allocation whose window holds its period's end, as the chain
// meters it.
func (w *blockWriter) meterVpp(dev string, r *reportv1.Report) error {
	if w.vppOpen == nil {
		if err := w.loadVppOpen(); err != nil {
			return fmt.Errorf("open vpp allocations: %w", err)
		}
	}
	allocs := w.vppOpen[dev]
	if len(allocs) == 0 || r.PeriodEnd <= 0 {
		return nil
	}
	t := r.PeriodEnd - 1
	for _, a := range allocs {
		if t < a.start || t >= a.end || a.network != r.Network {
			continue
		}
		ids, err := w.metricIDs(a.network)
		if err != nil || ids == nil {
			return err
		}
		var net int64
		for _, v := range r.Metrics {
			switch v.Id {
			case ids.discharged:
				net = apivpp.SatAdd(net, int64(min(v.Value, 1<<63-1)))
			case ids.charged:
				net = apivpp.SatAdd(net, -int64(min(v.Value, 1<<63-1)))
			}
		}
		from := a.start
		if a.every > 0 {
			from = a.start + (t-a.start)/a.every*a.every
		}
		_, err = w.exec(`INSERT INTO vpp_intervals (dispatch, device, interval_start, metered_wh) VALUES ($1, $2, $3, $4)
ON CONFLICT (dispatch, device, interval_start) DO UPDATE SET metered_wh = vpp_intervals.metered_wh + excluded.metered_wh`,
			a.dispatch, dev, from, apivpp.Toward(net, a.direction))
		return err
	}
	return nil
}
