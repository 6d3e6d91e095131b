// Package computenode is a compute provider: a registered device of a
// COMPUTE network that runs the tasks the chain assigns it. For each task
// it fetches the job's module and inputs (carried in the job, or read
// from the storage network with the key the job gives) and checks their
// SHA-256, runs the task in the sandbox (compute/sandbox: no network, no
// host files, fixed clock, seeded randomness, memory and time limits),
// commits to SHA-256(output hash ‖ device ‖ salt), and once the reveal
// window opens reveals the output. The salt is derived from the device
// key, the job, the task and the round, and the run is deterministic, so
// a provider that restarts between commit and reveal runs the task again
// and reveals the same output.
package computenode

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	api "github.com/depinhq/depin/api/compute"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/compute/sandbox"
	"github.com/depinhq/depin/crypto"
	computev1 "github.com/depinhq/depin/gen/depin/compute/v1"
	devicev1 "github.com/depinhq/depin/gen/depin/device/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
)

// Chain is what a provider asks of the chain (package client's Client
// has it all).
type Chain interface {
	Device(ctx context.Context, id crypto.DeviceID, o client.QueryOptions) (*devicev1.Device, error)
	Assignments(ctx context.Context, dev crypto.DeviceID) ([]client.TaskRef, error)
	Job(ctx context.Context, id uint64, o client.QueryOptions) (*computev1.Job, error)
	Task(ctx context.Context, job uint64, index uint32, o client.QueryOptions) (*computev1.Task, error)
	SendTx(ctx context.Context, priv ed25519.PrivateKey, msgs []*txv1.Msg, opts client.TxOptions) (*client.TxResult, error)
}

var _ Chain = (*client.Client)(nil)

// BlobReader reads a blob a job keeps in a storage deal (the bytes are
// checked against the blob's SHA-256 after).
type BlobReader interface {
	ReadBlob(ctx context.Context, b *computev1.Blob) ([]byte, error)
}

// Config configures a provider.
type Config struct {
	DeviceKey ed25519.PrivateKey // the device's key: which device this is, and the salts
	OwnerKey  ed25519.PrivateKey // the device owner's account key: signs commitments and reveals
	// Workers is how many tasks run at once.
	Workers int
	// PollInterval is how often the provider reads its assignments.
	PollInterval time.Duration
	// MaxMemoryBytes bounds the wasm memory of all tasks running at once
	// (a job asking for more per task than this is not run).
	MaxMemoryBytes uint64
	// Blobs reads modules and inputs kept in the storage network; nil:
	// such jobs are not run (they time out as missed).
	Blobs BlobReader
	// Dishonest makes the provider run every task as another task (the
	// next index, another seed) and reveal that: a plausible result that
	// is not the task's, what a provider that makes results up returns.
	// For tests and demos of verification; never set it otherwise.
	Dishonest bool
	Logger    *slog.Logger
}

// DefaultConfig is a provider's configuration before its keys.
func DefaultConfig() Config {
	return Config{Workers: 2, PollInterval: 2 * time.Second, MaxMemoryBytes: 1 << 30}
}

// Validate checks a configuration.
func (c Config) Validate() error {
	switch {
	case len(c.DeviceKey) != ed25519.PrivateKeySize || len(c.OwnerKey) != ed25519.PrivateKeySize:
		return errors.New("compute node: a device key and an owner key are required")
	case c.Workers <= 0 || c.Workers > 256:
		return fmt.Errorf("compute node: %d workers (1..256)", c.Workers)
	case c.PollInterval <= 0:
		return errors.New("compute node: the poll interval must be positive")
	case c.MaxMemoryBytes < 64<<10:
		return fmt.Errorf("compute node: max memory %d bytes, at least one 64 KiB page", c.MaxMemoryBytes)
	}
	return nil
}

// Stats count what a provider did.
type Stats struct {
	Ran, Committed, Revealed, Failed uint64
}

// Node is a compute provider.
type Node struct {
	cfg    Config
	chain  Chain
	log    *slog.Logger
	id     crypto.DeviceID
	owner  crypto.Address
	runner *sandbox.Runner

	mu      sync.Mutex
	jobs    map[uint64]*computev1.Job
	blobs   map[[32]byte][]byte              // by SHA-256, for the jobs running
	results map[taskKey]*result              // computed, until revealed
	busy    map[taskKey]bool                 // being run
	sent    map[taskKey]computev1.TaskStatus // phase a message was sent for

	ran, committed, revealed, failed atomic.Uint64
}

type taskKey struct {
	job   uint64
	task  uint32
	round uint32
}

type result struct {
	output []byte
	hash   [32]byte
	salt   []byte
}

