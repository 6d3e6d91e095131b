// Package compute is the compute market: consumers submit deterministic
// WebAssembly jobs to a COMPUTE network, the chain assigns each task to
// `replicas` provider devices of distinct owners (drawn from the block
// hash, weighted by certified capacity and reputation), providers commit
// to a hash of their output and then reveal it, and the chain pays the
// providers whose output a strict majority agrees on from the job's
// escrow. A provider the majority outvotes is slashed and loses
// reputation; one that misses its commit or reveal window loses
// reputation. A task without a majority gets a second round of
// replicas+1 fresh providers; without one again it fails. What is not
// paid returns to the consumer when the job ends.
//
// The chain never runs a module: providers do (compute/sandbox), and the
// chain only compares hashes.
package compute

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sort"

	api "github.com/depinhq/depin/api/compute"
	apidevice "github.com/depinhq/depin/api/device"
	"github.com/depinhq/depin/api/keys"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/errs"
	computev1 "github.com/depinhq/depin/gen/depin/compute/v1"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	networkv1 "github.com/depinhq/depin/gen/depin/network/v1"
	"github.com/depinhq/depin/state"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/bank"
	"github.com/depinhq/depin/x/device"
	"github.com/depinhq/depin/x/fixed"
	"github.com/depinhq/depin/x/network"
)

// Escrow holds the funds of running jobs.
var Escrow = crypto.ModuleAddress("compute_escrow")

// MaxCandidates bounds the providers one assignment looks at: a window of
// the network's devices starting at a place drawn from the seed, so that
// a job's cost does not grow with the network and every provider gets
// its turn.
const MaxCandidates = 256

// DefaultBlockBudget bounds how many task timers (closing commit or
// reveal windows, job deadlines) one block handles over every network;
// the rest wait for the next block.
const DefaultBlockBudget = 2_000

// Keeper runs compute jobs.
type Keeper struct {
	Bank    bank.Keeper
	Network network.Keeper
	Device  device.Keeper
	// BlockBudget bounds the timers one block handles (0:
	// DefaultBlockBudget). Every validator must use the same.
	BlockBudget int
}

// Budget is the per-block timer budget.
func (k Keeper) Budget() int {
	if k.BlockBudget > 0 {
		return k.BlockBudget
	}
	return DefaultBlockBudget
}

// Job returns a job, or nil.
func (Keeper) Job(r store.Reader, id uint64) *computev1.Job {
	return state.Load[computev1.Job](r, api.JobKey(id))
}

// Task returns a job's task, or nil.
func (Keeper) Task(r store.Reader, job uint64, task uint32) *computev1.Task {
	return state.Load[computev1.Task](r, api.TaskKey(job, task))
}

// Stats returns a provider's compute record (zero if none).
func (Keeper) Stats(r store.Reader, id crypto.DeviceID) *computev1.ProviderStats {
	if s := state.Load[computev1.ProviderStats](r, api.StatsKey(id)); s != nil {
		return s
	}
	return &computev1.ProviderStats{Device: id.Bytes()}
}

func (Keeper) setStats(kv store.KV, s *computev1.ProviderStats) {
	id, _ := crypto.AddressFromBytes(s.Device)
	kv.Set(api.StatsKey(id), state.Marshal(s))
}

func (Keeper) setJob(kv store.KV, j *computev1.Job) { kv.Set(api.JobKey(j.Id), state.Marshal(j)) }
func (Keeper) setTask(kv store.KV, t *computev1.Task) {
	kv.Set(api.TaskKey(t.Job, t.Index), state.Marshal(t))
}

