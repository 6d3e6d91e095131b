package storagenode

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/depinhq/depin/api/storage"
	"github.com/depinhq/depin/crypto"
	storagev1 "github.com/depinhq/depin/gen/depin/storage/v1"
)

// pieceServer serves the piece store over HTTP (api/storage: PiecePath,
// OrderHeader). Every request is judged by its order before anything is
// read or written.
type pieceServer struct {
	store   *Store
	serials *serials
	chainID string
	id      crypto.DeviceID
	devKey  ed25519.PrivateKey
	maxTTL  time.Duration
	now     func() time.Time
	log     *slog.Logger

	leafSize atomic.Uint32 // the network's, for new pieces' roots
	maxPiece atomic.Uint64
	// live are the pieces a live deal references (as of the last garbage
	// collection): anyone may read those, so that a repairer can rebuild
	// a segment (their bytes are ciphertext and their roots are public).
	live atomic.Pointer[map[PieceID]bool]
	// relearn, if set, reads live again from the chain (rate-limited):
	// asked when a piece someone else owns is not known to be live.
	relearn func(context.Context)
}

// public says whether a live deal references piece id.
func (s *pieceServer) public(id PieceID) bool {
	m := s.live.Load()
	return m != nil && (*m)[id]
}

func (s *pieceServer) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /v1/pieces/{id}", s.put)
	mux.HandleFunc("GET /v1/pieces/{id}", s.get) // and HEAD
	mux.HandleFunc("DELETE /v1/pieces/{id}", s.del)
	mux.HandleFunc("GET /v1/status", s.status)
	return mux
}

// Error codes of the HTTP API, with the status each is sent with.
var errorCodes = []struct {
	err    error
	status int
	code   string
}{
	{storage.ErrMalformedOrder, http.StatusBadRequest, "malformed_order"},
	{storage.ErrOrderTooLong, http.StatusBadRequest, "order_too_long"},
	{ErrBadRequest, http.StatusBadRequest, "bad_request"},
	{ErrBodyTooShort, http.StatusBadRequest, "body_too_short"},
	{storage.ErrOrderSignature, http.StatusUnauthorized, "bad_signature"},
	{storage.ErrOrderExpired, http.StatusUnauthorized, "order_expired"},
	{ErrNotOwner, http.StatusForbidden, "not_owner"},
	{ErrNotFound, http.StatusNotFound, "not_found"},
	{ErrReplay, http.StatusConflict, "replayed_order"},
	{ErrPieceExists, http.StatusConflict, "piece_exists"},
	{ErrPieceBusy, http.StatusConflict, "piece_busy"},
	{ErrBodyTooLarge, http.StatusRequestEntityTooLarge, "body_too_large"},
	{ErrPieceTooLarge, http.StatusRequestEntityTooLarge, "piece_too_large"},
	{storage.ErrOrderWrongNode, http.StatusMisdirectedRequest, "wrong_node"},
	{ErrNoSpace, http.StatusInsufficientStorage, "no_space"},
}

// ErrorBody is the JSON body of every refused request.
type ErrorBody struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

