package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// httpServer serves POST /v1/reports, GET /metrics and GET /healthz.
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
	mux.Handle("GET /metrics", promhttp.HandlerFor(g.metrics.reg, promhttp.HandlerOpts{Registry: g.metrics.reg}))
	mux.HandleFunc("GET /healthz", g.handleHealth)
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
	ID     string `json:"id,omitempty"`     // hex SHA-256 of the payload
	Reason string `json:"reason,omitempty"` // why not queued (see the Reason constants)
	Error  string `json:"error,omitempty"`
}

// handleReport takes one SignedReport (the raw protobuf bytes) per
// request: 202 queued; 200 already queued (a duplicate: nothing to
// retry); 400 invalid; 413 over MaxHTTPBodyBytes; 503 queue full or
// stopping (retry later, with Retry-After).
func (g *Gateway) handleReport(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxHTTPBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			g.metrics.received(SourceHTTP)
			g.metrics.refused(ReasonTooLarge)
			writeJSON(w, http.StatusRequestEntityTooLarge, reportReply{Status: "invalid", Reason: ReasonTooLarge,
				Error: ErrTooLarge.Error() + ": the body is one SignedReport, at most 2048 bytes"})
			return
		}
		writeJSON(w, http.StatusBadRequest, reportReply{Status: "invalid", Reason: ReasonDecode, Error: "reading the body: " + err.Error()})
		return
	}
	sum := sha256.Sum256(body)
	id := hex.EncodeToString(sum[:])
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
