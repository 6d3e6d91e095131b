package graph

// THIS CODE WILL BE UPDATED WITH SCHEMA CHANGES. PREVIOUS IMPLEMENTATION FOR SCHEMA CHANGES WILL BE KEPT IN THE COMMENT SECTION. IMPLEMENTATION FOR UNCHANGED SCHEMA WILL BE KEPT.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"

	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/explain"
	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
	"github.com/depinhq/depin/indexer"
)

// Balances is the resolver for the balances field.
func (r *accountResolver) Balances(ctx context.Context, obj *Account) ([]*Balance, error) {
	return list(ctx, r.DB, func(row scanner) (*Balance, error) {
		var b Balance
		if err := row.Scan(&b.Denom, &b.Amount); err != nil {
			return nil, err
		}
		return &b, nil
	}, `SELECT denom, amount FROM balances WHERE address = $1 ORDER BY denom`, obj.Address)
}

// Devices is the resolver for the devices field.
func (r *accountResolver) Devices(ctx context.Context, obj *Account) ([]*Device, error) {
	return list(ctx, r.DB, scanDevice, `SELECT `+deviceCols+` FROM devices WHERE owner = $1 ORDER BY id LIMIT 1000`, obj.Address)
}

// Shares is the resolver for the shares field.
func (r *accountResolver) Shares(ctx context.Context, obj *Account) ([]*ShareHolding, error) {
	return list(ctx, r.DB, func(row scanner) (*ShareHolding, error) {
		var h ShareHolding
		var denom string
		if err := row.Scan(&denom, &h.Amount, &h.Device, &h.Total); err != nil {
			return nil, err
		}
		if h.Device == "" {
			h.Device = strings.TrimPrefix(denom, "share/")
		}
		return &h, nil
	}, `SELECT b.denom, b.amount, COALESCE(s.device, ''), COALESCE(s.shares, '') FROM balances b LEFT JOIN shares s ON s.denom = b.denom
WHERE b.address = $1 AND b.denom LIKE 'share/%' AND b.amount <> '0' ORDER BY b.denom LIMIT 1000`, obj.Address)
}

// Txs is the resolver for the txs field.
func (r *accountResolver) Txs(ctx context.Context, obj *Account, last *int) ([]*Tx, error) {
	n, err := lastN(last, 20)
	if err != nil {
		return nil, err
	}
	return r.txs(ctx, `WHERE signer = $1 ORDER BY height DESC, idx DESC LIMIT $2`, obj.Address, n)
}

