package client

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/api/storage"
	"github.com/depinhq/depin/crypto"
	appv1 "github.com/depinhq/depin/gen/depin/app/v1"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	storagev1 "github.com/depinhq/depin/gen/depin/storage/v1"
)

// Deal returns a storage deal, or nil.
func (c *Client) Deal(ctx context.Context, id uint64, o QueryOptions) (*storagev1.Deal, error) {
	var d storagev1.Deal
	ok, _, err := c.getProto(ctx, storage.DealKey(id), o, &d)
	if !ok || err != nil {
		return nil, err
	}
	return &d, nil
}

// DealsOf returns an owner's storage deals (open and closed), in id
// order.
func (c *Client) DealsOf(ctx context.Context, owner crypto.Address) ([]*storagev1.Deal, error) {
	return c.dealsIndexed(ctx, storage.ByOwnerPrefix(owner))
}

// ActiveDeals returns the active storage deals of a network, in id order
// (what a repairer watches).
func (c *Client) ActiveDeals(ctx context.Context, net string) ([]*storagev1.Deal, error) {
	return c.dealsIndexed(ctx, storage.ActiveNetworkPrefix(net))
}

// dealsIndexed reads the deals an index (keys ending in a deal id) lists.
func (c *Client) dealsIndexed(ctx context.Context, prefix []byte) ([]*storagev1.Deal, error) {
	var ids []uint64
	err := c.scan(ctx, &appv1.PrefixQuery{Prefix: prefix}, 0, func(k, _ []byte) error {
		if id, ok := storage.DealIDFromIndexKey(k); ok {
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]*storagev1.Deal, 0, len(ids))
	for _, id := range ids {
		d, err := c.Deal(ctx, id, QueryOptions{})
		if err != nil {
			return nil, err
		}
		if d != nil {
			out = append(out, d)
		}
	}
	return out, nil
}

// Endpoint returns where a storage node serves its pieces, or nil if it
// has announced none.
func (c *Client) Endpoint(ctx context.Context, id crypto.DeviceID) (*storagev1.Endpoint, error) {
	var e storagev1.Endpoint
	ok, _, err := c.getProto(ctx, storage.EndpointKey(id), QueryOptions{}, &e)
	if !ok || err != nil {
		return nil, err
	}
	return &e, nil
}

// EpochPass returns a storage network's running epoch pass (the work
// after an epoch end: lost pieces, payments, then the new epoch's
// challenges, drawn node by node over one or more blocks), or nil if
// none runs.
func (c *Client) EpochPass(ctx context.Context, net string) (*storagev1.EpochPass, error) {
	var p storagev1.EpochPass
	ok, _, err := c.getProto(ctx, storage.PassKey(net), QueryOptions{}, &p)
	if !ok || err != nil {
		return nil, err
	}
	return &p, nil
}

// NodeStats returns a storage node's record in the storage module (zero
// counts if it has none yet).
func (c *Client) NodeStats(ctx context.Context, id crypto.DeviceID) (*storagev1.NodeStats, error) {
	s := &storagev1.NodeStats{Device: id.Bytes()}
	if _, _, err := c.getProto(ctx, storage.StatsKey(id), QueryOptions{}, s); err != nil {
		return nil, err
	}
	return s, nil
}

// StorageParams returns a network's storage params, or an error wrapping
// storage.ErrNoStorage if there is no such network or it has no storage
// market.
func (c *Client) StorageParams(ctx context.Context, net string) (*storagev1.StorageParams, error) {
	n, err := c.Network(ctx, net, QueryOptions{})
	if err != nil {
		return nil, err
	}
	switch {
	case n == nil:
		return nil, fmt.Errorf("%w: there is no network %q", storage.ErrNoStorage, net)
	case n.Class != networkv1.ResourceClass_RESOURCE_CLASS_STORAGE || n.Params == nil || n.Params.Storage == nil:
		return nil, fmt.Errorf("%w: network %q (class %s)", storage.ErrNoStorage, net, n.Class)
	}
	return n.Params.Storage, nil
}

// StorageNode is a device of a storage network as a client choosing
// nodes sees it: its record, where it serves (nil: nowhere yet) and its
// storage record (used bytes, audits, disqualified).
type StorageNode struct {
	ID       crypto.DeviceID
	Device   *devicev1.Device
	Endpoint *storagev1.Endpoint
	Stats    *storagev1.NodeStats
}

// StorageNodes lists the devices of a network with their endpoints and
// storage records, in device-index order.
func (c *Client) StorageNodes(ctx context.Context, net string) ([]StorageNode, error) {
	ids, err := c.Devices(ctx, DeviceFilter{Network: net})
	if err != nil {
		return nil, err
	}
	out := make([]StorageNode, 0, len(ids))
	for _, id := range ids {
		d, err := c.Device(ctx, id, QueryOptions{})
		if err != nil {
			return nil, err
		}
		if d == nil {
			continue
		}
		e, err := c.Endpoint(ctx, id)
		if err != nil {
			return nil, err
		}
		s, err := c.NodeStats(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, StorageNode{ID: id, Device: d, Endpoint: e, Stats: s})
	}
	return out, nil
}

// Challenges returns a network's current audit challenges (those of its
// latest epoch, answered or not), one record per node challenged, in
// node order.
func (c *Client) Challenges(ctx context.Context, net string) ([]*storagev1.NodeChallenges, error) {
	var out []*storagev1.NodeChallenges
	err := c.scan(ctx, &appv1.PrefixQuery{Prefix: storage.NetworkChallengesPrefix(net)}, 0, func(_, v []byte) error {
		var nc storagev1.NodeChallenges
		if err := proto.Unmarshal(v, &nc); err != nil {
			return err
		}
		out = append(out, &nc)
		return nil
	})
	return out, err
}

// NodeChallenge is a challenge to one node with its epoch and the deal it
// is about.
type NodeChallenge struct {
	*storagev1.Challenge
	Epoch uint64
	Deal  *storagev1.Deal
}

// Piece is the challenged piece.
func (c NodeChallenge) Piece() *storagev1.Piece { return c.Deal.Pieces[c.Challenge.Piece] }

// ChallengesFor returns a storage node's current challenges (one record
// read) with their deals (each read once), in (deal, piece) order;
// challenges of a deal that is gone or no longer places the piece on the
// node are left out.
func (c *Client) ChallengesFor(ctx context.Context, node crypto.DeviceID) ([]NodeChallenge, error) {
	d, err := c.Device(ctx, node, QueryOptions{})
	if err != nil || d == nil {
		return nil, err
	}
	var nc storagev1.NodeChallenges
	ok, _, err := c.getProto(ctx, storage.ChallengesKey(d.Network, node), QueryOptions{}, &nc)
	if !ok || err != nil {
		return nil, err
	}
	deals := map[uint64]*storagev1.Deal{}
	var out []NodeChallenge
	for _, ch := range nc.Challenges {
		deal, seen := deals[ch.Deal]
		if !seen {
			if deal, err = c.Deal(ctx, ch.Deal, QueryOptions{}); err != nil {
				return nil, err
			}
			deals[ch.Deal] = deal
		}
		if deal == nil || int(ch.Piece) >= len(deal.Pieces) || string(deal.Pieces[ch.Piece].Node) != string(node[:]) {
			continue
		}
		out = append(out, NodeChallenge{Challenge: ch, Epoch: nc.Epoch, Deal: deal})
	}
	return out, nil
}

// PieceRef names a live piece of a deal.
type PieceRef struct {
	Deal  uint64
	Piece uint32 // index into Deal.pieces
}

// NodePieces lists the live pieces a storage node of network net holds
// for the chain (what it is audited on and paid for), in (deal, piece)
// order.
func (c *Client) NodePieces(ctx context.Context, net string, node crypto.DeviceID) ([]PieceRef, error) {
	var out []PieceRef
	err := c.scan(ctx, &appv1.PrefixQuery{Prefix: storage.NodePiecesPrefix(net, node)}, 0, func(k, _ []byte) error {
		if _, deal, piece, ok := storage.PieceFromKey(net, k); ok {
			out = append(out, PieceRef{Deal: deal, Piece: piece})
		}
		return nil
	})
	return out, err
}
