package gateway

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/depinhq/depin/clock"
)

func post(t *testing.T, g *Gateway, body []byte) (int, reportReply, http.Header) {
	t.Helper()
	res, err := http.Post("http://"+g.HTTPAddr()+"/v1/reports", "application/x-protobuf", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var reply reportReply
	if err := json.NewDecoder(res.Body).Decode(&reply); err != nil {
		t.Fatalf("status %d, body is not JSON: %v", res.StatusCode, err)
	}
	return res.StatusCode, reply, res.Header
}

// serve sends one request to the gateway's HTTP handler, in process (for
// simulated tests, which have no listeners).
func serve(g *Gateway, method, path string, body []byte) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	g.handler().ServeHTTP(rec, httptest.NewRequest(method, path, bytes.NewReader(body)))
	return rec
}

// postReport is post through serve.
func postReport(t *testing.T, g *Gateway, body []byte) (int, reportReply, http.Header) {
	t.Helper()
	rec := serve(g, http.MethodPost, "/v1/reports", body)
	var reply reportReply
	if err := json.NewDecoder(rec.Body).Decode(&reply); err != nil {
		t.Fatalf("status %d, body is not JSON: %v", rec.Code, err)
	}
	return rec.Code, reply, rec.Header()
}

func TestHTTPReports(t *testing.T) {
	simulated(t, func(t *testing.T, clk *clock.Manual) {
		g := newSimGateway(t, simConfig(clk), newMemChain(clk))
		runGateway(t, g)
		dev := newDevice("a", "solar")

		valid := dev.report(t, testChainID)
		for _, tc := range []struct {
			name   string
			body   []byte
			status int
			reason string
		}{
			{"valid", valid, http.StatusAccepted, ""},
			{"duplicate", valid, http.StatusOK, ReasonDuplicate},
			{"junk", []byte("not a report"), http.StatusBadRequest, ReasonDecode},
			{"bad signature", dev.report(t, "another-chain"), http.StatusBadRequest, ReasonSignature},
			{"1024 bytes of junk", bytes.Repeat([]byte{0}, MaxReportBytes), http.StatusBadRequest, ReasonDecode},
			{"over 1024 bytes", bytes.Repeat([]byte{0}, MaxReportBytes+1), http.StatusRequestEntityTooLarge, ReasonTooLarge},
		} {
			status, reply, _ := postReport(t, g, tc.body)
			if status != tc.status || reply.Reason != tc.reason {
				t.Fatalf("%s: status %d reason %q (%+v), want %d %q", tc.name, status, reply.Reason, reply, tc.status, tc.reason)
			}
			if status == http.StatusAccepted && (reply.Status != "queued" || len(reply.ID) != 64) {
				t.Fatalf("%s: reply %+v", tc.name, reply)
			}
			if status == http.StatusRequestEntityTooLarge && !strings.Contains(reply.Error, "at most 1024 bytes") {
				t.Fatalf("%s: the 413 says %q, not the one limit (1024 bytes)", tc.name, reply.Error)
			}
		}
		runUntil(t, clk, "the valid report committed", time.Minute, func() bool { return g.Stats().Committed == 1 })
		if code := serve(g, http.MethodGet, "/v1/reports", nil).Code; code != http.StatusMethodNotAllowed {
			t.Fatalf("GET /v1/reports: %d", code)
		}
	})
}

// TestHTTPQueueFull: with the node down, one batch waits in flight, the
// queue fills up, and the next report is refused with 503 and Retry-After;
// nothing accepted is lost once the node is back.
func TestHTTPQueueFull(t *testing.T) {
	simulated(t, func(t *testing.T, clk *clock.Manual) {
		c := newMemChain(clk)
		c.down = true
		cfg := simConfig(clk)
		cfg.MaxBatchReports, cfg.QueueLimit = 2, 2
		cfg.MaxBatchWait = time.Hour // batches are cut by size only
		g := newSimGateway(t, cfg, c)
		runGateway(t, g)
		dev := newDevice("a", "solar")
		for i := range 4 {
			if status, reply, _ := postReport(t, g, dev.report(t, testChainID)); status != http.StatusAccepted {
				t.Fatalf("report %d: status %d %+v", i, status, reply)
			}
			if i == 1 {
				runUntil(t, clk, "a batch in flight", time.Minute, func() bool { return g.Stats().InFlight == 2 })
			}
		}
		if st := g.Stats(); st.Queued != 2 || st.InFlight != 2 {
			t.Fatalf("queued %d, in flight %d; want 2 and 2", st.Queued, st.InFlight)
		}
		status, reply, hdr := postReport(t, g, dev.report(t, testChainID))
		if status != http.StatusServiceUnavailable || reply.Reason != ReasonQueueFull || hdr.Get("Retry-After") == "" {
			t.Fatalf("status %d %+v, Retry-After %q; want 503 queue_full with Retry-After", status, reply, hdr.Get("Retry-After"))
		}
		c.set(func(c *memChain) { c.down = false })
		runUntil(t, clk, "the accepted reports committed", time.Minute, func() bool { return g.Stats().Committed == 4 })
		if st := g.Stats(); st.Refused[ReasonQueueFull] != 1 || st.Dropped != 0 {
			t.Fatalf("stats %+v", st)
		}
	})
}

