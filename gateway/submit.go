package gateway

import (
	"context"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
	authv1 "github.com/depinhq/depin/gen/depin/auth/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
)

// Chain is what the gateway needs of a node. *client.Client implements
// it; tests use an in-memory chain. Errors are classified as the client
// does: client.ErrNodeUnreachable, client.ErrMempoolFull,
// client.ErrTxInCache, or a *client.CodeError wrapping an errs kind.
type Chain interface {
	ChainID(ctx context.Context) (string, error)
	AuthParams(ctx context.Context) (*authv1.Params, error)
	Account(ctx context.Context, addr crypto.Address, o client.QueryOptions) (*authv1.Account, *client.KeyResult, error)
	// Broadcast submits a tx and returns once CheckTx accepted it.
	Broadcast(ctx context.Context, tx []byte) ([]byte, error)
	// WaitTx returns the committed tx with hash, or an error once timeout
	// passed without seeing it (timeout 0: look once). A committed tx that
	// failed is returned with a *client.CodeError.
	WaitTx(ctx context.Context, hash []byte, timeout time.Duration) (*client.TxResult, error)

	// Status says where the node's chain is (its latest block), and
	// BlockResults what a block did: the gateway reads the block-level
	// events of every committed block for dispatches to forward.
	Status(ctx context.Context) (*client.Status, error)
	BlockResults(ctx context.Context, height int64) (*client.BlockResults, error)
	// QueryKey reads a key of the state; with Prove, verified against a
	// commit of the validators, with the proof (GET /v1/vpp/members/…).
	QueryKey(ctx context.Context, key []byte, o client.QueryOptions) (*client.KeyResult, error)
}

var _ Chain = (*client.Client)(nil)

// Event types the chain emits for a report batch (see x/report).
var (
	eventBatch    = string((&reportv1.EventReportBatch{}).ProtoReflect().Descriptor().FullName())
	eventRejected = string((&reportv1.EventReportRejected{}).ProtoReflect().Descriptor().FullName())
)

// submitter turns batches into signed MsgReportBatch transactions and sees
// each one committed, one at a time, tracking the account's sequence
// locally. Only the batcher's goroutine uses it.
type submitter struct {
	chain   Chain
	key     ed25519.PrivateKey
	addr    crypto.Address
	chainID string
	cfg     Config
	metrics *metrics
	results *results
	log     *slog.Logger
	clock   Clock

	params   *authv1.Params // nil until fetched, and after a fee error
	seq      uint64         // the next sequence to sign with, once seqKnown
	seqKnown bool
	outage   time.Time // when the node stopped answering; zero while it answers
}

// batch is one transaction's worth of reports.
type batch struct {
	items []*item
	seq   uint64
	tx    []byte   // nil: to be signed (again)
	hash  []byte   // of tx
	known [][]byte // hashes of every signing of items at seq, any of which may commit
	// maybeSent: some signing may have reached a mempool (it was accepted,
	// or the answer was lost). Until then none can commit, so another
	// transaction taking seq means the batch can move on at once.
	maybeSent bool
	accepted  bool // in the node's mempool, as far as we know
	counted   bool // reports_submitted counted
}

// deliver submits items as one batch and returns once the batch is
// committed or refused for good (true), or ctx ended first (false). A
// transient failure is retried with backoff for as long as it takes.
func (s *submitter) deliver(ctx context.Context, items []*item) bool {
	b := &batch{items: items}
	bo := backoff{min: s.cfg.RetryMin, max: s.cfg.RetryMax, clock: s.clock}
	for ctx.Err() == nil {
		if b.tx == nil {
			if !s.sign(ctx, b, &bo) {
				continue
			}
		}
		if !b.accepted {
			_, err := s.chain.Broadcast(ctx, b.tx)
			if err != nil && !errors.Is(err, client.ErrTxInCache) {
				if done := s.broadcastFailed(ctx, b, err, &bo); done {
					return true
				}
				continue
			}
			s.reachable()
			bo.reset()
			b.accepted, b.maybeSent = true, true
			if !b.counted {
				b.counted = true
				s.metrics.submitted(len(b.items))
			}
		}
		res, err := s.chain.WaitTx(ctx, b.hash, s.cfg.ConfirmTimeout)
		if res != nil {
			s.reachable()
			s.committed(b, res)
			return true
		}
		if ctx.Err() != nil {
			break
		}
		// Not in a block in time: the node may be down, or have restarted
		// and lost its mempool. Ask it where the account stands.
		s.metrics.retry("unconfirmed")
		s.log.Debug("batch not committed in time; checking the account", "seq", b.seq, "reports", len(b.items), "err", err)
		if s.resync(ctx, b, &bo, false) {
			return true
		}
	}
	return false
}

