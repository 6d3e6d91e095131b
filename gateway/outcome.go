package gateway

import (
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/depinhq/depin/crypto"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
)

// Outcome is what became of one report: the JSON payload the gateway
// publishes to the device's results topic (ResultsTopic) once the report's
// batch settles, and the answer of GET /v1/reports/{id}. Every field is
// always present; docs/DEVICE-PROTOCOL.md §7.1 is its documentation for
// device authors.
type Outcome struct {
	// ID is the report's id: the hex SHA-256 of the SignedReport bytes as
	// the device sent them (what POST /v1/reports answers; a device
	// publishing over MQTT computes it itself).
	ID      string `json:"id"`
	Device  string `json:"device"` // depindev1…
	Network string `json:"network"`
	Seq     uint64 `json:"seq,string"`
	// Status is pending, accepted, rejected or dropped (see the Status
	// constants).
	Status string `json:"status"`
	// Reason is, for rejected, the chain's reject reason in lower case
	// (period_overlap, stale_seq, …: RejectReason without its prefix); for
	// dropped, why the gateway gave up on the batch (batch_rejected,
	// batch_failed); "" otherwise.
	Reason string `json:"reason"`
	// Detail is the chain's explanation of a rejection (e.g. the periods
	// that overlap), or the error that dropped a batch; "" otherwise.
	Detail string `json:"detail"`
	// Height and TxHash locate the batch transaction on chain; 0 and ""
	// while pending and for a batch CheckTx refused.
	Height int64  `json:"height"`
	TxHash string `json:"tx_hash"`
}

// Statuses of an Outcome.
const (
	// StatusPending: queued at the gateway or in a batch not yet
	// committed (only GET /v1/reports/{id} says it; results topics carry
	// settled outcomes only).
	StatusPending = "pending"
	// StatusAccepted: the chain accepted the report; its work counts.
	StatusAccepted = "accepted"
	// StatusRejected: the chain judged the report and rejected it (Reason,
	// Detail). Resending the same bytes cannot change that.
	StatusRejected = "rejected"
	// StatusDropped: the gateway gave up on the report's batch (Reason,
	// Detail); the chain never judged it, so resending the same bytes is
	// safe.
	StatusDropped = "dropped"
	// StatusUnknown: the batch committed but the gateway could not read
	// the chain's verdict (a chain newer than the gateway); the chain's
	// record of the device (last_seq) tells.
	StatusUnknown = "unknown"
)

// Why a batch was dropped (Outcome.Reason with StatusDropped).
const (
	DroppedBatchRejected = "batch_rejected" // CheckTx refused the batch transaction for good
	DroppedBatchFailed   = "batch_failed"   // the batch transaction failed as a whole in its block
)

// ResultsTopicPrefix starts every results topic.
const ResultsTopicPrefix = "depin/devices/"

// ResultsTopic is the MQTT topic where the gateway publishes the outcomes
// of a device's reports: depin/devices/<device id>/results. On the
// embedded broker only the client whose client id is that device id may
// subscribe to it, and no client may publish there.
func ResultsTopic(device crypto.DeviceID) string {
	return resultsTopic(crypto.DeviceString(device))
}

func resultsTopic(device string) string { return ResultsTopicPrefix + device + "/results" }

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
