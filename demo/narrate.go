package demo

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/depinhq/depin/indexer"
)

// narrate prints a line for every epoch a network rewarded, every
// market interval cleared or settled, and every dispatch of a virtual
// power plant made or settled, as the indexer records them, so
// the terminal shows the demo working: "solar epoch 12: 8.2 SOLAR to 36
// devices". It reads the indexer's tables after each indexed block.
func narrate(ctx context.Context, ix *indexer.Indexer, db *indexer.DB, say func(string, ...any)) {
	updates, stop, err := ix.Subscribe()
	if err != nil {
		say("  (no epoch lines: %v)\n", err)
		return
	}
	defer stop()
	// Only what happens from now on: a resumed demo does not replay its
	// history.
	var seen int64
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(height), 0) FROM blocks`).Scan(&seen); err != nil {
		seen = 0
	}
	for {
		select {
		case <-ctx.Done():
			return
		case u := <-updates:
			if u.Height <= seen {
				continue
			}
			for _, line := range happenings(ctx, db, seen, u.Height) {
				say("  %s\n", line)
			}
			seen = u.Height
		}
	}
}

// happenings are the lines for blocks (from, to].
func happenings(ctx context.Context, db *indexer.DB, from, to int64) []string {
	var out []string
	rows, err := db.QueryContext(ctx, `SELECT e.network, e.epoch, e.distributed, e.treasury, e.devices, n.reward_denom
FROM epochs e JOIN networks n ON n.id = e.network WHERE e.height > $1 AND e.height <= $2 ORDER BY e.height, e.network`, from, to)
	if err == nil {
		for rows.Next() {
			var net, distributed, treasury, denom string
			var epoch, devices int64
			if rows.Scan(&net, &epoch, &distributed, &treasury, &devices, &denom) == nil {
				line := fmt.Sprintf("%s epoch %d: %s to %s", net, epoch, display(distributed, denom), plural(devices, "device"))
				if treasury != "0" {
					line += fmt.Sprintf(", %s to the treasury", display(treasury, denom))
				}
				out = append(out, line)
			}
		}
		rows.Close()
	}
	rows, err = db.QueryContext(ctx, `SELECT network, interval_no, price, volume, trades, interval_seconds, start_time
FROM market_clearings WHERE height > $1 AND height <= $2 ORDER BY height, network, interval_no`, from, to)
	if err == nil {
		for rows.Next() {
			var net, price, volume string
			var interval, trades, secs, startTime int64
			if rows.Scan(&net, &interval, &price, &volume, &trades, &secs, &startTime) == nil {
				when := fmt.Sprintf("interval %d", interval)
				if secs > 0 { // the chain says when the interval was (older events did not)
					start := time.Unix(startTime, 0).UTC()
					when = start.Format("15:04:05") + "–" + start.Add(time.Duration(secs)*time.Second).Format("15:04:05 UTC")
				}
				if trades == 0 {
					out = append(out, fmt.Sprintf("%s market %s: no trade (bids below asks)", net, when))
				} else {
					out = append(out, fmt.Sprintf("%s market %s: %s cleared %s Wh at %s udpin/Wh", net, when, plural(trades, "trade"), volume, price))
				}
			}
		}
		rows.Close()
	}
	return append(out, vppHappenings(ctx, db, from, to)...)
}

// vppHappenings are the lines of virtual power plants for blocks (from,
// to]: dispatches made and settled (challenges only settled), and
// batteries dropped from a pool for their misses.
func vppHappenings(ctx context.Context, db *indexer.DB, from, to int64) []string {
	var out []string
	rows, err := db.QueryContext(ctx, `SELECT d.id, d.pool, d.network, d.direction, d.power_w, d.start_time, d.end_time, d.escrow, d.denom, COALESCE(p.name, '')
