package indexer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strconv"

	uh3 "github.com/uber/h3-go/v4"

	"github.com/depinhq/depin/h3"
)

// HexResolutions are the H3 resolutions the index keeps per-hex counts
// (and device parent cells) for.
var HexResolutions = [...]int{4, 5, 6, 7, 8}

// parents returns a cell's parents at HexResolutions, in hex ("" where the
// cell is coarser than the resolution).
func parents(cell uint64) [len(HexResolutions)]string {
	var out [len(HexResolutions)]string
	for i, r := range HexResolutions {
		if p, err := h3.Parent(cell, r); err == nil {
			out[i] = strconv.FormatUint(p, 16)
		}
	}
	return out
}

type hexKey struct {
	network string
	cell    uint64 // at one of HexResolutions
}

type hexDelta struct {
	devices int64
	rewards big.Int
}

// hexTally sums changes to hex_stats before they are written.
type hexTally map[hexKey]*hexDelta

// add counts devices (±) and rewards for a device cell in every parent hex.
func (t hexTally) add(network string, cell uint64, devices int64, reward *big.Int) {
	for _, r := range HexResolutions {
		p, err := h3.Parent(cell, r)
		if err != nil {
			continue
		}
		k := hexKey{network, p}
		d := t[k]
		if d == nil {
			d = &hexDelta{}
			t[k] = d
		}
		d.devices += devices
		if reward != nil {
			d.rewards.Add(&d.rewards, reward)
		}
	}
}

// flush applies the tally to hex_stats in a fixed order.
func (t hexTally) flush(ctx context.Context, tx *sql.Tx) error {
	keys := make([]hexKey, 0, len(t))
	for k, d := range t {
		if d.devices != 0 || d.rewards.Sign() != 0 {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].network != keys[j].network {
			return keys[i].network < keys[j].network
		}
		return keys[i].cell < keys[j].cell
	})
	for _, k := range keys {
		d := t[k]
		cell := strconv.FormatUint(k.cell, 16)
		res := h3.Resolution(k.cell)
		var devices int64
		var rewards string
		rw := new(big.Int)
		err := tx.QueryRowContext(ctx, `SELECT devices, rewards FROM hex_stats WHERE network = $1 AND res = $2 AND cell = $3`, k.network, res, cell).Scan(&devices, &rewards)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		default:
			rw.SetString(rewards, 10)
		}
		devices += d.devices
		rw.Add(rw, &d.rewards)
		if devices < 0 || rw.Sign() < 0 {
			return fmt.Errorf("hex %s of %s would count %d devices, %s rewards: the index is inconsistent", cell, k.network, devices, rw)
		}
		if devices == 0 && rw.Sign() == 0 {
			_, err = tx.ExecContext(ctx, `DELETE FROM hex_stats WHERE network = $1 AND res = $2 AND cell = $3`, k.network, res, cell)
		} else {
			c := uh3.Cell(k.cell).LatLng()
			_, err = tx.ExecContext(ctx, `INSERT INTO hex_stats (network, res, cell, lat, lon, devices, rewards) VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (network, res, cell) DO UPDATE SET devices = excluded.devices, rewards = excluded.rewards`, k.network, res, cell, c.Lat, c.Lng, devices, rw.String())
		}
		if err != nil {
			return fmt.Errorf("hex_stats: %w", err)
		}
	}
	return nil
}

// deviceCell reads a device's network and cell (false if not indexed).
func deviceCell(ctx context.Context, tx *sql.Tx, id string) (network string, cell uint64, ok bool, err error) {
	var c string
	err = tx.QueryRowContext(ctx, `SELECT network, cell FROM devices WHERE id = $1`, id).Scan(&network, &c)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, false, nil
	}
	if err != nil {
		return "", 0, false, err
	}
	cell, err = strconv.ParseUint(c, 16, 64)
	return network, cell, err == nil, err
}

// backfillHexStats fills hex_stats from the devices and rewards indexed
// before migration 3.
func backfillHexStats(ctx context.Context, tx *sql.Tx) error {
	t := hexTally{}
	scan := func(q string, reward bool) error {
		rows, err := tx.QueryContext(ctx, q)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var network, cell, amount string
			if err := rows.Scan(&network, &cell, &amount); err != nil {
				return err
			}
			c, err := strconv.ParseUint(cell, 16, 64)
			if err != nil {
				continue
			}
			if reward {
				v, _ := new(big.Int).SetString(amount, 10)
				t.add(network, c, 0, v)
			} else {
				t.add(network, c, 1, nil)
			}
		}
		return rows.Err()
	}
	if err := scan(`SELECT network, cell, '' FROM devices WHERE status <> 'RETIRED'`, false); err != nil {
		return err
	}
	if err := scan(`SELECT network, cell, reward FROM rewards`, true); err != nil {
		return err
	}
	return t.flush(ctx, tx)
}

// RebuildHexStats recomputes hex_stats from the devices and rewards tables
// (for rows written by other means than indexing, and as a repair).
func (db *DB) RebuildHexStats(ctx context.Context) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM hex_stats`); err != nil {
		return err
	}
	if err := backfillHexStats(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}
