package client

import (
	"context"

	"github.com/depinhq/depin/api/report"
	"github.com/depinhq/depin/api/reward"
	"github.com/depinhq/depin/crypto"
	appv1 "github.com/depinhq/depin/gen/depin/app/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
)

// EvidenceRecord returns one fraud evidence record by its id, or nil.
func (c *Client) EvidenceRecord(ctx context.Context, evidenceID []byte, o QueryOptions) (*reportv1.Evidence, error) {
	var e reportv1.Evidence
	ok, _, err := c.getProto(ctx, report.EvidenceKey(evidenceID), o, &e)
	if !ok || err != nil {
		return nil, err
	}
	return &e, nil
}

// EvidenceIDs lists the ids of the evidence recorded against a device,
// from the device's evidence index (report.DeviceEvidenceKey), in index
// order (by id, not by time).
func (c *Client) EvidenceIDs(ctx context.Context, id crypto.DeviceID) ([][]byte, error) {
	var out [][]byte
	err := c.scan(ctx, &appv1.PrefixQuery{Prefix: report.DeviceEvidencePrefix(id[:])}, 0, func(k, _ []byte) error {
		if evID, ok := report.EvidenceIDFromDeviceKey(id[:], k); ok {
			out = append(out, append([]byte(nil), evID...))
		}
		return nil
	})
	return out, err
}

// FirstEvidence returns the earliest evidence recorded against a device
// (the lowest height; nil if there is none). Only an active device is
// jailed, and a jailed one stays so until deactivated, so for a device
// that is jailed this is the evidence that jailed it.
func (c *Client) FirstEvidence(ctx context.Context, id crypto.DeviceID) (*reportv1.Evidence, error) {
	ids, err := c.EvidenceIDs(ctx, id)
	if err != nil {
		return nil, err
	}
	var first *reportv1.Evidence
	for _, evID := range ids {
		e, err := c.EvidenceRecord(ctx, evID, QueryOptions{})
		if err != nil {
			return nil, err
		}
		if e != nil && (first == nil || e.Height < first.Height) {
			first = e
		}
	}
	return first, nil
}

// RewardJob returns a network's running reward job (the epoch whose
// rewards are being gathered or paid out), or nil if none runs.
func (c *Client) RewardJob(ctx context.Context, net string, o QueryOptions) (*rewardv1.Job, error) {
	var j rewardv1.Job
	ok, _, err := c.getProto(ctx, reward.JobKey(net), o, &j)
	if !ok || err != nil {
		return nil, err
	}
	return &j, nil
}
