package app

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	api "github.com/depinhq/depin/api/storage"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	storagev1 "github.com/depinhq/depin/gen/depin/storage/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/x/bank"
	"github.com/depinhq/depin/x/device"
	"github.com/depinhq/depin/x/network"
	"github.com/depinhq/depin/x/storage"
)

// storageWorld is a STORAGE network "vault" (60 s epochs, 64-byte leaves,
// two audits per node and epoch) with one node per owner — alice, bob,
// carol — each serving at an endpoint; dave stores files.
type storageWorld struct {
	*world
	owners map[string]testKey // node name → its owner
	nodes  map[string]crypto.DeviceID
	dave   testKey
	data   map[[2]uint64][]byte // (deal, piece) → the piece's bytes, as its node holds them
	// hurry: nextEpoch does not wait for the epoch pass to finish (with a
	// small storage budget, transactions and epoch ends meet it midway).
	hurry bool
}

func vaultParams() *networkv1.Params {
	p := solarParams()
	p.Metrics = []*networkv1.Metric{{Id: 1, Name: "stored", Unit: "GBh", BoundNum: 1, BoundDen: 3600, Weight: 1}}
	p.EpochSeconds = 60
	p.Rewards = network.DefaultRewards(0)
	p.Rewards.Geo = nil
	sp := api.DefaultParams()
	// Tiny test pieces at a price that makes them earn something each epoch.
	sp.LeafSize, sp.ChallengesPerNode, sp.PricePerGibMonth, sp.RepairFee = 64, 2, 1<<40, 50
	p.Storage = sp
	return p
}

func msgOf(m any) *txv1.Msg {
	switch v := m.(type) {
	case *storagev1.MsgSetEndpoint:
		return &txv1.Msg{Sum: &txv1.Msg_SetEndpoint{SetEndpoint: v}}
	case *storagev1.MsgOpenDeal:
		return &txv1.Msg{Sum: &txv1.Msg_OpenDeal{OpenDeal: v}}
	case *storagev1.MsgCloseDeal:
		return &txv1.Msg{Sum: &txv1.Msg_CloseDeal{CloseDeal: v}}
	case *storagev1.MsgSubmitAudits:
		return &txv1.Msg{Sum: &txv1.Msg_SubmitAudits{SubmitAudits: v}}
	case *storagev1.MsgRepairDeal:
		return &txv1.Msg{Sum: &txv1.Msg_RepairDeal{RepairDeal: v}}
	}
	panic(fmt.Sprintf("%T", m))
}

func newStorageWorld(t *testing.T) *storageWorld {
	w := newWorld(t)
	c, alice := w.c, w.owner
	c.mustBlock(c.tx(alice, &txv1.Msg{Sum: &txv1.Msg_CreateNetwork{CreateNetwork: &networkv1.MsgCreateNetwork{
		Owner: alice.addr.Bytes(), Id: "vault", Name: "Vault", Class: networkv1.ResourceClass_RESOURCE_CLASS_STORAGE, RewardDenom: "uvault", Params: vaultParams()}}}))
	c.mustBlock(c.tx(alice, &txv1.Msg{Sum: &txv1.Msg_ApproveMaker{ApproveMaker: &networkv1.MsgApproveMaker{
		Owner: alice.addr.Bytes(), Network: "vault", MakerPublicKey: w.maker.priv.Public().(ed25519.PublicKey), Name: "ACME"}}}))
	sw := &storageWorld{world: w, owners: map[string]testKey{}, nodes: map[string]crypto.DeviceID{}, dave: newTestKey("dave"), data: map[[2]uint64][]byte{}}
	bob, carol := newTestKey("bob"), newTestKey("carol")
	var funds []*txv1.Msg
	for _, k := range []testKey{bob, carol, sw.dave} {
		funds = append(funds, &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: alice.addr.Bytes(), To: k.addr.Bytes(), Amount: bank.Coins("udpin", 1_000_000_000)}}})
	}
	c.mustBlock(c.tx(alice, funds...))
	for i, k := range []testKey{alice, bob, carol} {
		name := fmt.Sprintf("node%d", i)
		c.mustBlock(c.tx(k, registerMsg(k.addr, w.certFor("vault", name, 1), name, w.cell))) // 1 GB
		sw.owners[name], sw.nodes[name] = k, deviceID(name)
		id := deviceID(name)
		c.mustBlock(c.tx(k, msgOf(&storagev1.MsgSetEndpoint{Owner: k.addr.Bytes(), Device: id[:], Url: fmt.Sprintf("http://127.0.0.1:%d", 7700+i)})))
	}
	return sw
}

