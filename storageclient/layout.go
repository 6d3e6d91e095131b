package storageclient

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/klauspost/reedsolomon"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/depinhq/depin/api/storage"
	storagev1 "github.com/depinhq/depin/gen/depin/storage/v1"
)

// A file is stored as Segments segments of nearly equal length (the
// first Size mod Segments are one byte longer), so the deal's size and
// segment count are all a reader needs to cut it again. Each segment is
// sealed on its own with XChaCha20-Poly1305 under the file's key — the
// nonce is the segment's index (the key is the file's alone), the
// additional data binds the file id, index, count and size, so no segment
// can be moved, dropped or taken from another file unnoticed — and the
// ciphertext is erasure-coded into N pieces of ceil(len/K) bytes, any K
// of which restore it (Reed–Solomon, systematic: pieces 0..K-1 are the
// ciphertext itself).

// Layout is how a file of Size bytes is cut and coded.
type Layout struct {
	Size     uint64
	Segments uint32
	K, N     uint32
}

// Overhead is what sealing adds to a segment.
const Overhead = chacha20poly1305.Overhead

// Errors of planning a file.
var (
	ErrEmptyFile = errors.New("the file is empty: a storage deal needs at least one byte (the chain refuses empty files)")
	ErrCoding    = errors.New("invalid erasure coding")
	ErrTooLarge  = errors.New("the file is too large for the network's deals")
)

// DefaultSegmentSize is the plaintext bytes per segment a file is cut
// into unless the network's max_pieces asks for fewer, longer segments.
// Every piece is a file its node creates, fsyncs and renames (a journal
// commit and a disk flush), and a request with an order and a receipt
// signed and checked: at 4 MiB (k=4: pieces of 1 MiB) a put of 256 MiB
// made 512 of them and took a quarter more CPU than at 16 MiB in depin
// bench storage; 32 MiB saved little more and doubles what a client
// holds (Segments × n/k × this for a put).
const DefaultSegmentSize = 16 << 20

// Plan cuts a file of size bytes into segments of about segmentSize (0:
// DefaultSegmentSize) coded k of n, within the network's limits: pieces
// of at most max_piece_size bytes (the segments get shorter instead), at
// most max_pieces of them (the segments get longer instead, unless that
// makes their pieces too large).
func Plan(size uint64, k, n uint32, segmentSize uint64, p *storagev1.StorageParams) (Layout, error) {
	if size == 0 {
		return Layout{}, ErrEmptyFile
	}
	if k == 0 || k >= n || n > storage.MaxN {
		return Layout{}, fmt.Errorf("%w: k=%d of n=%d: want 1 ≤ k < n ≤ %d", ErrCoding, k, n, storage.MaxN)
	}
	if segmentSize == 0 {
		segmentSize = DefaultSegmentSize
	}
	if most := p.MaxPieceSize * uint64(k); most > Overhead {
		segmentSize = min(segmentSize, most-Overhead) // sealed and cut in k, no piece over max_piece_size
	}
	maxSegs := uint64(p.MaxPieces) / uint64(n)
	if maxSegs == 0 {
		return Layout{}, fmt.Errorf("%w: n=%d is more than the network's %d pieces per deal", ErrCoding, n, p.MaxPieces)
	}
	segs := min((size+segmentSize-1)/segmentSize, maxSegs, 1<<31)
	l := Layout{Size: size, Segments: uint32(segs), K: k, N: n}
	if ps := l.PieceSize(0); ps > p.MaxPieceSize {
		return Layout{}, fmt.Errorf("%w: %d bytes coded %d of %d make pieces of %d bytes; the network takes at most %d pieces of %d bytes per deal",
			ErrTooLarge, size, k, n, ps, p.MaxPieces, p.MaxPieceSize)
	}
	return l, nil
}

// LayoutOf is the layout of a stored deal.
func LayoutOf(d *storagev1.Deal) Layout {
	return Layout{Size: d.Size, Segments: d.Segments, K: d.K, N: d.N}
}

// SegmentLen is the plaintext length of segment s.
func (l Layout) SegmentLen(s uint32) uint64 {
	base, extra := l.Size/uint64(l.Segments), l.Size%uint64(l.Segments)
	if uint64(s) < extra {
		return base + 1
	}
	return base
}

// SegmentOffset is where segment s starts in the file.
func (l Layout) SegmentOffset(s uint32) uint64 {
	base, extra := l.Size/uint64(l.Segments), l.Size%uint64(l.Segments)
	return uint64(s)*base + min(uint64(s), extra)
}

// PieceSize is the size of each piece of segment s.
func (l Layout) PieceSize(s uint32) uint64 {
	return (l.SegmentLen(s) + Overhead + uint64(l.K) - 1) / uint64(l.K)
}

// StoredBytes is the bytes of all pieces, what the deal pays for.
func (l Layout) StoredBytes() uint64 {
	var t uint64
	for s := uint32(0); s < l.Segments; s++ {
		t += l.PieceSize(s) * uint64(l.N)
	}
	return t
}

