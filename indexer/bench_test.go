package indexer

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"fmt"
	"math/big"
	"path/filepath"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/depinhq/depin/crypto"
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
			events := make([]abci.Event, 1000)
			for i := range events {
				if i%2 == 0 {
					events[i] = abci.Event{Type: "depin.bank.v1.EventTransfer", Attributes: []abci.EventAttribute{
						{Key: "from", Value: addr(i % 50)}, {Key: "to", Value: addr(1000 + i)}, {Key: "amount", Value: `[{"denom":"udpin","amount":"1"}]`}}}
				} else {
					h := sha256.Sum256([]byte(fmt.Sprint("d", i)))
					events[i] = abci.Event{Type: "depin.reward.v1.EventDeviceRewarded", Attributes: []abci.EventAttribute{{Key: "breakdown",
						Value: fmt.Sprintf(`{"network":"solar","epoch":"%%d","device":"%s","reward":"12345","productivity":"99","uptime_ppm":500000,"weight":"123456789","total_weight":"999999999999"}`,
							base64.StdEncoding.EncodeToString(h[:20]))}}}
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
				w := &blockWriter{ctx: ctx, tx: tx, height: int64(n + 1), reports: map[string]ReportCount{}}
				for i, ev := range events {
					if ev.Type == "depin.reward.v1.EventDeviceRewarded" {
						ev = abci.Event{Type: ev.Type, Attributes: []abci.EventAttribute{{Key: "breakdown", Value: fmt.Sprintf(ev.Attributes[0].Value, n)}}}
					}
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

// addBalanceBig is addBalance of a uint64 delta.
func addBalanceBig(ctx context.Context, tx *sql.Tx, addr string, v uint64) error {
	return addBalance(ctx, tx, addr, "udpin", new(big.Int).SetUint64(v), 0)
}
