package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// HTTPPublisher posts reports to a gateway's HTTP endpoint:
// POST <URL>/v1/reports, the body the SignedReport bytes. It tries once
// per call; wrap it in a QueuedPublisher to retry.
type HTTPPublisher struct {
	endpoint string
	client   *http.Client
}

var _ Publisher = (*HTTPPublisher)(nil)

// HTTPConfig configures an HTTPPublisher.
type HTTPConfig struct {
	URL    string       // the gateway's base URL, e.g. http://localhost:8080
	Client *http.Client // default: one with a 15 s timeout
}

// NewHTTPPublisher checks cfg and returns the publisher.
func NewHTTPPublisher(cfg HTTPConfig) (*HTTPPublisher, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("gateway URL %q: want http(s)://host[:port][/path]", cfg.URL)
	}
	client := cfg.Client
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	return &HTTPPublisher{endpoint: strings.TrimRight(cfg.URL, "/") + "/v1/reports", client: client}, nil
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
		return nil
	case code >= 400 && code < 500 && code != http.StatusRequestTimeout && code != http.StatusTooManyRequests:
		return fmt.Errorf("%w: device %s: HTTP %d: %s", ErrRejected, device, code, strings.TrimSpace(string(body)))
	default:
		return fmt.Errorf("%w: HTTP %d: %s", ErrUnavailable, code, strings.TrimSpace(string(body)))
	}
}

// Close releases idle connections.
func (p *HTTPPublisher) Close() { p.client.CloseIdleConnections() }
