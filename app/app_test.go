package app

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/auth"
	"github.com/depinhq/depin/x/bank"
)

const testChain = "depin-test"

type testKey struct {
	priv ed25519.PrivateKey
	addr crypto.Address
}

func newTestKey(name string) testKey {
	seed := sha256.Sum256([]byte(name))
	priv := ed25519.NewKeyFromSeed(seed[:])
	return testKey{priv: priv, addr: crypto.AddressFromPubKey(priv.Public().(ed25519.PublicKey))}
}

// testChainApp is an App over an in-memory tree driven block by block, with
// the bank invariant checked after every commit.
type testChainApp struct {
	t      *testing.T
	app    *App
	height int64
	time   time.Time
	// appHash is what the last FinalizeBlock returned.
	appHash []byte
	// events are the last block's block-level events (not its txs').
	events []abci.Event
	// hashes are the app hashes of every block, in order.
	hashes [][]byte
	// violations are the invariant checks that failed after a commit. The
	// check runs in the app's background save, where a test must not call
	// FailNow: block and the test's cleanup report them.
	violations chan error
	// onBlock, if set, sees every block's block-level events and tx results.
	onBlock func(height int64, events []abci.Event, txs []*abci.ExecTxResult)
}

// checkBooks fails the test if an invariant check failed after a commit.
func (c *testChainApp) checkBooks() {
	c.t.Helper()
	select {
	case err := <-c.violations:
		c.t.Fatal(err)
	default:
	}
}

func newTestChainApp(t *testing.T, balances ...*bankv1.Balance) *testChainApp {
	return newTestChainAppOn(t, store.NewMemTree(), balances...)
}

// newTestChainAppOn is newTestChainApp over the given (empty) tree.
func newTestChainAppOn(t *testing.T, tree *store.Tree, balances ...*bankv1.Balance) *testChainApp {
	t.Helper()
	a, err := New(Config{ChainID: testChain}, tree)
	if err != nil {
		t.Fatal(err)
	}
	violations := make(chan error, 1)
	a.AfterCommit = func(h int64, r store.Reader) {
		if err := CheckInvariants(r); err != nil {
			select {
			case violations <- fmt.Errorf("after block %d: %w", h, err):
			default: // the first one is enough
			}
		}
	}
	js, err := MarshalGenesis(DefaultGenesis(balances...))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := a.InitChain(context.Background(), &abci.InitChainRequest{ChainId: testChain, AppStateBytes: js, InitialHeight: 1, Time: start}); err != nil {
		t.Fatal(err)
	}
	c := &testChainApp{t: t, app: a, time: start, violations: violations}
	t.Cleanup(func() {
		if err := a.WaitCommitted(); err != nil {
			t.Error(err)
		}
		select {
		case err := <-violations:
			t.Error(err)
		default:
		}
	})
	return c
}

// block finalizes and commits one block of txs and returns the results.
func (c *testChainApp) block(txs ...[]byte) []*abci.ExecTxResult {
	c.t.Helper()
	c.checkBooks()
	c.height++
	c.time = c.time.Add(time.Second)
	// A block hash as CometBFT would give (storage audits draw from it).
	hash := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("block"), uint64(c.height)))
	res, err := c.app.FinalizeBlock(context.Background(), &abci.FinalizeBlockRequest{Height: c.height, Time: c.time, Txs: txs, Hash: hash[:]})
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := c.app.Commit(context.Background(), &abci.CommitRequest{}); err != nil {
		c.t.Fatal(err)
	}
	c.appHash = res.AppHash
	c.events = res.Events
	c.hashes = append(c.hashes, res.AppHash)
	if c.onBlock != nil {
		c.onBlock(c.height, res.Events, res.TxResults)
	}
	return res.TxResults
}

// tree is the app's tree once the last committed block is saved.
func (c *testChainApp) tree() *store.Tree {
	c.t.Helper()
	if err := c.app.WaitCommitted(); err != nil {
		c.t.Fatal(err)
	}
	return c.app.tree
}

func (c *testChainApp) balance(addr crypto.Address, denom string) uint64 {
	snap, err := c.tree().Snapshot(c.tree().Version())
	if err != nil {
		c.t.Fatal(err)
	}
	return bank.Keeper{}.Balance(snap, addr, denom)
}

