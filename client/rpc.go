package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
)

// The client speaks CometBFT's JSON-RPC itself (POST, one call per request)
// instead of through CometBFT's rpc/client packages: their result types
// link the p2p and config packages and through them CometBFT's databases
// (goleveldb, pebble), which no client program may carry
// (clientdeps_test.go). What it decodes is in rpctypes.go.

// maxRPCResponse caps the body of an RPC answer: the largest legitimate
// one is a full block (8 MiB of txs, base64 inside JSON: about 11 MiB) or
// the results of a block with many events; anything beyond is refused
// rather than read into memory.
const maxRPCResponse = 64 << 20

// RPCError is an error the node's JSON-RPC answered with (the request
// reached the node, which refused or failed it). Its text is CometBFT's.
type RPCError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    string `json:"data,omitempty"`
}

func (e *RPCError) Error() string {
	if e.Data != "" {
		return fmt.Sprintf("RPC error %d - %s: %s", e.Code, e.Message, e.Data)
	}
	return fmt.Sprintf("RPC error %d - %s", e.Code, e.Message)
}

// rpcEndpoint is where and how to POST JSON-RPC calls.
type rpcEndpoint struct {
	url         string // without user info
	user, pass  string // basic auth from the URL, if any
	maxResponse int    // bytes; maxRPCResponse but in tests
	nextID      atomic.Int64
}

// parseRPCURL accepts http(s)://host[:port][/path], and tcp:// as an alias
// of http:// (CometBFT's own notation for its RPC listen address), with
// optional user:password@ for basic auth.
func parseRPCURL(raw string) (*rpcEndpoint, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("node URL %q: %v", raw, err)
	}
	if u.Scheme == "tcp" {
		u.Scheme = "http"
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("node URL %q: want http://host:port", raw)
	}
	e := &rpcEndpoint{maxResponse: maxRPCResponse}
	if u.User != nil {
		e.user = u.User.Username()
		e.pass, _ = u.User.Password()
		u.User = nil
	}
	e.url = u.String()
	return e, nil
}

// call runs one JSON-RPC method and decodes its result into result.
// Params are sent as CometBFT's JSON encodes them (64-bit integers as
// decimal strings, bytes as base64, HexBytes as hex: the callers build
// them that way). A failure is returned as "<method>: <cause>", the cause
// an *RPCError when the node answered with one.
func (c *Client) call(ctx context.Context, method string, params map[string]any, result any) error {
	if params == nil {
		params = map[string]any{}
	}
	id := c.rpc.nextID.Add(1)
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.rpc.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.rpc.user != "" || c.rpc.pass != "" {
		req.SetBasicAuth(c.rpc.user, c.rpc.pass)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, int64(c.rpc.maxResponse)+1))
	if err != nil {
		return fmt.Errorf("%s: reading the answer: %w", method, err)
	}
	if len(raw) > c.rpc.maxResponse {
		return fmt.Errorf("%s: the answer is larger than the client's limit of %d bytes", method, c.rpc.maxResponse)
	}
	if err := decodeRPCResponse(raw, id, result); err != nil {
		var rpcErr *RPCError
		if errors.As(err, &rpcErr) {
			return fmt.Errorf("%s: %w", method, err)
		}
		return fmt.Errorf("%s: %s answered %s: %w", method, c.rpc.url, resp.Status, err)
	}
	return nil
}

// errBadRPCResponse marks an answer that is not the JSON-RPC response to
// the request.
var errBadRPCResponse = errors.New("not a JSON-RPC response")

// decodeRPCResponse decodes a JSON-RPC response body to the request with
// id: the node's error as an *RPCError, or the result into result. It
// never panics on any input (FuzzDecodeRPCResponse).
func decodeRPCResponse(body []byte, id int64, result any) error {
	var env struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Result  json.RawMessage `json:"result"`
		Error   *RPCError       `json:"error"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return fmt.Errorf("%w: %v: %.200q", errBadRPCResponse, err, body)
	}
	if env.Error != nil {
		return env.Error
	}
	if got := string(env.ID); got != strconv.FormatInt(id, 10) {
		return fmt.Errorf("%w: id %.40s, want %d", errBadRPCResponse, got, id)
	}
	if len(env.Result) == 0 {
		return fmt.Errorf("%w: no result and no error", errBadRPCResponse)
	}
	if err := json.Unmarshal(env.Result, result); err != nil {
		return fmt.Errorf("decoding the result: %w", err)
	}
	return nil
}

// rpcInt is a 64-bit integer parameter as CometBFT's JSON encodes it.
func rpcInt(n int64) string { return strconv.FormatInt(n, 10) }
