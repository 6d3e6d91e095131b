package indexer

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/depinhq/depin/api/event"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	marketv1 "github.com/depinhq/depin/gen/depin/market/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
)

// testWriter is a blockWriter at height on a fresh SQLite index, in a DB
// transaction rolled back when the test ends.
func testWriter(t *testing.T, height int64) *blockWriter {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback() })
	return &blockWriter{ctx: ctx, tx: tx, height: height, reports: map[string]ReportCount{}, hexes: hexTally{}}
}

// TestEventsAreDecoded: events are applied from their typed form; the
// events table keeps every event's type and attributes as they came.
func TestEventsAreDecoded(t *testing.T) {
	w := testWriter(t, 5)
	evs := []event.Event{
		{Type: "message", Attributes: []event.Attribute{{Key: "action", Value: "depin.network.v1.MsgCreateNetwork"}}},
		// No class: stored as "", as the absent attribute always was.
		event.ToABCI(&networkv1.EventNetworkCreated{Id: "solar", Owner: "depin1owner", RewardDenom: "usolar"}),
		event.ToABCI(&networkv1.EventNetworkCreated{Id: "wind", Owner: "depin1owner", Class: networkv1.ResourceClass_RESOURCE_CLASS_ENERGY}),
		event.ToABCI(&devicev1.EventDeviceRegistered{Device: "depindev1a", Network: "solar", Owner: "depin1owner",
			Cell: 0x8a1fb46622dffff, Capacity: 5000, Model: "SunBox", Stake: 18446744073709551615}),
	}
	for i, ev := range evs {
		if err := w.event(0, i, ev, nil); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	q := func(query string, args ...any) string {
		t.Helper()
		var s string
		if err := w.tx.QueryRowContext(w.ctx, query, args...).Scan(&s); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return s
	}
	if got := q(`SELECT class || '/' || reward_denom FROM networks WHERE id = 'solar'`); got != "/usolar" {
		t.Errorf("solar: %q", got)
	}
	if got := q(`SELECT class FROM networks WHERE id = 'wind'`); got != "RESOURCE_CLASS_ENERGY" {
		t.Errorf("wind: class %q", got)
	}
	if got := q(`SELECT cell || ' ' || capacity || ' ' || model FROM devices WHERE id = 'depindev1a'`); got != "8a1fb46622dffff 5000 SunBox" {
		t.Errorf("device: %q", got)
	}
	if len(w.events) != len(evs) || w.events[0].typ != "message" || w.events[0].attrs != `{"action":"depin.network.v1.MsgCreateNetwork"}` ||
		w.events[1].attrs != `{"id":"solar","owner":"depin1owner","reward_denom":"usolar"}` {
		t.Fatalf("event rows %+v", w.events)
	}
}

// TestUndecodableEventStopsTheBlock: a depin event that does not decode is
// an error naming the block, tx and event, and nothing of it is written —
// never a zero for the field that did not parse.
func TestUndecodableEventStopsTheBlock(t *testing.T) {
	registered := func(attr, value string) event.Event {
		ev := event.ToABCI(&devicev1.EventDeviceRegistered{Device: "depindev1a", Network: "solar", Owner: "depin1owner", Cell: 0x8a1fb46622dffff, Capacity: 5000})
		for i := range ev.Attributes {
			if ev.Attributes[i].Key == attr {
				ev.Attributes[i].Value = value
				return ev
			}
		}
		ev.Attributes = append(ev.Attributes, event.Attribute{Key: attr, Value: value})
		return ev
	}
	for _, tc := range []struct {
		name  string
		ev    event.Event
		where string
	}{
		{"a number that does not parse", registered("capacity", "5 kW"), "tx 2, event 3"},
		{"a number out of range", registered("cell", "18446744073709551616"), "tx 2, event 3"},
		{"a field the event does not have", registered("colour", "red"), "tx 2, event 3"},
		{"JSON that does not parse", event.Event{Type: "depin.bank.v1.EventTransfer", Attributes: []event.Attribute{
			{Key: "to", Value: "depin1b"}, {Key: "amount", Value: `[{"denom":"udpin","amount":"1"`}}}, "tx 2, event 3"},
		{"an event type this indexer does not know", event.Event{Type: "depin.bank.v1.EventNewInAFutureVersion"}, "tx 2, event 3"},
		{"a message type posing as an event", event.Event{Type: "depin.bank.v1.MsgSend"}, "tx 2, event 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := testWriter(t, 7)
			err := w.event(2, 3, tc.ev, nil)
			if !errors.Is(err, event.ErrEvent) {
				t.Fatalf("error %v, want event.ErrEvent", err)
			}
			if msg := err.Error(); !strings.Contains(msg, "block 7, "+tc.where) || !strings.Contains(msg, tc.ev.Type) {
				t.Errorf("error %q does not say which block, tx and event", msg)
			}
			var n int
			if err := w.tx.QueryRowContext(w.ctx, `SELECT COUNT(*) FROM devices`).Scan(&n); err != nil || n != 0 {
				t.Errorf("%d devices written (%v)", n, err)
			}
			if len(w.balances) != 0 || len(w.hexes) != 0 {
				t.Errorf("changes booked: balances %v, hexes %v", w.balances, w.hexes)
			}
		})
	}
	// A block-level event says so.
	w := testWriter(t, 9)
	if err := w.event(-1, 0, registered("stake", "-1"), nil); err == nil || !strings.Contains(err.Error(), "block 9, block events, event 0") {
		t.Fatalf("block event: %v", err)
	}
	// Transfers decode their coins exactly (beyond 2^63).
	w = testWriter(t, 10)
	if err := w.event(0, 0, event.ToABCI(&bankv1.EventMint{To: "depin1b", Amount: []*bankv1.Coin{{Denom: "udpin", Amount: 1<<64 - 1}}}), nil); err != nil {
		t.Fatal(err)
	}
	if got := w.balances[[2]string{"depin1b", "udpin"}]; got == nil || got.String() != "18446744073709551615" {
		t.Fatalf("minted %v", got)
	}
}

// TestIntervalClearedTimes: a clearing keeps its interval's length and
// start from the event; one from a chain whose events do not carry them
// keeps 0 (the explorer then shows the interval's number).
func TestIntervalClearedTimes(t *testing.T) {
	w := testWriter(t, 12)
	for i, ev := range []*marketv1.EventIntervalCleared{
		{Network: "grid", Interval: 1_960_000, Price: 7, Volume: 150, Trades: 2, IntervalSeconds: 900, StartTime: 1_764_000_000},
		{Network: "old", Interval: 59_873_273, Price: 3, Volume: 1, Trades: 1},
	} {
		if err := w.event(0, i, event.ToABCI(ev), nil); err != nil {
			t.Fatal(err)
		}
	}
	for net, want := range map[string]string{"grid": "900 1764000000", "old": "0 0"} {
		var secs, start int64
		if err := w.tx.QueryRowContext(w.ctx, `SELECT interval_seconds, start_time FROM market_clearings WHERE network = $1`, net).Scan(&secs, &start); err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(secs, " ", start); got != want {
			t.Errorf("%s: interval_seconds and start_time %s, want %s", net, got, want)
		}
	}
}
