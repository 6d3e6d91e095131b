package chaos

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
)

// What a node's CheckTx said of a submitted tx.
const (
	checkAccepted = "accepted"
	checkRejected = "rejected"
	checkRefused  = "refused" // the node was down or refused to take it (catching up, mempool full): never in a mempool
	checkUnknown  = "unknown" // no answer in time (a paused node): it may be in a mempool
)

// TxRecord is one submitted transaction and what became of it.
type TxRecord struct {
	ID         int    `json:"id"`
	Worker     int    `json:"worker"`
	Kind       string `json:"kind"`
	ExpectFail bool   `json:"expect_fail,omitempty"`
	MayLapse   bool   `json:"may_lapse,omitempty"` // see intent.mayLapse
	Signer     string `json:"signer"`
	Sequence   uint64 `json:"sequence"`
	Hash       string `json:"hash"`
	Node       string `json:"node"` // submitted to
	// Submitted is seconds since the soak started.
	Submitted float64 `json:"submitted_s"`
	// Done is when the worker was through with it (seen committed, or
	// given up on and its signer's sequence resynchronised).
	Done     float64 `json:"done_s"`
	Check    string  `json:"check"`
	CheckLog string  `json:"check_log,omitempty"`
	// Seen committed by the worker (the final check looks on every node).
	Height  int64  `json:"height,omitempty"`
	Code    uint32 `json:"code,omitempty"`
	Log     string `json:"log,omitempty"`
	Outcome string `json:"outcome"`
	// Explained says why an accepted tx was never committed.
	Explained string `json:"explained,omitempty"`

	node        int
	submittedAt time.Time
	signer      crypto.Address
}

// txBook records every submitted tx.
type txBook struct {
	mu   sync.Mutex
	txs  []*TxRecord
	next int
}

func (b *txBook) add(r *TxRecord) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r.ID = b.next
	b.next++
	b.txs = append(b.txs, r)
}

func (b *txBook) update(fn func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	fn()
}

func (b *txBook) all() []*TxRecord {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]*TxRecord(nil), b.txs...)
}

// account is a workload key with the sequence its next tx signs with.
type account struct {
	priv ed25519.PrivateKey
	addr crypto.Address
	seq  uint64
}

func newAccount(seed []byte) *account {
	priv := ed25519.NewKeyFromSeed(seed)
	return &account{priv: priv, addr: crypto.AddressFromPubKey(priv.Public().(ed25519.PublicKey))}
}

// intent is a tx a worker wants to send.
type intent struct {
	kind       string
	signer     *account
	msgs       []*txv1.Msg
	expectFail bool // the chain must refuse it (CheckTx, or a failed result)
	// mayLapse: a block step can make it invalid after CheckTx accepted it
	// (a cancel racing the market's clearing of its order's interval):
	// CometBFT's recheck then drops it from the mempool, uncommitted.
	mayLapse  bool
	seqOffset int64 // ≠ 0: deliberately sign with a wrong sequence
	// onCommit runs when the worker sees the tx committed with code 0.
	onCommit func(*client.TxResult)
}

// sender submits txs round robin to every node (perturbed or not, as
// real clients would) and waits for them on nodes that are up.
type sender struct {
	s          *Soak
	chainID    string
	feeBase    uint64
	feePerByte uint64
	rr         atomic.Uint64
	book       txBook
}

// fee pays the minimum for msgs with room for the envelope (signer,
// fee, signature), so a tx needs no fee query to the node.
func (sd *sender) fee(msgs []*txv1.Msg) uint64 {
	size := uint64(proto.Size(&txv1.TxBody{Messages: msgs})) + 256
	return sd.feeBase + sd.feePerByte*size
}

