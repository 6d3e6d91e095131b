package agent_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/depinhq/depin/agent"
)

// gatewayStub answers POST /v1/reports with the statuses it is given in
// turn (then 200), recording each request.
type gatewayStub struct {
	mu       sync.Mutex
	statuses []int
	bodies   [][]byte
	problems []string
}

func (g *gatewayStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	g.mu.Lock()
	defer g.mu.Unlock()
	if r.Method != http.MethodPost || r.URL.Path != "/v1/reports" || r.Header.Get("Content-Type") != "application/octet-stream" {
		g.problems = append(g.problems, r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type"))
	}
	g.bodies = append(g.bodies, body)
	status := http.StatusAccepted
	if len(g.statuses) > 0 {
		status, g.statuses = g.statuses[0], g.statuses[1:]
	}
	w.WriteHeader(status)
	io.WriteString(w, http.StatusText(status))
}

func (g *gatewayStub) requests() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.bodies)
}

func fastQueue(next agent.Publisher) (*agent.QueuedPublisher, error) {
	cfg := agent.DefaultQueueConfig()
	cfg.MinBackoff, cfg.MaxBackoff, cfg.AttemptTimeout = 5*time.Millisecond, 50*time.Millisecond, 2*time.Second
	return agent.NewQueuedPublisher(next, cfg)
}

func TestHTTPPublisher(t *testing.T) {
	dev := newDevice(t, agent.DeviceConfig{})
	dev.Start(t0)
	payload, err := dev.NextReport(t0.Add(10*time.Second), constant{values: []uint64{5}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	cases := []struct {
		name     string
		statuses []int
		direct   error // what one Publish returns
		requests int   // through a queue, until delivered or rejected
		rejected uint64
	}{
		{"accepted", []int{202}, nil, 1, 0},
		{"bad request is final", []int{400}, agent.ErrRejected, 1, 1},
		{"unknown device is final", []int{404}, agent.ErrRejected, 1, 1},
		{"server errors are retried", []int{503, 500, 502}, agent.ErrUnavailable, 4, 0},
		{"too many requests is retried", []int{429}, agent.ErrUnavailable, 2, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stub := &gatewayStub{statuses: append([]int(nil), c.statuses...)}
			srv := httptest.NewServer(stub)
			defer srv.Close()
			pub, err := agent.NewHTTPPublisher(agent.HTTPConfig{URL: srv.URL + "/"})
			if err != nil {
				t.Fatal(err)
			}
			defer pub.Close()
			if err := pub.Publish(ctx, dev.Network(), dev.String(), payload); !errors.Is(err, c.direct) || (c.direct == nil) != (err == nil) {
				t.Fatalf("Publish: %v, want %v", err, c.direct)
			}
			if stub.requests() != 1 || string(stub.bodies[0]) != string(payload) || len(stub.problems) > 0 {
				t.Fatalf("%d requests, problems %v", stub.requests(), stub.problems)
			}

			// Through a queue: retried until accepted, or dropped at once.
			stub.statuses = append([]int(nil), c.statuses...)
			stub.bodies = nil
			q, err := fastQueue(pub)
			if err != nil {
				t.Fatal(err)
			}
			defer q.Close()
			if err := q.Publish(ctx, dev.Network(), dev.String(), payload); err != nil {
				t.Fatal(err)
			}
			fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			if err := q.Flush(fctx); err != nil {
				t.Fatal(err)
			}
			st := q.Stats()
			if stub.requests() != c.requests || st.Rejected != c.rejected || st.Delivered != 1-c.rejected {
				t.Fatalf("%d requests (want %d), stats %+v", stub.requests(), c.requests, st)
			}
		})
	}

	t.Run("gateway down", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		pub, _ := agent.NewHTTPPublisher(agent.HTTPConfig{URL: url})
		if err := pub.Publish(ctx, "n", "d", payload); !errors.Is(err, agent.ErrUnavailable) {
			t.Fatalf("Publish to a closed port: %v", err)
		}
	})
	for _, bad := range []string{"", "localhost:8080", "ftp://x", "http://"} {
		if _, err := agent.NewHTTPPublisher(agent.HTTPConfig{URL: bad}); err == nil {
			t.Errorf("URL %q accepted", bad)
		}
	}
}

