package indexer_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/indexer"
	"github.com/depinhq/depin/indexer/graph"
	"github.com/depinhq/depin/node"
	"github.com/depinhq/depin/node/nodetest"
)

// TestStorageExplorer drives the explorer's storage pages in headless
// Chromium over an index of a devnet where a deal was formed, audited and
// repaired through the chain (the demo runs no storage nodes yet): the
// network page's storage sections (figures, the audit pass-rate chart,
// deals, nodes, repairs), the deal page (details, its nodes on the map,
// pieces, payments, repairs), the owner's deals, a disqualified node's
// record, "No such deal", and no page scrolling sideways on a phone.
func TestStorageExplorer(t *testing.T) {
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
	sd := indexer.NewStorageDevnet(t, c, n.Home())
	sd.RunScenario(false)
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ix.Height() < st.SyncInfo.LatestBlockHeight; {
		if time.Now().After(deadline) {
			t.Fatalf("indexer at %d, chain at %d", ix.Height(), st.SyncInfo.LatestBlockHeight)
		}
		time.Sleep(50 * time.Millisecond)
	}
	base := srv.URL + "/"
	node2 := crypto.DeviceString(sd.Nodes[2])
	dave := sd.Keys["dave"].Address.String()

	b := newTab(t, chrome, 1280, 900)
	var text string
	var n1, n2, n3, n4 int
	b.open("network", base+"#/network/vault", "network",
		chromedp.WaitVisible(`#net-audits-chart canvas`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('#net-storage').textContent`, &text),
		chromedp.Evaluate(`document.querySelectorAll('#net-deals a[href="#/deal/1"]').length`, &n1),
		chromedp.Evaluate(`document.querySelectorAll('#net-snodes tbody tr').length`, &n2),
		chromedp.Evaluate(`document.querySelectorAll('#net-repairs tbody tr').length`, &n3),
		chromedp.Evaluate(`document.querySelectorAll('#net-audits table thead th').length`, &n4))
	b.shot("storage-network")
	for _, want := range []string{"Stored1.8 kB in the pieces of 1 active deal", "Capacity3 GB, of which 3 GB free", "Nodes4: 3 with free space, 1 disqualified", "Deals1 active of 1", "Repairs2"} {
		if !strings.Contains(text, want) {
			t.Errorf("network storage summary %q lacks %q", text, want)
		}
	}
	// The chart follows all nodes and each audited one: nodes 0–2 (node
	// 3 took its pieces after this epoch's challenges were drawn, and is
	// audited from the next).
	if n1 != 1 || n2 != 4 || n3 != 2 || n4 < 5 {
		t.Errorf("network page: %d links to deal 1, %d storage nodes, %d repairs, %d columns of audits (want 1, 4, 2, 5 or 6)", n1, n2, n3, n4)
	}

	// The deal page, reached from the network page: its pieces are on
	// nodes 0, 1 and 3; the map shows node 2 too (it was paid before it
	// was disqualified).
	var details string
	var hexes, pieces, payments, repairs int
	b.run("deal", chromedp.Click(`#net-deals a[href="#/deal/1"]`, chromedp.ByQuery), loaded("deal"),
		chromedp.Evaluate(`document.querySelector('#deal-details').textContent`, &details))
	hexes = b.count(`#deal-map path.hex`, 4)
	b.run("deal tables",
		chromedp.Evaluate(`document.querySelectorAll('#deal-pieces tbody tr').length`, &pieces),
		chromedp.Evaluate(`document.querySelectorAll('#deal-payments tbody tr:not(:has(.empty))').length`, &payments),
		chromedp.Evaluate(`document.querySelectorAll('#deal-repairs tbody tr').length`, &repairs))
	b.shot("storage-deal")
	for _, want := range []string{"StatusActive", "2 segments, each 3 pieces of which any 2 restore it", "6 (1.8 kB) on 3 nodes: 6 live, 0 lost", "per GiB-month"} {
		if !strings.Contains(details, want) {
			t.Errorf("deal details %q lack %q", details, want)
		}
	}
	if hexes != 4 || pieces != 6 || payments == 0 || repairs != 2 {
		t.Errorf("deal page: %d nodes on the map, %d pieces, %d payments, %d repairs (want 4, 6, some, 2)", hexes, pieces, payments, repairs)
	}

	// The owner's deals; the disqualified node's record.
	b.open("account", base+"#/account/"+dave, "account", chromedp.Evaluate(`document.querySelectorAll('#acct-deals a[href="#/deal/1"]').length`, &n1))
	if n1 != 1 {
		t.Errorf("dave's account page links deal 1 %d times", n1)
	}
	b.open("device", base+"#/device/"+node2, "device", chromedp.Evaluate(`document.querySelector('#dev-storage').textContent`, &text))
	if !strings.Contains(text, "StateDisqualified") || !strings.Contains(text, "4 missed") {
		t.Errorf("node 2's storage record: %q", text)
	}
	for _, bad := range []string{"999", "abc"} {
		var h1 string
		b.open("no deal "+bad, base+"#/deal/"+bad, "notfound", chromedp.Text(`main h1`, &h1, chromedp.ByQuery))
		if h1 != "No such deal" {
			t.Errorf("#/deal/%s: %q", bad, h1)
		}
	}

	// Phone-sized: nothing scrolls sideways, no stacked table is cut off.
	p := newTab(t, chrome, 390, 844)
	for _, pg := range []struct{ name, path string }{{"network", "#/network/vault"}, {"deal", "#/deal/1"}, {"account", "#/account/" + dave}, {"device", "#/device/" + node2}} {
		var overflow bool
		var cut []string
		p.open("phone "+pg.name, base+pg.path, pg.name,
			chromedp.Evaluate(`document.documentElement.scrollWidth > window.innerWidth + 1`, &overflow),
			chromedp.Evaluate(`[...document.querySelectorAll('table.stack')].filter((t) => t.getBoundingClientRect().right > window.innerWidth + 1)
			  .map((t) => t.querySelector('caption')?.textContent)`, &cut))
		p.shot("phone-storage-" + pg.name)
		if overflow || len(cut) > 0 {
			t.Errorf("the %s page on a phone: scrolls sideways %v, tables cut off %q", pg.name, overflow, cut)
		}
	}
}

// chromiumPath finds a Chromium as the demo's browser test does:
// $DEPIN_CHROMIUM, else chromium, chromium-browser or google-chrome on
// PATH; missing, the test skips (fails under CI=true).
func chromiumPath(t *testing.T) string {
	if p := os.Getenv("DEPIN_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium found (apt-get install -y chromium, or set DEPIN_CHROMIUM): browser tests must run under CI")
	}
	t.Skip("no Chromium found (apt-get install -y chromium, or set DEPIN_CHROMIUM)")
	return ""
}

