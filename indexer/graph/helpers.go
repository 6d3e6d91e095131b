package graph

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	uh3 "github.com/uber/h3-go/v4"
	"strconv"
	"strings"
	"time"

	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/indexer"
)

// Resolver answers queries from the index.
type Resolver struct {
	DB *indexer.DB
	// Chain reports the indexer's and the node's heights (nil: the
	// index's cursor only).
	Chain func() (indexed, chain int64)
	// Unclaimed reads what the index cannot know from events: devices'
	// unclaimed rewards (nil: Account.unclaimed answers ErrNoChain).
	Unclaimed *Unclaimed
	// Reputations reads providers' reputations from the chain (nil:
	// ComputeProvider.reputation answers ErrNoChain).
	Reputations *Reputations
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

// sqlWhere builds a SQL condition with numbered placeholders.
type sqlWhere struct {
	conds []string
	args  []any
}

func (w *sqlWhere) arg(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func (w *sqlWhere) str(col string, f *StringFilter) error {
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

func (w *sqlWhere) int(col string, f *IntFilter) {
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

func (w *sqlWhere) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

const deviceCols = `id, network, owner, model, capacity, cell, cell_r7, status, stake, registered_height, reports_accepted, reports_rejected, last_report_height`

func scanDevice(row scanner) (*Device, error) {
	var d Device
	var capacity, stake, reg, acc, rej, last int64
	if err := row.Scan(&d.ID, &d.Network, &d.Owner, &d.Model, &capacity, &d.Cell, &d.CellR7, &d.Status, &stake, &reg, &acc, &rej, &last); err != nil {
		return nil, err
	}
	d.Capacity, d.Stake = strconv.FormatInt(capacity, 10), strconv.FormatInt(stake, 10)
	d.RegisteredHeight, d.ReportsAccepted, d.ReportsRejected, d.LastReportHeight = int(reg), int(acc), int(rej), int(last)
	return &d, nil
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

// MaxHexes bounds the hexes one map query returns.
const MaxHexes = 5000

const blockCols = `height, block_time, hash, txs, events, proposer`

func scanBlock(row scanner) (*Block, error) {
	var b Block
	var h int64
	if err := row.Scan(&h, &b.Time, &b.Hash, &b.Txs, &b.Events, &b.Proposer); err != nil {
		return nil, err
	}
	b.Height = int(h)
	return &b, nil
}

// networks lists the networks matching cond (SQL over n, with args).
func (r *Resolver) networks(ctx context.Context, cond string, args ...any) ([]*Network, error) {
	return list(ctx, r.DB, func(row scanner) (*Network, error) {
		var n Network
		var h, c int64
		var reason string
		if err := row.Scan(&n.ID, &n.Owner, &n.Class, &n.RewardDenom, &h, &c, &n.Frozen, &reason); err != nil {
			return nil, err
		}
		n.CreatedHeight, n.Devices = int(h), int(c)
		if n.Frozen {
			n.FrozenReason = &reason
		}
		return &n, nil
	}, `SELECT n.id, n.owner, n.class, n.reward_denom, n.created_height, (SELECT COUNT(*) FROM devices d WHERE d.network = n.id), n.frozen, n.frozen_reason
FROM networks n `+cond+` ORDER BY n.id LIMIT 1000`, args...)
}

// txs lists the transactions matching tail (WHERE … ORDER BY … LIMIT …).
func (r *Resolver) txs(ctx context.Context, tail string, args ...any) ([]*Tx, error) {
	return list(ctx, r.DB, func(row scanner) (*Tx, error) {
		var t Tx
		var h int64
		var types string
		if err := row.Scan(&t.Hash, &h, &t.Index, &t.Signer, &t.Code, &t.Codespace, &t.Log, &types, &t.Size); err != nil {
			return nil, err
		}
		t.Height, t.MsgTypes = int(h), []string{}
		if types != "" {
			t.MsgTypes = strings.Split(types, ",")
		}
		return &t, nil
	}, `SELECT hash, height, idx, signer, code, codespace, log, msg_types, size FROM txs `+tail, args...)
}

func isTxHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}

// cellOf parses a cell in hex as stored in the index.
func cellOf(s string) (uh3.Cell, error) {
	v, err := strconv.ParseUint(s, 16, 64)
	if err != nil || !uh3.Cell(v).IsValid() {
		return 0, fmt.Errorf("cell %q: not an H3 cell", s)
	}
	return uh3.Cell(v), nil
}

// boundary is a cell's outline as [lat, lon] pairs.
func boundary(cell string) ([][]float64, error) {
	c, err := cellOf(cell)
	if err != nil {
		return nil, err
	}
	b := c.Boundary()
	out := make([][]float64, len(b))
	for i, p := range b {
		out[i] = []float64{p.Lat, p.Lng}
	}
	return out, nil
}

// search finds what q names; several kinds may match (a network may be
// called like a number).
func (r *Resolver) search(ctx context.Context, q string) ([]*SearchHit, error) {
	q = strings.TrimSpace(q)
	if q == "" || len(q) > 128 {
		return nil, fmt.Errorf("q: give 1 to 128 characters")
	}
	out := []*SearchHit{}
	if h, err := strconv.ParseInt(q, 10, 64); err == nil && h > 0 {
		b, err := scanBlock(r.DB.QueryRowContext(ctx, `SELECT `+blockCols+` FROM blocks WHERE height = $1`, h))
		switch {
		case err == nil:
			out = append(out, &SearchHit{Kind: "block", ID: strconv.Itoa(b.Height), Label: fmt.Sprintf("Block %d (%d txs)", b.Height, b.Txs)})
		case !errors.Is(err, sql.ErrNoRows):
			return nil, err
		}
	}
	if isTxHash(q) {
		t, err := r.txs(ctx, `WHERE hash = $1`, strings.ToUpper(q))
		if err != nil {
			return nil, err
		}
		for _, t := range t {
			out = append(out, &SearchHit{Kind: "tx", ID: t.Hash, Label: fmt.Sprintf("Transaction in block %d", t.Height)})
		}
	}
	if a, err := crypto.ParseAddress(q); err == nil {
		// Every valid address has an account page (perhaps empty).
		out = append(out, &SearchHit{Kind: "account", ID: a.String(), Label: "Account " + a.String()})
	}
	if _, err := crypto.ParseDeviceID(q); err == nil {
		var network string
		err := r.DB.QueryRowContext(ctx, `SELECT network FROM devices WHERE id = $1`, q).Scan(&network)
		switch {
		case err == nil:
			out = append(out, &SearchHit{Kind: "device", ID: q, Label: "Device in " + network})
		case !errors.Is(err, sql.ErrNoRows):
			return nil, err
		}
	}
	n, err := r.networks(ctx, `WHERE n.id = $1`, q)
	if err != nil {
		return nil, err
	}
	for _, n := range n {
		out = append(out, &SearchHit{Kind: "network", ID: n.ID, Label: fmt.Sprintf("Network %s (%s, %d devices)", n.ID, n.Class, n.Devices)})
	}
	return out, nil
}

// scanner is a row to scan (*sql.Row or *sql.Rows).
type scanner interface{ Scan(...any) error }

// list runs a query and scans each of its rows into a *T.
func list[T any](ctx context.Context, db *indexer.DB, scan func(row scanner) (*T, error), q string, args ...any) ([]*T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// intervalSpan is a market interval's start and end in RFC 3339 (UTC)
// from its length and start in unix seconds; both nil when the length is
// unknown (0: indexed before the chain's events carried it).
func intervalSpan(seconds, start int64) (*string, *string) {
	if seconds <= 0 {
		return nil, nil
	}
	from := time.Unix(start, 0).UTC()
	a, b := from.Format(time.RFC3339), from.Add(time.Duration(seconds)*time.Second).Format(time.RFC3339)
	return &a, &b
}

// neighbourRings is how many rings of cells around a device's hex
// Device.neighbours shows (two: 19 cells).
const neighbourRings = 2

// neighbours is a device's neighbourhood: its cell's parent at the finest
// resolution the index counts (its own cell when coarser) first, then the
// cells of neighbourRings rings around it, each with the network's devices
// and rewards there (from hex_stats; none where it has no row).
func (r *Resolver) neighbours(ctx context.Context, network, cell string) ([]*Hex, error) {
	c, err := cellOf(cell)
	if err != nil {
		return nil, err
	}
	res := min(c.Resolution(), indexer.HexResolutions[len(indexer.HexResolutions)-1])
	if res < indexer.HexResolutions[0] {
		return []*Hex{}, nil
	}
	centre := c
	if c.Resolution() > res {
		centre = c.Parent(res)
	}
	var out []*Hex
	byCell := map[string]*Hex{}
	var w sqlWhere
	ph := []string{}
	for _, n := range centre.GridDisk(neighbourRings) { // the centre first, then ring by ring
		key := strconv.FormatUint(uint64(n), 16)
		if n == 0 || byCell[key] != nil {
			continue // GridDisk leaves zeros next to pentagons
		}
		ll := n.LatLng()
		h := &Hex{Hex: key, Resolution: res, Rewards: "0", Lat: ll.Lat, Lon: ll.Lng}
		out = append(out, h)
		byCell[h.Hex] = h
		ph = append(ph, w.arg(h.Hex))
	}
	q := `SELECT cell, devices, rewards FROM hex_stats WHERE network = ` + w.arg(network) + ` AND res = ` + w.arg(res) +
		` AND cell IN (` + strings.Join(ph, ", ") + `)`
	rows, err := r.DB.QueryContext(ctx, q, w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var cell string
		var devices int64
		var rewards string
		if err := rows.Scan(&cell, &devices, &rewards); err != nil {
			return nil, err
		}
		if h := byCell[cell]; h != nil {
			h.Devices, h.Rewards = int(devices), rewards
		}
	}
	return out, rows.Err()
}