// computeNetwork returns an active COMPUTE network with compute params.
func (k Keeper) computeNetwork(ctx state.Context, id string) (*networkv1.Network, *computev1.ComputeParams, error) {
	n, err := k.Network.Active(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if n.Class != networkv1.ResourceClass_RESOURCE_CLASS_COMPUTE || n.Params.Compute == nil {
		return nil, nil, fmt.Errorf("%w: %s (class %s)", api.ErrNoCompute, id, n.Class)
	}
	return n, n.Params.Compute, nil
}

// SubmitJob escrows a job's price and assigns its tasks.
func (k Keeper) SubmitJob(ctx state.Context, signer crypto.Address, m *computev1.MsgSubmitJob) (uint64, error) {
	n, cp, err := k.computeNetwork(ctx, m.Network)
	if err != nil {
		return 0, err
	}
	bad := func(format string, a ...any) (uint64, error) {
		return 0, fmt.Errorf("%w: %s", api.ErrInvalidJob, fmt.Sprintf(format, a...))
	}
	if err := api.ValidateBlob(m.Module, cp.MaxInlineBytes); err != nil {
		return bad("module: %v", err)
	}
	if m.Module.Name != "" {
		return bad("the module has a name (%q): only inputs do", m.Module.Name)
	}
	if len(m.Inputs) > api.MaxInputs {
		return bad("%d inputs, at most %d", len(m.Inputs), api.MaxInputs)
	}
	names := map[string]bool{}
	inline := len(m.Module.Inline)
	for i, in := range m.Inputs {
		if err := api.ValidateBlob(in, cp.MaxInlineBytes); err != nil {
			return bad("input %d: %v", i, err)
		}
		if err := api.ValidateName(in.Name); err != nil {
			return bad("input %d: %v", i, err)
		}
		if names[in.Name] {
			return bad("two inputs named %q", in.Name)
		}
		names[in.Name] = true
		inline += len(in.Inline)
	}
	if inline > int(cp.MaxInlineBytes) {
		return bad("%d inline bytes in all, the network takes at most %d per job", inline, cp.MaxInlineBytes)
	}
	if err := api.ValidateArgs(m.Args); err != nil {
		return bad("%v", err)
	}
	l := m.Limits
	switch {
	case m.Tasks == 0 || m.Tasks > cp.MaxTasks:
		return bad("%d tasks (1..%d)", m.Tasks, cp.MaxTasks)
	case m.Replicas < api.MinReplicas || m.Replicas > cp.MaxReplicas:
		return bad("%d replicas (%d..%d): results are verified by a majority of replicas", m.Replicas, api.MinReplicas, cp.MaxReplicas)
	case uint64(m.Tasks)*uint64(m.Replicas) > api.MaxAssignments:
		return bad("%d tasks × %d replicas: at most %d assignments per job (split the work into several jobs)", m.Tasks, m.Replicas, api.MaxAssignments)
	case l == nil || l.MemoryBytes == 0 || l.MemoryBytes > cp.MaxMemoryBytes:
		return bad("memory limit %d bytes (1..%d)", l.GetMemoryBytes(), cp.MaxMemoryBytes)
	case l.TimeoutMs == 0 || l.TimeoutMs > cp.MaxTimeoutMs:
		return bad("time limit %d ms (1..%d)", l.TimeoutMs, cp.MaxTimeoutMs)
	case l.MaxOutputBytes == 0 || l.MaxOutputBytes > cp.MaxOutputBytes:
		return bad("output limit %d bytes (1..%d)", l.MaxOutputBytes, cp.MaxOutputBytes)
	case m.PricePerTask < cp.MinPricePerTask:
		return bad("price %d %s per task, the network's minimum is %d", m.PricePerTask, cp.Denom, cp.MinPricePerTask)
	case m.DeadlineSeconds < cp.CommitSeconds+cp.RevealSeconds || m.DeadlineSeconds > cp.MaxDeadlineSeconds:
		return bad("deadline %d s (%d..%d: at least one commit and reveal window)", m.DeadlineSeconds, cp.CommitSeconds+cp.RevealSeconds, cp.MaxDeadlineSeconds)
	}
	escrow, ok := api.Escrow(m.Tasks, m.Replicas, m.PricePerTask)
	if !ok {
		return bad("the escrow of %d tasks × %d replicas at %d overflows", m.Tasks, m.Replicas, m.PricePerTask)
	}
	if m.MaxEscrow != 0 && escrow > m.MaxEscrow {
		return 0, fmt.Errorf("%w: %d tasks × (2 × %d replicas + 1) × %d %s = %d, more than max_escrow %d", api.ErrEscrowTooHigh, m.Tasks, m.Replicas, m.PricePerTask, cp.Denom, escrow, m.MaxEscrow)
	}
	id := state.NextSeq(ctx.KV, api.SeqKey)
	now := ctx.Time.Unix()
	job := &computev1.Job{Id: id, Consumer: signer.Bytes(), Network: n.Id, Module: m.Module, Inputs: m.Inputs, Args: m.Args,
		Tasks: m.Tasks, Replicas: m.Replicas, Limits: l, Denom: cp.Denom, PricePerTask: m.PricePerTask, Escrow: escrow,
		SubmitTime: now, Deadline: now + int64(m.DeadlineSeconds), CommitSeconds: uint32(cp.CommitSeconds), RevealSeconds: uint32(cp.RevealSeconds),
		SlashBps: cp.SlashBps, Status: computev1.JobStatus_JOB_STATUS_RUNNING}
	if err := k.Bank.Send(ctx, signer, Escrow, bank.Coins(cp.Denom, escrow), "compute_escrow"); err != nil {
		return 0, err
	}
	k.setJob(ctx.KV, job)
	ctx.KV.Set(api.ConsumerIndexKey(signer, id), []byte{})
	ctx.KV.Set(api.RunningKey(n.Id, id), []byte{})
	ctx.KV.Set(api.TimerKey(n.Id, job.Deadline, id, api.JobTimer), []byte{})
	// The tasks are assigned by the block step, from the hash of a block
	// after this one and under a per-block budget: what this tx writes does
	// not grow with the job.
	ctx.KV.Set(api.QueueKey(n.Id, id), []byte{})
	ctx.Emit(&computev1.EventJobSubmitted{Id: id, Consumer: signer.String(), Network: n.Id, Tasks: m.Tasks, Replicas: m.Replicas,
		Escrow: escrow, Denom: cp.Denom, ModuleSha256: m.Module.Sha256})
	return id, nil
}

// assignCost is what building a job's candidate pool costs, in budget
// units (one unit: one assignment).
const assignCost = 16

// assign gives the queued jobs' tasks their first round, oldest job
// first, while *budget lasts; a task that finds fewer providers of
// distinct owners than the job's replicas fails at once.
func (k Keeper) assign(ctx state.Context, n *networkv1.Network, budget *int) error {
	var queued []uint64
	for key := range store.Prefix(ctx.KV, api.QueueNetworkPrefix(n.Id)) {
		if len(queued) >= *budget/assignCost+1 {
			break
		}
		if id, ok := keys.LastU64(key); ok {
			queued = append(queued, id)
		}
	}
	for _, id := range queued {
		if *budget <= 0 {
			return nil
		}
		job := k.Job(ctx.KV, id)
		if job == nil || job.Status != computev1.JobStatus_JOB_STATUS_RUNNING || job.Assigned >= job.Tasks {
			ctx.KV.Delete(api.QueueKey(n.Id, id))
			continue
		}
		*budget -= assignCost
		pool := k.candidates(ctx.KV, n, seed(ctx, "job", id, job.Assigned), nil)
		// A block takes at least one task of the oldest job, however small
		// the budget: every job moves.
		for job.Assigned < job.Tasks && *budget > -assignCost && job.Status == computev1.JobStatus_JOB_STATUS_RUNNING {
			t := &computev1.Task{Job: id, Index: job.Assigned}
			job.Assigned++
			*budget -= int(job.Replicas)
			devs := pool.draw(seed(ctx, "task", id, t.Index), int(job.Replicas))
			if len(devs) < int(job.Replicas) {
				if err := k.fail(ctx, job, t, fmt.Sprintf("network %s has %d active providers of distinct owners within reach, the job asks for %d replicas", n.Id, len(devs), job.Replicas), false); err != nil {
					return err
				}
				continue
			}
			k.startRound(ctx, job, t, devs)
		}
		if job.Assigned >= job.Tasks {
			ctx.KV.Delete(api.QueueKey(n.Id, id))
		}
		if job.Status == computev1.JobStatus_JOB_STATUS_RUNNING {
			k.setJob(ctx.KV, job)
		}
	}
	return nil
}

// startRound assigns a task's next round to devs and opens its commit
// window.
func (k Keeper) startRound(ctx state.Context, job *computev1.Job, t *computev1.Task, devs []crypto.DeviceID) {
	t.Round++
	t.Status = computev1.TaskStatus_TASK_STATUS_COMMIT
	t.Assignments = t.Assignments[:0]
	t.CommitDeadline = ctx.Time.Unix() + int64(job.CommitSeconds)
	t.RevealDeadline = 0
	names := make([]string, len(devs))
	for i, d := range devs {
		t.Assignments = append(t.Assignments, &computev1.Assignment{Device: d.Bytes()})
		ctx.KV.Set(api.AssignmentKey(d, t.Job, t.Index), []byte{})
		st := k.Stats(ctx.KV, d)
		st.Assigned++
		k.setStats(ctx.KV, st)
		names[i] = crypto.DeviceString(d)
	}
	ctx.KV.Set(api.TimerKey(job.Network, t.CommitDeadline, t.Job, t.Index), []byte{})
	k.setTask(ctx.KV, t)
	ctx.Emit(&computev1.EventTaskAssigned{Job: t.Job, Task: t.Index, Round: t.Round, Devices: names, CommitDeadline: t.CommitDeadline})
}

// seed is the assignment seed of a job's task: the block hash (nobody
// knows it before the block) and the job and task.
func seed(ctx state.Context, what string, job uint64, task uint32) []byte {
	h := sha256.New()
	h.Write([]byte("depin/compute/assign/v1\x00"))
	h.Write([]byte(what))
	h.Write(ctx.BlockHash)
	h.Write(binary.BigEndian.AppendUint64(nil, job))
	h.Write(binary.BigEndian.AppendUint32(nil, task))
	return h.Sum(nil)
}

// candidate is a provider a task may be assigned to.
type candidate struct {
	id       crypto.DeviceID
	owner    crypto.Address
	weight   uint64 // capacity × reputation (ppm), at least 1
	assigned uint64 // tasks it has not yet seen judged
}

type pool []candidate

// candidates reads up to MaxCandidates active devices of network n, not
// in excluded, from a place in the network's device index drawn from
// seed (wrapping around).
func (k Keeper) candidates(r store.Reader, n *networkv1.Network, seed []byte, excluded map[crypto.DeviceID]bool) pool {
	prefix := apidevice.ByNetworkPrefix(n.Id)
	start := append(bytes.Clone(prefix), seed[:crypto.AddressLen]...)
	rp := network.RewardsOf(n.Params)
	var out pool
	take := func(lo, hi []byte) {
		for key := range store.Range(r, lo, hi) {
			if len(out) >= MaxCandidates {
				return
			}
			id, ok := apidevice.IDFromIndexKey(key)
			if !ok || excluded[id] {
				continue
			}
			d := k.Device.Get(r, id)
			if d == nil || d.Status != devicev1.DeviceStatus_DEVICE_STATUS_ACTIVE {
				continue
			}
			owner, _ := crypto.AddressFromBytes(d.Owner)
			rep := device.ReputationOf(d, rp)
			ppm := uint64(fixed.PPM)
			if s := rep.Alpha + rep.Beta; s > 0 {
				ppm = fixed.Frac(rep.Alpha, fixed.PPM, s)
			}
			w := max(1, min(d.Capacity, 1_000_000)*ppm/1000)
			out = append(out, candidate{id: id, owner: owner, weight: w, assigned: k.Stats(r, id).Assigned})
		}
	}
	take(start, store.PrefixEnd(prefix))
	take(prefix, start)
	// One order whatever the window: by id.
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i].id[:], out[j].id[:]) < 0 })
	return out
}