// tab is a headless Chromium tab that fails the test on any uncaught
// script error and saves screenshots into $DEPIN_ARTIFACTS (else a temp
// directory whose path is logged).
type tab struct {
	t    *testing.T
	ctx  context.Context
	dir  string
	mu   sync.Mutex
	errs []string
}

func newTab(t *testing.T, chrome string, width, height int) *tab {
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath(chrome), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(width, height))
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	dir := os.Getenv("DEPIN_ARTIFACTS")
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "depin-storage-screenshots-"); err != nil {
			t.Fatal(err)
		}
	}
	b := &tab{t: t, ctx: ctx, dir: dir}
	chromedp.ListenTarget(ctx, func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			b.mu.Lock()
			b.errs = append(b.errs, e.ExceptionDetails.Error())
			b.mu.Unlock()
		}
	})
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return b
}

func (b *tab) run(what string, actions ...chromedp.Action) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		b.shot("failed-" + strings.ReplaceAll(what, " ", "-"))
		b.t.Fatalf("%s: %v", what, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.errs {
		b.t.Errorf("script error in the page: %s", e)
	}
	b.errs = nil
}

func (b *tab) shot(name string) {
	var png []byte
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	p := filepath.Join(b.dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err == nil {
		b.t.Logf("screenshot: %s", p)
	}
}

func loaded(page string) chromedp.Action {
	return chromedp.WaitVisible(fmt.Sprintf(`main#main[data-page=%q][data-loaded="true"]`, page), chromedp.ByQuery)
}

// open navigates to url and waits for the explorer's page of that kind,
// first clearing the marks of the page shown.
func (b *tab) open(what, url, page string, more ...chromedp.Action) {
	b.t.Helper()
	unmark := chromedp.Evaluate(`(() => { const m = document.querySelector('main#main'); if (m) { m.dataset.loaded = 'false'; m.dataset.page = ''; } })()`, nil)
	b.run(what, append([]chromedp.Action{unmark, chromedp.Navigate(url), loaded(page)}, more...)...)
}

// count waits until at least n elements match sel and returns how many.
func (b *tab) count(sel string, n int) int {
	b.t.Helper()
	var got int
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		b.run("count "+sel, chromedp.Evaluate(fmt.Sprintf(`document.querySelectorAll(%q).length`, sel), &got))
		if got >= n || time.Now().After(deadline) {
			return got
		}
	}
}
