package client

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/depinhq/depin/api/compute"
	"github.com/depinhq/depin/api/keys"
	"github.com/depinhq/depin/crypto"
	appv1 "github.com/depinhq/depin/gen/depin/app/v1"
	computev1 "github.com/depinhq/depin/gen/depin/compute/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
)

// Job returns a compute job, or nil.
func (c *Client) Job(ctx context.Context, id uint64, o QueryOptions) (*computev1.Job, error) {
	var j computev1.Job
	ok, _, err := c.getProto(ctx, compute.JobKey(id), o, &j)
	if !ok || err != nil {
		return nil, err
	}
	return &j, nil
}

// Task returns a task of a compute job, or nil.
func (c *Client) Task(ctx context.Context, job uint64, index uint32, o QueryOptions) (*computev1.Task, error) {
	var t computev1.Task
	ok, _, err := c.getProto(ctx, compute.TaskKey(job, index), o, &t)
	if !ok || err != nil {
		return nil, err
	}
	return &t, nil
}

// Tasks returns every task of a compute job, in index order.
func (c *Client) Tasks(ctx context.Context, job uint64) ([]*computev1.Task, error) {
	var out []*computev1.Task
	err := c.scan(ctx, &appv1.PrefixQuery{Prefix: compute.TasksPrefix(job)}, 0, func(_, v []byte) error {
		var t computev1.Task
		if err := proto.Unmarshal(v, &t); err != nil {
			return err
		}
		out = append(out, &t)
		return nil
	})
	return out, err
}

// JobsOf returns a consumer's compute jobs (running and finished), in id
// order.
func (c *Client) JobsOf(ctx context.Context, consumer crypto.Address) ([]*computev1.Job, error) {
	return c.jobsIndexed(ctx, compute.ByConsumerPrefix(consumer))
}

// RunningJobs returns a network's running compute jobs, in id order.
func (c *Client) RunningJobs(ctx context.Context, net string) ([]*computev1.Job, error) {
	return c.jobsIndexed(ctx, compute.RunningNetworkPrefix(net))
}

func (c *Client) jobsIndexed(ctx context.Context, prefix []byte) ([]*computev1.Job, error) {
	var ids []uint64
	err := c.scan(ctx, &appv1.PrefixQuery{Prefix: prefix}, 0, func(k, _ []byte) error {
		if id, ok := keys.LastU64(k); ok {
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]*computev1.Job, 0, len(ids))
	for _, id := range ids {
		j, err := c.Job(ctx, id, QueryOptions{})
		if err != nil {
			return nil, err
		}
		if j != nil {
			out = append(out, j)
		}
	}
	return out, nil
}

// TaskRef names a task of a job.
type TaskRef struct {
	Job  uint64
	Task uint32
}

// Assignments lists the tasks a compute provider is assigned to and has
// not yet seen judged, in (job, task) order.
func (c *Client) Assignments(ctx context.Context, dev crypto.DeviceID) ([]TaskRef, error) {
	var out []TaskRef
	err := c.scan(ctx, &appv1.PrefixQuery{Prefix: compute.AssignmentsPrefix(dev)}, 0, func(k, _ []byte) error {
		if job, task, ok := compute.JobTaskFromKey(k); ok {
			out = append(out, TaskRef{Job: job, Task: task})
		}
		return nil
	})
	return out, err
}

// ProviderStats returns a compute provider's record (zero counts if it
// has none yet).
func (c *Client) ProviderStats(ctx context.Context, id crypto.DeviceID) (*computev1.ProviderStats, error) {
	s := &computev1.ProviderStats{Device: id.Bytes()}
	if _, _, err := c.getProto(ctx, compute.StatsKey(id), QueryOptions{}, s); err != nil {
		return nil, err
	}
	return s, nil
}

// ComputeParams returns a network's compute params, or an error wrapping
// compute.ErrNoCompute if there is no such network or it has no compute
// market.
func (c *Client) ComputeParams(ctx context.Context, net string) (*computev1.ComputeParams, error) {
	n, err := c.Network(ctx, net, QueryOptions{})
	if err != nil {
		return nil, err
	}
	switch {
	case n == nil:
		return nil, fmt.Errorf("%w: there is no network %q", compute.ErrNoCompute, net)
	case n.Class != networkv1.ResourceClass_RESOURCE_CLASS_COMPUTE || n.Params == nil || n.Params.Compute == nil:
		return nil, fmt.Errorf("%w: network %q (class %s)", compute.ErrNoCompute, net, n.Class)
	}
	return n.Params.Compute, nil
}