// openDeal stores a file of segments × 3 pieces of size bytes (k=2, n=3),
// piece i of each segment on node i, for duration seconds.
func (sw *storageWorld) openDeal(segments int, size uint64, duration uint64) (*storagev1.MsgOpenDeal, uint64) {
	rng := rand.New(rand.NewPCG(uint64(segments), size))
	m := &storagev1.MsgOpenDeal{Owner: sw.dave.addr.Bytes(), Network: "vault", FileId: bytes.Repeat([]byte{7}, 32), Size: size * uint64(segments) * 2,
		K: 2, N: 3, Segments: uint32(segments), DurationSeconds: duration}
	var datas [][]byte
	for s := 0; s < segments; s++ {
		for i := 0; i < 3; i++ {
			data := make([]byte, size)
			for j := range data {
				data[j] = byte(rng.Uint32())
			}
			node := sw.nodes[fmt.Sprintf("node%d", i)]
			m.Pieces = append(m.Pieces, &storagev1.Piece{Segment: uint32(s), Index: uint32(i), Node: node[:], Root: api.MerkleRoot(data, 64), Size: size})
			datas = append(datas, data)
		}
	}
	r := sw.c.result(sw.dave, msgOf(m))
	if r.Code != 0 {
		sw.c.t.Fatalf("open deal: %s", r.Log)
	}
	id := uint64(0)
	for _, d := range state.Records[storagev1.Deal](sw.c.snapshot(), api.DealPrefix) {
		id = max(id, d.Id)
	}
	for i, d := range datas {
		sw.data[[2]uint64{id, uint64(i)}] = d
	}
	return m, id
}

// challenge is a current challenge of the vault with the node and epoch
// of its record.
type challenge struct {
	*storagev1.Challenge
	Node  crypto.DeviceID
	Epoch uint64
}

// challenges returns the current challenges of the vault, node by node.
func (sw *storageWorld) challenges() []challenge {
	var out []challenge
	for _, nc := range state.Records[storagev1.NodeChallenges](sw.c.snapshot(), api.NetworkChallengesPrefix("vault")) {
		for _, c := range nc.Challenges {
			out = append(out, challenge{Challenge: c, Node: mustDeviceID(sw.c.t, nc.Node), Epoch: nc.Epoch})
		}
	}
	return out
}

