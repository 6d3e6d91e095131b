package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/depinhq/depin/crypto"
)

// HTTPPublisher posts reports to a gateway's HTTP endpoint:
// POST <URL>/v1/reports, the body the SignedReport bytes. It tries once
// per call; wrap it in a QueuedPublisher to retry. With OnOutcome it
// follows each delivered report with GET <URL>/v1/reports/{id} until the
// gateway knows its outcome; with OnDispatch it asks GET
// <URL>/v1/dispatch/{device} for the device's dispatches.
type HTTPPublisher struct {
	endpoint string
	client   *http.Client
	log      *slog.Logger
	clock    Clock
	poll     time.Duration
	outcomes *awaited // nil without OnOutcome
	stop     context.CancelFunc
	done     chan struct{} // closed when the poll loops end

	device       string // whose dispatches, with OnDispatch
	dispatchURL  string // GET …/v1/dispatch/{device}
	dispatchPoll time.Duration
	onDispatch   func(Dispatch)
	seen         map[uint64]bool // dispatch ids handed over
	seenOrder    []uint64
}

var _ Publisher = (*HTTPPublisher)(nil)

// HTTPConfig configures an HTTPPublisher.
type HTTPConfig struct {
	URL    string       // the gateway's base URL, e.g. http://localhost:8080
	Client *http.Client // default: one with a 15 s timeout

	// OnOutcome, if set, is handed the gateway's outcome of each report
	// Publish delivers, exactly once: the publisher asks GET
	// /v1/reports/{id} every PollInterval until the report is settled, and
	// hands over an unknown outcome if the gateway forgot it (404) or
	// OutcomeTimeout passed. It is called from the poll loop's goroutine:
	// it must not block for long.
	OnOutcome func(Outcome)
	// PollInterval is how often awaited outcomes are asked for (default
	// 2 s: a batch waits up to a second, then needs a block).
	PollInterval time.Duration
	// OutcomeTimeout is how long to wait for an outcome
	// (DefaultOutcomeTimeout if 0).
	OutcomeTimeout time.Duration
	// OnDispatch, if set, is handed each dispatch the gateway forwarded to
	// Device (docs/DEVICE-PROTOCOL.md §7.2): the publisher asks GET
	// /v1/dispatch/{device} every DispatchPoll and hands over each
	// dispatch it has not handed over before (by ID; a gateway restart
	// may show one again). It is called from the poll loop's goroutine:
	// it must not block for long.
	OnDispatch func(Dispatch)
	// Device is the device (depindev1…) whose dispatches to ask for;
	// required with OnDispatch.
	Device string
	// DispatchPoll is how often dispatches are asked for (default 15 s:
	// they come at least a minute ahead of their windows).
	DispatchPoll time.Duration
	// Clock times the polling (default SystemClock).
	Clock  Clock
	Logger *slog.Logger
}

// NewHTTPPublisher checks cfg and returns the publisher; with OnOutcome,
// its poll loop runs until Close.
func NewHTTPPublisher(cfg HTTPConfig) (*HTTPPublisher, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("gateway URL %q: want http(s)://host[:port][/path]", cfg.URL)
	}
	if cfg.PollInterval < 0 || cfg.OutcomeTimeout < 0 || cfg.DispatchPoll < 0 {
		return nil, fmt.Errorf("poll interval %v, outcome timeout %v, dispatch poll %v: want ≥ 0", cfg.PollInterval, cfg.OutcomeTimeout, cfg.DispatchPoll)
	}
	if cfg.OnDispatch != nil {
		if _, err := crypto.ParseDeviceID(cfg.Device); err != nil {
			return nil, fmt.Errorf("dispatches: device %q: want the depindev1… id whose dispatches to ask for (%v)", cfg.Device, err)
		}
	}
	client := cfg.Client
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	base := strings.TrimRight(cfg.URL, "/")
	p := &HTTPPublisher{endpoint: base + "/v1/reports", client: client, log: cfg.Logger, clock: cfg.Clock,
		poll: cfg.PollInterval, done: make(chan struct{})}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.clock == nil {
		p.clock = SystemClock()
	}
	if p.poll == 0 {
		p.poll = 2 * time.Second
	}
	ctx, stop := context.WithCancel(context.Background())
	p.stop = stop
	var loops sync.WaitGroup
	if cfg.OnOutcome != nil {
		p.outcomes = newAwaited(cfg.OnOutcome, cfg.OutcomeTimeout)
		loops.Go(func() { p.pollLoop(ctx) })
	}
	if cfg.OnDispatch != nil {
		p.device, p.dispatchURL = cfg.Device, base+"/v1/dispatch/"+url.PathEscape(cfg.Device)
		p.dispatchPoll, p.onDispatch, p.seen = cfg.DispatchPoll, cfg.OnDispatch, map[uint64]bool{}
		if p.dispatchPoll == 0 {
			p.dispatchPoll = 15 * time.Second
		}
		loops.Go(func() { p.dispatchLoop(ctx) })
	}
	go func() {
		loops.Wait()
		close(p.done)
	}()
	return p, nil
}