// sign signs b's reports at the current sequence, fetching the fee
// schedule and the sequence first if needed; false means try again.
func (s *submitter) sign(ctx context.Context, b *batch, bo *backoff) bool {
	if s.params == nil {
		p, err := s.chain.AuthParams(ctx)
		if err != nil {
			s.unreachable("fee parameters", err)
			bo.wait(ctx)
			return false
		}
		s.params = p
	}
	if !s.seqKnown {
		acc, _, err := s.chain.Account(ctx, s.addr, client.QueryOptions{})
		if err != nil {
			s.unreachable("account", err)
			bo.wait(ctx)
			return false
		}
		s.seq, s.seqKnown = acc.GetSequence(), true
	}
	s.reachable()
	if b.seq != s.seq {
		// Signings at another sequence can no longer commit (see resync).
		b.known, b.maybeSent = nil, false
	}
	b.seq = s.seq
	reports := make([]*reportv1.SignedReport, len(b.items))
	for i, it := range b.items {
		reports[i] = it.signed
	}
	body := &txv1.TxBody{
		Messages: []*txv1.Msg{{Sum: &txv1.Msg_ReportBatch{ReportBatch: &reportv1.MsgReportBatch{
			Submitter: s.addr.Bytes(),
			Reports:   reports,
		}}}},
		Signer: &txv1.SignerInfo{PublicKey: s.key.Public().(ed25519.PublicKey), Sequence: b.seq},
	}
	tx, err := client.SignWithMinFee(s.key, s.chainID, body, s.params.FeeBase, s.params.FeePerByte)
	if err != nil {
		// Cannot happen with a valid key; retrying keeps the reports.
		s.log.Error("cannot sign a batch transaction", "err", err)
		bo.wait(ctx)
		return false
	}
	b.tx, b.hash, b.accepted = tx, client.TxHash(tx), false
	b.known = append(b.known, b.hash)
	return true
}

// broadcastFailed handles a failed broadcast; true means the batch is
// settled (committed after all, or refused for good).
func (s *submitter) broadcastFailed(ctx context.Context, b *batch, err error, bo *backoff) bool {
	var code *client.CodeError
	switch {
	case ctx.Err() != nil:
		return false
	case errors.Is(err, client.ErrMempoolFull), errors.Is(err, errs.ErrMempoolIsFull):
		s.reachable()
		s.metrics.retry("mempool_full")
		s.log.Debug("mempool full; retrying", "seq", b.seq, "backoff", bo.peek())
		bo.wait(ctx)
		return false
	case errors.Is(err, errs.ErrWrongSequence):
		s.reachable()
		s.metrics.retry("wrong_sequence")
		s.log.Debug("wrong sequence; resyncing from the chain", "seq", b.seq, "err", err)
		return s.resync(ctx, b, bo, true)
	case errors.Is(err, errs.ErrInsufficientFee):
		// The fee schedule changed, or the account cannot pay: refetch the
		// schedule and sign again for the same sequence, so that at most
		// one of the signings can ever commit. Funding the account fixes
		// the second case; the reports wait meanwhile.
		s.reachable()
		s.metrics.retry("fee")
		s.log.Error("batch fee refused; retrying (is the gateway account funded?)", "account", s.addr, "err", err)
		s.params, b.tx = nil, nil
		bo.wait(ctx)
		return false
	case errors.As(err, &code):
		s.reachable()
		s.rejected(b, err)
		return true
	default:
		// Unreachable, or an answer we cannot read: the tx may have
		// arrived, so it counts as sent.
		b.maybeSent = true
		s.unreachable("broadcast", err)
		s.metrics.retry("unreachable")
		bo.wait(ctx)
		return false
	}
}

// resync compares b's sequence with the account's on chain after a wrong
// sequence or a confirmation timeout; true means b is settled.
//
// Exactly once rests on one rule: b moves to another sequence only when
// its own is taken by a transaction that is none of b's signings. Until
// then every signing of b is for the same sequence, so at most one
// commits.
func (s *submitter) resync(ctx context.Context, b *batch, bo *backoff, wrongSeq bool) bool {
	acc, _, err := s.chain.Account(ctx, s.addr, client.QueryOptions{})
	if err != nil {
		s.unreachable("account", err)
		b.accepted = false // submit again once it answers: it may have lost its mempool
		bo.wait(ctx)
		return false
	}
	s.reachable()
	chainSeq := acc.GetSequence()
	switch {
	case chainSeq > b.seq:
		if b.maybeSent {
			// The sequence is used; by us? The tx index may lag the block,
			// so look for a while before deciding.
			if res := s.lookup(ctx, b.known); res != nil {
				s.committed(b, res)
				return true
			}
			if ctx.Err() != nil {
				return false
			}
			if _, _, err := s.chain.Account(ctx, s.addr, client.QueryOptions{}); err != nil {
				// Not found, but the node is not answering: decide nothing.
				s.unreachable("account", err)
				b.accepted = false
				bo.wait(ctx)
				return false
			}
			s.log.Warn("another transaction used the gateway account's sequence (is its key used elsewhere?); signing the batch again",
				"seq", b.seq, "account_seq", chainSeq, "reports", len(b.items))
		}
		s.seq = chainSeq
		b.tx = nil
		return false
	case chainSeq == b.seq:
		// Not committed. Submit again (the node may have lost it). If the
		// answer is a wrong sequence again, a transaction of someone else
		// (or of an earlier run of this gateway) holds this sequence in
		// the mempool: wait for it to commit.
		b.accepted = false
		if wrongSeq {
			bo.wait(ctx)
		}
		return false
	default:
		// The node has not seen what was committed before (another node
		// behind a load balancer, or one restored from an old state).
		// Moving b to an older sequence could commit it twice: wait.
		s.log.Warn("node is behind the gateway's account sequence; waiting", "seq", b.seq, "account_seq", chainSeq)
		b.accepted = false
		bo.wait(ctx)
		return false
	}
}

