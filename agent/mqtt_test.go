package agent_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/depinhq/depin/agent"
)

// received is what a broker took: topic and payload.
type received struct {
	topic   string
	payload []byte
}

// recorder collects publishes across broker restarts.
type recorder struct {
	mu   sync.Mutex
	msgs []received
}

func (r *recorder) add(topic string, payload []byte) {
	r.mu.Lock()
	r.msgs = append(r.msgs, received{topic, bytes.Clone(payload)})
	r.mu.Unlock()
}

func (r *recorder) all() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.msgs...)
}

// recordHook records every publish before the broker acknowledges it (so a
// report acknowledged is a report recorded), and refuses payloads reject
// picks the way a gateway refuses invalid reports.
type recordHook struct {
	mqtt.HookBase
	rec    *recorder
	reject func(payload []byte) bool
}

func (h *recordHook) ID() string { return "record" }

func (h *recordHook) Provides(b byte) bool { return b == mqtt.OnPublish }

func (h *recordHook) OnPublish(_ *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if h.reject != nil && h.reject(pk.Payload) {
		return pk, packets.ErrPayloadFormatInvalid
	}
	h.rec.add(pk.TopicName, pk.Payload)
	return pk, nil
}

// startBroker runs a real mochi broker on addr (127.0.0.1:0 for any port),
// retrying while a just-closed one still holds the port.
func startBroker(t *testing.T, addr string, hook *recordHook) (*mqtt.Server, string) {
	t.Helper()
	srv := mqtt.New(&mqtt.Options{InlineClient: true, Logger: slog.New(slog.DiscardHandler)})
	if err := srv.AddHook(new(auth.AllowHook), nil); err != nil {
		t.Fatal(err)
	}
	if err := srv.AddHook(hook, nil); err != nil {
		t.Fatal(err)
	}
	tcp := listeners.NewTCP(listeners.Config{ID: "tcp", Address: addr})
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := srv.AddListener(tcp)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("listening on %s: %v", addr, err)
		}
		time.Sleep(10 * time.Millisecond)
		tcp = listeners.NewTCP(listeners.Config{ID: "tcp", Address: addr})
	}
	if err := srv.Serve(); err != nil {
		t.Fatal(err)
	}
	return srv, tcp.Address()
}

