package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/keystore"
	"github.com/depinhq/depin/node"
	"github.com/depinhq/depin/node/nodetest"
)

// TestGatewayOnDevnet runs the gateway against a real single-validator
// chain: reports published over MQTT and HTTP end up in committed
// ReportBatch transactions (each one accepted or rejected by the chain with
// a reason; the devices here are not registered, so the chain may reject
// them all: this test is about delivery).
// It runs twice: submitting over CometBFT's RPC, and as raw bytes through
// the node's REST API (--api).
func TestGatewayOnDevnet(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet")
	}
	t.Run("rpc", func(t *testing.T) { gatewayOnDevnet(t, false) })
	t.Run("api", func(t *testing.T) { gatewayOnDevnet(t, true) })
}

func gatewayOnDevnet(t *testing.T, viaAPI bool) {
	n := nodetest.Devnet(t, node.DevnetOptions{})
	c, err := client.New(n.RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	if viaAPI {
		if err := c.UseAPI(n.APIURL()); err != nil {
			t.Fatal(err)
		}
	}
	alice, err := keystore.Open(node.KeysDir(n.Home())).Load("alice", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	chainID, err := c.ChainID(ctx)
	if err != nil {
		t.Fatal(err)
	}

	cfg := TestConfig()
	cfg.SubmitterKey = alice.Private
	cfg.MaxBatchWait = 100 * time.Millisecond
	cfg.ConfirmTimeout = 5 * time.Second
	g := newGateway(t, cfg, c)
	runGateway(t, g)

	dev := newDevice("devnet", "solar")
	pub := mqttPublisher(t, g.MQTTAddr(), "dev-devnet")
	for range 10 {
		if code := publish(t, pub, dev.topic(), dev.report(t, chainID)); code != 0 {
			t.Fatalf("PUBACK reason code %#x", code)
		}
	}
	var ids []string
	for range 10 {
		status, reply, _ := post(t, g, dev.report(t, chainID))
		if status != 202 {
			t.Fatalf("POST: %d %+v", status, reply)
		}
		ids = append(ids, reply.ID)
	}
	deadline := time.Now().Add(30 * time.Second)
	for g.Stats().Committed < 20 {
		if time.Now().After(deadline) {
			t.Fatalf("not committed in 30 s: %+v", g.Stats())
		}
		time.Sleep(50 * time.Millisecond)
	}
	st := g.Stats()
	if st.Dropped != 0 || st.Batches[BatchCommitted] == 0 || st.LastHeight == 0 {
		t.Fatalf("stats %+v", st)
	}
	// The chain's verdict on each report, as GET /v1/reports/{id} tells it:
	// the devnet has no network "solar".
	for _, id := range ids {
		res, err := http.Get("http://" + g.HTTPAddr() + "/v1/reports/" + id)
		if err != nil {
			t.Fatal(err)
		}
		var o Outcome
		err = json.NewDecoder(res.Body).Decode(&o)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK || o.Status != StatusRejected || o.Reason != "unknown_network" ||
			o.Detail == "" || o.Height == 0 || len(o.TxHash) != 64 || o.Device != dev.topicDevice() {
			t.Fatalf("GET /v1/reports/%s: %d %+v (%v)", id, res.StatusCode, o, err)
		}
	}
	var rejected uint64
	for _, n := range st.ChainRejected {
		rejected += n
	}
	t.Logf("committed %d reports in %d batches; chain accepted %d, rejected %v; mean latency %s",
		st.Committed, st.Batches[BatchCommitted], st.ChainAccepted, st.ChainRejected, st.LatencyMean)
}