func mustDeviceID(t *testing.T, b []byte) crypto.DeviceID {
	t.Helper()
	id, err := crypto.AddressFromBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// answer has the owner of each named node prove its challenged pieces.
func (sw *storageWorld) answer(names ...string) {
	sw.c.t.Helper()
	for _, name := range names {
		var proofs []*storagev1.AuditProof
		for _, ch := range sw.challenges() {
			if ch.Node != sw.nodes[name] {
				continue
			}
			leaf, path, err := api.MerkleProof(sw.data[[2]uint64{ch.Deal, uint64(ch.Piece)}], 64, ch.Leaf)
			if err != nil {
				sw.c.t.Fatal(err)
			}
			proofs = append(proofs, &storagev1.AuditProof{Deal: ch.Deal, Piece: ch.Piece, Leaf: leaf, Path: path})
		}
		if len(proofs) == 0 {
			continue
		}
		k := sw.owners[name]
		if r := sw.c.result(k, msgOf(&storagev1.MsgSubmitAudits{Submitter: k.addr.Bytes(), Device: sw.nodes[name].Bytes(), Proofs: proofs})); r.Code != 0 {
			sw.c.t.Fatalf("%s's proofs: %s", name, r.Log)
		}
	}
}

// nextEpoch moves block time to the start of the vault's next epoch and
// runs a block there, and more until the epoch pass is done (one block
// unless the test set a small storage BlockBudget).
func (sw *storageWorld) nextEpoch() {
	n := network.Keeper{}.Network(sw.c.snapshot(), "vault")
	e := network.EpochAt(n, sw.c.time.Unix())
	sw.c.time = time.Unix(network.EpochStart(n, e+1), 0).UTC().Add(-time.Second)
	sw.c.block()
	for !sw.hurry && (storage.Keeper{}).Pass(sw.c.snapshot(), "vault") != nil {
		sw.c.block()
	}
}

// TestStorageDealLifecycle: a deal escrows its price; each epoch the chain
// challenges every node; nodes that prove their leaves are paid for the
// time stored, one that does not is not paid, keeps missing, and is
// disqualified — slashed, jailed, its pieces marked lost; at the end the
// deal closes and refunds the rest. The books balance after every block.
func TestStorageDealLifecycle(t *testing.T) {
	sw := newStorageWorld(t)
	c := sw.c
	before := c.balance(sw.dave.addr, "udpin")
	_, id := sw.openDeal(2, 300, 600)
	d := storage.Keeper{}.Deal(c.snapshot(), id)
	want, _ := api.Price(6*300, 1<<40, 600, true)
	want += 50 * (3 - 2) * 2 // the repair budget: fee × (n − k) × segments
	if d.Escrow != want || d.Escrow == 0 || c.balance(storage.Escrow, "udpin") != want || before-c.balance(sw.dave.addr, "udpin") != want+txFee {
		t.Fatalf("escrow %d, want %d; escrow account %d", d.Escrow, want, c.balance(storage.Escrow, "udpin"))
	}
	if st := (storage.Keeper{}).Stats(c.snapshot(), sw.nodes["node1"]); st.UsedBytes != 600 || st.Pieces != 2 {
		t.Fatalf("node1 stats %v", st)
	}

	// Epoch 1: every node challenged on both of its pieces.
	sw.nextEpoch()
	if n := len(sw.challenges()); n != 6 {
		t.Fatalf("%d challenges, want 6", n)
	}
	// The deal's first (partial) epoch had no challenge yet: all were paid.
	earned := func(name string) uint64 { return storage.Keeper{}.Stats(c.snapshot(), sw.nodes[name]).Earned }
	e0, e1, e2 := earned("node0"), earned("node1"), earned("node2")
	if e0 == 0 || e0 != e1 || e1 != e2 {
		t.Fatalf("first epoch earned %d %d %d", e0, e1, e2)
	}
	sw.answer("node0", "node1") // node2 (carol's) proves nothing
	sw.nextEpoch()
	if earned("node0") <= e0 || earned("node1") <= e1 || earned("node2") != e2 {
		t.Fatalf("earned %d %d %d after %d %d %d", earned("node0"), earned("node1"), earned("node2"), e0, e1, e2)
	}
	if st := (storage.Keeper{}).Stats(c.snapshot(), sw.nodes["node2"]); st.AuditsMissed != 2 || st.Strikes != 2 || st.Disqualified {
		t.Fatalf("node2 after one epoch of misses: %v", st)
	}
	stake := device.Keeper{}.Get(c.snapshot(), sw.nodes["node2"]).Stake
	sw.answer("node0", "node1")
	sw.nextEpoch()
	st := storage.Keeper{}.Stats(c.snapshot(), sw.nodes["node2"])
	dev := device.Keeper{}.Get(c.snapshot(), sw.nodes["node2"])
	if !st.Disqualified || st.UsedBytes != 0 || dev.Status != devicev1.DeviceStatus_DEVICE_STATUS_JAILED || dev.Stake != stake-stake/10 {
		t.Fatalf("node2 after two epochs of misses: %v, %s stake %d", st, dev.Status, dev.Stake)
	}
	d = storage.Keeper{}.Deal(c.snapshot(), id)
	for _, p := range d.Pieces {
		if p.Lost != (p.Index == 2) {
			t.Fatalf("piece %d/%d lost=%v", p.Segment, p.Index, p.Lost)
		}
	}
	if !hasEvent(c.events, "depin.storage.v1.EventNodeDisqualified") {
		t.Fatal("no EventNodeDisqualified")
	}
	// A lost piece is no longer challenged; the others still are.
	for _, ch := range sw.challenges() {
		if ch.Piece%3 == 2 {
			t.Fatalf("lost piece %d challenged", ch.Piece)
		}
	}
	// The deal runs out: paid + refunded = escrow, the escrow account empties.
	for i := 0; i < 10 && (storage.Keeper{}).Deal(c.snapshot(), id).Status == storagev1.DealStatus_DEAL_STATUS_ACTIVE; i++ {
		sw.answer("node0", "node1")
		sw.nextEpoch()
	}
	d = storage.Keeper{}.Deal(c.snapshot(), id)
	if d.Status != storagev1.DealStatus_DEAL_STATUS_CLOSED || d.Paid+d.Refunded != d.Escrow || d.Refunded == 0 || c.balance(storage.Escrow, "udpin") != 0 {
		t.Fatalf("closed deal: %v; escrow account %d", d, c.balance(storage.Escrow, "udpin"))
	}
	if st := (storage.Keeper{}).Stats(c.snapshot(), sw.nodes["node0"]); st.UsedBytes != 0 || st.Pieces != 0 {
		t.Fatalf("node0 still holds %v", st)
	}
	if len(sw.challenges()) != 0 {
		t.Fatal("a closed deal is still challenged")
	}
}

// TestStorageRefusesBadInput: every wrong deal, endpoint, close and proof
// fails with its error and moves nothing but the fee.
func TestStorageRefusesBadInput(t *testing.T) {
	sw := newStorageWorld(t)
	c := sw.c
	good, id := sw.openDeal(1, 200, 600)
	sw.nextEpoch()
	clone := func(edit func(m *storagev1.MsgOpenDeal)) *storagev1.MsgOpenDeal {
		m := &storagev1.MsgOpenDeal{Owner: good.Owner, Network: good.Network, FileId: good.FileId, Size: good.Size, K: good.K, N: good.N,
			Segments: good.Segments, DurationSeconds: good.DurationSeconds}
		for _, p := range good.Pieces {
			m.Pieces = append(m.Pieces, &storagev1.Piece{Segment: p.Segment, Index: p.Index, Node: p.Node, Root: p.Root, Size: p.Size})
		}
		edit(m)
		return m
	}
	solarDev := sw.register("sun", 5000)
	bob := sw.owners["node1"]
	ch := sw.challenges()[0]
	var owner, notOwner testKey
	var notOwnersNode crypto.DeviceID
	for _, n := range []string{"node0", "node1", "node2"} {
		if sw.nodes[n] == ch.Node {
			owner = sw.owners[n]
		} else {
			notOwner, notOwnersNode = sw.owners[n], sw.nodes[n]
		}
	}
	leaf, path, _ := api.MerkleProof(sw.data[[2]uint64{ch.Deal, uint64(ch.Piece)}], 64, ch.Leaf)
	otherLeaf, otherPath, _ := api.MerkleProof(sw.data[[2]uint64{ch.Deal, uint64(ch.Piece)}], 64, (ch.Leaf+1)%4)
	audits := func(who testKey, node crypto.DeviceID, proofs ...*storagev1.AuditProof) *storagev1.MsgSubmitAudits {
		return &storagev1.MsgSubmitAudits{Submitter: who.addr.Bytes(), Device: node.Bytes(), Proofs: proofs}
	}
	right := &storagev1.AuditProof{Deal: ch.Deal, Piece: ch.Piece, Leaf: leaf, Path: path}
	tooMany := make([]*storagev1.AuditProof, api.MaxProofs+1)
	for i := range tooMany {
		tooMany[i] = right
	}
	cases := []struct {
		name string
		who  testKey
		msg  any
		kind error
	}{
		{"empty file", sw.dave, clone(func(m *storagev1.MsgOpenDeal) { m.Size = 0 }), storage.ErrInvalidDeal},
		{"k = n", sw.dave, clone(func(m *storagev1.MsgOpenDeal) { m.K = 3 }), storage.ErrInvalidDeal},
		{"k = 0", sw.dave, clone(func(m *storagev1.MsgOpenDeal) { m.K = 0 }), storage.ErrInvalidDeal},
		{"n too large", sw.dave, clone(func(m *storagev1.MsgOpenDeal) { m.N = 65 }), storage.ErrInvalidDeal},
		{"a piece missing", sw.dave, clone(func(m *storagev1.MsgOpenDeal) { m.Pieces = m.Pieces[:2] }), storage.ErrInvalidDeal},
		{"pieces out of order", sw.dave, clone(func(m *storagev1.MsgOpenDeal) { m.Pieces[0], m.Pieces[1] = m.Pieces[1], m.Pieces[0] }), storage.ErrInvalidDeal},
		{"one owner twice in a segment", sw.dave, clone(func(m *storagev1.MsgOpenDeal) { m.Pieces[1].Node = m.Pieces[0].Node }), storage.ErrInvalidDeal},
		{"a node of another network", sw.dave, clone(func(m *storagev1.MsgOpenDeal) { m.Pieces[0].Node = solarDev[:] }), storage.ErrNodeUnavailable},
		{"an unknown node", sw.dave, clone(func(m *storagev1.MsgOpenDeal) { m.Pieces[0].Node = bytes.Repeat([]byte{9}, 20) }), storage.ErrNodeUnavailable},
		{"a bad root", sw.dave, clone(func(m *storagev1.MsgOpenDeal) { m.Pieces[0].Root = []byte{1} }), storage.ErrInvalidDeal},
		{"a piece too big", sw.dave, clone(func(m *storagev1.MsgOpenDeal) { m.Pieces[0].Size = 1 << 40 }), storage.ErrInvalidDeal},
		{"beyond the node's capacity", sw.dave, clone(func(m *storagev1.MsgOpenDeal) {
			for _, p := range m.Pieces {
				p.Size = 200 << 20
			}
			m.Segments, m.Pieces = 1, m.Pieces[:3]
			for s := 1; s < 6; s++ {
				for i := 0; i < 3; i++ {
					q := m.Pieces[i]
					m.Pieces = append(m.Pieces, &storagev1.Piece{Segment: uint32(s), Index: uint32(i), Node: q.Node, Root: q.Root, Size: q.Size})
				}
			}
			m.Segments = 6
		}), storage.ErrNodeUnavailable},
		{"too long", sw.dave, clone(func(m *storagev1.MsgOpenDeal) { m.DurationSeconds = 100 * api.MonthSecs }), storage.ErrInvalidDeal},
		{"above max_escrow", sw.dave, clone(func(m *storagev1.MsgOpenDeal) {
			for _, p := range m.Pieces {
				p.Size = 200 << 20
			}
			m.MaxEscrow = 1
		}), storage.ErrInvalidDeal},
		{"more than the owner has", newTestKey("pauper"), clone(func(m *storagev1.MsgOpenDeal) { m.Owner = newTestKey("pauper").addr.Bytes() }), errs.ErrInsufficientFee},
		{"not a storage network", sw.dave, clone(func(m *storagev1.MsgOpenDeal) { m.Network = "solar" }), storage.ErrNoStorage},
		{"endpoint: bad url", bob, &storagev1.MsgSetEndpoint{Owner: bob.addr.Bytes(), Device: sw.nodes["node1"].Bytes(), Url: "ftp://x"}, storage.ErrInvalidEndpoint},
		{"endpoint: another's node", bob, &storagev1.MsgSetEndpoint{Owner: bob.addr.Bytes(), Device: sw.nodes["node0"].Bytes(), Url: "http://h:1"}, device.ErrNotDeviceOwner},
		{"endpoint: not a storage network", sw.owner, &storagev1.MsgSetEndpoint{Owner: sw.owner.addr.Bytes(), Device: solarDev[:], Url: "http://h:1"}, storage.ErrNoStorage},
		{"close: unknown deal", sw.dave, &storagev1.MsgCloseDeal{Owner: sw.dave.addr.Bytes(), Id: 99}, storage.ErrUnknownDeal},
		{"close: another's deal", bob, &storagev1.MsgCloseDeal{Owner: bob.addr.Bytes(), Id: id}, errs.ErrUnauthorized},
		{"proof: wrong leaf", owner, audits(owner, ch.Node, &storagev1.AuditProof{Deal: ch.Deal, Piece: ch.Piece, Leaf: otherLeaf, Path: otherPath}), storage.ErrInvalidProof},
		{"proof: flipped byte", owner, audits(owner, ch.Node, &storagev1.AuditProof{Deal: ch.Deal, Piece: ch.Piece, Leaf: append([]byte{leaf[0] ^ 1}, leaf[1:]...), Path: path}), storage.ErrInvalidProof},
		{"proof: another's node", notOwner, audits(notOwner, ch.Node, right), errs.ErrUnauthorized},
		{"proof: another node's piece", notOwner, audits(notOwner, notOwnersNode, right), storage.ErrInvalidProof},
		{"proof: twice in one message", owner, audits(owner, ch.Node, right, right), storage.ErrInvalidProof},
		{"proof: a right one, then a bad one", owner, audits(owner, ch.Node, right, &storagev1.AuditProof{Deal: ch.Deal, Piece: ch.Piece + 1}), storage.ErrInvalidProof},
		{"proof: unknown deal", owner, audits(owner, ch.Node, &storagev1.AuditProof{Deal: 77, Piece: 0}), storage.ErrInvalidProof},
		{"proof: no node", owner, &storagev1.MsgSubmitAudits{Submitter: owner.addr.Bytes(), Proofs: []*storagev1.AuditProof{right}}, storage.ErrInvalidProof},
		{"proof: an unregistered node", owner, audits(owner, deviceID("nobody"), right), storage.ErrInvalidProof},
		{"proof: a node of another network", sw.owner, audits(sw.owner, solarDev, right), storage.ErrInvalidProof},
		{"proof: too many", owner, audits(owner, ch.Node, tooMany...), storage.ErrInvalidProof},
		{"proof: none", owner, audits(owner, ch.Node), storage.ErrInvalidProof},
	}
	record := func() []byte { return c.snapshot().Get(api.ChallengesKey("vault", ch.Node)) }
	for _, tc := range cases {
		snap := c.snapshot()
		escrow := (bank.Keeper{}).Balance(snap, storage.Escrow, "udpin")
		paid := (bank.Keeper{}).Balance(snap, tc.who.addr, "udpin")
		challenges := record()
		r := c.result(tc.who, msgOf(tc.msg))
		expectErr(t, tc.name, r, tc.kind)
		if got := c.balance(storage.Escrow, "udpin"); got != escrow {
			t.Fatalf("%s: the escrow moved from %d to %d", tc.name, escrow, got)
		}
		if got := c.balance(tc.who.addr, "udpin"); got != paid-min(paid, txFee) {
			t.Fatalf("%s: the signer had %d, now %d (the fee is %d)", tc.name, paid, got, txFee)
		}
		if !bytes.Equal(record(), challenges) {
			t.Fatalf("%s: the node's challenges changed", tc.name)
		}
	}
	// The challenge is still open after all that, and a right proof passes once.
	proof := audits(owner, ch.Node, right)
	if r := c.result(owner, msgOf(proof)); r.Code != 0 {
		t.Fatal(r.Log)
	}
	expectErr(t, "proof: answered again", c.result(owner, msgOf(proof)), storage.ErrInvalidProof)
	// Closing the deal refunds what was not paid and frees the nodes.
	if r := c.result(sw.dave, msgOf(&storagev1.MsgCloseDeal{Owner: sw.dave.addr.Bytes(), Id: id})); r.Code != 0 {
		t.Fatal(r.Log)
	}
	expectErr(t, "close twice", c.result(sw.dave, msgOf(&storagev1.MsgCloseDeal{Owner: sw.dave.addr.Bytes(), Id: id})), storage.ErrDealClosed)
	if c.balance(storage.Escrow, "udpin") != 0 {
		t.Fatal("escrow left after closing")
	}
}

// TestStorageRepair: once a node is disqualified its pieces are lost;
// anyone may move them to a new node that holds the rebuilt bytes; the
// repairer's fee is paid when the piece passes its first audit there.
// Repairs that are not due or that would put two pieces of a segment on
// one owner are refused.
func TestStorageRepair(t *testing.T) {
	sw := newStorageWorld(t)
	c := sw.c
	_, id := sw.openDeal(1, 300, 6000)
	sw.nextEpoch()
	for i := 0; i < 6 && !(storage.Keeper{}).Stats(c.snapshot(), sw.nodes["node2"]).Disqualified; i++ {
		sw.answer("node0", "node1") // node2 never answers: one strike per epoch
		sw.nextEpoch()
	}
	if !(storage.Keeper{}).Stats(c.snapshot(), sw.nodes["node2"]).Disqualified {
		t.Fatal("node2 not disqualified")
	}
	// A fourth node, erin's.
	erin, frank := newTestKey("erin"), newTestKey("frank")
	c.mustBlock(c.tx(sw.owner, &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: sw.owner.addr.Bytes(), To: erin.addr.Bytes(), Amount: bank.Coins("udpin", 1_000_000_000)}}},
		&txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: sw.owner.addr.Bytes(), To: frank.addr.Bytes(), Amount: bank.Coins("udpin", 1_000_000_000)}}}))
	c.mustBlock(c.tx(erin, registerMsg(erin.addr, sw.certFor("vault", "node3", 1), "node3", sw.cell)))
	node3 := deviceID("node3")
	sw.owners["node3"], sw.nodes["node3"] = erin, node3
	c.mustBlock(c.tx(erin, msgOf(&storagev1.MsgSetEndpoint{Owner: erin.addr.Bytes(), Device: node3.Bytes(), Url: "http://127.0.0.1:7703"})))

	repair := func(piece uint32, node crypto.DeviceID) *storagev1.MsgRepairDeal {
		return &storagev1.MsgRepairDeal{Repairer: frank.addr.Bytes(), Deal: id, Repairs: []*storagev1.PieceRepair{{Piece: piece, Node: node.Bytes()}}}
	}
	expectErr(t, "a piece that is not lost", c.result(frank, msgOf(repair(0, node3))), storage.ErrInvalidDeal)
	expectErr(t, "onto a node holding a piece of the segment", c.result(frank, msgOf(repair(2, sw.nodes["node0"]))), storage.ErrInvalidDeal)
	expectErr(t, "onto the disqualified node", c.result(frank, msgOf(repair(2, sw.nodes["node2"]))), storage.ErrNodeUnavailable)
	expectErr(t, "an unknown deal", c.result(frank, msgOf(&storagev1.MsgRepairDeal{Repairer: frank.addr.Bytes(), Deal: 99, Repairs: repair(2, node3).Repairs})), storage.ErrUnknownDeal)
	if r := c.result(frank, msgOf(repair(2, node3))); r.Code != 0 {
		t.Fatal(r.Log)
	}
	d := storage.Keeper{}.Deal(c.snapshot(), id)
	if p := d.Pieces[2]; p.Lost || !bytes.Equal(p.Node, node3.Bytes()) || p.RepairFeeDue != 50 {
		t.Fatalf("repaired piece %v", p)
	}
	expectErr(t, "repairing it again", c.result(frank, msgOf(repair(2, node3))), storage.ErrInvalidDeal)
	// node3 now holds the piece (the rebuilt bytes are the original's), is
	// challenged on it, proves it, and the repairer is paid.
	before := c.balance(frank.addr, "udpin")
	for i := 0; i < 4 && c.balance(frank.addr, "udpin") == before; i++ {
		sw.nextEpoch()
		sw.answer("node0", "node1", "node3")
	}
	sw.nextEpoch()
	if got := c.balance(frank.addr, "udpin") - before; got != 50 {
		t.Fatalf("the repairer got %d, want 50", got)
	}
	if p := (storage.Keeper{}).Deal(c.snapshot(), id).Pieces[2]; p.RepairFeeDue != 0 {
		t.Fatalf("fee still due: %v", p)
	}
	if st := (storage.Keeper{}).Stats(c.snapshot(), node3); st.Earned == 0 || st.Pieces != 1 {
		t.Fatalf("node3 %v", st)
	}
}

