package proof_test

import (
	"errors"
	"testing"

	cmtcrypto "github.com/cometbft/cometbft/api/cometbft/crypto/v1"

	"github.com/depinhq/depin/proof"
	"github.com/depinhq/depin/store"
)

// FuzzDecode: the proof ops a node returns are outside input for a
// client. Any bytes either decode or fail with proof.ErrProof, and a
// decoded proof is judged (never a panic) by proof.Verify.
func FuzzDecode(f *testing.F) {
	tree := store.NewMemTree()
	tree.Set([]byte("k"), []byte("v"))
	if _, _, err := tree.SaveVersion(); err != nil {
		f.Fatal(err)
	}
	snap, err := tree.Snapshot(1)
	if err != nil {
		f.Fatal(err)
	}
	p, err := snap.Proof([]byte("k"))
	if err != nil {
		f.Fatal(err)
	}
	ops, err := proof.Encode([]byte("k"), p)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ops.Ops[0].Type, ops.Ops[0].Data, ops.Ops[1].Type, ops.Ops[1].Data, []byte("k"), []byte("v"))
	f.Add(proof.OpICS23, []byte{0x0a, 0x00}, proof.OpRoots, make([]byte, 128), []byte("x"), []byte(nil))
	root := snap.Hash()
	f.Fuzz(func(t *testing.T, t0 string, d0 []byte, t1 string, d1 []byte, key, value []byte) {
		got, err := proof.Decode(&cmtcrypto.ProofOps{Ops: []cmtcrypto.ProofOp{{Type: t0, Data: d0}, {Type: t1, Data: d1}}})
		if err != nil {
			if !errors.Is(err, proof.ErrProof) {
				t.Fatalf("error not ErrProof: %v", err)
			}
			return
		}
		if err := proof.Verify(root, key, value, got); err == nil && (string(key) != "k" || string(value) != "v") {
			t.Fatalf("proves %q = %q, which the state does not hold", key, value)
		}
	})
}
