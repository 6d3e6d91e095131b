package state

import (
	"fmt"

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

// Get reads the record under key into m and reports whether there was one.
// A record that does not decode means the state is corrupt: it panics.
func Get(r store.Reader, key []byte, m proto.Message) bool {
	v := r.Get(key)
	if v == nil {
		return false
	}
	if err := proto.Unmarshal(v, m); err != nil {
		panic(fmt.Errorf("state record %x: %w", key, err))
	}
	return true
}
