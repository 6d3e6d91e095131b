package storageclient_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/depinhq/depin/api/storage"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	storagev1 "github.com/depinhq/depin/gen/depin/storage/v1"
	"github.com/depinhq/depin/keystore"
	"github.com/depinhq/depin/node"
	"github.com/depinhq/depin/node/nodetest"
	"github.com/depinhq/depin/storageclient"
	"github.com/depinhq/depin/storagenet"
	"github.com/depinhq/depin/storagenode"
)

// world is a devnet with a storage network of 8 in-process nodes, each
// reached through a proxy of its own (what it announces) that can flip
// the bytes the node serves or stall its downloads.
type world struct {
	t       *testing.T
	chain   *client.Client
	net     *storagenet.Net
	proxies [8]*flipProxy
	bob     *storageclient.Client
	bobKey  ed25519.PrivateKey
}

// flipProxy forwards to a node; with flip set it flips a byte of every
// piece the node serves; with stall set it answers no GET until the
// client gives up.
type flipProxy struct {
	flip   atomic.Bool
	stall  atomic.Bool
	target atomic.Pointer[url.URL]
	url    string
}

func newFlipProxy(t *testing.T) *flipProxy {
	p := &flipProxy{}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(p.target.Load()) },
		ModifyResponse: func(res *http.Response) error {
			if res.Request.Method != http.MethodGet || res.StatusCode != http.StatusOK || !p.flip.Load() {
				return nil
			}
			b, err := io.ReadAll(res.Body)
			if err != nil {
				return err
			}
			res.Body.Close()
			b[len(b)/2] ^= 0x40
			res.Body = io.NopCloser(bytes.NewReader(b))
			return nil
		},
	}
	rp.ErrorLog = log.New(io.Discard, "", 0) // a stopped node: 502, as a real proxy would answer
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && p.stall.Load() {
			<-r.Context().Done()
			return
		}
		rp.ServeHTTP(w, r)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	p.url = "http://" + ln.Addr().String()
	return p
}

