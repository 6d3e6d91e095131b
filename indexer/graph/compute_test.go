package graph

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/compute/sandbox"
	"github.com/depinhq/depin/compute/tiles"
	"github.com/depinhq/depin/crypto"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	"github.com/depinhq/depin/indexer"
)

// pngTile is an 8×8 PNG of one colour.
func pngTile(t testing.TB, c color.NRGBA) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 8, 8))
	for y := range 8 {
		for x := range 8 {
			img.SetNRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// computeFixture adds a compute network to the test index: "render"
// (COMPUTE) with providers 200–202 and three jobs of dave's:
//   - job 1: 4 tasks, each an 8×8 PNG tile of its own colour (its
//     tiles), all verified: done, with its payments and a penalty;
//   - job 2: 4 tasks verified, task 1's result two files (an HTML page
//     and a text), so no image;
//   - job 3 (erin's): 3 tasks running: task 0 verified, task 1 with one
//     commitment in and its commit window past, task 2 with none.
//
// "gpu" is a COMPUTE network with no job yet.
func computeFixture(t testing.TB, db *indexer.DB) (tilesPNG [][]byte) {
	t.Helper()
	p := func(i int) string { return devID(200 + i) }
	var qs []string
	for i := range 3 {
		c := testCells[i]
		qs = append(qs, fmt.Sprintf(`INSERT INTO devices (id, network, owner, model, capacity, cell, cell_r4, cell_r5, cell_r6, cell_r7, cell_r8, status, stake, registered_height)
VALUES ('%s', 'render', '%s', 'GPU 1', 100, '%s', '%s', '%s', '%s', '%s', '%s', 'ACTIVE', 10, 1)`, p(i), addr(20+i), c.String(),
			parentHex(c, 4), parentHex(c, 5), parentHex(c, 6), parentHex(c, 7), parentHex(c, 8)))
	}
	qs = append(qs,
		`INSERT INTO networks (id, owner, class, reward_denom, created_height) VALUES ('render', 'o', 'RESOURCE_CLASS_COMPUTE', 'urender', 1), ('gpu', 'o', 'RESOURCE_CLASS_COMPUTE', 'ugpu', 1)`,
		`INSERT INTO blocks (height, block_time, hash, app_hash, proposer, txs, events) VALUES (6, '2025-11-24T16:05:00Z', 'h', 'a', 'p', 0, 0)`,
		`INSERT INTO compute_jobs (id, consumer, network, tasks, replicas, denom, price_per_task, escrow, paid, refunded, status, verified, failed,
  module_sha256, module_size, module_deal, inputs, args, memory_bytes, timeout_ms, max_output_bytes, submit_time, deadline, submitted_height, finished_height) VALUES
(1, 'dave', 'render', 4, 2, 'udpin', '1000', '20000', '8000', '12000', 'DONE', 4, 0, 'aa', 100, 0, 0, '["--spp","4"]', 67108864, 10000, 65536, 1764000000, 1764000600, 3, 5),
(2, 'dave', 'render', 4, 2, 'udpin', '1000', '20000', '8000', '12000', 'DONE', 4, 0, 'aa', 100, 0, 1, '[]', 67108864, 10000, 65536, 1764000000, 1764000600, 3, 5),
(3, 'erin', 'render', 3, 2, 'udpin', '5', '75', '0', '0', 'RUNNING', 1, 0, 'bb', 2000, 9, 0, '[]', 1048576, 5000, 4096, 1764000000, 1764003600, 4, 0)`,
	)
	for _, q := range qs {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(q, err)
		}
	}
	task := func(job, idx int, status string, out []byte, round int, deadline int64) {
		t.Helper()
		h := sha256.Sum256(out)
		var result, stdout, pngPath string
		var files, w, hgt int
		var blob any
		hash := ""
		if out != nil {
			blob, hash = out, hex.EncodeToString(h[:])
			o, err := sandbox.DecodeOutput(out)
			if err != nil {
				t.Fatal(err)
			}
			result, stdout, files = o.Status.String(), string(o.Stdout), len(o.Files)
			for i, f := range o.Files {
				if _, err := db.Exec(`INSERT INTO compute_files (job, task, idx, path, size) VALUES ($1, $2, $3, $4, $5)`, job, idx, i, f.Path, len(f.Data)); err != nil {
					t.Fatal(err)
				}
			}
			if len(o.Files) == 1 && strings.HasSuffix(o.Files[0].Path, ".png") {
				c, _ := png.DecodeConfig(bytes.NewReader(o.Files[0].Data))
				pngPath, w, hgt = o.Files[0].Path, c.Width, c.Height
			}
		}
		if _, err := db.Exec(`INSERT INTO compute_tasks (job, idx, round, status, commit_deadline, output_hash, output, output_size, agreed, reason,
  result, exit_code, stdout, stdout_size, files, png_path, png_width, png_height, judged_height)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '', $10, 0, $11, $12, $13, $14, $15, $16, 5)`,
			job, idx, round, status, deadline, hash, blob, len(out), map[bool]int{true: 2}[out != nil], result, stdout, len(stdout), files, pngPath, w, hgt); err != nil {
			t.Fatal(err)
		}
	}
	output := func(o sandbox.Output) []byte {
		b, err := sandbox.EncodeOutput(o)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	colours := []color.NRGBA{{R: 255, A: 255}, {G: 255, A: 255}, {B: 255, A: 255}, {R: 255, G: 255, A: 255}}
	for i, c := range colours {
		tilesPNG = append(tilesPNG, pngTile(t, c))
		task(1, i, "VERIFIED", output(sandbox.Output{Status: sandbox.OK, Files: []sandbox.File{{Path: "tile.png", Data: tilesPNG[i]}}}), 1, 1764000060)
		if i == 1 {
			task(2, i, "VERIFIED", output(sandbox.Output{Status: sandbox.OK, Stdout: []byte("two files\n"), Files: []sandbox.File{
				{Path: "index.html", Data: []byte("<script>alert(1)</script>")}, {Path: "notes/read me.txt", Data: []byte("hello")}}}), 1, 1764000060)
		} else {
			task(2, i, "VERIFIED", output(sandbox.Output{Status: sandbox.OK, Files: []sandbox.File{{Path: "tile.png", Data: tilesPNG[i]}}}), 1, 1764000060)
		}
	}
	task(3, 0, "VERIFIED", output(sandbox.Output{Status: sandbox.Trap}), 1, 1764000060)
	task(3, 1, "COMMIT", nil, 1, 1764000060)
	task(3, 2, "COMMIT", nil, 1, 1764009999)
	for _, q := range []string{
		fmt.Sprintf(`INSERT INTO compute_assignments (job, task, round, device, open, committed, revealed, output_hash, output, outcome, paid, slashed) VALUES
(1, 0, 1, '%[1]s', FALSE, TRUE, TRUE, 'h0', NULL, 'AGREED', '1000', '0'), (1, 0, 1, '%[2]s', FALSE, TRUE, TRUE, 'h0', NULL, 'AGREED', '1000', '0'),
(1, 0, 1, '%[3]s', FALSE, TRUE, TRUE, 'hx', NULL, 'OUTVOTED', '0', '50'),
(3, 1, 1, '%[1]s', TRUE, TRUE, FALSE, '', NULL, '', '0', '0'), (3, 1, 1, '%[2]s', TRUE, FALSE, FALSE, '', NULL, '', '0', '0'),
(3, 2, 1, '%[2]s', TRUE, FALSE, FALSE, '', NULL, '', '0', '0'), (3, 2, 1, '%[3]s', TRUE, FALSE, FALSE, '', NULL, '', '0', '0')`, p(0), p(1), p(2)),
		fmt.Sprintf(`INSERT INTO compute_providers (device, network, assigned, agreed, outvoted, missed, earned, slashed) VALUES
('%s', 'render', 1, 9, 0, 0, '9000', '0'), ('%s', 'render', 2, 8, 0, 1, '8000', '0'), ('%s', 'render', 1, 7, 1, 0, '7000', '50')`, p(0), p(1), p(2)),
		fmt.Sprintf(`INSERT INTO compute_payments (height, tx_index, seq, network, job, task, device, owner, amount, denom) VALUES
(4, 0, 1, 'render', 1, 0, '%s', 'o0', '1000', 'udpin'), (4, 0, 2, 'render', 1, 0, '%s', 'o1', '1000', 'udpin')`, p(0), p(1)),
		fmt.Sprintf(`INSERT INTO compute_penalties (height, tx_index, seq, network, job, task, device, reason, slashed) VALUES
(4, 0, 3, 'render', 1, 0, '%s', 'outvoted', '50')`, p(2)),
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(q, err)
		}
	}
	return tilesPNG
}

// fakeReputations is a chain of devices and networks that counts its reads.
type fakeReputations struct {
	mu      sync.Mutex
	devices map[crypto.DeviceID]*devicev1.Device
	reads   int
}

func (f *fakeReputations) Device(_ context.Context, id crypto.DeviceID, _ client.QueryOptions) (*devicev1.Device, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	return f.devices[id], nil
}

func (f *fakeReputations) Network(_ context.Context, id string, _ client.QueryOptions) (*networkv1.Network, error) {
	return &networkv1.Network{Id: id}, nil // no reward params: the defaults (α₀ = 1000, β₀ = 0)
}

// computeServer serves the test index with the compute fixture: GraphQL
// (with reputations from a fake chain) and the compute outputs.
func computeServer(t *testing.T) (*httptest.Server, *fakeReputations, [][]byte) {
	t.Helper()
	_, db := newServerDB(t)
	tilesPNG := computeFixture(t, db)
	chain := &fakeReputations{devices: map[crypto.DeviceID]*devicev1.Device{
		parseDev(t, devID(200)): {Network: "render", RepInit: true, RepAlpha: 3_000_000, RepBeta: 1_000_000},
		parseDev(t, devID(201)): {Network: "render"},
	}}
	mux := http.NewServeMux()
	mux.Handle("/graphql", Handler(&Resolver{DB: db, Reputations: NewReputations(chain, time.Minute, nil)}))
	NewComputeOutputs(db).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, chain, tilesPNG
}

// TestComputeQueries: a compute network's market and providers (with
// their reputation from the chain), jobs of a network or a consumer page
// by page, a job with its tasks (their results, files and providers), its
// payments, penalties and image, and what is refused.
func TestComputeQueries(t *testing.T) {
	srv, chain, _ := computeServer(t)
	p := func(i int) string { return devID(200 + i) }
	r := query(t, srv, `{ render: network(id: "render") { compute { network denom jobCount runningJobs taskCount tasksVerified tasksFailed providerCount penaltyCount
	    penalties { height job task device reason slashed } } }
	  gpu: network(id: "gpu") { compute { network denom jobCount providerCount } }
	  solar: network(id: "solar") { compute { network } } }`)
	want := fmt.Sprintf(`{"render":{"compute":{"network":"render","denom":"udpin","jobCount":3,"runningJobs":1,"taskCount":11,"tasksVerified":9,"tasksFailed":0,"providerCount":3,"penaltyCount":1,`+
		`"penalties":[{"height":4,"job":1,"task":0,"device":"%s","reason":"outvoted","slashed":"50"}]}},`+
		`"gpu":{"compute":{"network":"gpu","denom":null,"jobCount":0,"providerCount":0}},"solar":null}`, p(2))
	if len(r.Errors) > 0 || string(r.Data) != want {
		t.Fatalf("markets:\n got %s %v\nwant %s", r.Data, r.Errors, want)
	}

	// Providers page by page, with their reputation: α/(α+β) on chain,
	// the network's prior for a device never judged, null for one the
	// chain does not have; read once within the TTL.
	var seen []string
	after := ""
	for range 3 {
		arg := ""
		if after != "" {
			arg = fmt.Sprintf(`, after: %q`, after)
		}
		r = query(t, srv, `{ network(id: "render") { compute { providers(first: 2`+arg+`) { totalCount edges { node { device owner status assigned agreed outvoted missed earned slashed denom reputation } }
		  pageInfo { hasNextPage endCursor } } } } }`)
		var d struct {
			Network struct {
				Compute struct {
					Providers struct {
						TotalCount int
						Edges      []struct{ Node ComputeProvider }
						PageInfo   struct {
							HasNextPage bool
							EndCursor   string
						}
					}
				}
			}
		}
		if err := json.Unmarshal(r.Data, &d); err != nil || len(r.Errors) > 0 {
			t.Fatalf("%v %v", err, r.Errors)
		}
		c := d.Network.Compute.Providers
		for _, e := range c.Edges {
			n := e.Node
			seen = append(seen, n.Device)
			rep := "null"
			if n.Reputation != nil {
				rep = fmt.Sprint(*n.Reputation)
			}
			got := fmt.Sprint(n.Owner, n.Status, n.Assigned, n.Agreed, n.Outvoted, n.Missed, n.Earned, n.Slashed, *n.Denom, rep)
			want := map[string]string{
				p(0): fmt.Sprint(addr(20), "ACTIVE", 1, 9, 0, 0, "9000", "0", "udpin", "750000"),
				p(1): fmt.Sprint(addr(21), "ACTIVE", 2, 8, 0, 1, "8000", "0", "udpin", "1000000"),
				p(2): fmt.Sprint(addr(22), "ACTIVE", 1, 7, 1, 0, "7000", "50", "udpin", "null"),
			}[n.Device]
			if got != want {
				t.Errorf("provider %s: %s, want %s", n.Device, got, want)
			}
		}
		if c.TotalCount != 3 || !c.PageInfo.HasNextPage {
			break
		}
		after = c.PageInfo.EndCursor
	}
	if len(seen) != 3 || seen[0] > seen[1] || seen[1] > seen[2] {
		t.Fatalf("walked providers %v", seen)
	}
	if chain.reads != 3 {
		t.Errorf("%d chain reads for 3 providers", chain.reads)
	}
	query(t, srv, `{ device(id: "`+p(0)+`") { compute { reputation } } }`)
	if chain.reads != 3 {
		t.Errorf("%d chain reads: a second look within the TTL read the chain again", chain.reads)
	}

	// Jobs of a network, of a consumer, page by page.
	r = query(t, srv, `{ a: jobs(network: "render", first: 2) { totalCount edges { node { id consumer status } } pageInfo { hasNextPage endCursor } }
	  b: jobs(consumer: "erin") { totalCount edges { node { id } } }
	  c: jobs(network: "render", consumer: "dave") { totalCount } }`)
	var js struct {
		A struct {
			TotalCount int
			Edges      []struct{ Node struct{ ID int } }
			PageInfo   struct {
				HasNextPage bool
				EndCursor   string
			}
		}
		B, C struct {
			TotalCount int
			Edges      []struct{ Node struct{ ID int } }
		}
	}
	if err := json.Unmarshal(r.Data, &js); err != nil || len(r.Errors) > 0 {
		t.Fatalf("%v %v", err, r.Errors)
	}
	if js.A.TotalCount != 3 || len(js.A.Edges) != 2 || js.A.Edges[0].Node.ID != 3 || !js.A.PageInfo.HasNextPage || js.B.TotalCount != 1 || js.B.Edges[0].Node.ID != 3 || js.C.TotalCount != 2 {
		t.Fatalf("jobs: %s", r.Data)
	}
	r = query(t, srv, fmt.Sprintf(`{ jobs(network: "render", first: 2, after: %q) { edges { node { id } } pageInfo { hasNextPage } } }`, js.A.PageInfo.EndCursor))
	if string(r.Data) != `{"jobs":{"edges":[{"node":{"id":1}}],"pageInfo":{"hasNextPage":false}}}` {
		t.Fatalf("second page: %s %v", r.Data, r.Errors)
	}

	// A job: its terms, tasks with their results, files and providers, money and image.
	r = query(t, srv, `{ job(id: 1) { id consumer network status taskCount replicas verified failed running denom pricePerTask escrow paid refunded moduleSha256 moduleSize moduleDeal
	    inputs args memoryBytes timeoutMs maxOutputBytes submitted deadline submittedHeight finishedHeight
	    tasks(first: 2, after: -1) { job index round status outputSize agreed result exitCode fileCount files { path size url } outputUrl
	      providers { round device committed revealed outputHash outcome paid slashed } }
	    image { url width height columns } payments(last: 5) { height task device owner amount denom } penalties { device reason slashed } }
	  running: job(id: 3) { status running moduleDeal finishedHeight image { url } tasks { index status result outputUrl } }
	  states: job(id: 3) { tasks(first: 1, after: 0) { providers { device state } } }
	  two: job(id: 2) { image { url } tasks(first: 1, after: 0) { stdout fileCount files(first: 5) { path size url } } }
	  none: job(id: 99) { id } zero: job(id: 0) { id } }`)
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	for _, want := range []string{
		`"id":1,"consumer":"dave","network":"render","status":"DONE","taskCount":4,"replicas":2,"verified":4,"failed":0,"running":0,"denom":"udpin","pricePerTask":"1000",`,
		`"escrow":"20000","paid":"8000","refunded":"12000","moduleSha256":"aa","moduleSize":"100","moduleDeal":null,"inputs":0,"args":["--spp","4"],"memoryBytes":"67108864",`,
		`"timeoutMs":10000,"maxOutputBytes":65536,"submitted":"2025-11-24T16:00:00Z","deadline":"2025-11-24T16:10:00Z","submittedHeight":3,"finishedHeight":5,`,
		`{"job":1,"index":0,"round":1,"status":"VERIFIED",`, `"agreed":2,"result":"ok","exitCode":0,"fileCount":1,"files":[{"path":"tile.png","size":`,
		`"url":"/v1/compute/jobs/1/tasks/0/files/tile.png"}],"outputUrl":"/v1/compute/jobs/1/tasks/0/output",`,
		fmt.Sprintf(`{"round":1,"device":"%s","committed":true,"revealed":true,"outputHash":"hx","outcome":"OUTVOTED","paid":"0","slashed":"50"}`, p(2)),
		`"image":{"url":"/v1/compute/jobs/1/image.png","width":16,"height":16,"columns":2}`,
		fmt.Sprintf(`"payments":[{"height":4,"task":0,"device":"%s","owner":"o1","amount":"1000","denom":"udpin"},{"height":4,"task":0,"device":"%s"`, p(1), p(0)),
		fmt.Sprintf(`"penalties":[{"device":"%s","reason":"outvoted","slashed":"50"}]`, p(2)),
		// Task 1 of job 3 had a commitment in when its window closed at
		// the newest block's time: the chain has opened its reveals.
		`"running":{"status":"RUNNING","running":2,"moduleDeal":9,"finishedHeight":null,"image":null,"tasks":[{"index":0,"status":"VERIFIED","result":"trap","outputUrl":"/v1/compute/jobs/3/tasks/0/output"},` +
			`{"index":1,"status":"REVEAL","result":null,"outputUrl":null},{"index":2,"status":"COMMIT","result":null,"outputUrl":null}]}`,
		`"two":{"image":null,"tasks":[{"stdout":"two files\n","fileCount":2,"files":[{"path":"index.html","size":25,"url":"/v1/compute/jobs/2/tasks/1/files/index.html"},` +
			`{"path":"notes/read me.txt","size":5,"url":"/v1/compute/jobs/2/tasks/1/files/notes/read%20me.txt"}]}]}`,
		`"none":null,"zero":null`,
		fmt.Sprintf(`{"device":"%s","state":"COMMITTED"}`, p(0)), fmt.Sprintf(`{"device":"%s","state":"ASSIGNED"}`, p(1)),
	} {
		if !strings.Contains(string(r.Data), want) {
			t.Errorf("missing %s in %s", want, r.Data)
		}
	}

	// Bad arguments say what is wrong; a page of tasks with every
	// provider and file costs what it may read.
	for q, want := range map[string]string{
		`{ jobs { totalCount } }`:                                                                  "give network or consumer",
		`{ jobs(network: "render", first: 101) { totalCount } }`:                                   "first must be between 1 and 100",
		`{ jobs(network: "render", after: "nope!") { totalCount } }`:                               "not a cursor",
		`{ job(id: 1) { tasks(first: 0) { index } } }`:                                             "first must be between 1 and 100",
		`{ job(id: 1) { tasks(first: 1) { files(first: 101) { path } } } }`:                        "first must be between 1 and 100",
		`{ network(id: "render") { compute { penalties(last: 0) { job } } } }`:                     "last must be between 1 and 100",
		`{ job(id: 1) { tasks(first: 100) { providers { device outcome } } } }`:                    "complexity",
		`{ jobs(network: "render", first: 50) { edges { node { tasks(first: 50) { index } } } } }`: "complexity",
	} {
		r := query(t, srv, q)
		if len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, want) {
			t.Errorf("%s: %v, want %q", q, r.Errors, want)
		}
	}
	// Without a chain, reputations are an error and the rest is answered.
	_, db := newServerDB(t)
	computeFixture(t, db)
	mux := http.NewServeMux()
	mux.Handle("/graphql", Handler(&Resolver{DB: db}))
	bare := httptest.NewServer(mux)
	defer bare.Close()
	r = query(t, bare, `{ network(id: "render") { compute { providers(first: 1) { edges { node { agreed reputation } } } } } }`)
	if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, ErrNoChain.Error()) || !strings.Contains(string(r.Data), `"agreed":`) {
		t.Errorf("no chain: %s %v", r.Data, r.Errors)
	}
}

