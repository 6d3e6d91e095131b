package app

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestScenarioAppHashes pins the app hash of every block of a scripted
// multi-module scenario (the adversarial workload with seeds 1 and 2:
// networks, devices, reports, rewards, evidence, agreements, the market,
// shares, leases, staking-free parameter changes, time jumps). A change
// that is meant to keep behaviour — a refactor — must leave it as it is;
// one that changes the state machine on purpose updates it (go test
// ./app -run TestScenarioAppHashes -update) and says why in its commit.
func TestScenarioAppHashes(t *testing.T) {
	var b strings.Builder
	for _, seed := range []uint64{1, 2} {
		c := adversarialRun(t, seed, 300)
		all := sha256.New()
		for _, h := range c.hashes {
			all.Write(h)
		}
		fmt.Fprintf(&b, "seed %d: %d blocks, last app hash %X, all app hashes sha256 %s\n", seed, len(c.hashes), c.appHash, hex.EncodeToString(all.Sum(nil)))
	}
	path := filepath.Join("testdata", "scenario_apphashes.golden")
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got := b.String(); got != string(want) {
		t.Fatalf("the scenario's app hashes changed:\n got %s\nwant %s", got, want)
	}
}
