package gateway

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/depinhq/depin/api/auth"
	"github.com/depinhq/depin/api/report"
	"github.com/depinhq/depin/api/vpp"
	"github.com/depinhq/depin/clock"
	"github.com/depinhq/depin/wire"
)

// Config configures a Gateway. Only cmd/ reads files, flags and the
// environment into it.
type Config struct {
	// ChainID the reports are signed for. "" = ask the node when Run
	// starts; if set, Run checks it against the node's when it can.
	ChainID string

	// MQTTListen is the TCP address of the embedded MQTT broker; "" runs
	// no broker.
	MQTTListen string
	// MQTTBroker is the URL of an external broker to subscribe to instead
	// of embedding one (tcp://host:1883, tls://host:8883, ws://…). Set at
	// most one of MQTTListen and MQTTBroker.
	MQTTBroker string
	// MQTTTopic is the filter subscribed to on the external broker. The
	// default is a shared subscription, so that several gateways split the
	// reports between them instead of each submitting every one.
	MQTTTopic string
	// MQTTMaxClients bounds how many clients the embedded broker holds at
	// once. Beyond it a connection is refused: CONNACK reason code 0x89
	// "server busy" to an MQTT 5 client, return code 3 "server
	// unavailable" to an MQTT 3.1.1 one.
	MQTTMaxClients int
	// MQTTClientID is the gateway's client id on the external broker. Set
	// one that stays the same across restarts (and differs between
	// gateways) to keep the session, and the QoS 1 reports the broker
	// holds for it, over a restart; "" picks a random id and no session.
	MQTTClientID string
	// MQTTUsername and MQTTPassword authenticate to the external broker.
	MQTTUsername string
	MQTTPassword string

	// HTTPListen is the address of the HTTP endpoint (POST /v1/reports,
	// GET /v1/reports/{id}, GET /v1/dispatch/{device}, GET
	// /v1/vpp/members/{pool}/{device}, GET /metrics, GET /healthz); ""
	// disables it.
	HTTPListen string

	// MaxBatchReports and MaxBatchBytes bound one batch transaction;
	// MaxBatchWait is the longest a queued report waits for its batch to
	// fill before the batch is sent anyway.
	MaxBatchReports int
	MaxBatchBytes   int
	MaxBatchWait    time.Duration

	// QueueLimit is how many reports may wait for a batch; beyond it new
	// reports are refused.
	QueueLimit int
	// DedupeWindow is how many recent payload hashes are remembered to
	// drop duplicates (0 disables the filter).
	DedupeWindow int
	// OutcomeWindow is how many settled reports' outcomes are kept for
	// GET /v1/reports/{id}, oldest forgotten first (about 350 bytes
	// each); 0 keeps none (pending reports are always known).
	OutcomeWindow int
	// SummaryInterval is how often an info line sums up the reports
	// received, committed, accepted and rejected (with rates); 0 never.
	SummaryInterval time.Duration

	// DispatchPoll is how often the gateway asks its node for blocks
	// committed since it last looked, to forward the dispatches of
	// virtual power plants (EventDispatchAllocated among each block's
	// events) to their devices; 0 forwards none.
	DispatchPoll time.Duration
	// DispatchLookback is how many blocks before the node's latest the
	// gateway reads when it starts, so that dispatches allocated while it
	// was down still reach their devices (those whose windows have not
	// ended). Blocks the node no longer has are skipped.
	DispatchLookback int64
	// DispatchWindow is how many devices' last dispatches are kept for
	// GET /v1/dispatch/{device} (and retained on the embedded broker's
	// dispatch topics), the device dispatched longest ago forgotten first
	// (a few hundred bytes each).
	DispatchWindow int

	// SubmitterKey is the ed25519 private key of the account that signs
	// and pays for the batch transactions.
	SubmitterKey ed25519.PrivateKey

	// ConfirmTimeout is how long a submitted transaction may take to show
	// up in a block before the gateway checks with the node whether it is
	// still pending (and submits it again if the node lost it).
	ConfirmTimeout time.Duration
	// RetryMin and RetryMax bound the exponential backoff between retries
	// while the node is unreachable or its mempool is full.
	RetryMin time.Duration
	RetryMax time.Duration
	// DrainTimeout is how long Run keeps submitting queued reports after
	// its context ends; 0 stops at once (queued reports are then lost).
	DrainTimeout time.Duration

	// Clock is where the gateway reads the time and waits: the batch
	// wait, retry backoff, confirmation polling, the drain deadline and
	// report latencies. nil is the wall clock; tests use a *clock.Manual.
	Clock Clock
}