func (c *testChainApp) seq(addr crypto.Address) uint64 {
	if c.tree().Version() == 0 {
		return 0
	}
	snap, _ := c.tree().Snapshot(c.tree().Version())
	if acc := (auth.Keeper{}).Account(snap, addr); acc != nil {
		return acc.Sequence
	}
	return 0
}

func bal(k testKey, coins ...*bankv1.Coin) *bankv1.Balance {
	return &bankv1.Balance{Address: k.addr.String(), Coins: coins}
}

func sendTx(t testing.TB, from testKey, to crypto.Address, seq uint64, fee uint64, chainID string, coins ...*bankv1.Coin) []byte {
	t.Helper()
	body := &txv1.TxBody{
		Messages: []*txv1.Msg{{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: from.addr.Bytes(), To: to.Bytes(), Amount: coins}}}},
		Signer:   &txv1.SignerInfo{PublicKey: from.priv.Public().(ed25519.PublicKey), Sequence: seq},
		Fee:      bank.Coin(bank.NativeDenom, fee),
	}
	raw, err := auth.SignTx(from.priv, chainID, body)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

const fee = 10_000

// txFee is what the report tests pay per tx: enough for a maximal batch.
const txFee = 10_000_000

func TestSendMovesCoinsAndChargesFee(t *testing.T) {
	alice, bob := newTestKey("alice"), newTestKey("bob")
	c := newTestChainApp(t, bal(alice, bank.Coin("udpin", 1_000_000)))
	res := c.block(sendTx(t, alice, bob.addr, 0, fee, testChain, bank.Coin("udpin", 250_000)))
	if res[0].Code != 0 {
		t.Fatalf("send failed: %s", res[0].Log)
	}
	if got := c.balance(bob.addr, "udpin"); got != 250_000 {
		t.Errorf("bob has %d, want 250000", got)
	}
	if got := c.balance(alice.addr, "udpin"); got != 1_000_000-250_000-fee {
		t.Errorf("alice has %d", got)
	}
	if got := c.balance(auth.FeeCollector, "udpin"); got != fee {
		t.Errorf("fee collector has %d", got)
	}
	if c.seq(alice.addr) != 1 {
		t.Errorf("sequence not advanced")
	}
	// Events: the message (its action and sender, indexed), the fee
	// transfer (not indexed) and the send transfer (from and to indexed).
	var types []string
	for _, e := range res[0].Events {
		types = append(types, e.Type)
	}
	if strings.Join(types, " ") != "message depin.bank.v1.EventTransfer depin.bank.v1.EventTransfer" {
		t.Fatalf("events %v", types)
	}
	indexed := func(e abci.Event) (keys []string) {
		for _, a := range e.Attributes {
			if a.Index {
				keys = append(keys, a.Key+"="+a.Value)
			}
		}
		return keys
	}
	ev := res[0].Events
	if got := indexed(ev[0]); len(got) != 2 || got[0] != "action=depin.bank.v1.MsgSend" || got[1] != "sender="+alice.addr.String() {
		t.Errorf("message event indexes %v", got)
	}
	if got := indexed(ev[1]); len(got) != 0 {
		t.Errorf("fee transfer indexes %v", got)
	}
	if got := indexed(ev[2]); len(got) != 2 || got[1] != "to="+bob.addr.String() {
		t.Errorf("send transfer indexes %v", got)
	}
}

