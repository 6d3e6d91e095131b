package indexer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	api "github.com/depinhq/depin/api/storage"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	storagev1 "github.com/depinhq/depin/gen/depin/storage/v1"
	"github.com/depinhq/depin/indexer"
	"github.com/depinhq/depin/indexer/graph"
	"github.com/depinhq/depin/node"
	"github.com/depinhq/depin/node/nodetest"
)

// TestStorageIndexedFromEvents: a storage deal formed, audited, paid,
// repaired and closed on a devnet is indexed from the chain's events
// alone — by an indexer on SQLite and one on PostgreSQL following the
// same chain — and the index, in its tables and through GraphQL, agrees
// with the chain's deal and node records at the indexed height.
func TestStorageIndexedFromEvents(t *testing.T) {
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
	sd := indexer.NewStorageDevnet(t, c, n.Home())
	sd.RunScenario(true)
	st, err := c.Status(ctx)
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
	stop()
	for name, ix := range indexers {
		t.Run(name, func(t *testing.T) {
			indexer.CheckStorageIndex(t, ix.DB, sd)
			checkStorageGraph(t, ix.DB, sd)
		})
	}
}

// checkStorageGraph asks the GraphQL API what the storage market and the
// deal came to, and compares with the chain at the index's height.
func checkStorageGraph(t *testing.T, db *indexer.DB, sd *indexer.StorageDevnet) {
	ctx := context.Background()
	h, err := db.Height(ctx)
	if err != nil {
		t.Fatal(err)
	}
	at := func(key []byte, m proto.Message) {
		t.Helper()
		r, err := sd.C.QueryKey(ctx, key, client.QueryOptions{Height: h})
		if err != nil || r.Value == nil {
			t.Fatalf("chain %x at %d: %v", key, h, err)
		}
		if err := proto.Unmarshal(r.Value, m); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(graph.Handler(&graph.Resolver{DB: db}))
	defer srv.Close()
	gql := func(q string, out any) {
		t.Helper()
		body, _ := json.Marshal(map[string]string{"query": q})
		resp, err := http.Post(srv.URL, "application/json", bytes.NewReader(body))
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
	var d storagev1.Deal
	at(api.DealKey(sd.Deal), &d)
	dave := sd.Keys["dave"].Address.String()
	var g struct {
		Network struct {
			Storage struct {
				BytesStored                                              string
				DealCount, ActiveDealCount, NodeCount, DisqualifiedNodes int
				RepairCount                                              int
				Audits                                                   []struct{ Epoch, Passed, Missed int }
				NodeAudits                                               []struct {
					Device         string
					Passed, Missed int
				}
				Nodes struct {
					Edges []struct{ Node graph.StorageNode }
				}
				Repairs []struct{ Status, FeePaid string }
			}
		}
		Deal  graph.StorageDeal
		Deals struct{ TotalCount int }
	}
	gql(fmt.Sprintf(`{ network(id: "vault") { storage { bytesStored dealCount activeDealCount nodeCount disqualifiedNodes repairCount
	    audits(last: 100) { epoch passed missed } nodeAudits(epochs: 100, nodes: 1) { device passed missed }
	    nodes(first: 10) { edges { node { device usedBytes pieces auditsPassed auditsMissed disqualified earned } } }
	    repairs { status feePaid } } }
	  deal(id: %d) { status paid refunded escrow pieceCount livePieces lostPieces closeReason }
	  deals(owner: %q) { totalCount } }`, sd.Deal, dave), &g)
	s := g.Network.Storage
	if s.BytesStored != "0" || s.DealCount != 1 || s.ActiveDealCount != 0 || s.NodeCount != 4 || s.DisqualifiedNodes != 1 || s.RepairCount != 2 || g.Deals.TotalCount != 1 {
		t.Errorf("storage market after the deal closed: %+v, dave's deals %d", s, g.Deals.TotalCount)
	}
	// Every node's record equals the chain's.
	if len(s.Nodes.Edges) != 4 {
		t.Fatalf("%d storage nodes", len(s.Nodes.Edges))
	}
	for _, e := range s.Nodes.Edges {
		id, err := crypto.ParseDeviceID(e.Node.Device)
		if err != nil {
			t.Fatal(err)
		}
		var ns storagev1.NodeStats
		at(api.StatsKey(id), &ns)
		got := fmt.Sprint(e.Node.UsedBytes, e.Node.Pieces, e.Node.AuditsPassed, e.Node.AuditsMissed, e.Node.Disqualified, e.Node.Earned)
		if want := fmt.Sprint(strconv.FormatUint(ns.UsedBytes, 10), int(ns.Pieces), int(ns.AuditsPassed), int(ns.AuditsMissed), ns.Disqualified, strconv.FormatUint(ns.Earned, 10)); got != want {
			t.Errorf("node %s: GraphQL %s, chain %s", e.Node.Device, got, want)
		}
	}
	// Audits: every epoch's outcomes sum to the nodes' totals; the node
	// with the lowest pass rate is the disqualified one, which passed none.
	var passed, missed int
	for _, a := range s.Audits {
		passed, missed = passed+a.Passed, missed+a.Missed
	}
	var chainPassed, chainMissed uint64
	for _, id := range sd.Nodes {
		var ns storagev1.NodeStats
		at(api.StatsKey(id), &ns)
		chainPassed, chainMissed = chainPassed+ns.AuditsPassed, chainMissed+ns.AuditsMissed
	}
	worst := len(s.NodeAudits) > 0
	for _, a := range s.NodeAudits {
		worst = worst && a.Device == crypto.DeviceString(sd.Nodes[2]) && a.Passed == 0
	}
	if uint64(passed) != chainPassed || uint64(missed) != chainMissed || !worst {
		t.Errorf("audits: %d passed, %d missed (chain %d, %d); node audits %+v", passed, missed, chainPassed, chainMissed, s.NodeAudits)
	}
	// The deal: its money and pieces as on chain; what it paid is its
	// payments to nodes and the repair fees.
	dl := g.Deal
	if fmt.Sprintf("%v %v %v %v %v %v", dl.Status, dl.Paid, dl.Refunded, dl.Escrow, dl.PieceCount, dl.CloseReason) !=
		fmt.Sprintf("%v %v %v %v %v %v", "CLOSED", d.Paid, d.Refunded, d.Escrow, len(d.Pieces), d.CloseReason) {
		t.Errorf("deal: GraphQL %+v, chain %v", dl, &d)
	}
	var pp struct {
		Deal struct {
			Pieces []struct {
				Node string
				Lost bool
			}
			Payments []struct{ Amount string }
		}
	}
	gql(fmt.Sprintf(`{ deal(id: %d) { pieces(first: 100) { node lost } payments(last: 100) { amount } } }`, sd.Deal), &pp)
	pieces, payments := pp.Deal.Pieces, pp.Deal.Payments
	for i, p := range d.Pieces {
		id, _ := crypto.AddressFromBytes(p.Node)
		if i >= len(pieces) || pieces[i].Node != crypto.DeviceString(id) || pieces[i].Lost != p.Lost {
			t.Errorf("piece %d: chain %s lost=%v, GraphQL %+v", i, crypto.DeviceString(id), p.Lost, pieces)
		}
	}
	sum := new(big.Int)
	for _, p := range payments {
		v, _ := new(big.Int).SetString(p.Amount, 10)
		sum.Add(sum, v)
	}
	for _, r := range s.Repairs {
		v, _ := new(big.Int).SetString(r.FeePaid, 10)
		sum.Add(sum, v)
	}
	if sum.String() != strconv.FormatUint(d.Paid, 10) {
		t.Errorf("payments and repair fees sum to %s, the deal paid %d", sum, d.Paid)
	}
}
