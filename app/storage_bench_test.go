package app

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"syscall"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/proto"

	api "github.com/depinhq/depin/api/storage"
	"github.com/depinhq/depin/crypto"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	storagev1 "github.com/depinhq/depin/gen/depin/storage/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/auth"
	"github.com/depinhq/depin/x/bank"
	"github.com/depinhq/depin/x/network"
	"github.com/depinhq/depin/x/storage"
)

// BenchmarkStorageAudits measures a storage network's audits on chain at
// issue 18's scale, on the on-disk tree: 1,600 nodes (4 owners × 400)
// hold 100 deals of 256 segments × 4 pieces (k=2, n=4; 1 KiB pieces, 64-byte
// leaves), 64 pieces each, and are challenged on all 64 every epoch:
// 102,400 audited pieces per epoch. It reports
//
//   - the blocks that carry the 102,400 proofs (a node's 64 in one
//     MsgSubmitAudits, 64 messages a tx, two txs per owner a block):
//     proofs verified per second in FinalizeBlock, and with the commit;
//   - the first epoch end (nothing to judge: pay every deal, draw every
//     node's challenges) and the second (judge 102,400 passed challenges,
//     pay, draw): blocks until its work is done, the epoch end's block
//     and the slowest of the others (wall time with the commit, and the
//     process's CPU time: on a shared machine it moves less), the whole
//     epoch end.
//
// Invariants are not checked after each block here (the tests do).
//
//	go test ./app -run '^$' -bench StorageAudits -benchtime 1x
func BenchmarkStorageAudits(b *testing.B) {
	const owners, perOwner, deals, segments, n = 4, 400, 100, 256, 4
	for range b.N {
		b.StopTimer()
		sb := newStorageBench(b, owners, perOwner, benchVaultParams())
		sb.openDeals(b, deals, segments, 2, n)
		first := sb.endEpoch(b)
		proofs, fin, all, blocks := sb.prove(b)
		second := sb.endEpoch(b)
		if proofs != owners*perOwner*64 {
			b.Fatalf("%d proofs, want %d", proofs, owners*perOwner*64)
		}
		if st := (storage.Keeper{}).Stats(sb.c.snapshot(), sb.nodes[0][0]); st.AuditsPassed != 64 || st.Earned == 0 {
			b.Fatalf("node 0 after the epoch: %v", st)
		}
		b.ReportMetric(float64(proofs)/fin.Seconds(), "proofs/s-finalize")
		b.ReportMetric(float64(proofs)/all.Seconds(), "proofs/s-committed")
		b.ReportMetric(float64(proofs)/sb.proveCPU.Seconds(), "proofs/cpu-s")
		b.ReportMetric(float64(blocks), "proof-blocks")
		first.report(b, "end1")
		second.report(b, "end2")
		sb.close()
	}
}

// BenchmarkStorageManyDeals measures the epoch ends of a storage network
// that many small deals fill: 50,000 deals of one segment × 8 pieces
// (k=4, n=8) on 400 nodes (8 owners × 50), 1,000 pieces a node. The
// first epoch end pays every deal (400,000 payments) and draws 64
// challenges of each node from its 1,000 pieces; nobody answers, so the
// second disqualifies every node (its pieces lost in every deal).
//
//	go test ./app -run '^$' -bench StorageManyDeals -benchtime 1x
func BenchmarkStorageManyDeals(b *testing.B) {
	const owners, perOwner, deals, n = 8, 50, 50_000, 8
	for range b.N {
		b.StopTimer()
		sb := newStorageBench(b, owners, perOwner, benchVaultParams())
		sb.openDeals(b, deals, 1, 4, n)
		first := sb.endEpoch(b)
		second := sb.endEpoch(b)
		if st := (storage.Keeper{}).Stats(sb.c.snapshot(), sb.nodes[0][0]); !st.Disqualified || st.Earned == 0 {
			b.Fatalf("node 0 after two epochs: %v", st)
		}
		first.report(b, "end1")
		second.report(b, "end2")
		sb.close()
	}
}

// benchVaultParams: the tests' vault with hour-long epochs (the setup
// fits in one), 64 audits per node and epoch, 1 udpin per byte-month, no
// repair fee.
func benchVaultParams() *networkv1.Params {
	p := vaultParams()
	p.EpochSeconds = 3600
	p.Storage.ChallengesPerNode, p.Storage.PricePerGibMonth, p.Storage.RepairFee = 64, api.GiB, 0
	return p
}

