package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"

	"github.com/depinhq/depin/errs"
)

// DefaultNode is the RPC address of a local node.
const DefaultNode = "http://127.0.0.1:26657"

// ErrNodeUnreachable is returned when the node's RPC does not answer.
var ErrNodeUnreachable = errors.New("node unreachable")

// Client talks to one node.
type Client struct {
	url  string
	rpc  *rpchttp.HTTP
	http *http.Client
	api  string // REST API for Broadcast, or "" (see UseAPI)

	mu      sync.Mutex
	chainID string
}

// New returns a client of the node at url (e.g. http://127.0.0.1:26657).
func New(url string) (*Client, error) {
	hc := &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     90 * time.Second,
		},
	}
	rpc, err := rpchttp.NewWithClient(url, hc)
	if err != nil {
		return nil, fmt.Errorf("node URL %q: %w", url, err)
	}
	return &Client{url: url, rpc: rpc, http: hc}, nil
}

// URL is the node's RPC address.
func (c *Client) URL() string { return c.url }

// RPC exposes the CometBFT RPC client for what this package does not wrap.
func (c *Client) RPC() *rpchttp.HTTP { return c.rpc }

// Status returns the node status.
func (c *Client) Status(ctx context.Context) (*ctypes.ResultStatus, error) {
	st, err := c.rpc.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w at %s: %v (is a node running? try 'depin devnet')", ErrNodeUnreachable, c.url, err)
	}
	return st, nil
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
func (c *Client) BlockResults(ctx context.Context, h int64) (*ctypes.ResultBlockResults, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := c.rpc.BlockResults(ctx, &h)
		if err == nil {
			return res, nil
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
