package sandbox

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// Config sets up a Runner.
type Config struct {
	// MaxMemoryBytes is the most memory any task of this Runner may ask
	// for (the runtime's page limit); Limits.MemoryBytes above it is an
	// error.
	MaxMemoryBytes uint64
	// CachedModules is how many compiled modules are kept while no task
	// uses them; the least recently used beyond that are dropped.
	CachedModules int
}

// DefaultConfig allows any wasm32 memory limit and keeps 8 modules.
func DefaultConfig() Config {
	return Config{MaxMemoryBytes: MaxMemoryBytes, CachedModules: 8}
}

// Validate reports whether a Runner can be built from c.
func (c Config) Validate() error {
	switch {
	case c.MaxMemoryBytes < pageSize || c.MaxMemoryBytes > MaxMemoryBytes:
		return fmt.Errorf("sandbox: MaxMemoryBytes %d is not within [64 KiB, 4 GiB]", c.MaxMemoryBytes)
	case c.CachedModules < 0:
		return fmt.Errorf("sandbox: CachedModules %d is negative", c.CachedModules)
	}
	return nil
}

// ErrClosed is returned by Run on a closed Runner.
var ErrClosed = errors.New("sandbox: runner closed")

// Runner runs tasks, compiling each module once: compiled modules are kept
// by SHA-256 of their bytes while tasks use them, and CachedModules more.
// Its methods may be called concurrently.
type Runner struct {
	cfg Config
	rt  wazero.Runtime
	// stopped ends with Close, and with it every task's context. Close
	// waits for the tasks (inflight) before it closes the runtime: wazero
	// does not survive a runtime closed under a compilation.
	stopped  context.Context
	stop     context.CancelFunc
	inflight sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	modules map[[32]byte]*compiled
	clock   uint64 // counts acquisitions, for least-recently-used eviction
}

// compiled is a cache entry: one module, compiled or found invalid.
type compiled struct {
	hash  [32]byte
	ready chan struct{} // closed when the fields below are set

	mod wazero.CompiledModule // nil if invalid
	// invalid says why the bytes are not a runnable module; empty if they
	// are.
	invalid string
	// hostErr is set if compiling failed for a reason of the host's (the
	// context ended): the entry is dropped and the next task retries.
	hostErr error
	// minMemory is the memory the module needs to start.
	minMemory uint64

	refs    int    // tasks using it
	lastUse uint64 // Runner.clock when last acquired
}

// NewRunner starts a wazero runtime with WASI preview 1 and nothing else.
func NewRunner(ctx context.Context, cfg Config) (*Runner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	rc := wazero.NewRuntimeConfig().
		WithCloseOnContextDone(true).
		WithMemoryLimitPages(uint32((cfg.MaxMemoryBytes + pageSize - 1) / pageSize))
	rt := wazero.NewRuntimeWithConfig(ctx, rc)
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
		rt.Close(ctx)
		return nil, fmt.Errorf("sandbox: instantiating WASI: %w", err)
	}
	stopped, stop := context.WithCancel(context.WithoutCancel(ctx))
	return &Runner{cfg: cfg, rt: rt, stopped: stopped, stop: stop, modules: map[[32]byte]*compiled{}}, nil
}

// Close stops the tasks still running (their Run returns ErrClosed), waits
// for them and for compilations under way, and releases the runtime and
// every compiled module.
func (r *Runner) Close(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	r.modules = nil
	r.mu.Unlock()
	r.stop()
	r.inflight.Wait()
	return r.rt.Close(ctx)
}

