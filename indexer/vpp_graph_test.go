package indexer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
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

// TestVppIndexed: a virtual power plant runs through the chain on a
// devnet in real time — three batteries in a pool, two answering their
// allocations and one lazy, credits bought by burning the network's
// token, a 9 kW dispatch over one interval and the chain's challenges —
// indexed on SQLite and on PostgreSQL following the same chain. The index
// agrees with the chain at the indexed height in its tables and through
// GraphQL (the dispatch's series sums to what was asked and metered), and
// the explorer shows it in Chromium: the network's pools and its minted
// against burned chart, the pool page (its batteries on the map,
// dispatches, challenge results), the dispatch page (the chart, for all
// batteries and for one, and each battery's row), a battery's page, and
// nothing scrolling sideways on a phone. One devnet serves them all: the
// scenario takes three minutes of real time.
func TestVppIndexed(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a devnet for three minutes")
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
	vd := indexer.NewVppDevnet(t, c, n.Home())
	vd.RunScenario()
	waitIndexed(t, c, indexers)
	for name, ix := range indexers {
		t.Run(name, func(t *testing.T) {
			indexer.CheckVppIndex(t, ix.DB, vd)
			checkVppGraph(t, ix.DB, vd)
		})
	}
	t.Run("explorer", func(t *testing.T) { vppExplorer(t, indexers["sqlite"], vd) })
	stop()
}

