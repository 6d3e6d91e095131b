package chaos

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/node"
)

// nodeProc is one node: its home, and the OS process running `depin start`
// in it (when one runs).
type nodeProc struct {
	idx       int
	name      string // node0, node1, …
	home      string
	validator bool
	consAddr  string // validator's consensus address, upper-case hex
	ports     node.Ports
	bin       string
	log       *slog.Logger
	c         *client.Client // RPC, with txs submitted to the REST API
	rpc       *rpchttp.HTTP  // CometBFT's RPC, for what package client does not read
	onExit    func(p *nodeProc, err error)

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{} // closed when cmd has exited
	killing bool          // an exit now is ours, not a crash
	starts  int
}

func (p *nodeProc) logPath() string { return filepath.Join(p.home, "node.log") }

// start runs `depin start --home` in the background, its output appended
// to <home>/node.log.
func (p *nodeProc) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return fmt.Errorf("%s is already running", p.name)
	}
	lf, err := os.OpenFile(p.logPath(), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer lf.Close()
	p.starts++
	fmt.Fprintf(lf, "=== chaos: start #%d of %s at %s\n", p.starts, p.name, time.Now().UTC().Format(time.RFC3339Nano))
	cmd := exec.Command(p.bin, "start", "--home", p.home, "--log-level", "info")
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.SysProcAttr = childAttr()
	// GOGC as the binary sets it; keep the children off the driver's
	// environment otherwise (DEPIN_NODE etc. do not apply to a node).
	cmd.Env = os.Environ()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	done := make(chan struct{})
	p.cmd, p.done, p.killing = cmd, done, false
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		ours := p.killing
		if p.cmd == cmd {
			p.cmd = nil
		}
		p.mu.Unlock()
		close(done)
		if !ours && p.onExit != nil {
			p.onExit(p, err)
		}
	}()
	return nil
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *nodeProc) kill() error {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	if cmd == nil {
		p.mu.Unlock()
		return nil
	}
	p.killing = true
	p.mu.Unlock()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill %s: %w", p.name, err)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		return fmt.Errorf("%s did not exit 30 s after SIGKILL", p.name)
	}
	return nil
}

// pause stops the process (SIGSTOP); resume continues it.
func (p *nodeProc) pause() error { return p.signalPause(true) }

func (p *nodeProc) resume() error { return p.signalPause(false) }

func (p *nodeProc) signalPause(stop bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return fmt.Errorf("%s is not running", p.name)
	}
	if err := pauseProcess(p.cmd.Process, stop); err != nil {
		return fmt.Errorf("%s: %w", p.name, err)
	}
	return nil
}

// status asks the node's RPC for its latest height, with a short timeout
// (a paused node never answers).
func (p *nodeProc) status(ctx context.Context) (height int64, catchingUp bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	st, err := p.c.Status(ctx)
	if err != nil {
		return 0, false, err
	}
	return st.SyncInfo.LatestBlockHeight, st.SyncInfo.CatchingUp, nil
}

// wipeData empties the data directory as for a brand-new node, keeping
// the validator's last-sign state (a node must never sign twice) and the
// invariant violations file (the soak's record).
func (p *nodeProc) wipeData() error {
	data := filepath.Join(p.home, "data")
	keep := map[string]bool{"priv_validator_state.json": true, filepath.Base(node.InvariantViolationsPath(p.home)): true}
	entries, err := os.ReadDir(data)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if keep[e.Name()] {
			continue
		}
		if err := os.RemoveAll(filepath.Join(data, e.Name())); err != nil {
			return err
		}
	}
	return nil
}
