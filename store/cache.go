package store

import (
	"bytes"
	"sort"
)

// Cache stages writes over a parent. Reads see the staged writes; Write
// applies them to the parent in ascending key order; dropping the Cache
// discards them. A Cache is not safe for concurrent use.
type Cache struct {
	parent  KV
	entries map[string]entry
}

type entry struct {
	value   []byte
	deleted bool
}

var _ KV = (*Cache)(nil)

// NewCache returns an empty cache over parent.
func NewCache(parent KV) *Cache {
	return &Cache{parent: parent, entries: make(map[string]entry)}
}

// Get implements Reader.
func (c *Cache) Get(key []byte) []byte {
	if e, ok := c.entries[string(key)]; ok {
		if e.deleted {
			return nil
		}
		return e.value
	}
	return c.parent.Get(key)
}

// Set implements KV. The value is copied.
func (c *Cache) Set(key, value []byte) {
	if value == nil {
		value = []byte{}
	}
	c.entries[string(key)] = entry{value: bytes.Clone(value)}
}

// Delete implements KV.
func (c *Cache) Delete(key []byte) {
	c.entries[string(key)] = entry{deleted: true}
}

// Staged reports whether key has a staged write in this cache or in a
// Cache it is layered on: if not, reads of key fall through to the
// underlying store.
func (c *Cache) Staged(key []byte) bool {
	if _, ok := c.entries[string(key)]; ok {
		return true
	}
	if p, ok := c.parent.(*Cache); ok {
		return p.Staged(key)
	}
	return false
}

// SetParent points c at another parent. Use it only when the new parent
// holds the same values for every key c has read through (the block
// executes over a read-only view of the committed state, then writes into
// the tree once it holds that state too).
func (c *Cache) SetParent(parent KV) { c.parent = parent }

// Len is the number of staged writes.
func (c *Cache) Len() int { return len(c.entries) }

// Write applies the staged writes to the parent in ascending key order and
// empties the cache.
func (c *Cache) Write() {
	c.apply()
	clear(c.entries)
}

func (c *Cache) apply() {
	if t, ok := c.parent.(*Tree); ok {
		t.writeSorted(c.sortedKeys(nil, nil), c.entries)
		return
	}
	for _, k := range c.sortedKeys(nil, nil) {
		e := c.entries[k]
		if e.deleted {
			c.parent.Delete([]byte(k))
		} else {
			c.parent.Set([]byte(k), e.value)
		}
	}
}

// WriteOver applies the staged writes to the parent like Write, and
// returns them, not copied, as a new Cache over base: reads of it see
// these writes over base. c is left empty.
func (c *Cache) WriteOver(base KV) *Cache {
	c.apply()
	out := &Cache{parent: base, entries: c.entries}
	c.entries = make(map[string]entry)
	return out
}

// Discard drops the staged writes.
func (c *Cache) Discard() { clear(c.entries) }

func (c *Cache) sortedKeys(start, end []byte) []string {
	keys := make([]string, 0, len(c.entries))
	for k := range c.entries {
		if inRange([]byte(k), start, end) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// Iterator implements Reader: it merges the staged writes with the parent.
func (c *Cache) Iterator(start, end []byte) Iterator {
	if start == nil {
		start = []byte{}
	}
	m := &mergeIterator{parent: c.parent.Iterator(start, end), cache: c, keys: c.sortedKeys(start, end)}
	m.settle()
	return m
}

// mergeIterator yields the union of parent keys and staged keys, staged
// entries winning, deleted entries skipped.
type mergeIterator struct {
	parent Iterator
	cache  *Cache
	keys   []string // staged keys in range, ascending
	// current position
	key, value []byte
	valid      bool
}

func (m *mergeIterator) settle() {
	for {
		pv := m.parent.Valid()
		cv := len(m.keys) > 0
		if !pv && !cv {
			m.valid = false
			return
		}
		var fromCache bool
		switch {
		case !pv:
			fromCache = true
		case !cv:
			fromCache = false
		default:
			cmp := bytes.Compare([]byte(m.keys[0]), m.parent.Key())
			if cmp == 0 {
				m.parent.Next() // staged entry shadows the parent's
				continue
			}
			fromCache = cmp < 0
		}
		if fromCache {
			k := m.keys[0]
			m.keys = m.keys[1:]
			e := m.cache.entries[k]
			if e.deleted {
				continue
			}
			m.key, m.value, m.valid = []byte(k), e.value, true
			return
		}
		m.key, m.value, m.valid = bytes.Clone(m.parent.Key()), bytes.Clone(m.parent.Value()), true
		m.parent.Next()
		return
	}
}

func (m *mergeIterator) Valid() bool   { return m.valid }
func (m *mergeIterator) Key() []byte   { return m.key }
func (m *mergeIterator) Value() []byte { return m.value }
func (m *mergeIterator) Next()         { m.settle() }
func (m *mergeIterator) Close()        { m.parent.Close() }
