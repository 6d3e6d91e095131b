package sandbox_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/depinhq/depin/compute/sandbox"
)

// testLimits are small enough that the bad cases end quickly.
func testLimits() sandbox.Limits {
	return sandbox.Limits{
		MemoryBytes:    128 << 20,
		Timeout:        time.Minute, // only the timeout case relies on it
		MaxOutputBytes: 1 << 20,
		MaxOutputFiles: 16,
		MaxStdoutBytes: 64 << 10,
	}
}

// runProbe runs the probe with args and decodes its output.
func runProbe(t *testing.T, l sandbox.Limits, task sandbox.Task, args ...string) (sandbox.Result, sandbox.Output) {
	t.Helper()
	module, runner := probeModule(t)
	task.Module = module
	task.Args = append(args, task.Args...)
	res, err := runner.Run(context.Background(), task, l)
	if err != nil {
		t.Fatalf("Run(%v): %v", args, err)
	}
	out, err := sandbox.DecodeOutput(res.Output)
	if err != nil {
		t.Fatalf("Run(%v): output does not decode: %v", args, err)
	}
	if out.Status != res.Status || out.ExitCode != res.ExitCode {
		t.Fatalf("Run(%v): result says %v/%d, output %v/%d", args, res.Status, res.ExitCode, out.Status, out.ExitCode)
	}
	return res, out
}

func TestRunHello(t *testing.T) {
	t.Parallel()
	res, out := runProbe(t, testLimits(), sandbox.Task{}, "hello")
	if res.Status != sandbox.OK || res.Reason != "" {
		t.Fatalf("status %v (%s), want ok", res.Status, res.Reason)
	}
	if string(out.Stdout) != "hello\n" || len(out.Files) != 0 {
		t.Fatalf("stdout %q, files %d; want \"hello\\n\" and none", out.Stdout, len(out.Files))
	}
}

// TestBadModules: every way a module can misbehave ends as a Result with a
// status and a reason that says what happened, never as an error of the
// host, and the Runner goes on running tasks.
func TestBadModules(t *testing.T) {
	t.Parallel()
	limits := func(f func(*sandbox.Limits)) sandbox.Limits {
		l := testLimits()
		if f != nil {
			f(&l)
		}
		return l
	}
	cases := []struct {
		name   string
		args   []string
		limits sandbox.Limits
		status sandbox.Status
		code   uint32
		reason string // a substring of Reason
	}{
		{"infinite loop", []string{"loop"}, limits(func(l *sandbox.Limits) { l.Timeout = 200 * time.Millisecond }),
			sandbox.Timeout, 0, "timeout: still running after 200ms"},
		{"memory bomb", []string{"oom"}, limits(func(l *sandbox.Limits) { l.MemoryBytes = 64 << 20 }),
			sandbox.OutOfMemory, 0, "out of memory: the module asked for"},
		{"panic", []string{"panic"}, limits(nil),
			sandbox.ExitNonZero, 2, "exit code 2: panic: probe panicked on purpose"},
		{"exit code", []string{"exit", "7"}, limits(nil),
			sandbox.ExitNonZero, 7, "exit code 7: giving up with 7"},
		{"file too large", []string{"write", "1048577"}, limits(nil),
			sandbox.OutputTooLarge, 0, "output too large: files under /out exceed 1048576 bytes"},
		{"too many files", []string{"files"}, limits(nil),
			sandbox.OutputTooLarge, 0, "output too large: more than 16 files and directories under /out"},
		{"stdout flood", []string{"stdout", "65537"}, limits(nil),
			sandbox.OutputTooLarge, 0, "output too large: stdout exceeds 65536 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			res, out := runProbe(t, c.limits, sandbox.Task{}, c.args...)
			t.Logf("reason: %s", res.Reason)
			if res.Status != c.status || res.ExitCode != c.code || !strings.Contains(res.Reason, c.reason) {
				t.Fatalf("got %v, exit %d, reason %q; want %v, exit %d, reason containing %q (stdout %q)",
					res.Status, res.ExitCode, res.Reason, c.status, c.code, c.reason, out.Stdout)
			}
			if c.status != sandbox.ExitNonZero && (len(out.Stdout) > 0 || len(out.Files) > 0) {
				t.Fatalf("status %v kept output: stdout %q, %d files", res.Status, out.Stdout, len(out.Files))
			}
		})
	}
	// The runner survived all that.
	if res, _ := runProbe(t, testLimits(), sandbox.Task{}, "hello"); res.Status != sandbox.OK {
		t.Fatalf("after the bad modules: %v (%s)", res.Status, res.Reason)
	}
}

