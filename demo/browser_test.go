package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromium finds a Chromium to drive: $DEPIN_CHROMIUM, else chromium,
// chromium-browser or google-chrome on PATH. Under CI (CI=true) a
// missing browser fails the test; elsewhere it skips.
func chromium(t *testing.T) string {
	t.Helper()
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

var artifacts struct {
	once sync.Once
	dir  string
	err  error
}

// artifactDir is where screenshots go: $DEPIN_ARTIFACTS, else a new
// directory under the system's temp dir that outlives the test (its path
// is logged), so a failed run's screenshots can be looked at.
func artifactDir(t *testing.T) string {
	artifacts.once.Do(func() {
		if d := os.Getenv("DEPIN_ARTIFACTS"); d != "" {
			artifacts.dir, artifacts.err = d, os.MkdirAll(d, 0o755)
			return
		}
		artifacts.dir, artifacts.err = os.MkdirTemp("", "depin-explorer-screenshots-")
	})
	if artifacts.err != nil {
		t.Fatalf("screenshot directory: %v", artifacts.err)
	}
	return artifacts.dir
}

// browser is a headless Chromium tab that fails the test on any uncaught
// script error and saves screenshots into dir.
type browser struct {
	t    *testing.T
	ctx  context.Context
	dir  string
	mu   sync.Mutex
	errs []string
}

func newBrowser(t *testing.T, width, height int) *browser {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(width, height),
	}
	// No user data dir of ours: chromedp makes a temporary profile and
	// removes it once Chromium has exited. (A t.TempDir() profile failed
	// the test now and then: Chromium's helper processes still wrote to it
	// while the test's cleanup removed it.)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx, dir: artifactDir(t)}
	chromedp.ListenTarget(ctx, func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			b.mu.Lock()
			b.errs = append(b.errs, e.ExceptionDetails.Error())
			b.mu.Unlock()
		}
	})
	if err := chromedp.Run(ctx); err != nil { // starts the browser
		t.Fatalf("starting Chromium: %v", err)
	}
	return b
}

// run runs actions with a deadline, failing with a screenshot if they do not finish.
func (b *browser) run(what string, actions ...chromedp.Action) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		b.shot("failed-" + strings.ReplaceAll(what, " ", "-"))
		var main string
		c2, cancel2 := context.WithTimeout(b.ctx, 5*time.Second)
		defer cancel2()
		chromedp.Run(c2, chromedp.Evaluate(`document.querySelector('main').outerHTML.slice(0, 2000)`, &main))
		b.t.Fatalf("%s: %v\npage: %s", what, err, main)
	}
	b.checkErrors()
}

func (b *browser) checkErrors() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.errs {
		b.t.Errorf("script error in the page: %s", e)
	}
	b.errs = nil
}