// NodeBytes is the most any one node holds if it takes one piece of
// every segment.
func (l Layout) NodeBytes() uint64 { return l.StoredBytes() / uint64(l.N) }

// fileKey is the file's key: only the owner's key and the file id make
// it, so only the owner can read the file.
func fileKey(ownerSeed, fileID []byte) ([]byte, error) {
	return hkdf.Key(sha256.New, ownerSeed, fileID, "depin/storage/file-key/v1", chacha20poly1305.KeySize)
}

func (l Layout) nonce(s uint32) []byte {
	n := make([]byte, chacha20poly1305.NonceSizeX)
	binary.BigEndian.PutUint32(n[len(n)-4:], s)
	return n
}

func (l Layout) aad(fileID []byte, s uint32) []byte {
	b := append([]byte("depin/storage/segment/v1\x00"), fileID...)
	b = binary.BigEndian.AppendUint32(b, s)
	b = binary.BigEndian.AppendUint32(b, l.Segments)
	return binary.BigEndian.AppendUint64(b, l.Size)
}

// codec seals and codes the segments of one file.
type codec struct {
	l      Layout
	fileID []byte
	aead   interface {
		Seal(dst, nonce, plaintext, additionalData []byte) []byte
		Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error)
	}
	rs reedsolomon.Encoder
}

func newCodec(l Layout, ownerSeed, fileID []byte) (*codec, error) {
	key, err := fileKey(ownerSeed, fileID)
	if err != nil {
		return nil, err
	}
	return newCodecWithKey(l, key, fileID)
}

// newCodecWithKey is a codec for a file whose key is known (a file its
// owner shared by giving its key).
func newCodecWithKey(l Layout, key, fileID []byte) (*codec, error) {
	if len(key) != chacha20poly1305.KeySize {
		return nil, fmt.Errorf("a file key of %d bytes, want %d", len(key), chacha20poly1305.KeySize)
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	rs, err := reedsolomon.New(int(l.K), int(l.N-l.K))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCoding, err)
	}
	return &codec{l: l, fileID: fileID, aead: aead, rs: rs}, nil
}

// encode seals segment s's plaintext and codes it into N pieces.
func (c *codec) encode(s uint32, plain []byte) ([][]byte, error) {
	buf := make([]byte, c.l.PieceSize(s)*uint64(c.l.N))
	copy(buf, plain)
	return c.encodeInPlace(s, buf)
}

// encodeInPlace seals segment s's plaintext, which is the start of buf,
// in place and codes it into N pieces that are buf cut in N (buf holds at
// least PieceSize(s) × N bytes; what follows the plaintext may be
// anything): what Put does, so that a segment's bytes are neither copied
// nor allocated again.
func (c *codec) encodeInPlace(s uint32, buf []byte) ([][]byte, error) {
	size, plainLen := c.l.PieceSize(s), c.l.SegmentLen(s)
	buf = buf[:size*uint64(c.l.N)]
	ct := c.aead.Seal(buf[:0], c.l.nonce(s), buf[:plainLen], c.l.aad(c.fileID, s))
	clear(buf[len(ct) : size*uint64(c.l.K)]) // the last data piece's padding
	pieces := make([][]byte, c.l.N)
	for i := range pieces {
		pieces[i] = buf[uint64(i)*size : uint64(i+1)*size : uint64(i+1)*size]
	}
	if err := c.rs.Encode(pieces); err != nil {
		return nil, err
	}
	return pieces, nil
}

// decodeInPlace is decode for data pieces that are buf cut in K (those
// missing of length 0, rebuilt in their place): the segment is opened in
// buf, and its plaintext is buf's start.
func (c *codec) decodeInPlace(s uint32, pieces [][]byte, buf []byte) ([]byte, error) {
	if err := c.rs.ReconstructData(pieces); err != nil {
		return nil, err
	}
	ct := buf[:c.l.SegmentLen(s)+Overhead]
	plain, err := c.aead.Open(ct[:0], c.l.nonce(s), ct, c.l.aad(c.fileID, s))
	if err != nil {
		return nil, fmt.Errorf("segment %d: %w", s, errDecrypt)
	}
	return plain, nil
}

// errDecrypt: the pieces decoded, but not to what the owner sealed.
var errDecrypt = errors.New("the segment does not decrypt with this owner's key")

// decode restores segment s from at least K of its pieces (nil for the
// missing ones) and opens it.
func (c *codec) decode(s uint32, pieces [][]byte) ([]byte, error) {
	if err := c.rs.ReconstructData(pieces); err != nil {
		return nil, err
	}
	ctLen := c.l.SegmentLen(s) + Overhead
	ct := make([]byte, 0, ctLen)
	for i := uint32(0); i < c.l.K && uint64(len(ct)) < ctLen; i++ {
		ct = append(ct, pieces[i][:min(uint64(len(pieces[i])), ctLen-uint64(len(ct)))]...)
	}
	plain, err := c.aead.Open(ct[:0], c.l.nonce(s), ct, c.l.aad(c.fileID, s))
	if err != nil {
		return nil, fmt.Errorf("segment %d: %w", s, errDecrypt)
	}
	return plain, nil
}
