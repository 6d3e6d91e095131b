package agent

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/eclipse/paho.golang/autopaho"
	"github.com/eclipse/paho.golang/paho"

	"github.com/depinhq/depin/crypto"
)

// MQTTConfig configures an MQTTPublisher.
type MQTTConfig struct {
	BrokerURL string      // mqtt://host:1883, tls://host:8883, ws://host/mqtt, wss://…
	ClientID  string      // default depin-agent-<random>
	Username  string      // optional
	Password  string      // optional
	TLS       *tls.Config // for tls:// and wss://
	KeepAlive time.Duration
	// ConnectTimeout bounds one connection attempt.
	ConnectTimeout time.Duration
	// ReconnectMin and ReconnectMax bound the exponential backoff between
	// connection attempts.
	ReconnectMin, ReconnectMax time.Duration
	Logger                     *slog.Logger

	// OnOutcome, if set, is handed the gateway's outcome of each report of
	// Device: the publisher subscribes to ResultsTopic(Device) on every
	// connection (keeping its session for up to 5 minutes across
	// reconnections, so results published meanwhile still arrive). Each
	// report Publish delivers gets one call — its outcome, or an unknown
	// one after OutcomeTimeout — and so does any other result published
	// for the device. It is called from the MQTT client's goroutine: it
	// must not block for long.
	OnOutcome func(Outcome)
	// OnDispatch, if set, is handed each dispatch the gateway forwards to
	// Device (docs/DEVICE-PROTOCOL.md §7.2): the publisher subscribes to
	// DispatchTopic(Device) on every connection, like to the results. A
	// gateway retains a device's last dispatch, so it is handed over again
	// after every reconnection: the same dispatch (ID) may come more than
	// once. A payload that does not parse, or names another device, is
	// logged and dropped. It is called from the MQTT client's goroutine:
	// it must not block for long (NewDispatchChannel makes a channel of
	// it).
	OnDispatch func(Dispatch)
	// Device is the device (depindev1…) whose results and dispatches to
	// subscribe to; it is also the default ClientID, because a gateway's
	// embedded broker lets only the client whose client id is the device
	// id subscribe to its topics. Required with OnOutcome or OnDispatch.
	Device string
	// OutcomeTimeout is how long to wait for a report's outcome
	// (DefaultOutcomeTimeout if 0).
	OutcomeTimeout time.Duration
	// Clock times OutcomeTimeout (default SystemClock).
	Clock Clock
}

// DefaultMQTTConfig is a configuration for a broker at brokerURL.
func DefaultMQTTConfig(brokerURL string) MQTTConfig {
	return MQTTConfig{
		BrokerURL:      brokerURL,
		KeepAlive:      30 * time.Second,
		ConnectTimeout: 10 * time.Second,
		ReconnectMin:   time.Second,
		ReconnectMax:   time.Minute,
	}
}

// Validate checks the configuration.
func (c MQTTConfig) Validate() error {
	u, err := url.Parse(c.BrokerURL)
	if err != nil || u.Host == "" {
		return fmt.Errorf("broker URL %q: want mqtt://host:port (or tls, ws, wss)", c.BrokerURL)
	}
	switch u.Scheme {
	case "mqtt", "tcp", "tls", "ssl", "mqtts", "ws", "wss":
	default:
		return fmt.Errorf("broker URL %q: scheme %q is not mqtt, tls, ws or wss", c.BrokerURL, u.Scheme)
	}
	if c.KeepAlive < time.Second || c.KeepAlive > 18*time.Hour {
		return fmt.Errorf("keepalive %v: want 1s to 18h", c.KeepAlive)
	}
	if c.ConnectTimeout <= 0 {
		return fmt.Errorf("connect timeout %v: want > 0", c.ConnectTimeout)
	}
	if c.ReconnectMin < time.Millisecond || c.ReconnectMax <= c.ReconnectMin {
		return fmt.Errorf("reconnect backoff %v..%v: want 1ms ≤ min < max", c.ReconnectMin, c.ReconnectMax)
	}
	if c.OnOutcome != nil || c.OnDispatch != nil {
		if _, err := crypto.ParseDeviceID(c.Device); err != nil {
			return fmt.Errorf("outcomes and dispatches: device %q: want the depindev1… id whose topics to subscribe to (%v)", c.Device, err)
		}
	}
	if c.OutcomeTimeout < 0 {
		return fmt.Errorf("outcome timeout %v: want ≥ 0", c.OutcomeTimeout)
	}
	return nil
}

