package storage

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/crypto"
	storagev1 "github.com/depinhq/depin/gen/depin/storage/v1"
)

func testKey(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

func testOrder(node crypto.DeviceID) *storagev1.Order {
	return &storagev1.Order{Action: storagev1.OrderAction_ORDER_ACTION_PUT, PieceId: bytes.Repeat([]byte{1}, PieceIDLen), Size: 1000,
		Expires: 2000, Serial: bytes.Repeat([]byte{2}, SerialLen), Node: node[:]}
}

// TestOrderCheck: an order verifies only for its chain, its node, before
// it expires and within the node's bound on expiry; the owner is the
// signer's address.
func TestOrderCheck(t *testing.T) {
	owner, node := testKey(1), crypto.AddressFromPubKey(testKey(2).Public().(ed25519.PublicKey))
	raw, err := SignOrder(owner, "chain", testOrder(node))
	if err != nil {
		t.Fatal(err)
	}
	o, err := DecodeOrder(raw)
	if err != nil {
		t.Fatal(err)
	}
	if o.Owner != crypto.AddressFromPubKey(owner.Public().(ed25519.PublicKey)) || o.Node != node {
		t.Fatalf("owner %s node %s", o.Owner, crypto.DeviceString(o.Node))
	}
	other := crypto.AddressFromPubKey(testKey(3).Public().(ed25519.PublicKey))
	for _, tc := range []struct {
		name    string
		chain   string
		node    crypto.DeviceID
		now     int64
		maxTTL  int64
		wantErr error
	}{
		{"ok", "chain", node, 1000, 3600, nil},
		{"other chain", "other", node, 1000, 3600, ErrOrderSignature},
		{"other node", "chain", other, 1000, 3600, ErrOrderWrongNode},
		{"expired", "chain", node, 2000, 3600, ErrOrderExpired},
		{"too far ahead", "chain", node, 1000, 999, ErrOrderTooLong},
	} {
		if err := o.Check(tc.chain, tc.node, tc.now, tc.maxTTL); !errors.Is(err, tc.wantErr) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.wantErr)
		}
	}
	// Another key's signature over the same order.
	forged := testOrder(node)
	forged.OwnerPublicKey = owner.Public().(ed25519.PublicKey)
	body, _ := marshal(forged)
	raw2, _ := marshal(&storagev1.SignedOrder{OrderBytes: body, Signature: crypto.Sign(testKey(9), DomainOrder, "chain", body)})
	o2, err := DecodeOrder(raw2)
	if err != nil {
		t.Fatal(err)
	}
	if err := o2.Check("chain", node, 1000, 3600); !errors.Is(err, ErrOrderSignature) {
		t.Fatalf("an order signed by another key: %v", err)
	}
}

