package state

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/depinhq/depin/store"
)

// Number records — balances, supplies, counters, sequence numbers, a
// network's last epoch — are 8 bytes, big-endian. They follow the rule of
// every record: absent is an answer, another length is corrupt state and
// panics with a *CorruptError.

// Uint64 reads the number under key and reports whether there is one.
func Uint64(r store.Reader, key []byte) (uint64, bool) {
	v := r.Get(key)
	if v == nil {
		return 0, false
	}
	if len(v) != 8 {
		panic(&CorruptError{Key: bytes.Clone(key), Err: fmt.Errorf("a number record of %d bytes", len(v))})
	}
	return binary.BigEndian.Uint64(v), true
}

// SetUint64 stores v under key.
func SetUint64(kv store.KV, key []byte, v uint64) {
	kv.Set(key, binary.BigEndian.AppendUint64(make([]byte, 0, 8), v))
}

// SetAmount stores an amount, which reads as 0 when absent: 0 deletes
// the key, so no zero is ever stored.
func SetAmount(kv store.KV, key []byte, v uint64) {
	if v == 0 {
		kv.Delete(key)
		return
	}
	SetUint64(kv, key, v)
}

// NextSeq advances the counter under key and returns its new value: 1
// the first time, then 2, 3…
func NextSeq(kv store.KV, key []byte) uint64 {
	n, _ := Uint64(kv, key)
	SetUint64(kv, key, n+1)
	return n + 1
}