// TestStorageAdversarial drives random storage txs with worst-case values
// — huge or zero sizes and durations, k and n at and past their limits,
// other people's deals and nodes, garbage and replayed proofs, repairs of
// live pieces, endpoint junk, the network's storage params changed or
// removed while deals are escrowed, time jumps — and holds after every
// block: every module's books balance (the harness checks them), udpin's
// supply never moves, and the vault is never frozen (a freeze is one of
// the storage block steps failing on input an attacker chose).
func TestStorageAdversarial(t *testing.T) {
	seeds := uint64(4) // DEPIN_ADVERSARIAL_SEEDS=N hunts longer
	if v, err := strconv.ParseUint(os.Getenv("DEPIN_ADVERSARIAL_SEEDS"), 10, 32); err == nil && v > 0 {
		seeds = v
	}
	for seed := uint64(1); seed <= seeds; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { storageAdversarialRun(t, seed, 150, 0) })
		// With a budget of 2 pieces a block, the txs and epoch ends come
		// while the epoch passes are midway.
		t.Run(fmt.Sprint("seed", seed, "/budget=2"), func(t *testing.T) { storageAdversarialRun(t, seed, 150, 2) })
	}
}

// storageAdversarialRun runs the workload with a storage BlockBudget of
// budget (0: the default), not waiting for epoch passes if it is set.
func storageAdversarialRun(t *testing.T, seed uint64, steps, budget int) {
	sw := newStorageWorld(t)
	c := sw.c
	c.app.storage.BlockBudget, sw.hurry = budget, budget > 0
	rng := rand.New(rand.NewPCG(seed, 18))
	supply := bank.Keeper{}.Supply(c.snapshot(), "udpin")
	extremes := []uint64{0, 1, 2, 63, 64, 65, 1 << 20, 1 << 32, 1 << 62, ^uint64(0)}
	val := func(small uint64) uint64 {
		if rng.IntN(4) == 0 {
			return extremes[rng.IntN(len(extremes))]
		}
		return 1 + rng.Uint64N(small)
	}
	accounts := []testKey{sw.dave, sw.owners["node0"], sw.owners["node1"], sw.owners["node2"]}
	names := []string{"node0", "node1", "node2"}
	var deals []uint64
	ok := map[string]int{}
	for step := 0; step < steps; step++ {
		who := accounts[rng.IntN(len(accounts))]
		var m any
		switch rng.IntN(10) {
		case 0, 1, 9: // a deal, mostly well formed, sometimes not at all
			segs := 1 + rng.IntN(3)
			n := 3
			k := 1 + rng.IntN(2)
			size := 1 + rng.Uint64N(500)
			msg := &storagev1.MsgOpenDeal{Owner: who.addr.Bytes(), Network: "vault", FileId: bytes.Repeat([]byte{byte(step)}, 32), Size: val(1000),
				K: uint32(k), N: uint32(n), Segments: uint32(segs), DurationSeconds: val(3000)}
			if rng.IntN(5) == 0 {
				msg.MaxEscrow = val(1000)
			}
			if rng.IntN(5) == 0 {
				msg.K, msg.N = uint32(val(70)), uint32(val(70))
			}
			for s := 0; s < segs; s++ {
				for i := 0; i < n; i++ {
					data := bytes.Repeat([]byte{byte(s*n + i + step)}, int(size))
					node := sw.nodes[names[i]]
					if rng.IntN(8) == 0 {
						node = sw.nodes[names[rng.IntN(3)]]
					}
					p := &storagev1.Piece{Segment: uint32(s), Index: uint32(i), Node: node.Bytes(), Root: api.MerkleRoot(data, 64), Size: size}
					if rng.IntN(10) == 0 {
						p.Size = val(1 << 30)
					}
					msg.Pieces = append(msg.Pieces, p)
					sw.data[[2]uint64{uint64(len(deals) + 1), uint64(s*n + i)}] = data // a guess at the id; wrong guesses make wrong proofs
				}
			}
			m = msg
		case 2: // close any deal, as anyone
			m = &storagev1.MsgCloseDeal{Owner: who.addr.Bytes(), Id: val(uint64(len(deals) + 2))}
		case 3, 4: // proofs: real ones for the signer's node, or garbage, or another's
			var proofs []*storagev1.AuditProof
			chs := sw.challenges()
			node := sw.nodes[names[rng.IntN(3)]] // any node, named by anyone
			mine := len(chs) > 0 && rng.IntN(4) != 0
			if mine {
				// Mostly the owner of one challenged node, proving its pieces.
				node = chs[rng.IntN(len(chs))].Node
				for _, nm := range names {
					if sw.nodes[nm] == node {
						who = sw.owners[nm]
					}
				}
			}
			for _, ch := range chs {
				if mine && ch.Node != node && rng.IntN(20) != 0 { // now and then another node's challenge
					continue
				}
				leaf, path, err := api.MerkleProof(sw.data[[2]uint64{ch.Deal, uint64(ch.Piece)}], 64, ch.Leaf)
				if err != nil || rng.IntN(10) == 0 {
					leaf, path = bytes.Repeat([]byte{1}, int(val(64)%4096)), [][]byte{bytes.Repeat([]byte{2}, rng.IntN(40))}
				}
				proofs = append(proofs, &storagev1.AuditProof{Deal: ch.Deal, Piece: ch.Piece, Leaf: leaf, Path: path})
			}
			if len(proofs) == 0 {
				proofs = append(proofs, &storagev1.AuditProof{Deal: val(5), Piece: uint32(val(10))})
			}
			device := node.Bytes()
			if rng.IntN(20) == 0 {
				device = bytes.Repeat([]byte{byte(step)}, rng.IntN(25))
			}
			m = &storagev1.MsgSubmitAudits{Submitter: who.addr.Bytes(), Device: device, Proofs: proofs}
		case 5: // repairs of any piece onto any node
			m = &storagev1.MsgRepairDeal{Repairer: who.addr.Bytes(), Deal: val(uint64(len(deals) + 2)),
				Repairs: []*storagev1.PieceRepair{{Piece: uint32(val(10)), Node: sw.nodes[names[rng.IntN(3)]].Bytes()}}}
		case 6: // endpoints: junk and good
			url := []string{"http://127.0.0.1:1", "", "ftp://x", "http://" + string(bytes.Repeat([]byte{'a'}, 300)), "http://[::1]:9"}[rng.IntN(5)]
			m = &storagev1.MsgSetEndpoint{Owner: who.addr.Bytes(), Device: sw.nodes[names[rng.IntN(3)]].Bytes(), Url: url}
		case 7: // the owner changes or removes the storage params while deals are escrowed
			p := vaultParams()
			switch rng.IntN(4) {
			case 0:
				p.Storage = nil
			case 1:
				p.Storage.PricePerGibMonth = 1 << 50
				p.Storage.LeafSize = 1 << 20
			case 2:
				p.Storage.ChallengesPerNode, p.Storage.RepairFee = 64, ^uint64(0)
			}
			c.block(c.tx(sw.owner, &txv1.Msg{Sum: &txv1.Msg_UpdateNetworkParams{UpdateNetworkParams: &networkv1.MsgUpdateNetworkParams{
				Owner: sw.owner.addr.Bytes(), Network: "vault", Params: p}}}))
			continue
		case 8: // time passes: an epoch or several
			if (storage.Keeper{}).Pass(c.snapshot(), "vault") != nil {
				ok["epoch ends while a pass runs"]++
			}
			sw.nextEpoch()
			if rng.IntN(3) == 0 {
				c.time = c.time.Add(time.Duration(rng.IntN(400)) * time.Second)
			}
			continue
		}
		r := c.result(who, msgOf(m))
		name := fmt.Sprintf("%T", m)
		if r.Code == 0 {
			ok[name]++
			if d, isDeal := m.(*storagev1.MsgOpenDeal); isDeal && d != nil {
				deals = append(deals, uint64(len(deals)+1))
			}
		} else if r.Codespace == "" || r.Code == 1 {
			t.Fatalf("step %d: %s failed with an internal error: %s", step, name, r.Log)
		}
		if n := (network.Keeper{}).Network(c.snapshot(), "vault"); n.Frozen {
			t.Fatalf("step %d: the vault froze: %s", step, n.FrozenReason)
		}
		if got := (bank.Keeper{}).Supply(c.snapshot(), "udpin"); got != supply {
			t.Fatalf("step %d: udpin supply %d, want %d", step, got, supply)
		}
	}
	t.Logf("succeeded %v", ok)
}