// TestComputeOutputs: a verified task's output and each of its files are
// served with their type (only images and text inline, the rest as
// downloads, all sandboxed), the stitched image equals compute/tiles's
// join of the tiles and is revalidated by its ETag, and every refusal is
// JSON with a status and a code that say what is wrong.
func TestComputeOutputs(t *testing.T) {
	srv, _, tilesPNG := computeServer(t)
	get := func(path string, hdr ...string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	resp, b := get("/v1/compute/jobs/1/image.png")
	want, err := tiles.JoinPNGTiles(tilesPNG, 2)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || !bytes.Equal(b, want) {
		t.Fatalf("image: %d %s, %d bytes (want %d, as JoinPNGTiles makes)", resp.StatusCode, resp.Header.Get("Content-Type"), len(b), len(want))
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil || img.Bounds().Dx() != 16 || color.NRGBAModel.Convert(img.At(12, 12)) != (color.NRGBA{R: 255, G: 255, A: 255}) {
		t.Fatalf("image: %v %v", err, img.Bounds())
	}
	etag := resp.Header.Get("ETag")
	if resp, _ := get("/v1/compute/jobs/1/image.png", "If-None-Match", etag); etag == "" || resp.StatusCode != http.StatusNotModified {
		t.Errorf("revalidating %q: %d", etag, resp.StatusCode)
	}
	resp, b = get("/v1/compute/jobs/1/tasks/2/files/tile.png")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || !bytes.Equal(b, tilesPNG[2]) || resp.Header.Get("Content-Disposition") != "" ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("tile 2: %d %v", resp.StatusCode, resp.Header)
	}
	resp, b = get("/v1/compute/jobs/2/tasks/1/files/index.html")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/octet-stream" || resp.Header.Get("Content-Disposition") != "attachment; filename*=UTF-8''index.html" ||
		string(b) != "<script>alert(1)</script>" {
		t.Errorf("an HTML file must be a download: %d %v %q", resp.StatusCode, resp.Header, b)
	}
	resp, b = get("/v1/compute/jobs/2/tasks/1/files/notes/read%20me.txt")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" || string(b) != "hello" {
		t.Errorf("a text file: %d %v %q", resp.StatusCode, resp.Header, b)
	}
	resp, b = get("/v1/compute/jobs/3/tasks/0/output")
	if o, err := sandbox.DecodeOutput(b); resp.StatusCode != 200 || err != nil || o.Status != sandbox.Trap || resp.Header.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("output: %d %v %v", resp.StatusCode, err, resp.Header)
	}
	for path, want := range map[string]string{
		"/v1/compute/jobs/2/image.png":                 `404 no_image job 2 has no image: the result of task 1 is not one PNG file`,
		"/v1/compute/jobs/3/image.png":                 `404 no_image job 3 has no image: 1 of its 3 tasks are verified, and its tiles are stitched once all are`,
		"/v1/compute/jobs/99/image.png":                `404 no_job there is no compute job 99`,
		"/v1/compute/jobs/x/image.png":                 `400 bad_job "x" is not a job id (a positive number)`,
		"/v1/compute/jobs/1/tasks/9/output":            `404 no_task job 1 has no task 9`,
		"/v1/compute/jobs/99/tasks/0/output":           `404 no_job there is no compute job 99`,
		"/v1/compute/jobs/1/tasks/-1/output":           `400 bad_task "-1" is not a task index (0, 1, …)`,
		"/v1/compute/jobs/3/tasks/1/files/tile.png":    `404 not_verified task 1 of job 3 is not verified yet: its output is served once it is`,
		"/v1/compute/jobs/1/tasks/0/files/nothing.png": `404 no_file task 0 of job 1 wrote no file "nothing.png" (it wrote 1)`,
		"/v1/compute/jobs/3/tasks/0/files/out.txt":     `404 no_file task 0 of job 3 wrote no file "out.txt" (it wrote 0)`,
	} {
		resp, b := get(path)
		var e struct{ Error, Code string }
		if err := json.Unmarshal(b, &e); err != nil || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d %q is not a JSON error", path, resp.StatusCode, b)
			continue
		}
		if got := fmt.Sprint(resp.StatusCode, " ", e.Code, " ", e.Error); got != want {
			t.Errorf("%s:\n got %s\nwant %s", path, got, want)
		}
	}
}