// maxSeenDispatches bounds the dispatch ids an HTTPPublisher remembers.
const maxSeenDispatches = 256

// dispatchLoop asks for the device's dispatches at once, then every
// dispatch poll, until ctx ends.
func (p *HTTPPublisher) dispatchLoop(ctx context.Context) {
	for {
		p.askDispatches(ctx)
		if p.clock.Sleep(ctx, p.dispatchPoll) != nil {
			return
		}
	}
}

// askDispatches hands over the dispatches the gateway lists that were not
// handed over before. A failed request is tried again next time.
func (p *HTTPPublisher) askDispatches(ctx context.Context) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.dispatchURL, nil)
	if err != nil {
		return
	}
	resp, err := p.client.Do(req)
	if err != nil {
		p.log.Debug("cannot ask the gateway for dispatches; asking again later", "err", err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		p.log.Debug("the gateway did not list dispatches; asking again later", "status", resp.StatusCode)
		return
	}
	var list struct {
		Dispatches []json.RawMessage `json:"dispatches"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		p.log.Warn("the gateway's list of dispatches does not read", "err", err)
		return
	}
	for _, raw := range list.Dispatches {
		d, err := ParseDispatch(raw)
		if err != nil {
			p.log.Warn("ignoring a dispatch that does not parse", "err", err)
			continue
		}
		if p.seen[d.ID] || d.Device != p.device {
			continue
		}
		p.seen[d.ID] = true
		p.seenOrder = append(p.seenOrder, d.ID)
		if len(p.seenOrder) > maxSeenDispatches {
			delete(p.seen, p.seenOrder[0])
			p.seenOrder = p.seenOrder[1:]
		}
		p.onDispatch(d)
	}
}

// Publish posts one report. A 2xx status is success; other 4xx statuses
// are permanent rejections (ErrRejected), except 408 and 429, which like
// 5xx statuses and network errors mean "try later" (ErrUnavailable).
func (p *HTTPPublisher) Publish(ctx context.Context, network, device string, payload []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.endpoint, bytes.NewReader(payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := p.client.Do(req)
	if err != nil {
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return err
		}
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		if p.outcomes != nil {
			p.outcomes.add(payload, p.clock.Now())
		}
		return nil
	case code >= 400 && code < 500 && code != http.StatusRequestTimeout && code != http.StatusTooManyRequests:
		return fmt.Errorf("%w: device %s: HTTP %d: %s", ErrRejected, device, code, strings.TrimSpace(string(body)))
	default:
		return fmt.Errorf("%w: HTTP %d: %s", ErrUnavailable, code, strings.TrimSpace(string(body)))
	}
}

// Close stops polling for outcomes (those still awaited are not handed
// over: call WaitOutcomes first) and dispatches, and releases idle
// connections.
func (p *HTTPPublisher) Close() {
	p.stop()
	<-p.done
	p.client.CloseIdleConnections()
}

// WaitOutcomes waits until every report Publish delivered has had its
// outcome, or ctx ends. Without OnOutcome it returns at once.
func (p *HTTPPublisher) WaitOutcomes(ctx context.Context) error {
	if p.outcomes == nil {
		return nil
	}
	return p.outcomes.wait(ctx)
}

// pollLoop asks for the awaited outcomes every poll interval until ctx
// ends.
func (p *HTTPPublisher) pollLoop(ctx context.Context) {
	for p.clock.Sleep(ctx, p.poll) == nil {
		for _, id := range p.outcomes.ids() {
			if ctx.Err() != nil {
				return
			}
			p.ask(ctx, id)
		}
		p.outcomes.expire(p.clock.Now())
	}
}

// ask asks the gateway for one report's outcome. A settled one is handed
// over, a 404 gives the report up; anything else (pending, the gateway
// unreachable) is asked again next time.
func (p *HTTPPublisher) ask(ctx context.Context, id string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.endpoint+"/"+id, nil)
	if err != nil {
		return
	}
	resp, err := p.client.Do(req)
	if err != nil {
		p.log.Debug("cannot ask the gateway for an outcome; asking again later", "id", id, "err", err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch resp.StatusCode {
	case http.StatusOK:
		var o Outcome
		if err := json.Unmarshal(body, &o); err != nil || o.ID != id {
			p.log.Debug("the gateway's outcome does not read; asking again later", "id", id, "err", err)
			return
		}
		p.outcomes.settle(o)
	case http.StatusNotFound:
		p.outcomes.giveUp(id, "the gateway no longer knows this report (it restarted, or settled it long ago)")
	default:
		p.log.Debug("the gateway did not answer with an outcome; asking again later", "id", id, "status", resp.StatusCode)
	}
}
