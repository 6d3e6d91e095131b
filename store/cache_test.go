package store

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
)

// model is a plain sorted map the cache and tree must agree with.
type model map[string]string

func (m model) rangeKeys(start, end []byte) []string {
	var out []string
	for k := range m {
		if inRange([]byte(k), start, end) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// pairs is what collect should return for the model.
func (m model) pairs(start, end []byte) []string {
	var out []string
	for _, k := range m.rangeKeys(start, end) {
		out = append(out, k+"="+m[k])
	}
	return out
}

func collect(r Reader, start, end []byte) []string {
	var out []string
	it := r.Iterator(start, end)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		out = append(out, string(it.Key())+"="+string(it.Value()))
	}
	return out
}

// TestCacheMatchesModel applies random writes through two nested caches
// over a tree and checks reads and iteration against a model at every
// layer, before and after flushing.
func TestCacheMatchesModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	key := func() []byte { return []byte(fmt.Sprintf("k%02d", rng.IntN(40))) }
	tree := NewMemTree()
	base := model{}
	for i := 0; i < 20; i++ {
		k := key()
		tree.Set(k, []byte("base"))
		base[string(k)] = "base"
	}
	for round := 0; round < 50; round++ {
		outer := NewCache(tree)
		inner := NewCache(outer)
		want := model{}
		for k, v := range base {
			want[k] = v
		}
		for op := 0; op < 30; op++ {
			k := key()
			if rng.IntN(3) == 0 {
				inner.Delete(k)
				delete(want, string(k))
			} else {
				v := fmt.Sprintf("v%d-%d", round, op)
				inner.Set(k, []byte(v))
				want[string(k)] = v
			}
		}
		check := func(layer string, r Reader, m model) {
			t.Helper()
			for i := 0; i < 40; i++ {
				k := fmt.Sprintf("k%02d", i)
				got := r.Get([]byte(k))
				if v, ok := m[k]; ok != (got != nil) || (ok && v != string(got)) {
					t.Fatalf("round %d %s: Get(%s) = %q, want %q (present %v)", round, layer, k, got, v, ok)
				}
			}
			starts := [][]byte{nil, []byte("k10"), []byte("k05")}
			ends := [][]byte{nil, []byte("k30"), []byte("k06")}
			for i := range starts {
				exp := m.pairs(starts[i], ends[i])
				if got := collect(r, starts[i], ends[i]); fmt.Sprint(got) != fmt.Sprint(exp) {
					t.Fatalf("round %d %s: iterate [%s,%s): %v, want %v", round, layer, starts[i], ends[i], got, exp)
				}
			}
		}
		check("inner", inner, want)
		check("outer before flush", outer, base)
		inner.Write()
		check("outer after flush", outer, want)
		if rng.IntN(2) == 0 {
			outer.Write()
			base = want
		} else {
			outer.Discard()
		}
		check("tree", tree, base)
	}
}

func TestPrefixEnd(t *testing.T) {
	for _, c := range []struct{ in, want []byte }{
		{[]byte("ab"), []byte("ac")},
		{[]byte{'a', 0xff}, []byte("b")},
		{[]byte{0xff, 0xff}, nil},
	} {
		if got := PrefixEnd(c.in); !bytes.Equal(got, c.want) {
			t.Errorf("PrefixEnd(%x) = %x, want %x", c.in, got, c.want)
		}
	}
}

// TestFlushOrderDoesNotChangeHash: the same writes staged in different
// orders give the same tree hash, because Write flushes sorted.
func TestFlushOrderDoesNotChangeHash(t *testing.T) {
	var hashes [][]byte
	for _, order := range [][]int{{0, 1, 2, 3, 4}, {4, 2, 0, 3, 1}} {
		tree := NewMemTree()
		c := NewCache(tree)
		for _, i := range order {
			c.Set([]byte(fmt.Sprintf("key%d", i)), []byte{byte(i)})
		}
		c.Write()
		hashes = append(hashes, tree.WorkingHash())
	}
	if !bytes.Equal(hashes[0], hashes[1]) {
		t.Fatal("hash depends on write order")
	}
}
