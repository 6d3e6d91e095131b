package gateway

import (
	"errors"
	"testing"
)

func TestQueue(t *testing.T) {
	q := newQueue(3000, 100, 1<<20)
	for i := range 3000 {
		if err := q.push(&item{size: i % 7}); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.push(&item{}); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("push over the limit: %v", err)
	}
	// Pops keep the order, respect both bounds, and take at least one.
	next := 0
	for q.len() > 0 {
		got := q.pop(100, 40)
		if len(got) == 0 || len(got) > 100 {
			t.Fatalf("pop returned %d items", len(got))
		}
		size := 0
		for _, it := range got {
			if it.size != next%7 {
				t.Fatalf("item %d out of order", next)
			}
			next++
			size += it.size + itemOverhead
		}
		if len(got) > 1 && size > 40 {
			t.Fatalf("pop of %d items is %d bytes, max 40", len(got), size)
		}
	}
	if next != 3000 {
		t.Fatalf("popped %d of 3000", next)
	}
	if n, bytes, _ := q.peek(); n != 0 || bytes != 0 {
		t.Fatalf("empty queue: n %d bytes %d", n, bytes)
	}
	if len(q.items) > 1024 {
		t.Fatalf("backing array holds %d slots for an empty queue", len(q.items))
	}
	q.close()
	if err := q.push(&item{}); !errors.Is(err, ErrStopping) {
		t.Fatalf("push after close: %v", err)
	}
	if got := q.pop(10, 1); len(got) != 0 {
		t.Fatalf("pop of an empty queue: %d items", len(got))
	}
}
