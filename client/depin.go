package client

import (
	"context"
	"encoding/binary"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/api/agreement"
	"github.com/depinhq/depin/api/device"
	"github.com/depinhq/depin/api/network"
	"github.com/depinhq/depin/api/report"
	"github.com/depinhq/depin/api/reward"
	"github.com/depinhq/depin/api/staking"
	"github.com/depinhq/depin/crypto"
	agreementv1 "github.com/depinhq/depin/gen/depin/agreement/v1"
	appv1 "github.com/depinhq/depin/gen/depin/app/v1"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
	stakingv1 "github.com/depinhq/depin/gen/depin/staking/v1"
	"github.com/depinhq/depin/proof"
)

// getProto reads one key into m; it reports false if the key is absent.
func (c *Client) getProto(ctx context.Context, key []byte, o QueryOptions, m proto.Message) (bool, *KeyResult, error) {
	r, err := c.QueryKey(ctx, key, o)
	if err != nil {
		return false, nil, err
	}
	if r.Value == nil {
		return false, r, nil
	}
	return true, r, proto.Unmarshal(r.Value, m)
}

// Network returns a network (nil if there is none).
func (c *Client) Network(ctx context.Context, id string, o QueryOptions) (*networkv1.Network, error) {
	var n networkv1.Network
	ok, _, err := c.getProto(ctx, network.NetworkKey(id), o, &n)
	if !ok || err != nil {
		return nil, err
	}
	return &n, nil
}

// NetworkEpoch returns the epoch of a network's last block step — the
// epoch it is in as far as its modules know (x/network's epoch record) —
// and false if no block has stepped it yet.
func (c *Client) NetworkEpoch(ctx context.Context, id string, o QueryOptions) (uint64, bool, error) {
	r, err := c.QueryKey(ctx, network.EpochKey(id), o)
	if err != nil || r.Value == nil {
		return 0, false, err
	}
	if len(r.Value) != 8 {
		return 0, false, fmt.Errorf("network %s: epoch record of %d bytes", id, len(r.Value))
	}
	return binary.BigEndian.Uint64(r.Value), true, nil
}

// Networks lists every network.
func (c *Client) Networks(ctx context.Context) ([]*networkv1.Network, error) {
	var out []*networkv1.Network
	err := c.scan(ctx, &appv1.PrefixQuery{Prefix: network.NetworkPrefix}, 0, func(k, v []byte) error {
		var n networkv1.Network
		if err := proto.Unmarshal(v, &n); err != nil {
			return err
		}
		out = append(out, &n)
		return nil
	})
	return out, err
}

// Maker returns a network's maker record (nil if none).
func (c *Client) Maker(ctx context.Context, net string, pub []byte) (*networkv1.Maker, error) {
	var m networkv1.Maker
	ok, _, err := c.getProto(ctx, network.MakerKey(net, pub), QueryOptions{}, &m)
	if !ok || err != nil {
		return nil, err
	}
	return &m, nil
}

// Device returns a device (nil if it is not registered).
func (c *Client) Device(ctx context.Context, id crypto.DeviceID, o QueryOptions) (*devicev1.Device, error) {
	var d devicev1.Device
	ok, _, err := c.getProto(ctx, device.Key(id), o, &d)
	if !ok || err != nil {
		return nil, err
	}
	return &d, nil
}

// DeviceFilter selects devices to list: by owner, by network, or by
// network and hex (a cell at any resolution).
type DeviceFilter struct {
	Owner   *crypto.Address
	Network string
	Hex     uint64
	Limit   int // 0 = no limit
}

// Devices lists the ids of devices matching f, in index order.
func (c *Client) Devices(ctx context.Context, f DeviceFilter) ([]crypto.DeviceID, error) {
	var q appv1.PrefixQuery
	switch {
	case f.Owner != nil:
		q.Prefix = device.ByOwnerPrefix(*f.Owner)
	case f.Network != "" && f.Hex != 0:
		q.Prefix = device.ByHexPrefix(f.Network)
		q.Start, q.End = device.HexRange(f.Network, f.Hex)
	case f.Network != "":
		q.Prefix = device.ByNetworkPrefix(f.Network)
	default:
		return nil, errUsage("choose devices by owner, network, or network and hex")
	}
	var out []crypto.DeviceID
	err := c.scan(ctx, &q, f.Limit, func(k, _ []byte) error {
		if id, ok := device.IDFromIndexKey(k); ok {
			out = append(out, id)
		}
		return nil
	})
	return out, err
}

// Work returns a device's work record for an epoch.
func (c *Client) Work(ctx context.Context, net string, epoch uint64, id crypto.DeviceID) (*reportv1.WorkRecord, error) {
	var w reportv1.WorkRecord
	ok, r, err := c.getProto(ctx, report.WorkKey(net, epoch, id), QueryOptions{}, &w)
	if err != nil || ok {
		return &w, err
	}
	// The device's latest epoch is kept in the device record (read at the
	// same height).
	d, err := c.Device(ctx, id, QueryOptions{Height: r.Height})
	if err != nil || d == nil || d.Network != net || d.WorkEpoch != epoch || d.Work == nil {
		return &w, err
	}
	return d.Work, nil
}