// TestExitNonZeroKeepsOutput: a module that exits with an error still has
// a deterministic result, which the consumer gets.
func TestExitNonZeroKeepsOutput(t *testing.T) {
	t.Parallel()
	_, out := runProbe(t, testLimits(), sandbox.Task{}, "exit", "9")
	data, ok := out.File("partial.txt")
	if string(out.Stdout) != "partial result\n" || !ok || string(data) != "partial" {
		t.Fatalf("stdout %q, partial.txt %q (%v)", out.Stdout, data, ok)
	}
}

// TestNoNetwork: net.Dial fails inside the module and nothing reaches a
// listener on the host.
func TestNoNetwork(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	res, out := runProbe(t, testLimits(), sandbox.Task{}, "dial", l.Addr().String())
	if res.Status != sandbox.ExitNonZero || res.ExitCode != 3 || !strings.HasPrefix(string(out.Stdout), "dial: ") {
		t.Fatalf("got %v, exit %d, stdout %q; want exit 3 with a dial error", res.Status, res.ExitCode, out.Stdout)
	}
	t.Logf("inside the module: %s", bytes.TrimSpace(out.Stdout))
	// A connection the kernel had accepted would wait in the backlog and
	// be returned at once; the deadline only ends the wait for none.
	l.(*net.TCPListener).SetDeadline(time.Now().Add(100 * time.Millisecond))
	if c, err := l.Accept(); err == nil {
		c.Close()
		t.Fatal("the listener got a connection from the module")
	}
}

// TestWASISocketsFail: the WASI preview 1 socket calls fail on every
// descriptor, as no socket is preopened.
func TestWASISocketsFail(t *testing.T) {
	t.Parallel()
	res, out := runProbe(t, testLimits(), sandbox.Task{}, "sockets")
	if res.Status != sandbox.OK {
		t.Fatalf("got %v (%s), stdout:\n%s", res.Status, res.Reason, out.Stdout)
	}
	t.Logf("inside the module:\n%s", out.Stdout)
}

// TestOpenFilesBounded: a module that opens files without closing them
// runs out of descriptors at MaxOpenFiles, not of host memory, and gets
// them back when it closes them.
func TestOpenFilesBounded(t *testing.T) {
	t.Parallel()
	res, out := runProbe(t, testLimits(), sandbox.Task{Inputs: map[string][]byte{"a.txt": []byte("a")}}, "open-many")
	if res.Status != sandbox.OK {
		t.Fatalf("got %v (%s), stdout %q", res.Status, res.Reason, out.Stdout)
	}
	// The preopened /in and /out take one descriptor each.
	if want := fmt.Sprintf("opened %d, then: open /in/a.txt: I/O error\n", sandbox.MaxOpenFiles-2); string(out.Stdout) != want {
		t.Fatalf("stdout %q, want %q", out.Stdout, want)
	}
}

