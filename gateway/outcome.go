package gateway

import (
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/depinhq/depin/crypto"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	"github.com/depinhq/depin/wire"
)

// Outcome is what became of one report: the JSON payload the gateway
// publishes to the device's results topic once the report's batch
// settles, and the answer of GET /v1/reports/{id} — the device protocol's
// wire.Outcome (docs/DEVICE-PROTOCOL.md §7.1), one definition with the
// agent SDK that reads it.
type Outcome = wire.Outcome

// Statuses of an Outcome (see wire).
const (
	StatusPending  = wire.StatusPending
	StatusAccepted = wire.StatusAccepted
	StatusRejected = wire.StatusRejected
	StatusDropped  = wire.StatusDropped
	StatusUnknown  = wire.StatusUnknown
)

// Why a batch was dropped (Outcome.Reason with StatusDropped).
const (
	DroppedBatchRejected = "batch_rejected" // CheckTx refused the batch transaction for good
	DroppedBatchFailed   = "batch_failed"   // the batch transaction failed as a whole in its block
)

// ResultsTopicPrefix starts every results topic.
const ResultsTopicPrefix = wire.ResultsTopicPrefix

// ResultsTopic is the MQTT topic where the gateway publishes the outcomes
// of a device's reports: depin/devices/<device id>/results. On the
// embedded broker only the client whose client id is that device id may
// subscribe to it, and no client may publish there.
func ResultsTopic(device crypto.DeviceID) string {
	return resultsTopic(crypto.DeviceString(device))
}

func resultsTopic(device string) string { return wire.ResultsTopic(device) }

// ReportID is a report's id: the hex SHA-256 of its SignedReport bytes.
func ReportID(hash [32]byte) string { return hex.EncodeToString(hash[:]) }

// parseReportID reads a report id (64 hex digits, either case).
func parseReportID(s string) ([32]byte, error) {
	var h [32]byte
	if len(s) != 2*len(h) {
		return h, fmt.Errorf("report id %q: want 64 hex digits (the SHA-256 of the SignedReport bytes, as POST /v1/reports returns it)", clip(s, 80))
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, fmt.Errorf("report id %q: want 64 hex digits (the SHA-256 of the SignedReport bytes, as POST /v1/reports returns it)", clip(s, 80))
	}
	return h, nil
}

// reasonName is a reject reason as devices and metrics see it: lower
// case, without the REJECT_REASON_ prefix (a reason newer than this
// gateway reads as its number).
func reasonName(r reportv1.RejectReason) string {
	return strings.ToLower(strings.TrimPrefix(r.String(), "REJECT_REASON_"))
}

// pendingOutcome is what is known of a queued report.
func pendingOutcome(it *item) Outcome {
	return Outcome{ID: ReportID(it.hash), Device: crypto.DeviceString(it.device), Network: it.network, Seq: it.seq, Status: StatusPending}
}

// clip makes s valid UTF-8 and shortens it to at most n bytes, cutting
// between runes (for echoing input in errors: an MQTT reason string must
// be valid UTF-8).
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
