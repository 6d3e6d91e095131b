package indexer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	api "github.com/depinhq/depin/api/compute"
	apinetwork "github.com/depinhq/depin/api/network"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	computev1 "github.com/depinhq/depin/gen/depin/compute/v1"
	"github.com/depinhq/depin/indexer"
	"github.com/depinhq/depin/indexer/graph"
	"github.com/depinhq/depin/node"
	"github.com/depinhq/depin/node/nodetest"
)

// TestComputeIndexed: the render job and a failed job run through the
// chain on a devnet — three providers commit and reveal real sandbox
// outputs holding PNG tiles, one is outvoted on a tile — are indexed by an
// indexer on SQLite and one on PostgreSQL following the same chain; the
// index, in its tables, through GraphQL and over HTTP, agrees with the
// chain at the indexed height, and the stitched image the API serves is
// compute/tiles's join of the verified tiles, the picture itself.
func TestComputeIndexed(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a devnet")
	}
	n := nodetest.Devnet(t, node.DevnetOptions{})
	c, err := client.New(n.RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	dsns := map[string]string{"sqlite": "sqlite:" + filepath.Join(t.TempDir(), "index.db")}
	if dsn := indexer.PostgresDSNOrSkip(t); dsn != "" {
		dsns["postgres"] = dsn
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	indexers := map[string]*indexer.Indexer{}
	for name, dsn := range dsns {
		indexers[name] = indexer.StartIndexer(t, ctx, dsn, c)
	}
	cd := indexer.NewComputeDevnet(t, c, n.Home())
	cd.RunScenario()
	waitIndexed(t, c, indexers)
	stop()
	for name, ix := range indexers {
		t.Run(name, func(t *testing.T) {
			indexer.CheckComputeIndex(t, ix.DB, cd)
			checkComputeGraph(t, ix.DB, cd)
		})
	}
}

// waitIndexed waits until every indexer has the chain's latest block.
func waitIndexed(t *testing.T, c *client.Client, indexers map[string]*indexer.Indexer) {
	t.Helper()
	st, err := c.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	target := st.SyncInfo.LatestBlockHeight
	deadline := time.Now().Add(30 * time.Second)
	for name, ix := range indexers {
		for ix.Height() < target {
			if time.Now().After(deadline) {
				t.Fatalf("%s: indexer at %d, chain at %d", name, ix.Height(), target)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// checkComputeGraph asks GraphQL what the compute market and the jobs
// came to and compares with the chain at the index's height, then fetches
// the stitched image and a tile over HTTP.
func checkComputeGraph(t *testing.T, db *indexer.DB, cd *indexer.ComputeDevnet) {
	ctx := context.Background()
	h, err := db.Height(ctx)
	if err != nil {
		t.Fatal(err)
	}
	at := func(key []byte, m proto.Message) {
		t.Helper()
		r, err := cd.C.QueryKey(ctx, key, client.QueryOptions{Height: h})
		if err != nil || r.Value == nil {
			t.Fatalf("chain %x at %d: %v", key, h, err)
		}
		if err := proto.Unmarshal(r.Value, m); err != nil {
			t.Fatal(err)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/graphql", graph.Handler(&graph.Resolver{DB: db, Reputations: graph.NewReputations(cd.C, time.Second, nil)}))
	graph.NewComputeOutputs(db).Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	gql := func(q string, out any) {
		t.Helper()
		body, _ := json.Marshal(map[string]string{"query": q})
		resp, err := http.Post(srv.URL+"/graphql", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r struct {
			Data   json.RawMessage
			Errors []struct{ Message string }
		}
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || len(r.Errors) > 0 {
			t.Fatalf("%s: %v %v", q, err, r.Errors)
		}
		if err := json.Unmarshal(r.Data, out); err != nil {
			t.Fatal(err)
		}
	}
	var g struct {
		Network struct {
			Compute struct {
				JobCount, RunningJobs, TaskCount, TasksVerified, TasksFailed, ProviderCount, PenaltyCount int
				Providers                                                                                 struct {
					Edges []struct{ Node graph.ComputeProvider }
				}
			}
		}
		Job    graph.ComputeJob
		Failed graph.ComputeJob
		Jobs   struct{ TotalCount int }
	}
	gql(fmt.Sprintf(`{ network(id: "render") { compute { jobCount runningJobs taskCount tasksVerified tasksFailed providerCount penaltyCount
	    providers(first: 10) { edges { node { device agreed outvoted missed earned assigned reputation } } } } }
	  job: job(id: %d) { status taskCount verified failed paid refunded escrow image { url width height columns }
	    tasks(first: 16) { index status round outputHash agreed result fileCount files(first: 1) { path size url } providers { device outcome } } }
	  jobs(consumer: %q) { totalCount } }`, cd.Job, cd.Keys["dave"].Address.String()), &g)
	gql(fmt.Sprintf(`{ failed: job(id: %d) { status verified failed image { url } tasks(first: 1) { status reason round providers { outcome } } } }`, cd.Failed), &g)
	m := g.Network.Compute
	if fmt.Sprintln(m.JobCount, m.RunningJobs, m.TaskCount, m.TasksVerified, m.TasksFailed, m.ProviderCount, m.PenaltyCount, g.Jobs.TotalCount) != fmt.Sprintln(2, 0, 17, 16, 1, 3, 1, 2) {
		t.Errorf("compute market: %+v; dave's jobs %d", m, g.Jobs.TotalCount)
	}
	// Every provider's record and reputation equal the chain's.
	if len(m.Providers.Edges) != 3 {
		t.Fatalf("%d providers", len(m.Providers.Edges))
	}
	for _, e := range m.Providers.Edges {
		p := e.Node
		id, err := crypto.ParseDeviceID(p.Device)
		if err != nil {
			t.Fatal(err)
		}
		var st computev1.ProviderStats
		at(api.StatsKey(id), &st)
		d, err := cd.C.Device(ctx, id, client.QueryOptions{})
		if err != nil || d == nil {
			t.Fatalf("device %s: %v", p.Device, err)
		}
		alpha, beta := d.RepAlpha, d.RepBeta
		if !d.RepInit {
			rp := apinetwork.DefaultRewards(0)
			alpha, beta = rp.RepAlpha0, rp.RepBeta0
		}
		rep := -1
		if p.Reputation != nil {
			rep = *p.Reputation
		}
		got := fmt.Sprintln(p.Agreed, p.Outvoted, p.Missed, p.Earned, p.Assigned, rep)
		if want := fmt.Sprintln(st.TasksAgreed, st.TasksOutvoted, st.TasksMissed, strconv.FormatUint(st.Earned, 10), st.Assigned, graph.ReputationPPM(alpha, beta)); got != want {
			t.Errorf("provider %s (agreed, outvoted, missed, earned, assigned, reputation): GraphQL %s, chain %s", p.Device, got, want)
		}
		if p.Device == crypto.DeviceString(cd.Providers[2]) && (p.Outvoted != 1 || rep >= 1_000_000) {
			t.Errorf("the cheater: %+v, reputation %d", p, rep)
		}
	}
	// The jobs: as on chain; every task of job 1 verified with its tile.
	var j computev1.Job
	at(api.JobKey(cd.Job), &j)
	jb := g.Job
	if fmt.Sprintln(jb.Status, jb.TaskCount, jb.Verified, jb.Failed, jb.Paid, jb.Refunded, jb.Escrow) != fmt.Sprintln("DONE", j.Tasks, j.Verified, j.Failed, j.Paid, j.Refunded, j.Escrow) {
		t.Errorf("job %d: GraphQL %+v, chain %v", cd.Job, jb, &j)
	}
	if jb.Image == nil || *jb.Image != (graph.ComputeImage{URL: fmt.Sprintf("/v1/compute/jobs/%d/image.png", cd.Job), Width: 256, Height: 256, Columns: 4}) {
		t.Errorf("job %d's image: %+v", cd.Job, jb.Image)
	}
	if len(jb.Tasks) != 16 {
		t.Fatalf("%d tasks", len(jb.Tasks))
	}
	for i, task := range jb.Tasks {
		onChain := cd.Task(cd.Job, uint32(i))
		outcomes := map[string]int{}
		for _, p := range task.Providers {
			outcomes[p.Outcome]++
		}
		wantOutcomes := map[string]int{"AGREED": 3}
		if i == 15 {
			wantOutcomes = map[string]int{"AGREED": 2, "OUTVOTED": 1}
		}
		if task.Status != "VERIFIED" || task.OutputHash != fmt.Sprintf("%x", onChain.OutputHash) || task.Result == nil || *task.Result != "ok" ||
			len(task.Files) != 1 || task.Files[0].Path != "tile.png" || task.Files[0].Size != len(cd.Tiles[i]) || fmt.Sprint(outcomes) != fmt.Sprint(wantOutcomes) {
			t.Errorf("task %d: %+v, providers %v", i, task, outcomes)
		}
	}
	f := g.Failed
	if f.Status != "DONE" || f.Verified != 0 || f.Failed != 1 || f.Image != nil || len(f.Tasks) != 1 || f.Tasks[0].Status != "FAILED" || f.Tasks[0].Reason == "" ||
		len(f.Tasks[0].Providers) != 2 || f.Tasks[0].Providers[0].Outcome != "NO_MAJORITY" {
		t.Errorf("job %d: %+v", cd.Failed, f)
	}

	// Over HTTP: the picture is the join of the tiles, and the tiles are
	// the picture; a tile is served as it was revealed; job 2 has none.
	get := func(path string) (*http.Response, []byte) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	resp, b := get(jb.Image.URL)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || !bytes.Equal(b, cd.Picture) {
		t.Fatalf("%s: %d %s, %d bytes (JoinPNGTiles made %d)", jb.Image.URL, resp.StatusCode, resp.Header.Get("Content-Type"), len(b), len(cd.Picture))
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil || img.Bounds() != image.Rect(0, 0, 256, 256) {
		t.Fatalf("the image: %v %v", err, img.Bounds())
	}
	want := indexer.RenderPicture(0)
	diff := 0
	for y := range 256 {
		for x := range 256 {
			if color.NRGBAModel.Convert(img.At(x, y)) != want.NRGBAAt(x, y) {
				diff++
			}
		}
	}
	if diff > 0 {
		t.Errorf("%d pixels of the image differ from the picture", diff)
	}
	resp, b = get(jb.Tasks[15].Files[0].URL)
	if resp.StatusCode != 200 || !bytes.Equal(b, cd.Tiles[15]) {
		t.Errorf("tile 15: %d, %d bytes", resp.StatusCode, len(b))
	}
	resp, b = get(fmt.Sprintf("/v1/compute/jobs/%d/image.png", cd.Failed))
	var e struct{ Error, Code string }
	if err := json.Unmarshal(b, &e); err != nil || resp.StatusCode != http.StatusNotFound || e.Code != "no_image" {
		t.Errorf("job %d's image: %d %s", cd.Failed, resp.StatusCode, b)
	}
}
