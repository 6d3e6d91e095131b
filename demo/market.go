package demo

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/depinhq/depin/api/market"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/crypto"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	marketv1 "github.com/depinhq/depin/gen/depin/market/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/keystore"
)

// demoFunding is what the demo gives each account it creates (udpin).
const demoFunding = 100_000_000_000

// demoAccounts makes sure the fleets' accounts that are not dev accounts
// exist (unencrypted, in the demo's devnet keystore) and are funded by
// alice, in one transaction, before any fleet starts.
func demoAccounts(ctx context.Context, c *client.Client, ks *keystore.Store, names []string) error {
	alice, err := ks.Load("alice", nil)
	if err != nil {
		return err
	}
	var msgs []*txv1.Msg
	for _, name := range names {
		k, err := ks.Load(name, nil)
		if err != nil {
			if k, err = ks.Add(name, nil); err != nil {
				return fmt.Errorf("creating the demo account %s: %w", name, err)
			}
		}
		bal, _, err := c.Balance(ctx, k.Address, "udpin", client.QueryOptions{})
		if err != nil {
			return err
		}
		if bal < demoFunding/2 {
			msgs = append(msgs, client.MsgSend(alice.Address, k.Address, &bankv1.Coin{Denom: "udpin", Amount: demoFunding}))
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	_, err = c.SendTx(ctx, alice.Private, msgs, client.TxOptions{})
	return err
}

// trade runs the energy market of a meter network: once the fleet's
// meters are registered, their owner places, for every coming interval,
// asks for half of them (exports to sell) and bids for the other half
// (consumption to buy) at prices that wander, so intervals clear at
// varying prices and settle against what the meters prove.
func trade(ctx context.Context, c *client.Client, owner ed25519.PrivateKey, network string, devices int, seed uint64, log *slog.Logger) error {
	ownerAddr := crypto.AddressFromPubKey(owner.Public().(ed25519.PublicKey))
	var ids []crypto.DeviceID
	for len(ids) < devices {
		if err := sleep(ctx, time.Second); err != nil {
			return err
		}
		all, err := c.Devices(ctx, client.DeviceFilter{Owner: &ownerAddr})
		if err != nil {
			continue
		}
		ids = ids[:0]
		for _, id := range all {
			if d, err := c.Device(ctx, id, client.QueryOptions{}); err == nil && d != nil && d.Network == network {
				ids = append(ids, id)
			}
		}
	}
	n, err := c.Network(ctx, network, client.QueryOptions{})
	if err != nil || n == nil || n.Params.Market == nil {
		return fmt.Errorf("network %s has no market (%v)", network, err)
	}
	mp := n.Params.Market
	rng := rand.New(rand.NewPCG(seed, 42))
	mid := 10.0 // the price level wanders around 10 udpin per unit
	var placed uint64
	for {
		st, err := c.Status(ctx)
		if err != nil {
			if err := sleep(ctx, time.Second); err != nil {
				return err
			}
			continue
		}
		next := market.IntervalAt(mp, st.SyncInfo.LatestBlockTime.Unix()) + 1
		if next > placed {
			mid = min(20, max(4, mid+rng.NormFloat64()*1.5))
			var msgs []*txv1.Msg
			for i, id := range ids {
				side, price := marketv1.Side_SIDE_ASK, mid*(0.6+0.5*rng.Float64())
				if i%2 == 1 {
					side, price = marketv1.Side_SIDE_BID, mid*(0.9+0.5*rng.Float64())
				}
				msgs = append(msgs, &txv1.Msg{Sum: &txv1.Msg_PlaceOrder{PlaceOrder: &marketv1.MsgPlaceOrder{
					Owner: ownerAddr.Bytes(), Device: id[:], Side: side, Interval: next, Price: uint64(max(1, price)), Quantity: 1 + rng.Uint64N(6)}}})
			}
			if _, err := c.SendTx(ctx, owner, msgs, client.TxOptions{}); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				log.Warn("demo market: placing orders", "interval", next, "err", err)
			} else {
				placed = next
			}
		}
		if err := sleep(ctx, time.Duration(mp.IntervalSeconds)*time.Second/4); err != nil {
			return err
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
