package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"

	"github.com/depinhq/depin/clock"
	"github.com/depinhq/depin/crypto"
)

// mqttPublisher connects a paho (MQTT 5) client to addr, as a device would.
func mqttPublisher(t *testing.T, addr, id string) *paho.Client {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	cl := paho.NewClient(paho.ClientConfig{ClientID: id, Conn: conn})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	ack, err := cl.Connect(ctx, &paho.Connect{ClientID: id, KeepAlive: 30, CleanStart: true})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	if ack.ReasonCode != 0 {
		t.Fatalf("connect refused: reason code %#x", ack.ReasonCode)
	}
	t.Cleanup(func() { cl.Disconnect(&paho.Disconnect{}) })
	return cl
}

func publish(t *testing.T, cl *paho.Client, topic string, payload []byte) byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	res, err := cl.Publish(ctx, &paho.Publish{Topic: topic, QoS: 1, Payload: payload})
	if res == nil {
		t.Fatalf("publish to %s: %v", topic, err)
	}
	return res.ReasonCode
}

// TestMQTTEmbeddedBroker runs the real broker on a free port: devices
// publish over MQTT 5 at QoS 1, valid reports reach the chain in order,
// refused ones get the reason in their PUBACK.
func TestMQTTEmbeddedBroker(t *testing.T) {
	c := newMemChain(clock.System{})
	cfg := testConfig()
	cfg.HTTPListen = ""
	g := newGateway(t, cfg, c)
	if !strings.HasPrefix(g.MQTTAddr(), "127.0.0.1:") || strings.HasSuffix(g.MQTTAddr(), ":0") {
		t.Fatalf("MQTTAddr %q: want the bound loopback port", g.MQTTAddr())
	}
	runGateway(t, g)

	devs := []*device{newDevice("a", "solar"), newDevice("b", "solar")}
	pubs := []*paho.Client{mqttPublisher(t, g.MQTTAddr(), "dev-a"), mqttPublisher(t, g.MQTTAddr(), "dev-b")}
	var sent []string
	for i := range 20 {
		dev, pub := devs[i%2], pubs[i%2]
		raw := dev.report(t, testChainID)
		if code := publish(t, pub, dev.topic(), raw); code != 0 {
			t.Fatalf("report %d: PUBACK reason code %#x", i, code)
		}
		sent = append(sent, reportBytes(t, raw))
		if i == 0 {
			// A copy is acknowledged as a success and not queued twice.
			if code := publish(t, pub, dev.topic(), raw); code != 0 {
				t.Fatalf("duplicate: reason code %#x", code)
			}
		}
	}
	refusals := []struct {
		name  string
		topic string
		raw   []byte
		code  byte
	}{
		{"junk", devs[0].topic(), []byte("junk"), 0x99},
		{"another device's topic", devs[1].topic(), devs[0].report(t, testChainID), 0x90},
		{"bad signature", devs[0].topic(), devs[0].report(t, "another-chain"), 0x87},
	}
	for _, r := range refusals {
		if code := publish(t, pubs[0], r.topic, r.raw); code != r.code {
			t.Errorf("%s: PUBACK reason code %#x, want %#x", r.name, code, r.code)
		}
	}
	waitFor(t, "20 reports committed", func() bool { return g.Stats().Committed == 20 })
	got, _ := c.committed()
	// Two publishers: each device's reports keep their order; together,
	// they are the 20 sent.
	if len(got) != 20 || !sameSet(got, sent) {
		t.Fatalf("chain has %d reports; want the 20 published", len(got))
	}
	st := g.Stats()
	if st.ReceivedMQTT != 24 || st.Invalid[ReasonDuplicate] != 1 || st.Invalid[ReasonDecode] != 1 ||
		st.Invalid[ReasonTopic] != 1 || st.Invalid[ReasonSignature] != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// TestMQTTExternalBroker: the gateway subscribes to another broker (a
// second, standalone mochi instance) and submits what devices publish
// there.
func TestMQTTExternalBroker(t *testing.T) {
	ext := mqtt.New(&mqtt.Options{Logger: testLogger(t)})
	if err := ext.AddHook(new(auth.AllowHook), nil); err != nil {
		t.Fatal(err)
	}
	ln := listeners.NewTCP(listeners.Config{ID: "ext", Address: "127.0.0.1:0"})
	if err := ext.AddListener(ln); err != nil {
		t.Fatal(err)
	}
	if err := ext.Serve(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ext.Close() })

	c := newMemChain(clock.System{})
	cfg := testConfig()
	cfg.MQTTListen, cfg.HTTPListen = "", ""
	cfg.MQTTBroker = "tcp://" + ln.Address()
	cfg.MQTTClientID = "gateway-under-test"
	g := newGateway(t, cfg, c)
	if g.MQTTAddr() != "" {
		t.Fatalf("MQTTAddr %q with an external broker", g.MQTTAddr())
	}
	runGateway(t, g)
	select {
	case <-g.mqttSub.subscribed:
	case <-time.After(10 * time.Second):
		t.Fatal("the gateway did not subscribe to the external broker")
	}

	dev := newDevice("a", "solar")
	_, _, results := subscribe(t, ln.Address(), "dev-a-results", ResultsTopic(dev.id))
	pub := mqttPublisher(t, ln.Address(), "dev-a")
	var sent []string
	for range 10 {
		raw := dev.report(t, testChainID)
		if code := publish(t, pub, dev.topic(), raw); code >= 0x80 {
			t.Fatalf("PUBACK reason code %#x", code)
		}
		sent = append(sent, reportBytes(t, raw))
	}
	publish(t, pub, "depin/v1/solar/depindev1nobody/report", []byte("junk"))
	waitFor(t, "10 reports committed", func() bool { return g.Stats().Committed == 10 })
	got, _ := c.committed()
	if !slices.Equal(got, sent) {
		t.Fatalf("chain has %d reports; want the 10 published, in order", len(got))
	}
	waitFor(t, "the junk counted", func() bool { return g.Stats().Invalid[ReasonDecode] == 1 })
	// The outcomes go to the device's results topic on that broker (whose
	// ACL is its own business).
	for i := range 10 {
		select {
		case p := <-results:
			var o Outcome
			if err := json.Unmarshal(p.Payload, &o); err != nil || o.Device != crypto.DeviceString(dev.id) || o.Height == 0 {
				t.Fatalf("result %d: %s (%v)", i, p.Payload, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%d results of 10 after 10 s", i)
		}
	}
}

// lockedBuffer is a log sink for several goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestNoPayloadInLogs holds the package rule: report payloads never reach
// the log at info level or above, whatever a device sends.
func TestNoPayloadInLogs(t *testing.T) {
	var logs lockedBuffer
	lg := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	c := newMemChain(clock.System{})
	g, err := New(testConfig(), c, lg)
	if err != nil {
		t.Fatal(err)
	}
	stop := runGateway(t, g)
	const marker = "PAYLOAD-MARKER-7f3a"
	dev := newDevice("a", "solar")
	pub := mqttPublisher(t, g.MQTTAddr(), "dev-a")
	publish(t, pub, dev.topic(), []byte(marker))
	publish(t, pub, "depin/v1/"+marker, []byte(marker))
	publish(t, pub, dev.topic(), dev.report(t, testChainID))
	post(t, g, []byte(marker))
	waitFor(t, "the valid report committed", func() bool { return g.Stats().Committed == 1 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), marker) {
		t.Fatalf("a payload reached the log:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "gateway running") {
		t.Fatalf("the log has nothing at info level; the check is vacuous:\n%s", logs.String())
	}
}

// TestMQTTBrokerLimits: the embedded broker holds at most MQTTMaxClients
// clients (the next is refused, not queued) and retains no report, so
// no one can fill its memory with connections or retained messages under
// fresh device topics.
func TestMQTTBrokerLimits(t *testing.T) {
	c := newMemChain(clock.System{})
	cfg := testConfig()
	cfg.HTTPListen = ""
	cfg.MQTTMaxClients = 2
	g := newGateway(t, cfg, c)
	runGateway(t, g)
	dev := newDevice("a", "solar")
	pub := mqttPublisher(t, g.MQTTAddr(), "dev-a")
	// A valid report published with the retain flag is taken, not retained.
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if res, err := pub.Publish(ctx, &paho.Publish{Topic: dev.topic(), QoS: 1, Retain: true, Payload: dev.report(t, testChainID)}); err != nil || res.ReasonCode != 0 {
		t.Fatalf("publish: %v %v", res, err)
	}
	waitFor(t, "the report committed", func() bool { return g.Stats().Committed == 1 })
	// The broker stores retained messages before it acknowledges the
	// publish: none is there, so no subscriber can be sent one.
	if kept := g.broker.srv.Topics.Messages(TopicFilter); len(kept) != 0 {
		t.Fatalf("%d reports retained (%s)", len(kept), kept[0].TopicName)
	}
	// A second client is admitted.
	conn, err := net.DialTimeout("tcp", g.MQTTAddr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	second := paho.NewClient(paho.ClientConfig{ClientID: "second", Conn: conn})
	if ack, err := second.Connect(ctx, &paho.Connect{ClientID: "second", KeepAlive: 30, CleanStart: true}); err != nil || ack.ReasonCode != 0 {
		t.Fatalf("second client: %v %v", ack, err)
	}
	defer second.Disconnect(&paho.Disconnect{})
	// A third client is refused: the broker holds two.
	conn3, err := net.DialTimeout("tcp", g.MQTTAddr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	third := paho.NewClient(paho.ClientConfig{ClientID: "third", Conn: conn3})
	ack, err := third.Connect(ctx, &paho.Connect{ClientID: "third", KeepAlive: 30, CleanStart: true})
	if ack == nil || ack.ReasonCode != 0x89 {
		// 0x89 server busy is what Config.MQTTMaxClients promises MQTT 5
		// clients.
		t.Fatalf("a third client past MQTTMaxClients = 2: CONNACK %v (%v), want reason code 0x89 server busy", ack, err)
	}
}

// subscribe connects a paho client with client id id and subscribes it
// to filter at QoS 1; it returns the SUBACK's reason code and string and a
// channel of what it is sent.
func subscribe(t *testing.T, addr, id, filter string) (byte, string, <-chan *paho.Publish) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan *paho.Publish, 100)
	cl := paho.NewClient(paho.ClientConfig{ClientID: id, Conn: conn, OnPublishReceived: []func(paho.PublishReceived) (bool, error){
		func(pr paho.PublishReceived) (bool, error) { got <- pr.Packet; return true, nil },
	}})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if ack, err := cl.Connect(ctx, &paho.Connect{ClientID: id, KeepAlive: 30, CleanStart: true}); err != nil || ack.ReasonCode != 0 {
		t.Fatalf("connect %s: %v %v", id, ack, err)
	}
	t.Cleanup(func() { cl.Disconnect(&paho.Disconnect{}) })
	sa, err := cl.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: filter, QoS: 1}}})
	if sa == nil || len(sa.Reasons) != 1 {
		t.Fatalf("subscribe %s to %s: %v %v", id, filter, sa, err)
	}
	reason := ""
	if sa.Properties != nil {
		reason = sa.Properties.ReasonString
	}
	return sa.Reasons[0], reason, got
}

