package storagenode

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/depinhq/depin/api/storage"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	storagev1 "github.com/depinhq/depin/gen/depin/storage/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
)

// fakeChain is the chain as one node sees it, in memory.
type fakeChain struct {
	mu         sync.Mutex
	owner      crypto.Address
	epoch      uint64
	deals      map[uint64]*storagev1.Deal
	refs       []client.PieceRef
	refsErr    error
	challenges []client.NodeChallenge
	pass       *storagev1.EpochPass
	sent       []*txv1.Msg
}

func (f *fakeChain) ChainID(context.Context) (string, error) { return testChain, nil }
func (f *fakeChain) Device(_ context.Context, id crypto.DeviceID, _ client.QueryOptions) (*devicev1.Device, error) {
	return &devicev1.Device{Id: id[:], Network: "vault", Owner: f.owner[:], Capacity: 1, Status: devicev1.DeviceStatus_DEVICE_STATUS_ACTIVE}, nil
}
func (f *fakeChain) StorageParams(context.Context, string) (*storagev1.StorageParams, error) {
	p := storage.DefaultParams()
	p.LeafSize = 64
	return p, nil
}
func (f *fakeChain) Endpoint(context.Context, crypto.DeviceID) (*storagev1.Endpoint, error) {
	return nil, nil
}
func (f *fakeChain) NetworkEpoch(context.Context, string, client.QueryOptions) (uint64, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.epoch, true, nil
}
func (f *fakeChain) EpochPass(context.Context, string) (*storagev1.EpochPass, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pass, nil
}
func (f *fakeChain) ChallengesFor(context.Context, crypto.DeviceID) ([]client.NodeChallenge, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.challenges, nil
}
func (f *fakeChain) NodePieces(context.Context, string, crypto.DeviceID) ([]client.PieceRef, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refs, f.refsErr
}
func (f *fakeChain) Deal(_ context.Context, id uint64, _ client.QueryOptions) (*storagev1.Deal, error) {
	return f.deals[id], nil
}
func (f *fakeChain) SendTx(_ context.Context, _ ed25519.PrivateKey, msgs []*txv1.Msg, _ client.TxOptions) (*client.TxResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, msgs...)
	return &client.TxResult{}, nil
}

var _ Chain = (*fakeChain)(nil)

