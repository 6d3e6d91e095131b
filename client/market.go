package client

import (
	"context"

	"github.com/depinhq/depin/api/market"
	"github.com/depinhq/depin/api/share"
	"github.com/depinhq/depin/crypto"
	appv1 "github.com/depinhq/depin/gen/depin/app/v1"
	marketv1 "github.com/depinhq/depin/gen/depin/market/v1"
	sharev1 "github.com/depinhq/depin/gen/depin/share/v1"
)

// MaxListedOrders bounds the orders MarketBook and MarketOrders return.
const MaxListedOrders = 1000

// Order returns a market order, or nil.
func (c *Client) Order(ctx context.Context, id uint64, o QueryOptions) (*marketv1.Order, error) {
	var m marketv1.Order
	ok, _, err := c.getProto(ctx, market.OrderKey(id), o, &m)
	if !ok || err != nil {
		return nil, err
	}
	return &m, nil
}

// MarketBook returns the orders in a network's book for an interval (at
// most MaxListedOrders, in id order); an order that cannot be read is left
// out.
func (c *Client) MarketBook(ctx context.Context, net string, interval uint64) ([]*marketv1.Order, error) {
	return c.ordersUnder(ctx, market.BookPrefixOf(net, interval))
}

// MarketOrders returns a participant's orders (at most MaxListedOrders,
// in id order); an order that cannot be read is left out.
func (c *Client) MarketOrders(ctx context.Context, owner crypto.Address) ([]*marketv1.Order, error) {
	return c.ordersUnder(ctx, market.ByOwnerPrefix(owner))
}

func (c *Client) ordersUnder(ctx context.Context, prefix []byte) ([]*marketv1.Order, error) {
	keys, err := c.Keys(ctx, prefix, MaxListedOrders)
	if err != nil {
		return nil, err
	}
	var out []*marketv1.Order
	for _, k := range keys {
		id, ok := market.IDFromIndexKey(k)
		if !ok {
			continue
		}
		if o, err := c.Order(ctx, id, QueryOptions{}); err == nil && o != nil {
			out = append(out, o)
		}
	}
	return out, nil
}

// Clearing returns the result of a network's interval, or nil if it has
// not been cleared.
func (c *Client) Clearing(ctx context.Context, net string, interval uint64) (*marketv1.Clearing, error) {
	var cl marketv1.Clearing
	ok, _, err := c.getProto(ctx, market.ClearingKey(net, interval), QueryOptions{}, &cl)
	if !ok || err != nil {
		return nil, err
	}
	return &cl, nil
}

// SharePool returns a tokenized device's share pool, or nil if the device
// is not tokenized.
func (c *Client) SharePool(ctx context.Context, id crypto.DeviceID) (*sharev1.Pool, error) {
	var p sharev1.Pool
	ok, _, err := c.getProto(ctx, share.PoolKey(id), QueryOptions{}, &p)
	if !ok || err != nil {
		return nil, err
	}
	return &p, nil
}

// ShareHolder returns a holder's position in a device's shares, or nil
// if it has none recorded.
func (c *Client) ShareHolder(ctx context.Context, id crypto.DeviceID, holder crypto.Address) (*sharev1.Holder, error) {
	var h sharev1.Holder
	ok, _, err := c.getProto(ctx, share.HolderKey(id, holder), QueryOptions{}, &h)
	if !ok || err != nil {
		return nil, err
	}
	return &h, nil
}

// ShareHolders lists the holders with a recorded position in a device's
// shares, in address order.
func (c *Client) ShareHolders(ctx context.Context, id crypto.DeviceID) ([]crypto.Address, error) {
	var out []crypto.Address
	err := c.scan(ctx, &appv1.PrefixQuery{Prefix: share.HoldersPrefix(id)}, 0, func(k, _ []byte) error {
		if a, ok := share.HolderFromKey(k); ok {
			out = append(out, a)
		}
		return nil
	})
	return out, err
}

// Lease returns a device's lease, or nil.
func (c *Client) Lease(ctx context.Context, id crypto.DeviceID) (*sharev1.Lease, error) {
	var l sharev1.Lease
	ok, _, err := c.getProto(ctx, share.LeaseKey(id), QueryOptions{}, &l)
	if !ok || err != nil {
		return nil, err
	}
	return &l, nil
}
