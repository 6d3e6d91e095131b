package indexer

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	appv1 "github.com/depinhq/depin/gen/depin/app/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	"github.com/depinhq/depin/x/auth"
	"github.com/depinhq/depin/x/h3"
	"github.com/depinhq/depin/x/report"
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
				ix.Log.Warn("indexing failed; retrying", "height", next, "err", err)
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
	g, err := ix.Client.RPC().Genesis(ctx)
	if err != nil {
		return fmt.Errorf("genesis: %w", err)
	}
	var st appv1.GenesisState
	if err := protojson.Unmarshal(g.Genesis.AppState, &st); err != nil {
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
	b, err := ix.Client.RPC().Block(ctx, &h)
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
	w := &blockWriter{ctx: ctx, tx: tx, height: h}
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
	r, err := tx.ExecContext(ctx, `UPDATE index_cursor SET height = $1 WHERE id = 1 AND height = $2`, h, h-1)
	if err != nil {
		return err
	}
	if n, err := r.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("block %d: the cursor moved under us: is another indexer writing to this database?", h)
	}
	return tx.Commit()
}

func sha256Sum(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

type blockWriter struct {
	ctx    context.Context
	tx     *sql.Tx
	height int64
}

// event stores an event and applies it to the domain tables.
func (w *blockWriter) event(txIndex, seq int, ev abci.Event, t *auth.Tx) error {
	attrs := map[string]string{}
	for _, a := range ev.Attributes {
		attrs[a.Key] = a.Value
	}
	js, _ := json.Marshal(attrs)
	if _, err := w.tx.ExecContext(w.ctx, `INSERT INTO events (height, tx_index, seq, type, attrs) VALUES ($1, $2, $3, $4, $5)`,
		w.height, txIndex, seq, ev.Type, string(js)); err != nil {
		return fmt.Errorf("event %s at %d/%d: %w", ev.Type, txIndex, seq, err)
	}
	return w.apply(ev.Type, attrs, t)
}

func u(s string) uint64 { v, _ := strconv.ParseUint(s, 10, 64); return v }

type coin struct {
	Denom  string          `json:"denom"`
	Amount json.RawMessage `json:"amount"`
}

func coins(js string) ([]coin, error) {
	var cs []coin
	if js == "" {
		return nil, nil
	}
	err := json.Unmarshal([]byte(js), &cs)
	return cs, err
}

func amountOf(c coin) *big.Int {
	s := strings.Trim(string(c.Amount), `"`)
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return new(big.Int)
	}
	return v
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

// apply updates the domain tables for one event.
func (w *blockWriter) apply(typ string, a map[string]string, t *auth.Tx) error {
	ctx, tx, h := w.ctx, w.tx, w.height
	exec := func(q string, args ...any) error {
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	}
	switch typ {
	case "depin.bank.v1.EventTransfer", "depin.bank.v1.EventMint", "depin.bank.v1.EventBurn":
		cs, err := coins(a["amount"])
		if err != nil {
			return fmt.Errorf("%s amount: %w", typ, err)
		}
		for _, c := range cs {
			amt := amountOf(c)
			if from := a["from"]; from != "" {
				if err := addBalance(ctx, tx, from, c.Denom, new(big.Int).Neg(amt), h); err != nil {
					return err
				}
			}
			if to := a["to"]; to != "" {
				if err := addBalance(ctx, tx, to, c.Denom, amt, h); err != nil {
					return err
				}
			}
		}
	case "depin.network.v1.EventNetworkCreated":
		return exec(`INSERT INTO networks (id, owner, class, reward_denom, created_height) VALUES ($1, $2, $3, $4, $5)`,
			a["id"], a["owner"], a["class"], a["reward_denom"], h)
	case "depin.device.v1.EventDeviceRegistered":
		cell := u(a["cell"])
		parents := make([]string, 5)
		for i, r := range []int{4, 5, 6, 7, 8} {
			if p, err := h3.Parent(cell, r); err == nil {
				parents[i] = strconv.FormatUint(p, 16)
			}
		}
		return exec(`INSERT INTO devices (id, network, owner, model, capacity, cell, cell_r4, cell_r5, cell_r6, cell_r7, cell_r8, status, stake, registered_height)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'ACTIVE', $12, $13)`,
			a["device"], a["network"], a["owner"], a["model"], int64(u(a["capacity"])), strconv.FormatUint(cell, 16),
			parents[0], parents[1], parents[2], parents[3], parents[4], int64(u(a["stake"])), h)
	case "depin.device.v1.EventDeviceTransferred":
		return exec(`UPDATE devices SET owner = $1 WHERE id = $2`, a["to"], a["device"])
	case "depin.device.v1.EventDeviceMoved":
		cell := u(a["to_cell"])
		parents := make([]string, 5)
		for i, r := range []int{4, 5, 6, 7, 8} {
			if p, err := h3.Parent(cell, r); err == nil {
				parents[i] = strconv.FormatUint(p, 16)
			}
		}
		return exec(`UPDATE devices SET cell = $1, cell_r4 = $2, cell_r5 = $3, cell_r6 = $4, cell_r7 = $5, cell_r8 = $6 WHERE id = $7`,
			strconv.FormatUint(cell, 16), parents[0], parents[1], parents[2], parents[3], parents[4], a["device"])
	case "depin.device.v1.EventDeviceDeactivated":
		return exec(`UPDATE devices SET status = 'UNBONDING' WHERE id = $1`, a["device"])
	case "depin.device.v1.EventStakeWithdrawn":
		return exec(`UPDATE devices SET status = 'RETIRED', stake = 0 WHERE id = $1`, a["device"])
	case "depin.reward.v1.EventDeviceSlashed":
		return exec(`UPDATE devices SET status = 'JAILED', stake = stake - $1 WHERE id = $2`, int64(u(a["slashed"])), a["device"])
	case "depin.report.v1.EventEvidenceRecorded":
		return exec(`INSERT INTO evidence (id, kind, device, network, submitter, height) VALUES ($1, $2, $3, $4, $5, $6)`,
			a["id"], a["kind"], a["device"], a["network"], a["submitter"], h)
	case "depin.report.v1.EventReportBatch":
		return w.reportBatch(a, t)
	}
	return nil
}

// reportBatch counts a batch's outcomes per device (by decoding the
// batch's reports from the tx) and rejections per network and reason.
func (w *blockWriter) reportBatch(a map[string]string, t *auth.Tx) error {
	if t == nil {
		return nil
	}
	outcomes, err := base64.StdEncoding.DecodeString(a["outcomes"])
	if err != nil {
		return fmt.Errorf("report batch outcomes: %w", err)
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
		d, err := report.DecodeSigned(s, nil)
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
	ctx, tx, h := w.ctx, w.tx, w.height
	for _, dev := range order {
		c := per[dev]
		if _, err := tx.ExecContext(ctx, `UPDATE devices SET reports_accepted = reports_accepted + $1, reports_rejected = reports_rejected + $2, last_report_height = $3 WHERE id = $4`,
			c.acc, c.rej, h, dev); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO device_reports (device, height, accepted, rejected) VALUES ($1, $2, $3, $4)
ON CONFLICT (device, height) DO UPDATE SET accepted = device_reports.accepted + excluded.accepted, rejected = device_reports.rejected + excluded.rejected`,
			dev, h, c.acc, c.rej); err != nil {
			return err
		}
	}
	for k, n := range reasons {
		if _, err := tx.ExecContext(ctx, `INSERT INTO reject_reasons (network, reason, count) VALUES ($1, $2, $3)
ON CONFLICT (network, reason) DO UPDATE SET count = reject_reasons.count + excluded.count`, k[0], k[1], n); err != nil {
			return err
		}
	}
	return nil
}
