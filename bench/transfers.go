// Package bench runs end-to-end benchmarks against a running node: it
// signs real transactions, submits them over CometBFT's RPC and measures
// what the chain commits, from the blocks themselves.
package bench

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/depinhq/depin/api/bank"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
)

// TransfersConfig configures Transfers.
type TransfersConfig struct {
	Txs      int                // transfers to commit
	Accounts int                // distinct senders
	Workers  int                // concurrent submitters
	Funder   ed25519.PrivateKey // pays for the senders' funding
	Progress io.Writer          // progress lines (nil = none)
	Timeout  time.Duration
}

// DefaultTransfersConfig: 20k transfers from 500 accounts.
func DefaultTransfersConfig() TransfersConfig {
	return TransfersConfig{Txs: 20000, Accounts: 500, Workers: 16, Timeout: 10 * time.Minute}
}

// TransfersResult is what the chain committed.
type TransfersResult struct {
	Txs           int     `json:"txs"`
	Committed     int     `json:"committed"`
	Failed        int     `json:"failed"`
	Blocks        int     `json:"blocks"`
	FirstHeight   int64   `json:"first_height"`
	LastHeight    int64   `json:"last_height"`
	ChainSeconds  float64 `json:"chain_seconds"`  // block time of the last block − of the block before the first
	WallSeconds   float64 `json:"wall_seconds"`   // submission start to last commit seen
	TxsPerSecond  float64 `json:"txs_per_second"` // Committed / ChainSeconds
	MaxBlockTxs   int     `json:"max_block_txs"`
	SubmitRetries int64   `json:"submit_retries"`
}

