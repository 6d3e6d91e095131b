package compute_test

import (
	"bytes"
	"crypto/sha256"
	"math/big"
	"testing"

	"github.com/depinhq/depin/api/compute"
	"github.com/depinhq/depin/crypto"
	computev1 "github.com/depinhq/depin/gen/depin/compute/v1"
)

func TestDefaultParamsAreValid(t *testing.T) {
	if err := compute.ValidateParams(compute.DefaultParams()); err != nil {
		t.Fatal(err)
	}
	bad := []func(p *computev1.ComputeParams){
		func(p *computev1.ComputeParams) { p.Denom = "" },
		func(p *computev1.ComputeParams) { p.MinPricePerTask = 0 },
		func(p *computev1.ComputeParams) { p.MaxTasks = compute.MaxTasks + 1 },
		func(p *computev1.ComputeParams) { p.MaxReplicas = 1 },
		func(p *computev1.ComputeParams) { p.MaxReplicas = compute.MaxReplicas + 1 },
		func(p *computev1.ComputeParams) { p.CommitSeconds = 0 },
		func(p *computev1.ComputeParams) { p.RevealSeconds = 1 << 40 },
		func(p *computev1.ComputeParams) { p.SlashBps = 10_001 },
		func(p *computev1.ComputeParams) { p.MaxMemoryBytes = 1 << 40 },
		func(p *computev1.ComputeParams) { p.MaxOutputBytes = 0 },
		func(p *computev1.ComputeParams) { p.MaxInlineBytes = compute.MaxInlineCap + 1 },
	}
	for i, edit := range bad {
		p := compute.DefaultParams()
		edit(p)
		if compute.ValidateParams(p) == nil {
			t.Errorf("case %d: %v accepted", i, p)
		}
	}
}

// FuzzEscrow: Escrow is tasks × price × (2r+1) exactly, or false when that
// does not fit in 64 bits.
func FuzzEscrow(f *testing.F) {
	f.Add(uint32(16), uint32(3), uint64(2000))
	f.Add(uint32(4096), uint32(15), uint64(1)<<50)
	f.Add(^uint32(0), ^uint32(0), ^uint64(0))
	f.Fuzz(func(t *testing.T, tasks, replicas uint32, price uint64) {
		got, ok := compute.Escrow(tasks, replicas, price)
		want := new(big.Int).SetUint64(price)
		want.Mul(want, new(big.Int).SetUint64(2*uint64(replicas)+1))
		want.Mul(want, new(big.Int).SetUint64(uint64(tasks)))
		if ok != want.IsUint64() || (ok && got != want.Uint64()) {
			t.Fatalf("Escrow(%d, %d, %d) = %d, %v; want %s", tasks, replicas, price, got, ok, want)
		}
	})
}

// TestCommitmentBindsEverything: another output, device or salt gives
// another commitment.
func TestCommitmentBindsEverything(t *testing.T) {
	h := sha256.Sum256([]byte("output"))
	dev := crypto.DeviceID{1}
	salt := bytes.Repeat([]byte{7}, 16)
	c := compute.Commitment(h[:], dev, salt)
	h2 := sha256.Sum256([]byte("output2"))
	for name, other := range map[string][]byte{
		"output": compute.Commitment(h2[:], dev, salt),
		"device": compute.Commitment(h[:], crypto.DeviceID{2}, salt),
		"salt":   compute.Commitment(h[:], dev, append(bytes.Clone(salt), 0)),
	} {
		if bytes.Equal(c, other) {
			t.Errorf("another %s, the same commitment", name)
		}
	}
}

// FuzzValidateBlob: a blob is accepted only with a 32-byte hash, a size,
// and either inline bytes of that size hashing to it (at most the limit)
// or a deal with a 32-byte key.
func FuzzValidateBlob(f *testing.F) {
	sum := sha256.Sum256([]byte("abc"))
	f.Add(sum[:], uint64(3), []byte("abc"), uint64(0), []byte(nil), uint32(16))
	f.Add(sum[:], uint64(3), []byte(nil), uint64(5), bytes.Repeat([]byte{1}, 32), uint32(16))
	f.Add(sum[:], uint64(3), []byte("abd"), uint64(0), []byte(nil), uint32(16))
	f.Fuzz(func(t *testing.T, hash []byte, size uint64, inline []byte, deal uint64, key []byte, limit uint32) {
		b := &computev1.Blob{Sha256: hash, Size: size, Inline: inline, Deal: deal, FileKey: key}
		if compute.ValidateBlob(b, limit) != nil {
			return
		}
		if len(hash) != 32 || size == 0 {
			t.Fatalf("accepted a blob with a %d-byte hash, size %d", len(hash), size)
		}
		if len(inline) > 0 {
			s := sha256.Sum256(inline)
			if !bytes.Equal(s[:], hash) || uint64(len(inline)) != size || len(inline) > int(limit) || deal != 0 || len(key) != 0 {
				t.Fatal("accepted inline bytes that do not match")
			}
		} else if deal == 0 || len(key) != 32 {
			t.Fatal("accepted a blob with neither bytes nor a deal and key")
		}
	})
}

func TestValidateName(t *testing.T) {
	for _, ok := range []string{"scene.json", "a_b-c.1", "X"} {
		if err := compute.ValidateName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".", "..", "a/b", "/etc", "a b", "é", string(make([]byte, 129))} {
		if compute.ValidateName(bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
