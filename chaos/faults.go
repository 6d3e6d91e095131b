package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"
)

// Kinds of perturbation.
const (
	faultKill      = "kill"      // SIGKILL, restart after the hold
	faultPause     = "pause"     // SIGSTOP, SIGCONT after the hold
	faultPartition = "partition" // cut off from every peer, healed after the hold
	faultReset     = "reset"     // full node: killed, data wiped, restarted to block-sync from scratch
)

// Perturbation is one fault the soak injected. Times are seconds since the
// soak started.
type Perturbation struct {
	Kind      string  `json:"kind"`
	Node      string  `json:"node"`
	Validator bool    `json:"validator"`
	Start     float64 `json:"start_s"`
	Lifted    float64 `json:"lifted_s"`              // restarted / continued / healed
	Recovered float64 `json:"recovered_s,omitempty"` // caught up again; 0 if it never did
	// Power is the node's voting power when it was perturbed, of Total.
	Power int64  `json:"power,omitempty"`
	Total int64  `json:"total_power,omitempty"`
	Note  string `json:"note,omitempty"`

	node int
}

// faults injects perturbations: one slot per validator that may be down
// at once (f of them) and one for the full nodes, each perturbing, holding,
// lifting and waiting for recovery in turn.
type faults struct {
	s    *Soak
	hard context.Context

	mu   sync.Mutex
	down map[int]*Perturbation // perturbed and not yet recovered
	done []*Perturbation
	// lastValidator is the validator perturbed last (-1: none yet).
	lastValidator int
}

func newFaults(s *Soak) *faults {
	return &faults{s: s, down: map[int]*Perturbation{}, lastValidator: -1}
}

// up reports whether node k is neither perturbed nor catching up after
// one (the workload waits for txs only on nodes that are up).
func (f *faults) up(k int) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.down[k] == nil
}

func (f *faults) all() []*Perturbation {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := append([]*Perturbation(nil), f.done...)
	for _, p := range f.down {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out
}

// run perturbs until ctx ends, then lifts whatever holds and waits for
// the perturbed nodes to recover, unless hard (the whole soak's context)
// ends too.
func (f *faults) run(ctx, hard context.Context) {
	f.hard = hard
	var wg sync.WaitGroup
	slots := faultTolerance(f.s.cfg.Validators)
	if slots == 0 {
		f.s.progress("%d validator(s): f = 0, so no validator is perturbed (the chain could not make progress)", f.s.cfg.Validators)
	}
	for i := 0; i < slots; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.slot(ctx, i, true, rand.New(rand.NewPCG(f.s.cfg.Seed, uint64(i))))
		}()
	}
	if f.s.cfg.FullNodes > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.slot(ctx, slots, false, rand.New(rand.NewPCG(f.s.cfg.Seed, 100)))
		}()
	}
	wg.Wait()
}

// slot perturbs validators (or full nodes) one at a time. The first kinds
// are a shuffled round of every kind, so even a short soak sees each.
func (f *faults) slot(ctx context.Context, id int, validators bool, rng *rand.Rand) {
	kinds := []string{faultKill, faultPause, faultPartition}
	if !validators {
		kinds = append(kinds, faultReset)
	}
	plan := append([]string(nil), kinds...)
	rng.Shuffle(len(plan), func(i, j int) { plan[i], plan[j] = plan[j], plan[i] })
	if !validators { // a full node's wipe first: block sync of a short chain
		for i, k := range plan {
			if k == faultReset {
				plan[0], plan[i] = plan[i], plan[0]
			}
		}
	}
	for n := 0; ; n++ {
		gap := between(rng, f.s.cfg.GapMin, f.s.cfg.GapMax)
		hold := between(rng, f.s.cfg.HoldMin, f.s.cfg.HoldMax)
		kind := kinds[rng.IntN(len(kinds))]
		if n < len(plan) {
			kind = plan[n]
		}
		pickSeed := rng.Uint64()
		sleep(ctx, gap)
		var victim *nodeProc
		for ctx.Err() == nil {
			if victim = f.choose(ctx, validators, pickSeed); victim != nil {
				break
			}
			sleep(ctx, 500*time.Millisecond)
		}
		if ctx.Err() != nil {
			return
		}
		f.perturb(ctx, kind, victim, hold)
	}
}

func between(rng *rand.Rand, lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(rng.Int64N(int64(hi-lo)))
}

