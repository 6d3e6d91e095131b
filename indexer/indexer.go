package indexer

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/depinhq/depin/api/auth"
	"github.com/depinhq/depin/api/event"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	agreementv1 "github.com/depinhq/depin/gen/depin/agreement/v1"
	appv1 "github.com/depinhq/depin/gen/depin/app/v1"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	marketv1 "github.com/depinhq/depin/gen/depin/market/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
	sharev1 "github.com/depinhq/depin/gen/depin/share/v1"
	"github.com/depinhq/depin/wire"
)

// Indexer copies finalized blocks into a DB.
type Indexer struct {
	DB     *DB
	Client *client.Client
	Log    *slog.Logger
	// Poll is how often to ask for new blocks when caught up (default 200 ms).
	Poll time.Duration

	chainHeight atomic.Int64
	height      atomic.Int64
	live        broker
}

// Lag is how many finalized blocks the indexer is behind the node.
func (ix *Indexer) Lag() int64 { return max(0, ix.chainHeight.Load()-ix.height.Load()) }

// Height is the last indexed height.
func (ix *Indexer) Height() int64 { return ix.height.Load() }

// Run indexes from the cursor onwards until ctx ends. Node outages are
// waited out (with the error logged), never skipped.
func (ix *Indexer) Run(ctx context.Context) error {
	if ix.Log == nil {
		ix.Log = slog.New(slog.DiscardHandler)
	}
	poll := ix.Poll
	if poll == 0 {
		poll = 200 * time.Millisecond
	}
	h, err := ix.DB.Height(ctx)
	if err != nil {
		return err
	}
	ix.height.Store(h)
	if h == 0 {
		if err := ix.seedGenesis(ctx); err != nil {
			return err
		}
	}
	lastLog := time.Now()
	for ctx.Err() == nil {
		st, err := ix.Client.Status(ctx)
		if err != nil {
			ix.Log.Warn("node unreachable; retrying", "err", err)
			if !sleep(ctx, time.Second) {
				break
			}
			continue
		}
		// A block is final for the app once the next one exists.
		chain := st.SyncInfo.LatestBlockHeight - 1
		ix.chainHeight.Store(chain)
		for next := ix.height.Load() + 1; next <= chain && ctx.Err() == nil; next++ {
			if err := ix.indexBlock(ctx, next); err != nil {
				if ctx.Err() != nil {
					break
				}
				if errors.Is(err, event.ErrEvent) {
					ix.Log.Error("an event does not decode: indexing stays at this block until the indexer knows it (is it older than the chain?)", "height", next, "err", err)
				} else {
					ix.Log.Warn("indexing failed; retrying", "height", next, "err", err)
				}
				sleep(ctx, time.Second)
				break
			}
			ix.height.Store(next)
			if time.Since(lastLog) > 5*time.Second {
				ix.Log.Info("indexing", "height", next, "lag", ix.Lag())
				lastLog = time.Now()
			}
		}
		if !sleep(ctx, poll) {
			break
		}
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// seedGenesis writes the genesis balances (they have no events).
func (ix *Indexer) seedGenesis(ctx context.Context) error {
	g, err := ix.Client.Genesis(ctx)
	if err != nil {
		return fmt.Errorf("genesis: %w", err)
	}
	var st appv1.GenesisState
	if err := protojson.Unmarshal(g.AppState, &st); err != nil {
		return fmt.Errorf("genesis app_state: %w", err)
	}
	tx, err := ix.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, b := range st.GetBank().GetBalances() {
		for _, c := range b.Coins {
			if err := addBalance(ctx, tx, b.Address, c.Denom, new(big.Int).SetUint64(c.Amount), 0); err != nil {
				return err
			}
		}
	}
	return tx.Commit()
}

// indexBlock writes one block and its results in one DB transaction.
func (ix *Indexer) indexBlock(ctx context.Context, h int64) error {
	b, err := ix.Client.Block(ctx, h)
	if err != nil {
		return fmt.Errorf("block %d: %w", h, err)
	}
	res, err := ix.Client.BlockResults(ctx, h)
	if err != nil {
		return fmt.Errorf("block results %d: %w", h, err)
	}
	if len(res.TxResults) != len(b.Block.Txs) {
		return fmt.Errorf("block %d: %d txs but %d results", h, len(b.Block.Txs), len(res.TxResults))
	}
	tx, err := ix.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	w := &blockWriter{ctx: ctx, tx: tx, height: h, blockTime: b.Block.Time, reports: map[string]ReportCount{}, hexes: hexTally{}, multiRow: ix.DB.Dialect == "postgres"}
	nevents := len(res.FinalizeBlockEvents)
	for _, r := range res.TxResults {
		nevents += len(r.Events)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO blocks (height, block_time, hash, app_hash, proposer, txs, events) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		h, b.Block.Time.UTC().Format(time.RFC3339Nano), b.BlockID.Hash.String(), b.Block.AppHash.String(), b.Block.ProposerAddress.String(), len(b.Block.Txs), nevents); err != nil {
		return fmt.Errorf("block %d: %w", h, err)
	}
	for i, ev := range res.FinalizeBlockEvents {
		if err := w.event(-1, i, ev, nil); err != nil {
			return err
		}
	}
	for i, raw := range b.Block.Txs {
		r := res.TxResults[i]
		hash := strings.ToUpper(hex.EncodeToString(sha256Sum(raw)))
		signer, types := "", []string{}
		var decoded *auth.Tx
		if t, err := auth.DecodeTx(raw); err == nil {
			decoded = t
			signer = t.Signer.String()
			for _, m := range t.Body.Messages {
				types = append(types, strings.TrimPrefix(fmt.Sprintf("%T", m.Sum), "*txv1.Msg_"))
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO txs (hash, height, idx, signer, code, codespace, log, msg_types, size) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			hash, h, i, signer, r.Code, r.Codespace, truncate(r.Log, 2000), strings.Join(types, ","), len(raw)); err != nil {
			return fmt.Errorf("tx %s: %w", hash, err)
		}
		for j, ev := range r.Events {
			if err := w.event(i, j, ev, decoded); err != nil {
				return err
			}
		}
	}
	if err := w.flush(); err != nil {
		return err
	}
	r, err := tx.ExecContext(ctx, `UPDATE index_cursor SET height = $1 WHERE id = 1 AND height = $2`, h, h-1)
	if err != nil {
		return err
	}
	if n, err := r.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("block %d: the cursor moved under us: is another indexer writing to this database?", h)
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	ix.live.publish(Update{Height: h, Time: b.Block.Time.UTC().Format(time.RFC3339Nano), Txs: len(b.Block.Txs), Reports: w.reports})
	return nil
}

func sha256Sum(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

type blockWriter struct {
	ctx          context.Context
	tx           *sql.Tx
	height       int64
	blockTime    time.Time
	txIndex, seq int // of the event being applied
	// Buffered until the block's end: report outcomes per device (written
	// in multi-row statements; also what live updates publish) and
	// rejections per network and reason, event rows (multi-row inserts) and
	// balance changes (summed per account and denom, then written once
	// each).
	reports map[string]ReportCount
	reasons map[[2]string]int
	// multiRow: write buffered rows many per statement (PostgreSQL, where
	// each statement is a round trip); otherwise one prepared statement per
	// row (SQLite, in process: measured 3× faster than multi-row there).
	multiRow bool
	events   []eventRow
	balances map[[2]string]*big.Int
	hexes    hexTally
	audits   auditTally           // storage audit outcomes per node and epoch
	submits  map[[2]int]bool      // (tx, message) of the block's MsgSubmitJobs matched to their jobs
	stmts    map[string]*sql.Stmt // prepared once per block
	// Virtual power plants' allocations open to reports, by device (nil:
	// not read yet in this block), and networks' vpp metric ids.
	vppOpen    map[string][]vppOpenAlloc
	vppMetrics map[string]*vppMetricIDs
}

// exec runs a statement prepared once per block (hot statements).
func (w *blockWriter) exec(q string, args ...any) (sql.Result, error) {
	st, err := w.stmt(q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(w.ctx, args...)
}

func (w *blockWriter) stmt(q string) (*sql.Stmt, error) {
	if st, ok := w.stmts[q]; ok {
		return st, nil
	}
	st, err := w.tx.PrepareContext(w.ctx, q)
	if err != nil {
		return nil, err
	}
	if w.stmts == nil {
		w.stmts = map[string]*sql.Stmt{}
	}
	w.stmts[q] = st
	return st, nil
}

type eventRow struct {
	txIndex, seq int
	typ, attrs   string
}

// flush writes the buffered event rows, balance and hex changes.
func (w *blockWriter) flush() error {
	if err := w.hexes.flush(w.ctx, w.tx); err != nil {
		return err
	}
	if err := w.flushAudits(); err != nil {
		return fmt.Errorf("storage audits of block %d: %w", w.height, err)
	}
	events := make([][]any, len(w.events))
	for i, r := range w.events {
		events[i] = []any{w.height, r.txIndex, r.seq, r.typ, r.attrs}
	}
	if err := w.values(`INSERT INTO events (height, tx_index, seq, type, attrs) VALUES `, "", "", events); err != nil {
		return fmt.Errorf("events of block %d: %w", w.height, err)
	}
	if err := w.flushReports(); err != nil {
		return fmt.Errorf("reports of block %d: %w", w.height, err)
	}
	keys := make([][2]string, 0, len(w.balances))
	for k := range w.balances {
		keys = append(keys, k)
	}
	sortPairs(keys)
	sel, err := w.stmt(`SELECT amount FROM balances WHERE address = $1 AND denom = $2`)
	if err != nil {
		return err
	}
	for _, k := range keys {
		d := w.balances[k]
		if d.Sign() == 0 {
			continue
		}
		var cur string
		v := new(big.Int)
		switch err := sel.QueryRowContext(w.ctx, k[0], k[1]).Scan(&cur); {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		default:
			v.SetString(cur, 10)
		}
		v.Add(v, d)
		switch v.Sign() {
		case -1:
			return fmt.Errorf("balance of %s in %s would go negative: the index is inconsistent", k[0], k[1])
		case 0:
			_, err = w.exec(`DELETE FROM balances WHERE address = $1 AND denom = $2`, k[0], k[1])
		default:
			_, err = w.exec(`INSERT INTO balances (address, denom, amount, updated_height) VALUES ($1, $2, $3, $4)
ON CONFLICT (address, denom) DO UPDATE SET amount = excluded.amount, updated_height = excluded.updated_height`, k[0], k[1], v.String(), w.height)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (w *blockWriter) addBalance(addr, denom string, delta *big.Int) {
	if w.balances == nil {
		w.balances = map[[2]string]*big.Int{}
	}
	k := [2]string{addr, denom}
	if cur, ok := w.balances[k]; ok {
		cur.Add(cur, delta)
		return
	}
	w.balances[k] = new(big.Int).Set(delta)
}

// event stores an event and applies it to the domain tables. A typed
// event (event.Typed) that does not decode is an error naming the block,
// tx and event: the indexer stops there (Run retries the block) rather
// than guess fields. Other events (the per-message "message" event) are
// stored only.
func (w *blockWriter) event(txIndex, seq int, ev event.Event, t *auth.Tx) error {
	attrs := map[string]string{}
	for _, a := range ev.Attributes {
		attrs[a.Key] = a.Value
	}
	js, _ := json.Marshal(attrs)
	w.events = append(w.events, eventRow{txIndex: txIndex, seq: seq, typ: ev.Type, attrs: string(js)})
	w.txIndex, w.seq = txIndex, seq
	if !event.Typed(ev.Type) {
		return nil
	}
	m, err := event.FromABCI(ev)
	if err == nil {
		err = w.apply(m, t)
	}
	if err != nil {
		where := fmt.Sprintf("tx %d", txIndex)
		if txIndex < 0 {
			where = "block events"
		}
		return fmt.Errorf("block %d, %s, event %d (%s): %w", w.height, where, seq, ev.Type, err)
	}
	return nil
}

func addBalance(ctx context.Context, tx *sql.Tx, addr, denom string, delta *big.Int, height int64) error {
	var cur string
	err := tx.QueryRowContext(ctx, `SELECT amount FROM balances WHERE address = $1 AND denom = $2`, addr, denom).Scan(&cur)
	v := new(big.Int)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return err
	default:
		v.SetString(cur, 10)
	}
	v.Add(v, delta)
	if v.Sign() < 0 {
		return fmt.Errorf("balance of %s in %s would go negative: the index is inconsistent", addr, denom)
	}
	if v.Sign() == 0 {
		_, err = tx.ExecContext(ctx, `DELETE FROM balances WHERE address = $1 AND denom = $2`, addr, denom)
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO balances (address, denom, amount, updated_height) VALUES ($1, $2, $3, $4)
ON CONFLICT (address, denom) DO UPDATE SET amount = excluded.amount, updated_height = excluded.updated_height`, addr, denom, v.String(), height)
	return err
}

// apply updates the domain tables for one typed event; events that change
// nothing the index keeps are ignored.
func (w *blockWriter) apply(m proto.Message, t *auth.Tx) error {
	ctx, tx, h := w.ctx, w.tx, w.height
	exec := func(q string, args ...any) error {
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	}
	switch e := m.(type) {
	case *bankv1.EventTransfer:
		w.moveCoins(e.From, e.To, e.Amount)
	case *bankv1.EventMint:
		w.moveCoins("", e.To, e.Amount)
	case *bankv1.EventBurn:
		w.moveCoins(e.From, "", e.Amount)
	case *networkv1.EventNetworkCreated:
		if err := exec(`INSERT INTO networks (id, owner, class, reward_denom, created_height) VALUES ($1, $2, $3, $4, $5)`,
			e.Id, e.Owner, enumText(e.Class), e.RewardDenom, h); err != nil {
			return err
		}
		return w.vppParams(e.Id, e.Network.GetParams())
	case *devicev1.EventDeviceRegistered:
		parents := parents(e.Cell)
		w.hexes.add(e.Network, e.Cell, 1, nil)
		return exec(`INSERT INTO devices (id, network, owner, model, capacity, cell, cell_r4, cell_r5, cell_r6, cell_r7, cell_r8, status, stake, registered_height)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'ACTIVE', $12, $13)`,
			e.Device, e.Network, e.Owner, e.Model, int64(e.Capacity), strconv.FormatUint(e.Cell, 16),
			parents[0], parents[1], parents[2], parents[3], parents[4], int64(e.Stake), h)
	case *devicev1.EventDeviceTransferred:
		return exec(`UPDATE devices SET owner = $1 WHERE id = $2`, e.To, e.Device)
	case *devicev1.EventDeviceMoved:
		parents := parents(e.ToCell)
		if err := w.moveHexes(e.Device, e.ToCell); err != nil {
			return err
		}
		return exec(`UPDATE devices SET cell = $1, cell_r4 = $2, cell_r5 = $3, cell_r6 = $4, cell_r7 = $5, cell_r8 = $6 WHERE id = $7`,
			strconv.FormatUint(e.ToCell, 16), parents[0], parents[1], parents[2], parents[3], parents[4], e.Device)
	case *devicev1.EventDeviceDeactivated:
		return exec(`UPDATE devices SET status = 'UNBONDING' WHERE id = $1`, e.Device)
	case *devicev1.EventStakeWithdrawn:
		if err := w.moveHexes(e.Device, 0); err != nil {
			return err
		}
		return exec(`UPDATE devices SET status = 'RETIRED', stake = 0 WHERE id = $1`, e.Device)
	case *rewardv1.EventDeviceSlashed:
		// Only an active device is jailed; unbonding and retired ones keep their status.
		return exec(`UPDATE devices SET status = CASE WHEN status = 'ACTIVE' THEN 'JAILED' ELSE status END, stake = stake - $1 WHERE id = $2`, int64(e.Slashed), e.Device)
	case *networkv1.EventNetworkFrozen:
		return exec(`UPDATE networks SET frozen = TRUE, frozen_reason = $1 WHERE id = $2`, e.Step+": "+e.Reason, e.Network)
	case *networkv1.EventNetworkResumed:
		return exec(`UPDATE networks SET frozen = FALSE, frozen_reason = '' WHERE id = $1`, e.Network)
	case *marketv1.EventOrderCancelled:
		return exec(`UPDATE market_orders SET status = 'CANCELLED' WHERE id = $1`, int64(e.Id))
	case *reportv1.EventEvidenceRecorded:
		return exec(`INSERT INTO evidence (id, kind, device, network, submitter, height) VALUES ($1, $2, $3, $4, $5, $6)`,
			e.Id, enumText(e.Kind), e.Device, e.Network, e.Submitter, h)
	case *reportv1.EventReportBatch:
		return w.reportBatch(e.Outcomes, t)
	case *rewardv1.EventDeviceRewarded:
		return w.deviceRewarded(e.Breakdown)
	case *rewardv1.EventEpochRewarded:
		return exec(`INSERT INTO epochs (network, epoch, emission, distributed, treasury, devices, height) VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (network, epoch) DO NOTHING`, e.Network, int64(e.Epoch), dec(e.Emission), dec(e.Distributed), dec(e.Treasury), int64(e.Devices), h)
	case *rewardv1.EventRewardsClaimed:
		return exec(`INSERT INTO claims (height, tx_index, seq, owner, denom, amount, kind, device) VALUES ($1, $2, $3, $4, $5, $6, 'owner', '')`,
			h, w.txIndex, w.seq, e.Owner, e.Denom, dec(e.Amount))
	case *sharev1.EventShareRewardsClaimed:
		return exec(`INSERT INTO claims (height, tx_index, seq, owner, denom, amount, kind, device) VALUES ($1, $2, $3, $4, $5, $6, 'shares', $7)`,
			h, w.txIndex, w.seq, e.Holder, e.Denom, dec(e.Amount), e.Device)
	case *sharev1.EventTokenized:
		return exec(`INSERT INTO shares (device, denom, shares, owner, active, height) VALUES ($1, $2, $3, $4, TRUE, $5)
ON CONFLICT (device) DO UPDATE SET denom = excluded.denom, shares = excluded.shares, owner = excluded.owner, active = TRUE, height = excluded.height`,
			e.Device, e.Denom, dec(e.Shares), e.Owner, h)
	case *sharev1.EventUntokenized:
		if err := exec(`UPDATE shares SET active = FALSE, owner = $1, height = $2 WHERE device = $3`, e.Owner, h, e.Device); err != nil {
			return err
		}
		return exec(`UPDATE devices SET owner = $1 WHERE id = $2`, e.Owner, e.Device)
	case *agreementv1.EventAgreementOpened:
		return exec(`INSERT INTO agreements (id, consumer, device, denom, escrow, paid, units_paid, refunded, status, reason, opened_height)
VALUES ($1, $2, $3, $4, $5, '0', '0', '0', 'OPEN', '', $6)`, int64(e.Id), e.Consumer, e.Device, e.Denom, dec(e.Escrow), h)
	case *agreementv1.EventAgreementSettled:
		return w.addText(`agreements`, `id`, int64(e.Id), map[string]uint64{"paid": e.Amount, "units_paid": e.UnitsPaid})
	case *agreementv1.EventAgreementClosed:
		return exec(`UPDATE agreements SET status = 'CLOSED', reason = $1, refunded = $2 WHERE id = $3`, e.Reason, dec(e.Refunded), int64(e.Id))
	case *marketv1.EventOrderPlaced:
		owner := ""
		if t != nil {
			owner = t.Signer.String()
		}
		return exec(`INSERT INTO market_orders (id, network, side, interval_no, price, quantity, owner, height) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			int64(e.Id), e.Network, enumText(e.Side), int64(e.Interval), dec(e.Price), dec(e.Quantity), owner, h)
	case *marketv1.EventIntervalCleared:
		if err := exec(`UPDATE market_orders SET status = 'CLEARED' WHERE network = $1 AND interval_no = $2 AND status = 'OPEN'`, e.Network, int64(e.Interval)); err != nil {
			return err
		}
		return exec(`INSERT INTO market_clearings (network, interval_no, price, volume, trades, delivered, paid, settled, height, interval_seconds, start_time)
VALUES ($1, $2, $3, $4, $5, '0', '0', $6, $7, $8, $9)`,
			e.Network, int64(e.Interval), dec(e.Price), dec(e.Volume), int64(e.Trades), e.Trades == 0, h, int64(e.IntervalSeconds), e.StartTime)
	case *marketv1.EventTradeSettled:
		return w.settleTrade(e)
	}
	if ok, err := w.applyStorage(m); ok || err != nil {
		return err
	}
	if ok, err := w.applyCompute(m, t); ok || err != nil {
		return err
	}
	if _, err := w.applyVpp(m); err != nil {
		return err
	}
	return nil
}

// moveCoins books a transfer (from or to "" for a mint or a burn) in the
// block's balance changes.
func (w *blockWriter) moveCoins(from, to string, coins []*bankv1.Coin) {
	for _, c := range coins {
		amt := new(big.Int).SetUint64(c.Amount)
		if from != "" {
			w.addBalance(from, c.Denom, new(big.Int).Neg(amt))
		}
		if to != "" {
			w.addBalance(to, c.Denom, amt)
		}
	}
}

// dec is an amount as the index's decimal TEXT columns hold it.
func dec(v uint64) string { return strconv.FormatUint(v, 10) }

// decimal is a decimal string field as a TEXT amount ("0" when unset).
func decimal(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

// enumText is an enum field the way the index stores it: its name, or ""
// when unset (as its attribute is absent then).
func enumText(e interface {
	Number() protoreflect.EnumNumber
	String() string
}) string {
	if e.Number() == 0 {
		return ""
	}
	return e.String()
}

// addText adds amounts to decimal TEXT columns of the row whose key column
// equals key (exact, in big integers).
func (w *blockWriter) addText(table, keyCol string, key any, deltas map[string]uint64) error {
	if len(deltas) == 0 {
		return nil
	}
	cols := make([]string, 0, len(deltas))
	for c := range deltas {
		cols = append(cols, c)
	}
	sort.Strings(cols)
	ptrs := make([]any, len(cols))
	for i := range ptrs {
		ptrs[i] = new(string)
	}
	q := "SELECT " + strings.Join(cols, ", ") + " FROM " + table + " WHERE " + keyCol + " = $1"
	if err := w.tx.QueryRowContext(w.ctx, q, key).Scan(ptrs...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil // a row from before the index began
		}
		return err
	}
	sets := make([]string, len(cols))
	args := make([]any, 0, len(cols)+1)
	for i, c := range cols {
		sets[i] = fmt.Sprintf("%s = $%d", c, i+1)
		args = append(args, addDecimal(*ptrs[i].(*string), deltas[c]))
	}
	args = append(args, key)
	_, err := w.tx.ExecContext(w.ctx, "UPDATE "+table+" SET "+strings.Join(sets, ", ")+fmt.Sprintf(" WHERE %s = $%d", keyCol, len(cols)+1), args...)
	return err
}

// subDecimal takes d from a decimal TEXT amount, never below 0.
func subDecimal(cur string, d uint64) string {
	x, ok := new(big.Int).SetString(cur, 10)
	if !ok {
		x = new(big.Int)
	}
	x.Sub(x, new(big.Int).SetUint64(d))
	if x.Sign() < 0 {
		return "0"
	}
	return x.String()
}

// addDecimal adds d to a decimal TEXT amount (one that does not parse
// counts as 0).
func addDecimal(cur string, d uint64) string {
	x, ok := new(big.Int).SetString(cur, 10)
	if !ok {
		x = new(big.Int)
	}
	return x.Add(x, new(big.Int).SetUint64(d)).String()
}

func (w *blockWriter) settleTrade(e *marketv1.EventTradeSettled) error {
	iv := int64(e.Interval)
	var delivered, paid string
	err := w.tx.QueryRowContext(w.ctx, `SELECT delivered, paid FROM market_clearings WHERE network = $1 AND interval_no = $2`, e.Network, iv).Scan(&delivered, &paid)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = w.tx.ExecContext(w.ctx, `UPDATE market_clearings SET delivered = $1, paid = $2, settled = TRUE WHERE network = $3 AND interval_no = $4`,
		addDecimal(delivered, e.Delivered), addDecimal(paid, e.Paid), e.Network, iv)
	return err
}

func (w *blockWriter) deviceRewarded(b *rewardv1.Breakdown) error {
	if b == nil {
		return errors.New("reward event without a breakdown")
	}
	id, err := crypto.AddressFromBytes(b.Device)
	if err != nil {
		return fmt.Errorf("reward breakdown device: %w", err)
	}
	_, err = w.exec(`INSERT INTO rewards (network, epoch, device, reward, denom, work_reward, availability_reward, productivity,
  uptime_ppm, reputation_ppm, quality_ppm, geo_ppm, boost_bps, below_threshold, weight, total_weight, emission, devices,
  covered_seconds, epoch_seconds, reports_accepted, reports_rejected, cell, height)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)
ON CONFLICT (network, epoch, device) DO NOTHING`,
		b.Network, int64(b.Epoch), crypto.DeviceString(id), dec(b.Reward), b.Denom, dec(b.WorkReward), dec(b.AvailabilityReward), dec(b.Productivity),
		int64(b.UptimePpm), int64(b.ReputationPpm), int64(b.QualityPpm), int64(b.GeoPpm), int64(b.BoostBps), b.BelowThreshold,
		decimal(b.Weight), decimal(b.TotalWeight), dec(b.Emission),
		int64(b.Devices), int64(b.CoveredSeconds), int64(b.EpochSeconds), int64(b.ReportsAccepted), int64(b.ReportsRejected),
		strconv.FormatUint(b.Cell, 16), w.height)
	if err != nil {
		return err
	}
	if b.Reward > 0 {
		w.hexes.add(b.Network, b.Cell, 0, new(big.Int).SetUint64(b.Reward))
	}
	return nil
}

// moveHexes takes a device out of its current cell's hexes and, unless
// to is 0 (it retired), into to's.
func (w *blockWriter) moveHexes(device string, to uint64) error {
	network, from, ok, err := deviceCell(w.ctx, w.tx, device)
	if err != nil || !ok {
		return err
	}
	w.hexes.add(network, from, -1, nil)
	if to != 0 {
		w.hexes.add(network, to, 1, nil)
	}
	return nil
}

// reportBatch counts a batch's outcomes per device (by decoding the
// batch's reports from the tx) and rejections per network and reason.
func (w *blockWriter) reportBatch(outcomes []byte, t *auth.Tx) error {
	if t == nil {
		return nil
	}
	var batch *reportv1.MsgReportBatch
	for _, m := range t.Body.Messages {
		if rb := m.GetReportBatch(); rb != nil {
			batch = rb
			break
		}
	}
	if batch == nil || len(batch.Reports) != len(outcomes) {
		return nil
	}
	type counts struct{ acc, rej int }
	per := map[string]*counts{}
	var order []string
	reasons := map[[2]string]int{}
	for i, s := range batch.Reports {
		d, err := wire.DecodeSigned(s, nil)
		dev, net := "", ""
		if err == nil {
			dev, net = crypto.DeviceString(d.Device), d.Report.Network
		}
		if outcomes[i] != 0 {
			reasons[[2]string{net, reportv1.RejectReason(outcomes[i]).String()}]++
		}
		if dev == "" {
			continue
		}
		if outcomes[i] == 0 {
			if err := w.meterVpp(dev, d.Report); err != nil {
				return err
			}
		}
		c := per[dev]
		if c == nil {
			c = &counts{}
			per[dev] = c
			order = append(order, dev)
		}
		if outcomes[i] == 0 {
			c.acc++
		} else {
			c.rej++
		}
	}
	for _, dev := range order {
		c := per[dev]
		rc := w.reports[dev]
		rc.Accepted += c.acc
		rc.Rejected += c.rej
		w.reports[dev] = rc
	}
	if w.reasons == nil {
		w.reasons = map[[2]string]int{}
	}
	for k, n := range reasons {
		w.reasons[k] += n
	}
	return nil
}

// flushReports writes the block's report outcomes: one device_reports row
// and one devices counter update per device, many per statement, in
// device order; then the rejection counts.
func (w *blockWriter) flushReports() error {
	devs := make([]string, 0, len(w.reports))
	for d, c := range w.reports {
		if c.Accepted != 0 || c.Rejected != 0 {
			devs = append(devs, d)
		}
	}
	sort.Strings(devs)
	rows := make([][]any, len(devs))
	for i, d := range devs {
		c := w.reports[d]
		rows[i] = []any{d, w.height, c.Accepted, c.Rejected}
	}
	if err := w.values(`INSERT INTO device_reports (device, height, accepted, rejected) VALUES `, "",
		` ON CONFLICT (device, height) DO UPDATE SET accepted = device_reports.accepted + excluded.accepted, rejected = device_reports.rejected + excluded.rejected`, rows); err != nil {
		return err
	}
	if !w.multiRow {
		for _, d := range devs {
			c := w.reports[d]
			if _, err := w.exec(`UPDATE devices SET reports_accepted = reports_accepted + $1, reports_rejected = reports_rejected + $2, last_report_height = $3 WHERE id = $4`,
				c.Accepted, c.Rejected, w.height, d); err != nil {
				return err
			}
		}
	} else {
		// UPDATE … FROM (VALUES …): VALUES columns are column1…, and the
		// casts give PostgreSQL their types.
		for i := range rows {
			c := w.reports[devs[i]]
			rows[i] = []any{devs[i], c.Accepted, c.Rejected}
		}
		if err := w.values(`UPDATE devices SET reports_accepted = devices.reports_accepted + v.column2, reports_rejected = devices.reports_rejected + v.column3, `+
			fmt.Sprintf(`last_report_height = %d FROM (VALUES `, w.height), "CAST($%d AS TEXT), CAST($%d AS BIGINT), CAST($%d AS BIGINT)",
			`) AS v WHERE devices.id = v.column1`, rows); err != nil {
			return err
		}
	}
	keys := make([][2]string, 0, len(w.reasons))
	for k := range w.reasons {
		keys = append(keys, k)
	}
	sortPairs(keys)
	for _, k := range keys {
		if _, err := w.exec(`INSERT INTO reject_reasons (network, reason, count) VALUES ($1, $2, $3)
ON CONFLICT (network, reason) DO UPDATE SET count = reject_reasons.count + excluded.count`, k[0], k[1], w.reasons[k]); err != nil {
			return err
		}
	}
	return nil
}

// sortPairs orders keys of the block's sums, so they are written in a
// fixed order.
func sortPairs(keys [][2]string) {
	sort.Slice(keys, func(i, j int) bool {
		return keys[i][0] < keys[j][0] || keys[i][0] == keys[j][0] && keys[i][1] < keys[j][1]
	})
}

// rowsPerStatement bounds multi-row statements (SQLite allows 32,766
// parameters, PostgreSQL 65,535).
const rowsPerStatement = 500

// values runs head + "(row), (row), …" + tail over rows in chunks, each
// row's placeholders numbered in order and formatted by rowFmt (a
// comma-separated list of %d verbs; "" for plain "$n, $n, …"). Without
// multiRow, one prepared statement runs row by row.
func (w *blockWriter) values(head, rowFmt, tail string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	cols := len(rows[0])
	// statement for k rows (all rows have cols values).
	statement := func(k int) string {
		var sb strings.Builder
		sb.WriteString(head)
		nums := make([]any, cols)
		for i := 0; i < k; i++ {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteByte('(')
			for j := range nums {
				nums[j] = i*cols + j + 1
			}
			if rowFmt != "" {
				fmt.Fprintf(&sb, rowFmt, nums...)
			} else {
				for j, n := range nums {
					if j > 0 {
						sb.WriteString(", ")
					}
					sb.WriteString("$" + strconv.Itoa(n.(int)))
				}
			}
			sb.WriteByte(')')
		}
		sb.WriteString(tail)
		return sb.String()
	}
	if !w.multiRow {
		q := statement(1) // prepared once per block by exec
		for _, r := range rows {
			if _, err := w.exec(q, r...); err != nil {
				return err
			}
		}
		return nil
	}
	full := ""
	for lo := 0; lo < len(rows); lo += rowsPerStatement {
		chunk := rows[lo:min(lo+rowsPerStatement, len(rows))]
		q := full
		if len(chunk) < rowsPerStatement {
			q = statement(len(chunk))
		} else if q == "" {
			full = statement(rowsPerStatement)
			q = full
		}
		args := make([]any, 0, len(chunk)*cols)
		for _, r := range chunk {
			args = append(args, r...)
		}
		if _, err := w.tx.ExecContext(w.ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}
