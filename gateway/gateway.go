package gateway

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/depinhq/depin/clock"
	"github.com/depinhq/depin/crypto"
)

// Gateway is one running gateway: its ways in (embedded MQTT broker or
// external broker subscription, HTTP endpoint), its queue and the batcher
// that submits to the chain.
type Gateway struct {
	cfg     Config
	log     *slog.Logger
	chain   Chain
	addr    crypto.Address
	metrics *metrics
	queue   *queue
	results *results
	ingest  *ingester
	sub     *submitter
	batcher *batcher
	broker  *broker     // embedded broker, or nil
	mqttSub *subscriber // external broker, or nil
	http    *httpServer // or nil

	dispatches *dispatchStore
	dispatcher *dispatcher // nil when dispatches are not followed

	ran       atomic.Bool
	closeOnce sync.Once
}

// New checks cfg, binds the listeners (so that their addresses are known,
// also for port 0) and returns a gateway ready to Run. chain is the node
// to submit to, usually a *client.Client.
func New(cfg Config, chain Chain, log *slog.Logger) (*Gateway, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if chain == nil {
		return nil, errors.New("gateway: no chain client")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "gateway")
	clk := cfg.Clock
	if clk == nil {
		clk = clock.System{}
	}
	g := &Gateway{
		cfg:   cfg,
		log:   log,
		chain: chain,
		addr:  crypto.AddressFromPubKey(cfg.SubmitterKey.Public().(ed25519.PublicKey)),
		queue: newQueue(cfg.QueueLimit, cfg.MaxBatchReports, cfg.MaxBatchBytes),
	}
	g.metrics = newMetrics(g.queue.len)
	g.results = &results{store: newOutcomeStore(cfg.OutcomeWindow), metrics: g.metrics, log: log}
	g.ingest = &ingester{
		chainID:  cfg.ChainID,
		queue:    g.queue,
		recent:   newRecentSet(cfg.DedupeWindow),
		verifier: &verifier{},
		outcomes: g.results.store,
		metrics:  g.metrics,
		log:      log,
		clock:    clk,
	}
	g.sub = &submitter{
		chain:   chain,
		key:     cfg.SubmitterKey,
		addr:    g.addr,
		chainID: cfg.ChainID,
		cfg:     cfg,
		metrics: g.metrics,
		results: g.results,
		log:     log,
		clock:   clk,
	}
	g.batcher = &batcher{queue: g.queue, sub: g.sub, cfg: cfg, metrics: g.metrics, log: log, clock: clk}
	g.dispatches = newDispatchStore(cfg.DispatchWindow)
	if cfg.DispatchPoll > 0 {
		g.dispatcher = &dispatcher{chain: chain, store: g.dispatches, metrics: g.metrics, log: log, clock: clk,
			poll: cfg.DispatchPoll, lookback: cfg.DispatchLookback}
	}

	if cfg.HTTPListen != "" {
		ln, err := net.Listen("tcp", cfg.HTTPListen)
		if err != nil {
			return nil, fmt.Errorf("HTTP listen on %s: %w", cfg.HTTPListen, err)
		}
		g.http = newHTTPServer(ln, g.handler())
	}
	if cfg.MQTTListen != "" {
		b, err := newBroker(cfg.MQTTListen, cfg.MQTTMaxClients, g.ingest, log)
		if err != nil {
			g.Close()
			return nil, err
		}
		g.broker = b
		g.results.pub = b
		if g.dispatcher != nil {
			g.dispatcher.pub = b
		}
	}
	if cfg.MQTTBroker != "" {
		s, err := newSubscriber(cfg, g.ingest, log)
		if err != nil {
			g.Close()
			return nil, err
		}
		g.mqttSub = s
		g.results.pub = s
		if g.dispatcher != nil {
			g.dispatcher.pub = s
		}
	}
	return g, nil
}

