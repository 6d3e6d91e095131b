package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/eclipse/paho.golang/autopaho"
	"github.com/eclipse/paho.golang/paho"
)

// subscriber takes reports from an external MQTT broker (paho's
// autopaho: it reconnects, and subscribes again on every connection), and
// publishes the outcomes of reports to the devices' results topics there.
type subscriber struct {
	cfg  autopaho.ClientConfig
	log  *slog.Logger
	once sync.Once
	// subscribed is closed once the first subscription is acknowledged.
	subscribed chan struct{}
	// results waits for resultWorkers to publish it; when full, outcomes
	// are dropped rather than held (devices can ask over HTTP).
	results chan resultMsg
}

var _ resultPublisher = (*subscriber)(nil)

type resultMsg struct {
	topic   string
	payload []byte
	retain  bool
}

// Outcomes publish at QoS 1, each waiting for the broker's PUBACK, so a
// few run at once; resultQueue outcomes may wait for them.
const (
	resultWorkers = 16
	resultQueue   = 20_000
)

func newSubscriber(c Config, in *ingester, log *slog.Logger) (*subscriber, error) {
	u, err := url.Parse(c.MQTTBroker)
	if err != nil {
		return nil, fmt.Errorf("MQTT broker URL: %w", err)
	}
	// With a client id of its own, the gateway keeps its session across
	// disconnections and restarts: the broker holds QoS 1 reports for it
	// meanwhile. A random id would never come back for its session, and a
	// session left behind in a shared subscription would swallow its
	// share of the reports until it expired: it gets none.
	id, expiry := c.MQTTClientID, uint32(300)
	if id == "" {
		var b [6]byte
		rand.Read(b[:])
		id, expiry = "depin-gateway-"+hex.EncodeToString(b[:]), 0
	}
	log = log.With("component", "mqtt", "broker", u.Redacted())
	s := &subscriber{log: log, subscribed: make(chan struct{}), results: make(chan resultMsg, resultQueue)}
	s.cfg = autopaho.ClientConfig{
		ServerUrls:                    []*url.URL{u},
		KeepAlive:                     30,
		CleanStartOnInitialConnection: false,
		SessionExpiryInterval:         expiry,
		ReconnectBackoff:              autopaho.NewExponentialBackoff(100*time.Millisecond, 30*time.Second, time.Second, 2),
		ConnectTimeout:                10 * time.Second,
		ConnectUsername:               c.MQTTUsername,
		ConnectPassword:               []byte(c.MQTTPassword),
		OnConnectionUp: func(cm *autopaho.ConnectionManager, _ *paho.Connack) {
			log.Info("connected to the MQTT broker; subscribing", "topic", c.MQTTTopic)
			go s.subscribe(cm, c.MQTTTopic) // the callback must not block
		},
		OnConnectError: func(err error) { log.Warn("cannot connect to the MQTT broker; retrying", "err", err) },
		ClientConfig: paho.ClientConfig{
			ClientID: id,
			OnPublishReceived: []func(paho.PublishReceived) (bool, error){
				func(pr paho.PublishReceived) (bool, error) {
					// The broker has had the report already: a refused one
					// is counted and dropped (see ingest).
					_ = in.ingest(SourceMQTT, pr.Packet.Topic, pr.Packet.Payload)
					return true, nil
				},
			},
			OnClientError: func(err error) { log.Warn("MQTT connection error", "err", err) },
			OnServerDisconnect: func(d *paho.Disconnect) {
				log.Warn("MQTT broker closed the connection", "reason_code", d.ReasonCode)
			},
		},
	}
	return s, nil
}

func (s *subscriber) subscribe(cm *autopaho.ConnectionManager, topic string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ack, err := cm.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: topic, QoS: 1}}})
	if err != nil {
		// The connection dropped, or the broker refused: a reconnection
		// subscribes again.
		s.log.Error("MQTT subscribe failed", "topic", topic, "err", err)
		return
	}
	if len(ack.Reasons) > 0 && ack.Reasons[0] >= 0x80 {
		s.log.Error("MQTT broker refused the subscription", "topic", topic, "reason_code", ack.Reasons[0])
		return
	}
	s.once.Do(func() { close(s.subscribed) })
}

// run stays connected until ctx ends, publishing results meanwhile.
func (s *subscriber) run(ctx context.Context) error {
	cm, err := autopaho.NewConnection(ctx, s.cfg)
	if err != nil {
		return fmt.Errorf("MQTT client: %w", err)
	}
	var wg sync.WaitGroup
	for range resultWorkers {
		wg.Go(func() { s.publishResults(ctx, cm) })
	}
	<-ctx.Done()
	<-cm.Done() // cancelling ctx disconnects
	wg.Wait()
	return nil
}

// publishResult queues an outcome for the broker; false if the queue is
// full.
func (s *subscriber) publishResult(topic string, payload []byte) bool {
	select {
	case s.results <- resultMsg{topic: topic, payload: payload}:
		return true
	default:
		return false
	}
}

// publishRetained queues a retained message (a dispatch, or an empty
// payload clearing one) for the broker; false if the queue is full.
func (s *subscriber) publishRetained(topic string, payload []byte) bool {
	select {
	case s.results <- resultMsg{topic: topic, payload: payload, retain: true}:
		return true
	default:
		return false
	}
}

// publishResults publishes queued outcomes until ctx ends. One that
// fails (the connection is down) is logged and dropped: results are best
// effort, GET /v1/reports/{id} and the chain are the record.
func (s *subscriber) publishResults(ctx context.Context, cm *autopaho.ConnectionManager) {
	for {
		var m resultMsg
		select {
		case <-ctx.Done():
			return
		case m = <-s.results:
		}
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := cm.Publish(pctx, &paho.Publish{Topic: m.topic, QoS: 1, Retain: m.retain, Payload: m.payload})
		cancel()
		if err != nil && ctx.Err() == nil {
			s.log.Debug("cannot publish a result to the MQTT broker", "topic", m.topic, "err", err)
		}
	}
}
