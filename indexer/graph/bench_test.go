package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/depinhq/depin/indexer"
)

// BenchmarkQueries1M indexes 1,000,000 devices (SQLite, ~10k hexes at
// resolution 7) and times GraphQL requests over HTTP: a device lookup by
// id and the devices-per-hex aggregate at resolution 7. Reports p50 and
// p99 in ms.
//
//	go test ./indexer/graph -run '^$' -bench Queries1M -benchtime 1x
func BenchmarkQueries1M(b *testing.B) {
	const devices, hexes = 1_000_000, 10_000
	ctx := context.Background()
	db, err := indexer.Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "index.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO devices (id, network, owner, model, capacity, cell, cell_r4, cell_r5, cell_r6, cell_r7, cell_r8, status, stake, registered_height, reports_accepted)
VALUES ($1, 'solar', $2, 'm', 5000, $3, 'r4', $4, 'r6', $5, 'r8', 'ACTIVE', 10, $6, $7)`)
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]string, devices)
	for i := 0; i < devices; i++ {
		ids[i] = devID(i)
		if _, err := st.ExecContext(ctx, ids[i], addr(i%5000), fmt.Sprint("c", i), fmt.Sprint("h5-", i%(hexes/50)), fmt.Sprint("h7-", i%hexes), i, i%1000); err != nil {
			b.Fatal(err)
		}
	}
	st.Close()
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(Handler(&Resolver{DB: db}))
	defer srv.Close()
	do := func(q string) time.Duration {
		body, _ := json.Marshal(map[string]string{"query": q})
		start := time.Now()
		resp, err := http.Post(srv.URL, "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		var r gqlResponse
		json.NewDecoder(resp.Body).Decode(&r)
		resp.Body.Close()
		if len(r.Errors) > 0 {
			b.Fatal(r.Errors)
		}
		return time.Since(start)
	}
	pct := func(ds []time.Duration, p float64) float64 {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return float64(ds[int(float64(len(ds)-1)*p)].Microseconds()) / 1000
	}
	b.ResetTimer()
	var lookups, hexAgg []time.Duration
	for i := 0; i < 2000; i++ {
		lookups = append(lookups, do(fmt.Sprintf(`{ device(id: %q) { id owner reportsAccepted } }`, ids[(i*7919)%devices])))
	}
	for i := 0; i < 20; i++ {
		hexAgg = append(hexAgg, do(`{ devicesPerHex(network: "solar", resolution: 7) { hex devices } }`))
	}
	b.StopTimer()
	b.ReportMetric(pct(lookups, 0.5), "lookup-p50-ms")
	b.ReportMetric(pct(lookups, 0.99), "lookup-p99-ms")
	b.ReportMetric(pct(hexAgg, 0.5), "hex-agg-p50-ms")
	b.ReportMetric(pct(hexAgg, 0.99), "hex-agg-p99-ms")
}
