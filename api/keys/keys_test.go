package keys_test

import (
	"bytes"
	"testing"

	"github.com/depinhq/depin/api/keys"
)

func TestKey(t *testing.T) {
	prefix := []byte("m/p/")
	k := keys.New(prefix).Str("net").Sep().U64(0x0102030405060708).U32(0x0a0b0c0d).Byte('r').Bytes([]byte{0xff, 0xfe})
	want := []byte("m/p/net\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0a\x0b\x0c\x0d" + "r\xff\xfe")
	if !bytes.Equal(k, want) {
		t.Fatalf("key %q, want %q", k, want)
	}
	// Keys from one prefix never share memory, with each other or with
	// the prefix.
	a, b := keys.New(prefix).Str("a"), keys.New(prefix).Str("b")
	a[0] = 'x'
	if string(b) != "m/p/b" || string(prefix) != "m/p/" {
		t.Fatalf("keys share memory: %q %q %q", a, b, prefix)
	}
	var asBytes []byte = keys.New(prefix).U64(7) // a key function returns it as a []byte
	if id, ok := keys.LastU64(asBytes); !ok || id != 7 {
		t.Fatalf("LastU64 = %d, %v", id, ok)
	}
	if _, ok := keys.LastU64([]byte("short")); ok {
		t.Fatal("LastU64 of a 5-byte key")
	}
}

func BenchmarkKey(b *testing.B) {
	prefix := []byte("report/w/")
	id := bytes.Repeat([]byte{1}, 20)
	for b.Loop() {
		_ = keys.New(prefix).Str("solar").Sep().U64(12345).Bytes(id)
	}
}
