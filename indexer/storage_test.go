package indexer

import (
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/api/event"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	storagev1 "github.com/depinhq/depin/gen/depin/storage/v1"
)

// TestStorageEvents: a deal's life from its events alone — opened with
// its layout, audited, paid, a node disqualified (its pieces lost, a
// repair onto it forfeited), repaired, the repair paid, closed — keeps the
// deal, its pieces, the nodes' running totals (as the chain keeps its
// NodeStats), audits per epoch, payments and repairs.
func TestStorageEvents(t *testing.T) {
	w := testWriter(t, 20)
	seq := 0
	apply := func(evs ...proto.Message) {
		t.Helper()
		for _, ev := range evs {
			if err := w.event(0, seq, event.ToABCI(ev), nil); err != nil {
				t.Fatalf("%T: %v", ev, err)
			}
			seq++
		}
	}
	q := func(query string, args ...any) string {
		t.Helper()
		rows, err := w.tx.QueryContext(w.ctx, query, args...)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var out []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			parts := make([]string, len(vals))
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				parts[i] = fmt.Sprint(v)
			}
			out = append(out, strings.Join(parts, " "))
		}
		return strings.Join(out, "; ")
	}
	node := func(i int) string { return fmt.Sprintf("depindev1node%d", i) }
	for i := 0; i < 4; i++ {
		apply(&devicev1.EventDeviceRegistered{Device: node(i), Network: "vault", Owner: fmt.Sprintf("depin1owner%d", i), Cell: 0x8a1fb46622dffff, Capacity: 1, Stake: 1})
		apply(&storagev1.EventEndpointSet{Device: node(i), Owner: fmt.Sprintf("depin1owner%d", i), Url: fmt.Sprintf("http://127.0.0.1:%d", 7700+i)})
	}
	layout := func(nodes ...int) []*storagev1.PiecePlacement {
		var l []*storagev1.PiecePlacement
		for _, n := range nodes {
			l = append(l, &storagev1.PiecePlacement{Device: node(n), Size: 300})
		}
		return l
	}
	// Deal 1: two segments on nodes 0, 1, 2; deal 2: one segment on the same.
	apply(&storagev1.EventDealOpened{Id: 1, Owner: "depin1dave", Network: "vault", Size: 1000, Pieces: 6, Escrow: 500, Denom: "udpin", EndTime: 2000,
		K: 2, N: 3, Segments: 2, FileId: strings.Repeat("07", 32), PricePerGibMonth: 1 << 40, RepairThreshold: 2, RepairBudget: 100, Layout: layout(0, 1, 2, 0, 1, 2)},
		&storagev1.EventDealOpened{Id: 2, Owner: "depin1dave", Network: "vault", Size: 500, Pieces: 3, Escrow: 200, Denom: "udpin", EndTime: 3000,
			K: 2, N: 3, Segments: 1, RepairThreshold: 2, RepairBudget: 50, Layout: layout(0, 1, 2)})
	if got, want := q(`SELECT device, used_bytes, pieces FROM storage_nodes ORDER BY device`),
		"depindev1node0 900 3; depindev1node1 900 3; depindev1node2 900 3; depindev1node3 0 0"; got != want {
		t.Fatalf("nodes after opening:\n got %s\nwant %s", got, want)
	}
	if got, want := q(`SELECT idx, segment, node, size, lost FROM storage_pieces WHERE deal = 1 ORDER BY idx`),
		"0 0 depindev1node0 300 0; 1 0 depindev1node1 300 0; 2 0 depindev1node2 300 0; 3 1 depindev1node0 300 0; 4 1 depindev1node1 300 0; 5 1 depindev1node2 300 0"; got != want {
		t.Fatalf("pieces:\n got %s\nwant %s", got, want)
	}
	// Epoch 5: nodes 0 and 1 prove, node 2 misses; the deal pays 0 and 1.
	apply(&storagev1.EventAuditsPassed{Device: node(0), Epoch: 5, Pieces: []*storagev1.PieceRef{{Deal: 1, Piece: 0}, {Deal: 1, Piece: 3}}},
		&storagev1.EventAuditsPassed{Device: node(1), Epoch: 5, Pieces: []*storagev1.PieceRef{{Deal: 1, Piece: 1}}},
		&storagev1.EventAuditMissed{Deal: 1, Piece: 2, Device: node(2), Epoch: 5}, &storagev1.EventAuditMissed{Deal: 2, Piece: 2, Device: node(2), Epoch: 5},
		&storagev1.EventDealPaid{Id: 1, Device: node(0), Owner: "depin1owner0", Amount: 10, Denom: "udpin", Epoch: 5},
		&storagev1.EventDealPaid{Id: 1, Device: node(1), Owner: "depin1owner1", Amount: 10, Denom: "udpin", Epoch: 5},
		&storagev1.EventDealPaid{Id: 1, Device: node(0), Owner: "depin1owner0", Amount: 7, Denom: "udpin", Epoch: 6})
	// Audits are summed per node and epoch and written at the block's end.
	if err := w.flushAudits(); err != nil {
		t.Fatal(err)
	}
	if got, want := q(`SELECT network, device, epoch, passed, missed FROM storage_audits ORDER BY device, epoch`),
		"vault depindev1node0 5 2 0; vault depindev1node1 5 1 0; vault depindev1node2 5 0 2"; got != want {
		t.Fatalf("audits:\n got %s\nwant %s", got, want)
	}
	if got, want := q(`SELECT device, paid FROM storage_deal_nodes ORDER BY device`), "depindev1node0 17; depindev1node1 10"; got != want {
		t.Fatalf("paid per node: %s, want %s", got, want)
	}
	// Node 2 is disqualified: its live pieces of active deals are lost.
	apply(&storagev1.EventNodeDisqualified{Device: node(2), Network: "vault", PiecesLost: 3})
	if got, want := q(`SELECT deal, idx FROM storage_pieces WHERE lost ORDER BY deal, idx`), "1 2; 1 5; 2 2"; got != want {
		t.Fatalf("lost pieces %s, want %s", got, want)
	}
	// Deal 1's piece 2 and deal 2's piece 2 are repaired onto node 3.
	apply(&storagev1.EventPieceRepaired{Deal: 1, Piece: 2, Device: node(3), Repairer: "depin1fixer", FeeDue: 50},
		&storagev1.EventPieceRepaired{Deal: 2, Piece: 2, Device: node(3), Repairer: "depin1fixer", FeeDue: 50},
		&storagev1.EventRepairPaid{Deal: 1, Piece: 2, Repairer: "depin1fixer", Amount: 50, Denom: "udpin"})
	// Then node 3 is disqualified too: deal 2's repair was never paid (its
	// fee goes back to the budget); deal 1's was.
	apply(&storagev1.EventNodeDisqualified{Device: node(3), Network: "vault", PiecesLost: 2})
	if got, want := q(`SELECT deal, piece, from_node, to_node, fee_due, fee_paid, status, paid_height FROM storage_repairs ORDER BY deal`),
		"1 2 depindev1node2 depindev1node3 50 50 PAID 20; 2 2 depindev1node2 depindev1node3 50 0 FORFEITED 0"; got != want {
		t.Fatalf("repairs:\n got %s\nwant %s", got, want)
	}
	if got, want := q(`SELECT id, paid, repair_budget FROM storage_deals ORDER BY id`), "1 77 50; 2 0 50"; got != want {
		t.Fatalf("deals: %s, want %s", got, want)
	}
	if got, want := q(`SELECT device, used_bytes, pieces, audits_passed, audits_missed, disqualified, earned FROM storage_nodes ORDER BY device`),
		"depindev1node0 900 3 2 0 0 17; depindev1node1 900 3 1 0 0 10; depindev1node2 0 0 0 2 1 0; depindev1node3 0 0 0 0 1 0"; got != want {
		t.Fatalf("nodes:\n got %s\nwant %s", got, want)
	}
	// Deal 1 closes: its live pieces leave their nodes; a closed deal's
	// pieces stay as they were when a node is disqualified later.
	apply(&storagev1.EventDealClosed{Id: 1, Reason: "closed by its owner", Refunded: 423})
	apply(&storagev1.EventNodeDisqualified{Device: node(0), Network: "vault", PiecesLost: 1})
	if got, want := q(`SELECT id, status, close_reason, refunded, closed_height FROM storage_deals ORDER BY id`), "1 CLOSED closed by its owner 423 20; 2 ACTIVE  0 0"; got != want {
		t.Fatalf("deals: %s, want %s", got, want)
	}
	if got, want := q(`SELECT deal, idx FROM storage_pieces WHERE lost ORDER BY deal, idx`), "1 2; 1 5; 2 0; 2 2"; got != want {
		t.Fatalf("lost pieces %s, want %s", got, want)
	}
	if got, want := q(`SELECT device, used_bytes, pieces FROM storage_nodes ORDER BY device`),
		"depindev1node0 0 0; depindev1node1 300 1; depindev1node2 0 0; depindev1node3 0 0"; got != want {
		t.Fatalf("nodes after closing:\n got %s\nwant %s", got, want)
	}
	if got := q(`SELECT COUNT(*) FROM storage_payments WHERE deal = 1`); got != "3" {
		t.Fatalf("%s payments", got)
	}
}

// TestDealOpenedWithoutLayout: a deal from a chain whose event did not
// carry the layout is indexed without pieces, not refused.
func TestDealOpenedWithoutLayout(t *testing.T) {
	w := testWriter(t, 3)
	if err := w.event(0, 0, event.ToABCI(&storagev1.EventDealOpened{Id: 9, Owner: "depin1dave", Network: "vault", Size: 10, Pieces: 3, Escrow: 5, Denom: "udpin"}), nil); err != nil {
		t.Fatal(err)
	}
	var deals, pieces int
	if err := w.tx.QueryRowContext(w.ctx, `SELECT (SELECT COUNT(*) FROM storage_deals), (SELECT COUNT(*) FROM storage_pieces)`).Scan(&deals, &pieces); err != nil || deals != 1 || pieces != 0 {
		t.Fatalf("%d deals, %d pieces (%v)", deals, pieces, err)
	}
}