FROM vpp_dispatches d LEFT JOIN vpp_pools p ON p.id = d.pool WHERE d.created_height > $1 AND d.created_height <= $2 AND NOT d.challenge ORDER BY d.id`, from, to)
	if err == nil {
		for rows.Next() {
			var id, pool, powerW, start, end int64
			var net, dir, escrow, denom, name string
			if rows.Scan(&id, &pool, &net, &dir, &powerW, &start, &end, &escrow, &denom, &name) == nil {
				out = append(out, fmt.Sprintf("%s pool %d (%s): dispatch %d asks %.1f kW of %s %s–%s, %s in escrow", net, pool, name, id,
					float64(powerW)/1000, directionWord(dir), time.Unix(start, 0).UTC().Format("15:04"), time.Unix(end, 0).UTC().Format("15:04 UTC"), display(escrow, denom)))
			}
		}
		rows.Close()
	}
	rows, err = db.QueryContext(ctx, `SELECT id, network, challenge, members, allocated_wh, delivered_wh, paid, denom, responded, missed, penalties
FROM vpp_dispatches WHERE settled_height > $1 AND settled_height <= $2 ORDER BY id`, from, to)
	if err == nil {
		for rows.Next() {
			var id, members, allocated, delivered, responded, missed int64
			var challenge bool
			var net, paid, denom, penalties string
			if rows.Scan(&id, &net, &challenge, &members, &allocated, &delivered, &paid, &denom, &responded, &missed, &penalties) != nil {
				continue
			}
			if challenge {
				out = append(out, fmt.Sprintf("%s challenge %d settled: %s tested, %d responded, %d missed", net, id, plural(responded+missed, "battery"), responded, missed))
				continue
			}
			line := fmt.Sprintf("%s dispatch %d settled: %s delivered %s of %s asked, %s paid", net, id, plural(responded, "battery"),
				kwh(delivered), kwh(allocated), display(paid, denom))
			switch {
			case missed == 0:
				line += "; none missed"
			case penalties == "0":
				line += fmt.Sprintf("; %d missed", missed)
			default:
				line += fmt.Sprintf("; %d missed and lost %s of stake", missed, display(penalties, "udpin"))
			}
			out = append(out, line)
		}
		rows.Close()
	}
	rows, err = db.QueryContext(ctx, `SELECT p.network, m.pool, m.device, m.left_reason FROM vpp_members m JOIN vpp_pools p ON p.id = m.pool
WHERE m.left_height > $1 AND m.left_height <= $2 AND m.left_reason LIKE 'dropped%' ORDER BY m.pool, m.device`, from, to)
	if err == nil {
		for rows.Next() {
			var net, device, reason string
			var pool int64
			if rows.Scan(&net, &pool, &device, &reason) == nil {
				out = append(out, fmt.Sprintf("%s pool %d: battery …%s %s", net, pool, device[max(0, len(device)-6):], reason))
			}
		}
		rows.Close()
	}
	return out
}

// kwh shows Wh as kWh: "1.25 kWh".
func kwh(wh int64) string { return fmt.Sprintf("%.2f kWh", float64(wh)/1000) }

// directionWord is "discharge" or "charge" for the indexer's
// DIRECTION_DISCHARGE or DIRECTION_CHARGE.
func directionWord(d string) string { return strings.ToLower(strings.TrimPrefix(d, "DIRECTION_")) }

func plural(n int64, what string) string {
	if n == 1 {
		return "1 " + what
	}
	if stem, ok := strings.CutSuffix(what, "y"); ok && stem != "" && !strings.ContainsAny(stem[len(stem)-1:], "aeiou") {
		return fmt.Sprintf("%d %sies", n, stem) // batteries
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// display shows an amount of a network's reward token (u<name>, six
// decimals) in whole tokens: "8.25 SOLAR".
func display(amount, denom string) string {
	v, ok := new(big.Int).SetString(amount, 10)
	if !ok || !strings.HasPrefix(denom, "u") {
		return amount + " " + denom
	}
	whole, frac := new(big.Int).QuoRem(v, big.NewInt(1_000_000), new(big.Int))
	s := whole.String()
	if frac.Sign() != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%06d", frac.Int64()), "0")
	}
	return s + " " + strings.ToUpper(strings.TrimPrefix(denom, "u"))
}
