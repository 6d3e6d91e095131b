package node_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/depinhq/depin/api/device"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/node"
	"github.com/depinhq/depin/node/nodetest"
	"github.com/depinhq/depin/wire"
	"github.com/depinhq/depin/x/bank"
)

func devPriv(name string) ed25519.PrivateKey { return ed25519.NewKeyFromSeed(node.DevSeed(name)) }

func addrOf(k ed25519.PrivateKey) crypto.Address {
	return crypto.AddressFromPubKey(k.Public().(ed25519.PublicKey))
}

// post sends body to POST /v1/txs with a content type and returns the
// status and the decoded JSON answer.
func post(t testing.TB, api, contentType string, body []byte) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(api+"/v1/txs", contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("status %d, answer is not JSON: %q", resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

// TestTxAPI: txs submitted as raw bytes through POST /v1/txs go through
// CheckTx into blocks; GET /v1/txs/{hash} reports their results; the
// client uses both when told the API's address; bad requests get clear
// errors and change nothing.
func TestTxAPI(t *testing.T) {
	n := nodetest.Devnet(t, node.DevnetOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := client.New(n.RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.UseAPI(n.APIURL()); err != nil {
		t.Fatal(err)
	}
	alice, bob := devPriv("alice"), addrOf(devPriv("bob"))
	before, _, err := c.Balance(ctx, bob, bank.NativeDenom, client.QueryOptions{})
	if err != nil {
		t.Fatal(err)
	}

	tx, err := c.BuildTx(ctx, alice, []*txv1.Msg{client.MsgSend(addrOf(alice), bob, bank.Coin(bank.NativeDenom, 1234))}, client.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hash, err := c.Broadcast(ctx, tx)
	if err != nil {
		t.Fatalf("broadcast: %v", err)
	}
	if _, err := c.Broadcast(ctx, tx); !errors.Is(err, client.ErrTxInCache) {
		t.Fatalf("second broadcast: %v, want ErrTxInCache", err)
	}
	res, err := c.WaitTx(ctx, hash, 30*time.Second)
	if err != nil {
		t.Fatalf("wait: %v", err)
	}
	if res.Height < 2 || res.Code != 0 || len(res.Events) == 0 || res.Hash != strings.ToUpper(hex.EncodeToString(hash)) {
		t.Fatalf("result %+v", res)
	}
	after, _, err := c.Balance(ctx, bob, bank.NativeDenom, client.QueryOptions{})
	if err != nil || after != before+1234 {
		t.Fatalf("bob has %d (%v), want %d", after, err, before+1234)
	}
	// A GET with ?wait= that starts before the tx is even sent answers
	// once its block is committed.
	tx2, err := c.BuildTx(ctx, alice, []*txv1.Msg{client.MsgSend(addrOf(alice), bob, bank.Coin(bank.NativeDenom, 1))}, client.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waited := make(chan node.TxResultJSON, 1)
	go func() {
		var out node.TxResultJSON
		resp, err := http.Get(n.APIURL() + "/v1/txs/" + hex.EncodeToString(client.TxHash(tx2)) + "?wait=8s")
		if err == nil {
			if resp.StatusCode == http.StatusOK {
				json.NewDecoder(resp.Body).Decode(&out)
			}
			resp.Body.Close()
		}
		waited <- out
	}()
	time.Sleep(200 * time.Millisecond) // the request is waiting (the answer is the same if not)
	if _, err := c.Broadcast(ctx, tx2); err != nil {
		t.Fatal(err)
	}
	if out := <-waited; out.Height <= res.Height || out.Code != 0 || len(out.Events) == 0 {
		t.Fatalf("waiting GET answered %+v", out)
	}
	after++ // tx2 sent bob 1
	// The same lookup over the RPC agrees.
	rpc, _ := client.New(n.RPCURL())
	if r2, err := rpc.WaitTx(ctx, hash, time.Second); err != nil || r2.Height != res.Height || len(r2.Events) != len(res.Events) {
		t.Fatalf("RPC says %+v, %v; REST said %+v", r2, err, res)
	}

	// A tx CheckTx rejects comes back as the chain's error kind.
	bad := bytes.Clone(tx)
	bad[len(bad)-1] ^= 1 // breaks the signature
	if _, err := c.Broadcast(ctx, bad); !errors.Is(err, errs.ErrInvalidSignature) {
		t.Fatalf("bad signature: %v", err)
	}
	var ce *client.CodeError
	if _, err := c.Broadcast(ctx, []byte("not a tx")); !errors.As(err, &ce) {
		t.Fatalf("garbage: %v, want a CodeError", err)
	}

	api := n.APIURL()
	for _, tc := range []struct {
		name, ct string
		body     []byte
		status   int
	}{
		{"json body", "application/json", []byte(`{"tx":"AA=="}`), http.StatusUnsupportedMediaType},
		{"no content type", "", tx, http.StatusUnsupportedMediaType},
		{"empty", node.TxContentType, nil, http.StatusBadRequest},
		{"larger than the mempool's max tx", node.TxContentType, make([]byte, 4<<20+1), http.StatusRequestEntityTooLarge},
		{"garbage", node.TxContentType, []byte{0xff, 0x01}, http.StatusUnprocessableEntity},
	} {
		status, out := post(t, api, tc.ct, tc.body)
		if status != tc.status || out["error"] == "" {
			t.Errorf("%s: %d %v, want %d with an error", tc.name, status, out, tc.status)
		}
	}
	for path, want := range map[string]int{
		"/v1/txs/nothex":                                      http.StatusBadRequest,
		"/v1/txs/" + strings.Repeat("ab", 31):                 http.StatusBadRequest,
		"/v1/txs/" + strings.Repeat("ab", 32):                 http.StatusNotFound,
		"/v1/txs/" + strings.Repeat("ab", 32) + "?wait=300ms": http.StatusNotFound,
		"/v1/txs/" + strings.Repeat("ab", 32) + "?wait=9s":    http.StatusBadRequest,
		"/v1/txs/" + strings.Repeat("ab", 32) + "?wait=-1s":   http.StatusBadRequest,
		"/v1/txs/" + strings.Repeat("ab", 32) + "?wait=soon":  http.StatusBadRequest,
	} {
		resp, err := http.Get(api + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	if got, _, _ := c.Balance(ctx, bob, bank.NativeDenom, client.QueryOptions{}); got != after {
		t.Fatalf("rejected requests changed bob's balance: %d → %d", after, got)
	}
	if err := c.UseAPI("ftp://x"); err == nil {
		t.Fatal("UseAPI accepted ftp://x")
	}

	// Uploads that never finish hold at most 32 slots; the next is told to
	// retry instead of queueing more bodies in memory.
	var writers []*io.PipeWriter
	for range 32 {
		pr, pw := io.Pipe()
		writers = append(writers, pw)
		req, _ := http.NewRequest(http.MethodPost, api+"/v1/txs", pr)
		req.Header.Set("Content-Type", node.TxContentType)
		go func() {
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
		pw.Write([]byte{0x0a}) // a first byte: the handler is reading
	}
	busy := false
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && !busy; {
		status, _ := post(t, api, node.TxContentType, []byte{0x0a, 0x00})
		busy = status == http.StatusServiceUnavailable
	}
	for _, pw := range writers {
		pw.CloseWithError(errors.New("test done"))
	}
	if !busy {
		t.Fatal("33 uploads at once were all read")
	}
}

// FuzzTxAPI posts arbitrary bodies to POST /v1/txs of a running node: the
// answer is always a client error or an acceptance, never a server error,
// and no arbitrary body moves a token (the seeds include the valid tx
// with a broken signature and cut short).
func FuzzTxAPI(f *testing.F) {
	n := nodetest.Devnet(f, node.DevnetOptions{})
	api := n.APIURL()
	c, err := client.New(n.RPCURL())
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	tx, err := c.BuildTx(ctx, devPriv("alice"), []*txv1.Msg{client.MsgSend(addrOf(devPriv("alice")), addrOf(devPriv("bob")), bank.Coin(bank.NativeDenom, 1))}, client.TxOptions{})
	if err != nil {
		f.Fatal(err)
	}
	bad := bytes.Clone(tx)
	bad[len(bad)-1] ^= 1
	f.Add(bad)
	f.Add(tx[:len(tx)/2])
	f.Add([]byte{})
	f.Add([]byte("\x0a\x00"))
	alice := addrOf(devPriv("alice"))
	balance := func() uint64 {
		v, _, err := c.Balance(ctx, alice, bank.NativeDenom, client.QueryOptions{})
		if err != nil {
			f.Fatal(err)
		}
		return v
	}
	start := balance()
	f.Cleanup(func() {
		if got := balance(); got != start {
			f.Errorf("alice's balance %d → %d", start, got)
		}
	})
	f.Fuzz(func(t *testing.T, body []byte) {
		if bytes.Equal(body, tx) {
			return // the one valid tx moves a token on purpose
		}
		status, out := post(t, api, node.TxContentType, body)
		switch status {
		case http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusConflict:
		default:
			t.Fatalf("body %x: %d %v", body, status, out)
		}
	})
}

// FuzzTxResultAPI asks GET /v1/txs/{hash} with arbitrary hashes and query
// strings (?wait= among them): the answer is always 200, 400 or 404 with
// a JSON body, never a server error.
func FuzzTxResultAPI(f *testing.F) {
	n := nodetest.Devnet(f, node.DevnetOptions{})
	api := n.APIURL()
	f.Add(strings.Repeat("ab", 32), "wait=100ms")
	f.Add(strings.Repeat("AB", 32), "wait=0s")
	f.Add(strings.Repeat("ab", 32), "wait=-1s")
	f.Add(strings.Repeat("ab", 32), "wait=99999999999999999999h")
	f.Add(strings.Repeat("ab", 32), "wait=1e3&wait=2s")
	f.Add("zz", "wait")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, hash, query string) {
		q, _ := url.ParseQuery(query)
		if d, err := time.ParseDuration(q.Get("wait")); err == nil && d > 300*time.Millisecond {
			return // a valid long wait only slows the fuzzer down
		}
		// Sent as a client library would encode it (a raw space or control
		// byte in the request line is refused by Go's HTTP server itself).
		req, err := http.NewRequest(http.MethodGet, api+"/v1/txs/"+url.PathEscape(hash)+"?"+q.Encode(), nil)
		if err != nil {
			return // not a URL a client could send
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		decodeErr := json.NewDecoder(resp.Body).Decode(&out)
		switch resp.StatusCode {
		case http.StatusOK, http.StatusBadRequest, http.StatusNotFound:
			if decodeErr != nil {
				t.Fatalf("GET %q ?%q: %d without a JSON body: %v", hash, query, resp.StatusCode, decodeErr)
			}
		default:
			t.Fatalf("GET %q ?%q: %d %v", hash, query, resp.StatusCode, out)
		}
	})
}

// registerSolarDevice creates a network "solar" (default incentives), an
// approved maker and one registered 5000 W device owned by alice, and
// returns the device key.
func registerSolarDevice(t testing.TB, ctx context.Context, c *client.Client) ed25519.PrivateKey {
	t.Helper()
	chainID, err := c.ChainID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	alice := devPriv("alice")
	owner := addrOf(alice)
	maker := ed25519.NewKeyFromSeed(node.DevSeed("api test maker"))
	makerPub := maker.Public().(ed25519.PublicKey)
	if _, err := c.SendTx(ctx, alice, []*txv1.Msg{
		{Sum: &txv1.Msg_CreateNetwork{CreateNetwork: &networkv1.MsgCreateNetwork{
			Owner: owner.Bytes(), Id: "solar", Name: "Solar", Class: networkv1.ResourceClass_RESOURCE_CLASS_ENERGY, Physical: true,
			RewardDenom: "usolar",
			Params: &networkv1.Params{
				Metrics:      []*networkv1.Metric{{Id: 1, Name: "energy", Unit: "Wh", BoundNum: 1, BoundDen: 3600, Weight: 1}},
				EpochSeconds: 3600, ReportWindowSeconds: 3600, MaxClockSkewSeconds: 30,
				MinStake: 1_500_000, UnbondingSeconds: 60, MinMoveIntervalSeconds: 60,
			}}}},
		{Sum: &txv1.Msg_ApproveMaker{ApproveMaker: &networkv1.MsgApproveMaker{
			Owner: owner.Bytes(), Network: "solar", MakerPublicKey: makerPub, Name: "api test"}}},
	}, client.TxOptions{}); err != nil {
		t.Fatalf("create network: %v", err)
	}
	devKey := ed25519.NewKeyFromSeed(node.DevSeed("api test device"))
	cert, err := device.SignCert(maker, chainID, &devicev1.DeviceCert{Network: "solar", DevicePublicKey: devKey.Public().(ed25519.PublicKey),
		Model: "m", Serial: "s1", Capacity: 5000, MakerPublicKey: makerPub})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendTx(ctx, alice, []*txv1.Msg{client.RegisterDeviceMsg(chainID, owner, cert, devKey, 0x8a1f1d48945ffff)}, client.TxOptions{}); err != nil {
		t.Fatalf("register: %v", err)
	}
	return devKey
}

// getJSON GETs path from the API and decodes the answer into out.
func getJSON(t testing.TB, api, path string, out any) int {
	t.Helper()
	resp, err := http.Get(api + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %d, not JSON: %v", path, resp.StatusCode, err)
	}
	return resp.StatusCode
}

// TestDeviceAPI: GET /v1/devices/{id} shows a device's status, owner,
// network, stake, reputation, reports and unclaimed rewards as the chain
// has them, before and after a report; 400 for what is not a device id,
// 404 for a device that is not registered.
func TestDeviceAPI(t *testing.T) {
	n := nodetest.Devnet(t, node.DevnetOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := client.New(n.RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	devKey := registerSolarDevice(t, ctx, c)
	id := crypto.AddressFromPubKey(devKey.Public().(ed25519.PublicKey))
	api := n.APIURL()

	var before node.DeviceJSON
	if code := getJSON(t, api, "/v1/devices/"+crypto.DeviceString(id), &before); code != http.StatusOK {
		t.Fatalf("GET: %d %+v", code, before)
	}
	if before.ID != crypto.DeviceString(id) || before.Status != "active" || before.Owner != addrOf(devPriv("alice")).String() ||
		before.Network != "solar" || before.Capacity != "5000" || before.Stake.Udpin != "1500000" || before.Stake.DPIN != "1.5" ||
		before.Reputation.Alpha != "1000" || before.Reputation.Beta != "0" || before.Reputation.PPM != 1_000_000 || before.Reputation.Initialized ||
		before.Reports.LastSeq != "0" || before.Reports.Accepted != "0" ||
		before.UnclaimedRewards.Denom != "usolar" || before.UnclaimedRewards.Amount != "0" || before.Height == 0 {
		t.Fatalf("registered device: %+v", before)
	}

	// One accepted report.
	chainID, _ := c.ChainID(ctx)
	end := time.Now().Unix() - 1
	raw, err := wire.Sign(devKey, chainID, &reportv1.Report{Network: "solar", Seq: 1, PeriodStart: end - 60, PeriodEnd: end,
		Metrics: []*reportv1.MetricValue{{Id: 1, Value: 10}}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := wire.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	alice := devPriv("alice")
	if _, err := c.SendTx(ctx, alice, []*txv1.Msg{{Sum: &txv1.Msg_ReportBatch{ReportBatch: &reportv1.MsgReportBatch{
		Submitter: addrOf(alice).Bytes(), Reports: []*reportv1.SignedReport{d.Signed}}}}}, client.TxOptions{}); err != nil {
		t.Fatal(err)
	}
	var after node.DeviceJSON
	getJSON(t, api, "/v1/devices/"+crypto.DeviceString(id), &after)
	rec, err := c.Device(ctx, id, client.QueryOptions{Height: after.Height})
	if err != nil {
		t.Fatal(err)
	}
	if after.Reports.LastSeq != "1" || after.Reports.LastPeriodEnd != strconv.FormatInt(end, 10) || after.Reports.Accepted != "1" ||
		after.Reports.Rejected != "0" || !after.Reputation.Initialized || after.Reputation.Alpha != "1000" || // 1000 × 0.999 + 1
		after.Reputation.PPM != 1_000_000 || rec.RepAlpha != 1000*1_000_000 || after.Height <= before.Height {
		t.Fatalf("after a report: %+v (record α %d β %d)", after, rec.RepAlpha, rec.RepBeta)
	}
	// The same height, asked for, gives the same answer.
	var again node.DeviceJSON
	getJSON(t, api, "/v1/devices/"+crypto.DeviceString(id)+"?height="+strconv.FormatInt(before.Height, 10), &again)
	if again != before {
		t.Fatalf("at height %d: %+v, was %+v", before.Height, again, before)
	}

	unknown := crypto.DeviceString(crypto.AddressFromPubKey(devPriv("nobody").Public().(ed25519.PublicKey)))
	for path, want := range map[string]int{
		"/v1/devices/" + unknown:                       http.StatusNotFound,
		"/v1/devices/" + addrOf(alice).String():        http.StatusBadRequest, // an account, not a device
		"/v1/devices/depindev1qqqq":                    http.StatusBadRequest,
		"/v1/devices/" + unknown + "?height=-1":        http.StatusBadRequest,
		"/v1/devices/" + crypto.DeviceString(id) + "x": http.StatusBadRequest,
	} {
		var out map[string]any
		if code := getJSON(t, api, path, &out); code != want || out["error"] == "" {
			t.Errorf("GET %s: %d %v, want %d with an error", path, code, out, want)
		}
	}
}

// FuzzDeviceAPI asks GET /v1/devices/{id} with arbitrary ids and query
// strings: the answer is always 200, 400 or 404 with a JSON body, never a
// server error.
func FuzzDeviceAPI(f *testing.F) {
	n := nodetest.Devnet(f, node.DevnetOptions{})
	api := n.APIURL()
	known := crypto.DeviceString(crypto.AddressFromPubKey(devPriv("nobody").Public().(ed25519.PublicKey)))
	f.Add(known, "")
	f.Add(known, "height=1")
	f.Add(known, "height=99999999999999999999")
	f.Add(addrOf(devPriv("alice")).String(), "")
	f.Add("depindev1", "height=-1")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, id, query string) {
		q, _ := url.ParseQuery(query)
		req, err := http.NewRequest(http.MethodGet, api+"/v1/devices/"+url.PathEscape(id)+"?"+q.Encode(), nil)
		if err != nil {
			return
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		decodeErr := json.NewDecoder(resp.Body).Decode(&out)
		switch resp.StatusCode {
		case http.StatusOK, http.StatusBadRequest, http.StatusNotFound:
			if decodeErr != nil {
				t.Fatalf("GET %q ?%q: %d without a JSON body: %v", id, query, resp.StatusCode, decodeErr)
			}
		default:
			t.Fatalf("GET %q ?%q: %d %v", id, query, resp.StatusCode, out)
		}
	})
}
