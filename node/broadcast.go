package node

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/cometbft/cometbft/mempool"
	cmttypes "github.com/cometbft/cometbft/types"
)

// TxContentType is the media type of POST /v1/txs bodies: one signed tx,
// its protobuf bytes as they go into a block.
const TxContentType = "application/octet-stream"

// handleBroadcast is POST /v1/txs: the tx goes through the mempool's
// CheckTx exactly as CometBFT's broadcast_tx_sync does it (and is gossiped
// to peers from there). Answers: 200 {"hash"} accepted; 422 {"hash",
// "codespace", "code", "error"} CheckTx rejected it; 409 the node has seen
// this tx; 503 mempool full or node catching up (retry later); 413 larger
// than the mempool's max tx; 400 empty; 415 another content type.
func (n *Node) handleBroadcast(w http.ResponseWriter, r *http.Request) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != TxContentType {
		writeError(w, http.StatusUnsupportedMediaType, fmt.Errorf("send the signed tx as raw bytes with Content-Type: %s", TxContentType))
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
		var full mempool.ErrMempoolIsFull
		var large mempool.ErrTxTooLarge
		switch {
		case errors.Is(err, mempool.ErrTxInCache):
			writeError(w, http.StatusConflict, fmt.Errorf("tx %s already submitted: %w", hash, err))
		case errors.As(err, &full), errors.Is(err, mempool.ErrRecheckFull):
			writeError(w, http.StatusServiceUnavailable, fmt.Errorf("mempool is full; retry later: %w", err))
		case errors.As(err, &large):
			writeError(w, http.StatusRequestEntityTooLarge, err)
		default:
			writeError(w, http.StatusServiceUnavailable, err)
		}
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
		writeError(w, http.StatusServiceUnavailable, err)
		return
	}
	res := rr.Response.GetCheckTx()
	if res.Code != 0 {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"hash": hash, "codespace": res.Codespace, "code": res.Code, "error": res.Log})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"hash": hash})
}
