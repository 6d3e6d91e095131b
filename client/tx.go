package client

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/depinhq/depin/api/event"

	"github.com/depinhq/depin/api/auth"
	"github.com/depinhq/depin/api/bank"
	"github.com/depinhq/depin/crypto"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
)

// ErrTimeout is returned when a broadcast tx is not committed in time.
var ErrTimeout = errors.New("tx not committed in time")

// TxOptions tune BuildTx. Zero values pick sensible defaults.
type TxOptions struct {
	// Fee in udpin; 0 = the minimum the chain asks for this tx.
	Fee uint64
	// Sequence to sign with; nil = ask the node.
	Sequence *uint64
	Memo     string
}

// BuildTx signs msgs with priv. It asks the node for the chain id, the
// signer's sequence and the fee schedule unless opts say otherwise.
func (c *Client) BuildTx(ctx context.Context, priv ed25519.PrivateKey, msgs []*txv1.Msg, opts TxOptions) ([]byte, error) {
	chainID, err := c.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	pub := priv.Public().(ed25519.PublicKey)
	var seq uint64
	if opts.Sequence != nil {
		seq = *opts.Sequence
	} else {
		acc, _, err := c.Account(ctx, crypto.AddressFromPubKey(pub), QueryOptions{})
		if err != nil {
			return nil, err
		}
		if acc != nil {
			seq = acc.Sequence
		}
	}
	body := &txv1.TxBody{
		Messages: msgs,
		Signer:   &txv1.SignerInfo{PublicKey: pub, Sequence: seq},
		Fee:      bank.Coin(bank.NativeDenom, opts.Fee),
		Memo:     opts.Memo,
	}
	if opts.Fee != 0 {
		return auth.SignTx(priv, chainID, body)
	}
	params, err := c.AuthParams(ctx)
	if err != nil {
		return nil, err
	}
	return SignWithMinFee(priv, chainID, body, params.FeeBase, params.FeePerByte)
}

// SignWithMinFee signs body paying exactly the minimum fee for its size.
// The fee's own encoding changes the size, so it iterates to a fixed point.
func SignWithMinFee(priv ed25519.PrivateKey, chainID string, body *txv1.TxBody, base, perByte uint64) ([]byte, error) {
	body.Fee = bank.Coin(bank.NativeDenom, base)
	for range 4 {
		raw, err := auth.SignTx(priv, chainID, body)
		if err != nil {
			return nil, err
		}
		need := base + perByte*uint64(len(raw))
		if body.Fee.Amount >= need {
			return raw, nil
		}
		body.Fee.Amount = need + perByte*4 // headroom for the varint growing
	}
	return nil, fmt.Errorf("fee did not converge")
}

// Broadcast submits a tx and returns its hash once the node's CheckTx
// accepted it; a CheckTx rejection is returned as a *CodeError.
func (c *Client) Broadcast(ctx context.Context, tx []byte) ([]byte, error) {
	if c.api != "" {
		return c.broadcastREST(ctx, tx)
	}
	var res broadcastResult
	if err := c.call(ctx, "broadcast_tx_sync", map[string]any{"tx": tx}, &res); err != nil {
		return TxHash(tx), broadcastError(err)
	}
	if err := resultError(res.Codespace, res.Code, res.Log); err != nil {
		return res.Hash, err
	}
	return res.Hash, nil
}

// invalidTxRE matches CometBFT's ErrInvalidTx as it arrives over JSON-RPC
// (CometBFT v1 reports a CheckTx rejection of broadcast_tx_sync as an RPC
// error, not as a result code).
var invalidTxRE = regexp.MustCompile(`is invalid: code=(\d+), data=[0-9A-Fa-f]*, log='(?s)(.*)', codespace='([^']*)'`)

