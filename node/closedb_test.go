package node

import (
	"errors"
	"testing"

	dbm "github.com/cometbft/cometbft-db"
)

// TestClosedGuard: once closed, a guarded pebble database is never reached
// again — reads find nothing instead of panicking with "pebble: closed"
// (CometBFT's block store panics on any read error), writes, batches and
// iterators fail with errDBClosed.
func TestClosedGuard(t *testing.T) {
	db, err := dbm.NewPebbleDB("guard", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	g := &closedGuard{DB: db}
	if err := g.Set([]byte("k"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	if v, err := g.Get([]byte("k")); err != nil || string(v) != "v" {
		t.Fatalf("open: Get = %q, %v", v, err)
	}
	b := g.NewBatch()
	if err := b.Set([]byte("b"), []byte("1")); err != nil {
		t.Fatal(err)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	if err := g.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if v, err := g.Get([]byte("k")); err != nil || v != nil {
		t.Fatalf("closed: Get = %q, %v; want nothing, no error", v, err)
	}
	if ok, err := g.Has([]byte("k")); err != nil || ok {
		t.Fatalf("closed: Has = %v, %v", ok, err)
	}
	for name, err := range map[string]error{
		"Set":        g.Set([]byte("k"), nil),
		"SetSync":    g.SetSync([]byte("k"), nil),
		"Delete":     g.Delete([]byte("k")),
		"DeleteSync": g.DeleteSync([]byte("k")),
		"batch":      b.Write(),
		"batch sync": b.WriteSync(),
	} {
		if !errors.Is(err, errDBClosed) {
			t.Errorf("closed: %s = %v, want errDBClosed", name, err)
		}
	}
	if _, err := g.Iterator(nil, nil); !errors.Is(err, errDBClosed) {
		t.Errorf("closed: Iterator = %v", err)
	}
	if _, err := g.ReverseIterator(nil, nil); !errors.Is(err, errDBClosed) {
		t.Errorf("closed: ReverseIterator = %v", err)
	}
}
