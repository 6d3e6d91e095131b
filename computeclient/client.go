// Package computeclient submits WebAssembly jobs to a compute network and
// reads their verified results. Modules and inputs small enough ride in
// the job itself; bigger ones are stored in the chain's storage network
// first (storageclient), and the job carries each file's key so that
// every provider can read it — which makes them public: a job's inputs
// and results are for everyone to see.
package computeclient

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	api "github.com/depinhq/depin/api/compute"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/compute/sandbox"
	"github.com/depinhq/depin/compute/tiles"
	"github.com/depinhq/depin/crypto"
	computev1 "github.com/depinhq/depin/gen/depin/compute/v1"
	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
	"github.com/depinhq/depin/storageclient"
)

// Client submits jobs as one account.
type Client struct {
	chain   *client.Client
	key     ed25519.PrivateKey
	owner   crypto.Address
	storage *storageclient.Client // nil: only blobs that fit in a job
	log     *slog.Logger
}

// New is a client of chain signing with key (nil: a client that only
// reads jobs); storage (may be nil) stores blobs too big to carry in a
// job.
func New(chain *client.Client, key ed25519.PrivateKey, storage *storageclient.Client, log *slog.Logger) *Client {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Client{chain: chain, key: key, storage: storage, log: log}
	if len(key) == ed25519.PrivateKeySize {
		c.owner = crypto.AddressFromPubKey(key.Public().(ed25519.PublicKey))
	}
	return c
}

// ErrNoKey: a client made without a key cannot submit.
var ErrNoKey = errors.New("computeclient: no key to submit with")

// Owner is the client's account.
func (c *Client) Owner() crypto.Address { return c.owner }

// Job is what to run.
type Job struct {
	Network  string            // "": the chain's compute network, if it has one
	Module   []byte            // WASI preview 1 WebAssembly
	Inputs   map[string][]byte // mounted read-only under /in
	Args     []string
	Tasks    uint32
	Replicas uint32
	Price    uint64 // per task and provider, in the network's compute denom
	Deadline time.Duration
	Memory   uint64        // bytes of wasm memory per task; 0: 256 MiB or the network's maximum
	Timeout  time.Duration // per task; 0: a minute or the network's maximum
	Output   uint32        // bytes of output per task; 0: the network's maximum
	// MaxEscrow refuses the job if it would escrow more (0: no bound).
	MaxEscrow uint64
	// Progress, if set, is told what is happening (storing blobs, submitting).
	Progress func(string)
}

// Submitted is a submitted job.
type Submitted struct {
	ID      uint64
	Network string
	Escrow  uint64
	Denom   string
	TxHash  string
	Stored  []uint64 // storage deals opened for blobs
}

// ErrNoNetwork: no compute network was named and the chain does not have
// exactly one.
var ErrNoNetwork = errors.New("which compute network?")

// DefaultNetwork is the chain's one compute network.
func (c *Client) DefaultNetwork(ctx context.Context) (string, error) {
	nets, err := c.chain.Networks(ctx)
	if err != nil {
		return "", err
	}
	var found []string
	for _, n := range nets {
		if n.Params != nil && n.Params.Compute != nil {
			found = append(found, n.Id)
		}
	}
	if len(found) != 1 {
		return "", fmt.Errorf("%w: the chain has %d compute networks (%s); name one with --network", ErrNoNetwork, len(found), strings.Join(found, ", "))
	}
	return found[0], nil
}

