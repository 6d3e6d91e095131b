package state

import (
	"bytes"
	"fmt"
	"iter"

	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/store"
)

// Marshal encodes a state record deterministically (the one encoding every
// module stores). A record that cannot be encoded is a programming error.
func Marshal(m proto.Message) []byte {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

// Records are read one way. A record that is absent is an answer (nil, or
// false); a record that is stored but does not decode is not: only the
// modules write their state, so it means the state is corrupt, a broken
// invariant no reader can work around. Every reader below panics with a
// *CorruptError naming the key. Tx handlers and block steps recover
// panics deterministically (a tx fails; a block step is rolled back and
// its network frozen), so the chain goes on and the key is in the log.

// CorruptError is the panic value of a stored record that does not decode.
type CorruptError struct {
	Key []byte
	Err error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("corrupt state record %q: %v", e.Key, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// Decode decodes v, the value stored under key, into m; it panics with a
// *CorruptError if v does not decode.
func Decode(key, v []byte, m proto.Message) {
	if err := proto.Unmarshal(v, m); err != nil {
		panic(&CorruptError{Key: bytes.Clone(key), Err: err})
	}
}

// Get reads the record under key into m and reports whether there was one.
func Get(r store.Reader, key []byte, m proto.Message) bool {
	v := r.Get(key)
	if v == nil {
		return false
	}
	Decode(key, v, m)
	return true
}

// Record is the constraint of the typed readers: T a generated message
// type, P its pointer (Load[devicev1.Device] returns a *devicev1.Device).
type Record[T any] interface {
	*T
	proto.Message
}

// Load returns the record of type T stored under key, or nil if there is
// none:
//
//	d := state.Load[devicev1.Device](r, device.Key(id))
func Load[T any, P Record[T]](r store.Reader, key []byte) P {
	m := P(new(T))
	if !Get(r, key, m) {
		return nil
	}
	return m
}

// Records iterates the records of type T stored under prefix, decoded, in
// key order (the iterator is closed however the loop ends, see
// store.Prefix):
//
//	for _, v := range state.Records[stakingv1.Validator](r, ValidatorPrefix) { … }
func Records[T any, P Record[T]](r store.Reader, prefix []byte) iter.Seq2[[]byte, P] {
	return func(yield func([]byte, P) bool) {
		for k, v := range store.Prefix(r, prefix) {
			m := P(new(T))
			Decode(k, v, m)
			if !yield(k, m) {
				return
			}
		}
	}
}