func TestMetricsAndHealth(t *testing.T) {
	simulated(t, func(t *testing.T, clk *clock.Manual) {
		g := newSimGateway(t, simConfig(clk), newMemChain(clk))
		runGateway(t, g)
		dev := newDevice("a", "solar")
		postReport(t, g, dev.report(t, testChainID))
		postReport(t, g, []byte("junk"))
		runUntil(t, clk, "the report committed", time.Minute, func() bool { return g.Stats().Committed == 1 })

		rec := serve(g, http.MethodGet, "/metrics", nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("/metrics: %d", rec.Code)
		}
		body := rec.Body.String()
		for _, want := range []string{
			`depin_gateway_reports_received_total{source="http"} 2`,
			`depin_gateway_reports_received_total{source="mqtt"} 0`,
			`depin_gateway_reports_invalid_total{reason="decode"} 1`,
			`depin_gateway_reports_invalid_total{reason="signature"} 0`,
			`depin_gateway_reports_submitted_total 1`,
			`depin_gateway_reports_committed_total 1`,
			`depin_gateway_batches_total{result="committed"} 1`,
			`depin_gateway_queue_length 0`,
			`depin_gateway_commit_latency_seconds_count 1`,
			`depin_gateway_reports_chain_rejected_total{reason="unknown_device"} 1`,
			`go_goroutines`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
		// The latency is the clock's: the batch wait, then one block.
		if want := fmt.Sprintf("depin_gateway_commit_latency_seconds_sum %g", (simConfig(clk).MaxBatchWait + blockInterval).Seconds()); !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
		rec = serve(g, http.MethodGet, "/healthz", nil)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"status":"ok"`) || !strings.Contains(rec.Body.String(), testChainID) {
			t.Fatalf("/healthz: %d %s", rec.Code, rec.Body.String())
		}
	})
}

// getOutcome asks GET /v1/reports/{id} in process.
func getOutcome(t *testing.T, g *Gateway, id string) (int, Outcome) {
	t.Helper()
	rec := serve(g, http.MethodGet, "/v1/reports/"+id, nil)
	var o Outcome
	if err := json.NewDecoder(rec.Body).Decode(&o); err != nil {
		t.Fatalf("GET %s: status %d, body is not JSON: %v", id, rec.Code, err)
	}
	return rec.Code, o
}

// TestHTTPReportOutcome: the id POST /v1/reports returns is the hex
// SHA-256 of the body, and GET /v1/reports/{id} follows the report from
// pending to the chain's verdict (memChain rejects the first report of
// each batch as from an unknown device).
func TestHTTPReportOutcome(t *testing.T) {
	simulated(t, func(t *testing.T, clk *clock.Manual) {
		g := newSimGateway(t, simConfig(clk), newMemChain(clk))
		runGateway(t, g)
		dev := newDevice("a", "solar")
		var ids []string
		for range 3 {
			raw := dev.report(t, testChainID)
			status, reply, _ := postReport(t, g, raw)
			sum := sha256.Sum256(raw)
			if status != http.StatusAccepted || reply.ID != hex.EncodeToString(sum[:]) {
				t.Fatalf("POST: %d %+v; want 202 with id %x", status, reply, sum)
			}
			ids = append(ids, reply.ID)
		}
		if code, o := getOutcome(t, g, ids[2]); code != http.StatusOK || o.Status != StatusPending || o.Seq != 3 || o.Device != dev.topicDevice() || o.Network != "solar" {
			t.Fatalf("before the batch: %d %+v", code, o)
		}
		runUntil(t, clk, "the reports committed", time.Minute, func() bool { return g.Stats().Committed == 3 })
		for i, id := range ids {
			code, o := getOutcome(t, g, strings.ToUpper(id)) // either case
			if code != http.StatusOK || o.ID != id || o.Seq != uint64(i+1) || o.Height != 1 || len(o.TxHash) != 64 {
				t.Fatalf("report %d: %d %+v", i, code, o)
			}
			want := Outcome{Status: StatusAccepted}
			if i == 0 {
				want = Outcome{Status: StatusRejected, Reason: "unknown_device", Detail: "no device with this key is registered"}
			}
			if o.Status != want.Status || o.Reason != want.Reason || o.Detail != want.Detail {
				t.Fatalf("report %d: %+v, want status %q reason %q detail %q", i, o, want.Status, want.Reason, want.Detail)
			}
		}
		for path, want := range map[string]int{
			"/v1/reports/" + strings.Repeat("ab", 32): http.StatusNotFound,
			"/v1/reports/" + strings.Repeat("ab", 31): http.StatusBadRequest,
			"/v1/reports/" + strings.Repeat("zz", 32): http.StatusBadRequest,
		} {
			rec := serve(g, http.MethodGet, path, nil)
			var body map[string]string
			if rec.Code != want || json.Unmarshal(rec.Body.Bytes(), &body) != nil || body["error"] == "" {
				t.Errorf("GET %s: %d %s, want %d with an error", path, rec.Code, rec.Body.String(), want)
			}
		}
	})
}
