package node

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtpubsub "github.com/cometbft/cometbft/libs/pubsub"
	cmtquery "github.com/cometbft/cometbft/libs/pubsub/query"
	"github.com/cometbft/cometbft/mempool"
	"github.com/cometbft/cometbft/state/txindex"
	"github.com/cometbft/cometbft/state/txindex/null"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/depinhq/depin/errs"
)

// maxConcurrentTxPosts bounds the POST /v1/txs requests read at once (each
// may hold up to the mempool's max tx size in memory).
const maxConcurrentTxPosts = 32

// TxContentType is the media type of POST /v1/txs bodies: one signed tx,
// its protobuf bytes as they go into a block.
const TxContentType = "application/octet-stream"

// handleBroadcast is POST /v1/txs: the tx goes through the mempool's
// CheckTx exactly as CometBFT's broadcast_tx_sync does it (and is gossiped
// to peers from there). Answers: 200 {"hash"} accepted; 422 {"hash",
// "codespace", "code", "error"} CheckTx rejected it; 409 the node has seen
// this tx; 503 mempool full or node catching up (retry later); 413 larger
// than the mempool's max tx; 400 empty; 415 another content type. At most
// maxConcurrentTxPosts are read at once (503 beyond).
func (n *Node) handleBroadcast(w http.ResponseWriter, r *http.Request) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != TxContentType {
		writeError(w, http.StatusUnsupportedMediaType, fmt.Errorf("send the signed tx as raw bytes with Content-Type: %s", TxContentType))
		return
	}
	select {
	case n.txSlots <- struct{}{}:
		defer func() { <-n.txSlots }()
	default:
		writeError(w, http.StatusServiceUnavailable, fmt.Errorf("%d tx submissions already in progress; retry later", maxConcurrentTxPosts))
		return
	}
	limit := int64(n.cometCf.Mempool.MaxTxBytes)
	tx, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Errorf("tx larger than the mempool's max of %d bytes", limit))
			return
		}
		writeError(w, http.StatusBadRequest, fmt.Errorf("read tx: %w", err))
		return
	}
	if len(tx) == 0 {
		writeError(w, http.StatusBadRequest, errors.New("empty body: send the signed tx bytes"))
		return
	}
	if s, ok := n.comet.MempoolReactor().(interface{ WaitSync() bool }); ok && s.WaitSync() {
		writeError(w, http.StatusServiceUnavailable, errors.New("node is catching up; retry later"))
		return
	}
	hash := hex.EncodeToString(cmttypes.Tx(tx).Hash())
	// One at a time into the mempool (see checkTxTurn).
	select {
	case n.checkTxTurn <- struct{}{}:
	case <-r.Context().Done():
		return
	}
	rr, err := n.comet.Mempool().CheckTx(tx, "")
	<-n.checkTxTurn
	if err != nil {
		writeMempoolError(w, hash, err)
		return
	}
	done := make(chan struct{})
	go func() { rr.Wait(); close(done) }()
	select {
	case <-done:
	case <-r.Context().Done():
		return // the client left; CheckTx still completes in the mempool
	}
	if err := rr.Error(); err != nil {
		writeMempoolError(w, hash, err)
		return
	}
	res := rr.Response.GetCheckTx()
	if res.Code != 0 {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"hash": hash, "codespace": res.Codespace, "code": res.Code, "error": res.Log})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"hash": hash})
}

// writeMempoolError answers a tx the mempool refused.
func writeMempoolError(w http.ResponseWriter, hash string, err error) {
	var full mempool.ErrMempoolIsFull
	var large mempool.ErrTxTooLarge
	var invalid mempool.ErrInvalidTx
	switch {
	case errors.As(err, &invalid): // CheckTx rejected it
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"hash": hash, "codespace": invalid.Codespace, "code": invalid.Code, "error": invalid.Log})
	case errors.Is(err, mempool.ErrTxInCache):
		writeError(w, http.StatusConflict, fmt.Errorf("tx %s already submitted: %w", hash, err))
	case errors.As(err, &full), errors.Is(err, mempool.ErrRecheckFull):
		writeError(w, http.StatusServiceUnavailable, fmt.Errorf("mempool is full; retry later: %w", err))
	case errors.As(err, &large):
		writeError(w, http.StatusRequestEntityTooLarge, err)
	default:
		writeError(w, http.StatusServiceUnavailable, err)
	}
}

// TxResultJSON is GET /v1/txs/{hash}: a committed tx's outcome, without
// the tx bytes (CometBFT's /tx sends them back base64 in JSON, megabytes
// per poll for a report batch).
type TxResultJSON struct {
	Hash      string       `json:"hash"`
	Height    int64        `json:"height"`
	Index     uint32       `json:"index"`
	Code      uint32       `json:"code"`
	Codespace string       `json:"codespace,omitempty"`
	Log       string       `json:"log,omitempty"`
	Events    []abci.Event `json:"events"`
}