func TestRejectedTxsChangeNothingButTheFee(t *testing.T) {
	alice, bob, mallory := newTestKey("alice"), newTestKey("bob"), newTestKey("mallory")
	udpin := func(n uint64) *bankv1.Coin { return bank.Coin("udpin", n) }
	good := sendTx(t, alice, bob.addr, 0, fee, testChain, udpin(1))
	tampered := append([]byte(nil), good...)
	tampered[len(tampered)-1] ^= 1 // flips a signature bit
	mangledBody := sendTx(t, alice, bob.addr, 0, fee, testChain, udpin(2))
	mangledBody[5] ^= 0x40

	cases := []struct {
		name      string
		tx        []byte
		kind      *errs.Error
		chargeFee bool // the ante passed, the message failed
	}{
		{"malformed bytes", []byte{0xff, 0x01, 0x02}, errs.ErrTxDecode, false},
		{"empty", []byte{}, errs.ErrTxDecode, false},
		{"wrong chain id", sendTx(t, alice, bob.addr, 0, fee, "other-chain", udpin(1)), errs.ErrInvalidSignature, false},
		{"bad signature", tampered, errs.ErrInvalidSignature, false},
		{"tampered body", mangledBody, errs.ErrTxDecode, false},
		{"sequence from the future", sendTx(t, alice, bob.addr, 7, fee, testChain, udpin(1)), errs.ErrWrongSequence, false},
		{"fee too low", sendTx(t, alice, bob.addr, 0, 10, testChain, udpin(1)), errs.ErrInsufficientFee, false},
		{"cannot pay fee", sendTx(t, mallory, bob.addr, 0, fee, testChain, udpin(1)), errs.ErrInsufficientFee, false},
		{"insufficient funds", sendTx(t, alice, bob.addr, 0, fee, testChain, udpin(5_000_000)), bank.ErrInsufficientFunds, true},
		{"zero amount", sendTx(t, alice, bob.addr, 0, fee, testChain, udpin(0)), bank.ErrInvalidAmount, true},
		{"overflowing amount", sendTx(t, alice, bob.addr, 0, fee, testChain, udpin(math.MaxUint64)), bank.ErrInsufficientFunds, true},
		{"unknown denom", sendTx(t, alice, bob.addr, 0, fee, testChain, bank.Coin("ufake", 1)), bank.ErrUnknownDenom, true},
		{"bad denom", sendTx(t, alice, bob.addr, 0, fee, testChain, bank.Coin("A!", 1)), bank.ErrInvalidDenom, true},
		{"duplicate denoms", sendTx(t, alice, bob.addr, 0, fee, testChain, udpin(1), udpin(1)), bank.ErrInvalidAmount, true},
		{"send to self", sendTx(t, alice, alice.addr, 0, fee, testChain, udpin(1)), bank.ErrSelfSend, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestChainApp(t, bal(alice, udpin(1_000_000)))
			c.block()
			before, _ := c.tree().Snapshot(c.tree().Version())
			chk, _ := c.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: tc.tx})
			if chk.Code == 0 {
				t.Fatalf("CheckTx accepted it")
			}
			res := c.block(tc.tx)[0]
			if res.Code != tc.kind.Code || res.Codespace != tc.kind.Codespace {
				t.Fatalf("got %s/%d %q, want %s/%d (%s)", res.Codespace, res.Code, res.Log, tc.kind.Codespace, tc.kind.Code, tc.kind.Desc)
			}
			if res.Log == "" {
				t.Errorf("no log")
			}
			wantAlice := uint64(1_000_000)
			if tc.chargeFee {
				wantAlice -= fee
				if c.seq(alice.addr) != 1 {
					t.Errorf("failed message must still advance the sequence")
				}
			} else {
				// Nothing changed at all but the recorded block time.
				after, _ := c.tree().Snapshot(c.tree().Version())
				if diff := stateDiff(before, after); diff != "" {
					t.Errorf("state changed: %s", diff)
				}
			}
			if got := c.balance(alice.addr, "udpin"); got != wantAlice {
				t.Errorf("alice has %d, want %d", got, wantAlice)
			}
			if got := c.balance(bob.addr, "udpin"); got != 0 {
				t.Errorf("bob has %d", got)
			}
		})
	}
}

func TestReplayIsRejected(t *testing.T) {
	alice, bob := newTestKey("alice"), newTestKey("bob")
	c := newTestChainApp(t, bal(alice, bank.Coin("udpin", 1_000_000)))
	tx := sendTx(t, alice, bob.addr, 0, fee, testChain, bank.Coin("udpin", 5))
	res := c.block(tx, tx) // the same tx twice in one block
	if res[0].Code != 0 || res[1].Code != errs.ErrWrongSequence.Code {
		t.Fatalf("codes %d %d", res[0].Code, res[1].Code)
	}
	res = c.block(tx) // and again later
	if res[0].Code != errs.ErrWrongSequence.Code {
		t.Fatalf("replay accepted: %d", res[0].Code)
	}
	if got := c.balance(bob.addr, "udpin"); got != 5 {
		t.Fatalf("bob has %d", got)
	}
}

