package node_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/depinhq/depin/client"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/node"
	"github.com/depinhq/depin/node/nodetest"
	"github.com/depinhq/depin/x/auth"
	"github.com/depinhq/depin/x/bank"
)

// TestTxSearchByAttribute: CometBFT's tx index finds a committed tx by
// the attributes people search by — the message's sender and action, and
// the accounts an event names — through the node's own RPC (tx_search),
// as docs/ARCHITECTURE.md says; fee transfers are not indexed.
func TestTxSearchByAttribute(t *testing.T) {
	n := nodetest.Devnet(t, node.DevnetOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := client.New(n.RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	rpc, err := rpchttp.New(n.RPCURL()) // /tx_search: package client does not make it
	if err != nil {
		t.Fatal(err)
	}
	alice, bob := devPriv("carol"), addrOf(devPriv("dave"))
	tx, err := c.BuildTx(ctx, alice, []*txv1.Msg{client.MsgSend(addrOf(alice), bob, bank.Coin(bank.NativeDenom, 777))}, client.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hash, err := c.Broadcast(ctx, tx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitTx(ctx, hash, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		fmt.Sprintf("message.sender='%s'", addrOf(alice)),
		"message.action='depin.bank.v1.MsgSend'",
		fmt.Sprintf("depin.bank.v1.EventTransfer.to='%s'", bob),
		fmt.Sprintf("depin.bank.v1.EventTransfer.from='%s'", addrOf(alice)),
		// Conditions on different events of one tx do not combine in
		// CometBFT's kv index (cometbft/cometbft#4003); one per query does.
	} {
		page, per := 1, 100
		res, err := rpc.TxSearch(ctx, q, false, &page, &per, "desc")
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		found := false
		for _, r := range res.Txs {
			if fmt.Sprintf("%X", r.Hash) == fmt.Sprintf("%X", hash) {
				found = true
			}
		}
		if !found {
			t.Errorf("tx_search %q does not find the tx (%d results)", q, res.TotalCount)
		}
	}
	// Fee transfers are not indexed: every tx pays one fee.
	page, per := 1, 1
	res, err := rpc.TxSearch(ctx, fmt.Sprintf("depin.bank.v1.EventTransfer.to='%s'", auth.FeeCollector), false, &page, &per, "desc")
	if err != nil {
		t.Fatal(err)
	}
	if res.TotalCount != 0 {
		t.Errorf("fee transfers are indexed (%d)", res.TotalCount)
	}
}