func devKey(t *testing.T, n *node.Node, name string) *keystore.Key {
	k, err := keystore.Open(node.KeysDir(n.Home())).Load(name, nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newWorld(t *testing.T, ctx context.Context) *world {
	n := nodetest.Devnet(t, node.DevnetOptions{})
	chain, err := client.New(n.RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	if err := chain.UseAPI(n.APIURL()); err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, chain: chain}
	for i := range w.proxies {
		w.proxies[i] = newFlipProxy(t)
	}
	params := storage.DefaultParams()
	// Every piece audited every epoch; a price at which each node earns
	// something every epoch.
	params.ChallengesPerNode, params.PricePerGibMonth = 64, 1<<40
	cfg := storagenet.DefaultConfig()
	cfg.Params, cfg.Dir, cfg.Funder = params, t.TempDir(), devKey(t, n, "alice").Private
	if testing.Verbose() {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	cfg.Node = func(i int, c *storagenode.Config) { c.PublicURL = w.proxies[i].url }
	w.net, err = storagenet.Start(ctx, chain, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.net.Close)
	for i, p := range w.proxies {
		u, _ := url.Parse("http://" + w.net.Node(i).Addr())
		p.target.Store(u)
	}
	sc := storageclient.DefaultConfig()
	w.bobKey = devKey(t, n, "bob").Private
	sc.Key, sc.HedgeAfter = w.bobKey, time.Second
	if w.bob, err = storageclient.New(chain, sc); err != nil {
		t.Fatal(err)
	}
	return w
}

// index is the storagenet index of a node.
func (w *world) index(id crypto.DeviceID) int {
	for i := range w.proxies {
		if w.net.ID(i) == id {
			return i
		}
	}
	w.t.Fatalf("no node %s", crypto.DeviceString(id))
	return -1
}

func (w *world) get(ctx context.Context, deal uint64, want []byte) *storageclient.GetResult {
	w.t.Helper()
	var out bytes.Buffer
	res, err := w.bob.Get(ctx, deal, &out, storageclient.GetOptions{})
	if err != nil {
		w.t.Fatalf("get: %v", err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		w.t.Fatalf("get returned %d bytes that differ from the %d stored", out.Len(), len(want))
	}
	return res
}

func sorted(ids ...crypto.DeviceID) []crypto.DeviceID {
	out := slices.Clone(ids)
	slices.SortFunc(out, func(a, b crypto.DeviceID) int { return bytes.Compare(a[:], b[:]) })
	return out
}

// TestStorageNetwork: 8 storage nodes on a devnet. A random file stored
// k=4 of n=8 comes back byte-identical; a node that stalls is hedged
// around; a node serving flipped bytes is
// caught by the root check and skipped; with 3 nodes stopped as well it
// still comes back. A node that deletes 20% of its pieces fails its audits
// and is disqualified; honest nodes answer theirs and are paid. Removing
// the deal empties the nodes (a node restarted over its data directory
// deletes the pieces of the closed deal itself). Bad requests fail
// before anything is uploaded.
func TestStorageNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet and 8 storage nodes")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Second)
	defer cancel()
	w := newWorld(t, ctx)
	size := 10 << 20
	if s := os.Getenv("DEPIN_STORAGE_TEST_MIB"); s != "" { // e.g. 64, as issue 18 asks, off CI
		mib, _ := strconv.Atoi(s)
		size = mib << 20
	}
	data := make([]byte, size)
	rand.Read(data)
	var progress atomic.Uint64
	start := time.Now()
	put, err := w.bob.Put(ctx, bytes.NewReader(data), uint64(len(data)), storageclient.PutOptions{K: 4, N: 8, Duration: time.Hour,
		SegmentSize: uint64(size+19) / 20, Progress: func(done, total uint64) { progress.Store(done) }})
	if err != nil {
		t.Fatalf("put: %v", err)
	}
	t.Logf("put %d MiB in %s: deal %d, %d segments, %d bytes of pieces, escrow %d %s",
		size>>20, time.Since(start).Round(time.Millisecond), put.Deal, put.Layout.Segments, put.Stored, put.Escrow, put.Denom)
	if progress.Load() != put.Stored || put.Layout.Segments != 20 || len(put.Nodes) != 8 || put.Replaced != 0 {
		t.Fatalf("progress %d of %d; %d segments on %d nodes, %d replaced", progress.Load(), put.Stored, put.Layout.Segments, len(put.Nodes), put.Replaced)
	}
	d, err := w.chain.Deal(ctx, put.Deal, client.QueryOptions{})
	if err != nil || d == nil || d.Size != uint64(size) || len(d.Pieces) != 160 {
		t.Fatalf("deal on chain: %v %v", d, err)
	}
	// Roles by the pieces they hold: piece i of every segment is on
	// put.Nodes[i]; a download asks for the data pieces (0..k-1) first.
	corrupt, lossy := put.Nodes[0], put.Nodes[4]
	stopped, honest := put.Nodes[1:4], []crypto.DeviceID{put.Nodes[0], put.Nodes[5], put.Nodes[6], put.Nodes[7]}

	// The node of piece 1 (a data piece, asked first) stalls: its pieces
	// are late, another node is asked after a delay that follows the
	// other pieces' times, and the file comes back. The client would wait
	// an hour before it hedged on its fixed bound: only the adaptive delay
	// finishes this get before the test's deadline.
	sc := storageclient.DefaultConfig()
	sc.Key, sc.HedgeAfter = w.bobKey, time.Hour
	patient, err := storageclient.New(w.chain, sc)
	if err != nil {
		t.Fatal(err)
	}
	w.proxies[w.index(put.Nodes[1])].stall.Store(true)
	start = time.Now()
	var out bytes.Buffer
	res, err := patient.Get(ctx, put.Deal, &out, storageclient.GetOptions{})
	if err != nil || !bytes.Equal(out.Bytes(), data) {
		t.Fatalf("get with a stalled node: %v (%d bytes)", err, out.Len())
	}
	t.Logf("get with a stalled node: %s, %d pieces fetched, %d hedged", time.Since(start).Round(time.Millisecond), res.Fetched, res.Hedged)
	if res.Hedged == 0 || len(res.Failed) != 0 || len(res.Corrupt) != 0 {
		t.Fatalf("hedged %d, failed %v, corrupt %v", res.Hedged, res.Failed, res.Corrupt)
	}
	w.proxies[w.index(put.Nodes[1])].stall.Store(false)

	// The node of piece 0 serves flipped bytes: caught, skipped, the file
	// intact.
	w.proxies[w.index(corrupt)].flip.Store(true)
	start = time.Now()
	res = w.get(ctx, put.Deal, data)
	t.Logf("get with a corrupting node: %s, %d pieces fetched", time.Since(start).Round(time.Millisecond), res.Fetched)
	if !slices.Equal(res.Corrupt, []crypto.DeviceID{corrupt}) {
		t.Fatalf("corrupt nodes %v, want %v", res.Corrupt, corrupt)
	}
	// Three more nodes stop: 4 honest nodes are left, exactly k.
	for _, id := range stopped {
		if err := w.net.Stop(w.index(id)); err != nil {
			t.Fatal(err)
		}
	}
	start = time.Now()
	res = w.get(ctx, put.Deal, data)
	t.Logf("get with 3 nodes down and 1 corrupting: %s", time.Since(start).Round(time.Millisecond))
	if !slices.Equal(res.Corrupt, []crypto.DeviceID{corrupt}) || !slices.Equal(res.Failed, sorted(stopped...)) {
		t.Fatalf("corrupt %v, failed %v", res.Corrupt, res.Failed)
	}

	// Bad requests, refused before anything is uploaded.
	used := func() uint64 {
		var u uint64
		for _, id := range append([]crypto.DeviceID{lossy}, honest...) {
			x, _, _ := w.net.Node(w.index(id)).Store().Usage()
			u += x
		}
		return u
	}
	before := used()
	for _, tc := range []struct {
		name string
		size int
		k, n uint32
		want error
	}{
		{"empty file", 0, 4, 8, storageclient.ErrEmptyFile},
		{"k = n", 100, 8, 8, storageclient.ErrCoding},
		{"k > n", 100, 9, 8, storageclient.ErrCoding},
		{"n above the eligible nodes", 100, 4, 9, storageclient.ErrNotEnoughNodes},
	} {
		_, err := w.bob.Put(ctx, bytes.NewReader(make([]byte, tc.size)), uint64(tc.size), storageclient.PutOptions{K: tc.k, N: tc.n, Duration: time.Hour})
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := w.bob.Get(ctx, 999, io.Discard, storageclient.GetOptions{}); !errors.Is(err, storage.ErrUnknownDeal) {
		t.Errorf("get of an unknown deal: %v", err)
	}
	if used() != before {
		t.Errorf("a refused put stored %d bytes", used()-before)
	}

	// A node loses 20% of its pieces (4 of 20): audits catch it.
	ln := w.net.Node(w.index(lossy))
	pieces := ln.Store().List()
	for _, p := range pieces[:len(pieces)/5] {
		if err := ln.Store().Delete(p.ID); err != nil {
			t.Fatal(err)
		}
	}
	stats := func(id crypto.DeviceID) *storagev1.NodeStats {
		s, err := w.chain.NodeStats(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	earned := stats(honest[1]).Earned
	for !stats(lossy).Disqualified {
		if ctx.Err() != nil {
			t.Fatalf("the node that lost pieces was not disqualified: %v", stats(lossy))
		}
		time.Sleep(300 * time.Millisecond)
	}
	s := stats(lossy)
	t.Logf("the node that lost 20%% of its pieces was disqualified: %d audits passed, %d missed", s.AuditsPassed, s.AuditsMissed)
	for _, id := range honest {
		if s := stats(id); s.AuditsPassed == 0 || s.AuditsMissed != 0 || s.Earned == 0 || s.Disqualified {
			t.Errorf("honest node %s: %v", crypto.DeviceString(id), s)
		}
	}
	if s := stats(honest[1]); s.Earned <= earned {
		t.Errorf("an honest node earned nothing more while it answered audits: %d, before %d", s.Earned, earned)
	}

	// Remove: the deal closes, the running nodes delete at once; a
	// stopped node, restarted over its data directory, deletes its
	// pieces itself.
	rm, err := w.bob.Remove(ctx, put.Deal)
	if err != nil || !rm.Closed || rm.Refunded == 0 || rm.Deleted == 0 {
		t.Fatalf("remove: %+v %v", rm, err)
	}
	if err := w.net.Start(ctx, w.index(stopped[0])); err != nil {
		t.Fatal(err)
	}
	for _, id := range append([]crypto.DeviceID{stopped[0], lossy}, honest...) {
		for {
			if u, _, _ := w.net.Node(w.index(id)).Store().Usage(); u == 0 {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("node %s still holds pieces of the removed deal", crypto.DeviceString(id))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}
