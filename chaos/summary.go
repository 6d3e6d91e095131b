package chaos

import (
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Summary is what a soak found. Times are seconds; "…_s" fields in JSON.
type Summary struct {
	Seed       uint64  `json:"seed"`
	Validators int     `json:"validators"`
	FullNodes  int     `json:"full_nodes"`
	Duration   string  `json:"duration"`
	Seconds    float64 `json:"seconds"` // the whole run, setup and checks included
	Dir        string  `json:"dir"`
	// Heights are the nodes' last heights; blocks 1..Compared were
	// compared on every node; the workload started at WorkloadStart.
	Heights       map[string]int64 `json:"heights"`
	WorkloadStart int64            `json:"workload_start_height"`
	Compared      int64            `json:"heights_compared"`
	Txs           TxSummary        `json:"txs"`
	// Lost are txs a CheckTx accepted that were never committed, because
	// only a node that was then perturbed held them (not violations).
	Lost          []*TxRecord     `json:"lost_with_perturbed_node"`
	Perturbations []*Perturbation `json:"perturbations"`
	// MaxStall is the longest the highest height stood still (seen
	// live), at MaxStallHeight from MaxStallAt; MaxBlockGap the longest
	// gap between consecutive block times, ending at MaxBlockGapHeight.
	MaxStall          float64 `json:"max_stall_s"`
	MaxStallHeight    int64   `json:"max_stall_height"`
	MaxStallAt        float64 `json:"max_stall_at_s"`
	MaxBlockGap       float64 `json:"max_block_time_gap_s"`
	MaxBlockGapHeight int64   `json:"max_block_time_gap_height"`
	// StallBound is what both may reach: it includes OverThirdDown, the
	// time more than a third of the voting power was down at once.
	StallBound    float64 `json:"stall_bound_s"`
	OverThirdDown float64 `json:"over_third_down_s"`
	// OutOfSet are validators no longer in the validator set at the end
	// (jailed for downtime): not a violation, but the soak then had less
	// room to perturb.
	OutOfSet []string `json:"validators_out_of_set,omitempty"`
	// Invariants is the height up to which each node checked them.
	Invariants map[string]int64 `json:"invariants_checked_height"`
	Violations []string         `json:"violations"`
	Passed     bool             `json:"passed"`
}

// TxSummary counts submitted txs by outcome, and by kind and outcome.
type TxSummary struct {
	Total     int                       `json:"total"`
	ByOutcome map[string]int            `json:"by_outcome"`
	ByKind    map[string]map[string]int `json:"by_kind"`
}

// WriteText prints the summary for people.
func (s *Summary) WriteText(w io.Writer) {
	verdict := "PASSED"
	if !s.Passed {
		verdict = fmt.Sprintf("FAILED (%d violations)", len(s.Violations))
	}
	fmt.Fprintf(w, "chaos soak %s: %d validators + %d full nodes, %s of workload and perturbations, seed %d (%.0fs in all)\n",
		verdict, s.Validators, s.FullNodes, s.Duration, s.Seed, s.Seconds)
	fmt.Fprintf(w, "  homes and logs: %s\n", s.Dir)
	var names []string
	for n := range s.Heights {
		names = append(names, n)
	}
	sort.Strings(names)
	var hs []string
	for _, n := range names {
		hs = append(hs, fmt.Sprintf("%s %d (invariants checked to %d)", n, s.Heights[n], s.Invariants[n]))
	}
	fmt.Fprintf(w, "  heights: %s\n", strings.Join(hs, ", "))
	fmt.Fprintf(w, "  blocks 1..%d identical on every node (block and app hashes); workload from height %d\n", s.Compared, s.WorkloadStart)
	fmt.Fprintf(w, "  longest stall %.1fs at height %d (from %.1fs); longest gap between block times %.1fs (block %d); bound %.1fs (%.1fs with > 1/3 of the power down)\n",
		s.MaxStall, s.MaxStallHeight, s.MaxStallAt, s.MaxBlockGap, s.MaxBlockGapHeight, s.StallBound, s.OverThirdDown)

	if len(s.OutOfSet) > 0 {
		fmt.Fprintf(w, "  validators out of the set at the end (jailed): %s\n", strings.Join(s.OutOfSet, ", "))
	}
	fmt.Fprintf(w, "  perturbations (%d: %s):\n", len(s.Perturbations), kindsSeen(s.Perturbations))
	for _, p := range s.Perturbations {
		role := "full node"
		if p.Validator {
			role = fmt.Sprintf("validator, power %d/%d", p.Power, p.Total)
		}
		rec := "never recovered"
		if p.Recovered > 0 {
			rec = fmt.Sprintf("caught up at %.1fs", p.Recovered)
		}
		fmt.Fprintf(w, "    %7.1fs %-9s %s (%s): lifted at %.1fs, %s %s\n", p.Start, p.Kind, p.Node, role, p.Lifted, rec, p.Note)
	}

	fmt.Fprintf(w, "  txs: %d submitted:", s.Txs.Total)
	outs := sortedKeys(s.Txs.ByOutcome)
	for _, o := range outs {
		fmt.Fprintf(w, " %s %d", o, s.Txs.ByOutcome[o])
	}
	fmt.Fprintln(w)
	for _, k := range sortedKeys(s.Txs.ByKind) {
		var parts []string
		for _, o := range sortedKeys(s.Txs.ByKind[k]) {
			parts = append(parts, fmt.Sprintf("%s %d", o, s.Txs.ByKind[k][o]))
		}
		fmt.Fprintf(w, "    %-44s %s\n", k, strings.Join(parts, ", "))
	}
	if len(s.Lost) > 0 {
		fmt.Fprintf(w, "  accepted but lost with a perturbed node (%d, not violations):\n", len(s.Lost))
		for _, r := range s.Lost {
			fmt.Fprintf(w, "    %s %s seq %d, sent to %s at %.1fs: %s\n", short(r.Hash), r.Kind, r.Sequence, r.Node, r.Submitted, r.Explained)
		}
	}
	if len(s.Violations) == 0 {
		fmt.Fprintln(w, "  violations: none")
		return
	}
	fmt.Fprintf(w, "  violations (%d):\n", len(s.Violations))
	for _, v := range s.Violations {
		fmt.Fprintf(w, "    - %s\n", v)
	}
	fmt.Fprintf(w, "  reproduce with: depin chaos --seed %d --validators %d --full-nodes %d --duration %s\n", s.Seed, s.Validators, s.FullNodes, s.Duration)
}

func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}