// TestComputeImageLimits: a job whose tasks do not make a square, or
// whose image would be too large, has none, and says why.
func TestComputeImageLimits(t *testing.T) {
	_, db := newServerDB(t)
	computeFixture(t, db)
	ctx := context.Background()
	if _, err := db.Exec(`UPDATE compute_jobs SET tasks = 3, verified = 3 WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	if _, err := planImage(ctx, db, 1); err == nil || err.Error() != "job 1 has no image: its 3 tasks do not make a square of tiles" {
		t.Errorf("3 tiles: %v", err)
	}
	if _, err := db.Exec(`UPDATE compute_jobs SET tasks = 4, verified = 4 WHERE id = 1; UPDATE compute_tasks SET png_width = 2048, png_height = 4096 WHERE job = 1`); err != nil {
		t.Fatal(err)
	}
	if _, err := planImage(ctx, db, 1); err == nil || err.Error() != "job 1 has no image: it would be 4096×8192 pixels, more than 16777216" {
		t.Errorf("too many pixels: %v", err)
	}
	if _, err := db.Exec(`UPDATE compute_tasks SET png_width = 9 WHERE job = 1 AND idx = 3`); err != nil {
		t.Fatal(err)
	}
	if _, err := planImage(ctx, db, 1); err == nil || !strings.Contains(err.Error(), "its tiles are not of one size (9 to 2048 pixels wide, 4096 to 4096 high)") {
		t.Errorf("tiles of two sizes: %v", err)
	}
}

// TestComputeOutputLimits: beyond the requests served at once an output
// request is answered 503 at once; a stitching waits its turn for a while
// and then is 503 too, while an image already stitched is served from
// the cache whoever is stitching; the cache keeps within its bytes.
func TestComputeOutputLimits(t *testing.T) {
	_, db := newServerDB(t)
	computeFixture(t, db)
	c := NewComputeOutputs(db)
	c.imageWait = 50 * time.Millisecond
	mux := http.NewServeMux()
	c.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	get := func(path string) (int, string, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Retry-After"), string(b)
	}
	for range cap(c.running) {
		c.running <- struct{}{}
	}
	if code, retry, body := get("/v1/compute/jobs/1/tasks/0/output"); code != http.StatusServiceUnavailable || retry != "1" || !strings.Contains(body, `"code":"busy"`) {
		t.Errorf("output while busy: %d %q %s", code, retry, body)
	}
	for range cap(c.running) {
		<-c.running
	}
	if code, _, _ := get("/v1/compute/jobs/1/tasks/0/output"); code != http.StatusOK {
		t.Errorf("output after: %d", code)
	}
	c.joining <- struct{}{} // someone else is stitching
	if code, retry, body := get("/v1/compute/jobs/1/image.png"); code != http.StatusServiceUnavailable || retry != "1" || !strings.Contains(body, "busy stitching another image") {
		t.Errorf("image while another is stitched: %d %q %s", code, retry, body)
	}
	<-c.joining
	if code, _, _ := get("/v1/compute/jobs/1/image.png"); code != http.StatusOK {
		t.Errorf("image: %d", code)
	}
	c.joining <- struct{}{}
	if code, _, _ := get("/v1/compute/jobs/1/image.png"); code != http.StatusOK {
		t.Errorf("a stitched image while another is stitched: %d (not from the cache)", code)
	}
	<-c.joining

	// The cache: images beyond a quarter of it are not kept; the rest
	// stay within its bytes, the newest kept.
	c.keepImage(100, cachedImage{etag: "big", png: make([]byte, imageCacheBytes/4+1)})
	if _, ok := c.cachedImage(100, "big"); ok {
		t.Error("an image larger than a quarter of the cache was kept")
	}
	for i := range 10 {
		c.keepImage(200+i, cachedImage{etag: "e", png: make([]byte, imageCacheBytes/4)})
		if _, ok := c.cachedImage(200+i, "e"); !ok || c.cached > imageCacheBytes {
			t.Fatalf("image %d: kept %v, cache holds %d bytes of %d", i, ok, c.cached, imageCacheBytes)
		}
	}
	if _, ok := c.cachedImage(200+9, "other etag"); ok {
		t.Error("an image served for another etag")
	}
}
