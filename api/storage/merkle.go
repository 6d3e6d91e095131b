package storage

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
)

// A piece is committed to by the Merkle root of its bytes cut into leaves
// of leafSize bytes (the last one may be shorter), hashed as in RFC 6962 /
// RFC 9162: a leaf's hash is SHA-256(0x00 || leaf), an inner node's
// SHA-256(0x01 || left || right), and a tree of n leaves splits at the
// largest power of two below n (no padding). An audit proves one leaf with
// its inclusion path (the sibling hashes from the leaf up).

// HashSize is the size of roots and path elements.
const HashSize = sha256.Size

// The prefixes of leaf and inner node hashes, never written to (a literal
// passed to a hash.Hash escapes: an allocation per leaf).
var leafPrefix, nodePrefix = []byte{0}, []byte{1}

// Leaves is how many leaves a piece of size bytes has.
func Leaves(size uint64, leafSize uint32) uint64 {
	if leafSize == 0 {
		return 0
	}
	return (size + uint64(leafSize) - 1) / uint64(leafSize)
}

// LeafHash hashes one leaf.
func LeafHash(leaf []byte) []byte {
	h := sha256.New()
	h.Write(leafPrefix)
	h.Write(leaf)
	return h.Sum(nil)
}

func nodeHash(l, r []byte) []byte {
	h := sha256.New()
	h.Write(nodePrefix)
	h.Write(l)
	h.Write(r)
	return h.Sum(nil)
}

// leafHashes cuts data into leaves and hashes each, with one digest
// (hashing is most of what storing and fetching a piece costs).
func leafHashes(data []byte, leafSize uint32) [][]byte {
	n := Leaves(uint64(len(data)), leafSize)
	out := make([][]byte, 0, n)
	flat := make([]byte, 0, n*HashSize) // never grows: out's slices stay valid
	h := sha256.New()
	for i := uint64(0); i < n; i++ {
		lo := i * uint64(leafSize)
		hi := min(lo+uint64(leafSize), uint64(len(data)))
		h.Reset()
		h.Write(leafPrefix)
		h.Write(data[lo:hi])
		flat = h.Sum(flat)
		out = append(out, flat[len(flat)-HashSize:])
	}
	return out
}

// split is the largest power of two below n (n ≥ 2).
func split(n int) int {
	k := 1
	for k<<1 < n {
		k <<= 1
	}
	return k
}

// root is the root of the tree over leaf hashes hs. Pairing neighbours
// level by level and carrying an odd last node up unchanged builds the
// tree RFC 6962 defines by splitting at the largest power of two (its
// left part is always a perfect tree), without recursion or an
// allocation per node.
func root(hs [][]byte) []byte {
	level := hs
	h := sha256.New()
	for len(level) > 1 {
		half := (len(level) + 1) / 2
		flat := make([]byte, 0, half*HashSize) // never grows: next's slices stay valid
		next := make([][]byte, 0, half)
		for i := 0; i+1 < len(level); i += 2 {
			h.Reset()
			h.Write(nodePrefix)
			h.Write(level[i])
			h.Write(level[i+1])
			flat = h.Sum(flat)
			next = append(next, flat[len(flat)-HashSize:])
		}
		if len(level)%2 == 1 {
			next = append(next, level[len(level)-1])
		}
		level = next
	}
	return level[0]
}

// MerkleRoot is the root of data in leaves of leafSize. Empty data has no
// root (a piece is never empty): nil.
func MerkleRoot(data []byte, leafSize uint32) []byte {
	if len(data) == 0 || leafSize == 0 {
		return nil
	}
	return root(leafHashes(data, leafSize))
}

// MerkleProof returns leaf index's bytes and its inclusion path in data.
func MerkleProof(data []byte, leafSize uint32, index uint64) (leaf []byte, path [][]byte, err error) {
	hs := leafHashes(data, leafSize)
	if index >= uint64(len(hs)) {
		return nil, nil, fmt.Errorf("leaf %d of %d", index, len(hs))
	}
	lo := index * uint64(leafSize)
	hi := min(lo+uint64(leafSize), uint64(len(data)))
	return data[lo:hi], proofPath(hs, int(index)), nil
}

func proofPath(hs [][]byte, m int) [][]byte {
	if len(hs) <= 1 {
		return nil
	}
	k := split(len(hs))
	if m < k {
		return append(proofPath(hs[:k], m), root(hs[k:]))
	}
	return append(proofPath(hs[k:], m-k), root(hs[:k]))
}

