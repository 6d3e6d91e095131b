package compute

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/bits"
	"strings"

	"github.com/depinhq/depin/crypto"
	computev1 "github.com/depinhq/depin/gen/depin/compute/v1"
)

// Limits.
const (
	MinReplicas = 2
	MaxReplicas = 15   // the cap of a network's max_replicas
	MaxTasks    = 4096 // the cap of a network's max_tasks
	// MaxAssignments bounds tasks × replicas of one job: what its one
	// submitting tx writes (a task record and an assignment per provider
	// each), whatever the network's params allow.
	MaxAssignments  = 4096
	HashLen         = sha256.Size // of a blob, an output, a commitment
	MinSaltLen      = 16
	MaxSaltLen      = 64
	MaxInputs       = 32
	MaxNameLen      = 128
	MaxArgs         = 64
	MaxArgsBytes    = 8 << 10
	MaxInlineCap    = 1 << 20   // the cap of a network's max_inline_bytes
	MaxOutputCap    = 1 << 20   // the cap of a network's max_output_bytes
	MaxMemoryCap    = 4 << 30   // the cap of a network's max_memory_bytes (wasm32 addresses 4 GiB)
	MaxTimeoutCapMs = 3_600_000 // an hour
	FileKeyLen      = 32
	// Rounds: a task whose first round finds no majority gets a second
	// round of replicas+1 fresh providers; the escrow covers both.
	Rounds = 2
)

// DefaultParams are sensible compute params: 2 to 5 replicas, 256 tasks of
// at most 256 MiB and 60 s each, 64 KiB outputs, a minute to commit and a
// minute to reveal, 5% slashed from a provider the majority outvotes.
func DefaultParams() *computev1.ComputeParams {
	return &computev1.ComputeParams{Denom: "udpin", MinPricePerTask: 1, MaxTasks: 256, MaxReplicas: 5,
		CommitSeconds: 60, RevealSeconds: 60, MaxDeadlineSeconds: 86_400, SlashBps: 500,
		MaxMemoryBytes: 256 << 20, MaxTimeoutMs: 60_000, MaxOutputBytes: 64 << 10, MaxInlineBytes: 256 << 10}
}

// ValidateParams checks a network's compute params (nil: no compute).
func ValidateParams(p *computev1.ComputeParams) error {
	if p == nil {
		return nil
	}
	switch {
	case p.Denom == "":
		return fmt.Errorf("compute denom is empty")
	case p.MinPricePerTask == 0:
		return fmt.Errorf("compute min_price_per_task is 0 (providers must be paid something)")
	case p.MaxTasks == 0 || p.MaxTasks > MaxTasks:
		return fmt.Errorf("compute max_tasks %d (1..%d)", p.MaxTasks, MaxTasks)
	case p.MaxReplicas < MinReplicas || p.MaxReplicas > MaxReplicas:
		return fmt.Errorf("compute max_replicas %d (%d..%d)", p.MaxReplicas, MinReplicas, MaxReplicas)
	case p.CommitSeconds == 0 || p.CommitSeconds > 86_400 || p.RevealSeconds == 0 || p.RevealSeconds > 86_400:
		return fmt.Errorf("compute commit_seconds %d and reveal_seconds %d (1..86400 each)", p.CommitSeconds, p.RevealSeconds)
	case p.MaxDeadlineSeconds == 0 || p.MaxDeadlineSeconds > 30*86_400:
		return fmt.Errorf("compute max_deadline_seconds %d (1..30 days)", p.MaxDeadlineSeconds)
	case p.SlashBps > 10_000:
		return fmt.Errorf("compute slash_bps %d (0..10000)", p.SlashBps)
	case p.MaxMemoryBytes < 64<<10 || p.MaxMemoryBytes > MaxMemoryCap:
		return fmt.Errorf("compute max_memory_bytes %d (one 64 KiB wasm page..4 GiB)", p.MaxMemoryBytes)
	case p.MaxTimeoutMs == 0 || p.MaxTimeoutMs > MaxTimeoutCapMs:
		return fmt.Errorf("compute max_timeout_ms %d (1..%d)", p.MaxTimeoutMs, MaxTimeoutCapMs)
	case p.MaxOutputBytes == 0 || p.MaxOutputBytes > MaxOutputCap:
		return fmt.Errorf("compute max_output_bytes %d (1..%d)", p.MaxOutputBytes, MaxOutputCap)
	case p.MaxInlineBytes > MaxInlineCap:
		return fmt.Errorf("compute max_inline_bytes %d (0..%d)", p.MaxInlineBytes, MaxInlineCap)
	}
	return nil
}

