// Package indexer follows a depin chain's finalized blocks over CometBFT's
// RPC and writes them, with their results and events, into a SQL database
// of domain tables (blocks, txs, accounts' balances, networks, devices,
// reports, fraud evidence …): SQLite (pure Go, the default) or Postgres.
// Each block is written in one database transaction together with the
// cursor, so the indexer resumes after a crash or an outage with no gap
// and no duplicate.
package indexer

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
	_ "modernc.org/sqlite"             // the "sqlite" driver
)

// DB is an indexer database.
type DB struct {
	*sql.DB
	Dialect string // "sqlite" or "postgres"
}

// Open opens (creating if needed) the database named by dsn:
// "sqlite:PATH" (":memory:" works for tests) or "postgres://…", and
// applies pending migrations.
func Open(ctx context.Context, dsn string) (*DB, error) {
	var db *DB
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(dsn, "sqlite:")
		// WAL lets readers (the API) run while the indexer writes.
		sdb, err := sql.Open("sqlite", path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)")
		if err != nil {
			return nil, err
		}
		if path == ":memory:" {
			sdb.SetMaxOpenConns(1) // one connection = one in-memory database
		}
		db = &DB{DB: sdb, Dialect: "sqlite"}
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		pdb, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w (is the pgx driver linked in?)", err)
		}
		db = &DB{DB: pdb, Dialect: "postgres"}
	default:
		return nil, fmt.Errorf("--db %q: want sqlite:PATH or postgres://…", dsn)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s database: %w", db.Dialect, err)
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// migrations, in order; never edit one that has shipped: add another.
var migrations = []string{
	// 1: blocks, txs, events, balances, networks, devices, reports, evidence.
	`
CREATE TABLE index_cursor (id INTEGER PRIMARY KEY CHECK (id = 1), height BIGINT NOT NULL);
INSERT INTO index_cursor (id, height) VALUES (1, 0);
CREATE TABLE blocks (
  height BIGINT PRIMARY KEY, block_time TEXT NOT NULL, hash TEXT NOT NULL, app_hash TEXT NOT NULL,
  proposer TEXT NOT NULL, txs INTEGER NOT NULL, events INTEGER NOT NULL);
CREATE TABLE txs (
  hash TEXT PRIMARY KEY, height BIGINT NOT NULL, idx INTEGER NOT NULL, signer TEXT NOT NULL,
  code INTEGER NOT NULL, codespace TEXT NOT NULL, log TEXT NOT NULL, msg_types TEXT NOT NULL, size INTEGER NOT NULL);
CREATE INDEX txs_height ON txs (height);
CREATE INDEX txs_signer ON txs (signer, height);
CREATE TABLE events (
  height BIGINT NOT NULL, tx_index INTEGER NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, attrs TEXT NOT NULL,
  PRIMARY KEY (height, tx_index, seq));
CREATE INDEX events_type ON events (type, height);
CREATE TABLE balances (
  address TEXT NOT NULL, denom TEXT NOT NULL, amount TEXT NOT NULL, updated_height BIGINT NOT NULL,
  PRIMARY KEY (address, denom));
CREATE TABLE networks (
  id TEXT PRIMARY KEY, owner TEXT NOT NULL, class TEXT NOT NULL, reward_denom TEXT NOT NULL, created_height BIGINT NOT NULL);
CREATE TABLE devices (
  id TEXT PRIMARY KEY, network TEXT NOT NULL, owner TEXT NOT NULL, model TEXT NOT NULL, capacity BIGINT NOT NULL,
  cell TEXT NOT NULL, cell_r4 TEXT NOT NULL, cell_r5 TEXT NOT NULL, cell_r6 TEXT NOT NULL, cell_r7 TEXT NOT NULL, cell_r8 TEXT NOT NULL,
  status TEXT NOT NULL, stake BIGINT NOT NULL, registered_height BIGINT NOT NULL,
  reports_accepted BIGINT NOT NULL DEFAULT 0, reports_rejected BIGINT NOT NULL DEFAULT 0, last_report_height BIGINT NOT NULL DEFAULT 0);
CREATE INDEX devices_network ON devices (network);
CREATE INDEX devices_owner ON devices (owner);
CREATE INDEX devices_r7 ON devices (network, cell_r7);
CREATE TABLE device_reports (
  device TEXT NOT NULL, height BIGINT NOT NULL, accepted INTEGER NOT NULL, rejected INTEGER NOT NULL,
  PRIMARY KEY (device, height));
CREATE TABLE reject_reasons (
  network TEXT NOT NULL, reason TEXT NOT NULL, count BIGINT NOT NULL, PRIMARY KEY (network, reason));
CREATE TABLE evidence (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, device TEXT NOT NULL, network TEXT NOT NULL, submitter TEXT NOT NULL, height BIGINT NOT NULL);
`,
	// 2: rewards, claims, shares, agreements, market.
	`
CREATE TABLE rewards (
  network TEXT NOT NULL, epoch BIGINT NOT NULL, device TEXT NOT NULL, reward TEXT NOT NULL, denom TEXT NOT NULL,
  work_reward TEXT NOT NULL, availability_reward TEXT NOT NULL, productivity TEXT NOT NULL,
  uptime_ppm INTEGER NOT NULL, reputation_ppm INTEGER NOT NULL, quality_ppm INTEGER NOT NULL, geo_ppm INTEGER NOT NULL,
  boost_bps INTEGER NOT NULL, below_threshold BOOLEAN NOT NULL, weight TEXT NOT NULL, total_weight TEXT NOT NULL,
  emission TEXT NOT NULL, devices BIGINT NOT NULL, covered_seconds BIGINT NOT NULL, epoch_seconds BIGINT NOT NULL,
  reports_accepted BIGINT NOT NULL, reports_rejected BIGINT NOT NULL, cell TEXT NOT NULL, height BIGINT NOT NULL,
  PRIMARY KEY (network, epoch, device));
CREATE INDEX rewards_device ON rewards (device, epoch);
CREATE TABLE epochs (
  network TEXT NOT NULL, epoch BIGINT NOT NULL, emission TEXT NOT NULL, distributed TEXT NOT NULL, treasury TEXT NOT NULL,
  devices BIGINT NOT NULL, height BIGINT NOT NULL, PRIMARY KEY (network, epoch));
CREATE TABLE claims (
  height BIGINT NOT NULL, tx_index INTEGER NOT NULL, seq INTEGER NOT NULL, owner TEXT NOT NULL, denom TEXT NOT NULL,
  amount TEXT NOT NULL, kind TEXT NOT NULL, device TEXT NOT NULL, PRIMARY KEY (height, tx_index, seq));
CREATE INDEX claims_owner ON claims (owner, height);
CREATE TABLE shares (device TEXT PRIMARY KEY, denom TEXT NOT NULL, shares TEXT NOT NULL, owner TEXT NOT NULL, active BOOLEAN NOT NULL, height BIGINT NOT NULL);
CREATE TABLE agreements (
  id BIGINT PRIMARY KEY, consumer TEXT NOT NULL, device TEXT NOT NULL, denom TEXT NOT NULL, escrow TEXT NOT NULL,
  paid TEXT NOT NULL, units_paid TEXT NOT NULL, refunded TEXT NOT NULL, status TEXT NOT NULL, reason TEXT NOT NULL, opened_height BIGINT NOT NULL);
CREATE INDEX agreements_consumer ON agreements (consumer);
CREATE INDEX agreements_device ON agreements (device);
CREATE TABLE market_orders (
  id BIGINT PRIMARY KEY, network TEXT NOT NULL, side TEXT NOT NULL, interval_no BIGINT NOT NULL, price TEXT NOT NULL,
  quantity TEXT NOT NULL, owner TEXT NOT NULL, height BIGINT NOT NULL);
CREATE INDEX market_orders_interval ON market_orders (network, interval_no);
CREATE TABLE market_clearings (
  network TEXT NOT NULL, interval_no BIGINT NOT NULL, price TEXT NOT NULL, volume TEXT NOT NULL, trades INTEGER NOT NULL,
  delivered TEXT NOT NULL, paid TEXT NOT NULL, settled BOOLEAN NOT NULL, height BIGINT NOT NULL, PRIMARY KEY (network, interval_no));
`,
	// 3: per-hex counts for the explorer's map (devices located in each H3
	// cell at resolutions 4–8 and the rewards they earned), with the cell's
	// centre for viewport queries. Backfilled by backfillHexStats.
	`
CREATE TABLE hex_stats (
  network TEXT NOT NULL, res INTEGER NOT NULL, cell TEXT NOT NULL, lat DOUBLE PRECISION NOT NULL, lon DOUBLE PRECISION NOT NULL,
  devices BIGINT NOT NULL, rewards TEXT NOT NULL, PRIMARY KEY (network, res, cell));
CREATE INDEX hex_stats_view ON hex_stats (res, lat, lon);
`,
	// 4: frozen networks (a block step failed; issue 15) and order
	// status (orders are cancelled by their owner or when the market's
	// terms change).
	`
ALTER TABLE networks ADD COLUMN frozen BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE networks ADD COLUMN frozen_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE market_orders ADD COLUMN status TEXT NOT NULL DEFAULT 'OPEN';
`,
	// 5: a market interval's length and start (unix seconds), from
	// EventIntervalCleared; 0 for clearings indexed before the event
	// carried them (the explorer shows those by number).
	`
ALTER TABLE market_clearings ADD COLUMN interval_seconds BIGINT NOT NULL DEFAULT 0;
ALTER TABLE market_clearings ADD COLUMN start_time BIGINT NOT NULL DEFAULT 0;
`,
	// 6: the storage market (x/storage; indexer/storage.go): deals with
	// their pieces, storage nodes with their endpoint and running totals
	// (kept as the chain keeps its NodeStats), audit outcomes per node and
	// epoch, payments to nodes (one row per EventDealPaid, totals per deal
	// and node) and repairs.
	`
CREATE TABLE storage_deals (
  id BIGINT PRIMARY KEY, owner TEXT NOT NULL, network TEXT NOT NULL, file_id TEXT NOT NULL, size TEXT NOT NULL,
  k INTEGER NOT NULL, n INTEGER NOT NULL, segments INTEGER NOT NULL, pieces INTEGER NOT NULL, piece_bytes BIGINT NOT NULL,
  denom TEXT NOT NULL, price_per_gib_month TEXT NOT NULL, repair_threshold INTEGER NOT NULL, repair_budget TEXT NOT NULL,
  escrow TEXT NOT NULL, paid TEXT NOT NULL, refunded TEXT NOT NULL, status TEXT NOT NULL, close_reason TEXT NOT NULL,
  start_time BIGINT NOT NULL, end_time BIGINT NOT NULL, opened_height BIGINT NOT NULL, closed_height BIGINT NOT NULL);
CREATE INDEX storage_deals_owner ON storage_deals (owner, id);
CREATE INDEX storage_deals_network ON storage_deals (network, status, id);
CREATE TABLE storage_pieces (
  deal BIGINT NOT NULL, idx INTEGER NOT NULL, segment INTEGER NOT NULL, node TEXT NOT NULL, size BIGINT NOT NULL, lost BOOLEAN NOT NULL,
  PRIMARY KEY (deal, idx));
CREATE INDEX storage_pieces_node ON storage_pieces (node, deal);
CREATE TABLE storage_nodes (
  device TEXT PRIMARY KEY, network TEXT NOT NULL, endpoint TEXT NOT NULL, endpoint_height BIGINT NOT NULL,
  used_bytes BIGINT NOT NULL, pieces BIGINT NOT NULL, audits_passed BIGINT NOT NULL, audits_missed BIGINT NOT NULL,
  disqualified BOOLEAN NOT NULL, disqualified_height BIGINT NOT NULL, earned TEXT NOT NULL);
CREATE INDEX storage_nodes_network ON storage_nodes (network, device);
CREATE TABLE storage_audits (
  network TEXT NOT NULL, device TEXT NOT NULL, epoch BIGINT NOT NULL, passed BIGINT NOT NULL, missed BIGINT NOT NULL,
  PRIMARY KEY (device, epoch));
CREATE INDEX storage_audits_network ON storage_audits (network, epoch);
CREATE TABLE storage_deal_nodes (deal BIGINT NOT NULL, device TEXT NOT NULL, paid TEXT NOT NULL, PRIMARY KEY (deal, device));
CREATE TABLE storage_payments (
  height BIGINT NOT NULL, tx_index INTEGER NOT NULL, seq INTEGER NOT NULL, deal BIGINT NOT NULL, device TEXT NOT NULL, owner TEXT NOT NULL,
  amount TEXT NOT NULL, denom TEXT NOT NULL, epoch BIGINT NOT NULL, PRIMARY KEY (height, tx_index, seq));
CREATE INDEX storage_payments_deal ON storage_payments (deal, height);
CREATE TABLE storage_repairs (
  height BIGINT NOT NULL, tx_index INTEGER NOT NULL, seq INTEGER NOT NULL, network TEXT NOT NULL, deal BIGINT NOT NULL, piece INTEGER NOT NULL,
  from_node TEXT NOT NULL, to_node TEXT NOT NULL, repairer TEXT NOT NULL, fee_due TEXT NOT NULL, fee_paid TEXT NOT NULL, status TEXT NOT NULL,
  paid_height BIGINT NOT NULL, PRIMARY KEY (height, tx_index, seq));
CREATE INDEX storage_repairs_deal ON storage_repairs (deal, piece);
CREATE INDEX storage_repairs_network ON storage_repairs (network, height);
`,
	// 7: the compute market (x/compute; indexer/compute.go): jobs with
	// their terms (from the MsgSubmitJob that made each), tasks with their
	// round and state and, once verified, the output the majority agreed
	// on (at most the job's max_output_bytes) and what it decodes to
	// (status, the start of stdout, the first files, a single PNG's size),
	// each provider's part in each round (with its revealed output until
	// the task is judged, as the chain keeps it), providers' running
	// totals (kept as the chain keeps its ProviderStats), payments and
	// penalties.
	`
CREATE TABLE compute_jobs (
  id BIGINT PRIMARY KEY, consumer TEXT NOT NULL, network TEXT NOT NULL, tasks INTEGER NOT NULL, replicas INTEGER NOT NULL,
  denom TEXT NOT NULL, price_per_task TEXT NOT NULL, escrow TEXT NOT NULL, paid TEXT NOT NULL, refunded TEXT NOT NULL,
  status TEXT NOT NULL, verified INTEGER NOT NULL, failed INTEGER NOT NULL,
  module_sha256 TEXT NOT NULL, module_size BIGINT NOT NULL, module_deal BIGINT NOT NULL, inputs INTEGER NOT NULL, args TEXT NOT NULL,
  memory_bytes BIGINT NOT NULL, timeout_ms BIGINT NOT NULL, max_output_bytes BIGINT NOT NULL,
  submit_time BIGINT NOT NULL, deadline BIGINT NOT NULL, submitted_height BIGINT NOT NULL, finished_height BIGINT NOT NULL);
CREATE INDEX compute_jobs_consumer ON compute_jobs (consumer, id);
CREATE INDEX compute_jobs_network ON compute_jobs (network, id);
CREATE TABLE compute_tasks (
  job BIGINT NOT NULL, idx INTEGER NOT NULL, round INTEGER NOT NULL, status TEXT NOT NULL, commit_deadline BIGINT NOT NULL,
  output_hash TEXT NOT NULL, output BYTEA, output_size BIGINT NOT NULL, agreed INTEGER NOT NULL, reason TEXT NOT NULL,
  result TEXT NOT NULL, exit_code BIGINT NOT NULL, stdout TEXT NOT NULL, stdout_size BIGINT NOT NULL, files INTEGER NOT NULL,
  png_path TEXT NOT NULL, png_width INTEGER NOT NULL, png_height INTEGER NOT NULL, judged_height BIGINT NOT NULL,
  PRIMARY KEY (job, idx));
CREATE TABLE compute_files (job BIGINT NOT NULL, task INTEGER NOT NULL, idx INTEGER NOT NULL, path TEXT NOT NULL, size BIGINT NOT NULL,
  PRIMARY KEY (job, task, idx));
CREATE TABLE compute_assignments (
  job BIGINT NOT NULL, task INTEGER NOT NULL, round INTEGER NOT NULL, device TEXT NOT NULL, open BOOLEAN NOT NULL,
  committed BOOLEAN NOT NULL, revealed BOOLEAN NOT NULL, output_hash TEXT NOT NULL, output BYTEA,
  outcome TEXT NOT NULL, paid TEXT NOT NULL, slashed TEXT NOT NULL,
  PRIMARY KEY (job, task, round, device));
CREATE INDEX compute_assignments_device ON compute_assignments (device, job);
CREATE TABLE compute_providers (
  device TEXT PRIMARY KEY, network TEXT NOT NULL, assigned BIGINT NOT NULL, agreed BIGINT NOT NULL, outvoted BIGINT NOT NULL,
  missed BIGINT NOT NULL, earned TEXT NOT NULL, slashed TEXT NOT NULL);
CREATE INDEX compute_providers_network ON compute_providers (network, device);
CREATE TABLE compute_payments (
  height BIGINT NOT NULL, tx_index INTEGER NOT NULL, seq INTEGER NOT NULL, network TEXT NOT NULL, job BIGINT NOT NULL, task INTEGER NOT NULL,
  device TEXT NOT NULL, owner TEXT NOT NULL, amount TEXT NOT NULL, denom TEXT NOT NULL, PRIMARY KEY (height, tx_index, seq));
CREATE INDEX compute_payments_job ON compute_payments (job, height);
CREATE TABLE compute_penalties (
  height BIGINT NOT NULL, tx_index INTEGER NOT NULL, seq INTEGER NOT NULL, network TEXT NOT NULL, job BIGINT NOT NULL, task INTEGER NOT NULL,
  device TEXT NOT NULL, reason TEXT NOT NULL, slashed TEXT NOT NULL, PRIMARY KEY (height, tx_index, seq));
CREATE INDEX compute_penalties_job ON compute_penalties (job, height);
CREATE INDEX compute_penalties_network ON compute_penalties (network, height);
`,
	// 8: virtual power plants (x/vpp; indexer/vpp.go): networks' vpp
	// params as last scheduled (metric ids and metering interval, to meter
	// reports), service-credit books and balances, purchases (tokens
	// burned, per block), pools, members, dispatches and challenges with
	// each member's allocation and settlement, and each allocated member's
	// metered energy per interval of the window (from the accepted reports
	// of the batch txs).
	`
CREATE TABLE vpp_params (
  network TEXT PRIMARY KEY, charged_metric INTEGER NOT NULL, discharged_metric INTEGER NOT NULL, interval_seconds BIGINT NOT NULL,
  credit_price TEXT NOT NULL, height BIGINT NOT NULL);
CREATE TABLE vpp_books (network TEXT PRIMARY KEY, denom TEXT NOT NULL, burned TEXT NOT NULL, minted TEXT NOT NULL, spent TEXT NOT NULL);
CREATE TABLE vpp_credits (network TEXT NOT NULL, account TEXT NOT NULL, credits TEXT NOT NULL, PRIMARY KEY (network, account));
CREATE TABLE vpp_burns (
  height BIGINT NOT NULL, tx_index INTEGER NOT NULL, seq INTEGER NOT NULL, network TEXT NOT NULL, account TEXT NOT NULL,
  credits TEXT NOT NULL, burned TEXT NOT NULL, denom TEXT NOT NULL, PRIMARY KEY (height, tx_index, seq));
CREATE INDEX vpp_burns_network ON vpp_burns (network, height);
CREATE TABLE vpp_pools (
  id BIGINT PRIMARY KEY, network TEXT NOT NULL, operator TEXT NOT NULL, name TEXT NOT NULL, cell TEXT NOT NULL, denom TEXT NOT NULL,
  price_per_kwh TEXT NOT NULL, penalty_bps INTEGER NOT NULL, min_response_bps INTEGER NOT NULL, notice_seconds BIGINT NOT NULL,
  members BIGINT NOT NULL, max_w BIGINT NOT NULL, closed BOOLEAN NOT NULL, dispatches BIGINT NOT NULL, challenges BIGINT NOT NULL,
  delivered_wh TEXT NOT NULL, paid TEXT NOT NULL, created_height BIGINT NOT NULL, closed_height BIGINT NOT NULL);
CREATE INDEX vpp_pools_network ON vpp_pools (network, id);
CREATE INDEX vpp_pools_operator ON vpp_pools (operator, id);
CREATE TABLE vpp_members (
  pool BIGINT NOT NULL, device TEXT NOT NULL, owner TEXT NOT NULL, max_w BIGINT NOT NULL, min_soc_ppt INTEGER NOT NULL, rated_w BIGINT NOT NULL,
  energy_wh BIGINT NOT NULL, status TEXT NOT NULL, leave_time BIGINT NOT NULL, left_reason TEXT NOT NULL, joined_height BIGINT NOT NULL,
  left_height BIGINT NOT NULL, passed BIGINT NOT NULL, failed BIGINT NOT NULL, misses BIGINT NOT NULL, delivered_wh TEXT NOT NULL,
  earned TEXT NOT NULL, penalties TEXT NOT NULL, PRIMARY KEY (pool, device));
CREATE INDEX vpp_members_device ON vpp_members (device, pool);
CREATE TABLE vpp_dispatches (
  id BIGINT PRIMARY KEY, pool BIGINT NOT NULL, network TEXT NOT NULL, operator TEXT NOT NULL, challenge BOOLEAN NOT NULL, direction TEXT NOT NULL,
  power_w BIGINT NOT NULL, start_time BIGINT NOT NULL, end_time BIGINT NOT NULL, interval_seconds BIGINT NOT NULL, status TEXT NOT NULL,
  denom TEXT NOT NULL, price_per_kwh TEXT NOT NULL, escrow TEXT NOT NULL, credits TEXT NOT NULL, allocated_w BIGINT NOT NULL,
  allocated_wh BIGINT NOT NULL, members BIGINT NOT NULL, baseline_wh BIGINT NOT NULL, delivered_wh BIGINT NOT NULL, paid TEXT NOT NULL,
  refunded TEXT NOT NULL, responded BIGINT NOT NULL, missed BIGINT NOT NULL, penalties TEXT NOT NULL, created_height BIGINT NOT NULL,
  settled_height BIGINT NOT NULL);
CREATE INDEX vpp_dispatches_pool ON vpp_dispatches (pool, id);
CREATE TABLE vpp_allocations (
  dispatch BIGINT NOT NULL, device TEXT NOT NULL, pool BIGINT NOT NULL, direction TEXT NOT NULL, power_w BIGINT NOT NULL,
  start_time BIGINT NOT NULL, end_time BIGINT NOT NULL, challenge BOOLEAN NOT NULL, open BOOLEAN NOT NULL, owner TEXT NOT NULL,
  allocated_wh BIGINT NOT NULL, baseline_wh BIGINT NOT NULL, metered_wh BIGINT NOT NULL, delivered_wh BIGINT NOT NULL, paid TEXT NOT NULL,
  responded BOOLEAN NOT NULL, penalty TEXT NOT NULL, settled_height BIGINT NOT NULL, PRIMARY KEY (dispatch, device));
CREATE INDEX vpp_allocations_device ON vpp_allocations (device, dispatch);
CREATE INDEX vpp_allocations_open ON vpp_allocations (open, device);
CREATE TABLE vpp_intervals (
  dispatch BIGINT NOT NULL, device TEXT NOT NULL, interval_start BIGINT NOT NULL, metered_wh BIGINT NOT NULL,
  PRIMARY KEY (dispatch, device, interval_start));
`,
}

// backfills fill what a migration added from the rows already indexed,
// in the migration's transaction.
var backfills = map[int]func(context.Context, *sql.Tx) error{3: backfillHexStats}

func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)`); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	var have int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if have > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this indexer's %d", have, len(migrations))
	}
	for v := have + 1; v <= len(migrations); v++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		for _, stmt := range strings.Split(migrations[v-1], ";") {
			if strings.TrimSpace(stmt) == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				tx.Rollback()
				return fmt.Errorf("migration %d: %w", v, err)
			}
		}
		if fill := backfills[v]; fill != nil {
			if err := fill(ctx, tx); err != nil {
				tx.Rollback()
				return fmt.Errorf("migration %d: %w", v, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, v); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// Height is the last indexed height.
func (db *DB) Height(ctx context.Context) (int64, error) {
	var h int64
	err := db.QueryRowContext(ctx, `SELECT height FROM index_cursor WHERE id = 1`).Scan(&h)
	return h, err
}
