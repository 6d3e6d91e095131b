package sandbox_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/depinhq/depin/compute/sandbox"
)

// The probe module is built once per test binary: building for wasip1 takes
// seconds, compiling it in wazero about a second, so every test shares one
// build and one Runner.
var probe struct {
	once   sync.Once
	dir    string
	module []byte
	runner *sandbox.Runner
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if probe.runner != nil {
		probe.runner.Close(context.Background())
	}
	if probe.dir != "" {
		os.RemoveAll(probe.dir)
	}
	os.Exit(code)
}

// probeModule returns the probe's wasm and the shared Runner.
func probeModule(t testing.TB) ([]byte, *sandbox.Runner) {
	t.Helper()
	probe.once.Do(func() {
		probe.dir, probe.err = os.MkdirTemp("", "sandbox-probe-")
		if probe.err != nil {
			return
		}
		probe.module, probe.err = BuildWasip1("./testdata/probe", filepath.Join(probe.dir, "probe.wasm"))
		if probe.err != nil {
			return
		}
		probe.runner, probe.err = sandbox.NewRunner(context.Background(), sandbox.DefaultConfig())
	})
	if probe.err != nil {
		t.Fatal(probe.err)
	}
	return probe.module, probe.runner
}

// BuildWasip1 builds the Go main package at pkg (a path relative to the
// test's directory) for GOOS=wasip1 GOARCH=wasm and returns the module.
func BuildWasip1(pkg, out string) ([]byte, error) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(gobin, "build", "-trimpath", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, &buildError{pkg: pkg, err: err, out: string(b)}
	}
	return os.ReadFile(out)
}

type buildError struct {
	pkg, out string
	err      error
}

func (e *buildError) Error() string {
	return "building " + e.pkg + " for wasip1: " + e.err.Error() + "\n" + e.out
}