// Evidence lists the fraud evidence recorded against a device.
func (c *Client) Evidence(ctx context.Context, id crypto.DeviceID) ([]*reportv1.Evidence, error) {
	var out []*reportv1.Evidence
	err := c.scan(ctx, &appv1.PrefixQuery{Prefix: report.DeviceEvidencePrefix(id[:])}, 0, func(k, _ []byte) error {
		evID, ok := report.EvidenceIDFromDeviceKey(id[:], k)
		if !ok {
			return nil
		}
		var e reportv1.Evidence
		ok, _, err := c.getProto(ctx, report.EvidenceKey(evID), QueryOptions{}, &e)
		if ok && err == nil {
			out = append(out, &e)
		}
		return err
	})
	return out, err
}

// scan pages through a prefix query at one height.
func (c *Client) scan(ctx context.Context, q *appv1.PrefixQuery, limit int, fn func(k, v []byte) error) error {
	var height int64
	seen := 0
	for {
		q.Limit = proof.MaxPrefixLimit
		res, h, err := c.QueryPrefix(ctx, q, height)
		if err != nil {
			return err
		}
		height = h
		for _, p := range res.Pairs {
			if limit > 0 && seen == limit {
				return nil
			}
			if err := fn(p.Key, p.Value); err != nil {
				return err
			}
			seen++
		}
		if !res.More || len(res.Pairs) == 0 {
			return nil
		}
		q.StartAfter = res.Pairs[len(res.Pairs)-1].Key
	}
}

type usageErr string

func (e usageErr) Error() string { return string(e) }

func errUsage(s string) error { return usageErr(s) }

// RewardState returns a network's incentive bookkeeping, or nil.
func (c *Client) RewardState(ctx context.Context, net string, o QueryOptions) (*rewardv1.State, error) {
	var s rewardv1.State
	ok, _, err := c.getProto(ctx, reward.StateKey(net), o, &s)
	if !ok || err != nil {
		return nil, err
	}
	return &s, nil
}

// RewardBreakdown returns why a device earned what it did in an epoch, or
// nil if it earned nothing recorded (no work, or no emission).
func (c *Client) RewardBreakdown(ctx context.Context, net string, epoch uint64, id crypto.DeviceID, o QueryOptions) (*rewardv1.Breakdown, error) {
	var b rewardv1.Breakdown
	ok, _, err := c.getProto(ctx, reward.BreakdownKey(net, epoch, id), o, &b)
	if !ok || err != nil {
		return nil, err
	}
	return &b, nil
}

// Unclaimed returns a device's accrued, unclaimed reward (in its network's
// reward token).
func (c *Client) Unclaimed(ctx context.Context, id crypto.DeviceID, o QueryOptions) (uint64, error) {
	r, err := c.QueryKey(ctx, reward.UnclaimedKey(id), o)
	if err != nil || r.Value == nil {
		return 0, err
	}
	if len(r.Value) != 8 {
		return 0, fmt.Errorf("unclaimed record of %d bytes", len(r.Value))
	}
	return binary.BigEndian.Uint64(r.Value), nil
}

// Validators lists the chain's validator records (staking).
func (c *Client) Validators(ctx context.Context) ([]*stakingv1.Validator, error) {
	var out []*stakingv1.Validator
	err := c.scan(ctx, &appv1.PrefixQuery{Prefix: staking.ValidatorPrefix}, 0, func(_, v []byte) error {
		val := &stakingv1.Validator{}
		if err := proto.Unmarshal(v, val); err != nil {
			return err
		}
		out = append(out, val)
		return nil
	})
	return out, err
}

// Agreement returns a service agreement, or nil.
func (c *Client) Agreement(ctx context.Context, id uint64, o QueryOptions) (*agreementv1.Agreement, error) {
	var a agreementv1.Agreement
	ok, _, err := c.getProto(ctx, agreement.Key(id), o, &a)
	if !ok || err != nil {
		return nil, err
	}
	return &a, nil
}

// AgreementFilter selects agreements to list: by consumer or by provider
// device.
type AgreementFilter struct {
	Consumer *crypto.Address
	Device   *crypto.DeviceID
}

// AgreementIDs lists the ids of the agreements matching f, in id order.
func (c *Client) AgreementIDs(ctx context.Context, f AgreementFilter) ([]uint64, error) {
	var prefix []byte
	switch {
	case f.Consumer != nil:
		prefix = agreement.ByConsumerPrefix(*f.Consumer)
	case f.Device != nil:
		prefix = agreement.ByDevicePrefix(*f.Device)
	default:
		return nil, errUsage("choose agreements by consumer or device")
	}
	var ids []uint64
	err := c.scan(ctx, &appv1.PrefixQuery{Prefix: prefix}, 0, func(k, _ []byte) error {
		if id, ok := agreement.IDFromIndexKey(k); ok {
			ids = append(ids, id)
		}
		return nil
	})
	return ids, err
}

// GetProto reads one key of the latest state into m (false if absent):
// the low-level read under the typed calls, for keys built with the api/
// packages.
func (c *Client) GetProto(ctx context.Context, key []byte, m proto.Message) (bool, error) {
	ok, _, err := c.getProto(ctx, key, QueryOptions{}, m)
	return ok, err
}

// Keys lists the keys under a prefix (at most limit, 0 = all).
func (c *Client) Keys(ctx context.Context, prefix []byte, limit int) ([][]byte, error) {
	var out [][]byte
	err := c.scan(ctx, &appv1.PrefixQuery{Prefix: prefix}, limit, func(k, _ []byte) error {
		out = append(out, append([]byte(nil), k...))
		return nil
	})
	return out, err
}