// send builds, signs, submits and follows one tx, and keeps the signer's
// sequence right for the next.
func (sd *sender) send(ctx context.Context, worker int, in *intent) *TxRecord {
	acc := in.signer
	seq := acc.seq
	if in.seqOffset != 0 {
		seq = uint64(int64(seq) + in.seqOffset)
	}
	k := int(sd.rr.Add(1)-1) % len(sd.s.nodes)
	p := sd.s.nodes[k]
	rec := &TxRecord{Worker: worker, Kind: in.kind, ExpectFail: in.expectFail, MayLapse: in.mayLapse, Signer: acc.addr.String(), Sequence: seq,
		Node: p.name, node: k, signer: acc.addr}
	raw, err := p.c.BuildTx(ctx, acc.priv, in.msgs, client.TxOptions{Fee: sd.fee(in.msgs), Sequence: &seq})
	if err != nil {
		// Nothing was sent (the chain id is cached and the fee given, so
		// this is a bug in the message, not the network).
		sd.s.log.Error("cannot build a tx", "kind", in.kind, "err", err)
		return nil
	}
	hash := client.TxHash(raw)
	rec.Hash = fmt.Sprintf("%X", hash)
	rec.submittedAt = time.Now()
	rec.Submitted = sd.s.since(rec.submittedAt)
	sd.book.add(rec)
	defer func() {
		t := sd.s.since(time.Now())
		sd.book.update(func() { rec.Done = t })
	}()

	bctx, cancel := context.WithTimeout(ctx, 4*time.Second)
	_, err = p.c.Broadcast(bctx, raw)
	cancel()
	var ce *client.CodeError
	check, checkLog := checkAccepted, ""
	switch {
	case err == nil:
	case errors.As(err, &ce):
		check, checkLog = checkRejected, fmt.Sprintf("%s/%d: %s", ce.Kind.Codespace, ce.Kind.Code, ce.Log)
	case errors.Is(err, client.ErrMempoolFull), refused(err):
		check, checkLog = checkRefused, oneLine(err.Error())
	default:
		check, checkLog = checkUnknown, oneLine(err.Error())
	}
	sd.book.update(func() { rec.Check, rec.CheckLog = check, checkLog })
	if check == checkRejected || check == checkRefused {
		if in.seqOffset == 0 && ce != nil && errors.Is(ce, errs.ErrWrongSequence) {
			sd.resync(ctx, acc)
		}
		return rec
	}
	if in.seqOffset != 0 {
		// A wrong sequence must never pass CheckTx; the final check flags
		// it (expect_fail) if it is committed. Our sequence is unchanged.
		sd.resync(ctx, acc)
		return rec
	}
	t0 := time.Now()
	res := sd.wait(ctx, hash)
	if res == nil {
		t1 := time.Now()
		sd.resync(ctx, acc)
		sd.s.log.Debug("tx not seen committed", "hash", rec.Hash, "kind", in.kind, "waited", t1.Sub(t0), "resync", time.Since(t1))
		return rec
	}
	acc.seq = seq + 1
	sd.book.update(func() { rec.Height, rec.Code, rec.Log = res.Height, res.Code, oneLine(res.Log) })
	if res.Code == 0 && in.onCommit != nil {
		in.onCommit(res)
	}
	return rec
}

// wait looks for a tx's result on the nodes that are up, in turn, until
// the configured wait passes; nil if it did not see it committed.
func (sd *sender) wait(ctx context.Context, hash []byte) *client.TxResult {
	deadline := time.Now().Add(sd.s.cfg.TxWait)
	k := int(sd.rr.Load())
	for time.Now().Before(deadline) && ctx.Err() == nil {
		k++
		p := sd.s.nodes[k%len(sd.s.nodes)]
		if !sd.s.faults.up(p.idx) {
			continue
		}
		wctx, cancel := context.WithTimeout(ctx, 4*time.Second)
		res, _ := p.c.WaitTx(wctx, hash, 2*time.Second)
		cancel()
		if res != nil {
			return res
		}
		sleep(ctx, 50*time.Millisecond)
	}
	return nil
}

// resync sets an account's sequence to what the chain has committed.
func (sd *sender) resync(ctx context.Context, acc *account) {
	for try := 0; try < 2*len(sd.s.nodes) && ctx.Err() == nil; try++ {
		p := sd.s.nodes[(int(sd.rr.Load())+try)%len(sd.s.nodes)]
		if !sd.s.faults.up(p.idx) {
			continue
		}
		qctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		a, _, err := p.c.Account(qctx, acc.addr, client.QueryOptions{})
		cancel()
		if err == nil {
			acc.seq = 0
			if a != nil {
				acc.seq = a.Sequence
			}
			return
		}
	}
}

// refused: the node did not take the tx (nothing listens, or the node
// says it cannot: catching up, busy), so it is in no mempool.
func refused(err error) bool {
	msg := err.Error()
	for _, s := range []string{"connection refused", "node is catching up", "submissions already in progress"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
