package storageclient

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/depinhq/depin/api/storage"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	storagev1 "github.com/depinhq/depin/gen/depin/storage/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
)

// RemoveResult is what Remove did.
type RemoveResult struct {
	Deal     uint64
	Closed   bool   // this call closed the deal (false: it was closed already)
	Refunded uint64 // the escrow returned to the owner
	Denom    string
	Deleted  int // pieces the nodes deleted at once
	Left     int // pieces whose node could not be reached: it deletes them when it sees the deal closed
}

// Remove closes one of the client's deals — the nodes are paid up to
// now and the rest of the escrow comes back — and asks each node to
// delete its pieces at once (a node that cannot be reached deletes them
// when it sees the deal closed on chain).
func (c *Client) Remove(ctx context.Context, id uint64) (*RemoveResult, error) {
	d, err := c.deal(ctx, id)
	if err != nil {
		return nil, err
	}
	out := &RemoveResult{Deal: id, Denom: d.Denom}
	if d.Status == storagev1.DealStatus_DEAL_STATUS_ACTIVE {
		_, err := c.chain.SendTx(ctx, c.cfg.Key, []*txv1.Msg{{Sum: &txv1.Msg_CloseDeal{CloseDeal: &storagev1.MsgCloseDeal{Owner: c.owner.Bytes(), Id: id}}}}, client.TxOptions{})
		if err != nil && !errors.Is(err, storage.ErrDealClosed) {
			return nil, err
		}
		out.Closed = err == nil
		if d, err = c.deal(ctx, id); err != nil {
			return nil, err
		}
	}
	out.Refunded = d.Refunded
	chainID, err := c.chain.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	urls := map[crypto.DeviceID]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, c.cfg.Transfers)
	for _, p := range d.Pieces { // lost ones too: their node may still hold them
		node, _ := crypto.AddressFromBytes(p.Node)
		url, seen := urls[node]
		if !seen {
			if e, err := c.chain.Endpoint(ctx, node); err == nil && e != nil {
				url = e.Url
			}
			urls[node] = url
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			ok := false
			if url != "" {
				res, err := c.request(ctx, chainID, http.MethodDelete, url, node, storage.PieceIDOf(d, p), 0, nil)
				var ne *NodeError
				if err == nil {
					res.Body.Close()
				}
				ok = err == nil || (errors.As(err, &ne) && ne.Status == http.StatusNotFound)
			}
			mu.Lock()
			if ok {
				out.Deleted++
			} else {
				out.Left++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out, nil
}