func TestAppHashIsDeterministic(t *testing.T) {
	alice, bob := newTestKey("alice"), newTestKey("bob")
	var hashes [2][]byte
	for i := range hashes {
		c := newTestChainApp(t, bal(alice, bank.Coin("udpin", 1_000_000)), bal(bob, bank.Coin("udpin", 7)))
		for s := uint64(0); s < 5; s++ {
			c.block(sendTx(t, alice, bob.addr, s, fee, testChain, bank.Coin("udpin", 100+s)))
		}
		hashes[i] = c.tree().Hash()
	}
	if string(hashes[0]) != string(hashes[1]) {
		t.Fatal("same blocks, different app hashes")
	}
}

// TestCommitSavesInBackground: Commit returns while the block is still
// being saved; meanwhile CheckTx already judges against the committed
// block, and a query waits for the save and answers for the new height.
func TestCommitSavesInBackground(t *testing.T) {
	alice, bob := newTestKey("alice"), newTestKey("bob")
	c := newTestChainApp(t, bal(alice, bank.Coin("udpin", 1_000_000)))
	c.block()
	release := make(chan struct{})
	var saved atomic.Int64
	c.app.AfterCommit = func(h int64, _ store.Reader) {
		<-release
		saved.Store(h)
	}
	c.block(sendTx(t, alice, bob.addr, 0, fee, testChain, bank.Coin("udpin", 500)))
	if saved.Load() != 0 {
		t.Fatal("Commit waited for the save")
	}
	// CheckTx sees seq 1 and alice's new balance while the save runs.
	if r, _ := c.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: sendTx(t, alice, bob.addr, 0, fee, testChain, bank.Coin("udpin", 1))}); r.Code != errs.ErrWrongSequence.Code {
		t.Fatalf("replayed seq 0: code %d %s, want wrong sequence", r.Code, r.Log)
	}
	if r, _ := c.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: sendTx(t, alice, bob.addr, 1, fee, testChain, bank.Coin("udpin", 1_000_000-500-fee))}); r.Code != bank.ErrInsufficientFunds.Code {
		t.Fatalf("spending the pre-block balance: code %d %s, want insufficient funds", r.Code, r.Log)
	}
	if r, _ := c.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: sendTx(t, alice, bob.addr, 1, fee, testChain, bank.Coin("udpin", 1))}); r.Code != 0 {
		t.Fatalf("seq 1: %s", r.Log)
	}
	answered := make(chan *abci.QueryResponse)
	go func() {
		res, _ := c.app.Query(context.Background(), &abci.QueryRequest{Path: QueryKey, Data: bank.BalanceKey(bob.addr, "udpin")})
		answered <- res
	}()
	select {
	case <-answered:
		t.Fatal("query answered before the save ended")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	res := <-answered
	if res.Code != 0 || res.Height != c.height || bank.DecodeAmount(res.Value) != 500 {
		t.Fatalf("query after the save: height %d (want %d), code %d, bob %d", res.Height, c.height, res.Code, bank.DecodeAmount(res.Value))
	}
	if saved.Load() != c.height {
		t.Fatalf("saved %d, want %d", saved.Load(), c.height)
	}
}

func TestCheckTxTracksPendingSequences(t *testing.T) {
	alice, bob := newTestKey("alice"), newTestKey("bob")
	c := newTestChainApp(t, bal(alice, bank.Coin("udpin", 1_000_000)))
	c.block()
	for s := uint64(0); s < 3; s++ {
		r, _ := c.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: sendTx(t, alice, bob.addr, s, fee, testChain, bank.Coin("udpin", 1))})
		if r.Code != 0 {
			t.Fatalf("seq %d: %s", s, r.Log)
		}
	}
	// Overspending across pending txs is caught before the block.
	r, _ := c.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: sendTx(t, alice, bob.addr, 3, fee, testChain, bank.Coin("udpin", 999_000))})
	if r.Code != bank.ErrInsufficientFunds.Code {
		t.Fatalf("overspend: code %d %s", r.Code, r.Log)
	}
}

