package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// broker is the embedded MQTT broker (mochi-mqtt): every client PUBLISH
// goes through the ingest path before anything else happens to it, and
// the gateway publishes each settled report's outcome to its device's
// results topic through the broker's inline client.
type broker struct {
	srv       *mqtt.Server
	ln        net.Listener
	closeOnce sync.Once
}

var _ resultPublisher = (*broker)(nil)

// maxMQTTSession bounds how long the broker keeps a disconnected client's
// session (subscriptions, pending messages): sessions kept forever for
// any client id would let anyone fill the broker's memory. It is how long
// a device subscribed to its results topic with a persistent session may
// be away without missing an outcome.
const maxMQTTSession = 5 * 60

// newBroker binds addr; the broker serves once run is called, holding at
// most maxClients clients.
func newBroker(addr string, maxClients int, in *ingester, log *slog.Logger) (*broker, error) {
	caps := mqtt.NewDefaultServerCapabilities()
	caps.MaximumPacketSize = MaxMQTTPacketBytes // a backstop: limitConn stops such packets first
	caps.MaximumClients = int64(maxClients)
	caps.MaximumSessionExpiryInterval = maxMQTTSession
	caps.MaximumClientWritesPending = 1024
	// An ack copies no property of its PUBLISH: with the user properties
	// copied, a QoS 1 success went out as reason code 0x01 ("granted QoS
	// 1"), which MQTT 5 does not define for a PUBACK.
	caps.Compatibilities.NoInheritedPropertiesOnAck = true
	srv := mqtt.New(&mqtt.Options{
		Capabilities: caps,
		InlineClient: true, // publishes the results
		// The broker logs per connection and per packet (every refused
		// report at error level): all of it is debug detail here, and a
		// misbehaving device must not be able to flood the log.
		Logger: slog.New(debugHandler{log.Handler()}).With("component", "mqtt"),
	})
	if err := srv.AddHook(&ingestHook{in: in, srv: srv}, nil); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		srv.Close()
		return nil, fmt.Errorf("MQTT listen on %s: %w", addr, err)
	}
	if err := srv.AddListener(listeners.NewNet("reports", limitListener{Listener: ln, max: MaxMQTTPacketBytes})); err != nil {
		ln.Close()
		srv.Close()
		return nil, fmt.Errorf("MQTT listen on %s: %w", addr, err)
	}
	return &broker{srv: srv, ln: ln}, nil
}

// addr is the address the broker listens on.
func (b *broker) addr() string { return b.ln.Addr().String() }

// run serves until ctx ends, then closes every connection.
func (b *broker) run(ctx context.Context) error {
	if err := b.srv.Serve(); err != nil {
		return fmt.Errorf("MQTT broker: %w", err)
	}
	<-ctx.Done()
	b.close()
	return nil
}

// close stops the broker; it returns once every connection is closed, so
// no report arrives after it.
func (b *broker) close() { b.closeOnce.Do(func() { b.srv.Close() }) }

// publishResult publishes an outcome at QoS 1, not retained: a subscribed
// device gets it at once, or when it comes back within its session. The
// broker never blocks on a slow client (it drops what the client's
// pending writes cannot hold).
func (b *broker) publishResult(topic string, payload []byte) bool {
	return b.srv.Publish(topic, payload, false, 1) == nil
}

// publishRetained publishes a dispatch at QoS 1, retained: a device that
// subscribes later is sent the last one at once. An empty payload clears
// what the topic retains.
func (b *broker) publishRetained(topic string, payload []byte) bool {
	return b.srv.Publish(topic, payload, true, 1) == nil
}

// ingestHook admits any client (devices are authenticated by their report
// signatures, not by MQTT credentials), runs every client PUBLISH through
// the ingest path, keeps each results topic to its own device and fixes
// what mochi gets wrong for MQTT 5 clients (see each method). A refused
// report is not forwarded to subscribers.
type ingestHook struct {
	mqtt.HookBase
	in  *ingester
	srv *mqtt.Server
}

func (h *ingestHook) ID() string { return "depin-gateway" }

func (h *ingestHook) Provides(b byte) bool {
	switch b {
	case mqtt.OnConnectAuthenticate, mqtt.OnACLCheck, mqtt.OnPublish, mqtt.OnSessionEstablished, mqtt.OnPacketEncode:
		return true
	}
	return false
}

func (h *ingestHook) OnConnectAuthenticate(*mqtt.Client, packets.Packet) bool { return true }

// OnACLCheck lets any client publish anywhere, because OnPublish takes
// nothing but a valid report on its own device's report topic (publishing
// to a results or dispatch topic is refused there, with a reason).
// Reading is open too (reports are public, like everything on chain),
// except the device topics: a client may subscribe to
// depin/devices/<id>/results or depin/devices/<id>/dispatch, and be sent
// what is published (or retained) there, only if its client id is that
// device id, and no wildcard filter under depin/devices/ is allowed. The
// broker authenticates nobody, so this keeps honest devices to their own
// topics and stops fan-out to snoopers; it does not prove who a client is
// (outcomes and dispatches say nothing the chain's events do not).
func (h *ingestHook) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	if write || !strings.HasPrefix(topic, ResultsTopicPrefix) {
		return true
	}
	return topic == resultsTopic(cl.ID) || topic == dispatchTopic(cl.ID)
}

