package node

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	abci "github.com/cometbft/cometbft/abci/types"
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
	rr, err := n.comet.Mempool().CheckTx(tx, "")
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

// handleTxResult is GET /v1/txs/{hash} (64 hex digits): 200 with the
// committed tx's result, 404 while it is not in a block (yet).
func (n *Node) handleTxResult(w http.ResponseWriter, r *http.Request) {
	hash, err := hex.DecodeString(r.PathValue("hash"))
	if err != nil || len(hash) != 32 {
		writeError(w, http.StatusBadRequest, errs.Wrapf(errs.ErrInvalidQuery, "tx hash must be 64 hex digits"))
		return
	}
	idx := n.txIndexer()
	if idx == nil {
		writeError(w, http.StatusNotImplemented, errors.New("this node does not index txs (tx_index.indexer = \"null\")"))
		return
	}
	res, err := idx.Get(hash)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
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

// txIndexer is CometBFT's tx index, or nil if indexing is off.
func (n *Node) txIndexer() txindex.TxIndexer {
	n.rpcEnvOnce.Do(func() {
		env, err := n.comet.ConfigureRPC()
		if err != nil {
			n.log.Error("REST API: no access to the tx index", "err", err)
			return
		}
		if _, off := env.TxIndexer.(*null.TxIndex); !off {
			n.txIndex = env.TxIndexer
		}
	})
	return n.txIndex
}
