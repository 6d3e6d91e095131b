package graph

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/depinhq/depin/indexer"
)

// storageFixture adds a storage network to the test index: "vault" with
// four nodes of 1 GB (devices 100–103: 102 disqualified and jailed, 103
// full), deal 1 (active, dave's: two segments of k=2, n=3; segment 0 on
// nodes 100, 101 and 103, where its piece 2 was repaired from 102;
// segment 1 on 100, 101 and 102, whose piece is lost), deal 2 (closed,
// dave's) and deal 3 (erin's), audits over epochs 7–9, payments and the
// repair.
func storageFixture(t *testing.T, db *indexer.DB) {
	t.Helper()
	n := func(i int) string { return devID(100 + i) }
	var qs []string
	for i, status := range []string{"ACTIVE", "ACTIVE", "JAILED", "ACTIVE"} {
		c := testCells[i]
		qs = append(qs, fmt.Sprintf(`INSERT INTO devices (id, network, owner, model, capacity, cell, cell_r4, cell_r5, cell_r6, cell_r7, cell_r8, status, stake, registered_height)
VALUES ('%s', 'vault', '%s', 'Vault 1', 1, '%s', '%s', '%s', '%s', '%s', '%s', '%s', 10, 1)`, n(i), addr(10+i), c.String(),
			parentHex(c, 4), parentHex(c, 5), parentHex(c, 6), parentHex(c, 7), parentHex(c, 8), status))
	}
	qs = append(qs,
		`INSERT INTO networks (id, owner, class, reward_denom, created_height) VALUES ('vault', 'o', 'RESOURCE_CLASS_STORAGE', 'uvault', 1), ('air', 'o', 'RESOURCE_CLASS_SENSING', 'uair', 1)`,
		// Node 100 holds 600 of its 10^9 bytes, 101 900, 102 was
		// disqualified (0), 103 is full.
		fmt.Sprintf(`INSERT INTO storage_nodes (device, network, endpoint, endpoint_height, used_bytes, pieces, audits_passed, audits_missed, disqualified, disqualified_height, earned) VALUES
('%s', 'vault', 'http://a:7700', 2, 600, 2, 6, 0, FALSE, 0, '18446744073709551615'),
('%s', 'vault', 'http://b:7701', 2, 900, 3, 5, 1, FALSE, 0, '20'),
('%s', 'vault', 'http://c:7702', 2, 0, 0, 0, 6, TRUE, 9, '0'),
('%s', 'vault', 'http://d:7703', 2, 1000000000, 1, 0, 0, FALSE, 0, '0')`, n(0), n(1), n(2), n(3)),
		`INSERT INTO storage_deals (id, owner, network, file_id, size, k, n, segments, pieces, piece_bytes, denom, price_per_gib_month, repair_threshold, repair_budget,
  escrow, paid, refunded, status, close_reason, start_time, end_time, opened_height, closed_height) VALUES
(1, 'dave', 'vault', 'ab', '1200', 2, 3, 2, 6, 1800, 'udpin', '1099511627776', 2, '50', '526', '77', '0', 'ACTIVE', '', 1764000000, 1764000600, 3, 0),
(2, 'dave', 'vault', 'cd', '100', 1, 2, 1, 2, 200, 'udpin', '1', 1, '0', '10', '4', '6', 'CLOSED', 'expired', 1764000000, 1764000060, 4, 8),
(3, 'erin', 'vault', 'ef', '100', 1, 2, 1, 2, 200, 'udpin', '1', 1, '0', '10', '0', '0', 'ACTIVE', '', 1764000000, 1764000060, 5, 0)`,
		fmt.Sprintf(`INSERT INTO storage_pieces (deal, idx, segment, node, size, lost) VALUES
(1, 0, 0, '%[1]s', 300, FALSE), (1, 1, 0, '%[2]s', 300, FALSE), (1, 2, 0, '%[4]s', 300, FALSE),
(1, 3, 1, '%[1]s', 300, FALSE), (1, 4, 1, '%[2]s', 300, FALSE), (1, 5, 1, '%[3]s', 300, TRUE),
(2, 0, 0, '%[1]s', 100, FALSE), (2, 1, 0, '%[2]s', 100, FALSE)`, n(0), n(1), n(2), n(3)),
		fmt.Sprintf(`INSERT INTO storage_deal_nodes (deal, device, paid) VALUES (1, '%s', '17'), (1, '%s', '10'), (1, '%s', '30')`, n(0), n(1), n(2)),
		fmt.Sprintf(`INSERT INTO storage_payments (height, tx_index, seq, deal, device, owner, amount, denom, epoch) VALUES
(5, -1, 0, 1, '%[1]s', 'o0', '10', 'udpin', 7), (5, -1, 1, 1, '%[2]s', 'o1', '10', 'udpin', 7), (6, -1, 0, 1, '%[1]s', 'o0', '7', 'udpin', 8)`, n(0), n(1)),
		fmt.Sprintf(`INSERT INTO storage_repairs (height, tx_index, seq, network, deal, piece, from_node, to_node, repairer, fee_due, fee_paid, status, paid_height) VALUES
(10, 0, 0, 'vault', 1, 2, '%[1]s', '%[2]s', 'fixer', '50', '50', 'PAID', 12)`, n(2), n(3)),
		// Epochs 7–9: 100 passes all, 101 misses one in 8, 102 misses all.
		fmt.Sprintf(`INSERT INTO storage_audits (network, device, epoch, passed, missed) VALUES
('vault', '%[1]s', 7, 2, 0), ('vault', '%[1]s', 8, 2, 0), ('vault', '%[1]s', 9, 2, 0),
('vault', '%[2]s', 7, 2, 0), ('vault', '%[2]s', 8, 1, 1), ('vault', '%[2]s', 9, 2, 0),
('vault', '%[3]s', 7, 0, 2), ('vault', '%[3]s', 8, 0, 2), ('vault', '%[3]s', 9, 0, 2)`, n(0), n(1), n(2)),
	)
	for _, q := range qs {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(q, err)
		}
	}
}