// TestDecodeOrderRefuses: every malformed order is ErrMalformedOrder.
func TestDecodeOrderRefuses(t *testing.T) {
	owner, node := testKey(1), crypto.AddressFromPubKey(testKey(2).Public().(ed25519.PublicKey))
	signed := func(edit func(*storagev1.Order)) []byte {
		o := testOrder(node)
		o.OwnerPublicKey = owner.Public().(ed25519.PublicKey)
		edit(o)
		body, _ := marshal(o)
		raw, _ := marshal(&storagev1.SignedOrder{OrderBytes: body, Signature: crypto.Sign(owner, DomainOrder, "chain", body)})
		return raw
	}
	good := signed(func(*storagev1.Order) {})
	for name, raw := range map[string][]byte{
		"empty":        nil,
		"garbage":      []byte{0xff, 0xff},
		"too long":     bytes.Repeat([]byte{0}, MaxOrderBytes+1),
		"no action":    signed(func(o *storagev1.Order) { o.Action = 0 }),
		"bad action":   signed(func(o *storagev1.Order) { o.Action = 9 }),
		"short id":     signed(func(o *storagev1.Order) { o.PieceId = o.PieceId[:31] }),
		"short serial": signed(func(o *storagev1.Order) { o.Serial = o.Serial[:8] }),
		"bad node":     signed(func(o *storagev1.Order) { o.Node = o.Node[:19] }),
		"no key":       signed(func(o *storagev1.Order) { o.OwnerPublicKey = nil }),
		"empty put":    signed(func(o *storagev1.Order) { o.Size = 0 }),
		"no expiry":    signed(func(o *storagev1.Order) { o.Expires = 0 }),
		"unknown field": func() []byte {
			return append(bytes.Clone(good), 0xf8, 0x01, 0x01) // field 31, varint 1
		}(),
		"short signature": func() []byte {
			var s storagev1.SignedOrder
			_ = proto.Unmarshal(good, &s)
			s.Signature = s.Signature[:63]
			b, _ := marshal(&s)
			return b
		}(),
	} {
		if _, err := DecodeOrder(raw); !errors.Is(err, ErrMalformedOrder) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestReceipt: a receipt verifies for its chain and names the signing
// node; a changed byte does not verify.
func TestReceipt(t *testing.T) {
	dev := testKey(2)
	r := &storagev1.Receipt{PieceId: bytes.Repeat([]byte{1}, PieceIDLen), Root: bytes.Repeat([]byte{3}, HashSize), Size: 5, Time: 7,
		Owner: bytes.Repeat([]byte{4}, crypto.AddressLen), Serial: bytes.Repeat([]byte{5}, SerialLen), LeafSize: 1024}
	raw, err := SignReceipt(dev, "chain", r)
	if err != nil {
		t.Fatal(err)
	}
	d, err := DecodeReceipt(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Verify("chain"); err != nil || d.Node != crypto.AddressFromPubKey(dev.Public().(ed25519.PublicKey)) {
		t.Fatalf("verify: %v, node %s", err, crypto.DeviceString(d.Node))
	}
	if err := d.Verify("other"); !errors.Is(err, ErrReceiptSignature) {
		t.Fatalf("another chain: %v", err)
	}
	bad := bytes.Clone(raw)
	bad[len(bad)-1] ^= 1
	if d, err := DecodeReceipt(bad); err == nil && d.Verify("chain") == nil {
		t.Fatal("a changed signature verified")
	}
}

// FuzzDecodeOrder: any bytes decode to an error or to an order whose
// encoding is canonical and whose fields have their sizes; decoding never
// panics, and Check never panics either.
func FuzzDecodeOrder(f *testing.F) {
	node := crypto.AddressFromPubKey(testKey(2).Public().(ed25519.PublicKey))
	good, _ := SignOrder(testKey(1), "chain", testOrder(node))
	f.Add(good)
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0x00, 0x12, 0x00})
	f.Fuzz(func(t *testing.T, raw []byte) {
		o, err := DecodeOrder(raw)
		if err != nil {
			if !errors.Is(err, ErrMalformedOrder) {
				t.Fatalf("error not ErrMalformedOrder: %v", err)
			}
			return
		}
		if len(o.PieceId) != PieceIDLen || len(o.Serial) != SerialLen || len(o.OwnerPublicKey) != ed25519.PublicKeySize {
			t.Fatalf("accepted %v", o.Order)
		}
		s := &storagev1.SignedOrder{OrderBytes: o.body, Signature: o.sig}
		if again, _ := marshal(s); !bytes.Equal(again, raw) {
			t.Fatalf("accepted a non-canonical encoding %x", raw)
		}
		_ = o.Check("chain", node, 1000, 3600)
	})
}

// FuzzDecodeReceipt: as FuzzDecodeOrder, for receipts.
func FuzzDecodeReceipt(f *testing.F) {
	r := &storagev1.Receipt{PieceId: bytes.Repeat([]byte{1}, PieceIDLen), Root: bytes.Repeat([]byte{3}, HashSize), Size: 5, Time: 7,
		Owner: bytes.Repeat([]byte{4}, crypto.AddressLen), Serial: bytes.Repeat([]byte{5}, SerialLen), LeafSize: 1024}
	good, _ := SignReceipt(testKey(2), "chain", r)
	f.Add(good)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		d, err := DecodeReceipt(raw)
		if err != nil {
			if !errors.Is(err, ErrMalformedReceipt) {
				t.Fatalf("error not ErrMalformedReceipt: %v", err)
			}
			return
		}
		if len(d.PieceId) != PieceIDLen || len(d.Root) != HashSize || d.Node != crypto.AddressFromPubKey(d.NodePublicKey) {
			t.Fatalf("accepted %v", d.Receipt)
		}
		if again, _ := marshal(&storagev1.SignedReceipt{ReceiptBytes: d.body, Signature: d.sig}); !bytes.Equal(again, raw) {
			t.Fatalf("accepted a non-canonical encoding %x", raw)
		}
		_ = d.Verify("chain")
	})
}

