package app

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/depinhq/depin/internal/golden"
	"github.com/depinhq/depin/state"
)

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
		c := adversarialRun(t, seed, 300, nil)
		all := sha256.New()
		for _, h := range c.hashes {
			all.Write(h)
		}
		fmt.Fprintf(&b, "seed %d: %d blocks, last app hash %X, all app hashes sha256 %s\n", seed, len(c.hashes), c.appHash, hex.EncodeToString(all.Sum(nil)))
	}
	golden.Check(t, filepath.Join("testdata", "scenario_apphashes.golden"), "the scenario's app hashes", b.String())
}

// TestScenarioEvents pins the event stream of a scripted scenario (the
// adversarial workload, seed 3, 120 steps) — the schema indexers and
// clients depend on — and checks every typed event decodes back
// (state.FromABCI) to what it says. A change of an event's fields shows
// here in review; -update rewrites the file.
func TestScenarioEvents(t *testing.T) {
	var b strings.Builder
	adversarialRun(t, 3, 120, func(h int64, evs []abci.Event, txs []*abci.ExecTxResult) {
		write := func(where string, ev abci.Event) {
			fmt.Fprintf(&b, "%d %s %s", h, where, ev.Type)
			for _, a := range ev.Attributes {
				idx := ""
				if a.Index {
					idx = "*"
				}
				fmt.Fprintf(&b, " %s%s=%s", a.Key, idx, a.Value)
			}
			b.WriteByte('\n')
			if ev.Type == "message" {
				return
			}
			m, err := state.FromABCI(ev)
			if err != nil {
				t.Fatalf("height %d: %v", h, err)
			}
			if again := state.ToABCI(m); !reflect.DeepEqual(stripIndex(again), stripIndex(ev)) {
				t.Fatalf("height %d: %s does not round-trip:\n%v\n%v", h, ev.Type, ev, again)
			}
		}
		for _, ev := range evs {
			write("block", ev)
		}
		for i, r := range txs {
			for _, ev := range r.Events {
				write(fmt.Sprintf("tx%d", i), ev)
			}
		}
	})
	golden.Check(t, filepath.Join("testdata", "scenario_events.golden"), "the scenario's events", b.String())
}

// stripIndex drops the index flags (not part of the typed event).
func stripIndex(ev abci.Event) abci.Event {
	out := abci.Event{Type: ev.Type}
	for _, a := range ev.Attributes {
		out.Attributes = append(out.Attributes, abci.EventAttribute{Key: a.Key, Value: a.Value})
	}
	return out
}