// MQTTPublisher publishes reports to an MQTT 5 broker with QoS 1, on topic
// Topic(network, device). autopaho keeps the connection up: it reconnects
// with exponential backoff whenever the broker goes away, and Publish waits
// for the connection (as long as its ctx allows). A report is delivered at
// least once: after a lost PUBACK the queue sends it again, and the
// gateway drops the duplicate by the SHA-256 of its bytes (a resent
// report must be the very bytes first sent). With OnOutcome it also
// follows the device's results topic, with OnDispatch its dispatch topic
// (a device that only listens for dispatches publishes nothing).
type MQTTPublisher struct {
	cm         *autopaho.ConnectionManager
	log        *slog.Logger
	device     string
	outcomes   *awaited       // nil without OnOutcome
	onDispatch func(Dispatch) // nil without OnDispatch
	clock      Clock
	stop       context.CancelFunc
	done       chan struct{} // closed when the expiry loop ends
}

var _ Publisher = (*MQTTPublisher)(nil)

// NewMQTTPublisher starts connecting to the broker in the background and
// returns at once; Close stops it.
func NewMQTTPublisher(cfg MQTTConfig) (*MQTTPublisher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	u, _ := url.Parse(cfg.BrokerURL)
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("broker", u.Redacted())
	clientID := cfg.ClientID
	if clientID == "" {
		clientID = cfg.Device
	}
	if clientID == "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		clientID = "depin-agent-" + hex.EncodeToString(b[:])
	}
	clk := cfg.Clock
	if clk == nil {
		clk = SystemClock()
	}
	p := &MQTTPublisher{log: log, device: cfg.Device, clock: clk, onDispatch: cfg.OnDispatch, done: make(chan struct{})}
	var sessionExpiry uint32
	var onPublish []func(paho.PublishReceived) (bool, error)
	var topics []string
	results, dispatches := ResultsTopic(cfg.Device), DispatchTopic(cfg.Device)
	if cfg.OnOutcome != nil {
		p.outcomes = newAwaited(cfg.OnOutcome, cfg.OutcomeTimeout)
		topics = append(topics, results)
	}
	if cfg.OnDispatch != nil {
		topics = append(topics, dispatches)
	}
	if len(topics) > 0 {
		sessionExpiry = 300 // the gateway's broker keeps a session at most 5 minutes
		onPublish = append(onPublish, func(pr paho.PublishReceived) (bool, error) {
			switch pr.Packet.Topic {
			case results:
				if p.outcomes != nil {
					p.received(pr.Packet.Payload)
				}
			case dispatches:
				if p.onDispatch != nil {
					p.dispatched(pr.Packet.Payload)
				}
			}
			return true, nil
		})
	}
	// The initial max delay of the backoff grows from min by 1.5× per
	// failed attempt up to max, with jitter.
	initial := min(2*cfg.ReconnectMin, cfg.ReconnectMax)
	ac := autopaho.ClientConfig{
		ServerUrls:                    []*url.URL{u},
		TlsCfg:                        cfg.TLS,
		KeepAlive:                     uint16(cfg.KeepAlive / time.Second),
		CleanStartOnInitialConnection: true,
		SessionExpiryInterval:         sessionExpiry,
		ReconnectBackoff:              autopaho.NewExponentialBackoff(cfg.ReconnectMin, cfg.ReconnectMax, initial, 1.5),
		ConnectTimeout:                cfg.ConnectTimeout,
		ConnectUsername:               cfg.Username,
		ConnectPassword:               []byte(cfg.Password),
		OnConnectionUp: func(cm *autopaho.ConnectionManager, _ *paho.Connack) {
			log.Info("mqtt connected")
			if len(topics) > 0 {
				go p.subscribe(cm, topics) // the callback must not block
			}
		},
		OnConnectionDown: func() bool {
			log.Warn("mqtt connection lost; reconnecting")
			return true
		},
		OnConnectError: func(err error) {
			log.Debug("mqtt connect failed", "err", err)
		},
		ClientConfig: paho.ClientConfig{ClientID: clientID, OnPublishReceived: onPublish},
	}
	// The session and queue autopaho keeps by default hold only in-flight
	// messages; QueuedPublisher is the queue that survives outages.
	cm, err := autopaho.NewConnection(context.Background(), ac)
	if err != nil {
		return nil, err
	}
	p.cm = cm
	ctx, stop := context.WithCancel(context.Background())
	p.stop = stop
	go func() {
		defer close(p.done)
		if p.outcomes != nil {
			p.expireLoop(ctx)
		}
	}()
	return p, nil
}