// New checks the device on chain (registered, in a COMPUTE network,
// owned by OwnerKey's account) and prepares the sandbox.
func New(ctx context.Context, cfg Config, chain Chain) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	id := crypto.AddressFromPubKey(cfg.DeviceKey.Public().(ed25519.PublicKey))
	owner := crypto.AddressFromPubKey(cfg.OwnerKey.Public().(ed25519.PublicKey))
	d, err := chain.Device(ctx, id, client.QueryOptions{})
	if err != nil {
		return nil, fmt.Errorf("compute node: reading device %s: %w", crypto.DeviceString(id), err)
	}
	if d == nil {
		return nil, fmt.Errorf("compute node: device %s is not registered (register it with its maker certificate first)", crypto.DeviceString(id))
	}
	if !bytes.Equal(d.Owner, owner[:]) {
		o, _ := crypto.AddressFromBytes(d.Owner)
		return nil, fmt.Errorf("compute node: device %s belongs to %s, not to the owner key's account %s", crypto.DeviceString(id), o, owner)
	}
	runner, err := sandbox.NewRunner(ctx, sandbox.Config{MaxMemoryBytes: min(cfg.MaxMemoryBytes, sandbox.MaxMemoryBytes), CachedModules: 8})
	if err != nil {
		return nil, err
	}
	log = log.With("device", crypto.DeviceString(id))
	return &Node{cfg: cfg, chain: chain, log: log, id: id, owner: owner, runner: runner,
		jobs: map[uint64]*computev1.Job{}, blobs: map[[32]byte][]byte{}, results: map[taskKey]*result{},
		busy: map[taskKey]bool{}, sent: map[taskKey]computev1.TaskStatus{}}, nil
}

// ID is the provider's device id.
func (n *Node) ID() crypto.DeviceID { return n.id }

// Stats returns what the provider has done so far.
func (n *Node) Stats() Stats {
	return Stats{Ran: n.ran.Load(), Committed: n.committed.Load(), Revealed: n.revealed.Load(), Failed: n.failed.Load()}
}

// Run works until ctx ends: every PollInterval it reads its assignments,
// runs new tasks (Workers at a time), commits their results and reveals
// them when the reveal window opens. Chain errors are logged and retried.
func (n *Node) Run(ctx context.Context) error {
	defer n.runner.Close(context.WithoutCancel(ctx))
	n.log.Info("compute provider running", "workers", n.cfg.Workers)
	sem := make(chan struct{}, n.cfg.Workers)
	var wg sync.WaitGroup
	defer wg.Wait()
	t := time.NewTicker(n.cfg.PollInterval)
	defer t.Stop()
	for {
		if err := n.poll(ctx, sem, &wg); err != nil && ctx.Err() == nil {
			n.log.Warn("reading assignments failed; retrying", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// poll looks at every assignment once: runs the tasks not yet run (in the
// background), and sends the commitments and reveals that are due.
func (n *Node) poll(ctx context.Context, sem chan struct{}, wg *sync.WaitGroup) error {
	refs, err := n.chain.Assignments(ctx, n.id)
	if err != nil {
		return err
	}
	var msgs []*txv1.Msg
	var keys []taskKey
	live := map[uint64]bool{}
	for _, ref := range refs {
		live[ref.Job] = true
		t, err := n.chain.Task(ctx, ref.Job, ref.Task, client.QueryOptions{})
		if err != nil {
			return err
		}
		a := n.mine(t)
		if a == nil {
			continue
		}
		k := taskKey{ref.Job, ref.Task, t.Round}
		n.mu.Lock()
		res, busy, sent := n.results[k], n.busy[k], n.sent[k]
		n.mu.Unlock()
		switch {
		case busy:
		case res == nil && (t.Status == computev1.TaskStatus_TASK_STATUS_COMMIT && len(a.Commitment) == 0 ||
			t.Status == computev1.TaskStatus_TASK_STATUS_REVEAL && len(a.Commitment) != 0 && len(a.OutputHash) == 0):
			// Not run yet (or run before a restart): run it.
			job, err := n.job(ctx, ref.Job)
			if err != nil {
				return err
			}
			n.mu.Lock()
			n.busy[k] = true
			n.mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					n.done(k, nil)
					return
				}
				defer func() { <-sem }()
				n.done(k, n.runTask(ctx, job, t))
			}()
		case t.Status == computev1.TaskStatus_TASK_STATUS_COMMIT && len(a.Commitment) == 0 && sent != t.Status:
			msgs = append(msgs, &txv1.Msg{Sum: &txv1.Msg_CommitResult{CommitResult: &computev1.MsgCommitResult{
				Owner: n.owner.Bytes(), Device: n.id.Bytes(), Job: k.job, Task: k.task, Commitment: api.Commitment(res.hash[:], n.id, res.salt)}}})
			keys = append(keys, k)
		case t.Status == computev1.TaskStatus_TASK_STATUS_REVEAL && len(a.Commitment) != 0 && len(a.OutputHash) == 0 && sent != t.Status:
			msgs = append(msgs, &txv1.Msg{Sum: &txv1.Msg_RevealResult{RevealResult: &computev1.MsgRevealResult{
				Owner: n.owner.Bytes(), Device: n.id.Bytes(), Job: k.job, Task: k.task, OutputHash: res.hash[:], Salt: res.salt, Output: res.output}}})
			keys = append(keys, k)
		}
	}
	n.forget(live)
	if len(msgs) > 0 {
		n.send(ctx, msgs, keys)
	}
	return nil
}

// mine is this provider's assignment in a task's round, or nil.
func (n *Node) mine(t *computev1.Task) *computev1.Assignment {
	if t == nil {
		return nil
	}
	for _, a := range t.Assignments {
		if bytes.Equal(a.Device, n.id[:]) {
			return a
		}
	}
	return nil
}

func (n *Node) done(k taskKey, r *result) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.busy, k)
	if r != nil {
		n.results[k] = r
	}
}