// draw picks up to n candidates of distinct owners, each with chance
// proportional to its weight divided by one more than the tasks it has
// (so a job's tasks spread over its providers instead of queueing on a
// few), and counts the picks as assigned.
func (p pool) draw(seed []byte, n int) []crypto.DeviceID {
	left := make([]int, len(p))
	for i := range left {
		left[i] = i
	}
	eff := func(i int) uint64 { return max(1, p[i].weight/(1+p[i].assigned)) }
	var out []crypto.DeviceID
	for i := 0; len(out) < n && len(left) > 0; i++ {
		var total uint64
		for _, c := range left {
			total += eff(c) // ≤ 256 × 10^9
		}
		h := sha256.Sum256(append(bytes.Clone(seed), byte(i)))
		x := binary.BigEndian.Uint64(h[:8]) % total
		pick := 0
		for j, c := range left {
			if x < eff(c) {
				pick = j
				break
			}
			x -= eff(c)
		}
		chosen := p[left[pick]]
		p[left[pick]].assigned++
		out = append(out, chosen.id)
		kept := left[:0]
		for _, c := range left {
			if p[c].owner != chosen.owner {
				kept = append(kept, c)
			}
		}
		left = kept
	}
	return out
}

// assignment returns the signer's device's assignment in a task's round.
func (k Keeper) assignment(ctx state.Context, signer crypto.Address, rawDev []byte, jobID uint64, index uint32) (*computev1.Job, *computev1.Task, *computev1.Assignment, crypto.DeviceID, error) {
	_, dev, err := k.Device.Owned(ctx.KV, signer, rawDev)
	if err != nil {
		return nil, nil, nil, dev, err
	}
	job := k.Job(ctx.KV, jobID)
	if job == nil {
		return nil, nil, nil, dev, fmt.Errorf("%w: %d", api.ErrUnknownJob, jobID)
	}
	if job.Status != computev1.JobStatus_JOB_STATUS_RUNNING {
		return nil, nil, nil, dev, fmt.Errorf("%w: job %d is %s", api.ErrJobDone, jobID, job.Status)
	}
	if index >= job.Tasks {
		return nil, nil, nil, dev, fmt.Errorf("%w: job %d has %d tasks, not task %d", api.ErrInvalidJob, jobID, job.Tasks, index)
	}
	t := k.Task(ctx.KV, jobID, index)
	if t == nil {
		return nil, nil, nil, dev, fmt.Errorf("%w: job %d task %d is not assigned yet", api.ErrNotAssigned, jobID, index)
	}
	for _, a := range t.Assignments {
		if bytes.Equal(a.Device, dev[:]) {
			return job, t, a, dev, nil
		}
	}
	return nil, nil, nil, dev, fmt.Errorf("%w: %s is not assigned to job %d task %d (round %d)", api.ErrNotAssigned, crypto.DeviceString(dev), jobID, index, t.Round)
}