// storageBench is a storage network "vault" on the on-disk tree: owners
// each own perOwner nodes; a payer opens deals. Every piece holds the
// same 1 KiB, so one proof per leaf answers every challenge.
type storageBench struct {
	*world
	tree   *store.Tree
	owners []testKey
	nodes  [][]crypto.DeviceID // nodes[o]: owner o's
	payer  testKey
	n      int                     // pieces per segment: piece i is owner i % n's
	proofs []*storagev1.AuditProof // by leaf (deal and piece unset)
	// lastCPU is the CPU time of the last timedBlock, proveCPU of the
	// proof blocks.
	lastCPU, proveCPU time.Duration
}

const benchPieceSize = 1024

func newStorageBench(b *testing.B, owners, perOwner int, params *networkv1.Params) *storageBench {
	t := &testing.T{}
	// As many tree nodes in memory as a node keeps by default
	// (node.AppConfig.StateCacheNodes).
	tree, err := store.OpenTree(b.TempDir(), "state", store.TreeOptions{CacheSize: 3_000_000})
	if err != nil {
		b.Fatal(err)
	}
	w := newWorldOn(t, tree)
	c := w.c
	c.app.AfterCommit = nil // the books are the tests' to check; here they would time a walk of the whole state
	alice := w.owner
	c.mustBlock(c.tx(alice, &txv1.Msg{Sum: &txv1.Msg_CreateNetwork{CreateNetwork: &networkv1.MsgCreateNetwork{
		Owner: alice.addr.Bytes(), Id: "vault", Name: "Vault", Class: networkv1.ResourceClass_RESOURCE_CLASS_STORAGE, RewardDenom: "uvault", Params: params}}}))
	c.mustBlock(c.tx(alice, &txv1.Msg{Sum: &txv1.Msg_ApproveMaker{ApproveMaker: &networkv1.MsgApproveMaker{
		Owner: alice.addr.Bytes(), Network: "vault", MakerPublicKey: w.maker.priv.Public().(ed25519.PublicKey), Name: "ACME"}}}))
	sb := &storageBench{world: w, tree: tree, payer: newTestKey("payer"), nodes: make([][]crypto.DeviceID, owners)}
	funds := []*txv1.Msg{{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: alice.addr.Bytes(), To: sb.payer.addr.Bytes(), Amount: bank.Coins("udpin", 200_000_000_000)}}}}
	for o := range owners {
		k := newTestKey(fmt.Sprintf("bench-owner-%d", o))
		sb.owners = append(sb.owners, k)
		funds = append(funds, &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: alice.addr.Bytes(), To: k.addr.Bytes(),
			Amount: bank.Coins("udpin", uint64(perOwner)*20_000_000+10_000_000_000)}}})
	}
	c.mustBlock(c.tx(alice, funds...))
	// Registrations, then endpoints: 60 a tx, one tx per owner a block.
	for _, endpoints := range []bool{false, true} {
		for lo := 0; lo < perOwner; lo += 60 {
			var txs [][]byte
			for o, k := range sb.owners {
				var msgs []*txv1.Msg
				for i := lo; i < min(lo+60, perOwner); i++ {
					name := fmt.Sprintf("sn-%d-%d", o, i)
					if !endpoints {
						msgs = append(msgs, registerMsg(k.addr, w.certFor("vault", name, 1), name, w.cell))
						sb.nodes[o] = append(sb.nodes[o], deviceID(name))
						continue
					}
					id := deviceID(name)
					msgs = append(msgs, msgOf(&storagev1.MsgSetEndpoint{Owner: k.addr.Bytes(), Device: id[:], Url: fmt.Sprintf("http://10.0.%d.%d:7700", o, i%250)}))
				}
				txs = append(txs, c.tx(k, msgs...))
			}
			for _, r := range c.block(txs...) {
				if r.Code != 0 {
					b.Fatalf("nodes: %s", r.Log)
				}
			}
		}
	}
	data := bytes.Repeat([]byte("depin storage benchmark piece.\n"), benchPieceSize/31+1)[:benchPieceSize]
	leafSize := params.Storage.LeafSize
	for l := range api.Leaves(benchPieceSize, leafSize) {
		leaf, path, err := api.MerkleProof(data, leafSize, l)
		if err != nil {
			b.Fatal(err)
		}
		sb.proofs = append(sb.proofs, &storagev1.AuditProof{Leaf: leaf, Path: path})
	}
	return sb
}