// Run learns the chain id (waiting for the node if needed), then serves
// and submits until ctx ends; it then stops taking reports, drains the
// queue for up to Config.DrainTimeout and returns. It returns an error only
// if a subsystem failed. Run may be called once.
func (g *Gateway) Run(ctx context.Context) error {
	if !g.ran.CompareAndSwap(false, true) {
		return errors.New("gateway: Run called twice")
	}
	defer g.Close()
	chainID, err := g.resolveChainID(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	if g.cfg.ChainID == "" {
		// Set before any server starts, so no report is checked without it.
		g.ingest.chainID, g.sub.chainID = chainID, chainID
	}
	g.log.Info("gateway running", "chain_id", chainID, "submitter", g.addr,
		"mqtt_listen", g.MQTTAddr(), "mqtt_broker", g.cfg.MQTTBroker, "http_listen", g.HTTPAddr(),
		"max_batch", g.cfg.MaxBatchReports, "max_wait", g.cfg.MaxBatchWait)

	eg, ctx := errgroup.WithContext(ctx)
	if g.broker != nil {
		eg.Go(func() error { return g.broker.run(ctx) })
	}
	if g.mqttSub != nil {
		eg.Go(func() error { return g.mqttSub.run(ctx) })
	}
	if g.http != nil {
		eg.Go(func() error { return g.http.run(ctx) })
	}
	eg.Go(func() error { return g.batcher.run(ctx) })
	eg.Go(func() error { return g.summarize(ctx) })
	if g.dispatcher != nil {
		// Stopped with the others; the dispatches it missed meanwhile
		// are read again on a restart (Config.DispatchLookback).
		eg.Go(func() error { return g.dispatcher.run(ctx) })
	}
	err = eg.Wait()
	st := g.Stats()
	g.log.Info("gateway stopped", "received", st.ReceivedMQTT+st.ReceivedHTTP, "committed", st.Committed,
		"dropped", st.Dropped, "queued", st.Queued)
	return err
}

// resolveChainID returns the configured chain id, checked against the
// node's when the node answers, or the node's, waiting for it to answer.
func (g *Gateway) resolveChainID(ctx context.Context) (string, error) {
	if g.cfg.ChainID != "" {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		id, err := g.chain.ChainID(cctx)
		cancel()
		switch {
		case err != nil:
			g.log.Warn("cannot check the chain id with the node; using the configured one", "chain_id", g.cfg.ChainID, "err", err)
		case id != g.cfg.ChainID:
			return "", fmt.Errorf("gateway: configured for chain %q but the node is on %q", g.cfg.ChainID, id)
		}
		return g.cfg.ChainID, nil
	}
	bo := backoff{min: g.cfg.RetryMin, max: g.cfg.RetryMax, clock: g.sub.clock}
	for warned := false; ; warned = true {
		id, err := g.chain.ChainID(ctx)
		if err == nil {
			return id, nil
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		if !warned {
			g.log.Warn("waiting for the node to learn the chain id", "err", err)
		}
		bo.wait(ctx)
	}
}

// Close releases the listeners if Run did not (Run closes them itself
// when it returns). It is safe to call more than once.
func (g *Gateway) Close() error {
	g.closeOnce.Do(func() {
		if g.http != nil {
			g.http.close()
		}
		if g.broker != nil {
			g.broker.close()
		}
	})
	return nil
}

// MQTTAddr is the embedded broker's listen address ("" if none).
func (g *Gateway) MQTTAddr() string {
	if g.broker == nil {
		return ""
	}
	return g.broker.addr()
}

// HTTPAddr is the HTTP endpoint's listen address ("" if none).
func (g *Gateway) HTTPAddr() string {
	if g.http == nil {
		return ""
	}
	return g.http.ln.Addr().String()
}

// Submitter is the account that signs and pays for the batches.
func (g *Gateway) Submitter() crypto.Address { return g.addr }

// Stats returns the counters since New.
func (g *Gateway) Stats() Stats { return g.metrics.stats(g.queue.len()) }

// Registry is the gateway's Prometheus registry (served at /metrics), for
// a program that serves metrics of its own.
func (g *Gateway) Registry() *prometheus.Registry { return g.metrics.reg }