// forget drops what belongs to jobs no longer assigned.
func (n *Node) forget(live map[uint64]bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for k := range n.results {
		if !live[k.job] && !n.busy[k] {
			delete(n.results, k)
			delete(n.sent, k)
		}
	}
	for id, j := range n.jobs {
		if !live[id] {
			delete(n.jobs, id)
			delete(n.blobs, [32]byte(j.Module.Sha256))
			for _, in := range j.Inputs {
				delete(n.blobs, [32]byte(in.Sha256))
			}
		}
	}
}

// send sends the due messages in one tx; if that fails (one message may
// be late), each alone.
func (n *Node) send(ctx context.Context, msgs []*txv1.Msg, keys []taskKey) {
	mark := func(i int) {
		n.mu.Lock()
		defer n.mu.Unlock()
		if msgs[i].GetCommitResult() != nil {
			n.sent[keys[i]] = computev1.TaskStatus_TASK_STATUS_COMMIT
			n.committed.Add(1)
		} else {
			n.sent[keys[i]] = computev1.TaskStatus_TASK_STATUS_REVEAL
			n.revealed.Add(1)
		}
	}
	if _, err := n.chain.SendTx(ctx, n.cfg.OwnerKey, msgs, client.TxOptions{}); err == nil {
		for i := range msgs {
			mark(i)
		}
		n.log.Debug("sent", "messages", len(msgs))
		return
	} else if len(msgs) == 1 {
		n.log.Warn("a commitment or reveal was refused", "job", keys[0].job, "task", keys[0].task, "err", err)
		return
	}
	for i, m := range msgs {
		if _, err := n.chain.SendTx(ctx, n.cfg.OwnerKey, []*txv1.Msg{m}, client.TxOptions{}); err != nil {
			n.log.Warn("a commitment or reveal was refused", "job", keys[i].job, "task", keys[i].task, "err", err)
			continue
		}
		mark(i)
	}
}

// job returns a job's record (read once per job).
func (n *Node) job(ctx context.Context, id uint64) (*computev1.Job, error) {
	n.mu.Lock()
	j := n.jobs[id]
	n.mu.Unlock()
	if j != nil {
		return j, nil
	}
	j, err := n.chain.Job(ctx, id, client.QueryOptions{})
	if err != nil {
		return nil, err
	}
	if j == nil {
		return nil, fmt.Errorf("job %d is not on chain", id)
	}
	n.mu.Lock()
	n.jobs[id] = j
	n.mu.Unlock()
	return j, nil
}

// TaskSeed is the seed every provider runs a job's tasks with (the
// sandbox mixes in the task index).
func TaskSeed(job uint64) [32]byte {
	return sha256.Sum256(binary.BigEndian.AppendUint64([]byte("depin/compute/task-seed/v1\x00"), job))
}

// salt is this provider's secret salt for a task's round: nobody can
// tell its output from its commitment before it reveals, and it needs
// no storage.
func (n *Node) salt(k taskKey) []byte {
	m := hmac.New(sha256.New, n.cfg.DeviceKey.Seed())
	m.Write([]byte("depin/compute/salt/v1\x00"))
	m.Write(binary.BigEndian.AppendUint64(nil, k.job))
	m.Write(binary.BigEndian.AppendUint32(nil, k.task))
	m.Write(binary.BigEndian.AppendUint32(nil, k.round))
	return m.Sum(nil)
}