// broadcastError classifies a broadcast failure: a CheckTx rejection
// becomes a *CodeError, a full mempool ErrMempoolFull, a tx the node has
// already seen ErrTxInCache, anything else ErrNodeUnreachable.
func broadcastError(err error) error {
	msg := err.Error()
	if m := invalidTxRE.FindStringSubmatch(msg); m != nil {
		code, perr := strconv.ParseUint(m[1], 10, 32)
		if perr == nil && code != 0 {
			return resultError(m[3], uint32(code), m[2])
		}
	}
	switch {
	case strings.Contains(msg, "mempool is full"):
		return fmt.Errorf("%w: %v", ErrMempoolFull, err)
	case strings.Contains(msg, "tx already exists in cache"):
		return fmt.Errorf("%w: %v", ErrTxInCache, err)
	}
	return fmt.Errorf("%w: %v", ErrNodeUnreachable, err)
}

// ErrTxInCache means the node has already seen this exact tx (it is in the
// mempool or was recently committed).
var ErrTxInCache = errors.New("tx already submitted")

// ErrMempoolFull means the node's mempool refused the tx for lack of room;
// retry later.
var ErrMempoolFull = errors.New("mempool is full")

// BroadcastAsync submits a tx without waiting for CheckTx.
func (c *Client) BroadcastAsync(ctx context.Context, tx []byte) error {
	var res broadcastResult
	if err := c.call(ctx, "broadcast_tx_async", map[string]any{"tx": tx}, &res); err != nil {
		return broadcastError(err)
	}
	return nil
}

// TxResult is a committed transaction's outcome.
type TxResult struct {
	Hash   string // hex, upper case as CometBFT shows it
	Height int64
	Code   uint32
	Log    string
	Events []event.Event
}

// maxTxWait is the longest a GET /v1/txs/{hash}?wait= is held by the node
// (the node refuses longer waits: keep it equal to node.maxTxWait).
const maxTxWait = 8 * time.Second

// WaitTx waits until the tx with hash is in a block or timeout passes:
// over the REST API the node answers as soon as the block is committed,
// over RPC it polls.
func (c *Client) WaitTx(ctx context.Context, hash []byte, timeout time.Duration) (*TxResult, error) {
	deadline := time.Now().Add(timeout)
	for {
		if c.api != "" {
			// The node holds the request until the tx is committed (up to
			// maxTxWait), so there is no polling delay.
			start := time.Now()
			res, err := c.txResultREST(ctx, hash, min(time.Until(deadline), maxTxWait))
			if res != nil || (err != nil && !errors.Is(err, ErrNodeUnreachable)) {
				return res, err
			}
			if time.Since(start) >= 100*time.Millisecond && time.Now().Before(deadline) {
				continue // the node waited: ask again at once
			}
		} else if res, err := c.tx(ctx, hash); err == nil {
			r := res.TxResult
			return &TxResult{Hash: strings.ToUpper(hex.EncodeToString(hash)), Height: res.Height, Code: r.Code, Log: r.Log, Events: r.Events}, resultError(r.Codespace, r.Code, r.Log)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%w: %X after %s", ErrTimeout, hash, timeout)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(150 * time.Millisecond):
		}
	}
}

// tx looks a committed tx up through RPC /tx (without its bytes).
func (c *Client) tx(ctx context.Context, hash []byte) (*txResult, error) {
	var res txResult
	if err := c.call(ctx, "tx", map[string]any{"hash": hash, "prove": false}, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// SendTx builds, signs, broadcasts and waits for msgs to be committed.
// A failure in CheckTx or in the block is returned as a *CodeError.
func (c *Client) SendTx(ctx context.Context, priv ed25519.PrivateKey, msgs []*txv1.Msg, opts TxOptions) (*TxResult, error) {
	tx, err := c.BuildTx(ctx, priv, msgs, opts)
	if err != nil {
		return nil, err
	}
	hash, err := c.Broadcast(ctx, tx)
	if err != nil {
		return nil, err
	}
	return c.WaitTx(ctx, hash, 30*time.Second)
}

// TxHash is the hash CometBFT indexes a tx under.
func TxHash(tx []byte) []byte { return Tx(tx).Hash() }

// MsgSend is a bank transfer message.
func MsgSend(from, to crypto.Address, coins ...*bankv1.Coin) *txv1.Msg {
	return &txv1.Msg{Sum: &txv1.Msg_Send{Send: &bankv1.MsgSend{From: from.Bytes(), To: to.Bytes(), Amount: coins}}}
}