// signedAt is a tx of k's with sequence seq (for several txs of one
// signer in a block).
func signedAt(b *testing.B, k testKey, seq uint64, msgs ...*txv1.Msg) []byte {
	body := &txv1.TxBody{Messages: msgs, Signer: &txv1.SignerInfo{PublicKey: k.priv.Public().(ed25519.PublicKey), Sequence: seq}, Fee: bank.Coin(bank.NativeDenom, txFee)}
	raw, err := auth.SignTx(k.priv, testChain, body)
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

// openDeals opens count deals of segments × n pieces (k of n), piece j
// of a segment on a node of owner j, the nodes of an owner taken round
// robin: up to 64 or 2 MB a tx, up to 3 MB of txs a block.
func (sb *storageBench) openDeals(b *testing.B, count, segments, k, n int) {
	c := sb.c
	sb.n = n
	root := api.MerkleRoot(bytes.Repeat([]byte("depin storage benchmark piece.\n"), benchPieceSize/31+1)[:benchPieceSize], benchVaultParams().Storage.LeafSize)
	next := 0 // the next piece of every owner's round robin
	seq := c.seq(sb.payer.addr)
	var txs [][]byte
	var msgs []*txv1.Msg
	size, msgBytes := 0, 0
	flush := func(force bool) {
		if len(msgs) > 0 && (force || len(msgs) == 64 || msgBytes > 2<<20) {
			tx := signedAt(b, sb.payer, seq, msgs...)
			seq++
			txs, msgs, msgBytes = append(txs, tx), nil, 0
			size += len(tx)
		}
		if len(txs) > 0 && (force || size > 3<<20) {
			for _, r := range c.block(txs...) {
				if r.Code != 0 {
					b.Fatalf("open deal: %s", r.Log)
				}
			}
			txs, size = nil, 0
		}
	}
	for d := range count {
		m := &storagev1.MsgOpenDeal{Owner: sb.payer.addr.Bytes(), Network: "vault", FileId: sha256Of(d), Size: uint64(segments * k * benchPieceSize),
			K: uint32(k), N: uint32(n), Segments: uint32(segments), DurationSeconds: api.MonthSecs}
		for s := range segments {
			for j := range n {
				node := sb.nodes[j][next%len(sb.nodes[j])]
				m.Pieces = append(m.Pieces, &storagev1.Piece{Segment: uint32(s), Index: uint32(j), Node: node.Bytes(), Root: root, Size: benchPieceSize})
			}
			next++
		}
		msgs = append(msgs, msgOf(m))
		msgBytes += proto.Size(m)
		flush(false)
	}
	flush(true)
}

func sha256Of(i int) []byte {
	h := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(i)))
	return h[:]
}

// blockTimes is what an epoch end cost: its first block (the epoch end:
// judging, and the pass as far as the budget goes) and the others (the
// rest of the pass). Times are of FinalizeBlock + Commit + the save.
type blockTimes struct {
	blocks            int
	first, total      time.Duration
	slowestPass       time.Duration // the slowest block after the first
	cpuFirst, cpuPass time.Duration // the process's CPU time in them (the slowest of the others)
}

func (bt blockTimes) report(b *testing.B, name string) {
	b.ReportMetric(float64(bt.blocks), name+"-blocks")
	b.ReportMetric(bt.first.Seconds()*1000, name+"-first-block-ms")
	b.ReportMetric(bt.slowestPass.Seconds()*1000, name+"-slowest-other-block-ms")
	b.ReportMetric(bt.cpuFirst.Seconds()*1000, name+"-first-block-cpu-ms")
	b.ReportMetric(bt.cpuPass.Seconds()*1000, name+"-slowest-other-block-cpu-ms")
	b.ReportMetric(bt.total.Seconds()*1000, name+"-total-ms")
}

// cpuTime is the CPU time the process has used (every thread: on a
// machine shared with other work it moves less than the wall clock).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// timedBlock runs one block of txs like testChainApp.block, and times
// FinalizeBlock and all of it (with Commit and the background save).
func (sb *storageBench) timedBlock(b *testing.B, txs ...[]byte) (finalize, all time.Duration, res *abci.FinalizeBlockResponse) {
	c := sb.c
	c.height++
	c.time = c.time.Add(time.Second)
	hash := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("block"), uint64(c.height)))
	cpu := cpuTime()
	defer func() { sb.lastCPU = cpuTime() - cpu }()
	start := time.Now()
	res, err := c.app.FinalizeBlock(context.Background(), &abci.FinalizeBlockRequest{Height: c.height, Time: c.time, Txs: txs, Hash: hash[:]})
	if err != nil {
		b.Fatal(err)
	}
	finalize = time.Since(start)
	if _, err := c.app.Commit(context.Background(), &abci.CommitRequest{}); err != nil {
		b.Fatal(err)
	}
	if err := c.app.WaitCommitted(); err != nil {
		b.Fatal(err)
	}
	return finalize, time.Since(start), res
}