// ErrProof is returned by VerifyLeaf for a proof that does not hold.
var ErrProof = errors.New("the leaf and path do not lead to the piece's root")

// VerifyLeaf checks that leaf is leaf number index of a piece of size
// bytes in leaves of leafSize with the given root, by its inclusion path
// (RFC 9162 §2.1.3.2). The leaf must have its exact length (leafSize, or
// what is left for the last one).
func VerifyLeaf(root []byte, size uint64, leafSize uint32, index uint64, leaf []byte, path [][]byte) error {
	n := Leaves(size, leafSize)
	if n == 0 || index >= n {
		return fmt.Errorf("%w: leaf %d of %d", ErrProof, index, n)
	}
	want := uint64(leafSize)
	if index == n-1 {
		want = size - index*uint64(leafSize)
	}
	if uint64(len(leaf)) != want {
		return fmt.Errorf("%w: leaf %d has %d bytes, want %d", ErrProof, index, len(leaf), want)
	}
	if len(path) > 64 {
		return fmt.Errorf("%w: a path of %d hashes", ErrProof, len(path))
	}
	fn, sn := index, n-1
	r := LeafHash(leaf)
	for _, p := range path {
		if len(p) != HashSize {
			return fmt.Errorf("%w: a path hash of %d bytes", ErrProof, len(p))
		}
		if sn == 0 {
			return fmt.Errorf("%w: the path is too long", ErrProof)
		}
		if fn&1 == 1 || fn == sn {
			r = nodeHash(p, r)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = nodeHash(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 || !bytes.Equal(r, root) {
		return ErrProof
	}
	return nil
}

// MerkleHasher computes a piece's Merkle root (and the inclusion path of
// any leaf) from its bytes written in any chunks, holding one leaf and
// the leaf hashes: what a node uses for pieces it streams to or from disk
// instead of holding them in memory. Its results equal MerkleRoot's and
// MerkleProof's.
type MerkleHasher struct {
	leafSize uint32
	buf      []byte
	flat     []byte // the leaf hashes, one after another (not an allocation per leaf)
	digest   hash.Hash
	done     bool
}

// NewMerkleHasher returns a hasher of leaves of leafSize bytes (> 0).
func NewMerkleHasher(leafSize uint32) *MerkleHasher {
	return &MerkleHasher{leafSize: max(leafSize, 1), buf: make([]byte, 0, max(leafSize, 1))}
}

// Write adds bytes of the piece. It never fails, except after Root or
// Path was called.
func (h *MerkleHasher) Write(p []byte) (int, error) {
	if h.done {
		return 0, errors.New("storage: write to a finished MerkleHasher")
	}
	n := len(p)
	for len(p) > 0 {
		if len(h.buf) == 0 && len(p) >= int(h.leafSize) { // a whole leaf: no copy
			h.leaf(p[:h.leafSize])
			p = p[h.leafSize:]
			continue
		}
		take := min(int(h.leafSize)-len(h.buf), len(p))
		h.buf = append(h.buf, p[:take]...)
		p = p[take:]
		if len(h.buf) == int(h.leafSize) {
			h.leaf(h.buf)
			h.buf = h.buf[:0]
		}
	}
	return n, nil
}

func (h *MerkleHasher) leaf(b []byte) {
	if h.digest == nil {
		h.digest = sha256.New()
	}
	h.digest.Reset()
	h.digest.Write(leafPrefix)
	h.digest.Write(b)
	h.flat = h.digest.Sum(h.flat)
}

// hashes are the leaf hashes written so far.
func (h *MerkleHasher) hashes() [][]byte {
	hs := make([][]byte, len(h.flat)/HashSize)
	for i := range hs {
		hs[i] = h.flat[i*HashSize : (i+1)*HashSize : (i+1)*HashSize]
	}
	return hs
}

func (h *MerkleHasher) finish() {
	if !h.done && len(h.buf) > 0 {
		h.leaf(h.buf)
	}
	h.done = true
}

// Root is the root of the bytes written (nil if none). No more bytes may
// be written after it.
func (h *MerkleHasher) Root() []byte {
	h.finish()
	if len(h.flat) == 0 {
		return nil
	}
	return root(h.hashes())
}

// Path is the inclusion path of leaf index of the bytes written. No more
// bytes may be written after it.
func (h *MerkleHasher) Path(index uint64) ([][]byte, error) {
	h.finish()
	hs := h.hashes()
	if index >= uint64(len(hs)) {
		return nil, fmt.Errorf("leaf %d of %d", index, len(hs))
	}
	return proofPath(hs, int(index)), nil
}
