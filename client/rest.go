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

	abci "github.com/cometbft/cometbft/abci/types"
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

// restTxReply is POST /v1/txs's answer.
type restTxReply struct {
	Hash      string `json:"hash"`
	Codespace string `json:"codespace"`
	Code      uint32 `json:"code"`
	Error     string `json:"error"`
}

// broadcastREST is Broadcast over POST /v1/txs; errors are classified as
// broadcastError classifies the RPC's.
func (c *Client) broadcastREST(ctx context.Context, tx []byte) ([]byte, error) {
	hash := TxHash(tx)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.api+"/v1/txs", bytes.NewReader(tx))
	if err != nil {
		return hash, err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := c.http.Do(req)
	if err != nil {
		return hash, fmt.Errorf("%w at %s: %v", ErrNodeUnreachable, c.api, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return hash, fmt.Errorf("%w at %s: %v", ErrNodeUnreachable, c.api, err)
	}
	var r restTxReply
	if err := json.Unmarshal(body, &r); err != nil {
		return hash, fmt.Errorf("%w: %s answered %s: %.200s", ErrNodeUnreachable, c.api, resp.Status, body)
	}
	switch resp.StatusCode {
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
	return hash, fmt.Errorf("submit tx: %s: %s", resp.Status, r.Error)
}

// restTxResult is GET /v1/txs/{hash}'s answer.
type restTxResult struct {
	Height    int64        `json:"height"`
	Code      uint32       `json:"code"`
	Codespace string       `json:"codespace"`
	Log       string       `json:"log"`
	Events    []abci.Event `json:"events"`
	Error     string       `json:"error"`
}

// txResultREST looks a committed tx up through GET /v1/txs/{hash}: its
// result, or nil if it is not in a block yet.
func (c *Client) txResultREST(ctx context.Context, hash []byte) (*TxResult, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.api+"/v1/txs/"+hex.EncodeToString(hash), nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w at %s: %v", ErrNodeUnreachable, c.api, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("%w at %s: %v", ErrNodeUnreachable, c.api, err)
	}
	var r restTxResult
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("%w: %s answered %s: %.200s", ErrNodeUnreachable, c.api, resp.Status, body)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return &TxResult{Hash: strings.ToUpper(hex.EncodeToString(hash)), Height: r.Height, Code: r.Code, Log: r.Log, Events: r.Events}, resultError(r.Codespace, r.Code, r.Log)
	case http.StatusNotFound:
		return nil, nil
	}
	return nil, fmt.Errorf("tx %X: %s: %s", hash, resp.Status, r.Error)
}
