package crypto

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"testing"
)

func batchFixture(n int) []BatchEntry {
	entries := make([]BatchEntry, n)
	for i := range entries {
		seed := sha256.Sum256([]byte(fmt.Sprintf("batch key %d", i)))
		priv := ed25519.NewKeyFromSeed(seed[:])
		msg := []byte(fmt.Sprintf("message %d", i))
		entries[i] = BatchEntry{PubKey: priv.Public().(ed25519.PublicKey), Message: msg, Sig: ed25519.Sign(priv, msg)}
	}
	return entries
}

func TestBatchVerifyAgreesWithSingle(t *testing.T) {
	entries := batchFixture(64)
	entries[3].Sig = append([]byte(nil), entries[3].Sig...)
	entries[3].Sig[10] ^= 1                 // corrupted signature
	entries[17].Message = []byte("other")   // signature over another message
	entries[40].PubKey = entries[41].PubKey // someone else's key
	entries[50].Sig = entries[50].Sig[:10]  // truncated
	entries[51].PubKey = []byte{1, 2, 3}    // malformed key
	got := BatchVerify(entries)
	for i, e := range entries {
		want := len(e.PubKey) == ed25519.PublicKeySize && len(e.Sig) == ed25519.SignatureSize && verifyEd25519(e.PubKey, e.Message, e.Sig)
		if got[i] != want {
			t.Errorf("entry %d: batch %v, single %v", i, got[i], want)
		}
	}
	for _, bad := range []int{3, 17, 40, 50, 51} {
		if got[bad] {
			t.Errorf("entry %d accepted", bad)
		}
	}
	if !BatchVerify(batchFixture(5))[4] || len(BatchVerify(nil)) != 0 {
		t.Error("valid batch rejected")
	}
}

// BenchmarkVerify compares one-by-one verification (stdlib and ZIP-215)
// with batch verification, per signature; the stdlib figure is the limit
// docs/PERFORMANCE.md compares tx throughput against.
func BenchmarkVerify(b *testing.B) {
	entries := batchFixture(1024)
	b.Run("stdlib", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			e := entries[i%len(entries)]
			if !ed25519.Verify(e.PubKey, e.Message, e.Sig) {
				b.Fatal("invalid")
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sigs/s")
	})
	b.Run("zip215", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			e := entries[i%len(entries)]
			if !verifyEd25519(e.PubKey, e.Message, e.Sig) {
				b.Fatal("invalid")
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sigs/s")
	})
	b.Run("batch1024", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			BatchVerify(entries)
		}
		b.ReportMetric(float64(b.N*len(entries))/b.Elapsed().Seconds(), "sigs/s")
	})
}
