package gateway

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/depinhq/depin/agent"
	"github.com/depinhq/depin/clock"
	"github.com/depinhq/depin/crypto"
)

// TestAgentOutcomes runs the device SDK against the gateway: over MQTT
// (subscribed to its results topic, which the broker's ACL lets it read
// with its device id as client id) and over HTTP (polling GET
// /v1/reports/{id}), each report delivered comes back with the chain's
// verdict, in the SDK's Outcome type, parsed from the gateway's JSON.
func TestAgentOutcomes(t *testing.T) {
	cfg := testConfig()
	g := newGateway(t, cfg, newMemChain(clock.System{}))
	runGateway(t, g)
	dev := newDevice("agent", "solar")
	name := crypto.DeviceString(dev.id)

	var mu sync.Mutex
	got := map[string]agent.Outcome{}
	record := func(o agent.Outcome) {
		mu.Lock()
		got[o.ID] = o
		mu.Unlock()
	}
	mc := agent.DefaultMQTTConfig("mqtt://" + g.MQTTAddr())
	mc.Device, mc.OnOutcome = name, record
	mqttPub, err := agent.NewMQTTPublisher(mc)
	if err != nil {
		t.Fatal(err)
	}
	defer mqttPub.Close()
	httpPub, err := agent.NewHTTPPublisher(agent.HTTPConfig{URL: "http://" + g.HTTPAddr(), PollInterval: 20 * time.Millisecond, OnOutcome: record})
	if err != nil {
		t.Fatal(err)
	}
	defer httpPub.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if err := mqttPub.AwaitConnection(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the results subscription", func() bool {
		_, ok := g.broker.srv.Topics.Subscribers(ResultsTopic(dev.id)).Subscriptions[name]
		return ok
	})
	var sent []string
	for i := range 6 {
		raw := dev.report(t, testChainID)
		var pub agent.Publisher = mqttPub
		if i%2 == 1 {
			pub = httpPub
		}
		if err := pub.Publish(ctx, "solar", name, raw); err != nil {
			t.Fatalf("report %d: %v", i, err)
		}
		sent = append(sent, agent.ReportID(raw))
	}
	if err := mqttPub.WaitOutcomes(ctx); err != nil {
		t.Fatal(err)
	}
	if err := httpPub.WaitOutcomes(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for i, id := range sent {
		o, ok := got[id]
		if !ok || o.Seq != uint64(i+1) || o.Device != name || o.Height == 0 ||
			(o.Status != agent.StatusAccepted && (o.Status != agent.StatusRejected || o.Reason != "unknown_device")) {
			t.Errorf("report %d: %+v (%v)", i+1, o, ok)
		}
	}
}
