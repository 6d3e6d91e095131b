package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
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

func TestHTTPReports(t *testing.T) {
	c := newMemChain(t)
	cfg := testConfig()
	cfg.MQTTListen = ""
	g := newGateway(t, cfg, c)
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
		{"over 1 KiB", bytes.Repeat([]byte{0}, 1500), http.StatusBadRequest, ReasonDecode},
		{"over 2 KiB", bytes.Repeat([]byte{0}, MaxHTTPBodyBytes+1), http.StatusRequestEntityTooLarge, ReasonTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, reply, _ := post(t, g, tc.body)
			if status != tc.status || reply.Reason != tc.reason {
				t.Fatalf("status %d reason %q (%+v), want %d %q", status, reply.Reason, reply, tc.status, tc.reason)
			}
			if status == http.StatusAccepted && (reply.Status != "queued" || len(reply.ID) != 64) {
				t.Fatalf("reply %+v", reply)
			}
		})
	}
	waitFor(t, "the valid report committed", func() bool { return g.Stats().Committed == 1 })

	t.Run("wrong method", func(t *testing.T) {
		res, err := http.Get("http://" + g.HTTPAddr() + "/v1/reports")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusMethodNotAllowed {
			t.Fatalf("GET /v1/reports: %d", res.StatusCode)
		}
	})
}

// TestHTTPQueueFull: with the node down, one batch waits in flight, the
// queue fills up, and the next report is refused with 503 and Retry-After;
// nothing accepted is lost once the node is back.
func TestHTTPQueueFull(t *testing.T) {
	c := newMemChain(t)
	c.down = true
	cfg := testConfig()
	cfg.MQTTListen = ""
	cfg.MaxBatchReports, cfg.QueueLimit = 2, 2
	cfg.MaxBatchWait = time.Hour // batches are cut by size only
	g := newGateway(t, cfg, c)
	runGateway(t, g)
	dev := newDevice("a", "solar")
	for i := range 4 {
		if status, reply, _ := post(t, g, dev.report(t, testChainID)); status != http.StatusAccepted {
			t.Fatalf("report %d: status %d %+v", i, status, reply)
		}
		if i == 1 {
			waitFor(t, "a batch in flight", func() bool { return g.Stats().InFlight == 2 })
		}
	}
	if st := g.Stats(); st.Queued != 2 || st.InFlight != 2 {
		t.Fatalf("queued %d, in flight %d; want 2 and 2", st.Queued, st.InFlight)
	}
	status, reply, hdr := post(t, g, dev.report(t, testChainID))
	if status != http.StatusServiceUnavailable || reply.Reason != ReasonQueueFull || hdr.Get("Retry-After") == "" {
		t.Fatalf("status %d %+v, Retry-After %q; want 503 queue_full with Retry-After", status, reply, hdr.Get("Retry-After"))
	}
	c.set(func(c *memChain) { c.down = false })
	waitFor(t, "the accepted reports committed", func() bool { return g.Stats().Committed == 4 })
	if st := g.Stats(); st.Refused[ReasonQueueFull] != 1 || st.Dropped != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestMetricsAndHealth(t *testing.T) {
	c := newMemChain(t)
	cfg := testConfig()
	cfg.MQTTListen = ""
	g := newGateway(t, cfg, c)
	runGateway(t, g)
	dev := newDevice("a", "solar")
	post(t, g, dev.report(t, testChainID))
	post(t, g, []byte("junk"))
	waitFor(t, "the report committed", func() bool { return g.Stats().Committed == 1 })

	get := func(path string) (int, string) {
		res, err := http.Get("http://" + g.HTTPAddr() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	status, body := get("/metrics")
	if status != http.StatusOK {
		t.Fatalf("/metrics: %d", status)
	}
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
	status, body = get("/healthz")
	if status != http.StatusOK || !strings.Contains(body, `"status":"ok"`) || !strings.Contains(body, testChainID) {
		t.Fatalf("/healthz: %d %s", status, body)
	}
}
