package store

import "bytes"

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

// Each calls fn for every key with the given prefix, in ascending order,
// until fn returns false.
func Each(r Reader, prefix []byte, fn func(key, value []byte) bool) {
	it := r.Iterator(prefix, PrefixEnd(prefix))
	defer it.Close()
	for ; it.Valid(); it.Next() {
		if !fn(it.Key(), it.Value()) {
			return
		}
	}
}

// inRange reports whether key is in [start, end).
func inRange(key, start, end []byte) bool {
	return bytes.Compare(key, start) >= 0 && (end == nil || bytes.Compare(key, end) < 0)
}
