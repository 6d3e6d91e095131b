package state_test

import (
	"errors"
	"testing"

	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/store"
)

// TestLoadAndRecords: absent records are nil, stored ones decode, and a
// stored record that does not decode panics with a *CorruptError naming
// its key, whichever reader meets it.
func TestLoadAndRecords(t *testing.T) {
	kv := store.NewCache(store.NewMemTree())
	if d := state.Load[bankv1.DenomMetadata](kv, []byte("d/a")); d != nil {
		t.Fatalf("absent record: %v", d)
	}
	for _, base := range []string{"a", "b", "c"} {
		kv.Set([]byte("d/"+base), state.Marshal(&bankv1.DenomMetadata{Base: base}))
	}
	if d := state.Load[bankv1.DenomMetadata](kv, []byte("d/b")); d.GetBase() != "b" {
		t.Fatalf("Load: %v", d)
	}
	var got string
	for k, d := range state.Records[bankv1.DenomMetadata](kv, []byte("d/")) {
		got += string(k) + "=" + d.Base + " "
		if d.Base == "b" {
			break
		}
	}
	if got != "d/a=a d/b=b " {
		t.Fatalf("Records: %q", got)
	}

	kv.Set([]byte("d/bad"), []byte{0xff})
	corrupt := func(name string, read func()) {
		t.Helper()
		defer func() {
			var ce *state.CorruptError
			err, _ := recover().(error)
			if !errors.As(err, &ce) || string(ce.Key) != "d/bad" {
				t.Errorf("%s: panic %v, want a CorruptError for d/bad", name, err)
			}
		}()
		read()
	}
	corrupt("Load", func() { state.Load[bankv1.DenomMetadata](kv, []byte("d/bad")) })
	corrupt("Get", func() { state.Get(kv, []byte("d/bad"), &bankv1.DenomMetadata{}) })
	corrupt("Records", func() {
		for range state.Records[bankv1.DenomMetadata](kv, []byte("d/")) {
		}
	})
}

// TestNumbers: number records are 8 bytes big-endian; amounts are never
// stored as 0; sequences start at 1; another length is corrupt.
func TestNumbers(t *testing.T) {
	kv := store.NewCache(store.NewMemTree())
	k := []byte("n")
	if v, ok := state.Uint64(kv, k); ok || v != 0 {
		t.Fatalf("absent: %d, %v", v, ok)
	}
	state.SetUint64(kv, k, 0)
	if v, ok := state.Uint64(kv, k); !ok || v != 0 || string(kv.Get(k)) != "\x00\x00\x00\x00\x00\x00\x00\x00" {
		t.Fatalf("SetUint64 0: %d, %v, %q", v, ok, kv.Get(k))
	}
	state.SetAmount(kv, k, 0x0102)
	if string(kv.Get(k)) != "\x00\x00\x00\x00\x00\x00\x01\x02" {
		t.Fatalf("SetAmount: %q", kv.Get(k))
	}
	state.SetAmount(kv, k, 0)
	if kv.Get(k) != nil {
		t.Fatal("SetAmount 0 stored a zero")
	}
	if a, b := state.NextSeq(kv, []byte("s")), state.NextSeq(kv, []byte("s")); a != 1 || b != 2 {
		t.Fatalf("NextSeq: %d, %d", a, b)
	}
	kv.Set(k, []byte{1, 2, 3})
	defer func() {
		var ce *state.CorruptError
		if err, _ := recover().(error); !errors.As(err, &ce) || string(ce.Key) != "n" {
			t.Errorf("a 3-byte number: panic %v", err)
		}
	}()
	state.Uint64(kv, k)
}