// endEpoch moves to the start of the vault's next epoch and runs blocks
// until the epoch end's work is done, timing them.
func (sb *storageBench) endEpoch(b *testing.B) blockTimes {
	c := sb.c
	n := network.Keeper{}.Network(c.snapshot(), "vault")
	c.time = time.Unix(network.EpochStart(n, network.EpochAt(n, c.time.Unix())+1), 0).UTC().Add(-time.Second)
	var bt blockTimes
	b.StartTimer()
	for {
		_, all, res := sb.timedBlock(b)
		if bt.blocks == 0 {
			bt.first, bt.cpuFirst = all, sb.lastCPU
		} else {
			bt.slowestPass, bt.cpuPass = max(bt.slowestPass, all), max(bt.cpuPass, sb.lastCPU)
		}
		bt.blocks++
		bt.total += all
		for _, ev := range res.Events {
			if ev.Type == "depin.network.v1.EventNetworkFrozen" {
				b.Fatalf("a network froze: %v", ev)
			}
		}
		if !storagePassRunning(c.snapshot(), "vault") {
			break
		}
	}
	b.StopTimer()
	return bt
}

// storagePassRunning reports whether a storage network's epoch-end work
// is still running.
func storagePassRunning(r store.Reader, net string) bool {
	return (storage.Keeper{}).Pass(r, net) != nil
}

// prove answers every challenge of the epoch: each node's in one
// MsgSubmitAudits (as a storage node sends them), an owner's nodes 64
// messages (the most a tx may hold: 4,096 proofs, ~1 MB) a tx, a block
// holding two txs of every owner.
// It returns the proofs and the time in FinalizeBlock and in all.
func (sb *storageBench) prove(b *testing.B) (proofs int, finalize, all time.Duration, blocks int) {
	c := sb.c
	byOwner := make([][]*storagev1.MsgSubmitAudits, len(sb.owners))
	for _, nc := range state.Records[storagev1.NodeChallenges](c.snapshot(), api.NetworkChallengesPrefix("vault")) {
		o := int(nc.Challenges[0].Piece) % sb.n
		m := &storagev1.MsgSubmitAudits{Submitter: sb.owners[o].addr.Bytes(), Device: nc.Node}
		for _, ch := range nc.Challenges {
			p := sb.proofs[ch.Leaf]
			m.Proofs = append(m.Proofs, &storagev1.AuditProof{Deal: ch.Deal, Piece: ch.Piece, Leaf: p.Leaf, Path: p.Path})
		}
		byOwner[o] = append(byOwner[o], m)
		proofs += len(m.Proofs)
	}
	txsOf := make([][][]byte, len(sb.owners))
	for o, k := range sb.owners {
		seq := c.seq(k.addr)
		var msgs []*txv1.Msg
		for i, m := range byOwner[o] {
			msgs = append(msgs, msgOf(m))
			if len(msgs) == 64 || i == len(byOwner[o])-1 {
				txsOf[o] = append(txsOf[o], signedAt(b, k, seq, msgs...))
				seq++
				msgs = nil
			}
		}
	}
	for i := 0; ; i += 2 {
		var txs [][]byte
		for o := range txsOf {
			txs = append(txs, txsOf[o][min(i, len(txsOf[o])):min(i+2, len(txsOf[o]))]...)
		}
		if len(txs) == 0 {
			break
		}
		b.StartTimer()
		fin, a, res := sb.timedBlock(b, txs...)
		b.StopTimer()
		finalize += fin
		all += a
		sb.proveCPU += sb.lastCPU
		blocks++
		for _, r := range res.TxResults {
			if r.Code != 0 {
				b.Fatalf("proofs: %s", r.Log)
			}
		}
	}
	return proofs, finalize, all, blocks
}

func (sb *storageBench) close() {
	_ = sb.c.app.WaitCommitted()
	_ = sb.tree.Close()
}
