package store

import "testing"

func TestRecentFollowsCommits(t *testing.T) {
	tree := NewMemTree()
	tree.Set([]byte("d/1"), []byte("one"))
	tree.Set([]byte("x/1"), []byte("other"))
	if _, _, err := tree.SaveVersion(); err != nil {
		t.Fatal(err)
	}
	r := NewRecent([]byte("d/"), 10)
	loads := 0
	get := func(k string) string {
		return string(r.Get([]byte(k), func() []byte { loads++; return tree.Get([]byte(k)) }))
	}
	for i := 0; i < 2; i++ {
		if get("d/1") != "one" {
			t.Fatal("d/1")
		}
	}
	if loads != 1 {
		t.Fatalf("a remembered key is loaded once (loads %d)", loads)
	}
	for i := 0; i < 2; i++ {
		if get("x/1") != "other" {
			t.Fatal("x/1")
		}
	}
	if loads != 3 {
		t.Fatalf("keys outside the prefix always load (loads %d)", loads)
	}
	if get("d/2") != "" || loads != 4 {
		t.Fatal("absent key")
	}

	// A finalized block that is not committed changes nothing.
	c := NewCache(tree)
	c.Set([]byte("d/1"), []byte("uno"))
	r.Stage(c)
	r.Drop()
	if get("d/1") != "one" {
		t.Fatal("dropped writes were applied")
	}
	// A committed block's writes and deletes are seen without loading.
	c = NewCache(tree)
	c.Set([]byte("d/1"), []byte("uno"))
	c.Set([]byte("d/2"), []byte("dos"))
	c.Delete([]byte("d/1"))
	c.Set([]byte("d/3"), []byte("tres"))
	r.Stage(c)
	c.Write()
	r.Commit()
	before := loads
	if get("d/1") != "" || get("d/2") != "dos" || get("d/3") != "tres" || loads != before {
		t.Fatalf("after commit: %q %q %q, loads %d→%d", get("d/1"), get("d/2"), get("d/3"), before, loads)
	}
	// Bounded.
	for i := 0; i < 50; i++ {
		get("d/x" + string(rune('a'+i)))
	}
	if n := len(r.vals); n > 10 {
		t.Fatalf("holds %d entries, max 10", n)
	}
}
