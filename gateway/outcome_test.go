package gateway

import (
	"log/slog"
	"maps"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/depinhq/depin/api/event"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
)

// TestOutcome: the chain's verdicts are read from typed events; one that
// does not decode is logged and counted nowhere (never as a zero or as a
// reason it does not give).
func TestOutcome(t *testing.T) {
	var logs lockedBuffer
	s := &submitter{log: slog.New(slog.NewTextHandler(&logs, nil))}
	accepted, rejected := s.outcome([]abci.Event{
		{Type: "message", Attributes: []abci.EventAttribute{{Key: "action", Value: "depin.report.v1.MsgReportBatch"}}},
		event.ToABCI(&reportv1.EventReportBatch{Submitter: "depin1g", Accepted: 3, Rejected: 3, Outcomes: []byte{0, 7, 0, 0, 4, 0}}),
		event.ToABCI(&reportv1.EventReportRejected{Index: 1, Reason: reportv1.RejectReason_REJECT_REASON_STALE_SEQ}),
		event.ToABCI(&reportv1.EventReportRejected{Index: 4, Reason: reportv1.RejectReason_REJECT_REASON_UNKNOWN_DEVICE}),
		event.ToABCI(&reportv1.EventReportRejected{Index: 5}),
		{Type: eventRejected, Attributes: []abci.EventAttribute{{Key: "reason", Value: "REJECT_REASON_FROM_THE_FUTURE"}}},
		{Type: eventBatch, Attributes: []abci.EventAttribute{{Key: "accepted", Value: "lots"}}},
	})
	want := map[string]uint64{"stale_seq": 1, "unknown_device": 1, "unspecified": 1}
	if accepted != 3 || !maps.Equal(rejected, want) {
		t.Fatalf("accepted %d, rejected %v; want 3, %v", accepted, rejected, want)
	}
	if n := strings.Count(logs.String(), "cannot read the chain's verdict"); n != 2 {
		t.Fatalf("%d undecodable events logged, want 2:\n%s", n, logs.String())
	}
}