// CommitResult records a provider's commitment to its output. When every
// provider of the round has committed, the reveal window opens at once.
func (k Keeper) CommitResult(ctx state.Context, signer crypto.Address, m *computev1.MsgCommitResult) error {
	job, t, a, dev, err := k.assignment(ctx, signer, m.Device, m.Job, m.Task)
	if err != nil {
		return err
	}
	switch {
	case len(m.Commitment) != api.HashLen:
		return fmt.Errorf("%w: a commitment of %d bytes, want %d", api.ErrInvalidJob, len(m.Commitment), api.HashLen)
	case t.Status != computev1.TaskStatus_TASK_STATUS_COMMIT:
		return fmt.Errorf("%w: job %d task %d is %s", api.ErrWrongPhase, m.Job, m.Task, t.Status)
	case ctx.Time.Unix() >= t.CommitDeadline:
		return fmt.Errorf("%w: job %d task %d: its commit window closed at %d", api.ErrWrongPhase, m.Job, m.Task, t.CommitDeadline)
	case len(a.Commitment) != 0:
		return fmt.Errorf("%w: %s already committed to job %d task %d", api.ErrWrongPhase, crypto.DeviceString(dev), m.Job, m.Task)
	}
	a.Commitment = bytes.Clone(m.Commitment)
	ctx.Emit(&computev1.EventResultCommitted{Job: m.Job, Task: m.Task, Device: crypto.DeviceString(dev)})
	all := true
	for _, x := range t.Assignments {
		all = all && len(x.Commitment) != 0
	}
	if all {
		ctx.KV.Delete(api.TimerKey(job.Network, t.CommitDeadline, t.Job, t.Index))
		k.openReveal(ctx, job, t)
	}
	k.setTask(ctx.KV, t)
	return nil
}