// Clock is the clock the gateway runs on (see Config.Clock).
type Clock interface {
	clock.Clock
	NewTimer(d time.Duration) clock.Timer
	AfterFunc(d time.Duration, f func()) clock.Timer
}

var (
	_ Clock = clock.System{}
	_ Clock = (*clock.Manual)(nil)
)

// Defaults.
const (
	DefaultMQTTListen      = "127.0.0.1:1883"
	DefaultHTTPListen      = "127.0.0.1:8080"
	DefaultMaxBatchReports = 2000
	DefaultQueueLimit      = 200_000
	DefaultMQTTMaxClients  = 10_000
	DefaultOutcomeWindow   = 100_000
	DefaultDispatchWindow  = 100_000
	// MaxDispatchesPerDevice is how many dispatches a device's GET
	// /v1/dispatch/{device} lists (its latest): as many as the chain keeps
	// unsettled for one pool member.
	MaxDispatchesPerDevice = vpp.MaxAllocations
	// TopicFilter matches every report topic (see ReportTopic).
	TopicFilter = "depin/v1/+/+/report"
	// DefaultMQTTTopic is TopicFilter as a shared subscription.
	DefaultMQTTTopic = "$share/depin-gateway/" + TopicFilter
	// MaxReportBytes bounds one report, an MQTT payload or an HTTP body:
	// the chain's limit on a SignedReport. A larger one is refused as
	// too_large, with the sizes in the MQTT 5 reason string or the HTTP
	// 413 body.
	MaxReportBytes = wire.MaxSignedReportBytes
	// MaxHTTPBodyBytes bounds a POST /v1/reports body: one report.
	MaxHTTPBodyBytes = MaxReportBytes
	// MaxMQTTPacketBytes is the embedded broker's maximum packet size,
	// advertised to MQTT 5 clients in its CONNACK: a report with its topic
	// and properties, with room to spare. A client that sends a larger
	// packet anyway is disconnected, MQTT 5 ones with DISCONNECT 0x95
	// "packet too large" and the sizes in the reason string.
	MaxMQTTPacketBytes = 8 << 10
)

// maxTxOverhead is what a batch transaction adds to its reports: the
// envelope, signer, fee and signature (a few hundred bytes), with room.
const maxTxOverhead = 64 << 10

// DefaultConfig is a gateway with an embedded broker and the HTTP endpoint
// on loopback. SubmitterKey must still be set.
func DefaultConfig() Config {
	return Config{
		MQTTListen:      DefaultMQTTListen,
		MQTTTopic:       DefaultMQTTTopic,
		MQTTMaxClients:  DefaultMQTTMaxClients,
		HTTPListen:      DefaultHTTPListen,
		MaxBatchReports: DefaultMaxBatchReports,
		MaxBatchBytes:   3 << 20,
		MaxBatchWait:    time.Second,
		QueueLimit:      DefaultQueueLimit,
		DedupeWindow:    DefaultQueueLimit,
		OutcomeWindow:   DefaultOutcomeWindow,
		SummaryInterval: time.Minute,
		DispatchPoll:    time.Second,
		// About ten minutes of blocks: dispatches come at least a minute
		// ahead of their windows, which last up to hours.
		DispatchLookback: 600,
		DispatchWindow:   DefaultDispatchWindow,
		ConfirmTimeout:   15 * time.Second,
		RetryMin:         100 * time.Millisecond,
		RetryMax:         10 * time.Second,
		DrainTimeout:     10 * time.Second,
	}
}

// TestConfig is DefaultConfig on free loopback ports with short waits, for
// tests. SubmitterKey must still be set.
func TestConfig() Config {
	c := DefaultConfig()
	c.MQTTListen = "127.0.0.1:0"
	c.HTTPListen = "127.0.0.1:0"
	c.MaxBatchWait = 20 * time.Millisecond
	c.ConfirmTimeout = 500 * time.Millisecond
	c.RetryMin = 5 * time.Millisecond
	c.RetryMax = 50 * time.Millisecond
	c.DrainTimeout = 5 * time.Second
	c.DispatchPoll = 20 * time.Millisecond
	return c
}