// Submit stores the job's big blobs in the storage network, then submits
// the job (escrowing its price) and returns its id.
func (c *Client) Submit(ctx context.Context, j Job) (*Submitted, error) {
	if len(c.key) != ed25519.PrivateKeySize {
		return nil, ErrNoKey
	}
	say := func(s string) {
		if j.Progress != nil {
			j.Progress(s)
		}
	}
	net := j.Network
	if net == "" {
		var err error
		if net, err = c.DefaultNetwork(ctx); err != nil {
			return nil, err
		}
	}
	cp, err := c.chain.ComputeParams(ctx, net)
	if err != nil {
		return nil, err
	}
	limits := &computev1.Limits{MemoryBytes: j.Memory, TimeoutMs: uint64(j.Timeout / time.Millisecond), MaxOutputBytes: j.Output}
	if limits.MemoryBytes == 0 {
		limits.MemoryBytes = min(256<<20, cp.MaxMemoryBytes)
	}
	if limits.TimeoutMs == 0 {
		limits.TimeoutMs = min(60_000, cp.MaxTimeoutMs)
	}
	if limits.MaxOutputBytes == 0 {
		limits.MaxOutputBytes = cp.MaxOutputBytes
	}
	out := &Submitted{Network: net, Denom: cp.Denom}
	inline := 0
	blob := func(name string, data []byte) (*computev1.Blob, error) {
		sum := sha256.Sum256(data)
		b := &computev1.Blob{Name: name, Sha256: sum[:], Size: uint64(len(data))}
		if len(data) == 0 {
			return nil, fmt.Errorf("%s is empty", blobName(name))
		}
		if inline+len(data) <= int(cp.MaxInlineBytes) {
			inline += len(data)
			b.Inline = data
			return b, nil
		}
		if c.storage == nil {
			return nil, fmt.Errorf("%s has %d bytes; network %s carries at most %d in a job, and no storage network is at hand to keep it", blobName(name), len(data), net, cp.MaxInlineBytes)
		}
		say(fmt.Sprintf("storing %s (%d bytes) in the storage network…", blobName(name), len(data)))
		res, err := c.storage.Put(ctx, bytes.NewReader(data), uint64(len(data)), storageclient.PutOptions{K: 2, N: 4,
			Duration: j.Deadline + time.Hour})
		if err != nil {
			return nil, fmt.Errorf("storing %s: %w", blobName(name), err)
		}
		key, err := c.storage.FileKey(res.FileID)
		if err != nil {
			return nil, err
		}
		b.Deal, b.FileKey = res.Deal, key
		out.Stored = append(out.Stored, res.Deal)
		return b, nil
	}
	module, err := blob("", j.Module)
	if err != nil {
		return nil, err
	}
	m := &computev1.MsgSubmitJob{Consumer: c.owner.Bytes(), Network: net, Module: module, Args: j.Args, Tasks: j.Tasks, Replicas: j.Replicas,
		Limits: limits, PricePerTask: j.Price, DeadlineSeconds: uint64(j.Deadline / time.Second), MaxEscrow: j.MaxEscrow}
	names := make([]string, 0, len(j.Inputs))
	for name := range j.Inputs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := api.ValidateName(name); err != nil {
			return nil, err
		}
		b, err := blob(name, j.Inputs[name])
		if err != nil {
			return nil, err
		}
		m.Inputs = append(m.Inputs, b)
	}
	say(fmt.Sprintf("submitting %d tasks × %d replicas at %d %s…", j.Tasks, j.Replicas, j.Price, cp.Denom))
	res, err := c.chain.SendTx(ctx, c.key, []*txv1.Msg{{Sum: &txv1.Msg_SubmitJob{SubmitJob: m}}}, client.TxOptions{})
	if err != nil {
		return nil, fmt.Errorf("submitting the job: %w", err)
	}
	out.TxHash = res.Hash
	jobs, err := c.chain.JobsOf(ctx, c.owner)
	if err != nil {
		return nil, fmt.Errorf("the job was submitted (tx %s) but cannot be read: %w", res.Hash, err)
	}
	for _, job := range jobs {
		if job.SubmitTime > 0 && bytes.Equal(job.Module.Sha256, module.Sha256) && job.Id > out.ID {
			out.ID, out.Escrow = job.Id, job.Escrow
		}
	}
	if out.ID == 0 {
		return nil, fmt.Errorf("tx %s submitted no job", res.Hash)
	}
	c.log.Info("job submitted", "job", out.ID, "network", net, "tasks", j.Tasks, "replicas", j.Replicas, "escrow", out.Escrow)
	return out, nil
}

func blobName(name string) string {
	if name == "" {
		return "the module"
	}
	return "input " + name
}

// Status is a job with its tasks.
type Status struct {
	Job   *computev1.Job
	Tasks []*computev1.Task
}

// Done reports whether the job has ended.
func (s *Status) Done() bool { return s.Job.Status != computev1.JobStatus_JOB_STATUS_RUNNING }

// Status reads a job and its tasks.
func (c *Client) Status(ctx context.Context, id uint64) (*Status, error) {
	j, err := c.chain.Job(ctx, id, client.QueryOptions{})
	if err != nil {
		return nil, err
	}
	if j == nil {
		return nil, fmt.Errorf("%w: %d", api.ErrUnknownJob, id)
	}
	ts, err := c.chain.Tasks(ctx, id)
	if err != nil {
		return nil, err
	}
	return &Status{Job: j, Tasks: ts}, nil
}

