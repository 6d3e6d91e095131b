package gateway

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/depinhq/depin/crypto"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	"github.com/depinhq/depin/wire"
)

// Errors of the ingest path. Each refused report is counted under its
// reason (see reasonOf); the edges map them once: to an HTTP status in
// http.go, to an MQTT reason code in mqtt.go.
var (
	// ErrMalformed: the payload is not a well-formed SignedReport.
	ErrMalformed = wire.ErrMalformed
	// ErrTooLarge: a payload (MQTT) or body (HTTP) over MaxReportBytes.
	ErrTooLarge = errors.New("report too large")
	// ErrTopicMismatch: the MQTT topic is not a report topic, or names
	// another network or device than the report. Every client publish
	// goes through ingest, so this is also what keeps clients from
	// publishing anywhere else (the results topics among them).
	ErrTopicMismatch = errors.New("topic does not match the report")
	// ErrBadSignature: the device's signature does not verify for the
	// gateway's chain.
	ErrBadSignature = errors.New("bad device signature")
	// ErrDuplicate: the same payload was queued recently. The report is
	// not lost: the first copy is on its way.
	ErrDuplicate = errors.New("duplicate report")
	// ErrQueueFull: the queue is at its limit; retry later.
	ErrQueueFull = errors.New("queue full")
	// ErrStopping: the gateway is shutting down and takes no more reports.
	ErrStopping = errors.New("gateway is stopping")
	// ErrNotReady: the gateway does not know its chain id yet.
	ErrNotReady = errors.New("gateway not ready")
)

// Reasons label depin_gateway_reports_invalid_total and the "reason" of an
// HTTP error body.
const (
	ReasonDecode    = "decode"
	ReasonTooLarge  = "too_large"
	ReasonTopic     = "topic"
	ReasonSignature = "signature"
	ReasonDuplicate = "duplicate"
	ReasonQueueFull = "queue_full"
	ReasonStopping  = "stopping"
	ReasonNotReady  = "not_ready"
)

// reasonOf maps an ingest error to its reason.
func reasonOf(err error) string {
	switch {
	case errors.Is(err, ErrMalformed):
		return ReasonDecode
	case errors.Is(err, ErrTooLarge):
		return ReasonTooLarge
	case errors.Is(err, ErrTopicMismatch):
		return ReasonTopic
	case errors.Is(err, ErrBadSignature):
		return ReasonSignature
	case errors.Is(err, ErrDuplicate):
		return ReasonDuplicate
	case errors.Is(err, ErrQueueFull):
		return ReasonQueueFull
	case errors.Is(err, ErrStopping):
		return ReasonStopping
	default:
		return ReasonNotReady
	}
}

// invalid reports whether the reason is the report's fault (counted in
// reports_invalid_total) rather than the gateway's state (reports_refused_total).
func invalid(reason string) bool {
	switch reason {
	case ReasonQueueFull, ReasonStopping, ReasonNotReady:
		return false
	}
	return true
}

// Sources label depin_gateway_reports_received_total.
const (
	SourceMQTT = "mqtt"
	SourceHTTP = "http"
)

// ReportTopic is the MQTT topic a device publishes its reports to.
func ReportTopic(network string, device crypto.DeviceID) string {
	return "depin/v1/" + network + "/" + crypto.DeviceString(device) + "/report"
}

// parseTopic splits a report topic into its network and device segments.
func parseTopic(topic string) (network, device string, ok bool) {
	rest, ok := strings.CutPrefix(topic, "depin/v1/")
	if !ok {
		return "", "", false
	}
	rest, ok = strings.CutSuffix(rest, "/report")
	if !ok {
		return "", "", false
	}
	network, device, ok = strings.Cut(rest, "/")
	if !ok || network == "" || device == "" || strings.Contains(device, "/") {
		return "", "", false
	}
	return network, device, true
}

// item is a checked report waiting for, or in, a batch.
type item struct {
	signed   *reportv1.SignedReport
	size     int      // bytes of the SignedReport
	hash     [32]byte // SHA-256 of the SignedReport bytes: the report's id
	device   crypto.DeviceID
	network  string
	seq      uint64
	received time.Time
}

// ingester runs the checks every report passes before it is queued, in
// order of cost: size, topic shape, decode, topic match, duplicate,
// signature.
type ingester struct {
	chainID  string // set before any report arrives
	queue    *queue
	recent   *recentSet
	verifier *verifier
	outcomes *outcomeStore
	metrics  *metrics
	log      *slog.Logger
	clock    Clock
}

// ingest checks one payload and queues it. topic is the MQTT topic ("" for
// HTTP, where there is none to check).
func (in *ingester) ingest(source, topic string, payload []byte) error {
	in.metrics.received(source)
	err := in.check(source, topic, payload)
	if err != nil {
		reason := reasonOf(err)
		in.metrics.refused(reason)
		// Never the payload: it is the device's data, and junk can be large
		// or crafted to confuse log readers.
		in.log.Debug("report refused", "source", source, "reason", reason, "topic", topic, "err", err)
	}
	return err
}

func (in *ingester) check(source, topic string, payload []byte) error {
	if in.chainID == "" {
		return fmt.Errorf("%w: its chain id is not known yet (is the node up?); retry later", ErrNotReady)
	}
	if len(payload) > MaxReportBytes {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(payload), MaxReportBytes)
	}
	var network, device string
	if source == SourceMQTT {
		var ok bool
		if network, device, ok = parseTopic(topic); !ok {
			hint := ""
			if strings.HasPrefix(topic, ResultsTopicPrefix) {
				hint = " (depin/devices/… is where the gateway publishes results and dispatches)"
			}
			return fmt.Errorf("%w: %q is not depin/v1/<network>/<device>/report%s", ErrTopicMismatch, clip(topic, 160), hint)
		}
	}
	d, err := wire.Decode(payload)
	if err != nil {
		return err // wraps ErrMalformed
	}
	if source == SourceMQTT {
		if network != d.Report.Network {
			return fmt.Errorf("%w: topic network %q, report network %q", ErrTopicMismatch, clip(network, 64), d.Report.Network)
		}
		if want := crypto.DeviceString(d.Device); device != want {
			return fmt.Errorf("%w: topic device %q, report signed by %s", ErrTopicMismatch, clip(device, 64), want)
		}
	}
	h := sha256.Sum256(payload)
	if in.recent.has(h) {
		return ErrDuplicate
	}
	if !in.verifier.verify(d, in.chainID) {
		return fmt.Errorf("%w: it does not verify for chain %q with the key in the report (device %s); check the chain id and the sign bytes",
			ErrBadSignature, in.chainID, crypto.DeviceString(d.Device))
	}
	if !in.recent.add(h) {
		return ErrDuplicate // a copy arrived while this one was verified
	}
	it := &item{signed: d.Signed, size: len(payload), hash: h, device: d.Device, network: d.Report.Network,
		seq: d.Report.Seq, received: in.clock.Now()}
	// Known as pending before it can be batched, so that its outcome
	// always finds it.
	in.outcomes.queued(it)
	if err := in.queue.push(it); err != nil {
		in.outcomes.unqueued(it)
		in.recent.remove(h) // not queued: a retry must not be called a duplicate
		if errors.Is(err, ErrQueueFull) {
			return fmt.Errorf("%w: %d reports wait for the chain; retry later", err, in.queue.limit)
		}
		return fmt.Errorf("%w: it takes no more reports; retry later", err)
	}
	return nil
}
