package indexer

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/depinhq/depin/api/event"
	"github.com/depinhq/depin/crypto"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
)

// BenchmarkWriteEvents measures the database side of indexing: blocks of
// 1,000 events (transfers updating two balances each, and reward
// breakdowns inserted), one DB transaction per block, on SQLite and on
// PostgreSQL. Events/s is the figure (the RPC side is not included).
//
//	go test ./indexer -run '^$' -bench WriteEvents -benchtime 20x
func BenchmarkWriteEvents(b *testing.B) {
	backends := map[string]func(*testing.T) string{
		"sqlite":   func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "bench.db") },
		"postgres": postgresDSN,
	}
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			t := &testing.T{}
			dsn := ""
			func() {
				defer func() {
					if recover() != nil {
						dsn = ""
					}
				}()
				dsn = backends[name](t)
			}()
			if dsn == "" {
				b.Skip("no database")
			}
			ctx := context.Background()
			db, err := Open(ctx, dsn)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			addr := func(i int) string {
				h := sha256.Sum256([]byte(fmt.Sprint(i)))
				a, _ := crypto.AddressFromBytes(h[:20])
				return a.String()
			}
			// Events as the chain emits them; the reward breakdowns get
			// the block's epoch (one reward per device and epoch).
			events := make([]event.Event, 1000)
			breakdowns := map[int]*rewardv1.Breakdown{}
			for i := range events {
				if i%2 == 0 {
					events[i] = event.ToABCI(&bankv1.EventTransfer{From: addr(i % 50), To: addr(1000 + i), Amount: []*bankv1.Coin{{Denom: "udpin", Amount: 1}}})
				} else {
					h := sha256.Sum256([]byte(fmt.Sprint("d", i)))
					breakdowns[i] = &rewardv1.Breakdown{Network: "solar", Device: h[:20], Reward: 12345, Productivity: 99, UptimePpm: 500000,
						Weight: "123456789", TotalWeight: "999999999999"}
				}
			}
			// Fund the senders.
			tx, _ := db.BeginTx(ctx, nil)
			for i := 0; i < 50; i++ {
				addBalanceBig(ctx, tx, addr(i), 1<<40)
			}
			tx.Commit()
			b.ResetTimer()
			for n := 0; n < b.N; n++ {
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					b.Fatal(err)
				}
				w := &blockWriter{ctx: ctx, tx: tx, height: int64(n + 1), reports: map[string]ReportCount{}, multiRow: db.Dialect == "postgres"}
				b.StopTimer() // encoding is the node's work
				for i, bd := range breakdowns {
					bd.Epoch = uint64(n)
					events[i] = event.ToABCI(&rewardv1.EventDeviceRewarded{Breakdown: bd})
				}
				b.StartTimer()
				for i, ev := range events {
					if err := w.event(0, i, ev, nil); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.flush(); err != nil {
					b.Fatal(err)
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*len(events))/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// benchDSN opens the named backend for a benchmark (false: not here).
func benchDSN(name string) (dsn string) {
	t := &testing.T{}
	defer func() {
		if recover() != nil {
			dsn = ""
		}
	}()
	switch name {
	case "sqlite":
		return "sqlite:" + filepath.Join(os.TempDir(), fmt.Sprintf("depin-bench-%d.db", time.Now().UnixNano()))
	default:
		return postgresDSN(t)
	}
}

// BenchmarkWriteReports measures the database side of indexing device
// reports: blocks of 30,000 report outcomes (one per device, out of
// 100,000 registered devices), each written as a device_reports row and a
// devices counter update, one DB transaction per block. Reports/s is the
// figure (decoding the batches is not included).
//
//	go test ./indexer -run '^$' -bench WriteReports -benchtime 10x
func BenchmarkWriteReports(b *testing.B) {
	const devices, perBlock = 100_000, 30_000
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			dsn := benchDSN(name)
			if dsn == "" {
				b.Skip("no database")
			}
			if strings.HasPrefix(dsn, "sqlite:") {
				defer os.Remove(strings.TrimPrefix(dsn, "sqlite:"))
			}
			ctx := context.Background()
			db, err := Open(ctx, dsn)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			ids := make([]string, devices)
			tx, _ := db.BeginTx(ctx, nil)
			for i := range ids {
				h := sha256.Sum256([]byte(fmt.Sprint("dev", i)))
				a, _ := crypto.AddressFromBytes(h[:20])
				ids[i] = crypto.DeviceString(a)
				if _, err := tx.ExecContext(ctx, `INSERT INTO devices (id, network, owner, model, capacity, cell, cell_r4, cell_r5, cell_r6, cell_r7, cell_r8, status, stake, registered_height)
VALUES ($1, 'solar', 'o', 'm', 1, 'c', '', '', '', '', '', 'ACTIVE', 1, 1)`, ids[i]); err != nil {
					b.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for n := 0; n < b.N; n++ {
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					b.Fatal(err)
				}
				w := &blockWriter{ctx: ctx, tx: tx, height: int64(n + 2), reports: make(map[string]ReportCount, perBlock), hexes: hexTally{}, multiRow: db.Dialect == "postgres"}
				for i := 0; i < perBlock; i++ {
					w.reports[ids[(n*perBlock+i)%devices]] = ReportCount{Accepted: 1}
				}
				if err := w.flush(); err != nil {
					b.Fatal(err)
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*perBlock)/b.Elapsed().Seconds(), "reports/s")
			b.StopTimer()
			var sum int64
			if err := db.QueryRow(`SELECT SUM(reports_accepted) FROM devices`).Scan(&sum); err != nil || sum != int64(b.N*perBlock) {
				b.Fatalf("devices count %d accepted reports (%v), want %d", sum, err, b.N*perBlock)
			}
		})
	}
}

// addBalanceBig is addBalance of a uint64 delta.
func addBalanceBig(ctx context.Context, tx *sql.Tx, addr string, v uint64) error {
	return addBalance(ctx, tx, addr, "udpin", new(big.Int).SetUint64(v), 0)
}