// openReveal closes a task's commit window: providers that did not
// commit missed it; the reveal window opens.
func (k Keeper) openReveal(ctx state.Context, job *computev1.Job, t *computev1.Task) {
	t.Status = computev1.TaskStatus_TASK_STATUS_REVEAL
	t.RevealDeadline = ctx.Time.Unix() + int64(job.RevealSeconds)
	ctx.KV.Set(api.TimerKey(job.Network, t.RevealDeadline, t.Job, t.Index), []byte{})
}

// RevealResult opens a provider's commitment. When every provider that
// committed has revealed, the task is judged at once.
func (k Keeper) RevealResult(ctx state.Context, signer crypto.Address, m *computev1.MsgRevealResult) error {
	job, t, a, dev, err := k.assignment(ctx, signer, m.Device, m.Job, m.Task)
	if err != nil {
		return err
	}
	switch {
	case t.Status != computev1.TaskStatus_TASK_STATUS_REVEAL:
		return fmt.Errorf("%w: job %d task %d is %s (reveals come after every commitment or the commit window)", api.ErrWrongPhase, m.Job, m.Task, t.Status)
	case len(a.Commitment) == 0:
		return fmt.Errorf("%w: %s made no commitment to job %d task %d", api.ErrWrongPhase, crypto.DeviceString(dev), m.Job, m.Task)
	case len(a.OutputHash) != 0:
		return fmt.Errorf("%w: %s already revealed job %d task %d", api.ErrWrongPhase, crypto.DeviceString(dev), m.Job, m.Task)
	case len(m.OutputHash) != api.HashLen || len(m.Salt) < api.MinSaltLen || len(m.Salt) > api.MaxSaltLen:
		return fmt.Errorf("%w: an output hash of %d bytes (want %d) and a salt of %d (want %d..%d)", api.ErrBadReveal, len(m.OutputHash), api.HashLen, len(m.Salt), api.MinSaltLen, api.MaxSaltLen)
	case len(m.Output) > int(job.Limits.MaxOutputBytes):
		return fmt.Errorf("%w: %d bytes of output, the job takes at most %d", api.ErrBadReveal, len(m.Output), job.Limits.MaxOutputBytes)
	}
	if sum := sha256.Sum256(m.Output); !bytes.Equal(sum[:], m.OutputHash) {
		return fmt.Errorf("%w: the output does not hash to output_hash", api.ErrBadReveal)
	}
	if !bytes.Equal(api.Commitment(m.OutputHash, dev, m.Salt), a.Commitment) {
		return fmt.Errorf("%w: SHA-256 of the output hash, device and salt is not what %s committed to", api.ErrBadReveal, crypto.DeviceString(dev))
	}
	if ctx.Time.Unix() >= t.RevealDeadline {
		return fmt.Errorf("%w: job %d task %d: its reveal window closed at %d", api.ErrWrongPhase, m.Job, m.Task, t.RevealDeadline)
	}
	a.OutputHash, a.Salt, a.Output = bytes.Clone(m.OutputHash), bytes.Clone(m.Salt), bytes.Clone(m.Output)
	ctx.Emit(&computev1.EventResultRevealed{Job: m.Job, Task: m.Task, Device: crypto.DeviceString(dev), OutputHash: m.OutputHash})
	all := true
	for _, x := range t.Assignments {
		all = all && (len(x.Commitment) == 0 || len(x.OutputHash) != 0)
	}
	if all {
		ctx.KV.Delete(api.TimerKey(job.Network, t.RevealDeadline, t.Job, t.Index))
		return k.judge(ctx, job, t, false)
	}
	k.setTask(ctx.KV, t)
	return nil
}

