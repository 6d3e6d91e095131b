// Package golden compares what a test produced with a file kept under
// testdata/, and rewrites the file when the test runs with -update. Tests
// import it; it registers the -update flag for their test binary.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ (or what a test's golden names)")

// Update reports whether the test runs with -update.
func Update() bool { return *update }

// Check compares got with the file at path; with -update it writes got
// there first (creating its directory). On a difference it fails t with
// what (what the file pins, for the message) and the first line that
// differs, and says how to accept the change (an error: the test goes on).
func Check(t testing.TB, path, what, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got == string(want) {
		return
	}
	if line, g, w, ok := FirstDiff(got, string(want)); ok {
		t.Errorf("%s changed at line %d of %s (run with -update if on purpose):\n got %s\nwant %s", what, line, path, g, w)
		return
	}
	t.Errorf("%s changed: %d lines, want %d (run with -update if on purpose)", what,
		strings.Count(got, "\n"), strings.Count(string(want), "\n"))
}

// FirstDiff returns the first line (1-based) where got and want differ and
// the two lines; ok is false when one is a prefix of the other.
func FirstDiff(got, want string) (line int, g, w string, ok bool) {
	gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range min(len(gl), len(wl)) {
		if gl[i] != wl[i] {
			return i + 1, gl[i], wl[i], true
		}
	}
	return 0, "", "", false
}
