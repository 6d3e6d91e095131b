package chaos

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/privval"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/node"
)

// ChainID of every soak's network.
const ChainID = "depin-chaos"

// Soak is one chaos run: New prepares it, Run runs it and returns the
// summary, Close kills every process it started (always call it, also
// after a failed or interrupted Run).
type Soak struct {
	cfg     Config
	log     *slog.Logger
	dir     string
	tempDir bool

	nodes  []*nodeProc
	relays *relayNet
	faults *faults
	mon    *monitor
	sd     *sender

	timeoutPropose time.Duration
	timeoutCommit  time.Duration

	start      time.Time
	closed     atomic.Bool
	mu         sync.Mutex
	violations []string
	passed     bool
	restarts   map[int]int // unexpected exits per node
}

// New checks cfg and writes the network: homes for the validators and
// full nodes on free loopback ports, genesis funding the workload, every
// node with check_invariants on and its peers reached through the soak's
// relays. It starts nothing.
func New(cfg Config) (*Soak, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	s := &Soak{cfg: cfg, log: lg, restarts: map[int]int{}, start: time.Now()}
	if err := s.writeNetwork(); err != nil {
		s.Close()
		return nil, err
	}
	s.faults = newFaults(s)
	s.mon = newMonitor(s)
	return s, nil
}

// Dir is where the node homes and their logs (<dir>/nodeK/node.log) are.
func (s *Soak) Dir() string { return s.dir }

func (s *Soak) writeNetwork() error {
	s.dir = s.cfg.Dir
	if s.dir == "" {
		d, err := os.MkdirTemp("", "depin-chaos-")
		if err != nil {
			return err
		}
		s.dir, s.tempDir = d, true
	} else if entries, err := os.ReadDir(s.dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("chaos: %s is not empty (give a new directory; the soak writes node homes there)", s.dir)
	}
	// The relays listen before the nodes' ports are picked, so that no
	// relay takes a port a node will need.
	var err error
	if s.relays, err = listenRelays(s.cfg.Validators + s.cfg.FullNodes); err != nil {
		return err
	}
	ac := node.DefaultAppConfig()
	ac.CheckInvariants = true
	// Small caches: a soak's state is small and several nodes share the
	// machine.
	ac.StateCacheNodes, ac.DeviceKeyCache = 200_000, 10_000
	tn, err := node.WriteTestnet(node.TestnetOptions{
		Output: s.dir, Validators: s.cfg.Validators, FullNodes: s.cfg.FullNodes, ChainID: ChainID,
		TimeoutCommit: s.cfg.TimeoutCommit, App: &ac, ExtraBalances: workloadBalances(s.cfg.Workers),
	})
	if err != nil {
		return err
	}
	targets := make([]string, len(tn))
	for k, n := range tn {
		targets[k] = n.Ports.P2P
	}
	s.relays.serve(targets)
	for k, n := range tn {
		cc, err := node.LoadCometConfig(n.Home)
		if err != nil {
			return err
		}
		var peers []string
		for j, m := range tn {
			if j != k {
				peers = append(peers, m.NodeID+"@"+s.relays.addr(k, j))
			}
		}
		cc.P2P.PersistentPeers = strings.Join(peers, ",")
		cmtcfg.WriteConfigFile(filepath.Join(n.Home, "config", "config.toml"), cc)
		if k == 0 {
			s.timeoutPropose, s.timeoutCommit = cc.Consensus.TimeoutPropose, cc.Consensus.TimeoutCommit
		}
		c, err := client.New("http://" + n.Ports.RPC)
		if err != nil {
			return err
		}
		if err := c.UseAPI("http://" + n.Ports.API); err != nil {
			return err
		}
		rpc, err := rpchttp.New("http://" + n.Ports.RPC)
		if err != nil {
			return err
		}
		pv := privval.LoadFilePV(cc.PrivValidatorKeyFile(), cc.PrivValidatorStateFile())
		p := &nodeProc{idx: k, name: filepath.Base(n.Home), home: n.Home, validator: k < s.cfg.Validators,
			consAddr: pv.GetAddress().String(), ports: n.Ports, bin: s.cfg.Binary, log: s.log, c: c, rpc: rpc, onExit: s.exited}
		s.nodes = append(s.nodes, p)
	}
	return nil
}