// OnSessionEstablished arms the connection's packet limit: from now on a
// packet over MaxMQTTPacketBytes from an MQTT 5 client is answered with
// DISCONNECT 0x95 before the connection closes.
func (h *ingestHook) OnSessionEstablished(cl *mqtt.Client, _ packets.Packet) {
	lc, ok := cl.Net.Conn.(*limitConn)
	if !ok || cl.Properties.ProtocolVersion != 5 {
		return
	}
	refuse := func(size int) {
		_ = h.srv.DisconnectClient(cl, packets.Code{Code: packets.ErrPacketTooLarge.Code, Reason: fmt.Sprintf(
			"packet of %d bytes: the maximum packet size is %d (a report is at most %d bytes)", size, MaxMQTTPacketBytes, MaxReportBytes)})
	}
	lc.refuse.Store(&refuse)
}

// OnPacketEncode advertises the maximum packet size in a successful
// CONNACK (mochi enforces it but does not say it), so MQTT 5 clients
// refuse to send larger packets themselves; and says in a SUBACK why a
// subscription was refused (only results topics can be).
func (h *ingestHook) OnPacketEncode(cl *mqtt.Client, pk packets.Packet) packets.Packet {
	switch pk.FixedHeader.Type {
	case packets.Connack:
		if pk.ReasonCode < packets.ErrUnspecifiedError.Code {
			pk.Properties.MaximumPacketSize = MaxMQTTPacketBytes
		}
	case packets.Suback:
		if slices.Contains(pk.ReasonCodes, packets.ErrNotAuthorized.Code) {
			pk.Properties.ReasonString = clip(fmt.Sprintf("a device's topics are only for that device: subscribe to exactly %s or %s with the device id as client id (this client's id is %q)",
				resultsTopic("<device id>"), dispatchTopic("<device id>"), cl.ID), maxReasonString)
		}
	}
	return pk
}

// OnPublish tells an MQTT 5 client publishing at QoS ≥ 1 why a report was
// refused: the PUBACK (QoS 1) or PUBREC (QoS 2) carries a reason code and,
// as its reason string, the check that failed. Older clients and QoS 0
// cannot be told, so their refused reports are acknowledged and dropped
// (they are counted). A duplicate is acknowledged as a success: its first
// copy is queued. The gateway's own results (the inline client) pass.
func (h *ingestHook) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if cl.Net.Inline {
		return pk, nil
	}
	// Reports are never retained: any key can sign a report, so retained
	// messages under fresh device topics would grow without bound.
	pk.FixedHeader.Retain = false
	err := h.in.ingest(SourceMQTT, pk.TopicName, pk.Payload)
	if err == nil {
		return pk, nil
	}
	if cl.Properties.ProtocolVersion != 5 || pk.FixedHeader.Qos == 0 || errors.Is(err, ErrDuplicate) {
		return pk, packets.CodeSuccessIgnore
	}
	code := packets.Code{Code: mqttCode(err).Code, Reason: clip(err.Error(), maxReasonString)}
	if pk.FixedHeader.Qos == 2 {
		// mochi would answer a refused QoS 2 publish with a PUBACK, a
		// protocol error the client disconnects on. A PUBREC with a
		// reason code ≥ 0x80 ends the exchange (MQTT 5 §4.3.3).
		rec := packets.Packet{
			FixedHeader: packets.FixedHeader{Type: packets.Pubrec},
			PacketID:    pk.PacketID,
			ReasonCode:  code.Code,
			Properties:  packets.Properties{ReasonString: code.Reason},
		}
		_ = cl.WritePacket(rec) // if it fails, the connection is gone anyway
		return pk, packets.ErrRejectPacket
	}
	return pk, code
}

// maxReasonString bounds the reason string of a refusal.
const maxReasonString = 256

// mqttCode maps an ingest error to a PUBACK (or PUBREC) reason code.
func mqttCode(err error) packets.Code {
	switch {
	case errors.Is(err, ErrMalformed), errors.Is(err, ErrTooLarge):
		return packets.ErrPayloadFormatInvalid // 0x99
	case errors.Is(err, ErrTopicMismatch):
		return packets.ErrTopicNameInvalid // 0x90
	case errors.Is(err, ErrBadSignature):
		return packets.ErrNotAuthorized // 0x87
	case errors.Is(err, ErrQueueFull):
		return packets.ErrQuotaExceeded // 0x97
	default:
		return packets.ErrImplementationSpecificError // 0x83: stopping, not ready
	}
}

// debugHandler logs every record of a library at debug level.
type debugHandler struct{ h slog.Handler }

func (d debugHandler) Enabled(ctx context.Context, _ slog.Level) bool {
	return d.h.Enabled(ctx, slog.LevelDebug)
}

func (d debugHandler) Handle(ctx context.Context, r slog.Record) error {
	r.Level = slog.LevelDebug
	return d.h.Handle(ctx, r)
}

func (d debugHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return debugHandler{d.h.WithAttrs(as)}
}

func (d debugHandler) WithGroup(name string) slog.Handler { return debugHandler{d.h.WithGroup(name)} }