// TestNoHostFiles: the module sees /in and /out only, and cannot write
// /in.
func TestNoHostFiles(t *testing.T) {
	t.Parallel()
	res, out := runProbe(t, testLimits(), sandbox.Task{Inputs: map[string][]byte{"a.txt": []byte("a")}}, "host")
	if res.Status != sandbox.OK {
		t.Fatalf("got %v (%s), stdout %q", res.Status, res.Reason, out.Stdout)
	}
	t.Logf("inside the module:\n%s", out.Stdout)
	for _, p := range []string{"/etc/passwd", "/in/../etc/passwd", "/in/../../etc/passwd", "../etc/passwd", "/proc/self/environ", "/", "/in/new.txt", "/in/a.txt", "/tmp/x"} {
		if !strings.Contains(string(out.Stdout), p+": denied") {
			t.Errorf("no denial of %s in %q", p, out.Stdout)
		}
	}
}

// TestDeterministicOutput: time, randomness, map order, environment and
// file metadata seen by the module come from the task alone, so two runs
// are byte-identical; the seed and the index change them.
func TestDeterministicOutput(t *testing.T) {
	t.Parallel()
	task := sandbox.Task{Seed: [32]byte{1}, Index: 3}
	a, out := runProbe(t, testLimits(), task, "nondeterminism")
	b, _ := runProbe(t, testLimits(), task, "nondeterminism")
	if a.Status != sandbox.OK {
		t.Fatalf("got %v (%s)", a.Status, a.Reason)
	}
	if !bytes.Equal(a.Output, b.Output) {
		t.Fatalf("two runs differ:\n%q\n%q", a.Output, b.Output)
	}
	t.Logf("module saw:\n%s", out.Stdout)
	want := fmt.Sprintf("now %d", sandbox.ClockEpoch*int64(time.Second))
	if !strings.Contains(string(out.Stdout), "now 17356896000") || !strings.Contains(string(out.Stdout), "slept 10.0") {
		t.Errorf("clock: stdout %q, want a time just after %s and a 10ms sleep", out.Stdout, want)
	}
	state, _ := out.File("sub/state.txt")
	if !bytes.Equal(state, out.Stdout) {
		t.Errorf("sub/state.txt = %q, want stdout", state)
	}

	other := task
	other.Seed[0] = 2
	c, _ := runProbe(t, testLimits(), other, "nondeterminism")
	other = task
	other.Index = 4
	d, _ := runProbe(t, testLimits(), other, "nondeterminism")
	if bytes.Equal(a.Output, c.Output) || bytes.Equal(a.Output, d.Output) {
		t.Fatal("the seed or the index does not change the module's randomness")
	}
	if sandbox.OutputHash(a.Output) != sandbox.OutputHash(b.Output) {
		t.Fatal("equal outputs, different hashes")
	}
}

// TestInputsAndIndex: the module reads its inputs under /in and its index
// from the environment and the last argument.
func TestInputsAndIndex(t *testing.T) {
	t.Parallel()
	task := sandbox.Task{
		Inputs: map[string][]byte{
			"scene.txt":     []byte("spheres"),
			"textures/a.rw": bytes.Repeat([]byte{7}, 1000),
			"empty":         nil,
		},
		Args:  []string{"x", "y"},
		Env:   map[string]string{"GREETING": "hi"},
		Index: 11,
	}
	res, out := runProbe(t, testLimits(), task, "inputs")
	if res.Status != sandbox.OK {
		t.Fatalf("got %v (%s)", res.Status, res.Reason)
	}
	want := "index env=11 arg=11\nextra=x,y greeting=hi\n" +
		"/in/empty 0 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n" +
		"/in/scene.txt 7 " + fmt.Sprintf("%x", sha256.Sum256([]byte("spheres"))) + "\n" +
		"/in/textures/a.rw 1000 " + fmt.Sprintf("%x", sha256.Sum256(bytes.Repeat([]byte{7}, 1000))) + "\n"
	if string(out.Stdout) != want {
		t.Fatalf("stdout:\n%s\nwant:\n%s", out.Stdout, want)
	}
	if len(out.Files) != 1 || out.Files[0].Path != "index-11.txt" || string(out.Files[0].Data) != want {
		t.Fatalf("files %+v, want index-11.txt", out.Files)
	}
}

