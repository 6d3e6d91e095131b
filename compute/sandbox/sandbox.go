package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"
)

// Limits bound what one task may use. A job sets them once for all its
// tasks; every provider enforces the same ones.
type Limits struct {
	// MemoryBytes caps the module's linear memory.
	MemoryBytes uint64
	// Timeout caps the wall time of one run.
	Timeout time.Duration
	// MaxOutputBytes caps the sum of the sizes of the files under /out.
	MaxOutputBytes int64
	// MaxOutputFiles caps the number of files and directories under /out.
	MaxOutputFiles int
	// MaxStdoutBytes caps what the module writes to stdout.
	MaxStdoutBytes int64
}

// MaxMemoryBytes is the most linear memory a wasm32 module can address
// (65536 pages of 64 KiB).
const MaxMemoryBytes = 1 << 32

// DefaultLimits are the limits of a job that sets none.
func DefaultLimits() Limits {
	return Limits{
		MemoryBytes:    256 << 20,
		Timeout:        time.Minute,
		MaxOutputBytes: 64 << 20,
		MaxOutputFiles: 1024,
		MaxStdoutBytes: 1 << 20,
	}
}

// ErrInvalidLimits is returned by Limits.Validate and by Run for limits that
// do not describe a runnable task (zero, negative or beyond wasm32).
var ErrInvalidLimits = errors.New("sandbox: invalid limits")

// Validate reports whether the limits can be enforced.
func (l Limits) Validate() error {
	switch {
	case l.MemoryBytes < pageSize || l.MemoryBytes > MaxMemoryBytes:
		return fmt.Errorf("%w: memory %d bytes is not within [64 KiB, 4 GiB]", ErrInvalidLimits, l.MemoryBytes)
	case l.Timeout <= 0:
		return fmt.Errorf("%w: timeout %v is not positive", ErrInvalidLimits, l.Timeout)
	case l.MaxOutputBytes < 0 || l.MaxStdoutBytes < 0 || l.MaxOutputFiles < 0:
		return fmt.Errorf("%w: negative output bound", ErrInvalidLimits)
	}
	return nil
}

// pageSize is the size of a wasm memory page.
const pageSize = 64 << 10

// Task is one unit of a job: the module, what it reads, and which task it is.
type Task struct {
	// Module is the wasm binary.
	Module []byte
	// Inputs are mounted read-only under /in: the name is a slash-separated
	// path (fs.ValidPath), the value its content.
	Inputs map[string][]byte
	// Args follow the program name "task"; the index comes last.
	Args []string
	// Env is the module's environment, besides DEPIN_TASK_INDEX.
	Env map[string]string
	// Index is the task's position in its job, 0-based.
	Index uint32
	// Seed keys the module's randomness (with Index).
	Seed [32]byte
}

// IndexEnv is the environment variable that holds the task index.
const IndexEnv = "DEPIN_TASK_INDEX"

// validate reports why a task cannot be given to a module. Such a task fails
// the same way everywhere, so it is a Result (InvalidTask), not an error.
func (t *Task) validate() error {
	for name := range t.Inputs {
		if name == "." || !fs.ValidPath(name) {
			return fmt.Errorf("input name %q is not a relative slash-separated path", name)
		}
		for dir := name; ; {
			i := strings.LastIndexByte(dir, '/')
			if i < 0 {
				break
			}
			dir = dir[:i]
			if _, ok := t.Inputs[dir]; ok {
				return fmt.Errorf("input %q is both a file and the directory of %q", dir, name)
			}
		}
	}
	for _, a := range t.Args {
		if strings.IndexByte(a, 0) >= 0 {
			return fmt.Errorf("argument %q contains a NUL byte", a)
		}
	}
	for k, v := range t.Env {
		switch {
		case k == "" || strings.ContainsAny(k, "=\x00"):
			return fmt.Errorf("environment name %q is empty or contains '=' or NUL", k)
		case strings.IndexByte(v, 0) >= 0:
			return fmt.Errorf("environment value of %s contains a NUL byte", k)
		case k == IndexEnv:
			return fmt.Errorf("environment name %s is reserved for the task index", k)
		}
	}
	return nil
}

// Status is how a task ended. The values are part of the output encoding:
// never renumber them.
type Status uint8

const (
	// OK: the module exited with code 0.
	OK Status = 1
	// ExitNonZero: the module exited with a non-zero code (a Go panic
	// exits with 2).
	ExitNonZero Status = 2
	// Trap: the module trapped (unreachable, out-of-bounds access, …).
	Trap Status = 3
	// OutOfMemory: the module failed after its memory was denied growth
	// past Limits.MemoryBytes, or needs more than that to start.
	OutOfMemory Status = 4
	// Timeout: the module ran past Limits.Timeout.
	Timeout Status = 5
	// OutputTooLarge: the module wrote past an output bound.
	OutputTooLarge Status = 6
	// InvalidModule: the bytes are not a runnable WASI command module
	// (bad binary, unknown imports, no _start).
	InvalidModule Status = 7
	// InvalidTask: the task cannot be given to a module (bad input name,
	// NUL in an argument, reserved environment name).
	InvalidTask Status = 8
)

var statusNames = [...]string{
	OK: "ok", ExitNonZero: "exit-non-zero", Trap: "trap", OutOfMemory: "out-of-memory",
	Timeout: "timeout", OutputTooLarge: "output-too-large", InvalidModule: "invalid-module",
	InvalidTask: "invalid-task",
}

func (s Status) String() string {
	if s.valid() {
		return statusNames[s]
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

func (s Status) valid() bool { return s >= OK && s <= InvalidTask }

// hasOutput reports whether a task that ended so keeps its files and stdout.
func (s Status) hasOutput() bool { return s == OK || s == ExitNonZero }

// Result is how one run of a task ended.
type Result struct {
	Status Status
	// ExitCode is the module's exit code (non-zero only with ExitNonZero).
	ExitCode uint32
	// Reason explains a status other than OK, for people; it is not part
	// of Output.
	Reason string
	// Output is the canonical encoding of the outcome (see the package
	// documentation); its OutputHash is what providers commit to.
	Output []byte
}

// Run runs one task with a fresh Runner. Providers that run many tasks of a
// module use a Runner, which compiles the module once.
func Run(ctx context.Context, t Task, l Limits) (Result, error) {
	r, err := NewRunner(ctx, DefaultConfig())
	if err != nil {
		return Result{}, err
	}
	res, err := r.Run(ctx, t, l)
	if cerr := r.Close(ctx); err == nil && cerr != nil {
		err = cerr
	}
	return res, err
}
