package storagenode

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/api/storage"
	"github.com/depinhq/depin/crypto"
	storagev1 "github.com/depinhq/depin/gen/depin/storage/v1"
)

const testChain = "storage-test"

var testNow = time.Unix(1_700_000_000, 0)

// testServer is a piece server over a temp store, served over real HTTP
// on loopback, with a fixed clock.
type testServer struct {
	t      *testing.T
	dir    string
	srv    *pieceServer
	http   *httptest.Server
	dev    ed25519.PrivateKey
	id     crypto.DeviceID
	owner  ed25519.PrivateKey
	serial byte
}

func key(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

func newTestServer(t *testing.T, dir string, capacity uint64) *testServer {
	t.Helper()
	store, err := OpenStore(dir, capacity, nil)
	if err != nil {
		t.Fatal(err)
	}
	ser, err := openSerials(dir, testNow.Unix())
	if err != nil {
		t.Fatal(err)
	}
	dev := key(2)
	ts := &testServer{t: t, dir: dir, dev: dev, id: crypto.AddressFromPubKey(dev.Public().(ed25519.PublicKey)), owner: key(1)}
	ts.srv = &pieceServer{store: store, serials: ser, chainID: testChain, id: ts.id, devKey: dev, maxTTL: time.Hour,
		now: func() time.Time { return testNow }, log: slog.New(slog.DiscardHandler)}
	ts.srv.leafSize.Store(64)
	ts.srv.maxPiece.Store(1 << 20)
	ts.http = httptest.NewServer(ts.srv.routes())
	t.Cleanup(func() { ts.http.Close(); ser.close() })
	return ts
}

// order signs an order; edit changes it before signing.
func (ts *testServer) order(signer ed25519.PrivateKey, action storagev1.OrderAction, id []byte, size uint64, edit func(*storagev1.Order)) string {
	ts.serial++
	o := &storagev1.Order{Action: action, PieceId: id, Size: size, Expires: testNow.Unix() + 600,
		Serial: bytes.Repeat([]byte{ts.serial}, storage.SerialLen), Node: ts.id[:]}
	if edit != nil {
		edit(o)
	}
	raw, err := storage.SignOrder(signer, testChain, o)
	if err != nil {
		ts.t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(raw)
}

// do sends a request; body nil means none.
func (ts *testServer) do(method string, id []byte, order string, body io.Reader, length int64) (int, []byte) {
	ts.t.Helper()
	req, err := http.NewRequest(method, ts.http.URL+storage.PiecePath(id), body)
	if err != nil {
		ts.t.Fatal(err)
	}
	if length >= 0 {
		req.ContentLength = length
	}
	if order != "" {
		req.Header.Set(storage.OrderHeader, order)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func pieceID(n byte) []byte { return bytes.Repeat([]byte{n}, storage.PieceIDLen) }

func errCode(b []byte) string {
	var e ErrorBody
	_ = json.Unmarshal(b, &e)
	return e.Code
}

// TestPutGetDelete: a piece stored with a signed order comes back byte for
// byte to its owner with a receipt signed by the node over the root it
// computed; the same upload again is the same piece; its owner deletes it.
func TestPutGetDelete(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), 1<<20)
	data := bytes.Repeat([]byte("piece!"), 1000)
	id := pieceID(1)
	status, body := ts.do("PUT", id, ts.order(ts.owner, storagev1.OrderAction_ORDER_ACTION_PUT, id, uint64(len(data)), nil), bytes.NewReader(data), int64(len(data)))
	if status != http.StatusCreated {
		t.Fatalf("PUT: %d %s", status, body)
	}
	r, err := storage.DecodeReceipt(body)
	if err != nil || r.Verify(testChain) != nil || r.Node != ts.id || !bytes.Equal(r.Root, storage.MerkleRoot(data, 64)) || r.Size != uint64(len(data)) {
		t.Fatalf("receipt %v: %v", r, err)
	}
	status, body = ts.do("PUT", id, ts.order(ts.owner, storagev1.OrderAction_ORDER_ACTION_PUT, id, uint64(len(data)), nil), bytes.NewReader(data), int64(len(data)))
	if status != http.StatusOK {
		t.Fatalf("PUT again: %d %s", status, body)
	}
	other := bytes.Clone(data)
	other[0] ^= 1
	status, body = ts.do("PUT", id, ts.order(ts.owner, storagev1.OrderAction_ORDER_ACTION_PUT, id, uint64(len(data)), nil), bytes.NewReader(other), int64(len(data)))
	if status != http.StatusConflict || errCode(body) != "piece_exists" {
		t.Fatalf("PUT of other bytes under the id: %d %s", status, body)
	}
	status, body = ts.do("GET", id, ts.order(ts.owner, storagev1.OrderAction_ORDER_ACTION_GET, id, 0, nil), nil, -1)
	if status != http.StatusOK || !bytes.Equal(body, data) {
		t.Fatalf("GET: %d, %d bytes", status, len(body))
	}
	status, body = ts.do("GET", id, ts.order(key(9), storagev1.OrderAction_ORDER_ACTION_GET, id, 0, nil), nil, -1)
	if status != http.StatusForbidden || errCode(body) != "not_owner" {
		t.Fatalf("GET by another account: %d %s", status, body)
	}
	// Once a live deal references the piece, anyone may read it (a
	// repairer rebuilding its segment), but not delete it.
	var pid PieceID
	copy(pid[:], id)
	ts.srv.live.Store(&map[PieceID]bool{pid: true})
	status, body = ts.do("GET", id, ts.order(key(9), storagev1.OrderAction_ORDER_ACTION_GET, id, 0, nil), nil, -1)
	if status != http.StatusOK || !bytes.Equal(body, data) {
		t.Fatalf("GET by another account of a piece a live deal references: %d, %d bytes", status, len(body))
	}
	status, _ = ts.do("HEAD", id, ts.order(ts.owner, storagev1.OrderAction_ORDER_ACTION_GET, id, 0, nil), nil, -1)
	if status != http.StatusOK {
		t.Fatalf("HEAD: %d", status)
	}
	status, body = ts.do("DELETE", id, ts.order(key(9), storagev1.OrderAction_ORDER_ACTION_DELETE, id, 0, nil), nil, -1)
	if status != http.StatusForbidden {
		t.Fatalf("DELETE by another account: %d %s", status, body)
	}
	status, body = ts.do("DELETE", id, ts.order(ts.owner, storagev1.OrderAction_ORDER_ACTION_DELETE, id, 0, nil), nil, -1)
	if status != http.StatusNoContent {
		t.Fatalf("DELETE: %d %s", status, body)
	}
	if used, pieces, _ := ts.srv.store.Usage(); used != 0 || pieces != 0 {
		t.Fatalf("after delete: %d bytes in %d pieces", used, pieces)
	}
	status, body = ts.do("GET", id, ts.order(ts.owner, storagev1.OrderAction_ORDER_ACTION_GET, id, 0, nil), nil, -1)
	if status != http.StatusNotFound || errCode(body) != "not_found" {
		t.Fatalf("GET of a deleted piece: %d %s", status, body)
	}
}

// TestPutRefuses: each bad upload is refused with its own status and
// code, and nothing is stored.
func TestPutRefuses(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), 10_000)
	data := bytes.Repeat([]byte{7}, 1000)
	id := pieceID(3)
	put := storagev1.OrderAction_ORDER_ACTION_PUT
	replayed := ts.order(ts.owner, put, pieceID(4), 10, nil)
	if status, body := ts.do("PUT", pieceID(4), replayed, bytes.NewReader(data[:10]), 10); status != http.StatusCreated {
		t.Fatalf("first use of an order: %d %s", status, body)
	}
	forged := func() string { // the owner's key named, another key's signature
		o := &storagev1.Order{Action: put, PieceId: id, Size: 1000, Expires: testNow.Unix() + 600, Serial: bytes.Repeat([]byte{99}, 16),
			Node: ts.id[:], OwnerPublicKey: ts.owner.Public().(ed25519.PublicKey)}
		body, _ := marshalDet(o)
		raw, _ := marshalDet(&storagev1.SignedOrder{OrderBytes: body, Signature: crypto.Sign(key(9), storage.DomainOrder, testChain, body)})
		return base64.RawURLEncoding.EncodeToString(raw)
	}()
	for _, tc := range []struct {
		name   string
		order  string
		body   io.Reader
		length int64
		status int
		code   string
		at     []byte // the piece in the URL, if not id
	}{
		{"no order", "", bytes.NewReader(data), 1000, 400, "bad_request", nil},
		{"garbage order", "AAAA", bytes.NewReader(data), 1000, 400, "malformed_order", nil},
		{"signed by another key", forged, bytes.NewReader(data), 1000, 401, "bad_signature", nil},
		{"signed for another chain", func() string {
			raw, _ := storage.SignOrder(ts.owner, "other-chain", &storagev1.Order{Action: put, PieceId: id, Size: 1000, Expires: testNow.Unix() + 60,
				Serial: bytes.Repeat([]byte{98}, 16), Node: ts.id[:]})
			return base64.RawURLEncoding.EncodeToString(raw)
		}(), bytes.NewReader(data), 1000, 401, "bad_signature", nil},
		{"replayed", replayed, bytes.NewReader(data[:10]), 10, 409, "replayed_order", pieceID(4)},
		{"expired", ts.order(ts.owner, put, id, 1000, func(o *storagev1.Order) { o.Expires = testNow.Unix() - 1 }), bytes.NewReader(data), 1000, 401, "order_expired", nil},
		{"expiring too late", ts.order(ts.owner, put, id, 1000, func(o *storagev1.Order) { o.Expires = testNow.Unix() + 7200 }), bytes.NewReader(data), 1000, 400, "order_too_long", nil},
		{"for another node", ts.order(ts.owner, put, id, 1000, func(o *storagev1.Order) { o.Node = bytes.Repeat([]byte{5}, 20) }), bytes.NewReader(data), 1000, 421, "wrong_node", nil},
		{"for another piece", ts.order(ts.owner, put, pieceID(8), 1000, nil), bytes.NewReader(data), 1000, 400, "bad_request", nil},
		{"a GET order", ts.order(ts.owner, storagev1.OrderAction_ORDER_ACTION_GET, id, 1000, nil), bytes.NewReader(data), 1000, 400, "bad_request", nil},
		{"order for more bytes than sent", ts.order(ts.owner, put, id, 1000, nil), bytes.NewReader(data[:900]), 900, 400, "body_too_short", nil},
		{"order for more bytes than sent, no length", ts.order(ts.owner, put, id, 1000, nil), io.MultiReader(bytes.NewReader(data[:900])), -1, 400, "body_too_short", nil},
		{"body bigger than the order", ts.order(ts.owner, put, id, 900, nil), bytes.NewReader(data), 1000, 413, "body_too_large", nil},
		{"body bigger than the order, no length", ts.order(ts.owner, put, id, 900, nil), io.MultiReader(bytes.NewReader(data)), -1, 413, "body_too_large", nil},
		{"piece larger than the node takes", ts.order(ts.owner, put, id, 2<<20, nil), bytes.NewReader(data), -1, 413, "piece_too_large", nil},
		{"beyond the capacity", ts.order(ts.owner, put, id, 10_000, nil), bytes.NewReader(bytes.Repeat([]byte{1}, 10_000)), 10_000, 507, "no_space", nil},
	} {
		at := id
		if tc.at != nil {
			at = tc.at
		}
		status, body := ts.do("PUT", at, tc.order, tc.body, tc.length)
		if status != tc.status || errCode(body) != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, status, body, tc.status, tc.code)
		}
		if !strings.Contains(string(body), `"error":"`) {
			t.Errorf("%s: no error message: %s", tc.name, body)
		}
		if _, ok := ts.srv.store.Info(PieceID(id)); ok {
			t.Fatalf("%s: the piece was stored", tc.name)
		}
	}
	if used, pieces, _ := ts.srv.store.Usage(); used != 10 || pieces != 1 {
		t.Fatalf("stored %d bytes in %d pieces, want only the first upload's 10", used, pieces)
	}
	if tmps, _ := os.ReadDir(filepath.Join(ts.dir, "tmp")); len(tmps) != 0 {
		t.Fatalf("temp files left: %v", tmps)
	}
}

