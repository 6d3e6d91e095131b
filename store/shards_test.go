package store

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"

	"github.com/cosmos/iavl"
	idb "github.com/cosmos/iavl/db"
)

// TestShardedTreeMatchesModel: random writes over several versions, read
// back key by key and by ranges from the working state and from every
// snapshot, against a model; writing a block at once (Cache.Write, the
// trees in parallel) and key by key gives the same root hash.
func TestShardedTreeMatchesModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	batched, single := NewMemTree(), NewMemTree()
	m := model{}
	var snaps []model
	for v := 1; v <= 5; v++ {
		c := NewCache(batched)
		// The same writes key by key, in the same (ascending) order.
		sc := NewCache(oneByOne{single})
		for range 300 {
			k := fmt.Sprintf("k%03d", rng.IntN(500))
			if rng.IntN(4) == 0 {
				c.Delete([]byte(k))
				sc.Delete([]byte(k))
				delete(m, k)
				continue
			}
			val := fmt.Sprintf("v%d-%d", v, rng.IntN(1000))
			c.Set([]byte(k), []byte(val))
			sc.Set([]byte(k), []byte(val))
			m[k] = val
		}
		c.Write()
		sc.Write()
		if !bytes.Equal(batched.WorkingHash(), single.WorkingHash()) {
			t.Fatalf("version %d: parallel and key-by-key writes hash differently", v)
		}
		for _, r := range [][2][]byte{{nil, nil}, {[]byte("k1"), []byte("k3")}, {[]byte("k250"), nil}} {
			if got, want := collect(batched, r[0], r[1]), m.pairs(r[0], r[1]); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("version %d working range %q: %d keys, want %d", v, r, len(got), len(want))
			}
		}
		root, ver, err := batched.SaveVersion()
		if err != nil || ver != int64(v) || !bytes.Equal(root, batched.Hash()) {
			t.Fatalf("save: %x %d %v", root, ver, err)
		}
		if _, _, err := single.SaveVersion(); err != nil {
			t.Fatal(err)
		}
		snaps = append(snaps, maps.Clone(m))
	}
	for v, sm := range snaps {
		s, err := batched.Snapshot(int64(v + 1))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := collect(s, nil, nil), sm.pairs(nil, nil); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("snapshot %d: %d keys, want %d", v+1, len(got), len(want))
		}
		for k, val := range sm {
			if string(s.Get([]byte(k))) != val {
				t.Fatalf("snapshot %d: %s = %q, want %q", v+1, k, s.Get([]byte(k)), val)
			}
		}
	}
	if _, err := batched.Snapshot(9); !errors.Is(err, ErrVersionUnavailable) {
		t.Fatalf("future version: %v", err)
	}
}

// oneByOne hides a Tree's type, so a Cache writes into it key by key.
type oneByOne struct{ *Tree }

// TestProofs: a proof of a present and of an absent key verifies against
// the root; a wrong value, a wrong root or tampered tree roots do not.
func TestProofs(t *testing.T) {
	tree := NewMemTree()
	for i := range 64 {
		tree.Set([]byte(fmt.Sprintf("key%02d", i)), []byte(fmt.Sprintf("val%02d", i)))
	}
	if _, _, err := tree.SaveVersion(); err != nil {
		t.Fatal(err)
	}
	s, err := tree.Snapshot(1)
	if err != nil {
		t.Fatal(err)
	}
	root := s.Hash()
	for _, k := range []string{"key07", "key63", "absent", "key07x"} {
		p, err := s.Proof([]byte(k))
		if err != nil {
			t.Fatal(err)
		}
		val := s.Get([]byte(k))
		if err := VerifyProof(root, []byte(k), val, p); err != nil {
			t.Errorf("%s: %v", k, err)
		}
		if err := VerifyProof(root, []byte(k), []byte("forged"), p); err == nil {
			t.Errorf("%s: a forged value verifies", k)
		}
		if err := VerifyProof(append([]byte{1}, root[1:]...), []byte(k), val, p); err == nil {
			t.Errorf("%s: verifies against another root", k)
		}
		bad := &Proof{ICS23: p.ICS23, Roots: append([][]byte{}, p.Roots...)}
		bad.Roots[ShardOf([]byte(k))] = make([]byte, 32)
		if err := VerifyProof(root, []byte(k), val, bad); err == nil {
			t.Errorf("%s: verifies with a tampered tree root", k)
		}
	}
	if err := VerifyProof(root, []byte("key07"), nil, &Proof{}); !errors.Is(err, ErrProof) {
		t.Errorf("empty proof: %v", err)
	}
}

// TestShardsRecoverFromPartialSave: a crash between the trees' saves
// leaves one tree a version ahead; reopening goes back to the version all
// trees have, with its hash, and the chain goes on from there.
func TestShardsRecoverFromPartialSave(t *testing.T) {
	dir := t.TempDir()
	tree, err := OpenTree(dir, "state", TreeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		tree.Set([]byte(fmt.Sprintf("a%d", i)), []byte("x"))
		if _, _, err := tree.SaveVersion(); err != nil {
			t.Fatal(err)
		}
	}
	want := tree.Hash()
	// Version 4 reaches one tree only, as if the node died mid-save.
	var key []byte
	for i := 0; ; i++ {
		if key = []byte(fmt.Sprintf("b%d", i)); ShardOf(key) == 2 {
			break
		}
	}
	if _, err := tree.trees[2].Set(key, []byte("y")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tree.trees[2].SaveVersion(); err != nil {
		t.Fatal(err)
	}
	if err := tree.Close(); err != nil {
		t.Fatal(err)
	}
	tree, err = OpenTree(dir, "state", TreeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	if tree.Version() != 3 || !bytes.Equal(tree.Hash(), want) || tree.Get(key) != nil {
		t.Fatalf("reopened at version %d, hash %X (want 3, %X), half-saved key %q", tree.Version(), tree.Hash(), want, tree.Get(key))
	}
	tree.Set(key, []byte("z"))
	if _, v, err := tree.SaveVersion(); err != nil || v != 4 {
		t.Fatalf("next save: version %d, %v", v, err)
	}
}

// TestOldLayoutRefused: a database holding one unprefixed tree (depin
// before state shards) is refused with an explanation, not misread.
func TestOldLayoutRefused(t *testing.T) {
	dir := t.TempDir()
	db, err := idb.NewGoLevelDB("state", dir)
	if err != nil {
		t.Fatal(err)
	}
	old := iavl.NewMutableTree(db, 100, true, iavl.NewNopLogger())
	if _, err := old.Set([]byte("k"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := old.SaveVersion(); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := OpenTree(dir, "state", TreeOptions{}); err == nil || !bytes.Contains([]byte(err.Error()), []byte("older depin")) {
		t.Fatalf("old layout: %v", err)
	}
}
