package agent

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/eclipse/paho.golang/autopaho"
	"github.com/eclipse/paho.golang/paho"
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
	return nil
}

// MQTTPublisher publishes reports to an MQTT 5 broker with QoS 1, on topic
// Topic(network, device). autopaho keeps the connection up: it reconnects
// with exponential backoff whenever the broker goes away, and Publish waits
// for the connection (as long as its ctx allows). A report is delivered at
// least once: after a lost PUBACK the queue sends it again, and the
// gateway drops the duplicate by its sequence number.
type MQTTPublisher struct {
	cm  *autopaho.ConnectionManager
	log *slog.Logger
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
		var b [6]byte
		_, _ = rand.Read(b[:])
		clientID = "depin-agent-" + hex.EncodeToString(b[:])
	}
	// The initial max delay of the backoff grows from min by 1.5× per
	// failed attempt up to max, with jitter.
	initial := min(2*cfg.ReconnectMin, cfg.ReconnectMax)
	ac := autopaho.ClientConfig{
		ServerUrls:                    []*url.URL{u},
		TlsCfg:                        cfg.TLS,
		KeepAlive:                     uint16(cfg.KeepAlive / time.Second),
		CleanStartOnInitialConnection: true,
		ReconnectBackoff:              autopaho.NewExponentialBackoff(cfg.ReconnectMin, cfg.ReconnectMax, initial, 1.5),
		ConnectTimeout:                cfg.ConnectTimeout,
		ConnectUsername:               cfg.Username,
		ConnectPassword:               []byte(cfg.Password),
		OnConnectionUp: func(*autopaho.ConnectionManager, *paho.Connack) {
			log.Info("mqtt connected")
		},
		OnConnectionDown: func() bool {
			log.Warn("mqtt connection lost; reconnecting")
			return true
		},
		OnConnectError: func(err error) {
			log.Debug("mqtt connect failed", "err", err)
		},
		ClientConfig: paho.ClientConfig{ClientID: clientID},
	}
	// The session and queue autopaho keeps by default hold only in-flight
	// messages; QueuedPublisher is the queue that survives outages.
	cm, err := autopaho.NewConnection(context.Background(), ac)
	if err != nil {
		return nil, err
	}
	return &MQTTPublisher{cm: cm, log: log}, nil
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

// Close disconnects from the broker (waiting at most 5 s).
func (p *MQTTPublisher) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.cm.Disconnect(ctx); err != nil {
		p.log.Warn("mqtt disconnect", "err", err)
	}
}