// maxTxWait bounds the ?wait= of GET /v1/txs/{hash}; it stays below the
// API server's write timeout.
const maxTxWait = 8 * time.Second

// txIndexLag is how often a waiting GET /v1/txs/{hash} reads the index
// again, for a tx whose commit event came before it subscribed.
const txIndexLag = 100 * time.Millisecond

// maxTxWaiters bounds the GET /v1/txs/{hash}?wait= requests waiting at
// once; beyond it a request answers at once, as without ?wait=.
const maxTxWaiters = 256

// handleTxResult is GET /v1/txs/{hash} (64 hex digits): 200 with the
// committed tx's result, 404 while it is not in a block (yet). With
// ?wait=DURATION (e.g. 5s, at most 8s) a tx that is not committed yet is
// waited for: the answer comes as soon as its block is (or 404 when the
// wait ends), so clients need not poll.
func (n *Node) handleTxResult(w http.ResponseWriter, r *http.Request) {
	hash, err := hex.DecodeString(r.PathValue("hash"))
	if err != nil || len(hash) != 32 {
		writeError(w, http.StatusBadRequest, errs.Wrapf(errs.ErrInvalidQuery, "tx hash must be 64 hex digits"))
		return
	}
	var wait time.Duration
	if v := r.URL.Query().Get("wait"); v != "" {
		if wait, err = time.ParseDuration(v); err != nil || wait < 0 || wait > maxTxWait {
			writeError(w, http.StatusBadRequest, errs.Wrapf(errs.ErrInvalidQuery, "wait must be a duration from 0s to %s, like 5s", maxTxWait))
			return
		}
	}
	idx, bus := n.txIndexer()
	if idx == nil {
		writeError(w, http.StatusNotImplemented, errors.New("this node does not index txs (tx_index.indexer = \"null\")"))
		return
	}
	// Subscribe before reading the index, so a tx committed in between
	// is not missed.
	var committed <-chan cmtpubsub.Message
	if wait > 0 {
		select {
		case n.txWaiters <- struct{}{}:
			defer func() { <-n.txWaiters }()
			id := fmt.Sprintf("rest-tx-wait-%d", n.txWaitSeq.Add(1))
			q := cmtquery.MustCompile(fmt.Sprintf("%s='%s' AND %s='%X'", cmttypes.EventTypeKey, cmttypes.EventTx, cmttypes.TxHashKey, hash))
			if sub, err := bus.Subscribe(r.Context(), id, q, 1); err == nil {
				defer func() { _ = bus.UnsubscribeAll(context.Background(), id) }()
				committed = sub.Out()
			}
		default: // too many waiting: answer now
		}
	}
	res, err := idx.Get(hash)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	if res == nil && committed != nil {
		// The tx event comes when its block is committed. The index is
		// written a moment after that event, so a tx committed just before
		// the subscription is caught by reading the index again.
		timer := time.NewTimer(wait)
		defer timer.Stop()
		again := time.NewTicker(txIndexLag)
		defer again.Stop()
	waiting:
		for res == nil {
			select {
			case m := <-committed:
				if ev, ok := m.Data().(cmttypes.EventDataTx); ok {
					res = &ev.TxResult
				}
				break waiting
			case <-again.C:
				if res, err = idx.Get(hash); err != nil {
					writeError(w, http.StatusInternalServerError, err)
					return
				}
			case <-timer.C:
				break waiting
			case <-r.Context().Done():
				return
			}
		}
	}
	if res == nil {
		writeError(w, http.StatusNotFound, errs.Wrapf(errs.ErrNotFound, "tx %X is not in a block (yet)", hash))
		return
	}
	out := TxResultJSON{Hash: hex.EncodeToString(hash), Height: res.Height, Index: res.Index, Code: res.Result.Code,
		Codespace: res.Result.Codespace, Log: res.Result.Log, Events: res.Result.Events}
	if out.Events == nil {
		out.Events = []abci.Event{}
	}
	writeJSON(w, http.StatusOK, out)
}

// txIndexer is CometBFT's tx index (nil if indexing is off) and event bus.
func (n *Node) txIndexer() (txindex.TxIndexer, *cmttypes.EventBus) {
	n.rpcEnvOnce.Do(func() {
		env, err := n.comet.ConfigureRPC()
		if err != nil {
			n.log.Error("REST API: no access to the tx index", "err", err)
			return
		}
		if _, off := env.TxIndexer.(*null.TxIndex); !off {
			n.txIndex, n.eventBus = env.TxIndexer, env.EventBus
		}
	})
	return n.txIndex, n.eventBus
}
