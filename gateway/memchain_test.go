package gateway

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	ics23 "github.com/cosmos/ics23/go"
	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/api/auth"
	"github.com/depinhq/depin/api/event"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
	authv1 "github.com/depinhq/depin/gen/depin/auth/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/proof"
)

// memChain is an in-memory chain with the node's observable behaviour:
// CheckTx (signature, fee, sequence against committed state plus the
// mempool), a mempool and its cache, a block blockInterval after a tx
// enters the mempool, a tx index; and failures to inject: an unreachable
// node, a full mempool, answers lost after the tx was accepted, a restart
// that loses the mempool, a refusal of every batch. It keeps time on the
// gateway's clock.
type memChain struct {
	chainID string
	clock   Clock

	mu         sync.Mutex
	params     *authv1.Params
	seqs       map[crypto.Address]uint64 // committed
	mempool    []*auth.Tx
	cache      map[string]bool // hashes seen (in the mempool or committed), lost on restart
	index      map[string]*client.TxResult
	height     int64
	reports    []string      // report_bytes of every committed report, in order
	batches    []int         // reports per committed batch
	accepted   int           // broadcasts CheckTx accepted
	acceptedAt []time.Time   // when, on the clock
	blockDue   bool          // a block is scheduled
	changed    chan struct{} // closed (and replaced) when anything changes, to wake WaitTx

	down          bool        // every call fails as unreachable
	fullFor       int         // the next n broadcasts answer "mempool full"
	loseAnswers   int         // the next n accepted broadcasts answer "unreachable"
	downAfterLoss bool        // and the node then goes down
	reject        *errs.Error // CheckTx refuses every batch with this kind
	paused        bool        // no blocks

	blockEvents map[int64][]event.Event // the block-level events of blocks made by emit
	state       map[string][]byte       // what QueryKey reads
}

const testChainID = "gateway-test"

// blockInterval is how long a tx waits in the mempool for its block.
const blockInterval = 5 * time.Millisecond

func newMemChain(clk Clock) *memChain {
	return &memChain{
		chainID: testChainID,
		clock:   clk,
		params:  &authv1.Params{FeeBase: 10, FeePerByte: 1, MaxMemoBytes: 256, MaxMsgs: 8},
		seqs:    map[crypto.Address]uint64{},
		cache:   map[string]bool{},
		index:   map[string]*client.TxResult{},
		changed: make(chan struct{}),
	}
}

var _ Chain = (*memChain)(nil)

func unreachable() error {
	return fmt.Errorf("%w: dial tcp 127.0.0.1:26657: connection refused", client.ErrNodeUnreachable)
}

func codeErr(kind *errs.Error, format string, args ...any) error {
	return &client.CodeError{Kind: kind, Log: kind.Desc + ": " + fmt.Sprintf(format, args...)}
}

func (c *memChain) ChainID(context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.down {
		return "", unreachable()
	}
	return c.chainID, nil
}

func (c *memChain) AuthParams(context.Context) (*authv1.Params, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.down {
		return nil, unreachable()
	}
	return proto.Clone(c.params).(*authv1.Params), nil
}

func (c *memChain) Account(_ context.Context, addr crypto.Address, _ client.QueryOptions) (*authv1.Account, *client.KeyResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.down {
		return nil, nil, unreachable()
	}
	seq, ok := c.seqs[addr]
	if !ok {
		return nil, nil, nil // never signed
	}
	return &authv1.Account{Address: addr.Bytes(), Sequence: seq}, nil, nil
}

func (c *memChain) checkSeq(addr crypto.Address) uint64 {
	n := c.seqs[addr]
	for _, tx := range c.mempool {
		if tx.Signer == addr {
			n++
		}
	}
	return n
}

func (c *memChain) Broadcast(_ context.Context, raw []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	hash := client.TxHash(raw)
	if c.down {
		return hash, unreachable()
	}
	if c.cache[string(hash)] {
		return hash, fmt.Errorf("%w: tx already exists in cache", client.ErrTxInCache)
	}
	tx, err := auth.DecodeTx(raw)
	if err != nil {
		return hash, codeErr(errs.ErrTxDecode, "%v", err)
	}
	if err := tx.VerifySignature(c.chainID); err != nil {
		return hash, codeErr(errs.ErrInvalidSignature, "%v", err)
	}
	if fee := c.params.FeeBase + c.params.FeePerByte*uint64(len(raw)); tx.Body.Fee.GetAmount() < fee {
		return hash, codeErr(errs.ErrInsufficientFee, "paid %d, need %d", tx.Body.Fee.GetAmount(), fee)
	}
	if want := c.checkSeq(tx.Signer); tx.Body.Signer.Sequence != want {
		return hash, codeErr(errs.ErrWrongSequence, "account expects sequence %d, tx has %d", want, tx.Body.Signer.Sequence)
	}
	if _, ok := tx.Body.Messages[0].Sum.(*txv1.Msg_ReportBatch); !ok {
		return hash, codeErr(errs.ErrUnknownMsg, "%T", tx.Body.Messages[0].Sum)
	}
	if c.reject != nil {
		return hash, codeErr(c.reject, "refused by the test")
	}
	if c.fullFor > 0 {
		c.fullFor--
		return hash, fmt.Errorf("%w: mempool is full: number of txs 20000 (max: 20000)", client.ErrMempoolFull)
	}
	c.mempool = append(c.mempool, tx)
	c.cache[string(hash)] = true
	c.accepted++
	c.acceptedAt = append(c.acceptedAt, c.clock.Now())
	c.update()
	if c.loseAnswers > 0 {
		c.loseAnswers--
		c.down = c.down || c.downAfterLoss
		return hash, unreachable()
	}
	return hash, nil
}

