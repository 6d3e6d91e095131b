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
	// ErrTooLarge: an HTTP body over MaxHTTPBodyBytes.
	ErrTooLarge = errors.New("report too large")
	// ErrTopicMismatch: the MQTT topic is not a report topic, or names
	// another network or device than the report.
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
	size     int // bytes of the SignedReport
	hash     [32]byte
	received time.Time
}

// ingester runs the checks every report passes before it is queued, in
// order of cost: decode, topic, duplicate, signature.
type ingester struct {
	chainID  string // set before any report arrives
	queue    *queue
	recent   *recentSet
	verifier *verifier
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
		return ErrNotReady
	}
	d, err := wire.Decode(payload)
	if err != nil {
		return err // wraps ErrMalformed
	}
	if source == SourceMQTT {
		network, device, ok := parseTopic(topic)
		if !ok {
			return fmt.Errorf("%w: %q is not depin/v1/<network>/<device>/report", ErrTopicMismatch, topic)
		}
		if network != d.Report.Network {
			return fmt.Errorf("%w: topic network %q, report network %q", ErrTopicMismatch, network, d.Report.Network)
		}
		if want := crypto.DeviceString(d.Device); device != want {
			return fmt.Errorf("%w: topic device %q, report signed by %s", ErrTopicMismatch, device, want)
		}
	}
	h := sha256.Sum256(payload)
	if in.recent.has(h) {
		return ErrDuplicate
	}
	if !in.verifier.verify(d, in.chainID) {
		return fmt.Errorf("%w: device %s, chain %q", ErrBadSignature, crypto.DeviceString(d.Device), in.chainID)
	}
	if !in.recent.add(h) {
		return ErrDuplicate // a copy arrived while this one was verified
	}
	it := &item{signed: d.Signed, size: len(payload), hash: h, received: in.clock.Now()}
	if err := in.queue.push(it); err != nil {
		in.recent.remove(h) // not queued: a retry must not be called a duplicate
		return err
	}
	return nil
}
