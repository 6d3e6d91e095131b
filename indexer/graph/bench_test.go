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

	uh3 "github.com/uber/h3-go/v4"

	"github.com/depinhq/depin/indexer"
)

// BenchmarkQueries1M indexes 1,000,000 devices (SQLite) in 10,000 cells
// spread over the inhabited latitudes, fills hex_stats from them, and
// times GraphQL requests over HTTP: a device lookup by id, the
// devices-per-hex aggregate at resolution 7, and the explorer's map
// queries (the world at resolution 4, a European view at resolution 6).
// Reports p50 and p99 in ms.
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
VALUES ($1, 'solar', $2, 'm', 5000, $3, $4, $5, $6, $7, $8, 'ACTIVE', 10, $9, $10)`)
	if err != nil {
		b.Fatal(err)
	}
	// 100 × 100 points from 55°S to 70°N and 180°W to 180°E.
	cells := make([][6]string, hexes)
	for i := range cells {
		c := uh3.LatLngToCell(uh3.LatLng{Lat: -55 + 125*float64(i/100)/100, Lng: -180 + 360*float64(i%100)/100}, 9)
		cells[i][0] = c.String()
		for r := 4; r <= 8; r++ {
			cells[i][r-3] = parentHex(c, r)
		}
	}
	ids := make([]string, devices)
	for i := 0; i < devices; i++ {
		ids[i] = devID(i)
		c := cells[i%hexes]
		if _, err := st.ExecContext(ctx, ids[i], addr(i%5000), c[0], c[1], c[2], c[3], c[4], c[5], i, i%1000); err != nil {
			b.Fatal(err)
		}
	}
	st.Close()
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if err := db.RebuildHexStats(ctx); err != nil {
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
	var lookups, hexAgg, world, europe []time.Duration
	for i := 0; i < 2000; i++ {
		lookups = append(lookups, do(fmt.Sprintf(`{ device(id: %q) { id owner reportsAccepted } }`, ids[(i*7919)%devices])))
	}
	for i := 0; i < 20; i++ {
		hexAgg = append(hexAgg, do(`{ devicesPerHex(network: "solar", resolution: 7) { hex devices } }`))
		world = append(world, do(`{ hexes(resolution: 4) { hex devices rewards boundary } }`))
		europe = append(europe, do(`{ hexes(network: "solar", resolution: 6, bbox: [-10, 35, 30, 60]) { hex devices rewards boundary } }`))
	}
	b.StopTimer()
	b.ReportMetric(pct(lookups, 0.5), "lookup-p50-ms")
	b.ReportMetric(pct(lookups, 0.99), "lookup-p99-ms")
	b.ReportMetric(pct(hexAgg, 0.5), "hex-agg-p50-ms")
	b.ReportMetric(pct(hexAgg, 0.99), "hex-agg-p99-ms")
	b.ReportMetric(pct(world, 0.5), "map-world-p50-ms")
	b.ReportMetric(pct(world, 0.99), "map-world-p99-ms")
	b.ReportMetric(pct(europe, 0.5), "map-europe-p50-ms")
	b.ReportMetric(pct(europe, 0.99), "map-europe-p99-ms")
}