func (c *memChain) WaitTx(ctx context.Context, hash []byte, timeout time.Duration) (*client.TxResult, error) {
	deadline := c.clock.Now().Add(timeout)
	for {
		c.mu.Lock()
		down, res, changed := c.down, c.index[string(hash)], c.changed
		c.mu.Unlock()
		if !down && res != nil {
			return res, nil
		}
		left := deadline.Sub(c.clock.Now())
		if left <= 0 {
			return nil, fmt.Errorf("%w: %X after %s", client.ErrTimeout, hash, timeout)
		}
		t := c.clock.NewTimer(left)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-changed:
		case <-t.C():
		}
		t.Stop()
	}
}

// update wakes WaitTx callers and schedules a block if the mempool has
// txs and none is due. c.mu is held.
func (c *memChain) update() {
	close(c.changed)
	c.changed = make(chan struct{})
	if !c.blockDue && !c.paused && len(c.mempool) > 0 {
		c.blockDue = true
		c.clock.AfterFunc(blockInterval, c.block)
	}
}

// block commits the mempool, as a block would: a tx whose sequence is no
// longer the account's (another tx took it) is left out.
func (c *memChain) block() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.blockDue = false
	defer c.update()
	if c.paused || len(c.mempool) == 0 {
		return
	}
	c.height++
	for _, tx := range c.mempool {
		hash := client.TxHash(tx.Raw)
		if tx.Body.Signer.Sequence != c.seqs[tx.Signer] {
			continue
		}
		c.seqs[tx.Signer]++
		rb := tx.Body.Messages[0].GetReportBatch()
		for _, r := range rb.Reports {
			c.reports = append(c.reports, string(r.ReportBytes))
		}
		c.batches = append(c.batches, len(rb.Reports))
		// As the chain does: one outcome byte per report, and the detail
		// of each rejection. The first report of every batch is rejected.
		outcomes := make([]byte, len(rb.Reports))
		outcomes[0] = byte(reportv1.RejectReason_REJECT_REASON_UNKNOWN_DEVICE)
		c.index[string(hash)] = &client.TxResult{
			Hash:   strings.ToUpper(hex.EncodeToString(hash)),
			Height: c.height,
			Events: []event.Event{
				event.ToABCI(&reportv1.EventReportRejected{Index: 0, Reason: reportv1.RejectReason_REJECT_REASON_UNKNOWN_DEVICE,
					Detail: "no device with this key is registered"}),
				event.ToABCI(&reportv1.EventReportBatch{Submitter: tx.Signer.String(), Accepted: uint32(len(rb.Reports)) - 1, Rejected: 1, Outcomes: outcomes}),
			},
		}
	}
	c.mempool = nil
}

// emit commits a block whose block-level events (FinalizeBlock's own,
// not a transaction's) are evs, and returns its height.
func (c *memChain) emit(evs ...event.Event) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.height++
	if c.blockEvents == nil {
		c.blockEvents = map[int64][]event.Event{}
	}
	c.blockEvents[c.height] = evs
	return c.height
}

func (c *memChain) Status(context.Context) (*client.Status, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.down {
		return nil, unreachable()
	}
	return &client.Status{NodeInfo: client.NodeInfo{Network: c.chainID}, SyncInfo: client.SyncInfo{LatestBlockHeight: c.height}}, nil
}

func (c *memChain) BlockResults(_ context.Context, h int64) (*client.BlockResults, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.down:
		return nil, unreachable()
	case h < 1 || h > c.height:
		return nil, fmt.Errorf("results of block %d: RPC error -32603 - Internal error: could not find results for height #%d", h, h)
	}
	return &client.BlockResults{Height: h, FinalizeBlockEvents: c.blockEvents[h]}, nil
}

// memRoots are the tree roots of memChain's made-up proofs.
var memRoots = [][]byte{make([]byte, 32), make([]byte, 32), make([]byte, 32), make([]byte, 32)}

// QueryKey reads c.state. Its "proof" proves nothing (the devnet test
// checks real ones); it has the shape of one.
func (c *memChain) QueryKey(_ context.Context, key []byte, o client.QueryOptions) (*client.KeyResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.down {
		return nil, unreachable()
	}
	h := c.height
	if o.Height != 0 {
		if o.Height > c.height {
			return nil, codeErr(errs.ErrInvalidRequest, "height %d is in the future", o.Height)
		}
		h = o.Height
	}
	res := &client.KeyResult{Key: key, Value: c.state[string(key)], Height: h}
	if o.Prove {
		res.Proven, res.AppHash = true, proof.RootHash(memRoots)
		res.Proof = &proof.Proof{ICS23: &ics23.CommitmentProof{}, Roots: memRoots}
	}
	return res, nil
}

// restart loses the mempool and its cache, as a node restart does.
func (c *memChain) restart() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mempool = nil
	c.cache = map[string]bool{}
	c.update()
}

// take has another transaction of addr take its next sequence.
func (c *memChain) take(addr crypto.Address) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seqs[addr]++
	c.update()
}

// set changes the chain (inject or heal a failure) under its lock.
func (c *memChain) set(f func(c *memChain)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(c)
	c.update()
}

// firstAccepted is when CheckTx first accepted a tx (zero if never).
func (c *memChain) firstAccepted() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.acceptedAt) == 0 {
		return time.Time{}
	}
	return c.acceptedAt[0]
}

func (c *memChain) committed() (reports []string, batches []int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.reports...), append([]int(nil), c.batches...)
}

func (c *memChain) mempoolLen() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.mempool)
}