// TestRestartKeepsServing: a store reopened over the same directory
// serves what it held and still refuses an order used before the restart;
// a half-written temp file is cleared and a truncated piece moved aside.
func TestRestartKeepsServing(t *testing.T) {
	dir := t.TempDir()
	ts := newTestServer(t, dir, 1<<20)
	data := bytes.Repeat([]byte("abc"), 5000)
	id := pieceID(1)
	order := ts.order(ts.owner, storagev1.OrderAction_ORDER_ACTION_PUT, id, uint64(len(data)), nil)
	if status, body := ts.do("PUT", id, order, bytes.NewReader(data), int64(len(data))); status != http.StatusCreated {
		t.Fatalf("PUT: %d %s", status, body)
	}
	ts.http.Close()
	ts.srv.serials.close()
	os.WriteFile(filepath.Join(dir, "tmp", "leftover"), []byte("half"), 0o600)
	bad := PieceID(pieceID(2))
	os.MkdirAll(filepath.Dir(ts.srv.store.path(bad)), 0o700)
	os.WriteFile(ts.srv.store.path(bad), []byte("depinpc1 truncated"), 0o600)

	ts2 := newTestServer(t, dir, 1<<20)
	ts2.serial = ts.serial
	if status, body := ts2.do("GET", id, ts2.order(ts2.owner, storagev1.OrderAction_ORDER_ACTION_GET, id, 0, nil), nil, -1); status != 200 || !bytes.Equal(body, data) {
		t.Fatalf("GET after restart: %d, %d bytes", status, len(body))
	}
	if status, body := ts2.do("PUT", id, order, bytes.NewReader(data), int64(len(data))); status != http.StatusConflict || errCode(body) != "replayed_order" {
		t.Fatalf("an order replayed after a restart: %d %s", status, body)
	}
	if used, pieces, _ := ts2.srv.store.Usage(); used != uint64(len(data)) || pieces != 1 {
		t.Fatalf("after restart: %d bytes in %d pieces", used, pieces)
	}
	if _, err := os.Stat(filepath.Join(dir, "corrupt", bad.String())); err != nil {
		t.Fatalf("the truncated piece was not moved aside: %v", err)
	}
	if tmps, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(tmps) != 0 {
		t.Fatalf("temp files left: %v", tmps)
	}
}

func marshalDet(m proto.Message) ([]byte, error) {
	return proto.MarshalOptions{Deterministic: true}.Marshal(m)
}