// outcomeGateway answers POST /v1/reports with 202 and the report's id,
// and GET /v1/reports/{id} with pending for the first polls, then the
// outcome verdict gives (404 if it gives none).
type outcomeGateway struct {
	mu      sync.Mutex
	polls   map[string]int
	verdict func(id string, poll int) (int, agent.Outcome)
}

func (g *outcomeGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if r.Method == http.MethodPost {
		body, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusAccepted)
		json.NewEncoder(w).Encode(map[string]string{"status": "queued", "id": agent.ReportID(body)})
		return
	}
	id := strings.TrimPrefix(r.URL.Path, "/v1/reports/")
	g.polls[id]++
	status, o := g.verdict(id, g.polls[id])
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(o)
}

// TestHTTPOutcomes: with OnOutcome, every report delivered over HTTP gets
// its outcome once, polled from GET /v1/reports/{id} (pending is asked
// again; a report the gateway forgot is given up as unknown), and
// WaitOutcomes returns once all have arrived.
func TestHTTPOutcomes(t *testing.T) {
	dev := newDevice(t, agent.DeviceConfig{})
	dev.Start(t0)
	var payloads [][]byte
	for i := 1; i <= 3; i++ {
		p, err := dev.NextReport(t0.Add(time.Duration(i)*10*time.Second), constant{values: []uint64{1}})
		if err != nil {
			t.Fatal(err)
		}
		payloads = append(payloads, p)
	}
	forgotten := agent.ReportID(payloads[2])
	gw := &outcomeGateway{polls: map[string]int{}, verdict: func(id string, poll int) (int, agent.Outcome) {
		switch {
		case id == forgotten:
			return http.StatusNotFound, agent.Outcome{}
		case poll < 3:
			return http.StatusOK, agent.Outcome{ID: id, Status: agent.StatusPending}
		case id == agent.ReportID(payloads[1]):
			return http.StatusOK, agent.Outcome{ID: id, Seq: 2, Status: agent.StatusRejected, Reason: "period_overlap", Height: 9}
		default:
			return http.StatusOK, agent.Outcome{ID: id, Seq: 1, Status: agent.StatusAccepted, Height: 9}
		}
	}}
	srv := httptest.NewServer(gw)
	defer srv.Close()
	var mu sync.Mutex
	got := map[string]agent.Outcome{}
	calls := 0
	pub, err := agent.NewHTTPPublisher(agent.HTTPConfig{URL: srv.URL, PollInterval: 5 * time.Millisecond, OnOutcome: func(o agent.Outcome) {
		mu.Lock()
		defer mu.Unlock()
		got[o.ID] = o
		calls++
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, p := range payloads {
		if err := pub.Publish(ctx, dev.Network(), dev.String(), p); err != nil {
			t.Fatal(err)
		}
	}
	if err := pub.WaitOutcomes(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if calls != 3 {
		t.Fatalf("%d OnOutcome calls for 3 reports: %v", calls, got)
	}
	if o := got[agent.ReportID(payloads[0])]; o.Status != agent.StatusAccepted {
		t.Errorf("report 1: %+v", o)
	}
	if o := got[agent.ReportID(payloads[1])]; o.Status != agent.StatusRejected || o.Reason != "period_overlap" {
		t.Errorf("report 2: %+v", o)
	}
	if o := got[forgotten]; o.Status != agent.StatusUnknown || o.Seq != 3 || o.Device != dev.String() || !strings.Contains(o.Detail, "no longer knows") {
		t.Errorf("report 3: %+v", o)
	}
}
