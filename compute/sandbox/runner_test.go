package sandbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// emptyCommand is the smallest WASI command: an exported memory of pages
// pages and a _start that returns.
func emptyCommand(pages byte) []byte {
	b, err := hex.DecodeString("0061736d01000000" +
		"010401600000" + // type () -> ()
		"03020100" + // one function
		"0503010000" + // one memory, min set below
		"071302" + "066d656d6f72790200" + "065f73746172740000" + // exports memory, _start
		"0a040102000b") // body: end
	if err != nil {
		panic(err)
	}
	b[22] = pages
	return b
}

// TestRunnerCompilesOnce: tasks of one module share its compilation; the
// least recently used idle modules beyond CachedModules are dropped.
func TestRunnerCompilesOnce(t *testing.T) {
	ctx := context.Background()
	r, err := NewRunner(ctx, Config{MaxMemoryBytes: 1 << 20, CachedModules: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx)
	l := DefaultLimits()
	l.MemoryBytes = 1 << 20
	run := func(m []byte) {
		t.Helper()
		res, err := r.Run(ctx, Task{Module: m}, l)
		if err != nil || res.Status != OK {
			t.Fatalf("%v (%s), %v", res.Status, res.Reason, err)
		}
	}
	cached := func() []*compiled {
		r.mu.Lock()
		defer r.mu.Unlock()
		var out []*compiled
		for _, c := range r.modules {
			out = append(out, c)
		}
		return out
	}
	a, b := emptyCommand(1), emptyCommand(2)
	run(a)
	first := cached()
	run(a)
	if got := cached(); len(got) != 1 || got[0] != first[0] || got[0].mod == nil {
		t.Fatalf("second task of a module: cache %v, want the first compilation", got)
	}
	run(b)
	if got := cached(); len(got) != 1 || got[0].hash != sha256.Sum256(b) {
		t.Fatalf("cache after another module: %d entries, want only the newest", len(got))
	}

	// A module in use is never dropped, even past the bound.
	held, err := r.acquire(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	run(emptyCommand(3))
	if got := cached(); len(got) != 2 {
		t.Fatalf("%d cached, want the held module and the newest", len(got))
	}
	r.release(ctx, held)
	if got := cached(); len(got) != 1 {
		t.Fatalf("%d cached after release, want 1", len(got))
	}
}
