package indexer_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/indexer"
	"github.com/depinhq/depin/indexer/graph"
	"github.com/depinhq/depin/node"
	"github.com/depinhq/depin/node/nodetest"
)

// TestComputeExplorer drives the explorer's compute pages in headless
// Chromium over the index of a devnet where the render job's shape ran
// through the chain (16 PNG tiles, one provider outvoted) and a job
// failed: the network page's compute figures and its link to the compute
// page (jobs, providers with their reputation, penalties), the job page
// (details, the stitched picture loaded from the API, every task's
// round, state, output hash and providers), the failed job, the
// consumer's jobs, the outvoted provider's record, "No such job", and no
// page scrolling sideways on a phone.
func TestComputeExplorer(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a devnet and a browser")
	}
	chrome := chromiumPath(t)
	n := nodetest.Devnet(t, node.DevnetOptions{})
	c, err := client.New(n.RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	ix := indexer.StartIndexer(t, ctx, "sqlite:"+filepath.Join(t.TempDir(), "index.db"), c)
	srv := httptest.NewServer(graph.Mux(ix))
	t.Cleanup(srv.Close) // after the browsers' cleanups: their /live streams hold connections open
	cd := indexer.NewComputeDevnet(t, c, n.Home())
	cd.RunScenario()
	waitIndexed(t, c, map[string]*indexer.Indexer{"sqlite": ix})
	base := srv.URL + "/"
	cheater := crypto.DeviceString(cd.Providers[2])
	dave := cd.Keys["dave"].Address.String()
	job := fmt.Sprintf("#/job/%d", cd.Job)

	b := newTab(t, chrome, 1280, 900)
	var text string
	b.open("network", base+"#/network/render", "network", chromedp.Evaluate(`document.querySelector('#net-compute').textContent`, &text))
	for _, want := range []string{"Jobs0 running of 2", "Tasks17: 16 verified, 1 failed", "Providers3 assigned tasks so far", "Jobs pay inDPIN"} {
		if !strings.Contains(text, want) {
			t.Errorf("network compute summary %q lacks %q", text, want)
		}
	}

	// The compute page, reached from the network page.
	var jobs, providers, penalties int
	var reps []string
	b.run("compute", chromedp.Click(`#net-compute-link`, chromedp.ByQuery), loaded("compute"),
		chromedp.Evaluate(`document.querySelectorAll('#compute-jobs a[href^="#/job/"]').length`, &jobs),
		chromedp.Evaluate(`document.querySelectorAll('#compute-providers tbody tr').length`, &providers),
		chromedp.Evaluate(`document.querySelectorAll('#compute-penalties tbody tr').length`, &penalties),
		chromedp.Evaluate(`[...document.querySelectorAll('#compute-providers td[data-label="Reputation"]')].map((td) => td.textContent)`, &reps))
	b.shot("compute-network")
	if jobs != 2 || providers != 3 || penalties != 1 {
		t.Errorf("compute page: %d job links, %d providers, %d penalties (want 2, 3, 1)", jobs, providers, penalties)
	}
	for _, r := range reps {
		if !strings.HasSuffix(r, " %") {
			t.Errorf("a provider's reputation reads %q (reputations %q)", r, reps)
		}
	}

	// The job page, reached from the compute page: the picture loads from
	// the API at its size; every task is there, task 15 with its outvoted
	// provider.
	var details, task15 string
	var rows int
	var img struct {
		Complete bool
		Width    int
		Height   int
		Src      string
	}
	b.run("job", chromedp.Click(fmt.Sprintf(`#compute-jobs a[href="%s"]`, job), chromedp.ByQuery), loaded("job"),
		chromedp.Evaluate(`document.querySelector('#job-details').textContent`, &details),
		chromedp.Evaluate(`document.querySelectorAll('#job-tasks-table tbody tr').length`, &rows),
		chromedp.Evaluate(`[...document.querySelectorAll('#job-tasks-table tbody tr')].find((tr) => tr.cells[0].textContent === '15')?.textContent ?? ''`, &task15),
		chromedp.Poll(`(() => { const i = document.querySelector('#job-image'); return i && i.complete && i.naturalWidth > 0; })()`, nil, chromedp.WithPollingTimeout(15e9)),
		chromedp.Evaluate(`(() => { const i = document.querySelector('#job-image'); return { complete: i.complete, width: i.naturalWidth, height: i.naturalHeight, src: i.getAttribute('src') }; })()`, &img))
	b.shot("compute-job")
	for _, want := range []string{"StatusDone at block", "Tasks16: 16 verified, 0 failed", "3 providers per task", "Arguments--spp 4"} {
		if !strings.Contains(details, want) {
			t.Errorf("job details %q lack %q", details, want)
		}
	}
	if rows != 16 || !strings.Contains(task15, "outvoted, slashed") || !strings.Contains(task15, "tile.png") || !strings.Contains(task15, "Verified") {
		t.Errorf("job page: %d task rows; task 15 reads %q", rows, task15)
	}
	if !img.Complete || img.Width != 256 || img.Height != 256 || img.Src != fmt.Sprintf("/v1/compute/jobs/%d/image.png", cd.Job) {
		t.Errorf("the picture: %+v", img)
	}

	// The failed job has no picture and says why its task failed.
	var failed string
	b.open("failed job", base+fmt.Sprintf("#/job/%d", cd.Failed), "job",
		chromedp.Evaluate(`document.querySelector('main').textContent`, &failed))
	if !strings.Contains(failed, "The picture is stitched once every task is verified") || !strings.Contains(failed, "no majority") ||
		strings.Contains(failed, "Open the PNG") {
		t.Errorf("the failed job's page: %q", failed)
	}

	// The consumer's jobs; the outvoted provider's record.
	var n1 int
	b.open("account", base+"#/account/"+dave, "account", chromedp.Evaluate(`document.querySelectorAll('#acct-jobs a[href^="#/job/"]').length`, &n1))
	if n1 != 2 {
		t.Errorf("dave's account page links %d jobs, want 2", n1)
	}
	b.open("device", base+"#/device/"+cheater, "device", chromedp.Evaluate(`document.querySelector('#dev-compute').textContent`, &text))
	if !strings.Contains(text, "1 outvoted") {
		t.Errorf("the cheater's compute record: %q", text)
	}
	for _, bad := range []string{"999", "abc"} {
		var h1 string
		b.open("no job "+bad, base+"#/job/"+bad, "notfound", chromedp.Text(`main h1`, &h1, chromedp.ByQuery))
		if h1 != "No such job" {
			t.Errorf("#/job/%s: %q", bad, h1)
		}
	}

	// Phone-sized: nothing scrolls sideways, no stacked table is cut off,
	// the picture fits.
	p := newTab(t, chrome, 390, 844)
	for _, pg := range []struct{ name, path string }{{"compute", "#/compute/render"}, {"job", job}, {"network", "#/network/render"}} {
		var overflow bool
		var cut []string
		p.open("phone "+pg.name, base+pg.path, pg.name,
			chromedp.Evaluate(`document.documentElement.scrollWidth > window.innerWidth + 1`, &overflow),
			chromedp.Evaluate(`[...document.querySelectorAll('table.stack, #job-image')].filter((t) => t.getBoundingClientRect().right > window.innerWidth + 1)
			  .map((t) => t.querySelector('caption')?.textContent ?? t.id)`, &cut))
		p.shot("phone-compute-" + pg.name)
		if overflow || len(cut) > 0 {
			t.Errorf("the %s page on a phone: scrolls sideways %v, cut off %q", pg.name, overflow, cut)
		}
	}
}