func fastMQTT(t *testing.T, addr string) *agent.MQTTPublisher {
	t.Helper()
	cfg := agent.DefaultMQTTConfig("mqtt://" + addr)
	cfg.ClientID = "test-" + t.Name()
	cfg.ReconnectMin, cfg.ReconnectMax, cfg.ConnectTimeout = 20*time.Millisecond, 200*time.Millisecond, time.Second
	pub, err := agent.NewMQTTPublisher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func TestMQTTPublish(t *testing.T) {
	rec := &recorder{}
	hook := &recordHook{rec: rec, reject: func(p []byte) bool { return bytes.Equal(p, []byte("garbage")) }}
	srv, addr := startBroker(t, "127.0.0.1:0", hook)
	defer srv.Close()
	// What a gateway subscribes to.
	sub := &recorder{}
	if err := srv.Subscribe("depin/v1/+/+/report", 1, func(_ *mqtt.Client, _ packets.Subscription, pk packets.Packet) {
		sub.add(pk.TopicName, pk.Payload)
	}); err != nil {
		t.Fatal(err)
	}

	pub := fastMQTT(t, addr)
	defer pub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	dev := newDevice(t, agent.DeviceConfig{})
	dev.Start(t0)
	var sent [][]byte
	for i := 1; i <= 5; i++ {
		payload, err := dev.NextReport(t0.Add(time.Duration(i)*10*time.Second), constant{values: []uint64{uint64(i)}})
		if err != nil {
			t.Fatal(err)
		}
		if err := pub.Publish(ctx, dev.Network(), dev.String(), payload); err != nil {
			t.Fatal(err)
		}
		sent = append(sent, payload)
	}
	wantTopic := "depin/v1/solar-berlin/" + dev.String() + "/report"
	got := rec.all()
	if len(got) != len(sent) {
		t.Fatalf("broker got %d reports, want %d", len(got), len(sent))
	}
	for i, m := range got {
		if m.topic != wantTopic || !bytes.Equal(m.payload, sent[i]) {
			t.Fatalf("report %d on %q", i, m.topic)
		}
		if r := decode(t, m.payload); r.Seq != uint64(i+1) {
			t.Fatalf("report %d has seq %d", i, r.Seq)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(sub.all()) < len(sent) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := len(sub.all()); n != len(sent) || sub.all()[0].topic != wantTopic {
		t.Fatalf("subscriber got %d reports", n)
	}

	// The gateway refuses: a permanent rejection, not retried.
	if err := pub.Publish(ctx, dev.Network(), dev.String(), []byte("garbage")); !errors.Is(err, agent.ErrRejected) {
		t.Fatalf("refused report: %v", err)
	}
	q, err := fastQueue(pub)
	if err != nil {
		t.Fatal(err)
	}
	q.Publish(ctx, dev.Network(), dev.String(), []byte("garbage"))
	if err := q.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if st := q.Stats(); st.Rejected != 1 || st.Retries != 0 {
		t.Fatalf("queue stats %+v", st)
	}
	// Topic levels cannot be smuggled in.
	if err := pub.Publish(ctx, "solar/#", dev.String(), sent[0]); !errors.Is(err, agent.ErrRejected) {
		t.Fatalf("network with a wildcard: %v", err)
	}
}

// TestMQTTBrokerRestart stops the broker mid-run and starts it again on
// the same port: the queue and autopaho's reconnect deliver every report,
// each device's in order (a report whose PUBACK was lost may arrive twice,
// right after itself; the gateway drops it by the hash of its bytes).
func TestMQTTBrokerRestart(t *testing.T) {
	rec := &recorder{}
	hook := &recordHook{rec: rec}
	srv, addr := startBroker(t, "127.0.0.1:0", hook)
	pub := fastMQTT(t, addr)
	cfg := agent.DefaultQueueConfig()
	cfg.MinBackoff, cfg.MaxBackoff, cfg.AttemptTimeout = 10*time.Millisecond, 100*time.Millisecond, 500*time.Millisecond
	q, err := agent.NewQueuedPublisher(pub, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := pub.AwaitConnection(ctx); err != nil {
		t.Fatal(err)
	}

	const devices, reports = 3, 90
	var devs []*agent.Device
	for i := range devices {
		d := newDevice(t, agent.DeviceConfig{Key: testKey(byte(10 + i))})
		d.Start(t0)
		devs = append(devs, d)
	}
	for i := 1; i <= reports; i++ {
		switch i {
		case reports / 3:
			srv.Close()
		case 2 * reports / 3:
			if st := q.Stats(); st.Pending == 0 {
				t.Fatalf("nothing queued while the broker was down: %+v", st)
			}
			srv, _ = startBroker(t, addr, hook)
		}
		for _, d := range devs {
			payload, err := d.NextReport(t0.Add(time.Duration(i)*10*time.Second), constant{values: []uint64{1}})
			if err != nil {
				t.Fatal(err)
			}
			if err := q.Publish(ctx, d.Network(), d.String(), payload); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(time.Millisecond) // let deliveries interleave with the outage
	}
	if err := q.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	last := map[string]uint64{}
	duplicates := 0
	for _, m := range rec.all() {
		r := decode(t, m.payload)
		dev := ""
		for _, d := range devs {
			if bytes.Equal(d.PublicKey(), r.DevicePublicKey) {
				dev = d.String()
			}
		}
		if m.topic != agent.Topic("solar-berlin", dev) {
			t.Fatalf("report of %s on %q", dev, m.topic)
		}
		switch {
		case r.Seq == last[dev]+1:
			last[dev] = r.Seq
		case r.Seq == last[dev]:
			duplicates++
		default:
			t.Fatalf("%s: seq %d after %d", dev, r.Seq, last[dev])
		}
	}
	for _, d := range devs {
		if last[d.String()] != reports {
			t.Errorf("%s: delivered up to seq %d of %d", d, last[d.String()], reports)
		}
	}
	st := q.Stats()
	if st.Delivered != devices*reports || st.Dropped != 0 || st.Rejected != 0 {
		t.Errorf("stats %+v", st)
	}
	t.Logf("queue %+v, %d duplicates", st, duplicates)
}

func TestMQTTConfig(t *testing.T) {
	for _, url := range []string{"", "localhost:1883", "http://x:1", "mqtt://"} {
		if _, err := agent.NewMQTTPublisher(agent.DefaultMQTTConfig(url)); err == nil {
			t.Errorf("broker URL %q accepted", url)
		}
	}
	cfg := agent.DefaultMQTTConfig("mqtt://127.0.0.1:1")
	cfg.ReconnectMax = cfg.ReconnectMin
	if _, err := agent.NewMQTTPublisher(cfg); err == nil {
		t.Error("reconnect max = min accepted")
	}
	// Publishing with nothing listening waits for the connection, then
	// says the gateway is unavailable.
	pub, err := agent.NewMQTTPublisher(agent.DefaultMQTTConfig("mqtt://127.0.0.1:1"))
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := pub.Publish(ctx, "n", "d", []byte("x")); !errors.Is(err, agent.ErrUnavailable) {
		t.Fatal(fmt.Sprint("publish without a broker: ", err))
	}
}

// TestMQTTOutcomes: with OnOutcome, the publisher connects with the
// device id as client id, subscribes to the device's results topic, and
// hands over each outcome published there (here by a stub gateway that
// answers every report at once); WaitOutcomes returns once every report
// delivered has its outcome.
func TestMQTTOutcomes(t *testing.T) {
	dev := newDevice(t, agent.DeviceConfig{})
	dev.Start(t0)
	rec := &recorder{}
	var clients sync.Map
	hook := &recordHook{rec: rec}
	srv, addr := startBroker(t, "127.0.0.1:0", hook)
	defer srv.Close()
	if err := srv.AddHook(&clientIDHook{seen: &clients}, nil); err != nil {
		t.Fatal(err)
	}
	if err := srv.Subscribe("depin/v1/+/+/report", 2, func(_ *mqtt.Client, _ packets.Subscription, pk packets.Packet) {
		r := decode(t, pk.Payload)
		status := agent.StatusAccepted
		if r.Seq == 2 {
			status = agent.StatusRejected
		}
		out, _ := json.Marshal(agent.Outcome{ID: agent.ReportID(pk.Payload), Device: dev.String(), Seq: r.Seq, Status: status, Height: 5})
		go srv.Publish(agent.ResultsTopic(dev.String()), out, false, 1)
	}); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	var got []agent.Outcome
	cfg := agent.DefaultMQTTConfig("mqtt://" + addr)
	cfg.ReconnectMin, cfg.ReconnectMax, cfg.ConnectTimeout = 20*time.Millisecond, 200*time.Millisecond, time.Second
	cfg.Device = dev.String()
	cfg.OnOutcome = func(o agent.Outcome) {
		mu.Lock()
		got = append(got, o)
		mu.Unlock()
	}
	pub, err := agent.NewMQTTPublisher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := pub.AwaitConnection(ctx); err != nil {
		t.Fatal(err)
	}
	// The subscription is made in the background once connected.
	for srv.Topics.Subscribers(agent.ResultsTopic(dev.String())).Subscriptions[dev.String()].Filter == "" {
		if ctx.Err() != nil {
			t.Fatal("the publisher did not subscribe to its results topic")
		}
		time.Sleep(2 * time.Millisecond)
	}
	for i := 1; i <= 3; i++ {
		payload, err := dev.NextReport(t0.Add(time.Duration(i)*10*time.Second), constant{values: []uint64{1}})
		if err != nil {
			t.Fatal(err)
		}
		if err := pub.Publish(ctx, dev.Network(), dev.String(), payload); err != nil {
			t.Fatal(err)
		}
	}
	if err := pub.WaitOutcomes(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 3 {
		t.Fatalf("%d outcomes for 3 reports: %v", len(got), got)
	}
	for _, o := range got {
		if want := map[uint64]string{1: agent.StatusAccepted, 2: agent.StatusRejected, 3: agent.StatusAccepted}[o.Seq]; o.Status != want || o.Height != 5 {
			t.Errorf("outcome %+v, want status %s", o, want)
		}
	}
	if _, ok := clients.Load(dev.String()); !ok {
		t.Error("the publisher did not use the device id as its client id")
	}
}

// clientIDHook records the client id of every publisher.
type clientIDHook struct {
	mqtt.HookBase
	seen *sync.Map
}

func (h *clientIDHook) ID() string { return "client-ids" }

func (h *clientIDHook) Provides(b byte) bool { return b == mqtt.OnPublish }

func (h *clientIDHook) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	h.seen.Store(cl.ID, true)
	return pk, nil
}
