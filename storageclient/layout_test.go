package storageclient

import (
	"bytes"
	"crypto/rand"
	"errors"
	mrand "math/rand/v2"
	"testing"

	"github.com/depinhq/depin/api/storage"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	storagev1 "github.com/depinhq/depin/gen/depin/storage/v1"
)

// TestLayoutCoversTheFile: segments tile the file exactly, whatever its
// size, and the network's max_pieces makes segments longer, never more.
func TestLayoutCoversTheFile(t *testing.T) {
	p := storage.DefaultParams()
	for _, size := range []uint64{1, 2, 15, 4 << 20, 4<<20 + 1, 10_000_019, 5 << 30} {
		l, err := Plan(size, 4, 8, 0, p)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		var off uint64
		for s := uint32(0); s < l.Segments; s++ {
			if l.SegmentOffset(s) != off || l.SegmentLen(s) == 0 {
				t.Fatalf("size %d segment %d: offset %d, want %d; %d bytes", size, s, l.SegmentOffset(s), off, l.SegmentLen(s))
			}
			off += l.SegmentLen(s)
		}
		if off != size || uint64(l.Segments)*uint64(l.N) > uint64(p.MaxPieces) {
			t.Fatalf("size %d: %d segments cover %d bytes", size, l.Segments, off)
		}
	}
	// A network of small pieces gets shorter segments, not refused.
	small := storage.DefaultParams()
	small.MaxPieceSize = 1 << 20
	if l, err := Plan(100<<20, 4, 8, 0, small); err != nil || l.PieceSize(0) > small.MaxPieceSize || l.Segments != 26 {
		t.Fatalf("pieces of at most 1 MiB: %+v (pieces of %d bytes), %v", l, l.PieceSize(0), err)
	}
	for _, tc := range []struct {
		size uint64
		k, n uint32
		want error
	}{
		{0, 4, 8, ErrEmptyFile},
		{10, 4, 4, ErrCoding},
		{10, 0, 4, ErrCoding},
		{10, 4, 65, ErrCoding},
		{300 << 30, 4, 8, ErrTooLarge},
	} {
		if _, err := Plan(tc.size, tc.k, tc.n, 0, p); !errors.Is(err, tc.want) {
			t.Errorf("Plan(%d, %d, %d): %v, want %v", tc.size, tc.k, tc.n, err, tc.want)
		}
	}
}

// TestCodecRestoresFromAnyK: a segment comes back from any k of its n
// pieces; a changed piece, another owner's key or another file id does
// not decrypt.
func TestCodecRestoresFromAnyK(t *testing.T) {
	l, err := Plan(100_003, 3, 6, 30_000, storage.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	seed, fileID := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	cd, _ := newCodec(l, seed, fileID)
	plain := make([]byte, l.SegmentLen(1))
	rand.Read(plain)
	pieces, err := cd.encode(1, plain)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pieces {
		if uint64(len(p)) != l.PieceSize(1) {
			t.Fatalf("piece of %d bytes, want %d", len(p), l.PieceSize(1))
		}
	}
	keep := func(idx ...int) [][]byte {
		out := make([][]byte, l.N)
		for _, i := range idx {
			out[i] = bytes.Clone(pieces[i])
		}
		return out
	}
	for _, idx := range [][]int{{0, 1, 2}, {3, 4, 5}, {0, 2, 5}, {1, 3, 4}} {
		got, err := cd.decode(1, keep(idx...))
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("from pieces %v: %v", idx, err)
		}
	}
	bad := keep(0, 1, 2)
	bad[1][0] ^= 1
	if _, err := cd.decode(1, bad); !errors.Is(err, errDecrypt) {
		t.Fatalf("a flipped byte: %v", err)
	}
	if _, err := cd.decode(2, keep(0, 1, 2)); !errors.Is(err, errDecrypt) {
		t.Fatalf("as another segment: %v", err)
	}
	other, _ := newCodec(l, bytes.Repeat([]byte{9}, 32), fileID)
	if _, err := other.decode(1, keep(0, 1, 2)); !errors.Is(err, errDecrypt) {
		t.Fatalf("another owner's key: %v", err)
	}
}

