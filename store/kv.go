package store

import (
	"bytes"
	"iter"
)

// Reader reads state.
type Reader interface {
	// Get returns the value stored under key, or nil if there is none.
	Get(key []byte) []byte
	// Iterator walks keys in [start, end) in ascending order; nil end means
	// no upper bound. The caller must Close it.
	Iterator(start, end []byte) Iterator
}

// KV reads and writes state.
type KV interface {
	Reader
	Set(key, value []byte)
	Delete(key []byte)
}

// Iterator is a forward iterator over a key range.
type Iterator interface {
	Valid() bool
	Next()
	Key() []byte
	Value() []byte
	Close()
}

// PrefixEnd returns the smallest key greater than every key with the given
// prefix, or nil if there is none (prefix all 0xff).
func PrefixEnd(prefix []byte) []byte {
	end := bytes.Clone(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// Prefix iterates the keys with the given prefix and their values, in
// ascending order:
//
//	for k, v := range store.Prefix(r, p) { … }
//
// The iterator underneath is closed when the loop ends, by break and
// return too. k and v are valid until the next iteration (clone them to
// keep them), and the loop must not write to r's keys in the range.
func Prefix(r Reader, prefix []byte) iter.Seq2[[]byte, []byte] {
	return Range(r, prefix, PrefixEnd(prefix))
}

// Range iterates the keys in [start, end) and their values, in ascending
// order (nil end: no upper bound), like Prefix.
func Range(r Reader, start, end []byte) iter.Seq2[[]byte, []byte] {
	return func(yield func(key, value []byte) bool) {
		it := r.Iterator(start, end)
		defer it.Close()
		for ; it.Valid(); it.Next() {
			if !yield(it.Key(), it.Value()) {
				return
			}
		}
	}
}

// Each calls fn for every key with the given prefix, in ascending order,
// until fn returns false: Prefix with a callback, for callers outside the
// modules that still use it.
func Each(r Reader, prefix []byte, fn func(key, value []byte) bool) {
	for k, v := range Prefix(r, prefix) {
		if !fn(k, v) {
			return
		}
	}
}

// inRange reports whether key is in [start, end).
func inRange(key, start, end []byte) bool {
	return bytes.Compare(key, start) >= 0 && (end == nil || bytes.Compare(key, end) < 0)
}
