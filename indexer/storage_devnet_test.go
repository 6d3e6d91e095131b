package indexer

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	uh3 "github.com/uber/h3-go/v4"
	"google.golang.org/protobuf/proto"

	apidevice "github.com/depinhq/depin/api/device"
	"github.com/depinhq/depin/api/network"
	api "github.com/depinhq/depin/api/storage"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	storagev1 "github.com/depinhq/depin/gen/depin/storage/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/keystore"
	"github.com/depinhq/depin/node"
)

// StorageDevnet is a devnet with a storage market formed through the
// chain: network "vault" (STORAGE, 10-s epochs, 64-byte leaves, two
// audits per node and epoch) with four nodes in four cities, owned by
// alice, bob, carol and eve, each announcing an endpoint; dave stores a
// file of two segments, k=2 of n=3, on nodes 0–2.
type StorageDevnet struct {
	t      testing.TB
	C      *client.Client
	Keys   map[string]*keystore.Key
	Nodes  []crypto.DeviceID
	owners []*keystore.Key // node i's owner
	data   map[[2]uint64][]byte
	Deal   uint64
}

// storageNetworkParams are vault's params.
func storageNetworkParams() *networkv1.Params {
	sp := api.DefaultParams()
	sp.LeafSize, sp.ChallengesPerNode, sp.PricePerGibMonth, sp.RepairFee = 64, 2, 1<<40, 50
	return &networkv1.Params{
		Metrics:      []*networkv1.Metric{{Id: 1, Name: "stored", Unit: "GBh", BoundNum: 1, BoundDen: 3600, Weight: 1}},
		EpochSeconds: network.MinEpochSeconds, ReportWindowSeconds: 3600, MaxClockSkewSeconds: 30,
		MinStake: 1_000_000, UnbondingSeconds: 3600, MinMoveIntervalSeconds: 3600, Storage: sp,
	}
}

