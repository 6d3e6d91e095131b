package crypto

import (
	"crypto/ed25519"
	"fmt"
	"testing"
)

// edgeEntries are signatures ZIP-215 judges on the edge: a small-order
// key (the identity) with the trivially "valid" signature R = identity,
// S = 0, the same key non-canonically encoded (y = p + 1), and a key that
// is no curve point.
func edgeEntries() []BatchEntry {
	identity := make([]byte, 32)
	identity[0] = 1
	nonCanonical := []byte{0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}
	notOnCurve := make([]byte, 32)
	notOnCurve[0] = 2
	trivial := append(append([]byte(nil), identity...), make([]byte, 32)...)
	return []BatchEntry{
		{PubKey: identity, Message: []byte("anything"), Sig: trivial},
		{PubKey: nonCanonical, Message: []byte("anything"), Sig: trivial},
		{PubKey: notOnCurve, Message: []byte("anything"), Sig: trivial},
	}
}

// TestBatchVerifyWithKeysAgrees: expanded keys from the cache change no
// result, for valid, forged and edge-case signatures alike, whether all,
// some or none of the keys are cached.
func TestBatchVerifyWithKeysAgrees(t *testing.T) {
	entries := append(batchFixture(40), edgeEntries()...)
	entries[3].Sig = append([]byte(nil), entries[3].Sig...)
	entries[3].Sig[10] ^= 1                 // corrupted signature
	entries[17].Message = []byte("other")   // signature over another message
	entries[20].PubKey = entries[21].PubKey // someone else's key
	entries[25].PubKey = []byte{1, 2, 3}    // malformed key
	want := make([]bool, len(entries))
	for i, e := range entries {
		want[i] = len(e.PubKey) == ed25519.PublicKeySize && len(e.Sig) == ed25519.SignatureSize && verifyEd25519(e.PubKey, e.Message, e.Sig)
	}
	if !want[len(entries)-3] || !want[len(entries)-2] || want[len(entries)-1] {
		t.Fatalf("ZIP-215 edge cases judged %v, want small-order and non-canonical keys accepted", want[len(entries)-3:])
	}
	for _, every := range []int{1, 2, 3} { // cache every key, every 2nd, every 3rd
		keys := NewKeyCache(1000)
		for i, e := range entries {
			if i%every == 0 {
				keys.Add(e.PubKey)
			}
		}
		got := BatchVerifyWith(entries, keys)
		for i := range entries {
			if got[i] != want[i] {
				t.Errorf("every %d cached: entry %d: %v, want %v", every, i, got[i], want[i])
			}
		}
	}
	// An empty cache gains exactly the keys whose signature verified.
	learned := NewKeyCache(1000)
	BatchVerifyWith(entries, learned)
	verified := map[string]bool{}
	for i, e := range entries {
		if want[i] {
			verified[string(e.PubKey)] = true
		}
	}
	for _, e := range entries {
		kept := len(e.PubKey) == PubKeySize && learned.get((*[PubKeySize]byte)(e.PubKey)) != nil
		if kept != verified[string(e.PubKey)] {
			t.Errorf("key %x kept %v, its signature verified %v", e.PubKey, kept, verified[string(e.PubKey)])
		}
	}
	if got := BatchVerifyWith(batchFixture(3), nil); !got[0] || !got[2] {
		t.Error("nil cache: valid batch rejected")
	}
}

// TestKeyCacheBounded: the cache never holds more than asked and keeps a
// key that is in use.
func TestKeyCacheBounded(t *testing.T) {
	const n = 256
	keys := NewKeyCache(n)
	fixture := batchFixture(2000)
	hot := fixture[0].PubKey
	for i, e := range fixture {
		keys.Add(e.PubKey)
		if keys.get((*[PubKeySize]byte)(hot)) == nil {
			t.Fatalf("after %d keys, the key used all along was dropped", i)
		}
		if l := keys.Len(); l > n {
			t.Fatalf("after %d keys: %d kept, max %d", i, l, n)
		}
	}
	if keys.Len() < n/4 {
		t.Errorf("only %d of max %d kept", keys.Len(), n)
	}
	keys.Add([]byte{1, 2, 3}) // wrong size: ignored
	var none *KeyCache
	none.Add(hot)
	if none.Len() != 0 || none.get((*[PubKeySize]byte)(hot)) != nil || NewKeyCache(0) != nil {
		t.Error("a nil cache keeps nothing")
	}
}

// BenchmarkVerifyCachedKeys is batch verification with every key kept
// expanded, as for devices that report again (compare batch1024 in
// BenchmarkVerify).
func BenchmarkVerifyCachedKeys(b *testing.B) {
	entries := batchFixture(1024)
	keys := NewKeyCache(len(entries) * 2)
	for _, e := range entries {
		keys.Add(e.PubKey)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j, ok := range BatchVerifyWith(entries, keys) {
			if !ok {
				b.Fatal(fmt.Sprint("entry ", j, " rejected"))
			}
		}
	}
	b.ReportMetric(float64(b.N*len(entries))/b.Elapsed().Seconds(), "sigs/s")
}
