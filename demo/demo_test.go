package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is the demo's terminal: it prints from several goroutines
// while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestDemo runs the demo until its five networks have devices reporting
// and earning, the meters' market has cleared an interval, the
// batteries are in their virtual power plant and its operator has
// dispatched it, its storage client has put a file on the storage nodes
// and got it back, its compute providers have rendered and verified the
// 16 tiles of a render job, the terminal has said so, and rewards, the
// pool and the storage deal are visible through the GraphQL API; then it
// drives its explorer in headless Chromium.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole demo")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	var out lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Config{Home: t.TempDir(), Listen: "127.0.0.1:0", Duration: 3 * time.Minute, Devices: 4, Out: &out,
			Ready: func(u string) { ready <- u }})
	}()
	var base string
	select {
	case base = <-ready:
	case err := <-done:
		t.Fatalf("demo ended: %v\n%s", err, out.String())
	case <-time.After(60 * time.Second):
		t.Fatal("demo not ready")
	}
	if !strings.Contains(out.String(), base) {
		t.Fatalf("the demo did not print its URL:\n%s", out.String())
	}
	gql := func(q string) string {
		body, _ := json.Marshal(map[string]string{"query": q})
		resp, err := http.Post(base+"/graphql", "application/json", bytes.NewReader(body))
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		var r struct{ Data json.RawMessage }
		json.NewDecoder(resp.Body).Decode(&r)
		return string(r.Data)
	}
	const wait = 150 * time.Second
	deadline := time.Now().Add(wait)
	for {
		nets := gql(`{ networks { id devices } }`)
		// Every fleet earns (its devices report every epoch, solar ones
		// somewhere in daylight), and the terminal says so.
		rewards := gql(`{ r1: rewardsPerEpoch(network: "solar") { epoch distributed } r2: rewardsPerEpoch(network: "storage") { epoch }
			r3: rewardsPerEpoch(network: "airquality") { epoch } r4: rewardsPerEpoch(network: "meter") { epoch } r5: rewardsPerEpoch(network: "battery") { epoch } }`)
		market := gql(`{ marketClearings(network: "meter") { interval price volume } }`)
		// The storage client put a file on the storage nodes, got it back,
		// and the deal is on chain and indexed.
		deals := gql(`{ deals(network: "` + StorageNetwork + `") { totalCount } }`)
		// The batteries are in the operator's pool, which it dispatched
		// (its first dispatch waits for the batteries' first rewards:
		// credits are bought with them).
		pools := gql(`{ pools(network: "battery") { edges { node { memberCount dispatchCount } } } }`)
		said := out.String()
		if strings.Count(nets, `"devices":4`) == len(Fleets) && strings.Count(rewards, `:[{"epoch"`) == 5 &&
			strings.Contains(pools, `"memberCount":4,"dispatchCount":`) && !strings.Contains(pools, `"dispatchCount":0`) &&
			strings.Contains(said, "battery pool 1 (Madrid VPP): dispatch ") &&
			strings.Contains(market, `"price"`) && strings.Contains(said, "solar epoch ") && strings.Contains(said, "meter market ") &&
			strings.Contains(said, "got it back byte-identical") && strings.Contains(deals, `"totalCount":`) && !strings.Contains(deals, `"totalCount":0`) &&
			strings.Contains(said, "16 of 16 tiles verified") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: networks %s, rewards %s, market %s, pools %s, storage deals %s\n%s", wait, nets, rewards, market, pools, deals, out.String())
		}
		time.Sleep(time.Second)
	}
	// The explorer, driven by a real browser while the demo keeps running.
	t.Run("explorer", func(t *testing.T) { testExplorer(t, base, gql) })
	cancel()
	if err := <-done; err != nil && ctx.Err() == nil {
		t.Fatal(err)
	}
}