// TestOutputDirectory: /out behaves like a file system (directories,
// seeks, appends, renames, removals, listings), and the output holds the
// files left at the end, sorted by path.
func TestOutputDirectory(t *testing.T) {
	t.Parallel()
	res, out := runProbe(t, testLimits(), sandbox.Task{}, "fs")
	if res.Status != sandbox.OK {
		t.Fatalf("got %v (%s), stdout %q", res.Status, res.Reason, out.Stdout)
	}
	if want := "b true\nrenamed.txt false\n\"HELLO \\x00\\x00\\x00\\x00!tail\"\n"; string(out.Stdout) != want {
		t.Errorf("stdout %q, want %q", out.Stdout, want)
	}
	var got []string
	for _, f := range out.Files {
		got = append(got, fmt.Sprintf("%s=%q", f.Path, f.Data))
	}
	if want := `a/b/log.txt="HELLO \x00\x00\x00\x00!tail" a/renamed.txt="temp"`; strings.Join(got, " ") != want {
		t.Errorf("files %s, want %s", strings.Join(got, " "), want)
	}
}

// TestHostErrors: what the module cannot cause is an error, not a Result.
func TestHostErrors(t *testing.T) {
	t.Parallel()
	module, runner := probeModule(t)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(100 * time.Millisecond)
		cancel()
	}()
	// The caller's context ends while the module runs: the provider is
	// stopping, which says nothing about the module.
	_, err := runner.Run(ctx, sandbox.Task{Module: module, Args: []string{"loop"}}, testLimits())
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled run: err %v, want context.Canceled", err)
	}
	bad := testLimits()
	bad.Timeout = 0
	if _, err := runner.Run(context.Background(), sandbox.Task{Module: module}, bad); !errors.Is(err, sandbox.ErrInvalidLimits) {
		t.Errorf("zero timeout: err %v, want ErrInvalidLimits", err)
	}

	// The Runner is closed while a task runs (or compiles, or before it
	// starts: all end the same way).
	r, err := sandbox.NewRunner(context.Background(), sandbox.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(100 * time.Millisecond)
		r.Close(context.Background())
	}()
	if _, err := r.Run(context.Background(), sandbox.Task{Module: module, Args: []string{"loop"}}, testLimits()); !errors.Is(err, sandbox.ErrClosed) {
		t.Errorf("runner closed during the run: err %v, want ErrClosed", err)
	}
	if _, err := r.Run(context.Background(), sandbox.Task{Module: module}, testLimits()); !errors.Is(err, sandbox.ErrClosed) {
		t.Errorf("closed runner: err %v, want ErrClosed", err)
	}
}

// BenchmarkRunTask is the cost of one task of a compiled module that does
// almost nothing: instantiating a Go module, its runtime's start, the
// output's encoding.
func BenchmarkRunTask(b *testing.B) {
	module, runner := probeModule(b)
	task := sandbox.Task{Module: module, Args: []string{"hello"}}
	ctx := context.Background()
	if _, err := runner.Run(ctx, task, testLimits()); err != nil { // compile
		b.Fatal(err)
	}
	for b.Loop() {
		res, err := runner.Run(ctx, task, testLimits())
		if err != nil || res.Status != sandbox.OK {
			b.Fatal(res.Status, res.Reason, err)
		}
	}
}

// BenchmarkCompile is what a Runner saves on every task after a module's
// first: compiling the probe (a 4 MB Go module).
func BenchmarkCompile(b *testing.B) {
	module, _ := probeModule(b)
	ctx := context.Background()
	task := sandbox.Task{Module: module, Args: []string{"hello"}}
	for b.Loop() {
		if _, err := sandbox.Run(ctx, task, testLimits()); err != nil {
			b.Fatal(err)
		}
	}
}