// Wait polls a job until it ends (or ctx does), calling progress (if
// set) with each new state.
func (c *Client) Wait(ctx context.Context, id uint64, every time.Duration, progress func(*Status)) (*Status, error) {
	last := ""
	for {
		s, err := c.Status(ctx, id)
		if err != nil {
			return nil, err
		}
		if key := fmt.Sprintf("%d/%d/%s", s.Job.Verified, s.Job.Failed, s.Job.Status); key != last && progress != nil {
			progress(s)
			last = key
		}
		if s.Done() {
			return s, nil
		}
		select {
		case <-ctx.Done():
			return s, ctx.Err()
		case <-time.After(every):
		}
	}
}

// Outputs decodes the verified outputs of a job's tasks (nil for a task
// without one).
func Outputs(s *Status) ([]*sandbox.Output, error) {
	outs := make([]*sandbox.Output, s.Job.Tasks)
	for _, t := range s.Tasks {
		if t.Status != computev1.TaskStatus_TASK_STATUS_VERIFIED || int(t.Index) >= len(outs) {
			continue
		}
		if sum := sha256.Sum256(t.Output); !bytes.Equal(sum[:], t.OutputHash) {
			return nil, fmt.Errorf("task %d: the output on chain does not hash to its verified hash", t.Index)
		}
		o, err := sandbox.DecodeOutput(t.Output)
		if err != nil {
			return nil, fmt.Errorf("task %d: %w", t.Index, err)
		}
		outs[t.Index] = &o
	}
	return outs, nil
}

// WriteResults writes each verified task's files under dir/<task>/ (and
// its stdout as dir/<task>/stdout when there is any) and returns the
// paths written.
func WriteResults(s *Status, dir string) ([]string, error) {
	outs, err := Outputs(s)
	if err != nil {
		return nil, err
	}
	var written []string
	for i, o := range outs {
		if o == nil {
			continue
		}
		base := filepath.Join(dir, fmt.Sprint(i))
		files := o.Files
		if len(o.Stdout) > 0 {
			files = append(files, sandbox.File{Path: "stdout", Data: o.Stdout})
		}
		for _, f := range files {
			p := filepath.Join(base, filepath.FromSlash(f.Path))
			if !strings.HasPrefix(p, base+string(filepath.Separator)) {
				return written, fmt.Errorf("task %d: a file outside its directory: %q", i, f.Path)
			}
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return written, err
			}
			if err := os.WriteFile(p, f.Data, 0o644); err != nil {
				return written, err
			}
			written = append(written, p)
		}
	}
	return written, nil
}

// JoinPNGTiles stitches the one PNG file of every task, in task order,
// cols tiles per row (0: the square root of the task count).
func JoinPNGTiles(s *Status, cols int) ([]byte, error) {
	outs, err := Outputs(s)
	if err != nil {
		return nil, err
	}
	if cols == 0 {
		for cols*cols < len(outs) {
			cols++
		}
		if cols*cols != len(outs) {
			return nil, fmt.Errorf("%d tasks are not a square of tiles: say how many tiles per row", len(outs))
		}
	}
	parts := make([][]byte, len(outs))
	for i, o := range outs {
		if o == nil {
			return nil, fmt.Errorf("task %d has no verified output", i)
		}
		var png []byte
		for _, f := range o.Files {
			if strings.HasSuffix(f.Path, ".png") {
				if png != nil {
					return nil, fmt.Errorf("task %d wrote more than one PNG file", i)
				}
				png = f.Data
			}
		}
		if png == nil {
			return nil, fmt.Errorf("task %d wrote no PNG file (status %s)", i, o.Status)
		}
		parts[i] = png
	}
	return tiles.JoinPNGTiles(parts, cols)
}

// StorageBlobs reads blobs kept in the storage network, with the file key
// a job carries (computenode.BlobReader).
type StorageBlobs struct{ Storage *storageclient.Client }

// ReadBlob fetches a blob's file from its storage deal.
func (s StorageBlobs) ReadBlob(ctx context.Context, b *computev1.Blob) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := s.Storage.Get(ctx, b.Deal, &buf, storageclient.GetOptions{FileKey: b.FileKey}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
