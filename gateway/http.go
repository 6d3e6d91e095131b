package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// httpServer serves POST /v1/reports, GET /v1/reports/{id}, GET
// /v1/dispatch/{device}, GET /v1/vpp/members/{pool}/{device}, GET /metrics
// and GET /healthz.
type httpServer struct {
	ln  net.Listener
	srv *http.Server
}

func newHTTPServer(ln net.Listener, h http.Handler) *httpServer {
	return &httpServer{ln: ln, srv: &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
	}}
}

// handler routes the endpoint's requests.
func (g *Gateway) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/reports", g.handleReport)
	mux.HandleFunc("GET /v1/reports/{id}", g.handleReportOutcome)
	mux.HandleFunc("GET /v1/dispatch/{device}", g.handleDispatches)
	mux.HandleFunc("GET /v1/vpp/members/{pool}/{device}", g.handleMember)
	mux.Handle("GET /metrics", promhttp.HandlerFor(g.metrics.reg, promhttp.HandlerOpts{Registry: g.metrics.reg}))
	mux.HandleFunc("GET /healthz", g.handleHealth)
	mux.HandleFunc("/v1/reports", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "POST a report here; GET /v1/reports/{id} for one's outcome"})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such endpoint; try POST /v1/reports, GET /v1/reports/{id}, GET /v1/dispatch/{device}, GET /v1/vpp/members/{pool}/{device}, GET /healthz or GET /metrics"})
	})
	return mux
}

// run serves until ctx ends, then lets requests in progress finish.
func (h *httpServer) run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- h.srv.Serve(h.ln) }()
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil // Close was called
		}
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := h.srv.Shutdown(sctx); err != nil {
		h.srv.Close()
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// close releases the listener if run never served it.
func (h *httpServer) close() {
	h.srv.Close()
	h.ln.Close()
}

// reportReply is the JSON body of every POST /v1/reports answer.
type reportReply struct {
	Status string `json:"status"`           // queued, duplicate, invalid, unavailable
	ID     string `json:"id,omitempty"`     // the report id: hex SHA-256 of the body
	Reason string `json:"reason,omitempty"` // why not queued (see the Reason constants)
	Error  string `json:"error,omitempty"`
}

// handleReport takes one SignedReport (the raw protobuf bytes) per
// request: 202 queued; 200 already queued (a duplicate: nothing to
// retry); 400 invalid; 413 over MaxReportBytes; 503 queue full or
// stopping (retry later, with Retry-After). Every answer but the 413
// carries the report's id, for GET /v1/reports/{id}.
func (g *Gateway) handleReport(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxReportBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			g.metrics.received(SourceHTTP)
			g.metrics.refused(ReasonTooLarge)
			writeJSON(w, http.StatusRequestEntityTooLarge, reportReply{Status: "invalid", Reason: ReasonTooLarge,
				Error: fmt.Sprintf("%v: the body is one SignedReport, at most %d bytes", ErrTooLarge, MaxReportBytes)})
			return
		}
		writeJSON(w, http.StatusBadRequest, reportReply{Status: "invalid", Reason: ReasonDecode, Error: "reading the body: " + err.Error()})
		return
	}
	id := ReportID(sha256.Sum256(body))
	err = g.ingest.ingest(SourceHTTP, "", body)
	reason := ""
	if err != nil {
		reason = reasonOf(err)
	}
	switch {
	case err == nil:
		writeJSON(w, http.StatusAccepted, reportReply{Status: "queued", ID: id})
	case errors.Is(err, ErrDuplicate):
		writeJSON(w, http.StatusOK, reportReply{Status: "duplicate", ID: id, Reason: reason})
	case invalid(reason):
		writeJSON(w, http.StatusBadRequest, reportReply{Status: "invalid", ID: id, Reason: reason, Error: err.Error()})
	default:
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusServiceUnavailable, reportReply{Status: "unavailable", ID: id, Reason: reason, Error: err.Error()})
	}
}

// handleReportOutcome is GET /v1/reports/{id}: 200 with the report's
// Outcome (status pending while it waits for the chain); 404 if the
// gateway does not know the id (never received, or settled longer ago
// than its last OutcomeWindow outcomes); 400 if the id is not 64 hex
// digits.
func (g *Gateway) handleReportOutcome(w http.ResponseWriter, r *http.Request) {
	h, err := parseReportID(r.PathValue("id"))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"status": "invalid", "error": err.Error()})
		return
	}
	o, ok := g.results.store.get(h)
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"id": ReportID(h), "status": "not_found", "error": fmt.Sprintf(
			"no report with this id: this gateway never received it, or settled it before its last %d outcomes; the chain's record of the device (GET /v1/devices/{id} on a node: reports.last_seq) says how far it got", g.cfg.OutcomeWindow)})
		return
	}
	writeJSON(w, http.StatusOK, o)
}

// handleHealth answers 200 with a summary while the gateway runs.
func (g *Gateway) handleHealth(w http.ResponseWriter, _ *http.Request) {
	st := g.Stats()
	writeJSON(w, http.StatusOK, map[string]any{
		"status":    "ok",
		"chain_id":  g.ingest.chainID,
		"queued":    st.Queued,
		"in_flight": st.InFlight,
		"submitted": st.Submitted,
		"committed": st.Committed,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
