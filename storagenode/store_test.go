package storagenode

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/depinhq/depin/api/storage"
	"github.com/depinhq/depin/crypto"
)

// TestStoreReceivesExactly: a piece is stored with its root whatever its
// size against the node's write buffer, and a body a byte shorter or
// longer than the order's size stores nothing and frees its reservation.
func TestStoreReceivesExactly(t *testing.T) {
	s, err := OpenStore(t.TempDir(), 1<<30, nil)
	if err != nil {
		t.Fatal(err)
	}
	var owner crypto.Address
	for i, size := range []int{1, writeBufSize - 1, writeBufSize, writeBufSize + 1, 3*writeBufSize + 5} {
		data := make([]byte, size+1)
		rand.Read(data)
		var id PieceID
		id[0], id[1] = byte(i), 1
		if _, _, err := s.Put(id, owner, uint64(size), 64, testNow, bytes.NewReader(data)); !errors.Is(err, ErrBodyTooLarge) {
			t.Fatalf("%d bytes and one more: %v", size, err)
		}
		if _, _, err := s.Put(id, owner, uint64(size), 64, testNow, bytes.NewReader(data[:size-1])); !errors.Is(err, ErrBodyTooShort) {
			t.Fatalf("%d bytes but one: %v", size, err)
		}
		p, created, err := s.Put(id, owner, uint64(size), 64, testNow, bytes.NewReader(data[:size]))
		if err != nil || !created || !bytes.Equal(p.Root, storage.MerkleRoot(data[:size], 64)) {
			t.Fatalf("%d bytes: created %v, %v", size, created, err)
		}
		got, err := s.Open(id)
		if err != nil {
			t.Fatal(err)
		}
		var back bytes.Buffer
		_, err = got.WriteTo(&back)
		got.Close()
		if err != nil || !bytes.Equal(back.Bytes(), data[:size]) {
			t.Fatalf("%d bytes read back: %v", size, err)
		}
	}
	if used, pieces, _ := s.Usage(); pieces != 5 || s.reserved != 0 || used != 6*writeBufSize+6 {
		t.Fatalf("%d pieces of %d bytes, %d reserved", pieces, used, s.reserved)
	}
}