// Run runs one task: a Result for anything the module or task does, an
// error only for a problem of the host's (invalid limits, a closed Runner,
// ctx ended).
func (r *Runner) Run(ctx context.Context, t Task, l Limits) (Result, error) {
	if err := l.Validate(); err != nil {
		return Result{}, err
	}
	if l.MemoryBytes > r.cfg.MaxMemoryBytes {
		return Result{}, fmt.Errorf("%w: memory %d bytes is above this runner's %d", ErrInvalidLimits, l.MemoryBytes, r.cfg.MaxMemoryBytes)
	}
	if err := t.validate(); err != nil {
		return failed(InvalidTask, "invalid task: "+err.Error()), nil
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return Result{}, ErrClosed
	}
	r.inflight.Add(1)
	r.mu.Unlock()
	defer r.inflight.Done()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	defer context.AfterFunc(r.stopped, func() { cancel(ErrClosed) })()

	c, err := r.acquire(ctx, t.Module)
	if err != nil {
		return Result{}, err
	}
	defer r.release(ctx, c)
	switch {
	case c.invalid != "":
		return failed(InvalidModule, "invalid module: "+c.invalid), nil
	case c.minMemory > l.MemoryBytes:
		return failed(OutOfMemory, fmt.Sprintf("out of memory: the module needs %d bytes of memory to start, the limit is %d", c.minMemory, l.MemoryBytes)), nil
	}
	return r.runInstance(ctx, c.mod, t, l)
}

// failed is the result of a task that ended without output.
func failed(s Status, reason string) Result {
	out, err := EncodeOutput(Output{Status: s})
	if err != nil {
		panic(err) // a status without output always encodes
	}
	return Result{Status: s, Reason: reason, Output: out}
}

// acquire returns the compiled module for the bytes, compiling them if no
// task did before; the caller releases it.
func (r *Runner) acquire(ctx context.Context, module []byte) (*compiled, error) {
	h := sha256.Sum256(module)
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, ErrClosed
	}
	r.clock++
	c := r.modules[h]
	if c != nil {
		c.refs++
		c.lastUse = r.clock
		r.mu.Unlock()
		select {
		case <-c.ready:
		case <-ctx.Done():
			r.release(ctx, c)
			return nil, context.Cause(ctx)
		}
		if c.hostErr != nil {
			r.release(ctx, c)
			return nil, c.hostErr
		}
		return c, nil
	}
	c = &compiled{hash: h, ready: make(chan struct{}), refs: 1, lastUse: r.clock}
	r.modules[h] = c
	r.mu.Unlock()

	r.compile(ctx, c, module)
	close(c.ready)
	if c.hostErr != nil {
		r.mu.Lock()
		if r.modules[h] == c {
			delete(r.modules, h)
		}
		r.mu.Unlock()
		r.release(ctx, c)
		return nil, c.hostErr
	}
	return c, nil
}

// compile fills in c. A module that does not compile, or could not run as
// a WASI command, is invalid; the reason is kept, as the same bytes fail
// the same way every time.
func (r *Runner) compile(ctx context.Context, c *compiled, module []byte) {
	mod, err := r.rt.CompileModule(ctx, module)
	if err != nil {
		if ctx.Err() != nil {
			c.hostErr = fmt.Errorf("sandbox: compiling: %w", context.Cause(ctx))
			return
		}
		c.invalid = err.Error()
		return
	}
	for _, f := range mod.ImportedFunctions() {
		if m, name, _ := f.Import(); m != wasi_snapshot_preview1.ModuleName {
			c.invalid = fmt.Sprintf("it imports %s.%s; only %s is provided", m, name, wasi_snapshot_preview1.ModuleName)
		}
	}
	for _, m := range mod.ImportedMemories() {
		mn, name, _ := m.Import()
		c.invalid = fmt.Sprintf("it imports memory %s.%s; none is provided", mn, name)
	}
	if _, ok := mod.ExportedFunctions()["_start"]; !ok && c.invalid == "" {
		c.invalid = "it exports no _start function (not a WASI command)"
	}
	for _, m := range mod.ExportedMemories() {
		c.minMemory = max(c.minMemory, uint64(m.Min())*pageSize)
	}
	if c.invalid != "" {
		mod.Close(ctx)
		return
	}
	c.mod = mod
}

// release ends a task's use of c and drops the least recently used unused
// modules beyond CachedModules.
func (r *Runner) release(ctx context.Context, c *compiled) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c.refs--
	if r.closed {
		return
	}
	for {
		var idle int
		var oldest *compiled
		for _, e := range r.modules {
			if e.refs == 0 {
				idle++
				if oldest == nil || e.lastUse < oldest.lastUse {
					oldest = e
				}
			}
		}
		if idle <= r.cfg.CachedModules {
			return
		}
		delete(r.modules, oldest.hash)
		if oldest.mod != nil {
			oldest.mod.Close(context.WithoutCancel(ctx))
		}
	}
}