// shot saves a full-page screenshot as dir/name.png.
func (b *browser) shot(name string) {
	b.t.Helper()
	var png []byte
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	p := filepath.Join(b.dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	b.t.Logf("screenshot: %s", p)
}

// loaded waits until the explorer has rendered a page of the given kind.
func loaded(page string) chromedp.Action {
	return chromedp.WaitVisible(fmt.Sprintf(`main#main[data-page=%q][data-loaded="true"]`, page), chromedp.ByQuery)
}

// open navigates to url and waits until the explorer has rendered a page
// of the given kind. It first clears the marks of the page shown, so that
// a hash change to another page of the same kind is not taken for done.
func (b *browser) open(what, url, page string, more ...chromedp.Action) {
	b.t.Helper()
	unmark := chromedp.Evaluate(`(() => { const m = document.querySelector('main#main'); if (m) { m.dataset.loaded = 'false'; m.dataset.page = ''; } })()`, nil)
	b.run(what, append([]chromedp.Action{unmark, chromedp.Navigate(url), loaded(page)}, more...)...)
}

// count waits until at least n elements match sel and returns how many.
func (b *browser) count(sel string, n int) int {
	b.t.Helper()
	var got int
	deadline := time.Now().Add(30 * time.Second)
	for {
		b.run("count "+sel, chromedp.Evaluate(fmt.Sprintf(`document.querySelectorAll(%q).length`, sel), &got))
		if got >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// testExplorer drives the explorer of a running demo like a user: the
// map fills with hexes that show at world zoom, a network's map is framed
// on its devices, a device found by the search box shows its reward
// breakdown in words and its neighbourhood, an owner's address opens
// their account with balances and unclaimed rewards, the market names
// intervals by their times, the batteries' virtual power plant lists
// them and its dispatch, an unknown id gets a "no such …" page, and
// every page fits a phone-sized screen.
func testExplorer(t *testing.T, base string, gql func(string) string) {
	// A solar device with a reward, and its owner, from the API.
	var d struct {
		Devices struct {
			Edges []struct {
				Node struct {
					ID, Owner string
					Rewards   []struct{ Explanation string }
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(gql(`{ devices(first: 20, where: {network: {eq: "solar"}}) { edges { node { id owner rewards(last: 1) { explanation } } } } }`)), &d); err != nil {
		t.Fatal(err)
	}
	var id, owner, explanation string
	for _, e := range d.Devices.Edges {
		if len(e.Node.Rewards) > 0 {
			id, owner, explanation = e.Node.ID, e.Node.Owner, e.Node.Rewards[0].Explanation
			break
		}
	}
	if id == "" {
		t.Fatal("no solar device has a reward yet")
	}

	b := newBrowser(t, 1280, 900)
	// Home: networks and the device map with hexes on a world basemap.
	b.run("home", chromedp.Navigate(base+"/"), loaded("home"))
	if n := b.count("path.hex", 1); n == 0 {
		b.shot("home")
		t.Fatal("no hexes on the home page's map")
	}
	if n := b.count("path.land", 10); n < 10 {
		b.shot("home")
		t.Fatalf("%d countries drawn on the basemap", n)
	}
	// At world zoom a city's hex is a pixel across: each must still show
	// (a dot of a minimum size), and the view is framed on the devices.
	var hexSizes []float64
	var legend string
	b.run("home hex sizes", chromedp.Evaluate(`[...document.querySelectorAll('#home-map path.hex')].map((e) => {
	  const r = e.getBoundingClientRect(); return Math.min(r.width, r.height); })`, &hexSizes),
		chromedp.Text(`#home-map .legend`, &legend, chromedp.ByQuery))
	for _, px := range hexSizes {
		if px < 8 {
			b.shot("home")
			t.Fatalf("a hex on the home page's world map is %.1f px across (sizes %v): too small to see", px, hexSizes)
		}
	}
	if strings.Contains(legend, "No devices") {
		t.Errorf("the home page's map opens on %q", legend)
	}
	b.shot("home")

	// Live: the header's height follows new blocks without a reload.
	var h1, h2, state string
	b.run("live height", chromedp.Text(`#height`, &h1, chromedp.ByID))
	for deadline := time.Now().Add(20 * time.Second); ; {
		b.run("live height", chromedp.Text(`#height`, &h2, chromedp.ByID), chromedp.Text(`#live-state`, &state, chromedp.ByID))
		if h2 != h1 && state == "live" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the height stayed %q (live state %q)", h1, state)
		}
		time.Sleep(500 * time.Millisecond)
	}

	// Accessible: every form control has a label, every image an alt text.
	var unlabelled []string
	b.run("labels", chromedp.Evaluate(`[...document.querySelectorAll('input, select, textarea, button')]
	  .filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || (el.tagName === 'BUTTON' && el.textContent.trim())))
	  .map((el) => el.outerHTML.slice(0, 120))
	  .concat([...document.querySelectorAll('img:not([alt])')].map((el) => el.outerHTML.slice(0, 120)))`, &unlabelled))
	if len(unlabelled) > 0 {
		t.Errorf("controls without a label: %v", unlabelled)
	}

	// Search for the device by id: one hit opens its page.
	var text string
	b.run("search device", chromedp.SetValue(`#q`, id, chromedp.ByID), chromedp.Click(`#search button[type=submit]`, chromedp.ByQuery), loaded("device"),
		chromedp.WaitVisible(`#reward-breakdown`, chromedp.ByID), chromedp.Text(`#reward-breakdown`, &text, chromedp.ByID))
	// The page shows the latest epoch's explanation; an epoch (30 s) may
	// have ended since the API was asked: ask again before judging.
	if first := strings.SplitN(explanation, "\n", 2)[0]; !strings.Contains(text, first) {
		var again struct {
			Device struct {
				Rewards []struct{ Explanation string }
			}
		}
		_ = json.Unmarshal([]byte(gql(`{ device(id: "`+id+`") { rewards(last: 1) { explanation } } }`)), &again)
		if len(again.Device.Rewards) == 0 || !strings.Contains(text, strings.SplitN(again.Device.Rewards[0].Explanation, "\n", 2)[0]) {
			t.Fatalf("the device page explains the reward as %q; the API says %q", text, explanation)
		}
	}
	// The location in context: the hexes around it and a scale bar.
	if n := b.count("#dev-map path.hex", 19); n < 19 {
		t.Errorf("%d hexes on the device's map, want its own and the 18 around it", n)
	}
	if n := b.count("#dev-map .leaflet-control-scale-line", 1); n == 0 {
		t.Error("no scale bar on the device's map")
	}
	var location string
	b.run("device url", chromedp.Location(&location))
	if !strings.HasSuffix(location, "#/device/"+id) {
		t.Errorf("search went to %s", location)
	}
	// Words and units a person reads: the stake in DPIN, the status in
	// words (not DEVICE_STATUS_ACTIVE, not 1000000).
	var details string
	b.run("device details", chromedp.Text(`#dev-details`, &details, chromedp.ByID))
	if !strings.Contains(details, "DPIN") || strings.Contains(details, "DEVICE_STATUS_") || !strings.Contains(details, "Active") {
		t.Errorf("device details: %q", details)
	}
	b.shot("device")

	// Search for the owner's address: the account page lists their
	// balances (a dev account holds the devnet's udpin) and their devices.
	var balances string
	b.run("search account", chromedp.SetValue(`#q`, owner, chromedp.ByID), chromedp.Click(`#search button[type=submit]`, chromedp.ByQuery), loaded("account"),
		chromedp.Text(`table#balances`, &balances, chromedp.ByQuery))
	if !strings.Contains(balances, "udpin") || !strings.Contains(balances, "DPIN") {
		t.Fatalf("account balances: %q", balances)
	}
	var devLinks int
	b.run("account devices", chromedp.Evaluate(fmt.Sprintf(`document.querySelectorAll('a[href="#/device/%s"]').length`, id), &devLinks))
	if devLinks == 0 {
		t.Error("the owner's account page does not link the device")
	}
	// Unclaimed rewards, read from the chain: per device in the network's
	// token (SOLAR, not usolar), and in total.
	var unclaimed struct {
		Account struct {
			DeviceCount int
			Unclaimed   []struct{ Device, Denom string }
		}
	}
	if err := json.Unmarshal([]byte(gql(fmt.Sprintf(`{ account(address: %q) { deviceCount unclaimed { device denom } } }`, owner))), &unclaimed); err != nil || len(unclaimed.Account.Unclaimed) == 0 {
		t.Fatalf("the API's unclaimed rewards of %s: %v %+v", owner, err, unclaimed)
	}
	var total string
	var cells []string
	b.run("account unclaimed", chromedp.WaitVisible(`#unclaimed-total`, chromedp.ByID), chromedp.Text(`#unclaimed-total`, &total, chromedp.ByID),
		chromedp.Evaluate(`[...document.querySelectorAll('#unclaimed-devices tbody tr')].map((tr) => tr.lastElementChild.textContent.trim())`, &cells))
	if !strings.Contains(total, "To claim: ") && !strings.Contains(total, "Nothing to claim") || strings.Contains(total, "usolar") {
		t.Errorf("unclaimed total: %q", total)
	}
	if len(cells) != len(unclaimed.Account.Unclaimed) {
		t.Errorf("%d devices' unclaimed rewards on the page, the API has %d", len(cells), len(unclaimed.Account.Unclaimed))
	}
	for _, c := range cells {
		if !strings.HasSuffix(c, " SOLAR") {
			t.Errorf("a device's unclaimed reward reads %q, want an amount of SOLAR", c)
		}
	}
	b.shot("account")

	// A network's map is framed on its devices: air-quality sensors in
	// Lagos, Mumbai and Paris fill the map (at world zoom they would be
	// a fifth of its width), every one in view.
	b.open("network map", base+"/#/network/airquality", "network")
	var frame struct {
		In, All int
		Spread  float64
	}
	b.run("network map frame", chromedp.Evaluate(`(() => {
	  const m = document.getElementById('net-map').getBoundingClientRect();
	  const hs = [...document.querySelectorAll('#net-map path.hex')].map((e) => e.getBoundingClientRect());
	  const xs = hs.flatMap((r) => [r.left, r.right]), ys = hs.flatMap((r) => [r.top, r.bottom]);
	  return { all: hs.length, in: hs.filter((r) => r.left >= m.left && r.right <= m.right && r.top >= m.top && r.bottom <= m.bottom).length,
	    spread: Math.max((Math.max(...xs) - Math.min(...xs)) / m.width, (Math.max(...ys) - Math.min(...ys)) / m.height) };
	})()`, &frame))
	if frame.All == 0 || frame.In != frame.All || frame.Spread < 0.4 {
		b.shot("network-framed")
		t.Errorf("the air-quality network's map: %d of %d hexes in view, spread over %.0f %% of it; want all, over at least 40 %%", frame.In, frame.All, frame.Spread*100)
	}
	b.shot("network-framed")
	b.open("network", base+"/#/network/solar", "network")
	if n := b.count("path.hex", 1); n == 0 {
		t.Error("no hexes on the network's map")
	}
	var netDetails string
	b.run("network details", chromedp.Text(`#net-details`, &netDetails, chromedp.ByID))
	if !strings.Contains(netDetails, "Energy") || strings.Contains(netDetails, "RESOURCE_CLASS_") || !strings.Contains(netDetails, "SOLAR") {
		t.Errorf("network details: %q", netDetails)
	}
	b.shot("network")
	b.run("blocks", chromedp.Navigate(base+"/#/blocks"), loaded("blocks"))
	b.shot("blocks")

	// A transaction reads as what happened: the fee as a sentence in DPIN.
	var tx struct {
		Blocks struct {
			Edges []struct {
				Node struct{ Transactions []struct{ Hash string } }
			}
		}
	}
	if err := json.Unmarshal([]byte(gql(`{ blocks(first: 20) { edges { node { transactions { hash } } } } }`)), &tx); err != nil {
		t.Fatal(err)
	}
	var hash string
	for _, e := range tx.Blocks.Edges {
		if len(e.Node.Transactions) > 0 {
			hash = e.Node.Transactions[0].Hash
			break
		}
	}
	if hash == "" {
		t.Fatal("no transaction in the latest blocks")
	}
	var events string
	b.run("tx", chromedp.Navigate(base+"/#/tx/"+hash), loaded("tx"), chromedp.Text(`#tx-events`, &events, chromedp.ByID))
	if !strings.Contains(events, " sent ") || !strings.Contains(events, "DPIN") || !strings.Contains(events, "(Fee)") {
		t.Errorf("transaction events: %q", events)
	}
	b.shot("tx")

	// The energy market: the network page links it; it lists clearings.
	var clearings, book string
	b.run("market", chromedp.Navigate(base+"/#/network/meter"), loaded("network"),
		chromedp.Click(`a[href^="#/market/meter"]`, chromedp.ByQuery), loaded("market"),
		chromedp.Text(`#mk-clearings`, &clearings, chromedp.ByID), chromedp.Text(`#mk-book`, &book, chromedp.ByID))
	if !strings.Contains(clearings, "Yes") && !strings.Contains(clearings, "No") {
		t.Errorf("market clearings: %q", clearings)
	}
	// The demo's meters place bids and asks for every interval.
	if strings.Contains(book, "No orders") {
		t.Errorf("the order book of a cleared interval is empty: %q", book)
	}
	// Intervals read as their times, not their numbers (59873273).
	span := regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)?–\d\d:\d\d(:\d\d)? UTC$|^\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)? – \d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)? UTC$`)
	var intervals []string
	var heading, hover string
	var over struct{ X, Y float64 }
	b.run("market times", chromedp.Evaluate(`[...document.querySelectorAll('#clearings tbody tr td:first-child')].map((td) => td.textContent.trim())`, &intervals),
		chromedp.Text(`#mk-book-interval`, &heading, chromedp.ByID),
		chromedp.ScrollIntoView(`#mk-price-chart`, chromedp.ByID),
		chromedp.Evaluate(`(() => { const r = document.querySelector('#mk-price-chart .u-over').getBoundingClientRect(); return { x: r.left + r.width / 2, y: r.top + r.height / 2 }; })()`, &over))
	// The chart's axis is drawn on a canvas; pointing at the chart shows
	// the x value under the pointer in its legend.
	b.run("market chart hover", chromedp.MouseEvent(input.MouseMoved, over.X, over.Y),
		chromedp.Text(`#mk-price-chart .u-legend .u-series:first-child .u-value`, &hover, chromedp.ByQuery))
	if len(intervals) == 0 {
		t.Error("no clearings listed")
	}
	for _, iv := range intervals {
		if !span.MatchString(iv) {
			t.Errorf("a clearing's interval reads %q, want its start–end time", iv)
		}
	}
	if !strings.Contains(heading, " UTC") {
		t.Errorf("the order book's interval reads %q, want its times", heading)
	}
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$`).MatchString(hover) {
		t.Errorf("pointing at the price chart shows the interval %q, want its start time", hover)
	}
	b.shot("market")

	// The virtual power plant: the battery network's page links the
	// operator's pool; the pool lists the fleet's batteries and the
	// dispatch, whose page says what it asked of them.
	var vpp struct {
		Pools struct {
			Edges []struct {
				Node struct {
					ID         int
					Dispatches []struct{ ID int }
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(gql(`{ pools(network: "battery") { edges { node { id dispatches(first: 1, challenges: false) { id } } } } }`)), &vpp); err != nil ||
		len(vpp.Pools.Edges) == 0 || len(vpp.Pools.Edges[0].Node.Dispatches) == 0 {
		t.Fatalf("the API's battery pools: %v %+v", err, vpp)
	}
	pool, dispatch := vpp.Pools.Edges[0].Node.ID, vpp.Pools.Edges[0].Node.Dispatches[0].ID
	var poolTitle, poolDetails, asked string
	b.run("pool", chromedp.Navigate(base+"/#/network/battery"), loaded("network"),
		chromedp.WaitVisible(fmt.Sprintf(`#net-pools a[href="#/pool/%d"]`, pool), chromedp.ByQuery),
		chromedp.Click(fmt.Sprintf(`#net-pools a[href="#/pool/%d"]`, pool), chromedp.ByQuery), loaded("pool"),
		chromedp.Text(`main h1`, &poolTitle, chromedp.ByQuery), chromedp.Text(`#pool-details`, &poolDetails, chromedp.ByID))
	if !strings.Contains(poolTitle, "Madrid VPP") || !strings.Contains(poolDetails, "per kWh delivered") {
		t.Errorf("pool %q: details %q", poolTitle, poolDetails)
	}
	if n := b.count(`#pool-members-table a[href^="#/device/"]`, 4); n < 4 {
		t.Errorf("%d batteries listed in the pool, want the fleet's 4", n)
	}
	if n := b.count(fmt.Sprintf(`#pool-dispatches-table a[href="#/dispatch/%d"]`, dispatch), 1); n == 0 {
		t.Errorf("the pool does not list dispatch %d", dispatch)
	}
	b.shot("pool")
	b.run("dispatch", chromedp.Click(fmt.Sprintf(`#pool-dispatches-table a[href="#/dispatch/%d"]`, dispatch), chromedp.ByQuery), loaded("dispatch"),
		chromedp.Text(`#dispatch-details`, &asked, chromedp.ByID))
	if !strings.Contains(asked, "Dispatch by") || !strings.Contains(asked, "kW") {
		t.Errorf("dispatch details: %q", asked)
	}
	b.shot("dispatch")

	// An id that does not exist, or is not an id at all, gets a page
	// saying so in words.
	for _, tc := range []struct{ path, title string }{
		{"#/device/garbage", "No such device"}, {"#/network/nope", "No such network"},
		{"#/account/depin1garbage", "No such account"}, {"#/tx/garbage", "No such transaction"},
	} {
		var h1 string
		b.open("not found "+tc.path, base+"/"+tc.path, "notfound", chromedp.Text(`main h1`, &h1, chromedp.ByQuery))
		if h1 != tc.title {
			t.Errorf("%s: %q, want %q", tc.path, h1, tc.title)
		}
	}
	b.shot("not-found")

	// Phone-sized: no page scrolls sideways, and no table is cut off at
	// the screen's edge (wide ones stack their columns; grids of numbers
	// scroll inside their own box).
	p := newBrowser(t, 390, 844)
	for _, pg := range []struct{ name, path string }{
		{"home", "#/"}, {"network", "#/network/solar"}, {"device", "#/device/" + id}, {"account", "#/account/" + owner},
		{"market", "#/market/meter"}, {"tx", "#/tx/" + hash}, {"blocks", "#/blocks"},
		{"pool", fmt.Sprintf("#/pool/%d", pool)}, {"dispatch", fmt.Sprintf("#/dispatch/%d", dispatch)},
	} {
		var overflow bool
		var cut []string
		p.open("phone "+pg.name, base+"/"+pg.path, pg.name,
			chromedp.Evaluate(`document.documentElement.scrollWidth > window.innerWidth + 1`, &overflow),
			chromedp.Evaluate(`[...document.querySelectorAll('table.stack')].filter((t) => t.getBoundingClientRect().right > window.innerWidth + 1)
			  .map((t) => t.querySelector('caption')?.textContent)`, &cut))
		p.shot("phone-" + pg.name)
		if overflow {
			t.Errorf("the %s page scrolls sideways on a phone-sized screen", pg.name)
		}
		if len(cut) > 0 {
			t.Errorf("the %s page's tables %q are cut off on a phone-sized screen", pg.name, cut)
		}
	}
}