// TestAuditsAndGarbageCollection drives a node's chain work against a
// chain in memory: it proves the challenged pieces it holds (each proof
// verifies against the deal's root) and only those, once per epoch; it
// deletes nothing while the chain cannot be read, keeps referenced and
// recent pieces, deletes old unreferenced ones, and deletes a deal's
// pieces at once when the deal closes.
func TestAuditsAndGarbageCollection(t *testing.T) {
	owner, dev := key(1), key(2)
	ownerAddr := crypto.AddressFromPubKey(owner.Public().(ed25519.PublicKey))
	now := testNow
	fc := &fakeChain{owner: ownerAddr, epoch: 7, deals: map[uint64]*storagev1.Deal{}}
	cfg := TestConfig()
	cfg.DataDir, cfg.Capacity, cfg.DeviceKey, cfg.OwnerKey = t.TempDir(), 1<<20, dev, owner
	cfg.Clock = func() time.Time { return now }
	n, err := New(t.Context(), cfg, fc)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()

	// A deal with 3 pieces on this node; the node holds pieces 0 and 1.
	fileID := bytes.Repeat([]byte{9}, 32)
	deal := &storagev1.Deal{Id: 5, Owner: ownerAddr[:], FileId: fileID, LeafSize: 64, Status: storagev1.DealStatus_DEAL_STATUS_ACTIVE}
	for i := uint32(0); i < 3; i++ {
		data := bytes.Repeat([]byte{byte(i + 1)}, 1000)
		deal.Pieces = append(deal.Pieces, &storagev1.Piece{Segment: 0, Index: i, Node: n.ID().Bytes(), Root: storage.MerkleRoot(data, 64), Size: 1000})
		if i < 2 {
			var id PieceID
			copy(id[:], storage.PieceID(ownerAddr, fileID, 0, i))
			if _, _, err := n.store.Put(id, ownerAddr, 1000, 64, now, bytes.NewReader(data)); err != nil {
				t.Fatal(err)
			}
		}
	}
	fc.deals[5] = deal
	fc.refs = []client.PieceRef{{Deal: 5, Piece: 0}, {Deal: 5, Piece: 1}, {Deal: 5, Piece: 2}}
	for i := uint32(0); i < 3; i++ {
		fc.challenges = append(fc.challenges, client.NodeChallenge{Challenge: &storagev1.Challenge{Deal: 5, Piece: i, Leaf: uint64(3 + i)}, Epoch: 7, Deal: deal})
	}
	if err := n.audits.poll(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(fc.sent) != 1 {
		t.Fatalf("%d txs, want 1", len(fc.sent))
	}
	proofs := fc.sent[0].GetSubmitAudits().Proofs
	if m := fc.sent[0].GetSubmitAudits(); len(proofs) != 2 || !bytes.Equal(m.Submitter, ownerAddr[:]) || !bytes.Equal(m.Device, n.ID().Bytes()) {
		t.Fatalf("proofs %v", proofs)
	}
	for _, pr := range proofs {
		p := deal.Pieces[pr.Piece]
		if err := storage.VerifyLeaf(p.Root, p.Size, 64, uint64(3+pr.Piece), pr.Leaf, pr.Path); err != nil {
			t.Fatalf("proof of piece %d: %v", pr.Piece, err)
		}
	}
	if err := n.audits.poll(t.Context()); err != nil || len(fc.sent) != 1 {
		t.Fatalf("a second poll in the same epoch sent %d txs (%v)", len(fc.sent)-1, err)
	}

	// Garbage collection. Pieces wait for their deal while their owner
	// keeps uploading to the node (a long put opens its deal after the
	// last piece), and go GCGrace after the owner's last upload.
	stray := func(b byte, owner crypto.Address, stored time.Time) PieceID {
		id := PieceID(pieceID(b))
		if _, _, err := n.store.Put(id, owner, 10, 64, stored, bytes.NewReader(bytes.Repeat([]byte{b}, 10))); err != nil {
			t.Fatal(err)
		}
		return id
	}
	uploader, abandoned := crypto.Address{0x77}, crypto.Address{0x78}
	old := stray(0xa0, abandoned, now.Add(-2*cfg.GCGrace))
	early := stray(0xa2, uploader, now.Add(-2*cfg.GCGrace))
	stray(0xa1, uploader, now)
	held := func() int { _, p, _ := n.store.Usage(); return int(p) }
	fc.refsErr = errors.New("chain down")
	if err := n.gc.run(t.Context()); err == nil || held() != 5 {
		t.Fatalf("with the chain down: %v, %d pieces held", err, held())
	}
	fc.refsErr = nil
	if err := n.gc.run(t.Context()); err != nil || held() != 4 {
		t.Fatalf("gc: %v, %d pieces held, want 4", err, held())
	}
	if _, ok := n.store.Info(old); ok {
		t.Fatal("an old unreferenced piece of an owner who stopped uploading was kept")
	}
	if _, ok := n.store.Info(early); !ok {
		t.Fatal("the first piece of an upload still under way was deleted")
	}
	// The deal's pieces are anyone's to read (a repairer's), a stray is not.
	var p0 PieceID
	copy(p0[:], storage.PieceIDOf(deal, deal.Pieces[0]))
	if !n.server.public(p0) || n.server.public(PieceID(pieceID(0xa1))) {
		t.Fatalf("readable by anyone: the deal's piece %v, a stray %v", n.server.public(p0), n.server.public(PieceID(pieceID(0xa1))))
	}
	fc.refs = nil // the deal closed
	if err := n.gc.run(t.Context()); err != nil || held() != 2 {
		t.Fatalf("after the deal closed: %v, %d pieces held, want 2 (the upload under way)", err, held())
	}
	if n.server.public(p0) {
		t.Fatal("a closed deal's piece is still readable by anyone")
	}
	now = now.Add(cfg.GCGrace)
	if err := n.gc.run(t.Context()); err != nil || held() != 0 {
		t.Fatalf("after the grace: %v, %d pieces held", err, held())
	}
}

// TestAuditsWaitForThePass: while the chain's epoch pass is still drawing
// the epoch's challenges (node by node, over blocks), a node answers the
// ones it has and keeps polling, so it answers those drawn later too.
func TestAuditsWaitForThePass(t *testing.T) {
	owner, dev := key(1), key(2)
	ownerAddr := crypto.AddressFromPubKey(owner.Public().(ed25519.PublicKey))
	fc := &fakeChain{owner: ownerAddr, epoch: 7, deals: map[uint64]*storagev1.Deal{}, pass: &storagev1.EpochPass{Epoch: 7}}
	cfg := TestConfig()
	cfg.DataDir, cfg.Capacity, cfg.DeviceKey, cfg.OwnerKey = t.TempDir(), 1<<20, dev, owner
	cfg.Clock = func() time.Time { return testNow }
	n, err := New(t.Context(), cfg, fc)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	fileID := bytes.Repeat([]byte{9}, 32)
	deal := &storagev1.Deal{Id: 5, Owner: ownerAddr[:], FileId: fileID, LeafSize: 64, Status: storagev1.DealStatus_DEAL_STATUS_ACTIVE}
	for i := uint32(0); i < 2; i++ {
		data := bytes.Repeat([]byte{byte(i + 1)}, 1000)
		deal.Pieces = append(deal.Pieces, &storagev1.Piece{Segment: 0, Index: i, Node: n.ID().Bytes(), Root: storage.MerkleRoot(data, 64), Size: 1000})
		var id PieceID
		copy(id[:], storage.PieceID(ownerAddr, fileID, 0, i))
		if _, _, err := n.store.Put(id, ownerAddr, 1000, 64, testNow, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
	}
	fc.deals[5] = deal
	challenge := func(piece uint32) client.NodeChallenge {
		return client.NodeChallenge{Challenge: &storagev1.Challenge{Deal: 5, Piece: piece, Leaf: 1}, Epoch: 7, Deal: deal}
	}
	fc.challenges = []client.NodeChallenge{challenge(0)}
	poll := func(wantTxs int) {
		t.Helper()
		if err := n.audits.poll(t.Context()); err != nil || len(fc.sent) != wantTxs {
			t.Fatalf("%d txs, want %d (%v)", len(fc.sent), wantTxs, err)
		}
	}
	poll(1)
	fc.mu.Lock()
	fc.challenges = append(fc.challenges, challenge(1)) // drawn in a later block of the pass
	fc.mu.Unlock()
	poll(2)
	if p := fc.sent[1].GetSubmitAudits().Proofs; len(p) != 1 || p[0].Piece != 1 {
		t.Fatalf("second tx proves %v", p)
	}
	fc.mu.Lock()
	fc.pass = nil
	fc.mu.Unlock()
	poll(2) // nothing new; the epoch is done
	if n.audits.done != 7 {
		t.Fatalf("epoch done %d, want 7", n.audits.done)
	}
}
