package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing/fstest"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/experimental/sysfs"
	"github.com/tetratelabs/wazero/sys"
)

// maxStderr is how much of stderr is kept to explain a failure.
const maxStderr = 4 << 10

// runInstance runs one task of a compiled module in a fresh instance.
func (r *Runner) runInstance(ctx context.Context, mod wazero.CompiledModule, t Task, l Limits) (Result, error) {
	budget := &memoryBudget{limit: l.MemoryBytes}
	out := newOutFS(l.MaxOutputBytes, l.MaxOutputFiles)
	stdout := &boundedWriter{max: l.MaxStdoutBytes}
	stderr := &boundedWriter{max: maxStderr, quiet: true}
	clock := &virtualClock{}

	open := &openFiles{}
	fsc := wazero.NewFSConfig().(sysfs.FSConfig).
		WithSysFSMount(boundedOpens{FS: &sysfs.ReadFS{FS: &sysfs.AdaptFS{FS: inputFS(t.Inputs)}}, open: open}, "/in").(sysfs.FSConfig).
		WithSysFSMount(boundedOpens{FS: out, open: open}, "/out")
	index := strconv.FormatUint(uint64(t.Index), 10)
	cfg := wazero.NewModuleConfig().
		WithName("").
		WithStartFunctions(). // _start is called below, to tell a failed link from a failed run
		WithArgs(slices.Concat([]string{"task"}, t.Args, []string{index})...).
		WithEnv(IndexEnv, index).
		WithStdin(bytes.NewReader(nil)).
		WithStdout(stdout).
		WithStderr(stderr).
		WithFSConfig(fsc).
		WithWalltime(clock.walltime, sys.ClockResolution(ClockTick)).
		WithNanotime(clock.nanotime, sys.ClockResolution(ClockTick)).
		WithNanosleep(clock.nanosleep).
		WithOsyield(func() {}).
		WithRandSource(randSource(t.Seed, t.Index))
	for _, k := range slices.Sorted(maps.Keys(t.Env)) {
		cfg = cfg.WithEnv(k, t.Env[k])
	}

	runCtx, cancel := context.WithTimeout(ctx, l.Timeout)
	defer cancel()
	runCtx = experimental.WithMemoryAllocator(runCtx, budget)

	var started bool
	inst, err := r.rt.InstantiateModule(runCtx, mod, cfg)
	if err == nil {
		if budget.denied > 0 {
			inst.Close(context.WithoutCancel(ctx))
			return failed(OutOfMemory, fmt.Sprintf("out of memory: the module needs %d bytes of memory to start, the limit is %d", budget.denied, l.MemoryBytes)), nil
		}
		started = true
		_, err = inst.ExportedFunction("_start").Call(runCtx)
		inst.Close(context.WithoutCancel(ctx))
	}

	var exit *sys.ExitError
	isExit := errors.As(err, &exit)
	switch {
	case isExit && runCtx.Err() != nil &&
		(exit.ExitCode() == sys.ExitCodeDeadlineExceeded || exit.ExitCode() == sys.ExitCodeContextCanceled):
		if ctx.Err() != nil { // the caller's context, or Close
			return Result{}, fmt.Errorf("sandbox: run stopped: %w", context.Cause(ctx))
		}
		return failed(Timeout, fmt.Sprintf("timeout: still running after %v", l.Timeout)), nil
	case out.overflow != "":
		return failed(OutputTooLarge, "output too large: "+out.overflow), nil
	case stdout.overflow:
		return failed(OutputTooLarge, fmt.Sprintf("output too large: stdout exceeds %d bytes", l.MaxStdoutBytes)), nil
	}
	code := uint32(0)
	if isExit {
		code = exit.ExitCode()
	}
	trapped := err != nil && !isExit
	switch {
	case (trapped || code != 0) && budget.denied > 0:
		// A module that survives a refused grow (exit 0) just has less
		// memory; one that fails after it ran out.
		return failed(OutOfMemory, fmt.Sprintf("out of memory: the module asked for %d bytes of memory, the limit is %d%s", budget.denied, l.MemoryBytes, stderr.summary())), nil
	case trapped && !started:
		return failed(InvalidModule, "invalid module: "+firstLine(err.Error())), nil
	case trapped:
		return failed(Trap, "trap: "+trapSummary(err.Error())), nil
	}

	status, reason := OK, ""
	if code != 0 {
		status, reason = ExitNonZero, fmt.Sprintf("exit code %d%s", code, stderr.summary())
	}
	o, err := EncodeOutput(Output{Status: status, ExitCode: code, Stdout: stdout.buf.Bytes(), Files: out.files()})
	if err != nil {
		// The output FS only holds valid paths; this is a bug of ours.
		return Result{}, fmt.Errorf("sandbox: encoding output: %w", err)
	}
	return Result{Status: status, ExitCode: code, Reason: reason, Output: o}, nil
}

// inputFS is the read-only /in of a task.
func inputFS(inputs map[string][]byte) fstest.MapFS {
	m := make(fstest.MapFS, len(inputs))
	for name, data := range inputs {
		m[name] = &fstest.MapFile{Data: data, Mode: 0o444}
	}
	return m
}

// boundedWriter keeps up to max bytes. Past that a quiet one drops the rest;
// a loud one fails the write and remembers the overflow.
type boundedWriter struct {
	buf      bytes.Buffer
	max      int64
	quiet    bool
	overflow bool
}

var errStreamFull = errors.New("output bound reached")

func (w *boundedWriter) Write(p []byte) (int, error) {
	room := w.max - int64(w.buf.Len())
	if int64(len(p)) <= room {
		return w.buf.Write(p)
	}
	if w.quiet {
		w.buf.Write(p[:max(room, 0)])
		return len(p), nil
	}
	w.overflow = true
	return 0, errStreamFull
}

var _ io.Writer = (*boundedWriter)(nil)

// summary is ": " and the first non-empty line the module wrote to
// stderr, or nothing.
func (w *boundedWriter) summary() string {
	for line := range strings.SplitSeq(w.buf.String(), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			return ": " + truncate(line, 300)
		}
	}
	return ""
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return truncate(line, 300)
}

// trapSummary keeps the first line of a wazero trap error and the
// innermost function of its stack trace.
func trapSummary(s string) string {
	lines := strings.Split(s, "\n")
	msg := truncate(lines[0], 300)
	for i, l := range lines {
		if strings.HasPrefix(l, "wasm stack trace:") && i+1 < len(lines) {
			return msg + " (in " + truncate(strings.TrimSpace(lines[i+1]), 200) + ")"
		}
	}
	return msg
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
