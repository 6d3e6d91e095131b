package node

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/store"
	"github.com/depinhq/depin/x/bank"
)

// TestInvariantChecker: a state whose books balance passes and leaves no
// file; one with a balance no supply accounts for is logged, counted and
// appended to the violations file, which ReadInvariantViolations reads
// back with its height.
func TestInvariantChecker(t *testing.T) {
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, "data"), 0o700); err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	c := newInvariantChecker(home, slog.New(slog.NewTextHandler(&logged, nil)))

	good := store.NewCache(store.NewMemTree())
	c.afterCommit(7, good)
	if st := c.status(); st != (InvariantStatus{Checked: 1, CheckedHeight: 7}) {
		t.Fatalf("after a good block: %+v", st)
	}
	if v, err := ReadInvariantViolations(home); err != nil || len(v) != 0 {
		t.Fatalf("violations after a good block: %v, %v", v, err)
	}

	bad := store.NewCache(store.NewMemTree())
	bad.Set(bank.BalanceKey(crypto.Address{1}, bank.NativeDenom), binary.BigEndian.AppendUint64(nil, 5))
	c.afterCommit(8, bad)
	c.afterCommit(9, bad)
	if st := c.status(); st != (InvariantStatus{Checked: 3, CheckedHeight: 9, Violations: 2}) {
		t.Fatalf("after two bad blocks: %+v", st)
	}
	v, err := ReadInvariantViolations(home)
	if err != nil || len(v) != 2 || v[0].Height != 8 || v[1].Height != 9 || v[0].Error == "" {
		t.Fatalf("violations: %+v, %v", v, err)
	}
	if !strings.Contains(logged.String(), "invariant violated") || !strings.Contains(logged.String(), "height=8") {
		t.Fatalf("log lacks the violation:\n%s", logged.String())
	}

	// A torn last line (a kill mid-write) still counts as a violation.
	f, err := os.OpenFile(InvariantViolationsPath(home), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"height":10,"err`)
	f.Close()
	if v, err := ReadInvariantViolations(home); err != nil || len(v) != 3 || v[2].Error == "" {
		t.Fatalf("with a torn line: %+v, %v", v, err)
	}
}

// TestCheckInvariantsOption: a node with check_invariants = true checks
// every committed block (GET /v1/status says how far) and records nothing
// on a healthy chain; without the option the status has no such field.
func TestCheckInvariantsOption(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a node")
	}
	home := t.TempDir()
	p, err := FreeLoopbackPorts()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := SetupDevnet(DevnetOptions{Home: home, Ports: p, TimeoutCommit: 100 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	ac, err := LoadAppConfig(home)
	if err != nil {
		t.Fatal(err)
	}
	ac.CheckInvariants = true
	if err := WriteAppConfig(home, ac); err != nil {
		t.Fatal(err)
	}
	n, err := New(context.Background(), Config{Home: home, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	var st struct {
		Height     int64            `json:"height"`
		Invariants *InvariantStatus `json:"invariants"`
	}
	waitFor(t, "5 checked blocks", 30*time.Second, func() bool {
		resp, err := http.Get(n.APIURL() + "/v1/status")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
			t.Fatal(err)
		}
		if st.Invariants == nil {
			t.Fatal("GET /v1/status has no invariants field with check_invariants on")
		}
		return st.Invariants.Checked >= 5
	})
	if st.Invariants.Violations != 0 || st.Invariants.CheckedHeight < 5 {
		t.Fatalf("status %+v", st.Invariants)
	}
	if v, err := ReadInvariantViolations(home); err != nil || len(v) != 0 {
		t.Fatalf("violations on a healthy devnet: %+v, %v", v, err)
	}
}