// checkVppGraph asks GraphQL what the pool and its dispatch came to.
func checkVppGraph(t *testing.T, db *indexer.DB, vd *indexer.VppDevnet) {
	ctx := context.Background()
	h, err := db.Height(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(graph.Handler(&graph.Resolver{DB: db}))
	defer srv.Close()
	q := fmt.Sprintf(`{ network(id: "grid") { vpp { poolCount memberCount dispatchCount challengeCount creditPrice }
    supply { denom burned creditsMinted creditsSpent flows(last: 100) { epoch minted burned } } }
  pool(id: %d) { name status memberCount members(all: true) { device status passed failed lat lon } dispatches { id challenge status } }
  dispatch(id: %d) { status powerW allocatedW deliveredWh memberCount
    series { requestedW baselineW meteredW deliveredW } members { device powerW meteredWh deliveredWh responded settled series { meteredW } } } }`, vd.Pool, vd.Dispatch)
	body, _ := json.Marshal(map[string]string{"query": q})
	resp, err := http.Post(srv.URL, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Data struct {
			Network struct {
				Vpp struct {
					PoolCount, MemberCount, DispatchCount, ChallengeCount int
					CreditPrice                                           string
				}
				Supply struct {
					Denom, Burned, CreditsMinted, CreditsSpent string
					Flows                                      []struct{ Minted, Burned string }
				}
			}
			Pool struct {
				Name        string
				MemberCount int
				Members     []struct {
					Device   string
					Lat, Lon *float64
				}
				Dispatches []struct {
					ID        int
					Challenge bool
				}
			}
			Dispatch struct {
				Status, PowerW, AllocatedW, DeliveredWh string
				MemberCount                             int
				Series                                  []struct{ RequestedW, MeteredW string }
				Members                                 []struct {
					Device, PowerW, MeteredWh string
					Settled                   bool
					Series                    []struct{ MeteredW string }
				}
			}
		}
		Errors []struct{ Message string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || len(r.Errors) > 0 {
		t.Fatalf("%v %v", err, r.Errors)
	}
	books, err := vd.C.CreditBooks(ctx, "grid", client.QueryOptions{Height: h})
	if err != nil {
		t.Fatal(err)
	}
	s := r.Data.Network.Supply
	if s.Denom != "ugrid" || s.Burned != fmt.Sprint(books.Burned) || s.CreditsMinted != fmt.Sprint(books.Minted) || s.CreditsSpent != fmt.Sprint(books.Spent) || len(s.Flows) == 0 {
		t.Errorf("supply %+v, chain's books %v", s, books)
	}
	var burned uint64
	for _, f := range s.Flows {
		b, _ := strconv.ParseUint(f.Burned, 10, 64)
		burned += b
	}
	if burned != books.Burned {
		t.Errorf("the flows burn %d, the chain %d", burned, books.Burned)
	}
	if v := r.Data.Network.Vpp; v.PoolCount != 1 || v.DispatchCount != 1 || v.ChallengeCount == 0 || v.CreditPrice != "2" {
		t.Errorf("vpp %+v", v)
	}
	if p := r.Data.Pool; p.Name != "Berlin VPP" || len(p.Members) != 3 || p.Members[0].Lat == nil {
		t.Errorf("pool %+v", p)
	}
	d := r.Data.Dispatch
	if d.Status != "SETTLED" || d.PowerW != "9000" || d.AllocatedW != "9000" || len(d.Series) != 1 || d.Series[0].RequestedW != "9000" {
		t.Errorf("dispatch %+v", d)
	}
	// The series: what was asked, per interval, is what was allocated; what
	// was metered is the members' metering over the interval, in watts.
	var metered int64
	for _, m := range d.Members {
		wh, _ := strconv.ParseInt(m.MeteredWh, 10, 64)
		metered += wh
		if !m.Settled || len(m.Series) != 1 || m.Series[0].MeteredW != strconv.FormatInt(wh*3600/20, 10) {
			t.Errorf("member %+v", m)
		}
	}
	if len(d.Series) == 1 && d.Series[0].MeteredW != strconv.FormatInt(metered*3600/20, 10) {
		t.Errorf("the dispatch's series meters %s W, its members %d Wh", d.Series[0].MeteredW, metered)
	}
}

// vppExplorer drives the explorer's vpp pages in Chromium.
func vppExplorer(t *testing.T, ix *indexer.Indexer, vd *indexer.VppDevnet) {
	chrome := chromiumPath(t)
	srv := httptest.NewServer(graph.Mux(ix))
	t.Cleanup(srv.Close) // after the browsers' cleanups: their /live streams hold connections open
	base := srv.URL + "/"
	b := newTab(t, chrome, 1280, 900)
	var text string
	var pools int
	b.open("network", base+"#/network/grid", "network",
		chromedp.WaitVisible(`#net-supply-chart canvas`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('#net-vpp').textContent + ' | ' + document.querySelector('#net-supply').textContent`, &text),
		chromedp.Evaluate(`document.querySelectorAll('#net-pools a[href="#/pool/1"]').length`, &pools))
	b.shot("vpp-network")
	for _, want := range []string{"Pools1 open of 1", " in pools", "burned for 100 service credits"} {
		if !strings.Contains(text, want) {
			t.Errorf("the network's vpp and supply sections %q lack %q", text, want)
		}
	}
	if pools == 0 {
		t.Error("the network page links no pool")
	}

	// The pool page, from the network page: its batteries on the map.
	var members, dispatches, challenges, dots int
	b.run("pool", chromedp.Click(`#net-pools a[href="#/pool/1"]`, chromedp.ByQuery), loaded("pool"),
		chromedp.Evaluate(`document.querySelector('#pool-details').textContent`, &text),
		chromedp.Evaluate(`document.querySelectorAll('#pool-members-table tbody tr').length`, &members),
		chromedp.Evaluate(`document.querySelectorAll('#pool-dispatches-table a[href^="#/dispatch/"]').length`, &dispatches),
		chromedp.Evaluate(`document.querySelectorAll('#pool-challenges-table a[href^="#/dispatch/"]').length`, &challenges),
		chromedp.Evaluate(`document.querySelectorAll('#pool-map .member-dot').length`, &dots))
	b.shot("vpp-pool")
	if members != 3 || dispatches != 1 || challenges == 0 || dots != 3 || !strings.Contains(text, "1 % of a member's stake") {
		t.Errorf("pool page: %d batteries, %d dispatch links, %d challenge cells, %d dots on the map; details %q", members, dispatches, challenges, dots, text)
	}

	// The dispatch page: the chart of all batteries, then of one.
	var rows, options int
	var legend string
	b.run("dispatch", chromedp.Click(`#pool-dispatches-table a[href^="#/dispatch/"]`, chromedp.ByQuery), loaded("dispatch"),
		chromedp.WaitVisible(`#dispatch-chart canvas`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('#dispatch-details').textContent`, &text),
		chromedp.Evaluate(`document.querySelectorAll('#dispatch-members-table tbody tr').length`, &rows),
		chromedp.Evaluate(`document.querySelectorAll('#dispatch-who option').length`, &options),
		chromedp.Evaluate(`document.querySelector('#dispatch-chart-box').textContent`, &legend))
	b.shot("vpp-dispatch")
	if !strings.Contains(text, "Discharge 9 kW") || !strings.Contains(text, "Settled at block") || rows == 0 || options != rows+1 {
		t.Errorf("dispatch page: %d battery rows, %d options; details %q", rows, options, text)
	}
	for _, want := range []string{"Asked", "Baseline", "Metered", "Delivered"} {
		if !strings.Contains(legend, want) {
			t.Errorf("the dispatch chart lacks its %s line: %q", want, legend)
		}
	}
	first := crypto.DeviceString(vd.Batteries[0])
	b.run("dispatch of one battery", chromedp.SetValue(`#dispatch-who`, first, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('#dispatch-who').dispatchEvent(new Event('change'))`, nil),
		chromedp.WaitVisible(`#dispatch-chart canvas`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('#dispatch-chart-box figcaption').textContent`, &legend))
	b.shot("vpp-dispatch-battery")
	if !strings.HasPrefix(legend, "Battery ") {
		t.Errorf("the chart of one battery says %q", legend)
	}

	// The operator's account page lists the pools it operates.
	var operated int
	b.open("operator", base+"#/account/"+vd.Keys["bob"].Address.String(), "account",
		chromedp.Evaluate(`document.querySelectorAll('#acct-pools a[href="#/pool/1"]').length`, &operated))
	if operated == 0 {
		t.Error("the operator's account page lists no pool")
	}

	// A battery's page shows its membership; a pool that does not exist.
	b.open("battery", base+"#/device/"+first, "device", chromedp.Evaluate(`document.querySelector('#dev-vpp').textContent`, &text))
	if !strings.Contains(text, "#1") || !strings.Contains(text, "never below 20 % charge") {
		t.Errorf("the battery's vpp section: %q", text)
	}
	for _, bad := range []string{"99", "abc"} {
		var h1 string
		b.open("no pool "+bad, base+"#/pool/"+bad, "notfound", chromedp.Text(`main h1`, &h1, chromedp.ByQuery))
		if h1 != "No such pool" {
			t.Errorf("#/pool/%s: %q", bad, h1)
		}
	}
	p := newTab(t, chrome, 390, 844)
	for _, pg := range []struct{ name, path string }{{"pool", "#/pool/1"}, {"dispatch", fmt.Sprintf("#/dispatch/%d", vd.Dispatch)}, {"network", "#/network/grid"}} {
		var overflow bool
		var cut []string
		p.open("phone "+pg.name, base+pg.path, pg.name,
			chromedp.Evaluate(`document.documentElement.scrollWidth > window.innerWidth + 1`, &overflow),
			chromedp.Evaluate(`[...document.querySelectorAll('table.stack')].filter((t) => t.getBoundingClientRect().right > window.innerWidth + 1)
			  .map((t) => t.querySelector('caption')?.textContent ?? t.id)`, &cut))
		p.shot("phone-vpp-" + pg.name)
		if overflow || len(cut) > 0 {
			t.Errorf("the %s page on a phone: scrolls sideways %v, cut off %q", pg.name, overflow, cut)
		}
	}
}