// Transfers funds cfg.Accounts fresh accounts from cfg.Funder, then has
// them send cfg.Txs one-udpin transfers round-robin, and measures commit
// throughput from block times.
func Transfers(ctx context.Context, c *client.Client, cfg TransfersConfig) (*TransfersResult, error) {
	if cfg.Txs <= 0 || cfg.Accounts <= 0 || cfg.Workers <= 0 {
		return nil, errors.New("txs, accounts and workers must be positive")
	}
	cfg.Accounts = min(cfg.Accounts, cfg.Txs)
	cfg.Workers = min(cfg.Workers, cfg.Accounts)
	progress := func(format string, args ...any) {
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, format, args...)
		}
	}
	chainID, err := c.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	// Block metas (/blockchain), which package client does not read.
	rpc, err := rpchttp.New(c.URL())
	if err != nil {
		return nil, err
	}
	if err := WaitForHeight(ctx, c, 2, time.Minute); err != nil {
		return nil, err
	}
	params, err := c.AuthParams(ctx)
	if err != nil {
		return nil, err
	}
	// Fresh sender keys for this run.
	var base [32]byte
	if _, err := rand.Read(base[:]); err != nil {
		return nil, err
	}
	keys := make([]ed25519.PrivateKey, cfg.Accounts)
	addrs := make([]crypto.Address, cfg.Accounts)
	for i := range keys {
		seed := sha256.Sum256(append(base[:], byte(i), byte(i>>8), byte(i>>16)))
		keys[i] = ed25519.NewKeyFromSeed(seed[:])
		addrs[i] = crypto.AddressFromPubKey(keys[i].Public().(ed25519.PublicKey))
	}
	perAccount := (cfg.Txs + cfg.Accounts - 1) / cfg.Accounts
	// Each sender needs its fees (≤ 2× the minimum for a ~200 B tx) plus
	// what it sends.
	need := uint64(perAccount) * (params.FeeBase + params.FeePerByte*400 + 1)
	progress("funding %d accounts with %d udpin each…\n", cfg.Accounts, need)
	if err := fund(ctx, c, cfg.Funder, addrs, need); err != nil {
		return nil, fmt.Errorf("funding: %w", err)
	}

	// Pre-sign everything so signing does not limit the submit rate.
	progress("signing %d transfers…\n", cfg.Txs)
	txs := make([][][]byte, cfg.Accounts) // per account, in sequence order
	for n := 0; n < cfg.Txs; n++ {
		i := n % cfg.Accounts
		seq := uint64(len(txs[i]))
		body := &txv1.TxBody{
			Messages: []*txv1.Msg{client.MsgSend(addrs[i], addrs[(i+1)%cfg.Accounts], bank.Coin(bank.NativeDenom, 1))},
			Signer:   &txv1.SignerInfo{PublicKey: keys[i].Public().(ed25519.PublicKey), Sequence: seq},
		}
		raw, err := client.SignWithMinFee(keys[i], chainID, body, params.FeeBase, params.FeePerByte)
		if err != nil {
			return nil, err
		}
		txs[i] = append(txs[i], raw)
	}

	st, err := c.Status(ctx)
	if err != nil {
		return nil, err
	}
	startHeight := st.SyncInfo.LatestBlockHeight
	res := &TransfersResult{Txs: cfg.Txs}
	var sent atomic.Int64
	var retries atomic.Int64
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	wallStart := time.Now()
	var wg sync.WaitGroup
	errc := make(chan error, cfg.Workers)
	for w := 0; w < cfg.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Worker w owns accounts w, w+W, …: one account's txs always go
			// out in sequence order from one goroutine.
			for k := 0; k < perAccount; k++ {
				for i := w; i < cfg.Accounts; i += cfg.Workers {
					if k >= len(txs[i]) {
						continue
					}
					for {
						_, err := c.Broadcast(ctx, txs[i][k])
						if err == nil {
							break
						}
						if errors.Is(err, client.ErrMempoolFull) && ctx.Err() == nil {
							retries.Add(1)
							time.Sleep(100 * time.Millisecond)
							continue
						}
						errc <- fmt.Errorf("account %d tx %d: %w", i, k, err)
						return
					}
					sent.Add(1)
				}
			}
		}()
	}

	// Follow the chain (block headers only: cheap for the node) until every
	// transfer is in a block; results are read after the measurement.
	h := startHeight
	var firstTime, lastTime time.Time
	included := 0
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	lastPrint := time.Now()
	for included < cfg.Txs {
		select {
		case err := <-errc:
			cancel()
			wg.Wait()
			return nil, err
		case <-ctx.Done():
			wg.Wait()
			return nil, fmt.Errorf("timed out with %d of %d in blocks: %w", included, cfg.Txs, ctx.Err())
		case <-tick.C:
		}
		st, err := c.Status(ctx)
		if err != nil {
			continue
		}
		for h < st.SyncInfo.LatestBlockHeight {
			top := min(st.SyncInfo.LatestBlockHeight, h+20)
			info, err := rpc.BlockchainInfo(ctx, h+1, top)
			if err != nil {
				break
			}
			metas := info.BlockMetas // newest first
			for i := len(metas) - 1; i >= 0; i-- {
				m := metas[i]
				if m.NumTxs > 0 {
					if res.FirstHeight == 0 {
						res.FirstHeight = m.Header.Height
						prev := m.Header.Height - 1
						if pb, err := c.Block(ctx, prev); err == nil {
							firstTime = pb.Block.Time
						} else {
							firstTime = m.Header.Time
						}
					}
					included += m.NumTxs
					res.Blocks++
					res.LastHeight = m.Header.Height
					lastTime = m.Header.Time
					res.MaxBlockTxs = max(res.MaxBlockTxs, m.NumTxs)
				}
			}
			h = top
		}
		if time.Since(lastPrint) >= time.Second {
			lastPrint = time.Now()
			rate := 0.0
			if s := lastTime.Sub(firstTime).Seconds(); s > 0 {
				rate = float64(included) / s
			}
			progress("sent %d/%d  in blocks %d  height %d  %.0f tx/s\n", sent.Load(), cfg.Txs, included, h, rate)
		}
	}
	res.WallSeconds = time.Since(wallStart).Seconds()
	wg.Wait()
	// Count outcomes.
	for hh := res.FirstHeight; hh <= res.LastHeight; hh++ {
		br, err := c.BlockResults(ctx, hh)
		if err != nil {
			return nil, err
		}
		for _, r := range br.TxResults {
			if r.Code == 0 {
				res.Committed++
			} else {
				res.Failed++
			}
		}
	}
	res.ChainSeconds = lastTime.Sub(firstTime).Seconds()
	if res.ChainSeconds > 0 {
		res.TxsPerSecond = float64(res.Committed) / res.ChainSeconds
	}
	res.SubmitRetries = retries.Load()
	return res, nil
}

// fund sends amount udpin to every address from funder, up to 50 transfers
// per tx, and waits for the last tx to commit.
func fund(ctx context.Context, c *client.Client, funder ed25519.PrivateKey, addrs []crypto.Address, amount uint64) error {
	from := crypto.AddressFromPubKey(funder.Public().(ed25519.PublicKey))
	acc, _, err := c.Account(ctx, from, client.QueryOptions{})
	if err != nil {
		return err
	}
	var seq uint64
	if acc != nil {
		seq = acc.Sequence
	}
	var hashes [][]byte
	for lo := 0; lo < len(addrs); lo += 50 {
		var msgs []*txv1.Msg
		for _, a := range addrs[lo:min(lo+50, len(addrs))] {
			msgs = append(msgs, client.MsgSend(from, a, bank.Coin(bank.NativeDenom, amount)))
		}
		s := seq
		tx, err := c.BuildTx(ctx, funder, msgs, client.TxOptions{Sequence: &s})
		if err != nil {
			return err
		}
		h, err := c.Broadcast(ctx, tx)
		if err != nil {
			return err
		}
		hashes = append(hashes, h)
		seq++
	}
	for _, h := range hashes {
		if _, err := c.WaitTx(ctx, h, time.Minute); err != nil {
			return err
		}
	}
	return nil
}

// WaitForHeight waits until the node has committed block h.
func WaitForHeight(ctx context.Context, c *client.Client, h int64, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		st, err := c.Status(ctx)
		if err == nil && st.SyncInfo.LatestBlockHeight >= h {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("node did not reach height %d within %s", h, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
