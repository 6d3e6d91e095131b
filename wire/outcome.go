package wire

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// Outcome is what became of one report: the JSON payload a gateway
// publishes to the device's results topic (ResultsTopic) once the report's
// batch settles, and the answer of its GET /v1/reports/{id}. Every field is
// always present; docs/DEVICE-PROTOCOL.md §7.1 is its documentation for
// device authors. The gateway writes it and the agent SDK reads it: one
// definition, here in the device protocol's package.
type Outcome struct {
	// ID is the report's id: the hex SHA-256 of the SignedReport bytes as
	// the device sent them (ReportID; what POST /v1/reports answers; a
	// device publishing over MQTT computes it itself).
	ID      string `json:"id"`
	Device  string `json:"device"` // depindev1…
	Network string `json:"network"`
	Seq     uint64 `json:"seq,string"`
	// Status is one of the Status constants.
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
	// StatusPending: queued at the gateway or in a batch not yet committed
	// (only GET /v1/reports/{id} says it; results topics carry settled
	// outcomes only).
	StatusPending = "pending"
	// StatusAccepted: the chain accepted the report; its work counts.
	StatusAccepted = "accepted"
	// StatusRejected: the chain judged the report and rejected it (Reason,
	// Detail). Resending the same bytes cannot change that; fix what
	// Reason says.
	StatusRejected = "rejected"
	// StatusDropped: the gateway gave up on the report's batch (Reason,
	// Detail); the chain never judged it, so resending the same bytes is
	// safe.
	StatusDropped = "dropped"
	// StatusUnknown: no verdict is known — the gateway could not read the
	// chain's (a chain newer than the gateway), forgot the report, or none
	// arrived in time; the chain's record of the device (last_seq) tells.
	StatusUnknown = "unknown"
)

// String is the outcome in one line, for a device's log.
func (o Outcome) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "report %d (%.12s…) %s", o.Seq, o.ID, o.Status)
	if o.Reason != "" {
		fmt.Fprintf(&b, ": %s", o.Reason)
	}
	if o.Detail != "" {
		fmt.Fprintf(&b, " — %s", o.Detail)
	}
	if o.Height > 0 {
		fmt.Fprintf(&b, " (block %d)", o.Height)
	}
	return b.String()
}

// ReportID is a report's id: the hex SHA-256 of its SignedReport bytes.
func ReportID(signedReport []byte) string {
	sum := sha256.Sum256(signedReport)
	return hex.EncodeToString(sum[:])
}

// ResultsTopicPrefix starts every results topic.
const ResultsTopicPrefix = "depin/devices/"

// ResultsTopic is the MQTT topic where a gateway publishes the outcomes of
// a device's reports: depin/devices/<device>/results, device being the
// depindev1… id. A gateway's embedded broker lets only the client whose
// client id is that device id subscribe to it, and no client publish there.
func ResultsTopic(device string) string { return ResultsTopicPrefix + device + "/results" }
