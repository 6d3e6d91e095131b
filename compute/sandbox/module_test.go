package sandbox_test

import (
	"context"
	"strings"
	"testing"

	"github.com/depinhq/depin/compute/sandbox"
)

// wasmModule assembles a minimal module by hand: one function of type
// () -> () whose body is code, exported as export (if not empty), a memory
// of minPages exported as "memory", and an optional function import.
func wasmModule(code []byte, export string, minPages uint32, importModule, importName string) []byte {
	section := func(id byte, body []byte) []byte {
		return append(append([]byte{id}, uleb(uint32(len(body)))...), body...)
	}
	name := func(s string) []byte { return append(uleb(uint32(len(s))), s...) }
	m := []byte("\x00asm\x01\x00\x00\x00")
	m = append(m, section(1, []byte{1, 0x60, 0, 0})...) // one type: () -> ()
	funcIndex := byte(0)
	if importModule != "" {
		imp := append([]byte{1}, name(importModule)...)
		imp = append(imp, name(importName)...)
		imp = append(imp, 0, 0) // a function of type 0
		m = append(m, section(2, imp)...)
		funcIndex = 1
	}
	m = append(m, section(3, []byte{1, 0})...)                            // one function of type 0
	m = append(m, section(5, append([]byte{1, 0}, uleb(minPages)...))...) // one memory, no maximum
	exports := []byte{1}
	exports = append(append(exports, name("memory")...), 2, 0)
	if export != "" {
		exports[0] = 2
		exports = append(append(exports, name(export)...), 0, funcIndex)
	}
	m = append(m, section(7, exports)...)
	body := append([]byte{0}, code...) // no locals
	body = append(body, 0x0b)          // end
	m = append(m, section(10, append([]byte{1}, append(uleb(uint32(len(body))), body...)...))...)
	return m
}

func uleb(v uint32) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

const wasmUnreachable = 0x00

// TestInvalidModulesAndTasks: what a module is made of, or how a task is
// set, fails the same way on every provider, with a reason.
func TestInvalidModulesAndTasks(t *testing.T) {
	t.Parallel()
	probeWasm, _ := probeModule(t)
	cases := []struct {
		name   string
		task   sandbox.Task
		status sandbox.Status
		reason string
	}{
		{"not wasm", sandbox.Task{Module: []byte("#!/bin/sh\nrm -rf /\n")},
			sandbox.InvalidModule, "invalid module: invalid magic number"},
		{"empty", sandbox.Task{},
			sandbox.InvalidModule, "invalid module:"},
		{"truncated", sandbox.Task{Module: wasmModule(nil, "_start", 1, "", "")[:30]},
			sandbox.InvalidModule, "invalid module:"},
		{"no _start", sandbox.Task{Module: wasmModule(nil, "main", 1, "", "")},
			sandbox.InvalidModule, "invalid module: it exports no _start function"},
		{"unknown import", sandbox.Task{Module: wasmModule(nil, "_start", 1, "env", "open_socket")},
			sandbox.InvalidModule, "invalid module: it imports env.open_socket; only wasi_snapshot_preview1 is provided"},
		{"unknown WASI function", sandbox.Task{Module: wasmModule(nil, "_start", 1, "wasi_snapshot_preview1", "sock_connect")},
			sandbox.InvalidModule, "sock_connect"},
		{"unreachable", sandbox.Task{Module: wasmModule([]byte{wasmUnreachable}, "_start", 1, "", "")},
			sandbox.Trap, "trap: wasm error: unreachable"},
		{"memory too large to start", sandbox.Task{Module: wasmModule(nil, "_start", 1024, "", "")},
			sandbox.OutOfMemory, "needs 67108864 bytes of memory to start, the limit is 1048576"},
		{"empty module runs", sandbox.Task{Module: wasmModule(nil, "_start", 1, "", "")},
			sandbox.OK, ""},
		{"input escapes /in", sandbox.Task{Module: probeWasm, Inputs: map[string][]byte{"../x": nil}},
			sandbox.InvalidTask, `invalid task: input name "../x"`},
		{"input is file and directory", sandbox.Task{Module: probeWasm, Inputs: map[string][]byte{"a": nil, "a/b": nil}},
			sandbox.InvalidTask, `input "a" is both a file and the directory of "a/b"`},
		{"reserved environment", sandbox.Task{Module: probeWasm, Env: map[string]string{sandbox.IndexEnv: "7"}},
			sandbox.InvalidTask, "DEPIN_TASK_INDEX is reserved"},
		{"bad environment name", sandbox.Task{Module: probeWasm, Env: map[string]string{"A=B": "c"}},
			sandbox.InvalidTask, `environment name "A=B"`},
		{"NUL in argument", sandbox.Task{Module: probeWasm, Args: []string{"a\x00b"}},
			sandbox.InvalidTask, "contains a NUL byte"},
	}
	_, runner := probeModule(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := testLimits()
			l.MemoryBytes = 1 << 20
			res, err := runner.Run(context.Background(), c.task, l)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != c.status || !strings.Contains(res.Reason, c.reason) {
				t.Fatalf("got %v, reason %q; want %v, reason containing %q", res.Status, res.Reason, c.status, c.reason)
			}
			t.Logf("reason: %s", res.Reason)
			out, err := sandbox.DecodeOutput(res.Output)
			if err != nil || out.Status != c.status {
				t.Fatalf("output %v, %v", out.Status, err)
			}
		})
	}
}