// choose picks a node to perturb: a full node, or a validator whose loss
// leaves more than 2/3 of the voting power up (with the validators already
// down), by the validator set a node that is up reports now.
func (f *faults) choose(ctx context.Context, validators bool, seed uint64) *nodeProc {
	var candidates []*nodeProc
	f.mu.Lock()
	for _, p := range f.s.nodes {
		if p.validator == validators && f.down[p.idx] == nil {
			candidates = append(candidates, p)
		}
	}
	f.mu.Unlock()
	if len(candidates) == 0 {
		return nil
	}
	if !validators {
		return candidates[seed%uint64(len(candidates))]
	}
	powers, total := f.s.votingPowers(ctx)
	if total == 0 {
		return nil
	}
	f.mu.Lock()
	var downPower int64
	for k := range f.down {
		downPower += powers[f.s.nodes[k].consAddr]
	}
	f.mu.Unlock()
	var ok []*nodeProc
	for _, p := range candidates {
		if 3*(downPower+powers[p.consAddr]) < total {
			ok = append(ok, p)
		}
	}
	if len(ok) == 0 {
		return nil
	}
	// Spread the downtime: not the validator perturbed last, if another
	// will do (a validator that misses half of a 100-block window is
	// jailed, and the soak would lose it).
	if len(ok) > 1 {
		f.mu.Lock()
		last := f.lastValidator
		f.mu.Unlock()
		for i, p := range ok {
			if p.idx == last {
				ok = append(ok[:i:i], ok[i+1:]...)
				break
			}
		}
	}
	p := ok[seed%uint64(len(ok))]
	f.mu.Lock()
	f.lastValidator = p.idx
	f.mu.Unlock()
	return p
}

// perturb applies one fault to p, holds it, lifts it and waits until p
// has caught up.
func (f *faults) perturb(ctx context.Context, kind string, p *nodeProc, hold time.Duration) {
	s := f.s
	rec := &Perturbation{Kind: kind, Node: p.name, Validator: p.validator, Start: s.since(time.Now()), node: p.idx}
	if p.validator {
		powers, total := s.votingPowers(ctx)
		rec.Power, rec.Total = powers[p.consAddr], total
	}
	f.mu.Lock()
	f.down[p.idx] = rec
	f.mu.Unlock()
	s.progress("%s %s for %s", kind, p.name, hold.Round(100*time.Millisecond))
	var err error
	switch kind {
	case faultKill:
		err = p.kill()
	case faultPause:
		err = p.pause()
	case faultPartition:
		s.relays.isolate(p.idx)
	case faultReset:
		if err = p.kill(); err == nil {
			err = p.wipeData()
		}
	}
	if err != nil {
		s.violation("perturbation %s of %s failed: %v", kind, p.name, err)
	}
	sleep(ctx, hold)
	// Lifted whatever ctx says: the soak ends with every node running.
	switch kind {
	case faultKill, faultReset:
		err = p.start()
	case faultPause:
		err = p.resume()
	case faultPartition:
		s.relays.heal(p.idx)
	}
	rec.Lifted = s.since(time.Now())
	if err != nil {
		s.violation("lifting %s of %s failed: %v", kind, p.name, err)
	}
	took, ok := s.waitCaughtUp(f.hard, p, s.cfg.RecoverTimeout)
	if f.hard.Err() != nil {
		return
	}
	if !ok {
		rec.Note = fmt.Sprintf("not caught up %s after the %s was lifted", s.cfg.RecoverTimeout, kind)
		s.violation("%s did not catch up within %s after %s (perturbed at %.1fs, lifted at %.1fs); see %s", p.name, s.cfg.RecoverTimeout, kind, rec.Start, rec.Lifted, p.logPath())
		// Keep it counted as down until it does, so nothing else is
		// perturbed in its place.
		for !s.caughtUp(p) && f.hard.Err() == nil && !s.closing() {
			time.Sleep(time.Second)
		}
	}
	rec.Recovered = s.since(time.Now())
	s.progress("%s recovered from %s (caught up %s after it was lifted)", p.name, kind, took.Round(100*time.Millisecond))
	f.mu.Lock()
	delete(f.down, p.idx)
	f.done = append(f.done, rec)
	f.mu.Unlock()
}

// overlapSeconds is how long more than a third of the voting power was
// down at once (the chain may halt then, and the stall bound allows for
// it). The soak never plans that; a validator slow to recover can make it.
func overlapSeconds(ps []*Perturbation, end float64) float64 {
	type edge struct {
		t     float64
		power int64
		total int64
	}
	var edges []edge
	for _, p := range ps {
		if !p.Validator || p.Total == 0 {
			continue
		}
		r := p.Recovered
		if r == 0 {
			r = end
		}
		edges = append(edges, edge{p.Start, p.Power, p.Total}, edge{r, -p.Power, p.Total})
	}
	sort.Slice(edges, func(i, j int) bool { return edges[i].t < edges[j].t })
	var sum float64
	var downPower, total int64
	for i, e := range edges {
		if i > 0 && total > 0 && 3*downPower >= total {
			sum += e.t - edges[i-1].t
		}
		downPower += e.power
		total = max(total, e.total)
	}
	return sum
}

func kindsSeen(ps []*Perturbation) string {
	seen := map[string]int{}
	for _, p := range ps {
		seen[p.Kind]++
	}
	var parts []string
	for _, k := range []string{faultKill, faultPause, faultPartition, faultReset} {
		parts = append(parts, fmt.Sprintf("%s %d", k, seen[k]))
	}
	return strings.Join(parts, ", ")
}