// TestStorageRepairWholeSegment: one MsgRepairDeal may restore every lost
// piece of a segment: the threshold is judged on the live pieces before
// the message, not after its earlier repairs.
func TestStorageRepairWholeSegment(t *testing.T) {
	sw := newStorageWorld(t)
	c := sw.c
	m := &storagev1.MsgOpenDeal{Owner: sw.dave.addr.Bytes(), Network: "vault", FileId: bytes.Repeat([]byte{5}, 32), Size: 100,
		K: 1, N: 3, Segments: 1, DurationSeconds: 6000, RepairThreshold: 1}
	for i := 0; i < 3; i++ {
		data := bytes.Repeat([]byte{byte(i + 1)}, 100)
		node := sw.nodes[fmt.Sprintf("node%d", i)]
		m.Pieces = append(m.Pieces, &storagev1.Piece{Segment: 0, Index: uint32(i), Node: node.Bytes(), Root: api.MerkleRoot(data, 64), Size: 100})
		sw.data[[2]uint64{1, uint64(i)}] = data
	}
	if r := c.result(sw.dave, msgOf(m)); r.Code != 0 {
		t.Fatal(r.Log)
	}
	sw.nextEpoch()
	for i := 0; i < 8 && !(storage.Keeper{}).Stats(c.snapshot(), sw.nodes["node2"]).Disqualified; i++ {
		sw.answer("node0") // node1 and node2 never answer
		sw.nextEpoch()
	}
	if d := (storage.Keeper{}).Deal(c.snapshot(), 1); !d.Pieces[1].Lost || !d.Pieces[2].Lost {
		t.Fatalf("pieces not lost: %v", d.Pieces)
	}
	var fresh []crypto.DeviceID
	for i, name := range []string{"node3", "node4"} {
		k := newTestKey(fmt.Sprint("spare", i))
		c.mustBlock(c.tx(sw.owner, &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: sw.owner.addr.Bytes(), To: k.addr.Bytes(), Amount: bank.Coins("udpin", 1_000_000_000)}}}))
		c.mustBlock(c.tx(k, registerMsg(k.addr, sw.certFor("vault", name, 1), name, sw.cell)))
		id := deviceID(name)
		c.mustBlock(c.tx(k, msgOf(&storagev1.MsgSetEndpoint{Owner: k.addr.Bytes(), Device: id.Bytes(), Url: "http://127.0.0.1:7800"})))
		fresh = append(fresh, id)
	}
	r := c.result(sw.dave, msgOf(&storagev1.MsgRepairDeal{Repairer: sw.dave.addr.Bytes(), Deal: 1, Repairs: []*storagev1.PieceRepair{
		{Piece: 1, Node: fresh[0].Bytes()}, {Piece: 2, Node: fresh[1].Bytes()}}}))
	if r.Code != 0 {
		t.Fatalf("repairing the whole segment: %s", r.Log)
	}
	for _, p := range (storage.Keeper{}).Deal(c.snapshot(), 1).Pieces {
		if p.Lost {
			t.Fatalf("piece %d still lost", p.Index)
		}
	}
}
