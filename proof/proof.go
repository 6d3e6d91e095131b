package proof

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"

	cmtcrypto "github.com/cometbft/cometbft/api/cometbft/crypto/v1"
	ics23 "github.com/cosmos/ics23/go"
)

// Query paths.
const (
	// QueryKey returns the value under the key in Data; with Prove, a
	// proof of its presence or absence against the app hash of that
	// height: an ICS-23 proof (ProofOp type OpICS23) in the key's state
	// tree, then the trees' roots (OpRoots); see Decode.
	QueryKey = "/store/key"
	// QueryPrefix returns an app.v1.PrefixResult for the app.v1.PrefixQuery
	// in Data.
	QueryPrefix = "/store/prefix"
)

// Query limits.
const (
	MaxQueryKeyBytes   = 1024
	DefaultPrefixLimit = 100
	MaxPrefixLimit     = 1000
)

// Types of the proof ops returned by QueryKey.
const (
	OpICS23 = "ics23:iavl"
	// OpRoots carries the root hashes of the state trees, 32 bytes each
	// in shard order; the app hash is RootHash over them.
	OpRoots = "depin:roots"
)

// Shards is how many IAVL trees hold the state. It is part of the state's
// format: the app hash depends on it.
const Shards = 4

// ShardOf is the tree that holds key: FNV-1a of the key, modulo Shards.
func ShardOf(key []byte) int {
	h := uint32(2166136261)
	for _, b := range key {
		h ^= uint32(b)
		h *= 16777619
	}
	return int(h % Shards)
}

// RootHash is the state's root hash over the trees' root hashes:
// SHA-256("depin/state/v1" || root_0 || … || root_{Shards-1}).
func RootHash(roots [][]byte) []byte {
	h := sha256.New()
	h.Write([]byte(rootDomain))
	for _, r := range roots {
		h.Write(r)
	}
	return h.Sum(nil)
}

const rootDomain = "depin/state/v1"

// Proof is the proof that a key has a value (or none) in a state: an
// ICS-23 proof of the key in its tree, and the root hashes of all trees.
type Proof struct {
	ICS23 *ics23.CommitmentProof
	Roots [][]byte // by shard
}

// ErrProof is returned when a proof does not show what it should, or
// cannot be decoded.
var ErrProof = errors.New("proof does not verify")

// Verify checks that p proves key has value (nil: is absent) in the
// state whose root hash is root.
func Verify(root, key, value []byte, p *Proof) error {
	if p == nil || p.ICS23 == nil || len(p.Roots) != Shards {
		return fmt.Errorf("%w: want an ICS-23 proof and %d tree roots", ErrProof, Shards)
	}
	if !bytes.Equal(RootHash(p.Roots), root) {
		return fmt.Errorf("%w: tree roots do not hash to the root %X", ErrProof, root)
	}
	shardRoot := p.Roots[ShardOf(key)]
	ok := false
	if value != nil {
		ok = ics23.VerifyMembership(ics23.IavlSpec, shardRoot, p.ICS23, key, value)
	} else {
		ok = ics23.VerifyNonMembership(ics23.IavlSpec, shardRoot, p.ICS23, key)
	}
	if !ok {
		return fmt.Errorf("%w: key %X", ErrProof, key)
	}
	return nil
}

// Encode is p as the ABCI proof ops QueryKey returns for key.
func Encode(key []byte, p *Proof) (*cmtcrypto.ProofOps, error) {
	bz, err := p.ICS23.Marshal()
	if err != nil {
		return nil, err
	}
	return &cmtcrypto.ProofOps{Ops: []cmtcrypto.ProofOp{
		{Type: OpICS23, Key: key, Data: bz},
		{Type: OpRoots, Data: bytes.Join(p.Roots, nil)},
	}}, nil
}

// Decode reads the proof ops QueryKey returns (outside input for a
// client: every failure wraps ErrProof); check the result with Verify.
func Decode(ops *cmtcrypto.ProofOps) (*Proof, error) {
	if ops == nil || len(ops.Ops) != 2 || ops.Ops[0].Type != OpICS23 || ops.Ops[1].Type != OpRoots {
		return nil, fmt.Errorf("%w: want proof ops %s and %s", ErrProof, OpICS23, OpRoots)
	}
	p := &Proof{ICS23: &ics23.CommitmentProof{}}
	if err := p.ICS23.Unmarshal(ops.Ops[0].Data); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProof, err)
	}
	roots := ops.Ops[1].Data
	if len(roots) != Shards*32 {
		return nil, fmt.Errorf("%w: %d bytes of tree roots, want %d", ErrProof, len(roots), Shards*32)
	}
	for i := range Shards {
		p.Roots = append(p.Roots, roots[i*32:(i+1)*32])
	}
	return p, nil
}
