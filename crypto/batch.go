package crypto

import (
	"crypto/sha256"
	"encoding/binary"

	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// verifyOptions is ZIP-215 verification: the rules under which a batch
// verification and a single verification always agree, so the result of
// checking a signature never depends on how it was checked. (CometBFT uses
// the same rules for its own ed25519 keys.)
var verifyOptions = &voi.Options{Verify: voi.VerifyOptionsZIP_215}

// verifyEd25519 checks one signature under verifyOptions.
func verifyEd25519(pub, msg, sig []byte) bool {
	return voi.VerifyWithOptions(voi.PublicKey(pub), msg, sig, verifyOptions)
}

// BatchEntry is one signature to check in a batch.
type BatchEntry struct {
	PubKey  []byte
	Message []byte
	Sig     []byte
}

// BatchVerify checks many signatures at once (about twice as fast per
// signature as one by one) and returns each one's validity. Results equal
// those of Verify for every entry.
//
// A batch check combines the equations with random coefficients. The state
// machine may not use randomness, so they are drawn from a SHA-256 stream
// keyed by a hash of every entry (a Fiat-Shamir style derivation): nobody
// can choose signatures that cancel out without knowing the coefficients,
// which depend on those very signatures.
func BatchVerify(entries []BatchEntry) []bool {
	return BatchVerifyWith(entries, nil)
}

// BatchVerifyWith is BatchVerify using the expanded keys kept in keys
// (which may be nil) for the entries whose key it holds: same results,
// less work. Keys it did not hold are added once their signature verifies
// (a signer's next signatures then verify faster).
func BatchVerifyWith(entries []BatchEntry, keys *KeyCache) []bool {
	out := make([]bool, len(entries))
	if len(entries) == 0 {
		return out
	}
	bv := voi.NewBatchVerifierWithCapacity(len(entries))
	seed := sha256.New()
	valid := 0
	idx := make([]int, 0, len(entries))
	var missed []int // entries whose key keys does not hold
	for i, e := range entries {
		if len(e.PubKey) != voi.PublicKeySize || len(e.Sig) != voi.SignatureSize {
			continue // out[i] stays false
		}
		if x := keys.get((*[PubKeySize]byte)(e.PubKey)); x != nil {
			bv.AddExpandedWithOptions(x, e.Message, e.Sig, verifyOptions)
		} else {
			bv.AddWithOptions(voi.PublicKey(e.PubKey), e.Message, e.Sig, verifyOptions)
			if keys != nil {
				missed = append(missed, i)
			}
		}
		seed.Write(e.PubKey)
		seed.Write(e.Sig)
		m := sha256.Sum256(e.Message)
		seed.Write(m[:])
		idx = append(idx, i)
		valid++
	}
	if valid == 0 {
		return out
	}
	var key [32]byte
	copy(key[:], seed.Sum(nil))
	_, ok := bv.Verify(&hashStream{key: key})
	for j, i := range idx {
		out[i] = ok[j]
	}
	for _, i := range missed {
		if out[i] {
			keys.Add(entries[i].PubKey)
		}
	}
	return out
}

// hashStream is a deterministic byte stream: SHA-256(key || counter).
type hashStream struct {
	key [32]byte
	ctr uint64
	buf []byte
}

func (h *hashStream) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(h.buf) == 0 {
			var block [40]byte
			copy(block[:], h.key[:])
			binary.BigEndian.PutUint64(block[32:], h.ctr)
			h.ctr++
			sum := sha256.Sum256(block[:])
			h.buf = sum[:]
		}
		c := copy(p[n:], h.buf)
		h.buf = h.buf[c:]
		n += c
	}
	return n, nil
}

// VerifyRaw checks one ed25519 signature over msg under the same rules as
// Verify and BatchVerify (for measurements and tools; protocol code uses
// Verify with a domain).
func VerifyRaw(pub, msg, sig []byte) bool {
	return len(pub) == voi.PublicKeySize && len(sig) == voi.SignatureSize && verifyEd25519(pub, msg, sig)
}
