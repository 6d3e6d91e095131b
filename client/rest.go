package client

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/depinhq/depin/api/event"
)

// UseAPI makes Broadcast submit txs to the node's REST API at apiURL
// (e.g. http://127.0.0.1:1317) as raw bytes — POST /v1/txs — instead of
// CometBFT's JSON-RPC, which carries them base64 inside JSON: for
// thousand-report batches that encoding and decoding costs more CPU than
// the rest of the submission. Everything else still goes over the RPC.
// An empty apiURL switches back to the RPC.
func (c *Client) UseAPI(apiURL string) error {
	if apiURL != "" {
		u, err := url.Parse(apiURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("node API URL %q: want http://host:port", apiURL)
		}
	}
	c.api = strings.TrimRight(apiURL, "/")
	return nil
}

// API is the REST API address Broadcast uses, or "" (JSON-RPC).
func (c *Client) API() string { return c.api }

// restTxAnswer is what POST /v1/txs and GET /v1/txs/{hash} answer (each
// fills the fields it has).
type restTxAnswer struct {
	Hash      string        `json:"hash"`
	Height    int64         `json:"height"`
	Code      uint32        `json:"code"`
	Codespace string        `json:"codespace"`
	Log       string        `json:"log"`
	Events    []event.Event `json:"events"`
	Error     string        `json:"error"`
}

// restCall sends one request to the node's REST API and decodes its JSON
// answer; it returns the HTTP status. A node that does not answer, or
// answers something else than JSON, is ErrNodeUnreachable.
func (c *Client) restCall(ctx context.Context, method, path string, body []byte, out *restTxAnswer) (int, string, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.api+path, rd)
	if err != nil {
		return 0, "", err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("%w at %s: %v", ErrNodeUnreachable, c.api, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return 0, "", fmt.Errorf("%w at %s: %v", ErrNodeUnreachable, c.api, err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return 0, "", fmt.Errorf("%w: %s answered %s: %.200s", ErrNodeUnreachable, c.api, resp.Status, raw)
	}
	return resp.StatusCode, resp.Status, nil
}

// broadcastREST is Broadcast over POST /v1/txs; errors are classified as
// broadcastError classifies the RPC's.
func (c *Client) broadcastREST(ctx context.Context, tx []byte) ([]byte, error) {
	hash := TxHash(tx)
	var r restTxAnswer
	code, status, err := c.restCall(ctx, http.MethodPost, "/v1/txs", tx, &r)
	if err != nil {
		return hash, err
	}
	switch code {
	case http.StatusOK:
		if h, err := hex.DecodeString(r.Hash); err == nil && bytes.Equal(h, hash) {
			return hash, nil
		}
		return hash, fmt.Errorf("node answered hash %q for tx %X", r.Hash, hash)
	case http.StatusUnprocessableEntity:
		if err := resultError(r.Codespace, r.Code, r.Error); err != nil {
			return hash, err
		}
	case http.StatusConflict:
		return hash, fmt.Errorf("%w: %s", ErrTxInCache, r.Error)
	case http.StatusServiceUnavailable:
		if strings.Contains(r.Error, "mempool is full") {
			return hash, fmt.Errorf("%w: %s", ErrMempoolFull, r.Error)
		}
		return hash, fmt.Errorf("%w: %s", ErrNodeUnreachable, r.Error)
	case http.StatusNotFound:
		return hash, fmt.Errorf("%w: %s has no POST /v1/txs (is it a depin node's REST API?)", ErrNodeUnreachable, c.api)
	}
	return hash, fmt.Errorf("submit tx: %s: %s", status, r.Error)
}

// txResultREST looks a committed tx up through GET /v1/txs/{hash}: its
// result, or nil if it is not in a block yet.
func (c *Client) txResultREST(ctx context.Context, hash []byte, wait time.Duration) (*TxResult, error) {
	var r restTxAnswer
	path := "/v1/txs/" + hex.EncodeToString(hash)
	if wait > 0 {
		path += "?wait=" + wait.Round(time.Millisecond).String()
	}
	code, status, err := c.restCall(ctx, http.MethodGet, path, nil, &r)
	if err != nil {
		return nil, err
	}
	switch code {
	case http.StatusOK:
		return &TxResult{Hash: strings.ToUpper(hex.EncodeToString(hash)), Height: r.Height, Code: r.Code, Log: r.Log, Events: r.Events}, resultError(r.Codespace, r.Code, r.Log)
	case http.StatusNotFound:
		return nil, nil
	}
	return nil, fmt.Errorf("tx %X: %s: %s", hash, status, r.Error)
}