// subscribe subscribes to the device's topics (on every connection: a
// session the broker dropped takes its subscriptions along).
func (p *MQTTPublisher) subscribe(cm *autopaho.ConnectionManager, topics []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	subs := make([]paho.SubscribeOptions, len(topics))
	for i, t := range topics {
		subs[i] = paho.SubscribeOptions{Topic: t, QoS: 1}
	}
	ack, err := cm.Subscribe(ctx, &paho.Subscribe{Subscriptions: subs})
	if err != nil && ack == nil {
		p.log.Warn("cannot subscribe to the device's topics; a reconnection tries again", "topics", topics, "err", err)
		return
	}
	for i, t := range topics {
		if i < len(ack.Reasons) && ack.Reasons[i] >= 0x80 {
			p.log.Warn("the broker refused a subscription to the device's topics (a gateway's broker allows it only to a client whose client id is the device id)",
				"topic", t, "reason_code", fmt.Sprintf("%#02x", ack.Reasons[i]))
			continue
		}
		p.log.Debug("subscribed", "topic", t)
	}
}

// dispatched handles a message on the dispatch topic. An empty one is a
// gateway clearing its retained dispatch.
func (p *MQTTPublisher) dispatched(payload []byte) {
	if len(payload) == 0 {
		return
	}
	d, err := ParseDispatch(payload)
	if err != nil {
		p.log.Warn("ignoring a dispatch that does not parse", "err", err)
		return
	}
	if d.Device != p.device {
		p.log.Warn("ignoring a dispatch for another device", "dispatch", d.ID, "device", d.Device)
		return
	}
	p.onDispatch(d)
}

// received handles a message on the results topic.
func (p *MQTTPublisher) received(payload []byte) {
	var o Outcome
	if err := json.Unmarshal(payload, &o); err != nil || o.ID == "" {
		p.log.Debug("ignoring a results message that is not an outcome", "err", err)
		return
	}
	p.outcomes.settle(o)
}

// expireLoop gives up on outcomes that do not come in time.
func (p *MQTTPublisher) expireLoop(ctx context.Context) {
	every := min(p.outcomes.timeout/10, 10*time.Second)
	for p.clock.Sleep(ctx, every) == nil {
		p.outcomes.expire(p.clock.Now())
	}
}

// WaitOutcomes waits until every report Publish delivered has had its
// outcome (the gateway's, or an unknown one after OutcomeTimeout), or ctx
// ends. Without OnOutcome it returns at once.
func (p *MQTTPublisher) WaitOutcomes(ctx context.Context) error {
	if p.outcomes == nil {
		return nil
	}
	return p.outcomes.wait(ctx)
}

// AwaitConnection waits until the broker connection is up.
func (p *MQTTPublisher) AwaitConnection(ctx context.Context) error {
	return p.cm.AwaitConnection(ctx)
}

// PUBACK reason codes that mean the broker (the gateway) will never take
// this report: everything else at or above 0x80 is taken as transient.
const (
	pubackNotAuthorized        = 0x87
	pubackTopicNameInvalid     = 0x90
	pubackPayloadFormatInvalid = 0x99
)

// Publish sends one report with QoS 1 and waits for the broker's PUBACK.
// While the broker is unreachable it waits for the connection until ctx
// ends (ErrUnavailable). A PUBACK with reason "not authorized", "topic name
// invalid" or "payload format invalid" is a rejection (ErrRejected).
func (p *MQTTPublisher) Publish(ctx context.Context, network, device string, payload []byte) error {
	if err := checkTopicLevels(network, device); err != nil {
		return err
	}
	if err := p.cm.AwaitConnection(ctx); err != nil {
		return fmt.Errorf("%w: mqtt broker not connected: %v", ErrUnavailable, err)
	}
	resp, err := p.cm.Publish(ctx, &paho.Publish{
		QoS:     1,
		Topic:   Topic(network, device),
		Payload: payload,
	})
	if err == nil {
		if p.outcomes != nil && device == p.device {
			p.outcomes.add(payload, p.clock.Now())
		}
		return nil
	}
	if resp != nil {
		switch resp.ReasonCode {
		case pubackNotAuthorized, pubackTopicNameInvalid, pubackPayloadFormatInvalid:
			reason := ""
			if resp.Properties != nil {
				reason = resp.Properties.ReasonString
			}
			return fmt.Errorf("%w: device %s: PUBACK 0x%02x %s", ErrRejected, device, resp.ReasonCode, reason)
		}
	}
	if errors.Is(err, autopaho.ConnectionDownError) {
		return fmt.Errorf("%w: mqtt connection went down", ErrUnavailable)
	}
	return fmt.Errorf("%w: mqtt publish: %v", ErrUnavailable, err)
}

// Close disconnects from the broker (waiting at most 5 s). Outcomes
// still awaited are not handed over: call WaitOutcomes first.
func (p *MQTTPublisher) Close() {
	p.stop()
	<-p.done
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.cm.Disconnect(ctx); err != nil {
		p.log.Warn("mqtt disconnect", "err", err)
	}
}
