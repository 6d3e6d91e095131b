package store

import (
	"slices"
	"testing"
)

// closeCounter counts the iterators opened over a Reader and closed.
type closeCounter struct {
	Reader
	opened, closed int
}

func (c *closeCounter) Iterator(start, end []byte) Iterator {
	c.opened++
	return &countedIterator{Iterator: c.Reader.Iterator(start, end), c: c}
}

type countedIterator struct {
	Iterator
	c *closeCounter
}

func (it *countedIterator) Close() { it.c.closed++; it.Iterator.Close() }

// TestPrefixAndRange: the range functions see the keys of their prefix
// or range in order, and close their iterator however the loop ends.
func TestPrefixAndRange(t *testing.T) {
	tree := NewMemTree()
	for _, k := range []string{"a/1", "a/2", "a/3", "b/1", "a"} {
		tree.Set([]byte(k), []byte("v"+k))
	}
	r := &closeCounter{Reader: tree}
	var got []string
	for k, v := range Prefix(r, []byte("a/")) {
		got = append(got, string(k)+"="+string(v))
	}
	if want := []string{"a/1=va/1", "a/2=va/2", "a/3=va/3"}; !slices.Equal(got, want) {
		t.Errorf("Prefix: %v, want %v", got, want)
	}
	got = got[:0]
	for k := range Range(r, []byte("a/2"), nil) {
		got = append(got, string(k))
	}
	if want := []string{"a/2", "a/3", "b/1"}; !slices.Equal(got, want) {
		t.Errorf("Range: %v, want %v", got, want)
	}
	// Early exits: break, return from a function, and a panic.
	for range Prefix(r, []byte("a/")) {
		break
	}
	first := func() string {
		for k := range Prefix(r, nil) {
			return string(k)
		}
		return ""
	}
	if k := first(); k != "a" {
		t.Errorf("first key %q", k)
	}
	func() {
		defer func() { _ = recover() }()
		for range Prefix(r, []byte("b/")) {
			panic("stop")
		}
	}()
	Each(r, []byte("a/"), func(_, _ []byte) bool { return false })
	if r.opened != 6 || r.closed != r.opened {
		t.Errorf("%d iterators opened, %d closed", r.opened, r.closed)
	}
}