// TestStorageQueries: a storage network's market, its nodes, audits and
// repairs; a deal with its pieces, nodes (with their cells), payments and
// repairs; deals of an owner or a network, page by page; a device's
// storage record.
func TestStorageQueries(t *testing.T) {
	srv, db := newServerDB(t)
	storageFixture(t, db)
	n := func(i int) string { return devID(100 + i) }
	r := query(t, srv, `{ vault: network(id: "vault") { storage { network denom bytesStored capacity freeBytes dealCount activeDealCount nodeCount nodesWithFreeSpace
	    disqualifiedNodes repairCount audits(last: 2) { epoch passed missed } } }
	  air: network(id: "air") { storage { network } } }`)
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	// Capacity counts nodes 100, 101 and 103 (102 is disqualified), free
	// space 100 and 101 (103 is full).
	want := `{"vault":{"storage":{"network":"vault","denom":"udpin","bytesStored":"1000001500","capacity":"3000000000","freeBytes":"1999998500","dealCount":3,"activeDealCount":2,` +
		`"nodeCount":4,"nodesWithFreeSpace":2,"disqualifiedNodes":1,"repairCount":1,"audits":[{"epoch":9,"passed":4,"missed":2},{"epoch":8,"passed":3,"missed":3}]}},` +
		`"air":{"storage":null}}`
	if string(r.Data) != want {
		t.Fatalf("market:\n got %s\nwant %s", r.Data, want)
	}
	// The two nodes with the lowest pass rate over the last two epochs:
	// 102 (0 %), then 101 (75 %).
	r = query(t, srv, `{ network(id: "vault") { storage { nodeAudits(epochs: 2, nodes: 2) { device epoch passed missed } } } }`)
	var rows []string
	for _, e := range []int{8, 9} {
		row := map[string]string{
			n(1): map[int]string{8: `"passed":1,"missed":1`, 9: `"passed":2,"missed":0`}[e],
			n(2): `"passed":0,"missed":2`,
		}
		first, second := n(1), n(2)
		if second < first { // by epoch, then device id
			first, second = second, first
		}
		for _, d := range []string{first, second} {
			rows = append(rows, fmt.Sprintf(`{"device":"%s","epoch":%d,%s}`, d, e, row[d]))
		}
	}
	want = `{"network":{"storage":{"nodeAudits":[` + strings.Join(rows, ",") + `]}}}`
	if len(r.Errors) > 0 || string(r.Data) != want {
		t.Fatalf("node audits:\n got %s %v\nwant %s", r.Data, r.Errors, want)
	}
	// Nodes, page by page.
	var seen []string
	after := ""
	for page := 0; page < 3; page++ {
		arg := ""
		if after != "" {
			arg = fmt.Sprintf(`, after: %q`, after)
		}
		r = query(t, srv, `{ network(id: "vault") { storage { nodes(first: 3`+arg+`) { totalCount edges { node { device owner status endpoint capacity usedBytes freeBytes
		  pieces auditsPassed auditsMissed disqualified earned acceptsPieces } } pageInfo { hasNextPage endCursor } } } } }`)
		var d struct {
			Network struct {
				Storage struct {
					Nodes struct {
						TotalCount int
						Edges      []struct{ Node StorageNode }
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
		c := d.Network.Storage.Nodes
		for _, e := range c.Edges {
			seen = append(seen, e.Node.Device)
			if e.Node.Device == n(0) && fmt.Sprint(e.Node.Capacity, e.Node.UsedBytes, e.Node.FreeBytes, e.Node.Earned, e.Node.AcceptsPieces, e.Node.Owner) !=
				fmt.Sprint("1000000000", "600", "999999400", "18446744073709551615", true, addr(10)) {
				t.Errorf("node 100: %+v", e.Node)
			}
			if accepts := e.Node.Device == n(0) || e.Node.Device == n(1); e.Node.AcceptsPieces != accepts { // 102 disqualified, 103 full
				t.Errorf("%s acceptsPieces %v", e.Node.Device, e.Node.AcceptsPieces)
			}
		}
		if c.TotalCount != 4 {
			t.Fatalf("totalCount %d", c.TotalCount)
		}
		if !c.PageInfo.HasNextPage {
			break
		}
		after = c.PageInfo.EndCursor
	}
	if len(seen) != 4 || seen[0] > seen[1] || seen[2] > seen[3] {
		t.Fatalf("walked nodes %v", seen)
	}

	// A deal: its pieces after piece 1, its nodes (most pieces first, then
	// most paid: the disqualified node with its lost piece before the node
	// its other piece was repaired onto), its payments and repairs.
	r = query(t, srv, `{ deal(id: 1) { id owner network fileId size k n segments pieceCount pieceBytes livePieces lostPieces nodeCount denom pricePerGibMonth
	    escrow paid refunded repairBudget repairThreshold status closeReason start end openedHeight closedHeight
	    pieces(first: 2, after: 1) { index segment node size lost }
	    nodes { device pieces livePieces bytes paid disqualified cell lat lon boundary }
	    payments(last: 2) { height epoch device owner amount denom }
	    repairs { height deal piece fromNode toNode repairer feeDue feePaid status paidHeight denom } }
	  closed: deal(id: 2) { status closeReason refunded closedHeight }
	  none: deal(id: 99) { id } zero: deal(id: 0) { id } }`)
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	for _, want := range []string{
		`"id":1,"owner":"dave","network":"vault","fileId":"ab","size":"1200","k":2,"n":3,"segments":2,"pieceCount":6,"pieceBytes":"1800","livePieces":5,"lostPieces":1,"nodeCount":4,`,
		`"escrow":"526","paid":"77","refunded":"0","repairBudget":"50","repairThreshold":2,"status":"ACTIVE","closeReason":"","start":"2025-11-24T16:00:00Z","end":"2025-11-24T16:10:00Z","openedHeight":3,"closedHeight":null,`,
		fmt.Sprintf(`"pieces":[{"index":2,"segment":0,"node":"%[1]s","size":"300","lost":false},{"index":3,"segment":1,"node":"%[2]s","size":"300","lost":false}]`, n(3), n(0)),
		fmt.Sprintf(`"nodes":[{"device":"%s","pieces":2,"livePieces":2,"bytes":"600","paid":"17","disqualified":false,"cell":"%s"`, n(0), testCells[0].String()),
		fmt.Sprintf(`{"device":"%s","pieces":2,"livePieces":2,"bytes":"600","paid":"10","disqualified":false`, n(1)),
		fmt.Sprintf(`{"device":"%s","pieces":1,"livePieces":0,"bytes":"0","paid":"30","disqualified":true`, n(2)),
		fmt.Sprintf(`{"device":"%s","pieces":1,"livePieces":1,"bytes":"300","paid":"0","disqualified":false`, n(3)),
		fmt.Sprintf(`"payments":[{"height":6,"epoch":8,"device":"%[1]s","owner":"o0","amount":"7","denom":"udpin"},{"height":5,"epoch":7,"device":"%[2]s"`, n(0), n(1)),
		fmt.Sprintf(`"repairs":[{"height":10,"deal":1,"piece":2,"fromNode":"%s","toNode":"%s","repairer":"fixer","feeDue":"50","feePaid":"50","status":"PAID","paidHeight":12,"denom":"udpin"}]`, n(2), n(3)),
		`"closed":{"status":"CLOSED","closeReason":"expired","refunded":"6","closedHeight":8}`, `"none":null,"zero":null`,
	} {
		if !strings.Contains(string(r.Data), want) {
			t.Errorf("missing %s in %s", want, r.Data)
		}
	}
	var dl struct {
		Deal struct {
			Nodes []DealNode
		}
	}
	if err := json.Unmarshal(r.Data, &dl); err != nil || len(dl.Deal.Nodes) != 4 || len(dl.Deal.Nodes[0].Boundary) != 6 || dl.Deal.Nodes[0].Lat < 52 || dl.Deal.Nodes[0].Lat > 53 {
		t.Fatalf("deal nodes' places: %+v (%v)", dl.Deal.Nodes, err)
	}

	// Deals of an owner, newest first, page by page; of a network.
	r = query(t, srv, `{ a: deals(owner: "dave", first: 1) { totalCount edges { node { id } } pageInfo { hasNextPage endCursor } }
	  v: deals(network: "vault") { totalCount edges { node { id owner } } }
	  both: deals(owner: "erin", network: "vault") { totalCount } }`)
	var ds struct {
		A struct {
			TotalCount int
			Edges      []struct{ Node struct{ ID int } }
			PageInfo   struct {
				HasNextPage bool
				EndCursor   string
			}
		}
		V struct {
			TotalCount int
			Edges      []struct{ Node struct{ ID int } }
		}
		Both struct{ TotalCount int }
	}
	if err := json.Unmarshal(r.Data, &ds); err != nil || len(r.Errors) > 0 {
		t.Fatalf("%v %v", err, r.Errors)
	}
	if ds.A.TotalCount != 2 || len(ds.A.Edges) != 1 || ds.A.Edges[0].Node.ID != 2 || !ds.A.PageInfo.HasNextPage || ds.V.TotalCount != 3 || ds.V.Edges[0].Node.ID != 3 || ds.Both.TotalCount != 1 {
		t.Fatalf("deals: %s", r.Data)
	}
	r = query(t, srv, fmt.Sprintf(`{ deals(owner: "dave", first: 1, after: %q) { edges { node { id } } pageInfo { hasNextPage } } }`, ds.A.PageInfo.EndCursor))
	if string(r.Data) != `{"deals":{"edges":[{"node":{"id":1}}],"pageInfo":{"hasNextPage":false}}}` {
		t.Fatalf("second page: %s %v", r.Data, r.Errors)
	}

	// A device's storage record and its audits; none for other devices.
	r = query(t, srv, fmt.Sprintf(`{ device(id: %q) { storage { device network denom endpoint disqualified auditsMissed acceptsPieces audits(last: 2) { epoch passed missed } } }
	  other: device(id: %q) { storage { device } } }`, n(2), devID(1)))
	want = fmt.Sprintf(`{"device":{"storage":{"device":"%s","network":"vault","denom":"udpin","endpoint":"http://c:7702","disqualified":true,"auditsMissed":6,"acceptsPieces":false,`+
		`"audits":[{"epoch":9,"passed":0,"missed":2},{"epoch":8,"passed":0,"missed":2}]}},"other":{"storage":null}}`, n(2))
	if string(r.Data) != want || len(r.Errors) > 0 {
		t.Fatalf("device storage:\n got %s %v\nwant %s", r.Data, r.Errors, want)
	}

	// Bad arguments say what is wrong.
	for q, want := range map[string]string{
		`{ deals { totalCount } }`:                                                                 "give owner or network",
		`{ deals(owner: "dave", first: 101) { totalCount } }`:                                      "first must be between 1 and 100",
		`{ deals(owner: "dave", after: "nope!") { totalCount } }`:                                  "not a cursor",
		`{ deal(id: 1) { pieces(first: 0) { index } } }`:                                           "first must be between 1 and 100",
		`{ network(id: "vault") { storage { nodeAudits(nodes: 11) { epoch } } } }`:                 "nodes must be between 1 and 10",
		`{ network(id: "vault") { storage { nodeAudits(epochs: 0) { epoch } } } }`:                 "last must be between 1 and 100",
		`{ a: deals(owner: "d", first: 100) { edges { node { pieces(first: 100) { index } } } } }`: "complexity",
	} {
		r := query(t, srv, q)
		if len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, want) {
			t.Errorf("%s: %v, want %q", q, r.Errors, want)
		}
	}
}
