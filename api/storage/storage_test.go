package storage

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"
)

// TestMerkleProofsVerify: every leaf of pieces of many sizes proves
// against the root, and a changed leaf, path, index or size does not.
func TestMerkleProofsVerify(t *testing.T) {
	const leaf = 64
	for _, size := range []int{1, 63, 64, 65, 128, 129, 64 * 5, 64*7 + 3, 64 * 16, 64*33 + 1} {
		data := make([]byte, size)
		rand.Read(data)
		root := MerkleRoot(data, leaf)
		n := Leaves(uint64(size), leaf)
		for i := uint64(0); i < n; i++ {
			l, path, err := MerkleProof(data, leaf, i)
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyLeaf(root, uint64(size), leaf, i, l, path); err != nil {
				t.Fatalf("size %d leaf %d: %v", size, i, err)
			}
			bad := bytes.Clone(l)
			bad[0] ^= 1
			if VerifyLeaf(root, uint64(size), leaf, i, bad, path) == nil {
				t.Fatalf("size %d leaf %d: a flipped byte verified", size, i)
			}
			if n > 1 {
				if VerifyLeaf(root, uint64(size), leaf, (i+1)%n, l, path) == nil && !bytes.Equal(l, data[((i+1)%n)*leaf:min(((i+1)%n+1)*leaf, uint64(size))]) {
					t.Fatalf("size %d leaf %d: verified as another leaf", size, i)
				}
				p2 := append([][]byte(nil), path...)
				p2[0] = bytes.Repeat([]byte{7}, HashSize)
				if VerifyLeaf(root, uint64(size), leaf, i, l, p2) == nil {
					t.Fatalf("size %d leaf %d: a changed path verified", size, i)
				}
				if VerifyLeaf(root, uint64(size), leaf, i, l, path[:len(path)-1]) == nil {
					t.Fatalf("size %d leaf %d: a short path verified", size, i)
				}
			}
		}
		if _, _, err := MerkleProof(data, leaf, n); err == nil {
			t.Fatal("proof of a leaf past the end")
		}
		if err := VerifyLeaf(root, uint64(size), leaf, n, nil, nil); !errors.Is(err, ErrProof) {
			t.Fatalf("leaf past the end: %v", err)
		}
	}
	if MerkleRoot(nil, 64) != nil {
		t.Fatal("an empty piece has a root")
	}
}

func TestPrice(t *testing.T) {
	// 1 GiB for 30 days at 1,000,000 per GiB-month.
	if p, ok := Price(GiB, 1_000_000, MonthSecs, false); !ok || p != 1_000_000 {
		t.Fatalf("%d %v", p, ok)
	}
	// Rounded down vs up.
	if p, _ := Price(1, 1, 1, false); p != 0 {
		t.Fatal(p)
	}
	if p, _ := Price(1, 1, 1, true); p != 1 {
		t.Fatal(p)
	}
	if _, ok := Price(^uint64(0), ^uint64(0), ^uint64(0), true); ok {
		t.Fatal("overflow not refused")
	}
}

func TestValidateEndpoint(t *testing.T) {
	good := []string{"http://127.0.0.1:7777", "https://node.example.org", "http://[::1]:8080/pieces", "http://a-b.c:1/x/y"}
	bad := []string{"", "ftp://x", "http://", "http://user@host", "http://h/?q=1", "http://h/#f", "http://h:0", "http://h:99999", "http://h:",
		"http://-h", "http://h..x", "http://[::1", "http://[zz]:1", "http://h/ a", "http://h\\x", "https://" + string(bytes.Repeat([]byte{'a'}, 200))}
	for _, u := range good {
		if err := ValidateEndpoint(u); err != nil {
			t.Errorf("%q: %v", u, err)
		}
	}
	for _, u := range bad {
		if err := ValidateEndpoint(u); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
}

func FuzzVerifyLeaf(f *testing.F) {
	data := bytes.Repeat([]byte("depin"), 100)
	root := MerkleRoot(data, 64)
	l, path, _ := MerkleProof(data, 64, 3)
	var flat []byte
	for _, p := range path {
		flat = append(flat, p...)
	}
	f.Add(uint64(3), l, flat)
	f.Fuzz(func(t *testing.T, index uint64, leaf, flat []byte) {
		var path [][]byte
		for len(flat) >= HashSize {
			path = append(path, flat[:HashSize])
			flat = flat[HashSize:]
		}
		if VerifyLeaf(root, uint64(len(data)), 64, index, leaf, path) == nil {
			n := Leaves(uint64(len(data)), 64)
			if index >= n || !bytes.Equal(leaf, data[index*64:min((index+1)*64, uint64(len(data)))]) {
				t.Fatalf("a false leaf %d verified", index)
			}
		}
	})
}

func FuzzValidateEndpoint(f *testing.F) {
	f.Add("http://127.0.0.1:7777/p")
	f.Fuzz(func(t *testing.T, s string) { _ = ValidateEndpoint(s) })
}

// BenchmarkVerifyLeaf: one audit proof of a 64 MiB piece in 1 KiB leaves
// (a 16-hash path), as the chain checks it.
func BenchmarkVerifyLeaf(b *testing.B) {
	data := make([]byte, 64<<20)
	rand.Read(data)
	root := MerkleRoot(data, 1024)
	leaf, path, _ := MerkleProof(data, 1024, 12345)
	b.ResetTimer()
	for range b.N {
		if err := VerifyLeaf(root, uint64(len(data)), 1024, 12345, leaf, path); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPieceEntry: a piece index entry decodes to what was encoded, and
// nothing else decodes.
func TestPieceEntry(t *testing.T) {
	root := bytes.Repeat([]byte{7}, HashSize)
	for _, e := range []PieceEntry{{Size: 1, LeafSize: 64, Root: root}, {Size: 4 * GiB, LeafSize: MaxLeafSize, Root: root, RepairDue: true}} {
		got, ok := PieceEntryFromBytes(e.Bytes())
		if !ok || got.Size != e.Size || got.LeafSize != e.LeafSize || !bytes.Equal(got.Root, e.Root) || got.RepairDue != e.RepairDue {
			t.Fatalf("%+v → %+v, %v", e, got, ok)
		}
	}
	good := PieceEntry{Size: 5, LeafSize: 64, Root: root}.Bytes()
	for _, bad := range [][]byte{nil, {}, good[:len(good)-1], append(bytes.Clone(good), 0), append(bytes.Clone(good[:len(good)-1]), 2)} {
		if _, ok := PieceEntryFromBytes(bad); ok {
			t.Fatalf("%x decoded", bad)
		}
	}
}