// judge decides a task's round: the output a strict majority of the
// round's providers revealed is the result; they are paid, the others
// penalized. Without a majority the first round is followed by a second
// of replicas+1 fresh providers (unless final: the job is ending), and
// the second fails the task.
func (k Keeper) judge(ctx state.Context, job *computev1.Job, t *computev1.Task, final bool) error {
	n := k.Network.Current(ctx, job.Network)
	rp := network.RewardsOf(n.GetParams())
	votes := map[string]int{}
	for _, a := range t.Assignments {
		if len(a.OutputHash) != 0 {
			votes[string(a.OutputHash)]++
		}
	}
	var winner []byte
	for h, c := range votes {
		if 2*c > len(t.Assignments) {
			winner = []byte(h)
		}
	}
	agreed := uint32(0)
	for _, a := range t.Assignments {
		dev, _ := crypto.AddressFromBytes(a.Device)
		ctx.KV.Delete(api.AssignmentKey(dev, t.Job, t.Index))
		st := k.Stats(ctx.KV, dev)
		st.Assigned -= min(st.Assigned, 1)
		d := k.Device.Get(ctx.KV, dev)
		switch {
		case winner != nil && bytes.Equal(a.OutputHash, winner):
			agreed++
			st.TasksAgreed++
			if t.Output == nil {
				t.Output = a.Output
			}
			if d != nil {
				device.Observe(d, rp, true)
				k.Device.Set(ctx.KV, d)
				owner, _ := crypto.AddressFromBytes(d.Owner)
				amount := min(job.PricePerTask, job.Escrow-job.Paid)
				if amount > 0 {
					if err := k.Bank.Send(ctx, Escrow, owner, bank.Coins(job.Denom, amount), "compute_payment"); err != nil {
						return err
					}
					job.Paid += amount
					st.Earned = fixed.SatAdd(st.Earned, amount)
					ctx.Emit(&computev1.EventProviderPaid{Job: t.Job, Task: t.Index, Device: crypto.DeviceString(dev), Owner: owner.String(), Amount: amount, Denom: job.Denom})
				}
			}
		case winner != nil && len(a.OutputHash) != 0:
			// Outvoted: it revealed an output the majority did not.
			st.TasksOutvoted++
			var slashed uint64
			if d != nil {
				before := d.Stake
				device.Observe(d, rp, false)
				k.Device.Slash(ctx, d, dev, job.SlashBps, 0, nil, winner)
				k.Device.Set(ctx.KV, d)
				slashed = before - d.Stake
			}
			ctx.Emit(&computev1.EventProviderPenalized{Job: t.Job, Task: t.Index, Device: crypto.DeviceString(dev), Reason: "outvoted", Slashed: slashed})
		case len(a.OutputHash) == 0:
			st.TasksMissed++
			if d != nil {
				device.Observe(d, rp, false)
				k.Device.Set(ctx.KV, d)
			}
			reason := "no reveal"
			if len(a.Commitment) == 0 {
				reason = "no commitment"
			}
			ctx.Emit(&computev1.EventProviderPenalized{Job: t.Job, Task: t.Index, Device: crypto.DeviceString(dev), Reason: reason})
		}
		k.setStats(ctx.KV, st)
	}
	if winner != nil {
		t.Status, t.OutputHash = computev1.TaskStatus_TASK_STATUS_VERIFIED, winner
		for _, a := range t.Assignments {
			a.Output = nil // one copy of the output is kept: the task's
		}
		job.Verified++
		ctx.Emit(&computev1.EventTaskVerified{Job: t.Job, Task: t.Index, OutputHash: winner, Agreed: agreed, Round: t.Round})
		return k.taskDone(ctx, job, t, final)
	}
	for _, a := range t.Assignments {
		a.Output = nil
		t.Excluded = append(t.Excluded, a.Device)
	}
	if t.Round < api.Rounds && !final && n != nil && !n.Frozen {
		excluded := map[crypto.DeviceID]bool{}
		for _, e := range t.Excluded {
			id, _ := crypto.AddressFromBytes(e)
			excluded[id] = true
		}
		s := seed(ctx, "round", t.Job, t.Index)
		devs := k.candidates(ctx.KV, n, s, excluded).draw(s, int(job.Replicas)+1)
		if len(devs) == int(job.Replicas)+1 {
			k.startRound(ctx, job, t, devs)
			k.setJob(ctx.KV, job)
			return nil
		}
		return k.fail(ctx, job, t, fmt.Sprintf("no majority in round %d and not enough fresh providers for another", t.Round), false)
	}
	return k.fail(ctx, job, t, fmt.Sprintf("no majority of %d providers in round %d", len(t.Assignments), t.Round), final)
}