// runTask runs one task and returns its result, or nil if it could not
// be run here (a blob that cannot be read, a host error): the provider
// then misses the task rather than commit to something other providers
// would not get.
func (n *Node) runTask(ctx context.Context, job *computev1.Job, t *computev1.Task) *result {
	k := taskKey{t.Job, t.Index, t.Round}
	log := n.log.With("job", t.Job, "task", t.Index, "round", t.Round)
	start := time.Now()
	out, err := n.output(ctx, job, t.Index)
	if err != nil {
		n.failed.Add(1)
		if ctx.Err() == nil {
			log.Warn("cannot run the task; it will count as missed", "err", err)
		}
		return nil
	}
	n.ran.Add(1)
	r := &result{output: out, hash: sha256.Sum256(out), salt: n.salt(k)}
	log.Info("task run", "output_bytes", len(out), "output_sha256", fmt.Sprintf("%x", r.hash[:8]), "took", time.Since(start).Round(time.Millisecond))
	return r
}

// output is the canonical output of a job's task: the sandbox's, or, for
// a module or input whose bytes do not match their SHA-256 (every honest
// provider reads the same bytes), the InvalidModule / InvalidTask
// outcome; an output longer than the job takes is the OutputTooLarge
// outcome.
func (n *Node) output(ctx context.Context, job *computev1.Job, index uint32) ([]byte, error) {
	if job.Limits == nil || job.Module == nil {
		return nil, fmt.Errorf("job %d has no limits or module", job.Id)
	}
	if job.Limits.MemoryBytes > n.cfg.MaxMemoryBytes {
		return nil, fmt.Errorf("the job asks for %d bytes of memory per task, this provider gives at most %d", job.Limits.MemoryBytes, n.cfg.MaxMemoryBytes)
	}
	module, ok, err := n.blob(ctx, job.Module)
	if err != nil {
		return nil, fmt.Errorf("reading the module: %w", err)
	}
	if !ok {
		return sandbox.EncodeOutput(sandbox.Output{Status: sandbox.InvalidModule})
	}
	task := sandbox.Task{Module: module, Inputs: map[string][]byte{}, Args: job.Args, Index: index, Seed: TaskSeed(job.Id)}
	if n.cfg.Dishonest {
		task.Seed = sha256.Sum256(task.Seed[:])
		task.Index = (index + 1) % max(job.Tasks, 2)
	}
	for _, in := range job.Inputs {
		b, ok, err := n.blob(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("reading input %s: %w", in.Name, err)
		}
		if !ok {
			return sandbox.EncodeOutput(sandbox.Output{Status: sandbox.InvalidTask})
		}
		task.Inputs[in.Name] = b
	}
	l := sandbox.Limits{MemoryBytes: job.Limits.MemoryBytes, Timeout: time.Duration(job.Limits.TimeoutMs) * time.Millisecond,
		MaxOutputBytes: int64(job.Limits.MaxOutputBytes), MaxOutputFiles: 1024, MaxStdoutBytes: int64(job.Limits.MaxOutputBytes)}
	res, err := n.runner.Run(ctx, task, l)
	if err != nil {
		return nil, err
	}
	if res.Status != sandbox.OK {
		n.log.Info("the task did not succeed; that is its result", "job", job.Id, "task", index, "status", res.Status, "reason", res.Reason)
	}
	if len(res.Output) > int(job.Limits.MaxOutputBytes) {
		return sandbox.EncodeOutput(sandbox.Output{Status: sandbox.OutputTooLarge})
	}
	return res.Output, nil
}

// blob returns a blob's bytes and whether they match its SHA-256; an
// error if they cannot be read.
func (n *Node) blob(ctx context.Context, b *computev1.Blob) ([]byte, bool, error) {
	key := [32]byte(b.Sha256)
	n.mu.Lock()
	cached, ok := n.blobs[key]
	n.mu.Unlock()
	if ok {
		return cached, true, nil
	}
	data := b.Inline
	if len(data) == 0 {
		if n.cfg.Blobs == nil {
			return nil, false, fmt.Errorf("it is kept in storage deal %d and this provider reads no storage network", b.Deal)
		}
		var err error
		if data, err = n.cfg.Blobs.ReadBlob(ctx, b); err != nil {
			return nil, false, err
		}
	}
	if sum := sha256.Sum256(data); !bytes.Equal(sum[:], b.Sha256) || uint64(len(data)) != b.Size {
		return nil, false, nil
	}
	n.mu.Lock()
	n.blobs[key] = data
	n.mu.Unlock()
	return data, true, nil
}
