package chaos_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/depinhq/depin/chaos"
)

// buildDepin builds the depin binary once for the test.
func buildDepin(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("building the depin binary needs the go command: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "depin")
	cmd := exec.Command(gobin, "build", "-o", bin, "github.com/depinhq/depin/cmd/depin")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestSoak is the short chaos soak: 4 validators and a full node, each a
// process of the depin binary, under the random workload for ~45 s while
// every kind of perturbation happens at least once; the network must come
// out without a violation (no stall beyond the bound, the same blocks and
// app hashes everywhere, invariants held on every node after every block,
// no committed tx missing anywhere, no accepted tx lost unexplained).
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos soak in -short mode")
	}
	bin := buildDepin(t)
	cfg := chaos.TestConfig()
	cfg.Binary = bin
	cfg.Seed = 42
	var progress bytes.Buffer
	cfg.Progress = &progress
	if os.Getenv("DEPIN_TEST_VERBOSE") != "" {
		cfg.Progress = os.Stderr
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	s, err := chaos.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sum, err := s.Run(ctx)
	if err != nil {
		t.Fatalf("soak did not run: %v\n%s", err, progress.String())
	}
	var text strings.Builder
	sum.WriteText(&text)
	t.Log("\n" + text.String())
	if !sum.Passed {
		t.Fatalf("violations (node homes and logs kept in %s):\n%s", sum.Dir, strings.Join(sum.Violations, "\n"))
	}
	kinds := map[string]bool{}
	for _, p := range sum.Perturbations {
		kinds[p.Kind] = p.Recovered > 0 || kinds[p.Kind]
	}
	for _, k := range []string{"kill", "pause", "partition", "reset"} {
		if !kinds[k] {
			t.Errorf("no %s perturbation recovered in the soak", k)
		}
	}
	if got := sum.Txs.ByOutcome["committed"]; got < 100 {
		t.Errorf("only %d txs committed", got)
	}
	for _, k := range []string{"bank-send", "report-batch", "device-register", "market-order", "staking-delegate"} {
		if sum.Txs.ByKind[k]["committed"] == 0 {
			t.Errorf("no %s tx committed: %v", k, sum.Txs.ByKind[k])
		}
	}
	for k, outs := range sum.Txs.ByKind {
		if strings.HasSuffix(k, "-invalid") && outs["committed"] > 0 {
			t.Errorf("%d %s txs committed with success", outs["committed"], k)
		}
	}
	if sum.Compared < 20 {
		t.Errorf("only %d heights compared", sum.Compared)
	}
}