// fail ends a task without a result.
func (k Keeper) fail(ctx state.Context, job *computev1.Job, t *computev1.Task, reason string, final bool) error {
	t.Status, t.Reason = computev1.TaskStatus_TASK_STATUS_FAILED, reason
	job.Failed++
	ctx.Emit(&computev1.EventTaskFailed{Job: t.Job, Task: t.Index, Reason: reason})
	return k.taskDone(ctx, job, t, final)
}

// taskDone stores a judged task; the job finishes with its last task
// (unless final: the job is being ended, and its ender finishes it).
func (k Keeper) taskDone(ctx state.Context, job *computev1.Job, t *computev1.Task, final bool) error {
	k.setTask(ctx.KV, t)
	if !final && job.Verified+job.Failed == job.Tasks {
		return k.finish(ctx, job, computev1.JobStatus_JOB_STATUS_DONE)
	}
	k.setJob(ctx.KV, job)
	return nil
}

// finish ends a job: what was not paid returns to the consumer.
func (k Keeper) finish(ctx state.Context, job *computev1.Job, status computev1.JobStatus) error {
	refund := job.Escrow - job.Paid
	if refund > 0 {
		consumer, _ := crypto.AddressFromBytes(job.Consumer)
		if err := k.Bank.Send(ctx, Escrow, consumer, bank.Coins(job.Denom, refund), "compute_refund"); err != nil {
			return err
		}
	}
	job.Refunded, job.Status = refund, status
	ctx.KV.Delete(api.RunningKey(job.Network, job.Id))
	ctx.KV.Delete(api.QueueKey(job.Network, job.Id))
	ctx.KV.Delete(api.TimerKey(job.Network, job.Deadline, job.Id, api.JobTimer))
	k.setJob(ctx.KV, job)
	ctx.Emit(&computev1.EventJobFinished{Id: job.Id, Status: status, Verified: job.Verified, Failed: job.Failed, Paid: job.Paid, Refunded: refund})
	return nil
}

// BeginNetwork handles a network's timers that are due — commit windows
// close (the reveal window opens for those who committed), reveal windows
// close (the task is judged), job deadlines pass (tasks not yet verified
// fail, the job ends) — and then assigns queued jobs' tasks. At most
// *budget units of work (a timer, an assignment; shared by every network
// of the block; the rest wait).
func (k Keeper) BeginNetwork(ctx state.Context, net string, budget *int) (err error) {
	if *budget <= 0 {
		return nil
	}
	prefix := api.TimersPrefix(net)
	now := ctx.Time.Unix()
	var due [][]byte
	for key := range store.Prefix(ctx.KV, prefix) {
		t, ok := api.TimerTime(net, key)
		if !ok || t > now || len(due) >= *budget {
			break
		}
		due = append(due, bytes.Clone(key))
	}
	*budget -= len(due)
	defer func() {
		if err == nil && *budget > 0 {
			if n := k.Network.Current(ctx, net); n != nil && n.Params.GetCompute() != nil {
				err = k.assign(ctx, n, budget)
			}
		}
	}()
	for _, key := range due {
		ctx.KV.Delete(key)
		jobID, index, _ := api.JobTaskFromKey(key)
		job := k.Job(ctx.KV, jobID)
		if job == nil || job.Status != computev1.JobStatus_JOB_STATUS_RUNNING {
			continue
		}
		if index == api.JobTimer {
			if err := k.expire(ctx, job, "the job's deadline passed"); err != nil {
				return fmt.Errorf("job %d: %w", jobID, err)
			}
			continue
		}
		t := k.Task(ctx.KV, jobID, index)
		if t == nil {
			return fmt.Errorf("job %d task %d is not stored", jobID, index)
		}
		switch {
		case t.Status == computev1.TaskStatus_TASK_STATUS_COMMIT && t.CommitDeadline <= now:
			committed := false
			for _, a := range t.Assignments {
				committed = committed || len(a.Commitment) != 0
			}
			if !committed {
				if err := k.judge(ctx, job, t, false); err != nil {
					return fmt.Errorf("job %d task %d: %w", jobID, index, err)
				}
				continue
			}
			k.openReveal(ctx, job, t)
			k.setTask(ctx.KV, t)
		case t.Status == computev1.TaskStatus_TASK_STATUS_REVEAL && t.RevealDeadline <= now:
			if err := k.judge(ctx, job, t, false); err != nil {
				return fmt.Errorf("job %d task %d: %w", jobID, index, err)
			}
		}
	}
	return nil
}