func NewStorageDevnet(t testing.TB, c *client.Client, home string) *StorageDevnet {
	t.Helper()
	ctx := context.Background()
	ks := keystore.Open(node.KeysDir(home))
	sd := &StorageDevnet{t: t, C: c, Keys: map[string]*keystore.Key{}, data: map[[2]uint64][]byte{}}
	for _, name := range []string{"alice", "bob", "carol", "dave", "eve"} {
		k, err := ks.Load(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		sd.Keys[name] = k
	}
	chainID, err := c.ChainID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	alice := sd.Keys["alice"]
	makerSeed := sha256.Sum256([]byte("vault maker"))
	maker := ed25519.NewKeyFromSeed(makerSeed[:])
	sd.send(alice, &txv1.Msg{Sum: &txv1.Msg_CreateNetwork{CreateNetwork: &networkv1.MsgCreateNetwork{
		Owner: alice.Address.Bytes(), Id: "vault", Name: "Vault", Class: networkv1.ResourceClass_RESOURCE_CLASS_STORAGE, RewardDenom: "uvault",
		Params: storageNetworkParams()}}},
		&txv1.Msg{Sum: &txv1.Msg_ApproveMaker{ApproveMaker: &networkv1.MsgApproveMaker{
			Owner: alice.Address.Bytes(), Network: "vault", MakerPublicKey: maker.Public().(ed25519.PublicKey), Name: "ACME"}}})
	cities := []uh3.LatLng{{Lat: 52.52, Lng: 13.405}, {Lat: 48.8566, Lng: 2.3522}, {Lat: 40.4168, Lng: -3.7038}, {Lat: 41.9028, Lng: 12.4964}}
	for i, owner := range []string{"alice", "bob", "carol", "eve"} {
		k := sd.Keys[owner]
		seed := sha256.Sum256([]byte(fmt.Sprint("vault node ", i)))
		dev := ed25519.NewKeyFromSeed(seed[:])
		cert, err := apidevice.SignCert(maker, chainID, &devicev1.DeviceCert{Network: "vault", DevicePublicKey: dev.Public().(ed25519.PublicKey),
			Model: "Vault 1", Serial: fmt.Sprint("v", i), Capacity: 1, MakerPublicKey: maker.Public().(ed25519.PublicKey)})
		if err != nil {
			t.Fatal(err)
		}
		id := crypto.AddressFromPubKey(dev.Public().(ed25519.PublicKey))
		sd.send(k, client.RegisterDeviceMsg(chainID, k.Address, cert, dev, uint64(uh3.LatLngToCell(cities[i], 10))))
		sd.send(k, &txv1.Msg{Sum: &txv1.Msg_SetEndpoint{SetEndpoint: &storagev1.MsgSetEndpoint{Owner: k.Address.Bytes(), Device: id[:],
			Url: fmt.Sprintf("http://127.0.0.1:%d", 7700+i)}}})
		sd.Nodes, sd.owners = append(sd.Nodes, id), append(sd.owners, k)
	}
	// Dave's file: 2 segments × 3 pieces of 300 bytes, piece i of each
	// segment on node i.
	rng := rand.New(rand.NewPCG(1, 2))
	m := &storagev1.MsgOpenDeal{Owner: sd.Keys["dave"].Address.Bytes(), Network: "vault", FileId: bytes.Repeat([]byte{7}, 32), Size: 1200,
		K: 2, N: 3, Segments: 2, DurationSeconds: 600}
	var datas [][]byte
	for s := 0; s < 2; s++ {
		for i := 0; i < 3; i++ {
			data := make([]byte, 300)
			for j := range data {
				data[j] = byte(rng.Uint32())
			}
			m.Pieces = append(m.Pieces, &storagev1.Piece{Segment: uint32(s), Index: uint32(i), Node: sd.Nodes[i][:], Root: api.MerkleRoot(data, 64), Size: 300})
			datas = append(datas, data)
		}
	}
	sd.send(sd.Keys["dave"], &txv1.Msg{Sum: &txv1.Msg_OpenDeal{OpenDeal: m}})
	sd.Deal = 1
	var d storagev1.Deal
	if ok, err := c.GetProto(ctx, api.DealKey(sd.Deal), &d); err != nil || !ok {
		t.Fatalf("deal 1 on chain: %v %v", ok, err)
	}
	for i, data := range datas {
		sd.data[[2]uint64{sd.Deal, uint64(i)}] = data
	}
	return sd
}

func (sd *StorageDevnet) send(k *keystore.Key, msgs ...*txv1.Msg) {
	sd.t.Helper()
	if _, err := sd.C.SendTx(context.Background(), k.Private, msgs, client.TxOptions{}); err != nil {
		sd.t.Fatalf("%T: %v", msgs[0].Sum, err)
	}
}

// epoch is vault's current epoch.
func (sd *StorageDevnet) epoch() uint64 {
	e, _, err := sd.C.NetworkEpoch(context.Background(), "vault", client.QueryOptions{})
	if err != nil {
		sd.t.Fatal(err)
	}
	return e
}

// nextEpoch waits until vault's epoch is after e and returns it.
func (sd *StorageDevnet) nextEpoch(e uint64) uint64 {
	sd.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if cur := sd.epoch(); cur > e {
			return cur
		}
		if time.Now().After(deadline) {
			sd.t.Fatalf("vault's epoch stays at %d", e)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// answer has node i's owner prove its pieces challenged in the current epoch.
func (sd *StorageDevnet) answer(i int) {
	sd.t.Helper()
	ctx := context.Background()
	var d storagev1.Deal
	if _, err := sd.C.GetProto(ctx, api.DealKey(sd.Deal), &d); err != nil {
		sd.t.Fatal(err)
	}
	cur := sd.epoch()
	var nc storagev1.NodeChallenges
	ok, err := sd.C.GetProto(ctx, api.ChallengesKey("vault", sd.Nodes[i]), &nc)
	if err != nil {
		sd.t.Fatal(err)
	}
	var proofs []*storagev1.AuditProof
	for _, ch := range nc.Challenges {
		if !ok || nc.Epoch != cur || ch.Passed || ch.Deal != sd.Deal || int(ch.Piece) >= len(d.Pieces) {
			continue
		}
		if piece := d.Pieces[ch.Piece]; piece.Lost || !bytes.Equal(piece.Node, sd.Nodes[i][:]) {
			continue
		}
		leaf, path, err := api.MerkleProof(sd.data[[2]uint64{sd.Deal, uint64(ch.Piece)}], 64, ch.Leaf)
		if err != nil {
			sd.t.Fatal(err)
		}
		proofs = append(proofs, &storagev1.AuditProof{Deal: sd.Deal, Piece: ch.Piece, Leaf: leaf, Path: path})
	}
	if len(proofs) > 0 {
		k := sd.owners[i]
		sd.send(k, &txv1.Msg{Sum: &txv1.Msg_SubmitAudits{SubmitAudits: &storagev1.MsgSubmitAudits{Submitter: k.Address.Bytes(), Device: sd.Nodes[i].Bytes(), Proofs: proofs}}})
	}
}

func (sd *StorageDevnet) stats(i int) *storagev1.NodeStats {
	var st storagev1.NodeStats
	if _, err := sd.C.GetProto(context.Background(), api.StatsKey(sd.Nodes[i]), &st); err != nil {
		sd.t.Fatal(err)
	}
	return &st
}

// RunScenario: nodes 0 and 1 prove every challenge, node 2 none, until
// node 2 is disqualified (two epochs of two misses); then dave repairs
// its two lost pieces onto node 3 and, if close, closes the deal (which
// pays the repairs: their pieces are held but were never audited).
func (sd *StorageDevnet) RunScenario(close bool) {
	sd.t.Helper()
	e := sd.epoch()
	for round := 0; ; round++ {
		if round > 5 {
			sd.t.Fatal("node 2 was not disqualified after 5 epochs of misses")
		}
		e = sd.nextEpoch(e)
		if sd.stats(2).Disqualified {
			break
		}
		sd.answer(0)
		sd.answer(1)
	}
	var d storagev1.Deal
	if _, err := sd.C.GetProto(context.Background(), api.DealKey(sd.Deal), &d); err != nil {
		sd.t.Fatal(err)
	}
	var repairs []*storagev1.PieceRepair
	for p, piece := range d.Pieces {
		if piece.Lost {
			repairs = append(repairs, &storagev1.PieceRepair{Piece: uint32(p), Node: sd.Nodes[3][:]})
		}
	}
	if len(repairs) != 2 {
		sd.t.Fatalf("%d lost pieces, want 2", len(repairs))
	}
	dave := sd.Keys["dave"]
	sd.send(dave, &txv1.Msg{Sum: &txv1.Msg_RepairDeal{RepairDeal: &storagev1.MsgRepairDeal{Repairer: dave.Address.Bytes(), Deal: sd.Deal, Repairs: repairs}}})
	if close {
		sd.send(dave, &txv1.Msg{Sum: &txv1.Msg_CloseDeal{CloseDeal: &storagev1.MsgCloseDeal{Owner: dave.Address.Bytes(), Id: sd.Deal}}})
	}
}

// PostgresDSNOrSkip is postgresDSN, or "" where PostgreSQL is not
// installed (outside CI), so the SQLite half still runs.
func PostgresDSNOrSkip(t *testing.T) (dsn string) {
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 && os.Getenv("CI") != "true" {
		t.Log("PostgreSQL is not installed: SQLite only")
		return ""
	}
	return postgresDSN(t)
}

// StartIndexer runs an indexer on dsn until ctx ends.
func StartIndexer(t *testing.T, ctx context.Context, dsn string, c *client.Client) *Indexer {
	t.Helper()
	db, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	ix := &Indexer{DB: db, Client: c, Poll: 50 * time.Millisecond, Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := ix.Run(ctx); err != nil {
			t.Error(err)
		}
	}()
	t.Cleanup(func() { <-done; db.Close() })
	return ix
}

// CheckStorageIndex compares the index with the chain at the index's
// height, after RunScenario(true).
func CheckStorageIndex(t *testing.T, db *DB, sd *StorageDevnet) {
	ctx := context.Background()
	h, err := db.Height(ctx)
	if err != nil {
		t.Fatal(err)
	}
	at := func(key []byte, m proto.Message) bool {
		t.Helper()
		r, err := sd.C.QueryKey(ctx, key, client.QueryOptions{Height: h})
		if err != nil {
			t.Fatal(err)
		}
		if r.Value == nil {
			return false
		}
		if err := proto.Unmarshal(r.Value, m); err != nil {
			t.Fatal(err)
		}
		return true
	}
	var d storagev1.Deal
	if !at(api.DealKey(sd.Deal), &d) {
		t.Fatal("no deal on chain")
	}
	var status, paid, refunded, escrow, budget, reason string
	var pieces int
	if err := db.QueryRow(`SELECT status, paid, refunded, escrow, repair_budget, close_reason, pieces FROM storage_deals WHERE id = $1`, int64(sd.Deal)).
		Scan(&status, &paid, &refunded, &escrow, &budget, &reason, &pieces); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprint("CLOSED ", d.Paid, " ", d.Refunded, " ", d.Escrow, " ", d.RepairBudget, " ", d.CloseReason, " ", len(d.Pieces)); fmt.Sprint(status, " ", paid, " ", refunded, " ", escrow, " ", budget, " ", reason, " ", pieces) != want ||
		d.Status != storagev1.DealStatus_DEAL_STATUS_CLOSED {
		t.Errorf("deal: index %s %s %s %s %s %s %d, chain %s (%s)", status, paid, refunded, escrow, budget, reason, pieces, want, d.Status)
	}
	for i, p := range d.Pieces {
		var nodeID string
		var lost bool
		if err := db.QueryRow(`SELECT node, lost FROM storage_pieces WHERE deal = $1 AND idx = $2`, int64(sd.Deal), i).Scan(&nodeID, &lost); err != nil {
			t.Fatal(err)
		}
		id, _ := crypto.AddressFromBytes(p.Node)
		if nodeID != crypto.DeviceString(id) || lost != p.Lost {
			t.Errorf("piece %d: index %s lost=%v, chain %s lost=%v", i, nodeID, lost, crypto.DeviceString(id), p.Lost)
		}
	}
	for i, id := range sd.Nodes {
		var st storagev1.NodeStats
		at(api.StatsKey(id), &st)
		var used, npieces, passed, missed int64
		var disq bool
		var earned string
		if err := db.QueryRow(`SELECT used_bytes, pieces, audits_passed, audits_missed, disqualified, earned FROM storage_nodes WHERE device = $1`, crypto.DeviceString(id)).
			Scan(&used, &npieces, &passed, &missed, &disq, &earned); err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		got := fmt.Sprint(used, " ", npieces, " ", passed, " ", missed, " ", disq, " ", earned)
		if want := fmt.Sprint(st.UsedBytes, " ", st.Pieces, " ", st.AuditsPassed, " ", st.AuditsMissed, " ", st.Disqualified, " ", st.Earned); got != want {
			t.Errorf("node %d (used, pieces, passed, missed, disqualified, earned): index %s, chain %s", i, got, want)
		}
	}
	// Node 2 missed its two audits in each of two epochs; nodes 0 and 1
	// passed theirs; the repairs onto node 3 were paid at closing.
	var missedEpochs, passedRows int
	if err := db.QueryRow(`SELECT COUNT(*) FROM storage_audits WHERE device = $1 AND missed = 2 AND passed = 0`, crypto.DeviceString(sd.Nodes[2])).Scan(&missedEpochs); err != nil || missedEpochs < 2 {
		t.Errorf("node 2 missed all its audits in %d epochs (%v), want 2 or more", missedEpochs, err)
	}
	if err := db.QueryRow(`SELECT COUNT(*) FROM storage_audits WHERE device IN ($1, $2) AND passed = 2 AND missed = 0`, crypto.DeviceString(sd.Nodes[0]), crypto.DeviceString(sd.Nodes[1])).
		Scan(&passedRows); err != nil || passedRows < 2 {
		t.Errorf("%d epochs of nodes 0 and 1 passed (%v)", passedRows, err)
	}
	rows, err := db.Query(`SELECT from_node, to_node, status, fee_due, fee_paid FROM storage_repairs ORDER BY piece`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var repairs []string
	for rows.Next() {
		var from, to, status, due, paid string
		if err := rows.Scan(&from, &to, &status, &due, &paid); err != nil {
			t.Fatal(err)
		}
		repairs = append(repairs, fmt.Sprintf("%v %v %s %s %s", from == crypto.DeviceString(sd.Nodes[2]), to == crypto.DeviceString(sd.Nodes[3]), status, due, paid))
	}
	if fmt.Sprint(repairs) != "[true true PAID 50 50 true true PAID 50 50]" {
		t.Errorf("repairs %v", repairs)
	}
}
