package store

// shardIterator iterates several iterators over disjoint key sets as one,
// in ascending key order.
type shardIterator struct {
	its []Iterator
	cur int // index of the iterator at the smallest key, -1 when done
}

func newShardIterator(its []Iterator) *shardIterator {
	m := &shardIterator{its: its}
	m.pick()
	return m
}

func (m *shardIterator) pick() {
	m.cur = -1
	for i, it := range m.its {
		if !it.Valid() {
			continue
		}
		if m.cur < 0 || string(it.Key()) < string(m.its[m.cur].Key()) {
			m.cur = i
		}
	}
}

func (m *shardIterator) Valid() bool   { return m.cur >= 0 }
func (m *shardIterator) Key() []byte   { return m.its[m.cur].Key() }
func (m *shardIterator) Value() []byte { return m.its[m.cur].Value() }

func (m *shardIterator) Next() {
	m.its[m.cur].Next()
	m.pick()
}

func (m *shardIterator) Close() {
	for _, it := range m.its {
		it.Close()
	}
}