// exited handles a node process that ended without the soak killing it:
// a crash is a finding; the node is restarted (a few times) so the soak
// goes on.
func (s *Soak) exited(p *nodeProc, err error) {
	if s.closing() {
		return
	}
	s.violation("%s exited on its own (%v): %s; see %s", p.name, err, lastLogLine(p.logPath()), p.logPath())
	s.mu.Lock()
	s.restarts[p.idx]++
	n := s.restarts[p.idx]
	s.mu.Unlock()
	if n > 3 {
		return
	}
	time.Sleep(time.Second)
	if !s.closing() {
		if err := p.start(); err != nil {
			s.violation("restarting %s: %v", p.name, err)
		}
	}
}

// Run starts the nodes, sets the workload up, runs it and the
// perturbations for cfg.Duration, lets the network settle and checks it.
// The error is for a soak that could not run (or was interrupted);
// violations found are in the summary (Passed false).
func (s *Soak) Run(ctx context.Context) (*Summary, error) {
	s.start = time.Now()
	s.progress("network of %d validators and %d full nodes in %s (seed %d)", s.cfg.Validators, s.cfg.FullNodes, s.dir, s.cfg.Seed)
	for _, p := range s.nodes {
		if err := p.start(); err != nil {
			return nil, err
		}
	}
	if err := s.waitAll(ctx, 2, 90*time.Second); err != nil {
		return nil, err
	}
	monCtx, stopMon := context.WithCancel(context.Background())
	var monDone sync.WaitGroup
	monDone.Add(1)
	go func() { defer monDone.Done(); s.mon.run(monCtx) }()
	defer func() { stopMon(); monDone.Wait() }()

	if err := s.prepareWorkload(ctx); err != nil {
		return nil, err
	}
	workers := make([]*worker, s.cfg.Workers)
	var vals [][]byte
	for _, p := range s.nodes {
		if p.validator {
			vals = append(vals, mustHex(p.consAddr))
		}
	}
	setupErr := make(chan error, len(workers))
	for i := range workers {
		workers[i] = newWorker(i, s.sd, s.cfg.Seed, vals)
		go func() { setupErr <- workers[i].setup(ctx) }()
	}
	for range workers {
		if err := <-setupErr; err != nil {
			return nil, fmt.Errorf("chaos: workload setup: %w", err)
		}
	}
	s.progress("workload set up (%d workers, %d txs so far); perturbing for %s", len(workers), len(s.sd.book.all()), s.cfg.Duration)
	s.mon.reset()
	workStart := s.mon.highest()

	wctx, cancel := context.WithTimeout(ctx, s.cfg.Duration)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); s.faults.run(wctx, ctx) }()
	for _, w := range workers {
		wg.Add(1)
		go func() { defer wg.Done(); w.run(wctx) }()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("chaos: interrupted: %w", err)
	}
	s.progress("workload and perturbations over: %d txs sent; settling", len(s.sd.book.all()))
	end := s.settle(ctx)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("chaos: interrupted: %w", err)
	}
	sum := s.verify(ctx, workStart, end)
	s.mu.Lock()
	s.passed = sum.Passed
	s.mu.Unlock()
	return sum, nil
}

// prepareWorkload reads what every tx needs (chain id, fee schedule) and
// caches the chain id in every node's client, so building a tx never asks
// a node that might be down.
func (s *Soak) prepareWorkload(ctx context.Context) error {
	qctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for _, p := range s.nodes {
		if _, err := p.c.ChainID(qctx); err != nil {
			return err
		}
	}
	params, err := s.nodes[0].c.AuthParams(qctx)
	if err != nil {
		return err
	}
	s.sd = &sender{s: s, chainID: ChainID, feeBase: params.FeeBase, feePerByte: params.FeePerByte}
	return nil
}

// waitAll waits until every node reports at least height h.
func (s *Soak) waitAll(ctx context.Context, h int64, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var behind []string
		for _, p := range s.nodes {
			if got, _, err := p.status(ctx); err != nil || got < h {
				behind = append(behind, p.name)
			}
		}
		if len(behind) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("chaos: %s not at height %d after %s (logs in %s)", strings.Join(behind, ", "), h, timeout, s.dir)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		sleep(ctx, 300*time.Millisecond)
	}
}

// caughtUp: p answers, is not block-syncing, and is within a block of the
// highest height seen.
func (s *Soak) caughtUp(p *nodeProc) bool {
	h, catching, err := p.status(context.Background())
	return err == nil && !catching && h > 0 && h >= s.mon.highest()-1
}

