package gateway

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"

	"github.com/depinhq/depin/agent"
	"github.com/depinhq/depin/api/event"
	"github.com/depinhq/depin/clock"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	vppv1 "github.com/depinhq/depin/gen/depin/vpp/v1"
	"github.com/depinhq/depin/wire"
)

// allocated is the event the chain emits for dev's part of dispatch id.
func allocated(dev *device, id uint64, start, end int64, challenge bool) *vppv1.EventDispatchAllocated {
	return &vppv1.EventDispatchAllocated{Dispatch: id, Pool: 3, Network: dev.network, Device: dev.topicDevice(),
		Direction: vppv1.Direction_DIRECTION_DISCHARGE, PowerW: 2000 + id, Start: start, End: end, Challenge: challenge}
}

// nextMessage is the next message a subscription is sent.
func nextMessage(t *testing.T, got <-chan *paho.Publish) *paho.Publish {
	t.Helper()
	select {
	case p := <-got:
		return p
	case <-time.After(10 * time.Second):
		t.Fatal("no message")
		return nil
	}
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %d %s: %v", url, res.StatusCode, body, err)
	}
	return res.StatusCode
}

// TestDispatchesForwarded: the gateway reads the block-level events of
// every committed block and publishes each dispatch allocation, retained,
// on its device's dispatch topic — which only that device may read, and
// nobody may write — and lists it at GET /v1/dispatch/{device}; one whose
// window ended is listed, not published; other events are none of its
// business.
func TestDispatchesForwarded(t *testing.T) {
	chain := newMemChain(clock.System{})
	g := newGateway(t, testConfig(), chain)
	runGateway(t, g)
	addr := g.MQTTAddr()
	a, b := newDevice("a", "grid"), newDevice("b", "grid")
	for _, c := range []struct{ id, filter string }{
		{"snooper", dispatchTopic(a.topicDevice())},
		{b.topicDevice(), dispatchTopic(a.topicDevice())},
		{a.topicDevice(), "depin/devices/+/dispatch"},
		{a.topicDevice(), "depin/devices/#"},
	} {
		code, reason, _ := subscribe(t, addr, c.id, c.filter)
		if code != 0x87 || !strings.Contains(reason, "/dispatch") {
			t.Errorf("client %s subscribing to %s: SUBACK %#x %q, want 0x87 naming the dispatch topic", c.id, c.filter, code, reason)
		}
	}
	// (A client with a's id took a's place each time: a connects last.)
	code, _, gotA := subscribe(t, addr, a.topicDevice(), dispatchTopic(a.topicDevice()))
	if code >= 0x80 {
		t.Fatalf("the device's own subscription: SUBACK %#x", code)
	}

	now := time.Now().Unix()
	evs := []*vppv1.EventDispatchAllocated{
		allocated(a, 7, now+60, now+960, false),
		allocated(b, 7, now+60, now+960, false),
		allocated(a, 5, now-1000, now-100, true), // read too late: its window is over
	}
	h := chain.emit(event.ToABCI(evs[0]), event.ToABCI(&reportv1.EventReportBatch{Accepted: 1}), event.ToABCI(evs[1]), event.ToABCI(evs[2]))
	msg := nextMessage(t, gotA)
	d, err := wire.ParseDispatch(msg.Payload)
	if err != nil || d != wire.NewDispatch(evs[0], h) || msg.Topic != dispatchTopic(a.topicDevice()) {
		t.Fatalf("device a was sent %s on %s (%v), want %+v", msg.Payload, msg.Topic, err, wire.NewDispatch(evs[0], h))
	}
	waitFor(t, "the block to be read", func() bool { return g.Stats().DispatchHeight >= h })

	// b connects after the fact and is sent its retained dispatch.
	_, _, gotB := subscribe(t, addr, b.topicDevice(), dispatchTopic(b.topicDevice()))
	msg = nextMessage(t, gotB)
	if d, err := wire.ParseDispatch(msg.Payload); err != nil || d != wire.NewDispatch(evs[1], h) || !msg.Retain {
		t.Fatalf("device b was sent %s (retain %v, %v)", msg.Payload, msg.Retain, err)
	}

	// Over HTTP: both of a's, oldest first; none for a device never dispatched.
	var reply dispatchesReply
	if code := getJSON(t, "http://"+g.HTTPAddr()+"/v1/dispatch/"+a.topicDevice(), &reply); code != 200 ||
		reply.Device != a.topicDevice() || len(reply.Dispatches) != 2 ||
		reply.Dispatches[0] != wire.NewDispatch(evs[0], h) || reply.Dispatches[1] != wire.NewDispatch(evs[2], h) {
		t.Fatalf("GET /v1/dispatch/a: %d %+v", code, reply)
	}
	var none map[string]any
	if code := getJSON(t, "http://"+g.HTTPAddr()+"/v1/dispatch/"+newDevice("c", "grid").topicDevice(), &none); code != 200 ||
		fmt.Sprint(none["dispatches"]) != "[]" {
		t.Fatalf("GET /v1/dispatch/c: %d %v", code, none)
	}
	if code := getJSON(t, "http://"+g.HTTPAddr()+"/v1/dispatch/depindev1nope", &none); code != 400 {
		t.Fatalf("GET /v1/dispatch/depindev1nope: %d %v", code, none)
	}

	// Nobody publishes on a dispatch topic, not even its device.
	if code := publish(t, mqttPublisher(t, addr, a.topicDevice()+"-pub"), dispatchTopic(a.topicDevice()), msg.Payload); code != 0x90 {
		t.Errorf("a client publishing on a dispatch topic: PUBACK %#x, want 0x90", code)
	}
	st := g.Stats()
	if st.DispatchesForwarded != 2 || st.DispatchesStale != 1 || st.DispatchesDropped != 0 {
		t.Errorf("stats %+v", st)
	}
	res, err := http.Get("http://" + g.HTTPAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{"depin_gateway_dispatches_forwarded_total 2", "depin_gateway_dispatches_stale_total 1", fmt.Sprintf("depin_gateway_dispatch_height %d", st.DispatchHeight)} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	select {
	case m := <-gotA:
		t.Errorf("device a was also sent %s", m.Payload)
	default:
	}
}

// TestDispatchesReachTheSDK: the agent SDK's OnDispatch, connected with
// the device id, is handed the dispatch the chain allocated, and a
// simulated battery fleet's member follows it.
func TestDispatchesReachTheSDK(t *testing.T) {
	chain := newMemChain(clock.System{})
	g := newGateway(t, testConfig(), chain)
	runGateway(t, g)
	a := newDevice("sdk", "grid")
	handle, ch, _ := agent.NewDispatchChannel(4)
	mc := agent.DefaultMQTTConfig("mqtt://" + g.MQTTAddr())
	mc.Device, mc.OnDispatch = a.topicDevice(), handle
	sub, err := agent.NewMQTTPublisher(mc)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	waitFor(t, "the dispatch subscription", func() bool {
		_, ok := g.broker.srv.Topics.Subscribers(dispatchTopic(a.topicDevice())).Subscriptions[a.topicDevice()]
		return ok
	})
	now := time.Now().Unix()
	ev := allocated(a, 9, now+120, now+420, true)
	h := chain.emit(event.ToABCI(ev))
	select {
	case d := <-ch:
		if d.Wire() != wire.NewDispatch(ev, h) || !d.Challenge || d.Direction != agent.Discharge {
			t.Fatalf("handed %+v", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no dispatch handed over")
	}
}

// TestDispatchLookback: a gateway that starts reads the blocks its
// lookback covers (skipping what the node cannot give) and forwards the
// dispatches in them whose windows are still to come.
func TestDispatchLookback(t *testing.T) {
	chain := newMemChain(clock.System{})
	a := newDevice("late", "grid")
	now := time.Now().Unix()
	early := chain.emit(event.ToABCI(allocated(a, 1, now+60, now+600, false)))
	for range 5 {
		chain.emit()
	}
	cfg := testConfig()
	cfg.DispatchLookback = 3
	g := newGateway(t, cfg, chain)
	runGateway(t, g)
	waitFor(t, "the lookback", func() bool { return g.Stats().DispatchHeight == chain.height })
	if got := g.dispatches.get(a.topicDevice()); len(got) != 0 {
		t.Fatalf("block %d is beyond the lookback of 3, but %+v", early, got)
	}
	g2 := newGateway(t, testConfig(), chain) // lookback 600
	runGateway(t, g2)
	waitFor(t, "the lookback", func() bool { return len(g2.dispatches.get(a.topicDevice())) == 1 })
	if len(g2.broker.srv.Topics.Messages(dispatchTopic(a.topicDevice()))) != 1 {
		t.Error("the dispatch found looking back is not retained")
	}
}

// TestDispatchStoreIsBounded: the store keeps the last few dispatches of
// its last devices, and a gateway clears what the broker retains for a
// device it forgets.
func TestDispatchStoreIsBounded(t *testing.T) {
	s := newDispatchStore(2)
	devs := []*device{newDevice("1", "grid"), newDevice("2", "grid"), newDevice("3", "grid")}
	d := func(dev *device, id uint64) Dispatch { return wire.NewDispatch(allocated(dev, id, 100, 200, false), 1) }
	for id := range uint64(6) {
		if gone := s.add(d(devs[0], id)); len(gone) != 0 {
			t.Fatalf("forgot %v", gone)
		}
	}
	if got := s.get(devs[0].topicDevice()); len(got) != MaxDispatchesPerDevice || got[0].Dispatch != 2 || got[3].Dispatch != 5 {
		t.Fatalf("kept %+v", got)
	}
	s.add(d(devs[0], 3)) // again: moves to the end
	if got := s.get(devs[0].topicDevice()); len(got) != MaxDispatchesPerDevice || got[3].Dispatch != 3 {
		t.Fatalf("kept %+v", got)
	}
	s.add(d(devs[1], 1))
	s.add(d(devs[0], 9)) // device 0 is dispatched last now
	if gone := s.add(d(devs[2], 1)); len(gone) != 1 || gone[0] != devs[1].topicDevice() {
		t.Fatalf("forgot %v, want device 1", gone)
	}

	chain := newMemChain(clock.System{})
	cfg := testConfig()
	cfg.DispatchWindow = 1
	g := newGateway(t, cfg, chain)
	runGateway(t, g)
	now := time.Now().Unix()
	chain.emit(event.ToABCI(allocated(devs[0], 1, now+60, now+600, false)))
	waitFor(t, "device 0's retained dispatch", func() bool { return len(g.broker.srv.Topics.Messages(dispatchTopic(devs[0].topicDevice()))) == 1 })
	chain.emit(event.ToABCI(allocated(devs[1], 1, now+60, now+600, false)))
	waitFor(t, "device 0's retained dispatch to be cleared", func() bool {
		return len(g.broker.srv.Topics.Messages(dispatchTopic(devs[0].topicDevice()))) == 0 &&
			len(g.broker.srv.Topics.Messages(dispatchTopic(devs[1].topicDevice()))) == 1
	})
}
