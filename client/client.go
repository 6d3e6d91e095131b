package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/depinhq/depin/errs"
)

// DefaultNode is the RPC address of a local node.
const DefaultNode = "http://127.0.0.1:26657"

// ErrNodeUnreachable is returned when the node's RPC does not answer.
var ErrNodeUnreachable = errors.New("node unreachable")

// Client talks to one node.
type Client struct {
	url  string
	rpc  *rpcEndpoint
	http *http.Client
	api  string // REST API for Broadcast, or "" (see UseAPI)

	mu      sync.Mutex
	chainID string
}

// New returns a client of the node at url: http://host:port (or https, or
// tcp:// as CometBFT writes its RPC listen address), with an optional
// user:password@ for basic auth.
func New(url string) (*Client, error) {
	rpc, err := parseRPCURL(url)
	if err != nil {
		return nil, err
	}
	hc := &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     90 * time.Second,
		},
	}
	return &Client{url: url, rpc: rpc, http: hc}, nil
}

// URL is the node's RPC address.
func (c *Client) URL() string { return c.url }

// Status returns the node status.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	var st Status
	if err := c.call(ctx, "status", nil, &st); err != nil {
		return nil, fmt.Errorf("%w at %s: %v (is a node running? try 'depin devnet')", ErrNodeUnreachable, c.url, err)
	}
	return &st, nil
}

// ChainID returns (and caches) the node's chain id.
func (c *Client) ChainID(ctx context.Context) (string, error) {
	c.mu.Lock()
	id := c.chainID
	c.mu.Unlock()
	if id != "" {
		return id, nil
	}
	st, err := c.Status(ctx)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	c.chainID = st.NodeInfo.Network
	c.mu.Unlock()
	return st.NodeInfo.Network, nil
}

// resultError turns a failed result code into an error wrapping the
// registered kind, so callers can errors.Is it.
func resultError(codespace string, code uint32, log string) error {
	if code == 0 {
		return nil
	}
	if kind := errs.Lookup(codespace, code); kind != nil {
		return &CodeError{Kind: kind, Log: log}
	}
	return &CodeError{Kind: &errs.Error{Codespace: codespace, Code: code, Desc: "error"}, Log: log}
}

// CodeError is a failure reported by the chain.
type CodeError struct {
	Kind *errs.Error
	Log  string
}

func (e *CodeError) Error() string {
	if e.Log != "" {
		return e.Log
	}
	return e.Kind.Desc
}

// Unwrap lets errors.Is match the kind.
func (e *CodeError) Unwrap() error { return e.Kind }

// BlockResults returns the results of block h. A block is in the block
// store (and counted in the node's latest height) slightly before its
// results are saved, so a missing result is retried for a few seconds.
func (c *Client) BlockResults(ctx context.Context, h int64) (*BlockResults, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		var res BlockResults
		err := c.call(ctx, "block_results", map[string]any{"height": rpcInt(h)}, &res)
		if err == nil {
			return &res, nil
		}
		if !strings.Contains(err.Error(), "could not find results") || time.Now().After(deadline) {
			return nil, fmt.Errorf("results of block %d: %w", h, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Block returns block height (0 = the latest) and its ID.
func (c *Client) Block(ctx context.Context, height int64) (*BlockWithID, error) {
	params := map[string]any{}
	if height != 0 {
		params["height"] = rpcInt(height)
	}
	var b BlockWithID
	if err := c.call(ctx, "block", params, &b); err != nil {
		return nil, err
	}
	if b.Block == nil {
		return nil, fmt.Errorf("block %d: the node answered no block", height)
	}
	return &b, nil
}

// Genesis returns the chain's genesis document.
func (c *Client) Genesis(ctx context.Context) (*Genesis, error) {
	var res struct {
		Genesis *Genesis `json:"genesis"`
	}
	if err := c.call(ctx, "genesis", nil, &res); err != nil {
		return nil, err
	}
	if res.Genesis == nil {
		return nil, errors.New("genesis: the node answered no document")
	}
	return res.Genesis, nil
}