// lookup looks for any of hashes in the chain for up to ConfirmTimeout.
func (s *submitter) lookup(ctx context.Context, hashes [][]byte) *client.TxResult {
	deadline := s.clock.Now().Add(s.cfg.ConfirmTimeout)
	poll := min(s.cfg.ConfirmTimeout/4, 250*time.Millisecond)
	for {
		for _, h := range hashes {
			if res, _ := s.chain.WaitTx(ctx, h, 0); res != nil {
				return res
			}
		}
		if ctx.Err() != nil || !s.clock.Now().Before(deadline) {
			return nil
		}
		s.clock.Sleep(ctx, poll)
	}
}

// committed records a batch seen in a block and settles its reports.
func (s *submitter) committed(b *batch, res *client.TxResult) {
	s.seq, s.seqKnown = max(s.seq, b.seq+1), true
	if res.Code != 0 {
		// In a block but failed as a whole: the chain would fail it again.
		s.metrics.batch(BatchFailed)
		s.metrics.dropped(BatchFailed, len(b.items))
		s.results.settle(b.items, droppedOutcomes(b.items, DroppedBatchFailed, res.Log, res.Height, res.Hash))
		s.log.Error("batch transaction failed in its block; its reports are dropped",
			"height", res.Height, "tx", res.Hash, "reports", len(b.items), "code", res.Code, "log", res.Log)
		return
	}
	now := s.clock.Now()
	s.metrics.batch(BatchCommitted)
	s.metrics.committed(b.items, res.Height, now)
	vs := s.verdicts(res.Events, len(b.items))
	accepted, rejected := tally(vs)
	s.metrics.chainOutcome(accepted, rejected)
	s.results.settle(b.items, committedOutcomes(b.items, vs, res))
	var nRejected uint64
	for _, n := range rejected {
		nRejected += n
	}
	attrs := []any{"height", res.Height, "tx", res.Hash, "reports", len(b.items), "accepted", accepted, "rejected", nRejected}
	if nRejected > 0 {
		attrs = append(attrs, "reasons", reasonList(rejected))
	}
	// Items are in queue order: the first waited longest.
	attrs = append(attrs, "latency", now.Sub(b.items[0].received).Round(time.Millisecond))
	s.log.Info("batch committed", attrs...)
}

// rejected records a batch CheckTx refused for good: retrying the same
// transaction cannot succeed, and its sequence stays free.
func (s *submitter) rejected(b *batch, err error) {
	s.metrics.batch(BatchRejected)
	s.metrics.dropped(BatchRejected, len(b.items))
	s.results.settle(b.items, droppedOutcomes(b.items, DroppedBatchRejected, err.Error(), 0, ""))
	s.log.Error("node refused the batch transaction; its reports are dropped", "reports", len(b.items), "seq", b.seq, "err", err)
}

// reasonList is counts by reason as "a:2,b:1", sorted ("" if none).
func reasonList(m map[string]uint64) string {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ":" + strconv.FormatUint(m[k], 10)
	}
	return strings.Join(parts, ",")
}

// unreachable notes that the node did not answer: a warning when an
// outage starts, debug lines while it lasts.
func (s *submitter) unreachable(what string, err error) {
	if s.outage.IsZero() {
		s.outage = s.clock.Now()
		s.log.Warn("node unreachable; holding reports and retrying", "call", what, "err", err)
		return
	}
	s.log.Debug("node still unreachable", "call", what, "for", s.clock.Now().Sub(s.outage).Round(time.Millisecond), "err", err)
}

func (s *submitter) reachable() {
	if !s.outage.IsZero() {
		s.log.Info("node reachable again", "after", s.clock.Now().Sub(s.outage).Round(time.Millisecond))
		s.outage = time.Time{}
	}
}

// backoff is an exponential backoff between min and max, on clock.
type backoff struct {
	min, max, cur time.Duration
	clock         Clock
}

func (b *backoff) peek() time.Duration { return max(b.cur, b.min) }

func (b *backoff) reset() { b.cur = 0 }

// wait sleeps for the next step (or until ctx ends).
func (b *backoff) wait(ctx context.Context) {
	if b.cur == 0 {
		b.cur = b.min
	} else {
		b.cur = min(2*b.cur, b.max)
	}
	b.clock.Sleep(ctx, b.cur)
}