func (s *pieceServer) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, code := http.StatusInternalServerError, "internal"
	for _, e := range errorCodes {
		if errors.Is(err, e.err) {
			status, code = e.status, e.code
			break
		}
	}
	msg := err.Error()
	if status == http.StatusInternalServerError {
		s.log.Error("storage request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = "the node failed to handle the request (see its log)"
	} else {
		s.log.Debug("storage request refused", "method", r.Method, "path", r.URL.Path, "code", code, "err", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(ErrorBody{Error: msg, Code: code})
}

// order reads and judges a request's order: well formed, signed by its
// owner for this chain, for this node, not expired, for this piece and
// this action. It does not spend the serial.
func (s *pieceServer) order(r *http.Request, action storagev1.OrderAction) (PieceID, *storage.Order, error) {
	id, err := ParsePieceID(r.PathValue("id"))
	if err != nil {
		return id, nil, err
	}
	h := r.Header.Get(storage.OrderHeader)
	if h == "" {
		return id, nil, fmt.Errorf("%w: no %s header (every request carries an order signed by the piece's owner)", ErrBadRequest, storage.OrderHeader)
	}
	raw, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return id, nil, fmt.Errorf("%w: the %s header is not base64url: %v", storage.ErrMalformedOrder, storage.OrderHeader, err)
	}
	o, err := storage.DecodeOrder(raw)
	if err != nil {
		return id, nil, err
	}
	if err := o.Check(s.chainID, s.id, s.now().Unix(), int64(s.maxTTL/time.Second)); err != nil {
		return id, nil, err
	}
	if o.Action != action {
		return id, nil, fmt.Errorf("%w: a %s order for a %s request", ErrBadRequest, o.Action, r.Method)
	}
	if string(o.PieceId) != string(id[:]) {
		return id, nil, fmt.Errorf("%w: the order is for piece %x, the URL names %s", ErrBadRequest, o.PieceId, id)
	}
	return id, o, nil
}

func (s *pieceServer) spend(o *storage.Order) error {
	return s.serials.use(o.Owner, o.Serial, o.Expires, s.now().Unix())
}

func (s *pieceServer) put(w http.ResponseWriter, r *http.Request) {
	id, o, err := s.order(r, storagev1.OrderAction_ORDER_ACTION_PUT)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if limit := s.maxPiece.Load(); o.Size > limit {
		s.fail(w, r, fmt.Errorf("%w: %d bytes, at most %d", ErrPieceTooLarge, o.Size, limit))
		return
	}
	switch {
	case r.ContentLength > int64(o.Size) || r.ContentLength < -1:
		s.fail(w, r, fmt.Errorf("%w: Content-Length %d, the order says %d", ErrBodyTooLarge, r.ContentLength, o.Size))
		return
	case r.ContentLength >= 0 && r.ContentLength < int64(o.Size):
		s.fail(w, r, fmt.Errorf("%w: Content-Length %d, the order says %d", ErrBodyTooShort, r.ContentLength, o.Size))
		return
	}
	if err := s.spend(o); err != nil {
		s.fail(w, r, err)
		return
	}
	// A body that trickles in holds its reserved capacity: it gets a
	// minute plus what the piece takes at 256 KiB/s, then the read fails.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(time.Minute + time.Duration(o.Size>>18)*time.Second))
	now := s.now()
	p, created, err := s.store.Put(id, o.Owner, o.Size, s.leafSize.Load(), now, r.Body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	receipt, err := storage.SignReceipt(s.devKey, s.chainID, &storagev1.Receipt{PieceId: id[:], Root: p.Root, Size: p.Size,
		Time: now.Unix(), Owner: p.Owner.Bytes(), Serial: o.Serial, LeafSize: p.LeafSize})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Debug("piece stored", "piece", id, "size", p.Size, "owner", p.Owner, "new", created)
	w.Header().Set("Content-Type", "application/x-protobuf")
	if created {
		w.WriteHeader(http.StatusCreated)
	}
	_, _ = w.Write(receipt)
}

func (s *pieceServer) get(w http.ResponseWriter, r *http.Request) {
	id, o, err := s.order(r, storagev1.OrderAction_ORDER_ACTION_GET)
	if err == nil {
		err = s.spend(o)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.store.Open(id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer p.Close()
	if p.Info.Owner != o.Owner && !s.public(id) && s.relearn != nil {
		s.relearn(r.Context())
	}
	if p.Info.Owner != o.Owner && !s.public(id) {
		s.fail(w, r, ErrNotOwner)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", fmt.Sprint(p.Info.Size))
	w.Header().Set(storage.RootHeader, hex.EncodeToString(p.Info.Root))
	if r.Method == http.MethodHead {
		return
	}
	if _, err := io.Copy(w, p); err != nil {
		s.log.Debug("piece download cut short", "piece", id, "err", err)
	}
}

func (s *pieceServer) del(w http.ResponseWriter, r *http.Request) {
	id, o, err := s.order(r, storagev1.OrderAction_ORDER_ACTION_DELETE)
	if err == nil {
		err = s.spend(o)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, ok := s.store.Info(id)
	switch {
	case !ok:
		err = ErrNotFound
	case p.Owner != o.Owner:
		err = ErrNotOwner
	default:
		err = s.store.Delete(id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Debug("piece deleted by its owner", "piece", id)
	w.WriteHeader(http.StatusNoContent)
}

// Status is what GET /v1/status answers.
type Status struct {
	Device   string `json:"device"`
	ChainID  string `json:"chain_id"`
	Capacity uint64 `json:"capacity"`
	Used     uint64 `json:"used"`
	Pieces   uint64 `json:"pieces"`
	LeafSize uint32 `json:"leaf_size"`
}

func (s *pieceServer) status(w http.ResponseWriter, r *http.Request) {
	used, pieces, capacity := s.store.Usage()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(Status{Device: crypto.DeviceString(s.id), ChainID: s.chainID, Capacity: capacity, Used: used,
		Pieces: pieces, LeafSize: s.leafSize.Load()})
}
