package agent_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/depinhq/depin/agent"
	"github.com/depinhq/depin/wire"
)

func sampleDispatch(device string, id uint64) agent.Dispatch {
	return agent.Dispatch{ID: id, Pool: 3, Network: "grid", Device: device, Direction: agent.Discharge, PowerW: 2500,
		Start: time.Unix(1796200800, 0), End: time.Unix(1796201700, 0), Height: 40 + int64(id)}
}

// TestMQTTDispatches: with OnDispatch, the publisher subscribes to the
// device's dispatch topic and hands over each dispatch published there,
// the retained one on connecting first; junk and dispatches for another
// device are dropped.
func TestMQTTDispatches(t *testing.T) {
	dev := newDevice(t, agent.DeviceConfig{})
	srv, addr := startBroker(t, "127.0.0.1:0", &recordHook{rec: &recorder{}})
	defer srv.Close()
	topic := agent.DispatchTopic(dev.String())
	payload := func(d agent.Dispatch) []byte {
		b, err := json.Marshal(d.Wire())
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// Retained before the device connects, as a gateway does.
	if err := srv.Publish(topic, payload(sampleDispatch(dev.String(), 1)), true, 1); err != nil {
		t.Fatal(err)
	}

	handle, ch, dropped := agent.NewDispatchChannel(8)
	cfg := agent.DefaultMQTTConfig("mqtt://" + addr)
	cfg.ReconnectMin, cfg.ReconnectMax, cfg.ConnectTimeout = 20*time.Millisecond, 200*time.Millisecond, time.Second
	cfg.Device, cfg.OnDispatch = dev.String(), handle
	pub, err := agent.NewMQTTPublisher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	next := func() agent.Dispatch {
		t.Helper()
		select {
		case d := <-ch:
			return d
		case <-time.After(10 * time.Second):
			t.Fatal("no dispatch handed over")
			return agent.Dispatch{}
		}
	}
	if d := next(); d != sampleDispatch(dev.String(), 1) {
		t.Fatalf("retained dispatch %+v", d)
	}
	other := newDevice(t, agent.DeviceConfig{Key: testKey(9)})
	for _, p := range [][]byte{[]byte("junk"), payload(sampleDispatch(other.String(), 2)), {}, payload(sampleDispatch(dev.String(), 3))} {
		if err := srv.Publish(topic, p, false, 1); err != nil {
			t.Fatal(err)
		}
	}
	if d := next(); d != sampleDispatch(dev.String(), 3) {
		t.Fatalf("dispatch %+v, want the third (the others are not for this device)", d)
	}
	if dropped() != 0 {
		t.Errorf("%d dropped", dropped())
	}
	if err := (agent.MQTTConfig{BrokerURL: "mqtt://x:1", KeepAlive: time.Second, ConnectTimeout: time.Second, ReconnectMin: time.Millisecond,
		ReconnectMax: time.Second, OnDispatch: handle}).Validate(); err == nil {
		t.Error("OnDispatch without a device validated")
	}
}

func TestDispatchChannelNeverBlocks(t *testing.T) {
	handle, ch, dropped := agent.NewDispatchChannel(1)
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 3 {
			handle(sampleDispatch("d", uint64(i)))
		}
	})
	wg.Wait()
	if len(ch) != 1 || dropped() != 2 {
		t.Fatalf("%d in the channel, %d dropped", len(ch), dropped())
	}
}

// FuzzParseDispatch: the SDK's decoder of dispatch payloads never
// panics; what it accepts converts back to the same payload.
func FuzzParseDispatch(f *testing.F) {
	good, _ := json.Marshal(sampleDispatch("depindev1y8lrrhap2j3xzcntlp2qgm7jyudhhm2tmg9jgh", 1).Wire())
	f.Add(good)
	f.Add([]byte(`{"direction":"charge"}`))
	f.Add([]byte(`[1,2]`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		d, err := agent.ParseDispatch(payload)
		if err != nil {
			if !errors.Is(err, wire.ErrMalformedDispatch) {
				t.Fatalf("error %v", err)
			}
			return
		}
		if d.Direction != agent.Discharge && d.Direction != agent.Charge || !d.End.After(d.Start) || d.PowerW == 0 {
			t.Fatalf("accepted %+v", d)
		}
		w, _ := wire.ParseDispatch(payload)
		if d.Wire() != w {
			t.Fatalf("%+v converts back to %+v, not %+v", d, d.Wire(), w)
		}
	})
}

// TestHTTPDispatches: with OnDispatch, an HTTP publisher asks the
// gateway's GET /v1/dispatch/{device} and hands over each dispatch once.
func TestHTTPDispatches(t *testing.T) {
	dev := newDevice(t, agent.DeviceConfig{})
	var mu sync.Mutex
	listed := []agent.Dispatch{sampleDispatch(dev.String(), 1)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/dispatch/"+dev.String() {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		var ws []wire.Dispatch
		for _, d := range listed {
			ws = append(ws, d.Wire())
		}
		json.NewEncoder(w).Encode(map[string]any{"device": dev.String(), "dispatches": ws})
	}))
	defer srv.Close()
	handle, ch, _ := agent.NewDispatchChannel(8)
	pub, err := agent.NewHTTPPublisher(agent.HTTPConfig{URL: srv.URL, Device: dev.String(), OnDispatch: handle, DispatchPoll: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	next := func() agent.Dispatch {
		t.Helper()
		select {
		case d := <-ch:
			return d
		case <-time.After(10 * time.Second):
			t.Fatal("no dispatch handed over")
			return agent.Dispatch{}
		}
	}
	if d := next(); d.ID != 1 {
		t.Fatalf("%+v", d)
	}
	mu.Lock()
	listed = append(listed, sampleDispatch(dev.String(), 2))
	mu.Unlock()
	if d := next(); d.ID != 2 {
		t.Fatalf("%+v, want dispatch 2 (1 once only)", d)
	}
	if _, err := agent.NewHTTPPublisher(agent.HTTPConfig{URL: srv.URL, OnDispatch: handle}); err == nil {
		t.Error("OnDispatch without a device")
	}
}
