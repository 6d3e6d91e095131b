package client

import (
	"context"
	"encoding/binary"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/api/keys"
	"github.com/depinhq/depin/api/vpp"
	"github.com/depinhq/depin/crypto"
	appv1 "github.com/depinhq/depin/gen/depin/app/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	vppv1 "github.com/depinhq/depin/gen/depin/vpp/v1"
)

// Virtual power plants (x/vpp): pools, their members and dispatches, and
// networks' service credits, read through api/vpp's layout. Single
// records take QueryOptions (a height, a proof); lists read one height.

// MaxListedDispatches bounds the dispatches PoolDispatches returns (the
// newest).
const MaxListedDispatches = 1000

// Pool returns a virtual power plant, or nil.
func (c *Client) Pool(ctx context.Context, id uint64, o QueryOptions) (*vppv1.Pool, error) {
	var p vppv1.Pool
	ok, _, err := c.getProto(ctx, vpp.PoolKey(id), o, &p)
	if !ok || err != nil {
		return nil, err
	}
	return &p, nil
}

// Pools returns a network's pools (open and closed), in id order.
func (c *Client) Pools(ctx context.Context, net string) ([]*vppv1.Pool, error) {
	var ids []uint64
	err := c.scan(ctx, &appv1.PrefixQuery{Prefix: vpp.NetPoolsPrefix(net)}, 0, func(k, _ []byte) error {
		if id, ok := keys.LastU64(k); ok {
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]*vppv1.Pool, 0, len(ids))
	for _, id := range ids {
		p, err := c.Pool(ctx, id, QueryOptions{})
		if err != nil {
			return nil, err
		}
		if p != nil {
			out = append(out, p)
		}
	}
	return out, nil
}

// PoolMember returns a device's membership of a pool, or nil if it is not
// a member. With o.Prove it is proven (a device checks the allocation it
// is sent against it).
func (c *Client) PoolMember(ctx context.Context, pool uint64, dev crypto.DeviceID, o QueryOptions) (*vppv1.Member, *KeyResult, error) {
	var m vppv1.Member
	ok, r, err := c.getProto(ctx, vpp.MemberKey(pool, dev), o, &m)
	if !ok || err != nil {
		return nil, r, err
	}
	return &m, r, nil
}

// PoolMembers returns a pool's members, in device-id order.
func (c *Client) PoolMembers(ctx context.Context, pool uint64) ([]*vppv1.Member, error) {
	var out []*vppv1.Member
	err := c.scan(ctx, &appv1.PrefixQuery{Prefix: vpp.MembersPrefix(pool)}, 0, func(_, v []byte) error {
		var m vppv1.Member
		if err := proto.Unmarshal(v, &m); err != nil {
			return err
		}
		out = append(out, &m)
		return nil
	})
	return out, err
}

// Dispatch returns a dispatch (or a challenge), or nil.
func (c *Client) Dispatch(ctx context.Context, id uint64, o QueryOptions) (*vppv1.Dispatch, error) {
	var d vppv1.Dispatch
	ok, _, err := c.getProto(ctx, vpp.DispatchKey(id), o, &d)
	if !ok || err != nil {
		return nil, err
	}
	return &d, nil
}

// PoolDispatches returns a pool's dispatches and challenges, oldest
// first: all of them, or the newest MaxListedDispatches.
func (c *Client) PoolDispatches(ctx context.Context, pool uint64) ([]*vppv1.Dispatch, error) {
	var ids []uint64
	err := c.scan(ctx, &appv1.PrefixQuery{Prefix: vpp.PoolDispatchesPrefix(pool)}, 0, func(k, _ []byte) error {
		if id, ok := keys.LastU64(k); ok {
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	ids = ids[max(0, len(ids)-MaxListedDispatches):]
	out := make([]*vppv1.Dispatch, 0, len(ids))
	for _, id := range ids {
		d, err := c.Dispatch(ctx, id, QueryOptions{})
		if err != nil {
			return nil, err
		}
		if d != nil {
			out = append(out, d)
		}
	}
	return out, nil
}

// Credits returns an account's service credits in a network (0 if it
// has none).
func (c *Client) Credits(ctx context.Context, net string, a crypto.Address, o QueryOptions) (uint64, *KeyResult, error) {
	r, err := c.QueryKey(ctx, vpp.CreditKey(net, a), o)
	if err != nil {
		return 0, nil, err
	}
	if r.Value == nil {
		return 0, r, nil
	}
	if len(r.Value) != 8 {
		return 0, r, fmt.Errorf("credit balance of %d bytes", len(r.Value))
	}
	return binary.BigEndian.Uint64(r.Value), r, nil
}

// CreditBalance is an account's service credits in a network.
type CreditBalance struct {
	Account crypto.Address
	Credits uint64
}

// CreditBalances lists a network's credit balances, in address order.
func (c *Client) CreditBalances(ctx context.Context, net string) ([]CreditBalance, error) {
	prefix := vpp.CreditNetPrefix(net)
	var out []CreditBalance
	err := c.scan(ctx, &appv1.PrefixQuery{Prefix: prefix}, 0, func(k, v []byte) error {
		a, err := crypto.AddressFromBytes(k[len(prefix):])
		if err != nil || len(v) != 8 {
			return fmt.Errorf("credit record %x: not an account's balance", k)
		}
		out = append(out, CreditBalance{Account: a, Credits: binary.BigEndian.Uint64(v)})
		return nil
	})
	return out, err
}

// CreditBooks returns a network's service-credit books: tokens burned,
// credits minted and spent (zero when it never sold any).
func (c *Client) CreditBooks(ctx context.Context, net string, o QueryOptions) (*vppv1.CreditBooks, error) {
	b := &vppv1.CreditBooks{}
	if _, _, err := c.getProto(ctx, vpp.BooksKey(net), o, b); err != nil {
		return nil, err
	}
	return b, nil
}

// VppParams returns a network's flexibility params, or an error wrapping
// vpp.ErrNoVpp if there is no such network or it runs no virtual power
// plants.
func (c *Client) VppParams(ctx context.Context, net string) (*vppv1.VppParams, error) {
	n, err := c.Network(ctx, net, QueryOptions{})
	if err != nil {
		return nil, err
	}
	switch {
	case n == nil:
		return nil, fmt.Errorf("%w: there is no network %q", vpp.ErrNoVpp, net)
	case n.Class != networkv1.ResourceClass_RESOURCE_CLASS_ENERGY || n.Params.GetVpp() == nil:
		return nil, fmt.Errorf("%w: network %q (class %s) has no vpp params", vpp.ErrNoVpp, net, n.Class)
	}
	return n.Params.Vpp, nil
}
