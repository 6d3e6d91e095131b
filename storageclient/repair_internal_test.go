package storageclient

import (
	"bytes"
	"crypto/rand"
	"errors"
	"slices"
	"testing"

	"github.com/depinhq/depin/api/storage"
	storagev1 "github.com/depinhq/depin/gen/depin/storage/v1"
)

// codedDeal is a deal of one file coded as Put codes it (k of n, segs
// segments), with the pieces' bytes.
func codedDeal(t *testing.T, k, n, segs uint32, threshold uint32) (*storagev1.Deal, [][][]byte) {
	t.Helper()
	l := Layout{Size: 3000, Segments: segs, K: k, N: n}
	cd, err := newCodec(l, bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32))
	if err != nil {
		t.Fatal(err)
	}
	plain := make([]byte, l.Size)
	rand.Read(plain)
	d := &storagev1.Deal{Id: 1, K: k, N: n, Segments: segs, Size: l.Size, LeafSize: 64, RepairThreshold: threshold}
	var all [][][]byte
	for s := uint32(0); s < segs; s++ {
		pieces, err := cd.encode(s, plain[l.SegmentOffset(s):l.SegmentOffset(s)+l.SegmentLen(s)])
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range pieces {
			d.Pieces = append(d.Pieces, &storagev1.Piece{Segment: s, Index: uint32(i), Root: storage.MerkleRoot(p, 64), Size: uint64(len(p)), Node: bytes.Repeat([]byte{byte(i)}, 20)})
		}
		all = append(all, pieces)
	}
	return d, all
}

// TestDueSegments: a segment is due once its live pieces are at most the
// repair threshold and some are lost.
func TestDueSegments(t *testing.T) {
	d, _ := codedDeal(t, 2, 5, 3, 3)
	if got := dueSegments(d); len(got) != 0 {
		t.Fatalf("a healthy deal: due %v", got)
	}
	d.Pieces[0].Lost = true                         // segment 0: 4 live, above 3
	d.Pieces[5].Lost, d.Pieces[6].Lost = true, true // segment 1: 3 live
	for _, i := range []int{10, 11, 12, 13} {       // segment 2: 1 live, below k (due, unrecoverable)
		d.Pieces[i].Lost = true
	}
	if got := dueSegments(d); !slices.Equal(got, []uint32{1, 2}) {
		t.Fatalf("due %v, want [1 2]", got)
	}
	if got := dueSegments(&storagev1.Deal{K: 2, N: 5, Segments: 2, Pieces: d.Pieces[:5]}); got != nil {
		t.Fatalf("a deal whose pieces do not fill its segments: due %v", got)
	}
}

// TestRebuild: k pieces of a segment rebuild its lost pieces to their
// roots on chain; a lost piece whose root is not what the coding gives
// is refused before anything is uploaded.
func TestRebuild(t *testing.T) {
	d, pieces := codedDeal(t, 3, 6, 2, 4)
	shards := func(s uint32, keep ...int) [][]byte {
		out := make([][]byte, 6)
		for _, i := range keep {
			out[i] = bytes.Clone(pieces[s][i])
		}
		return out
	}
	d.Pieces[6+1].Lost, d.Pieces[6+4].Lost = true, true
	sh := shards(1, 0, 3, 5) // a data piece and two parity pieces
	if err := rebuild(d, 1, sh); err != nil {
		t.Fatal(err)
	}
	for i := range sh {
		if !bytes.Equal(sh[i], pieces[1][i]) {
			t.Fatalf("piece %d rebuilt to other bytes", i)
		}
	}
	if err := rebuild(d, 1, shards(1, 0, 3)); err == nil {
		t.Fatal("rebuilt from fewer than k pieces")
	}
	d.Pieces[6+4].Root = bytes.Repeat([]byte{7}, 32) // not how this client codes
	if err := rebuild(d, 1, shards(1, 0, 2, 3)); !errors.Is(err, ErrRebuild) {
		t.Fatalf("a rebuilt root that is not the deal's: %v", err)
	}
}