// DeviceCount is the resolver for the deviceCount field.
func (r *accountResolver) DeviceCount(ctx context.Context, obj *Account) (int, error) {
	var n int
	err := r.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM devices WHERE owner = $1`, obj.Address).Scan(&n)
	return n, err
}

// Unclaimed is the resolver for the unclaimed field.
func (r *accountResolver) Unclaimed(ctx context.Context, obj *Account) ([]*UnclaimedReward, error) {
	if r.Resolver.Unclaimed == nil {
		return nil, fmt.Errorf("unclaimed rewards: %w", ErrNoChain)
	}
	rows, err := list(ctx, r.DB, func(row scanner) (*UnclaimedReward, error) {
		var u UnclaimedReward
		if err := row.Scan(&u.Device, &u.Network, &u.Denom, &u.Tokenized); err != nil {
			return nil, err
		}
		return &u, nil
	}, `SELECT d.id, d.network, COALESCE(n.reward_denom, ''), COALESCE(s.active, FALSE) FROM devices d
LEFT JOIN networks n ON n.id = d.network LEFT JOIN shares s ON s.device = d.id
WHERE d.owner = $1 ORDER BY d.id LIMIT $2`, obj.Address, MaxUnclaimedDevices)
	if err != nil {
		return nil, err
	}
	ids := make([]crypto.DeviceID, len(rows))
	for i, u := range rows {
		if ids[i], err = crypto.ParseDeviceID(u.Device); err != nil {
			return nil, fmt.Errorf("unclaimed rewards: indexed device %q: %w", u.Device, err)
		}
	}
	amounts, err := r.Resolver.Unclaimed.Amounts(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("unclaimed rewards: reading the chain: %w", err)
	}
	for i, u := range rows {
		u.Amount = strconv.FormatUint(amounts[i], 10)
	}
	return rows, nil
}

// Transactions is the resolver for the transactions field.
func (r *blockResolver) Transactions(ctx context.Context, obj *Block) ([]*Tx, error) {
	return r.txs(ctx, `WHERE height = $1 ORDER BY idx LIMIT 10000`, obj.Height)
}

// Tasks is the resolver for the tasks field.
func (r *computeJobResolver) Tasks(ctx context.Context, obj *ComputeJob, first *int, after *int) ([]*ComputeTask, error) {
	return r.jobTasks(ctx, obj.ID, first, after)
}

// Image is the resolver for the image field.
func (r *computeJobResolver) Image(ctx context.Context, obj *ComputeJob) (*ComputeImage, error) {
	return r.jobImage(ctx, obj)
}

// Payments is the resolver for the payments field.
func (r *computeJobResolver) Payments(ctx context.Context, obj *ComputeJob, last *int) ([]*ComputePayment, error) {
	return r.jobPayments(ctx, obj.ID, last)
}

// Penalties is the resolver for the penalties field.
func (r *computeJobResolver) Penalties(ctx context.Context, obj *ComputeJob, last *int) ([]*ComputePenalty, error) {
	return r.penalties(ctx, "job", obj.ID, last)
}

// Providers is the resolver for the providers field.
func (r *computeMarketResolver) Providers(ctx context.Context, obj *ComputeMarket, first *int, after *string) (*ComputeProviderConnection, error) {
	return r.computeProviders(ctx, obj.Network, first, after)
}

// Penalties is the resolver for the penalties field.
func (r *computeMarketResolver) Penalties(ctx context.Context, obj *ComputeMarket, last *int) ([]*ComputePenalty, error) {
	return r.penalties(ctx, "network", obj.Network, last)
}

// Reputation is the resolver for the reputation field.
func (r *computeProviderResolver) Reputation(ctx context.Context, obj *ComputeProvider) (*int, error) {
	return r.reputation(ctx, obj.Device)
}

// Files is the resolver for the files field.
func (r *computeTaskResolver) Files(ctx context.Context, obj *ComputeTask, first *int) ([]*ComputeFile, error) {
	return r.taskFiles(ctx, obj, first)
}

// Providers is the resolver for the providers field.
func (r *computeTaskResolver) Providers(ctx context.Context, obj *ComputeTask) ([]*ComputeAssignment, error) {
	return r.taskProviders(ctx, obj)
}

// Lat is the resolver for the lat field.
func (r *deviceResolver) Lat(ctx context.Context, obj *Device) (float64, error) {
	c, err := cellOf(obj.Cell)
	return c.LatLng().Lat, err
}

// Lon is the resolver for the lon field.
func (r *deviceResolver) Lon(ctx context.Context, obj *Device) (float64, error) {
	c, err := cellOf(obj.Cell)
	return c.LatLng().Lng, err
}

// Boundary is the resolver for the boundary field.
func (r *deviceResolver) Boundary(ctx context.Context, obj *Device) ([][]float64, error) {
	return boundary(obj.Cell)
}

// Neighbours is the resolver for the neighbours field.
func (r *deviceResolver) Neighbours(ctx context.Context, obj *Device) ([]*Hex, error) {
	return r.neighbours(ctx, obj.Network, obj.Cell)
}

// Reports is the resolver for the reports field.
func (r *deviceResolver) Reports(ctx context.Context, obj *Device, last *int) ([]*ReportCount, error) {
	n, err := lastN(last, 50)
	if err != nil {
		return nil, err
	}
	return list(ctx, r.DB, func(row scanner) (*ReportCount, error) {
		var c ReportCount
		var h int64
		if err := row.Scan(&h, &c.Accepted, &c.Rejected); err != nil {
			return nil, err
		}
		c.Height = int(h)
		return &c, nil
	}, `SELECT height, accepted, rejected FROM device_reports WHERE device = $1 ORDER BY height DESC LIMIT $2`, obj.ID, n)
}

// Rewards is the resolver for the rewards field.
func (r *deviceResolver) Rewards(ctx context.Context, obj *Device, last *int) ([]*Reward, error) {
	n, err := lastN(last, 20)
	if err != nil {
		return nil, err
	}
	return list(ctx, r.DB, func(row scanner) (*Reward, error) {
		var w Reward
		var epoch, devices, covered, epochSecs, acc, rej int64
		var cell string
		if err := row.Scan(&w.Network, &epoch, &w.Reward, &w.Denom, &w.WorkReward, &w.AvailabilityReward, &w.Productivity, &w.UptimePpm, &w.ReputationPpm,
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
		return &w, nil
	}, `SELECT network, epoch, reward, denom, work_reward, availability_reward, productivity, uptime_ppm, reputation_ppm,
  quality_ppm, geo_ppm, boost_bps, below_threshold, weight, total_weight, emission, devices, covered_seconds, epoch_seconds, reports_accepted, reports_rejected, cell
FROM rewards WHERE device = $1 ORDER BY epoch DESC LIMIT $2`, obj.ID, n)
}

// Storage is the resolver for the storage field.
func (r *deviceResolver) Storage(ctx context.Context, obj *Device) (*StorageNode, error) {
	return r.storageNode(ctx, obj.ID)
}

// Compute is the resolver for the compute field.
func (r *deviceResolver) Compute(ctx context.Context, obj *Device) (*ComputeProvider, error) {
	return r.computeProvider(ctx, obj.ID)
}

// Vpp is the resolver for the vpp field.
func (r *deviceResolver) Vpp(ctx context.Context, obj *Device) (*VppMember, error) {
	return r.deviceMembership(ctx, obj.ID)
}

// Boundary is the resolver for the boundary field.
func (r *hexResolver) Boundary(ctx context.Context, obj *Hex) ([][]float64, error) {
	return boundary(obj.Hex)
}

// RejectReasons is the resolver for the rejectReasons field.
func (r *networkResolver) RejectReasons(ctx context.Context, obj *Network) ([]*ReasonCount, error) {
	return list(ctx, r.DB, func(row scanner) (*ReasonCount, error) {
		var c ReasonCount
		var n int64
		if err := row.Scan(&c.Reason, &n); err != nil {
			return nil, err
		}
		c.Count = int(n)
		return &c, nil
	}, `SELECT reason, count FROM reject_reasons WHERE network = $1 ORDER BY count DESC, reason LIMIT 100`, obj.ID)
}

// HasMarket is the resolver for the hasMarket field.
func (r *networkResolver) HasMarket(ctx context.Context, obj *Network) (bool, error) {
	var one int
	err := r.DB.QueryRowContext(ctx, `SELECT 1 FROM market_orders WHERE network = $1 LIMIT 1`, obj.ID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// Storage is the resolver for the storage field.
func (r *networkResolver) Storage(ctx context.Context, obj *Network) (*StorageMarket, error) {
	return r.storageMarket(ctx, obj.ID)
}

// Compute is the resolver for the compute field.
func (r *networkResolver) Compute(ctx context.Context, obj *Network) (*ComputeMarket, error) {
	return r.computeMarket(ctx, obj.ID)
}

// Vpp is the resolver for the vpp field.
func (r *networkResolver) Vpp(ctx context.Context, obj *Network) (*VppMarket, error) {
	return r.vppMarket(ctx, obj.ID)
}

// Supply is the resolver for the supply field.
func (r *networkResolver) Supply(ctx context.Context, obj *Network) (*TokenSupply, error) {
	return r.supply(ctx, obj)
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
	return r.networks(ctx, "")
}

// Devices is the resolver for the devices field.
func (r *queryResolver) Devices(ctx context.Context, first *int, after *string, where *DeviceWhere, orderBy *DeviceOrder) (*DeviceConnection, error) {
	n, err := page(first)
	if err != nil {
		return nil, err
	}
	var w sqlWhere
	if wh := where; wh != nil {
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
	var w sqlWhere
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
	rows, err := r.DB.QueryContext(ctx, `SELECT `+blockCols+` FROM blocks`+w.sql()+` ORDER BY height DESC LIMIT `+w.arg(n+1), w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	conn := &BlockConnection{TotalCount: total, Edges: []*BlockEdge{}, PageInfo: &PageInfo{}}
	for rows.Next() {
		b, err := scanBlock(rows)
		if err != nil {
			return nil, err
		}
		if len(conn.Edges) == n {
			conn.PageInfo.HasNextPage = true
			break
		}
		conn.Edges = append(conn.Edges, &BlockEdge{Cursor: encodeCursor(strconv.Itoa(b.Height)), Node: b})
	}
	if len(conn.Edges) > 0 {
		c := conn.Edges[len(conn.Edges)-1].Cursor
		conn.PageInfo.EndCursor = &c
	}
	return conn, rows.Err()
}

// Block is the resolver for the block field.
func (r *queryResolver) Block(ctx context.Context, height int) (*Block, error) {
	b, err := scanBlock(r.DB.QueryRowContext(ctx, `SELECT `+blockCols+` FROM blocks WHERE height = $1`, height))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return b, err
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
	return list(ctx, r.DB, func(row scanner) (*HexCount, error) {
		var h HexCount
		var n int64
		if err := row.Scan(&h.Hex, &n); err != nil {
			return nil, err
		}
		h.Devices = int(n)
		return &h, nil
	}, `SELECT cell, devices FROM hex_stats WHERE network = $1 AND res = $2 AND devices > 0 ORDER BY cell LIMIT 100000`, network, resolution)
}

// RewardsPerEpoch is the resolver for the rewardsPerEpoch field.
func (r *queryResolver) RewardsPerEpoch(ctx context.Context, network string) ([]*EpochRewards, error) {
	return list(ctx, r.DB, func(row scanner) (*EpochRewards, error) {
		var e EpochRewards
		var epoch, devices int64
		if err := row.Scan(&epoch, &e.Emission, &e.Distributed, &e.Treasury, &devices); err != nil {
			return nil, err
		}
		e.Epoch, e.Devices = int(epoch), int(devices)
		return &e, nil
	}, `SELECT epoch, emission, distributed, treasury, devices FROM epochs WHERE network = $1 ORDER BY epoch DESC LIMIT 1000`, network)
}

// Agreements is the resolver for the agreements field.
func (r *queryResolver) Agreements(ctx context.Context, consumer *string, device *string, last *int) ([]*Agreement, error) {
	n, err := lastN(last, 50)
	if err != nil {
		return nil, err
	}
	var w sqlWhere
	switch {
	case consumer != nil:
		w.conds = append(w.conds, "consumer = "+w.arg(*consumer))
	case device != nil:
		w.conds = append(w.conds, "device = "+w.arg(*device))
	default:
		return nil, fmt.Errorf("give consumer or device")
	}
	return list(ctx, r.DB, func(row scanner) (*Agreement, error) {
		var a Agreement
		var id, h int64
		if err := row.Scan(&id, &a.Consumer, &a.Device, &a.Denom, &a.Escrow, &a.Paid, &a.UnitsPaid, &a.Refunded, &a.Status, &a.Reason, &h); err != nil {
			return nil, err
		}
		a.ID, a.OpenedHeight = int(id), int(h)
		return &a, nil
	}, `SELECT id, consumer, device, denom, escrow, paid, units_paid, refunded, status, reason, opened_height FROM agreements`+
		w.sql()+` ORDER BY id DESC LIMIT `+w.arg(n), w.args...)
}

// MarketClearings is the resolver for the marketClearings field.
func (r *queryResolver) MarketClearings(ctx context.Context, network string, last *int) ([]*MarketClearing, error) {
	n, err := lastN(last, 50)
	if err != nil {
		return nil, err
	}
	return list(ctx, r.DB, func(row scanner) (*MarketClearing, error) {
		var c MarketClearing
		var iv, secs, start int64
		if err := row.Scan(&iv, &c.Price, &c.Volume, &c.Trades, &c.Delivered, &c.Paid, &c.Settled, &secs, &start); err != nil {
			return nil, err
		}
		c.Interval, c.IntervalSeconds = int(iv), int(secs)
		c.Start, c.End = intervalSpan(secs, start)
		return &c, nil
	}, `SELECT interval_no, price, volume, trades, delivered, paid, settled, interval_seconds, start_time FROM market_clearings
WHERE network = $1 ORDER BY interval_no DESC LIMIT $2`, network, n)
}

// MarketOrders is the resolver for the marketOrders field.
func (r *queryResolver) MarketOrders(ctx context.Context, network string, interval int) ([]*MarketOrder, error) {
	return list(ctx, r.DB, func(row scanner) (*MarketOrder, error) {
		var o MarketOrder
		var id, h int64
		if err := row.Scan(&id, &o.Side, &o.Price, &o.Quantity, &o.Owner, &h); err != nil {
			return nil, err
		}
		o.ID, o.Height = int(id), int(h)
		return &o, nil
	}, `SELECT id, side, price, quantity, owner, height FROM market_orders WHERE network = $1 AND interval_no = $2 ORDER BY id LIMIT 1000`, network, interval)
}

// Claims is the resolver for the claims field.
func (r *queryResolver) Claims(ctx context.Context, owner string, last *int) ([]*Claim, error) {
	n, err := lastN(last, 50)
	if err != nil {
		return nil, err
	}
	return list(ctx, r.DB, func(row scanner) (*Claim, error) {
		var c Claim
		var h int64
		if err := row.Scan(&h, &c.Denom, &c.Amount, &c.Kind, &c.Device); err != nil {
			return nil, err
		}
		c.Height = int(h)
		return &c, nil
	}, `SELECT height, denom, amount, kind, device FROM claims WHERE owner = $1 ORDER BY height DESC, tx_index DESC, seq DESC LIMIT $2`, owner, n)
}

// Network is the resolver for the network field.
func (r *queryResolver) Network(ctx context.Context, id string) (*Network, error) {
	if len(id) > 64 {
		return nil, fmt.Errorf("id: at most 64 characters")
	}
	list, err := r.networks(ctx, `WHERE n.id = $1`, id)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return list[0], nil
}

// Tx is the resolver for the tx field.
func (r *queryResolver) Tx(ctx context.Context, hash string) (*Tx, error) {
	if !isTxHash(hash) {
		return nil, fmt.Errorf("hash: want 64 hex digits")
	}
	list, err := r.txs(ctx, `WHERE hash = $1`, strings.ToUpper(hash))
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return list[0], nil
}

// Hexes is the resolver for the hexes field.
func (r *queryResolver) Hexes(ctx context.Context, network *string, resolution int, bbox []float64) ([]*Hex, error) {
	if resolution < indexer.HexResolutions[0] || resolution > indexer.HexResolutions[len(indexer.HexResolutions)-1] {
		return nil, fmt.Errorf("resolution must be %d to %d", indexer.HexResolutions[0], indexer.HexResolutions[len(indexer.HexResolutions)-1])
	}
	var w sqlWhere
	w.conds = append(w.conds, "res = "+w.arg(resolution))
	if network != nil {
		w.conds = append(w.conds, "network = "+w.arg(*network))
	}
	if bbox != nil {
		if len(bbox) != 4 {
			return nil, fmt.Errorf("bbox: want [west, south, east, north]")
		}
		west, south, east, north := bbox[0], bbox[1], bbox[2], bbox[3]
		for _, v := range bbox {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("bbox: not a number")
			}
		}
		if south < -90 || north > 90 || south > north || west < -180 || east > 180 {
			return nil, fmt.Errorf("bbox: want -180 ≤ west, east ≤ 180 and -90 ≤ south ≤ north ≤ 90")
		}
		w.conds = append(w.conds, "lat >= "+w.arg(south), "lat <= "+w.arg(north))
		if west <= east {
			w.conds = append(w.conds, "lon >= "+w.arg(west), "lon <= "+w.arg(east))
		} else { // across the antimeridian
			w.conds = append(w.conds, "(lon >= "+w.arg(west)+" OR lon <= "+w.arg(east)+")")
		}
	}
	// Summed over networks in SQL; rewards (decimal strings of any size)
	// are summed here.
	rows, err := r.DB.QueryContext(ctx, `SELECT cell, lat, lon, devices, rewards FROM hex_stats`+w.sql()+` ORDER BY cell LIMIT 200000`, w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byCell := map[string]*Hex{}
	sums := map[string]*big.Int{}
	for rows.Next() {
		var h Hex
		var devices int64
		var rewards string
		if err := rows.Scan(&h.Hex, &h.Lat, &h.Lon, &devices, &rewards); err != nil {
			return nil, err
		}
		v, ok := new(big.Int).SetString(rewards, 10)
		if !ok {
			v = new(big.Int)
		}
		if prev := byCell[h.Hex]; prev != nil {
			prev.Devices += int(devices)
			sums[h.Hex].Add(sums[h.Hex], v)
			continue
		}
		h.Resolution, h.Devices = resolution, int(devices)
		byCell[h.Hex], sums[h.Hex] = &h, v
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]*Hex, 0, len(byCell))
	for cell, h := range byCell {
		h.Rewards = sums[cell].String()
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Devices != out[j].Devices {
			return out[i].Devices > out[j].Devices
		}
		return out[i].Hex < out[j].Hex
	})
	if len(out) > MaxHexes {
		out = out[:MaxHexes]
	}
	return out, nil
}

// Search is the resolver for the search field.
func (r *queryResolver) Search(ctx context.Context, q string) ([]*SearchHit, error) {
	return r.search(ctx, q)
}

// Deal is the resolver for the deal field.
func (r *queryResolver) Deal(ctx context.Context, id int) (*StorageDeal, error) {
	return r.deal(ctx, id)
}

// Deals is the resolver for the deals field.
func (r *queryResolver) Deals(ctx context.Context, owner *string, network *string, first *int, after *string) (*StorageDealConnection, error) {
	return r.deals(ctx, owner, network, first, after)
}

// Job is the resolver for the job field.
func (r *queryResolver) Job(ctx context.Context, id int) (*ComputeJob, error) {
	return r.job(ctx, id)
}

// Jobs is the resolver for the jobs field.
func (r *queryResolver) Jobs(ctx context.Context, network *string, consumer *string, first *int, after *string) (*ComputeJobConnection, error) {
	return r.jobs(ctx, network, consumer, first, after)
}

// Pool is the resolver for the pool field.
func (r *queryResolver) Pool(ctx context.Context, id int) (*VppPool, error) {
	return r.pool(ctx, id)
}

// Pools is the resolver for the pools field.
func (r *queryResolver) Pools(ctx context.Context, network *string, operator *string, first *int, after *string) (*VppPoolConnection, error) {
	return r.pools(ctx, network, operator, first, after)
}

// Dispatch is the resolver for the dispatch field.
func (r *queryResolver) Dispatch(ctx context.Context, id int) (*VppDispatch, error) {
	return r.dispatch(ctx, id)
}

// Pieces is the resolver for the pieces field.
func (r *storageDealResolver) Pieces(ctx context.Context, obj *StorageDeal, first *int, after *int) ([]*StoragePiece, error) {
	return r.dealPieces(ctx, obj.ID, first, after)
}

// Nodes is the resolver for the nodes field.
func (r *storageDealResolver) Nodes(ctx context.Context, obj *StorageDeal) ([]*DealNode, error) {
	return r.dealNodes(ctx, obj.ID)
}

// Payments is the resolver for the payments field.
func (r *storageDealResolver) Payments(ctx context.Context, obj *StorageDeal, last *int) ([]*StoragePayment, error) {
	return r.dealPayments(ctx, obj.ID, last)
}

// Repairs is the resolver for the repairs field.
func (r *storageDealResolver) Repairs(ctx context.Context, obj *StorageDeal, last *int) ([]*StorageRepair, error) {
	return r.repairs(ctx, "r.deal", obj.ID, last)
}

// Audits is the resolver for the audits field.
func (r *storageMarketResolver) Audits(ctx context.Context, obj *StorageMarket, last *int) ([]*EpochAudits, error) {
	return r.networkAudits(ctx, obj.Network, last)
}

// NodeAudits is the resolver for the nodeAudits field.
func (r *storageMarketResolver) NodeAudits(ctx context.Context, obj *StorageMarket, epochs *int, nodes *int) ([]*NodeEpochAudits, error) {
	return r.nodeAudits(ctx, obj.Network, epochs, nodes)
}

// Nodes is the resolver for the nodes field.
func (r *storageMarketResolver) Nodes(ctx context.Context, obj *StorageMarket, first *int, after *string) (*StorageNodeConnection, error) {
	return r.storageNodes(ctx, obj.Network, first, after)
}

// Repairs is the resolver for the repairs field.
func (r *storageMarketResolver) Repairs(ctx context.Context, obj *StorageMarket, last *int) ([]*StorageRepair, error) {
	return r.repairs(ctx, "r.network", obj.Network, last)
}

// Audits is the resolver for the audits field.
func (r *storageNodeResolver) Audits(ctx context.Context, obj *StorageNode, last *int) ([]*EpochAudits, error) {
	return r.nodeEpochAudits(ctx, obj.Device, last)
}

// Flows is the resolver for the flows field.
func (r *tokenSupplyResolver) Flows(ctx context.Context, obj *TokenSupply, last *int) ([]*SupplyFlow, error) {
	// A reward denom names one network.
	var network string
	if err := r.DB.QueryRowContext(ctx, `SELECT id FROM networks WHERE reward_denom = $1`, obj.Denom).Scan(&network); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return []*SupplyFlow{}, nil
		}
		return nil, err
	}
	return r.supplyFlows(ctx, network, last)
}

// Events is the resolver for the events field.
func (r *txResolver) Events(ctx context.Context, obj *Tx) ([]*Event, error) {
	return list(ctx, r.DB, func(row scanner) (*Event, error) {
		var e Event
		if err := row.Scan(&e.Type, &e.Attrs); err != nil {
			return nil, err
		}
		return &e, nil
	}, `SELECT type, attrs FROM events WHERE height = $1 AND tx_index = $2 ORDER BY seq LIMIT 1000`, obj.Height, obj.Index)
}

// Series is the resolver for the series field.
func (r *vppAllocationResolver) Series(ctx context.Context, obj *VppAllocation) ([]*VppPoint, error) {
	return r.series(ctx, obj.Dispatch, obj.Device)
}

// Members is the resolver for the members field.
func (r *vppDispatchResolver) Members(ctx context.Context, obj *VppDispatch, first *int, after *string) ([]*VppAllocation, error) {
	return r.dispatchMembers(ctx, obj.ID, first, after)
}

// Series is the resolver for the series field.
func (r *vppDispatchResolver) Series(ctx context.Context, obj *VppDispatch) ([]*VppPoint, error) {
	return r.series(ctx, obj.ID, "")
}

// Boundary is the resolver for the boundary field.
func (r *vppPoolResolver) Boundary(ctx context.Context, obj *VppPool) ([][]float64, error) {
	return boundary(obj.Cell)
}

// Members is the resolver for the members field.
func (r *vppPoolResolver) Members(ctx context.Context, obj *VppPool, first *int, after *string, all *bool) ([]*VppMember, error) {
	return r.poolMembers(ctx, obj.ID, first, after, all)
}

// Dispatches is the resolver for the dispatches field.
func (r *vppPoolResolver) Dispatches(ctx context.Context, obj *VppPool, first *int, after *int, challenges *bool) ([]*VppDispatch, error) {
	return r.poolDispatches(ctx, obj.ID, first, after, challenges)
}

// Account returns AccountResolver implementation.
func (r *Resolver) Account() AccountResolver { return &accountResolver{r} }

// Block returns BlockResolver implementation.
func (r *Resolver) Block() BlockResolver { return &blockResolver{r} }

// ComputeJob returns ComputeJobResolver implementation.
func (r *Resolver) ComputeJob() ComputeJobResolver { return &computeJobResolver{r} }

// ComputeMarket returns ComputeMarketResolver implementation.
func (r *Resolver) ComputeMarket() ComputeMarketResolver { return &computeMarketResolver{r} }

// ComputeProvider returns ComputeProviderResolver implementation.
func (r *Resolver) ComputeProvider() ComputeProviderResolver { return &computeProviderResolver{r} }

// ComputeTask returns ComputeTaskResolver implementation.
func (r *Resolver) ComputeTask() ComputeTaskResolver { return &computeTaskResolver{r} }

// Device returns DeviceResolver implementation.
func (r *Resolver) Device() DeviceResolver { return &deviceResolver{r} }

// Hex returns HexResolver implementation.
func (r *Resolver) Hex() HexResolver { return &hexResolver{r} }

// Network returns NetworkResolver implementation.
func (r *Resolver) Network() NetworkResolver { return &networkResolver{r} }

// Query returns QueryResolver implementation.
func (r *Resolver) Query() QueryResolver { return &queryResolver{r} }

// StorageDeal returns StorageDealResolver implementation.
func (r *Resolver) StorageDeal() StorageDealResolver { return &storageDealResolver{r} }

// StorageMarket returns StorageMarketResolver implementation.
func (r *Resolver) StorageMarket() StorageMarketResolver { return &storageMarketResolver{r} }

// StorageNode returns StorageNodeResolver implementation.
func (r *Resolver) StorageNode() StorageNodeResolver { return &storageNodeResolver{r} }

// TokenSupply returns TokenSupplyResolver implementation.
func (r *Resolver) TokenSupply() TokenSupplyResolver { return &tokenSupplyResolver{r} }

// Tx returns TxResolver implementation.
func (r *Resolver) Tx() TxResolver { return &txResolver{r} }

// VppAllocation returns VppAllocationResolver implementation.
func (r *Resolver) VppAllocation() VppAllocationResolver { return &vppAllocationResolver{r} }

// VppDispatch returns VppDispatchResolver implementation.
func (r *Resolver) VppDispatch() VppDispatchResolver { return &vppDispatchResolver{r} }

// VppPool returns VppPoolResolver implementation.
func (r *Resolver) VppPool() VppPoolResolver { return &vppPoolResolver{r} }

type accountResolver struct{ *Resolver }
type blockResolver struct{ *Resolver }
type computeJobResolver struct{ *Resolver }
type computeMarketResolver struct{ *Resolver }
type computeProviderResolver struct{ *Resolver }
type computeTaskResolver struct{ *Resolver }
type deviceResolver struct{ *Resolver }
type hexResolver struct{ *Resolver }
type networkResolver struct{ *Resolver }
type queryResolver struct{ *Resolver }
type storageDealResolver struct{ *Resolver }
type storageMarketResolver struct{ *Resolver }
type storageNodeResolver struct{ *Resolver }
type tokenSupplyResolver struct{ *Resolver }
type txResolver struct{ *Resolver }
type vppAllocationResolver struct{ *Resolver }
type vppDispatchResolver struct{ *Resolver }
type vppPoolResolver struct{ *Resolver }