func TestPruningKeepsRecentVersions(t *testing.T) {
	alice, bob := newTestKey("alice"), newTestKey("bob")
	c := newTestChainApp(t, bal(alice, bank.Coin("udpin", 1_000_000)))
	c.app.cfg.KeepRecent = 3
	for s := uint64(0); s < 6; s++ {
		c.block(sendTx(t, alice, bob.addr, s, fee, testChain, bank.Coin("udpin", 1)))
	}
	if got := c.tree().AvailableVersions(); len(got) != 3 || got[0] != 4 {
		t.Fatalf("versions kept: %v", got)
	}
	key := bank.BalanceKey(bob.addr, "udpin")
	res, _ := c.app.Query(context.Background(), &abci.QueryRequest{Path: QueryKey, Data: key, Height: 2})
	if res.Code != errs.ErrHeightUnavailable.Code || res.Codespace != "query" {
		t.Fatalf("pruned height answered: code %d %s", res.Code, res.Log)
	}
	res, _ = c.app.Query(context.Background(), &abci.QueryRequest{Path: QueryKey, Data: key, Height: 5})
	if res.Code != 0 || bank.DecodeAmount(res.Value) != 5 {
		t.Fatalf("height 5: code %d value %x", res.Code, res.Value)
	}
}

// TestKeepRecentKeepsTwo: keep_recent = 1 still keeps two versions, since
// the next block and CheckTx read the version before the one being saved.
func TestKeepRecentKeepsTwo(t *testing.T) {
	alice, bob := newTestKey("alice"), newTestKey("bob")
	c := newTestChainApp(t, bal(alice, bank.Coin("udpin", 1_000_000)))
	c.block()
	c.tree()
	c.app.cfg.KeepRecent = 1
	c.app.AfterCommit = func(int64, store.Reader) { time.Sleep(5 * time.Millisecond) }
	for s := uint64(0); s < 5; s++ {
		if r := c.block(sendTx(t, alice, bob.addr, s, fee, testChain, bank.Coin("udpin", 1)))[0]; r.Code != 0 {
			t.Fatalf("block %d: %s", s, r.Log)
		}
		if r, _ := c.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: sendTx(t, alice, bob.addr, s+1, fee, testChain, bank.Coin("udpin", 1))}); r.Code != 0 {
			t.Fatalf("CheckTx after block %d: %s", s, r.Log)
		}
	}
	if got := c.tree().AvailableVersions(); len(got) != 2 || got[1] != int(c.height) {
		t.Fatalf("versions kept: %v (height %d)", got, c.height)
	}
}

// stateDiff lists the keys whose values differ between two versions,
// ignoring the recorded block time.
func stateDiff(a, b store.Reader) string {
	all := func(r store.Reader) map[string]string {
		m := map[string]string{}
		store.Each(r, nil, func(k, v []byte) bool {
			if string(k) != string(blockTimeKey) {
				m[string(k)] = string(v)
			}
			return true
		})
		return m
	}
	ma, mb := all(a), all(b)
	var diff []string
	for k, v := range ma {
		if w, ok := mb[k]; !ok || w != v {
			diff = append(diff, fmt.Sprintf("%q", k))
		}
	}
	for k := range mb {
		if _, ok := ma[k]; !ok {
			diff = append(diff, fmt.Sprintf("+%q", k))
		}
	}
	sort.Strings(diff)
	return strings.Join(diff, ", ")
}

// TestCheckTxReadsWhileBlocksWrite: CheckTx reads the committed state (IAVL
// snapshots) while blocks write the tree; run with -race, nothing the two
// share may be touched without synchronization.
func TestCheckTxReadsWhileBlocksWrite(t *testing.T) {
	alice, bob := newTestKey("alice"), newTestKey("bob")
	c := newTestChainApp(t, bal(alice, bank.Coin(bank.NativeDenom, 1_000_000_000_000)), bal(bob, bank.Coin(bank.NativeDenom, 1_000_000_000)))
	c.block()
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		// A tx CheckTx runs through the ante (account and balance reads)
		// and rejects (bob's sequence is wrong), so it never stays.
		tx := sendTx(t, bob, alice.addr, 99, fee, testChain, bank.Coin(bank.NativeDenom, 1))
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := c.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: tx, Type: abci.CHECK_TX_TYPE_CHECK}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	seq := c.seq(alice.addr)
	for b := range 20 {
		var txs [][]byte
		for i := range 50 {
			to := newTestKey(fmt.Sprintf("to-%d-%d", b, i)).addr
			txs = append(txs, sendTx(t, alice, to, seq, fee, testChain, bank.Coin(bank.NativeDenom, 1000)))
			seq++
		}
		for i, r := range c.block(txs...) {
			if r.Code != 0 {
				t.Fatalf("block %d tx %d: %s", b, i, r.Log)
			}
		}
	}
	close(stop)
	<-done
}