// waitCaughtUp waits until p has caught up, at most timeout (or until
// ctx ends).
func (s *Soak) waitCaughtUp(ctx context.Context, p *nodeProc, timeout time.Duration) (time.Duration, bool) {
	start := time.Now()
	for time.Since(start) < timeout && ctx.Err() == nil && !s.closing() {
		if s.caughtUp(p) {
			return time.Since(start), true
		}
		time.Sleep(300 * time.Millisecond)
	}
	return time.Since(start), false
}

// votingPowers asks a node that is up for the current validator set:
// power by consensus address (upper-case hex), and the total.
func (s *Soak) votingPowers(ctx context.Context) (map[string]int64, int64) {
	for _, p := range s.nodes {
		if !s.faults.up(p.idx) {
			continue
		}
		qctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		page, per := 1, 100
		res, err := p.rpc.Validators(qctx, nil, &page, &per)
		cancel()
		if err != nil {
			continue
		}
		out := map[string]int64{}
		var total int64
		for _, v := range res.Validators {
			out[v.Address.String()] = v.VotingPower
			total += v.VotingPower
		}
		return out, total
	}
	return nil, 0
}

// settle waits, after the perturbations, until every node has caught up
// and the mempools are empty, then for two more blocks; it returns the
// height every node has.
func (s *Soak) settle(ctx context.Context) int64 {
	deadline := time.Now().Add(s.cfg.RecoverTimeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		top := s.mon.highest()
		ready := true
		for _, p := range s.nodes {
			h, catching, err := p.status(ctx)
			if err != nil || catching || h < top-1 {
				ready = false
				break
			}
			qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			n, err := p.rpc.NumUnconfirmedTxs(qctx)
			cancel()
			if err != nil || n.Total > 0 {
				ready = false
				break
			}
		}
		if ready {
			break
		}
		sleep(ctx, 500*time.Millisecond)
	}
	target := s.mon.highest() + 2
	if err := s.waitAll(ctx, target, s.cfg.RecoverTimeout); err != nil {
		s.violation("after the soak: %v", err)
	}
	end := target
	for _, p := range s.nodes {
		if h, _, err := p.status(ctx); err == nil {
			end = min(end, h)
		} else {
			end = 0
		}
	}
	for _, p := range s.nodes {
		qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		n, err := p.rpc.NumUnconfirmedTxs(qctx)
		cancel()
		if err == nil && n.Total > 0 {
			s.violation("%s still holds %d txs in its mempool after the network settled", p.name, n.Total)
		}
	}
	return end
}

// Close kills every node process and relay; it removes a temporary
// directory after a run that passed.
func (s *Soak) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	var errs []error
	for _, p := range s.nodes {
		errs = append(errs, p.kill())
	}
	if s.relays != nil {
		s.relays.close()
	}
	s.mu.Lock()
	passed := s.passed
	s.mu.Unlock()
	if s.tempDir && passed {
		errs = append(errs, os.RemoveAll(s.dir))
	}
	return errors.Join(errs...)
}

func (s *Soak) closing() bool { return s.closed.Load() }

// lastLogLine is the last error (or panic) line of a node log: why it
// exited.
func lastLogLine(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for i := len(lines) - 1; i >= 0 && i >= len(lines)-200; i-- {
		if strings.HasPrefix(lines[i], "Error:") || strings.HasPrefix(lines[i], "panic:") || strings.Contains(lines[i], "level=ERROR") {
			return oneLine(lines[i])
		}
	}
	return oneLine(lines[len(lines)-1])
}

// since is t in seconds since the soak started.
func (s *Soak) since(t time.Time) float64 {
	return float64(t.Sub(s.start).Milliseconds()) / 1000
}

func (s *Soak) progress(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.log.Info(msg)
	if s.cfg.Progress != nil {
		fmt.Fprintf(s.cfg.Progress, "[%6.1fs] %s\n", s.since(time.Now()), msg)
	}
}

// violation records something that must not happen.
func (s *Soak) violation(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.mu.Lock()
	s.violations = append(s.violations, msg)
	s.mu.Unlock()
	s.log.Error("violation", "what", msg)
	if s.cfg.Progress != nil {
		fmt.Fprintf(s.cfg.Progress, "[%6.1fs] VIOLATION: %s\n", s.since(time.Now()), msg)
	}
}
