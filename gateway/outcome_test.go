package gateway

import (
	"encoding/json"
	"log/slog"
	"maps"
	"strings"
	"testing"

	"github.com/depinhq/depin/api/event"
	"github.com/depinhq/depin/client"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
)

// TestVerdicts: the chain's verdict on each report is read from typed
// events — the batch event's outcome byte per report, the rejection's
// detail by index; events that do not decode are logged and leave the
// verdicts unknown (never accepted, never a reason they do not give).
func TestVerdicts(t *testing.T) {
	var logs lockedBuffer
	s := &submitter{log: slog.New(slog.NewTextHandler(&logs, nil))}
	vs := s.verdicts([]event.Event{
		{Type: "message", Attributes: []event.Attribute{{Key: "action", Value: "depin.report.v1.MsgReportBatch"}}},
		event.ToABCI(&reportv1.EventReportRejected{Index: 1, Reason: reportv1.RejectReason_REJECT_REASON_STALE_SEQ, Detail: "seq 3, last accepted 7"}),
		event.ToABCI(&reportv1.EventReportRejected{Index: 4, Reason: reportv1.RejectReason_REJECT_REASON_UNKNOWN_DEVICE}),
		{Type: eventRejected, Attributes: []event.Attribute{{Key: "reason", Value: "REJECT_REASON_FROM_THE_FUTURE"}}},
		event.ToABCI(&reportv1.EventReportBatch{Submitter: "depin1g", Accepted: 3, Rejected: 3, Outcomes: []byte{0, 7, 0, 0, 4, 99}}),
	}, 6)
	accepted, rejected := tally(vs)
	want := map[string]uint64{"stale_seq": 1, "unknown_device": 1, "99": 1}
	if accepted != 3 || !maps.Equal(rejected, want) {
		t.Fatalf("accepted %d, rejected %v; want 3, %v", accepted, rejected, want)
	}
	if v := vs[1]; !v.known || v.reason != reportv1.RejectReason_REJECT_REASON_STALE_SEQ || v.detail != "seq 3, last accepted 7" {
		t.Fatalf("verdict 1: %+v", v)
	}
	if n := strings.Count(logs.String(), "cannot read the chain's verdict"); n != 1 {
		t.Fatalf("%d undecodable events logged, want 1:\n%s", n, logs.String())
	}

	// Without a readable batch event nothing is known.
	logs = lockedBuffer{}
	vs = s.verdicts([]event.Event{
		event.ToABCI(&reportv1.EventReportRejected{Index: 0, Reason: reportv1.RejectReason_REJECT_REASON_STALE_SEQ}),
		{Type: eventBatch, Attributes: []event.Attribute{{Key: "accepted", Value: "lots"}}},
	}, 2)
	if accepted, rejected := tally(vs); accepted != 0 || len(rejected) != 0 || vs[0].known || vs[1].known {
		t.Fatalf("undecodable batch event: accepted %d, rejected %v, verdicts %+v", accepted, rejected, vs)
	}
	// Nor with one for another number of reports.
	vs = s.verdicts([]event.Event{event.ToABCI(&reportv1.EventReportBatch{Accepted: 1, Outcomes: []byte{0}})}, 2)
	if vs[0].known || vs[1].known {
		t.Fatalf("verdicts for a batch of 1 read as a batch of 2's: %+v", vs)
	}
}

// TestOutcomeJSON pins the results payload devices parse (DEVICE-PROTOCOL.md
// §7.1): every field present, seq as a decimal string.
func TestOutcomeJSON(t *testing.T) {
	dev := newDevice("a", "solar")
	it := &item{hash: [32]byte{0xab}, device: dev.id, network: "solar", seq: 18446744073709551615}
	outs := committedOutcomes([]*item{it, it}, []chainVerdict{
		{known: true},
		{known: true, reason: reportv1.RejectReason_REJECT_REASON_PERIOD_OVERLAP, detail: "starts at 100, the last accepted period ended at 160"},
	}, &client.TxResult{Height: 57, Hash: "c0ffee"})
	got, err := json.Marshal(outs)
	if err != nil {
		t.Fatal(err)
	}
	id := "ab" + strings.Repeat("00", 31)
	want := `[{"id":"` + id + `","device":"` + dev.topicDevice() + `","network":"solar","seq":"18446744073709551615","status":"accepted","reason":"","detail":"","height":57,"tx_hash":"C0FFEE"},` +
		`{"id":"` + id + `","device":"` + dev.topicDevice() + `","network":"solar","seq":"18446744073709551615","status":"rejected","reason":"period_overlap","detail":"starts at 100, the last accepted period ended at 160","height":57,"tx_hash":"C0FFEE"}]`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	dropped := droppedOutcomes([]*item{it}, DroppedBatchRejected, "insufficient fee", 0, "")
	if o := dropped[0]; o.Status != StatusDropped || o.Reason != "batch_rejected" || o.Detail != "insufficient fee" || o.Height != 0 {
		t.Fatalf("dropped: %+v", o)
	}
}

// TestOutcomeStoreBounds: settled outcomes are kept for the last size
// reports, oldest forgotten first; pending ones until they settle.
func TestOutcomeStoreBounds(t *testing.T) {
	s := newOutcomeStore(2)
	its := make([]*item, 4)
	for i := range its {
		its[i] = &item{hash: [32]byte{byte(i + 1)}, seq: uint64(i + 1)}
		s.queued(its[i])
	}
	if o, ok := s.get(its[3].hash); !ok || o.Status != StatusPending || o.Seq != 4 {
		t.Fatalf("queued report: %+v %v", o, ok)
	}
	s.settle(its[:3], droppedOutcomes(its[:3], DroppedBatchFailed, "x", 9, "AA"))
	if _, ok := s.get(its[0].hash); ok {
		t.Fatal("the oldest of 3 settled outcomes is kept in a store of 2")
	}
	for _, it := range its[1:3] {
		if o, ok := s.get(it.hash); !ok || o.Status != StatusDropped || o.Height != 9 {
			t.Fatalf("settled report %d: %+v %v", it.seq, o, ok)
		}
	}
	if o, ok := s.get(its[3].hash); !ok || o.Status != StatusPending {
		t.Fatalf("still pending: %+v %v", o, ok)
	}
	s.unqueued(its[3])
	if _, ok := s.get(its[3].hash); ok {
		t.Fatal("a report the queue refused is still known")
	}
	if len(s.settled) != 2 || len(s.ring) != 2 || len(s.pending) != 0 {
		t.Fatalf("store holds %d settled, ring %d, %d pending", len(s.settled), len(s.ring), len(s.pending))
	}
}
