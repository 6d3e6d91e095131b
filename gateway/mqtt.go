package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// maxMQTTPacket bounds one MQTT packet on the embedded broker: a report
// is at most 1 KiB, its topic about 100 bytes.
const maxMQTTPacket = 8 << 10

// broker is the embedded MQTT broker (mochi-mqtt): every PUBLISH goes
// through the ingest path before anything else happens to it.
type broker struct {
	srv       *mqtt.Server
	ln        *listeners.TCP
	closeOnce sync.Once
}

// maxMQTTSession bounds how long the broker keeps a disconnected client's
// session (subscriptions, pending messages): devices publish and need
// none, and sessions kept forever for any client id would let anyone
// fill the broker's memory.
const maxMQTTSession = 5 * 60

// newBroker binds addr; the broker serves once run is called, holding at
// most maxClients clients.
func newBroker(addr string, maxClients int, in *ingester, log *slog.Logger) (*broker, error) {
	caps := mqtt.NewDefaultServerCapabilities()
	caps.MaximumPacketSize = maxMQTTPacket
	caps.MaximumClients = int64(maxClients)
	caps.MaximumSessionExpiryInterval = maxMQTTSession
	caps.MaximumClientWritesPending = 1024
	srv := mqtt.New(&mqtt.Options{
		Capabilities: caps,
		// The broker logs per connection and per packet (every refused
		// report at error level): all of it is debug detail here, and a
		// misbehaving device must not be able to flood the log.
		Logger: slog.New(debugHandler{log.Handler()}).With("component", "mqtt"),
	})
	if err := srv.AddHook(&ingestHook{in: in}, nil); err != nil {
		return nil, err
	}
	ln := listeners.NewTCP(listeners.Config{ID: "reports", Address: addr})
	if err := srv.AddListener(ln); err != nil {
		srv.Close()
		return nil, fmt.Errorf("MQTT listen on %s: %w", addr, err)
	}
	return &broker{srv: srv, ln: ln}, nil
}

// addr is the address the broker listens on.
func (b *broker) addr() string { return b.ln.Address() }

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

// ingestHook admits any client (devices are authenticated by their report
// signatures, not by MQTT credentials) and runs every PUBLISH through the
// ingest path. A refused report is not forwarded to subscribers.
type ingestHook struct {
	mqtt.HookBase
	in *ingester
}

func (h *ingestHook) ID() string { return "depin-gateway" }

func (h *ingestHook) Provides(b byte) bool {
	return b == mqtt.OnConnectAuthenticate || b == mqtt.OnACLCheck || b == mqtt.OnPublish
}

func (h *ingestHook) OnConnectAuthenticate(*mqtt.Client, packets.Packet) bool { return true }

func (h *ingestHook) OnACLCheck(*mqtt.Client, string, bool) bool { return true }

// OnPublish tells an MQTT 5 client publishing at QoS ≥ 1 why a report was
// refused, in the PUBACK's reason code; older clients and QoS 0 cannot be
// told, so their refused reports are acknowledged and dropped (they are
// counted). A duplicate is acknowledged as a success: its first copy is
// queued.
func (h *ingestHook) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	// Reports are never retained: any key can sign a report, so retained
	// messages under fresh device topics would grow without bound.
	pk.FixedHeader.Retain = false
	err := h.in.ingest(SourceMQTT, pk.TopicName, pk.Payload)
	if err == nil {
		return pk, nil
	}
	if cl.Properties.ProtocolVersion == 5 && pk.FixedHeader.Qos > 0 && !errors.Is(err, ErrDuplicate) {
		return pk, mqttCode(err)
	}
	return pk, packets.CodeSuccessIgnore
}

// mqttCode maps an ingest error to a PUBACK reason code.
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
