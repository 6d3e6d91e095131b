package client

import (
	"context"
	"crypto/ed25519"
	"errors"
	"sync"
	"time"

	"github.com/depinhq/depin/crypto"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
)

// Each submitter of SubmitRounds keeps at most this many txs, and this
// many bytes of them, in the mempool at once: five report batches of 5,000,
// or sixty-four small txs.
const (
	maxInflightTxs   = 64
	maxInflightBytes = 4 << 20
)

// SubmitChunked splits items into chunks of size, builds one tx per chunk with
// build, and has the funders submit them: chunk j goes to funder j mod F,
// each funder in order with its own sequence; it waits until every tx is
// committed and fails on the first failed one.
func (c *Client) SubmitChunked(ctx context.Context, funders []ed25519.PrivateKey, items, size int,
	build func(f ed25519.PrivateKey, lo, hi int) []*txv1.Msg, progress func(string, ...any), what string) error {
	return c.SubmitRounds(ctx, funders, 1, items, size, func(f ed25519.PrivateKey, _, lo, hi int) []*txv1.Msg {
		return build(f, lo, hi)
	}, progress, what)
}

// SubmitRounds is SubmitChunked over rounds of the same items: chunk j of
// every round goes to funder j mod F, which submits its chunks round after
// round, without waiting for a round to be committed (a bounded number of
// its txs in flight). Whatever chunk j of round r+1 carries is therefore
// committed after chunk j of round r: the same signer's sequence orders
// them.
func (c *Client) SubmitRounds(ctx context.Context, funders []ed25519.PrivateKey, rounds, items, size int,
	build func(f ed25519.PrivateKey, round, lo, hi int) []*txv1.Msg, progress func(string, ...any), what string) error {
	report := func(format string, args ...any) {
		if progress != nil {
			progress(format, args...)
		}
	}
	params, err := c.AuthParams(ctx)
	if err != nil {
		return err
	}
	chainID, err := c.ChainID(ctx)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	done := 0
	errc := make(chan error, len(funders))
	var wg sync.WaitGroup
	for fi, f := range funders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			acc, _, err := c.Account(ctx, crypto.AddressFromPubKey(f.Public().(ed25519.PublicKey)), QueryOptions{})
			if err != nil {
				errc <- err
				return
			}
			var seq uint64
			if acc != nil {
				seq = acc.Sequence
			}
			var hashes [][]byte
			var sizes, txBytes []int
			inflight := 0
			for r := 0; r < rounds; r++ {
				for lo := fi * size; lo < items; lo += size * len(funders) {
					hi := min(lo+size, items)
					body := &txv1.TxBody{Messages: build(f, r, lo, hi), Signer: &txv1.SignerInfo{PublicKey: f.Public().(ed25519.PublicKey), Sequence: seq}}
					tx, err := SignWithMinFee(f, chainID, body, params.FeeBase, params.FeePerByte)
					if err != nil {
						errc <- err
						return
					}
					for {
						h, err := c.Broadcast(ctx, tx)
						if err == nil {
							hashes = append(hashes, h)
							sizes = append(sizes, hi-lo)
							txBytes = append(txBytes, len(tx))
							inflight += len(tx)
							break
						}
						if errors.Is(err, ErrMempoolFull) && ctx.Err() == nil {
							time.Sleep(200 * time.Millisecond)
							continue
						}
						errc <- err
						return
					}
					seq++
					// Keep a bounded amount of this funder's txs in flight.
					for len(hashes) > maxInflightTxs || inflight > maxInflightBytes {
						if err := c.waitCommitted(ctx, hashes[0]); err != nil {
							errc <- err
							return
						}
						mu.Lock()
						done += sizes[0]
						report("  %d/%d %s\n", done, rounds*items, what)
						mu.Unlock()
						inflight -= txBytes[0]
						hashes, sizes, txBytes = hashes[1:], sizes[1:], txBytes[1:]
					}
				}
			}
			for i, h := range hashes {
				if err := c.waitCommitted(ctx, h); err != nil {
					errc <- err
					return
				}
				mu.Lock()
				done += sizes[i]
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return err
	}
	report("  %d/%d %s\n", done, rounds*items, what)
	return nil
}

func (c *Client) waitCommitted(ctx context.Context, hash []byte) error {
	_, err := c.WaitTx(ctx, hash, 2*time.Minute)
	return err
}