// TestMQTTResults: a device subscribed to its results topic (with its
// device id as client id) gets the outcome of each of its reports once
// the batch commits, as JSON with the report's id; nobody else may
// subscribe to that topic or a wildcard over results, and a catch-all
// subscriber is not sent other devices' results.
func TestMQTTResults(t *testing.T) {
	cfg := testConfig()
	cfg.HTTPListen = ""
	g := newGateway(t, cfg, newMemChain(clock.System{}))
	runGateway(t, g)
	dev := newDevice("a", "solar")
	topic := ResultsTopic(dev.id)
	for _, tc := range []struct {
		id, filter string
		want       byte
	}{
		{"snoop", topic, 0x87},
		{"snoop-wild", "depin/devices/+/results", 0x87},
		{dev.topicDevice() + "x", topic, 0x87},
		{dev.topicDevice(), "depin/devices/" + dev.topicDevice() + "/#", 0x87},
	} {
		if code, reason, _ := subscribe(t, g.MQTTAddr(), tc.id, tc.filter); code != tc.want || !strings.Contains(reason, "with the device id as client id") {
			t.Errorf("client %s subscribing to %s: SUBACK %#x %q, want %#x and why", tc.id, tc.filter, code, reason, tc.want)
		}
	}
	_, _, everything := subscribe(t, g.MQTTAddr(), "catch-all", "#")
	code, _, results := subscribe(t, g.MQTTAddr(), dev.topicDevice(), topic)
	if code != 1 {
		t.Fatalf("the device subscribing to its results: SUBACK %#x, want 0x01", code)
	}

	pub := mqttPublisher(t, g.MQTTAddr(), "dev-a-publisher")
	var ids []string
	for range 3 {
		raw := dev.report(t, testChainID)
		if code := publish(t, pub, dev.topic(), raw); code != 0 {
			t.Fatalf("PUBACK %#x", code)
		}
		sum := sha256.Sum256(raw)
		ids = append(ids, hex.EncodeToString(sum[:]))
	}
	seen := map[string]Outcome{}
	for len(seen) < 3 {
		select {
		case p := <-results:
			var o Outcome
			if p.Topic != topic || json.Unmarshal(p.Payload, &o) != nil {
				t.Fatalf("on %s: %s", p.Topic, p.Payload)
			}
			seen[o.ID] = o
		case <-time.After(10 * time.Second):
			t.Fatalf("results after 10 s: %v", seen)
		}
	}
	rejected := 0
	for i, id := range ids {
		o, ok := seen[id]
		if !ok || o.Seq != uint64(i+1) || o.Device != dev.topicDevice() || o.Height == 0 || len(o.TxHash) != 64 {
			t.Fatalf("result of report %d: %+v (%v)", i, o, ok)
		}
		switch o.Status {
		case StatusRejected:
			rejected++
			if o.Reason != "unknown_device" || o.Detail == "" {
				t.Fatalf("rejection without its reason: %+v", o)
			}
		case StatusAccepted:
		default:
			t.Fatalf("result %+v", o)
		}
	}
	if rejected == 0 { // memChain rejects the first report of every batch
		t.Fatalf("no rejection among %v", seen)
	}
	if st := g.Stats(); st.ResultsPublished != 3 || st.ResultsDropped != 0 {
		t.Fatalf("results published %d, dropped %d", st.ResultsPublished, st.ResultsDropped)
	}
	// Sent with the device's, so by now they would be here.
	for len(everything) > 0 {
		if p := <-everything; strings.HasPrefix(p.Topic, ResultsTopicPrefix) {
			t.Fatalf("a catch-all subscriber was sent %s", p.Topic)
		}
	}
}
