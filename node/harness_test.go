package node

import (
	"context"
	"crypto/ed25519"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/depinhq/depin/app"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/keystore"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/bank"
)

// hashLog records, per node, the app hash each committed height produced,
// and checks every module's books after every block.
type hashLog struct {
	t  *testing.T
	mu sync.Mutex
	by map[int]map[int64][]byte
}

func newHashLog(t *testing.T) *hashLog {
	return &hashLog{t: t, by: map[int]map[int64][]byte{}}
}

func (l *hashLog) hook(node int) func(int64, store.Reader) {
	return func(h int64, r store.Reader) {
		if err := app.CheckInvariants(r); err != nil {
			l.t.Errorf("node %d height %d: %v", node, h, err)
		}
		hash := r.(*store.Snapshot).Hash()
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.by[node] == nil {
			l.by[node] = map[int64][]byte{}
		}
		l.by[node][h] = hash
	}
}

func (l *hashLog) height(node int) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	var max int64
	for h := range l.by[node] {
		max = maxInt64(max, h)
	}
	return max
}

func maxInt64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// checkAgreement fails if two nodes committed different hashes at a height,
// and returns how many (node, height) pairs were compared.
func (l *hashLog) checkAgreement() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	ref := map[int64][]byte{}
	refNode := map[int64]int{}
	n := 0
	for node, hs := range l.by {
		for h, hash := range hs {
			n++
			if prev, ok := ref[h]; ok {
				if string(prev) != string(hash) {
					l.t.Fatalf("app hash mismatch at height %d: node %d %X, node %d %X", h, refNode[h], prev, node, hash)
				}
				continue
			}
			ref[h], refNode[h] = hash, node
		}
	}
	return n
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func testLogger(t *testing.T) *slog.Logger {
	if os.Getenv("DEPIN_TEST_VERBOSE") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.DiscardHandler)
}

// devKey loads a dev account's key from a node home.
func devKey(t *testing.T, home, name string) ed25519.PrivateKey {
	t.Helper()
	k, err := keystore.Open(KeysDir(home)).Load(name, nil)
	if err != nil {
		t.Fatal(err)
	}
	return k.Private
}

func devAddr(name string) crypto.Address {
	return crypto.AddressFromPubKey(ed25519.NewKeyFromSeed(DevSeed(name)).Public().(ed25519.PublicKey))
}

// send commits one transfer through c and fails the test otherwise.
func send(t *testing.T, c *client.Client, priv ed25519.PrivateKey, to crypto.Address, udpin uint64) *client.TxResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	from := crypto.AddressFromPubKey(priv.Public().(ed25519.PublicKey))
	res, err := c.SendTx(ctx, priv, []*txv1.Msg{client.MsgSend(from, to, bank.Coin(bank.NativeDenom, udpin))}, client.TxOptions{})
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	return res
}