// Escrow is what a job escrows: tasks × price × (2 × replicas + 1), enough
// to pay both rounds' providers of every task; false if it overflows.
func Escrow(tasks, replicas uint32, price uint64) (uint64, bool) {
	hi, perTask := bits.Mul64(price, 2*uint64(replicas)+1)
	if hi != 0 {
		return 0, false
	}
	hi, total := bits.Mul64(perTask, uint64(tasks))
	return total, hi == 0
}

// commitDomain separates commitments from every other hash.
const commitDomain = "depin/compute/commit/v1\x00"

// Commitment is what a provider commits to before anyone reveals:
// SHA-256("depin/compute/commit/v1" 0x00 ‖ output_hash ‖ device ‖ salt).
// Binding the device stops a provider from copying another's commitment.
func Commitment(outputHash []byte, dev crypto.DeviceID, salt []byte) []byte {
	h := sha256.New()
	h.Write([]byte(commitDomain))
	h.Write(outputHash)
	h.Write(dev[:])
	h.Write(salt)
	return h.Sum(nil)
}

// ValidateName checks an input's file name: a plain name in /in (letters,
// digits, '.', '_', '-'; not "." or "..").
func ValidateName(name string) error {
	if name == "" || len(name) > MaxNameLen || name == "." || name == ".." {
		return fmt.Errorf("input name %q: want 1..%d characters, and not \".\" or \"..\" (a plain file name)", name, MaxNameLen)
	}
	for _, r := range name {
		ok := r == '.' || r == '_' || r == '-' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
		if !ok {
			return fmt.Errorf("input name %q: only letters, digits, '.', '_' and '-'", name)
		}
	}
	return nil
}

// ValidateBlob checks a module or input reference: its hash, size, and
// either inline bytes (at most maxInline, hashing to sha256) or a storage
// deal with its file key.
func ValidateBlob(b *computev1.Blob, maxInline uint32) error {
	switch {
	case b == nil:
		return fmt.Errorf("no blob")
	case len(b.Sha256) != HashLen:
		return fmt.Errorf("sha256 of %d bytes, want %d", len(b.Sha256), HashLen)
	case b.Size == 0:
		return fmt.Errorf("an empty blob")
	}
	if len(b.Inline) > 0 {
		if b.Deal != 0 || len(b.FileKey) != 0 {
			return fmt.Errorf("both inline bytes and a storage deal")
		}
		if len(b.Inline) > int(maxInline) {
			return fmt.Errorf("%d inline bytes, the network takes at most %d (store bigger blobs in the storage network)", len(b.Inline), maxInline)
		}
		if uint64(len(b.Inline)) != b.Size {
			return fmt.Errorf("%d inline bytes, size says %d", len(b.Inline), b.Size)
		}
		if sum := sha256.Sum256(b.Inline); !bytes.Equal(sum[:], b.Sha256) {
			return fmt.Errorf("the inline bytes do not hash to its sha256")
		}
		return nil
	}
	if b.Deal == 0 || len(b.FileKey) != FileKeyLen {
		return fmt.Errorf("neither inline bytes nor a storage deal with a %d-byte file key", FileKeyLen)
	}
	return nil
}

// ValidateArgs checks a job's arguments: at most MaxArgs of at most
// MaxArgsBytes in all, no NUL.
func ValidateArgs(args []string) error {
	if len(args) > MaxArgs {
		return fmt.Errorf("%d arguments, at most %d", len(args), MaxArgs)
	}
	n := 0
	for _, a := range args {
		n += len(a)
		if strings.IndexByte(a, 0) >= 0 {
			return fmt.Errorf("an argument holds a NUL byte")
		}
	}
	if n > MaxArgsBytes {
		return fmt.Errorf("%d bytes of arguments, at most %d", n, MaxArgsBytes)
	}
	return nil
}
