package client

import (
	"errors"
	"testing"

	"github.com/depinhq/depin/api/bank"
	"github.com/depinhq/depin/errs"
)

func TestBroadcastError(t *testing.T) {
	rpcErr := errors.New(`error in json rpc client, with http response metadata: (Status: 200 OK, Protocol HTTP/1.1). RPC error -32603 - Internal error: broadcast error on transaction validation: tx B99C is invalid: code=2, data=, log='message 0: insufficient funds: it's 'quoted', needs 5udpin', codespace='bank'`)
	err := broadcastError(rpcErr)
	if !errors.Is(err, bank.ErrInsufficientFunds) {
		t.Fatalf("not classified: %v", err)
	}
	if err.Error() != `message 0: insufficient funds: it's 'quoted', needs 5udpin` {
		t.Fatalf("log %q", err.Error())
	}
	err = broadcastError(errors.New(`... tx 00 is invalid: code=5, data=AB, log='wrong sequence', codespace='tx'`))
	if !errors.Is(err, errs.ErrWrongSequence) {
		t.Fatalf("not classified: %v", err)
	}
	if err := broadcastError(errors.New("RPC error -32603 - Internal error: mempool is full: number of txs 5000 (max: 5000)")); !errors.Is(err, ErrMempoolFull) {
		t.Fatalf("mempool full: %v", err)
	}
	if err := broadcastError(errors.New("tx already exists in cache")); !errors.Is(err, ErrTxInCache) {
		t.Fatalf("in cache: %v", err)
	}
	if err := broadcastError(errors.New("dial tcp: connection refused")); !errors.Is(err, ErrNodeUnreachable) {
		t.Fatalf("unreachable: %v", err)
	}
}