func node(i int, owner byte, cell uint64, capGB, used uint64) client.StorageNode {
	var id crypto.DeviceID
	id[0] = byte(i)
	return client.StorageNode{ID: id,
		Device:   &devicev1.Device{Status: devicev1.DeviceStatus_DEVICE_STATUS_ACTIVE, Owner: bytes.Repeat([]byte{owner}, 20), Cell: cell, Capacity: capGB},
		Endpoint: &storagev1.Endpoint{Url: "http://127.0.0.1:1"},
		Stats:    &storagev1.NodeStats{UsedBytes: used}}
}

// TestChooseNodes: n nodes of distinct owners, distinct regions first,
// only eligible ones; too few distinct owners is ErrNotEnoughNodes.
func TestChooseNodes(t *testing.T) {
	const cellA, cellB, cellC = 0x85283473fffffff, 0x8528342bfffffff, 0x852a1073fffffff // A, B near each other
	nodes := []client.StorageNode{
		node(1, 1, cellA, 1, 0), node(2, 1, cellC, 1, 0), // one owner, two nodes
		node(3, 2, cellA, 1, 0), node(4, 3, cellB, 1, 0),
		node(5, 4, cellC, 1, 999_999_999), // full
		node(6, 5, cellC, 1, 0),
	}
	nodes[5].Stats.Disqualified = true
	dq := node(7, 6, cellC, 1, 0)
	dq.Endpoint = nil
	nodes = append(nodes, dq)
	for seed := range uint64(20) {
		chosen, spares, err := ChooseNodes(nodes, 3, 1000, mrand.New(mrand.NewPCG(seed, 1)))
		if err != nil {
			t.Fatal(err)
		}
		owners := map[byte]bool{}
		for _, c := range chosen {
			if owners[c.Device.Owner[0]] || c.ID[0] >= 5 {
				t.Fatalf("seed %d: chose %v", seed, c.ID[0])
			}
			owners[c.Device.Owner[0]] = true
		}
		if len(chosen) != 3 || len(spares) != 1 {
			t.Fatalf("seed %d: %d chosen, %d spares", seed, len(chosen), len(spares))
		}
	}
	if _, _, err := ChooseNodes(nodes, 4, 1000, mrand.New(mrand.NewPCG(1, 1))); !errors.Is(err, ErrNotEnoughNodes) {
		t.Fatalf("4 of 3 owners: %v", err)
	}
}

// TestEncodeInPlaceInAUsedBuffer: a segment sealed and coded in a buffer
// that held another segment (Put uses its buffers again) gives the same
// pieces as in a fresh one, and decodes in place in a used buffer too.
func TestEncodeInPlaceInAUsedBuffer(t *testing.T) {
	l, err := Plan(100_003, 3, 6, 30_000, storage.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	cd, _ := newCodec(l, bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32))
	used := bytes.Repeat([]byte{0xff}, int(l.PieceSize(0)*uint64(l.N))+7)
	for _, s := range []uint32{0, l.Segments - 1} { // the longest and the shortest
		plain := make([]byte, l.SegmentLen(s))
		rand.Read(plain)
		want, err := cd.encode(s, plain)
		if err != nil {
			t.Fatal(err)
		}
		copy(used, plain)
		got, err := cd.encodeInPlace(s, used)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("segment %d piece %d differs in a used buffer", s, i)
			}
		}
		// Decoded as Get does: data pieces in their place in a used
		// buffer, one of them missing and rebuilt there.
		size := l.PieceSize(s)
		buf := bytes.Repeat([]byte{0xee}, int(size*uint64(l.K)))
		shards := make([][]byte, l.N)
		for i := range l.N {
			switch {
			case i == 1:
				shards[i] = buf[uint64(i)*size : uint64(i)*size : uint64(i+1)*size]
			case i < l.K:
				shards[i] = buf[uint64(i)*size : uint64(i+1)*size : uint64(i+1)*size]
				copy(shards[i], want[i])
			default:
				shards[i] = bytes.Clone(want[i])
			}
		}
		back, err := cd.decodeInPlace(s, shards, buf)
		if err != nil || !bytes.Equal(back, plain) || &back[0] != &buf[0] {
			t.Fatalf("segment %d decoded in a used buffer: %v", s, err)
		}
	}
}