// expire ends a job before all its tasks are done (its deadline passed,
// or its consumer cancelled it while its network was frozen): tasks being
// revealed are judged on what was revealed (no further round), the
// others fail for reason.
func (k Keeper) expire(ctx state.Context, job *computev1.Job, reason string) error {
	for i := uint32(0); i < job.Tasks; i++ {
		t := k.Task(ctx.KV, job.Id, i)
		if t == nil { // never assigned
			t = &computev1.Task{Job: job.Id, Index: i}
			if err := k.fail(ctx, job, t, reason, true); err != nil {
				return err
			}
			continue
		}
		if t.Status == computev1.TaskStatus_TASK_STATUS_VERIFIED || t.Status == computev1.TaskStatus_TASK_STATUS_FAILED {
			continue
		}
		ctx.KV.Delete(api.TimerKey(job.Network, t.CommitDeadline, t.Job, t.Index))
		ctx.KV.Delete(api.TimerKey(job.Network, t.RevealDeadline, t.Job, t.Index))
		if t.Status == computev1.TaskStatus_TASK_STATUS_REVEAL {
			if err := k.judge(ctx, job, t, true); err != nil {
				return err
			}
			continue
		}
		for _, a := range t.Assignments {
			dev, _ := crypto.AddressFromBytes(a.Device)
			ctx.KV.Delete(api.AssignmentKey(dev, t.Job, t.Index))
			st := k.Stats(ctx.KV, dev)
			st.Assigned -= min(st.Assigned, 1)
			k.setStats(ctx.KV, st)
		}
		if err := k.fail(ctx, job, t, reason, true); err != nil {
			return err
		}
	}
	return k.finish(ctx, job, computev1.JobStatus_JOB_STATUS_EXPIRED)
}

// CancelJob lets a consumer end a job while its network is frozen (its
// timers do not run then, and the escrow must not wait on the network's
// owner): revealed tasks are judged, the rest fail, the rest of the
// escrow returns. A running network's jobs run to their deadline: a
// consumer who could cancel after reading the reveals would take the
// providers' work unpaid.
func (k Keeper) CancelJob(ctx state.Context, signer crypto.Address, m *computev1.MsgCancelJob) error {
	job := k.Job(ctx.KV, m.Job)
	switch {
	case job == nil:
		return fmt.Errorf("%w: %d", api.ErrUnknownJob, m.Job)
	case !bytes.Equal(job.Consumer, signer[:]):
		return fmt.Errorf("%w: job %d belongs to another account", errs.ErrUnauthorized, m.Job)
	case job.Status != computev1.JobStatus_JOB_STATUS_RUNNING:
		return fmt.Errorf("%w: job %d is %s", api.ErrJobDone, m.Job, job.Status)
	}
	if n := k.Network.Network(ctx.KV, job.Network); n != nil && !n.Frozen {
		return fmt.Errorf("%w: job %d runs until its deadline (%d); a job can be cancelled only while its network is frozen", api.ErrWrongPhase, m.Job, job.Deadline)
	}
	return k.expire(ctx, job, "cancelled by its consumer while the network was frozen")
}

// CheckInvariant verifies that the escrow holds exactly what running jobs
// have not paid out, per denom.
func (k Keeper) CheckInvariant(r store.Reader) error {
	held := map[string]uint64{}
	for _, j := range state.Records[computev1.Job](r, api.JobPrefix) {
		if j.Status == computev1.JobStatus_JOB_STATUS_RUNNING {
			if j.Paid > j.Escrow {
				return fmt.Errorf("compute invariant: job %d paid %d of an escrow of %d", j.Id, j.Paid, j.Escrow)
			}
			held[j.Denom] += j.Escrow - j.Paid
		}
	}
	return k.Bank.CheckEscrow(r, Escrow, held, "compute", "running jobs")
}
