// Package keys builds store keys, the one way every module and client
// does. A key is a prefix and parts; New copies the prefix and each method
// appends one part, so the code of a key reads as its layout:
//
//	keys.New(WorkPrefix).Str(net).Sep().U64(epoch).Bytes(id[:]) // report/w/<net> 0x00 <epoch 8B> <device 20B>
//
// Numbers are big-endian so keys sort by them; a variable-length part
// that other parts follow (a network id, a denom) ends with Sep, so no
// id's keys run into another's. Like every api package it is a leaf: the
// standard library only.
package keys

import "encoding/binary"

// Key is a store key being built. It is a []byte (a key function returns
// it as one); New gives each key its own memory, so keys built from the
// same prefix never share bytes.
type Key []byte

// New starts a key with a copy of prefix.
func New(prefix []byte) Key {
	return append(make(Key, 0, len(prefix)+64), prefix...)
}

// Bytes appends b as is (a fixed-length id, or a last part).
func (k Key) Bytes(b []byte) Key { return append(k, b...) }

// Str appends s as is.
func (k Key) Str(s string) Key { return append(k, s...) }

// Sep appends the 0x00 that ends a variable-length part.
func (k Key) Sep() Key { return append(k, 0) }

// Byte appends one byte (a kind tag).
func (k Key) Byte(b byte) Key { return append(k, b) }

// U32 appends v as 4 bytes, big-endian.
func (k Key) U32(v uint32) Key { return binary.BigEndian.AppendUint32(k, v) }

// U64 appends v as 8 bytes, big-endian.
func (k Key) U64(v uint64) Key { return binary.BigEndian.AppendUint64(k, v) }

// LastU64 decodes the 8-byte big-endian number a key ends with (an id
// at the end of an index key); false if the key is shorter.
func LastU64(k []byte) (uint64, bool) {
	if len(k) < 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(k[len(k)-8:]), true
}
