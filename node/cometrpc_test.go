package node

import (
	"testing"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/depinhq/depin/client"
)

// cometRPC is CometBFT's own RPC client of the node c talks to, for the
// calls package client does not make (/validators, /commit, /tx_search,
// /broadcast_evidence…): tests of the node may link CometBFT's RPC
// packages, client programs may not (clientdeps_test.go).
func cometRPC(t testing.TB, c *client.Client) *rpchttp.HTTP {
	t.Helper()
	rpc, err := rpchttp.New(c.URL())
	if err != nil {
		t.Fatal(err)
	}
	return rpc
}