// Validate reports the first problem with c, saying what to change.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if len(c.SubmitterKey) != ed25519.PrivateKeySize {
		bad("submitter key: %d bytes, want an ed25519 private key (%d bytes)", len(c.SubmitterKey), ed25519.PrivateKeySize)
	}
	if c.MQTTListen != "" && c.MQTTBroker != "" {
		bad("set either an MQTT listen address (embedded broker) or an external broker URL, not both")
	}
	if c.MQTTBroker != "" {
		if err := checkBrokerURL(c.MQTTBroker); err != nil {
			bad("MQTT broker: %v", err)
		}
		if c.MQTTTopic == "" {
			bad("MQTT topic: empty (the default is %q)", DefaultMQTTTopic)
		}
	}
	if c.MQTTListen != "" && (c.MQTTMaxClients < 1 || c.MQTTMaxClients > 1_000_000) {
		bad("MQTT max clients: %d, want 1..1000000", c.MQTTMaxClients)
	}
	if c.MQTTListen == "" && c.MQTTBroker == "" && c.HTTPListen == "" {
		bad("no way in for reports: set an MQTT listen address, an MQTT broker or an HTTP listen address")
	}
	if c.MaxBatchReports < 1 || c.MaxBatchReports > report.MaxBatchReports {
		bad("max batch reports: %d, want 1..%d (the chain's limit)", c.MaxBatchReports, report.MaxBatchReports)
	}
	if minBytes := wire.MaxSignedReportBytes + 16; c.MaxBatchBytes < minBytes || c.MaxBatchBytes > auth.MaxTxBytes-maxTxOverhead {
		bad("max batch bytes: %d, want %d..%d (a transaction is at most %d bytes)", c.MaxBatchBytes, minBytes, auth.MaxTxBytes-maxTxOverhead, auth.MaxTxBytes)
	}
	if c.MaxBatchWait <= 0 {
		bad("max batch wait: %s, want > 0", c.MaxBatchWait)
	}
	if c.QueueLimit < c.MaxBatchReports {
		bad("queue limit: %d, want at least the max batch size (%d)", c.QueueLimit, c.MaxBatchReports)
	}
	if c.DedupeWindow < 0 {
		bad("dedupe window: %d, want ≥ 0", c.DedupeWindow)
	}
	if c.OutcomeWindow < 0 || c.OutcomeWindow > 10_000_000 {
		bad("outcome window: %d, want 0..10000000", c.OutcomeWindow)
	}
	if c.SummaryInterval < 0 {
		bad("summary interval: %s, want ≥ 0 (0: no summary)", c.SummaryInterval)
	}
	if c.DispatchPoll < 0 {
		bad("dispatch poll: %s, want ≥ 0 (0: forward no dispatches)", c.DispatchPoll)
	}
	if c.DispatchLookback < 0 || c.DispatchLookback > 1_000_000 {
		bad("dispatch lookback: %d blocks, want 0..1000000", c.DispatchLookback)
	}
	if c.DispatchPoll > 0 && (c.DispatchWindow < 1 || c.DispatchWindow > 10_000_000) {
		bad("dispatch window: %d devices, want 1..10000000", c.DispatchWindow)
	}
	if c.ConfirmTimeout <= 0 {
		bad("confirm timeout: %s, want > 0", c.ConfirmTimeout)
	}
	if c.RetryMin <= 0 || c.RetryMax < c.RetryMin {
		bad("retry backoff: min %s, max %s; want 0 < min ≤ max", c.RetryMin, c.RetryMax)
	}
	if c.DrainTimeout < 0 {
		bad("drain timeout: %s, want ≥ 0", c.DrainTimeout)
	}
	if len(errs) > 0 {
		return fmt.Errorf("gateway config: %w", errors.Join(errs...))
	}
	return nil
}

func checkBrokerURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	switch strings.ToLower(u.Scheme) {
	case "mqtt", "tcp", "ssl", "tls", "mqtts", "mqtt+ssl", "tcps", "ws", "wss":
	default:
		return fmt.Errorf("%q: scheme %q, want tcp://, tls://, ws:// or wss://", s, u.Scheme)
	}
	if u.Host == "" {
		return fmt.Errorf("%q: no host", s)
	}
	return nil
}