// FuzzMerkleProof: the proof a node builds for any leaf of any piece
// verifies against the piece's root, and the proof of one leaf never
// verifies as another leaf's (what an audit relies on).
func FuzzMerkleProof(f *testing.F) {
	f.Add([]byte("hello, storage"), uint16(64), uint16(0))
	f.Add(bytes.Repeat([]byte{7}, 1000), uint16(64), uint16(15))
	f.Fuzz(func(t *testing.T, data []byte, leafSize, index uint16) {
		ls := uint32(max(leafSize%512, 1))
		if len(data) == 0 || len(data) > 1<<14 {
			return
		}
		n := Leaves(uint64(len(data)), ls)
		i := uint64(index) % n
		root := MerkleRoot(data, ls)
		leaf, path, err := MerkleProof(data, ls, i)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyLeaf(root, uint64(len(data)), ls, i, leaf, path); err != nil {
			t.Fatalf("leaf %d of %d: %v", i, n, err)
		}
		if n > 1 {
			j := (i + 1) % n
			other := data[j*uint64(ls) : min((j+1)*uint64(ls), uint64(len(data)))]
			if VerifyLeaf(root, uint64(len(data)), ls, j, leaf, path) == nil && !bytes.Equal(leaf, other) {
				t.Fatalf("leaf %d's proof verified as leaf %d", i, j)
			}
		}
	})
}

// TestMerkleHasherAgrees: a piece written to a MerkleHasher in uneven
// chunks has MerkleRoot's root and MerkleProof's paths.
func TestMerkleHasherAgrees(t *testing.T) {
	for _, size := range []int{1, 63, 64, 65, 1000, 4096, 4097} {
		data := bytes.Repeat([]byte("0123456789abcdefg"), size/17+1)[:size]
		h := NewMerkleHasher(64)
		for rest := data; len(rest) > 0; {
			n := min(len(rest), 1+len(rest)%37)
			h.Write(rest[:n])
			rest = rest[n:]
		}
		if !bytes.Equal(h.Root(), MerkleRoot(data, 64)) {
			t.Fatalf("size %d: roots differ", size)
		}
		for i := uint64(0); i < Leaves(uint64(size), 64); i++ {
			path, err := h.Path(i)
			_, want, _ := MerkleProof(data, 64, i)
			if err != nil || len(path) != len(want) {
				t.Fatalf("size %d leaf %d: %v", size, i, err)
			}
			for j := range path {
				if !bytes.Equal(path[j], want[j]) {
					t.Fatalf("size %d leaf %d: paths differ", size, i)
				}
			}
		}
		if _, err := h.Write([]byte{1}); err == nil {
			t.Fatal("wrote to a finished hasher")
		}
	}
}

// TestRootIsRFC6962: the level-by-level root equals RFC 6962's recursive
// definition (split at the largest power of two) for every tree size up
// to 300 leaves.
func TestRootIsRFC6962(t *testing.T) {
	var rfc func(hs [][]byte) []byte
	rfc = func(hs [][]byte) []byte {
		if len(hs) == 1 {
			return hs[0]
		}
		k := split(len(hs))
		return nodeHash(rfc(hs[:k]), rfc(hs[k:]))
	}
	var hs [][]byte
	for n := 1; n <= 300; n++ {
		hs = append(hs, LeafHash([]byte{byte(n), byte(n >> 8)}))
		if !bytes.Equal(root(hs), rfc(hs)) {
			t.Fatalf("%d leaves: roots differ", n)
		}
	}
}
