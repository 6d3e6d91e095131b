package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/depinhq/depin/api/bank"
	"github.com/depinhq/depin/api/device"
	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/simnet"
)

// TestErrorMessages runs commands wrongly against a devnet and wants
// each error to say what was wrong and what to do, in the user's terms:
// amounts in the unit typed, addresses checked before anything is sent,
// no CometBFT or bech32 internals, and the exit code README gives.
func TestErrorMessages(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet")
	}
	s, _ := newSession(t)
	s.must("tx", "network", "create", "solar", "--kind", "solar", "--from", "alice")
	devnetHome := s.home
	for _, tc := range []struct {
		args []string
		code int
		want []string // in the error, in order
	}{
		{[]string{"tx", "bank", "send", "alice", "depin1p9v0xhfsxhl5zhg8gu5n6k9yq8zf6kq5nvuj2t", "1dpin"}, exitUsage,
			[]string{"not a depin address (depin1…): the checksum does not match — check for a typo"}},
		{[]string{"tx", "bank", "send", "alice", "depin1p9v0xhfsxhl5zhg8gu5n6k9yq8zf6kq5nvuj2", "1dpin"}, exitUsage,
			[]string{"not a depin address (depin1…): it has 43 characters, one has 44"}},
		{[]string{"tx", "bank", "send", "alice", "depin1p9v0xhfsxhl5zhg8gu5n6k9yq8zf6kq5nvujbs", "1dpin"}, exitUsage,
			[]string{`"b" cannot appear in one`}},
		{[]string{"query", "device", "depin1p9v0xhfsxhl5zhg8gu5n6k9yq8zf6kq5nvuj2s"}, exitUsage,
			[]string{"this is an account address (depin1…), not a device id (depindev1…)"}},
		{[]string{"tx", "bank", "send", "alice", "mallory", "1dpin"}, exitUsage,
			[]string{`"mallory" is not a depin1… address, and no key named "mallory"`, "there are alice, bob, carol, dave, eve", "depin keys add mallory"}},
		{[]string{"tx", "bank", "send", "alice", "bob", "100000000dpin"}, exitRejected,
			[]string{"the chain refused it: insufficient funds: alice (depin1", " DPIN, needs 100000000 DPIN", "depin query bank balance"}},
		{[]string{"tx", "bank", "send", "alice", "bob", "100000000000000udpin"}, exitRejected,
			[]string{"udpin, needs 100000000000000udpin"}},
		{[]string{"tx", "bank", "send", "alice", "bob", "1.5solar"}, exitRejected,
			[]string{"has 0 SOLAR, needs 1.5 SOLAR"}},
		{[]string{"tx", "bank", "send", "alice", "bob", "1.5dpim"}, exitUsage,
			[]string{`AMOUNT "1.5dpim": the chain has no token called dpim; did you mean dpin?`, "dpin (udpin), solar (usolar)"}},
		{[]string{"tx", "bank", "send", "alice", "bob", "0.0000001dpin"}, exitUsage, []string{"at most 6 decimals"}},
		{[]string{"tx", "bank", "send", "alice", "bob", "1dpin", "--fee", "1"}, exitUsage, []string{"give the unit, e.g. 0.002dpin"}},
		{[]string{"tx", "bank", "send", "alice", "bob", "1udpin", "--fee", "10udpin"}, exitRejected,
			[]string{"insufficient fee: paid 10udpin, need at least ", "leave --fee out to pay the minimum"}},
		{[]string{"tx", "network", "update-params", "solar", "--kind", "solar", "--from", "bob"}, exitRejected,
			[]string{"not the network owner", "--from must be the network's owner"}},
		{[]string{"query", "bank", "supply", "nope"}, exitError, []string{`DENOM "nope": the chain has no token called nope`}},
		{[]string{"query", "block", "99999999"}, exitError, []string{"there is no block 99999999 yet: the chain is at height "}},
		{[]string{"query", "market", "book", "solar", "x"}, exitUsage, []string{`INTERVAL "x": want a whole number`}},
		{[]string{"--node", noNode, "status"}, exitNoNode,
			[]string{"no depin node answers at " + noNode + " (connection refused: nothing listens there): start one with 'depin devnet'"}},
		{[]string{"devnet", "--fund", "bob=5dpin", "--home", t.TempDir()}, exitUsage,
			[]string{"bob is a dev account, funded with 1000000 DPIN at genesis already"}},
		{[]string{"devnet", "--fund", "nobody=5dpin", "--home", t.TempDir()}, exitUsage, []string{`no key named "nobody"`}},
		{[]string{"devnet", "--fund", "alice=5dpin"}, exitUsage, []string{"alice is a dev account"}},
		{[]string{"devnet", "--fund", "depin1p9v0xhfsxhl5zhg8gu5n6k9yq8zf6kq5nvuj2s=5dpin"}, exitUsage, []string{"alice is a dev account"}},
		// The devnet this test runs holds its home.
		{[]string{"devnet", "--home", devnetHome}, exitError, []string{"a node is already running with home " + devnetHome, "use another --home"}},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		code, err := runCtx(ctx, s.home, s.url, tc.args...)
		cancel()
		msg := fmt.Sprint(err)
		ok := code == tc.code && err != nil
		rest := msg
		for _, w := range tc.want {
			i := strings.Index(rest, w)
			if i < 0 {
				ok = false
				break
			}
			rest = rest[i+len(w):]
		}
		if !ok {
			t.Errorf("depin %s: exit %d: %s\n  want exit %d with %q", strings.Join(tc.args, " "), code, msg, tc.code, tc.want)
		}
	}

	// Display denoms name tokens in queries too.
	for denom, want := range map[string]string{"dpin": " DPIN at height", "DPIN": " DPIN at height", "udpin": "udpin at height", "SOLAR": "supply of usolar: 0 SOLAR", "usolar": "0usolar"} {
		if out := s.must("query", "bank", "supply", denom); !strings.Contains(out, want) {
			t.Errorf("supply %s: %q, want %q", denom, out, want)
		}
	}
	if out := s.must("query", "bank", "balance", "bob", "dpin"); !strings.Contains(out, "1000000 DPIN") {
		t.Errorf("balance bob dpin: %q", out)
	}
}

// runCtx is run with a context (commands that would start a node).
func runCtx(ctx context.Context, home, nodeURL string, args ...string) (int, error) {
	cmd := newRootCmd()
	cmd.SetOut(devNull{})
	cmd.SetErr(devNull{})
	cmd.SetArgs(append([]string{"--home", home, "--node", nodeURL}, args...))
	err := cmd.ExecuteContext(ctx)
	return exitCode(err), err
}

type devNull struct{}

func (devNull) Write(p []byte) (int, error) { return len(p), nil }

// TestNodeStartErrors: a node that cannot start because another holds
// its home or its port says so, with the process that does.
func TestNodeStartErrors(t *testing.T) {
	home := t.TempDir()
	lock := filepath.Join(home, "data", "state.db", "LOCK")
	if err := os.MkdirAll(filepath.Dir(lock), 0o700); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(lock)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	err = nodeStartError(home, fmt.Errorf("open state db: %w", syscall.EAGAIN))
	if !strings.Contains(err.Error(), "a node is already running with home "+home) || !errors.Is(err, syscall.EAGAIN) {
		t.Errorf("lock held: %v", err)
	}
	err = nodeStartError(home, errors.New("REST API: listen tcp 127.0.0.1:1317: bind: address already in use"))
	if !strings.Contains(err.Error(), "127.0.0.1:1317 is already in use") || !strings.Contains(err.Error(), "other ports in config/config.toml") {
		t.Errorf("port in use: %v", err)
	}
}

// TestEveryTxCommandCanGenerateOnly: every command under 'depin tx'
// takes --generate-only and --encoding (the shared txFlags).
func TestEveryTxCommandCanGenerateOnly(t *testing.T) {
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		if c.Runnable() && !c.HasSubCommands() {
			n++
			for _, f := range []string{"generate-only", "encoding", "fee", "no-wait"} {
				if c.Flags().Lookup(f) == nil {
					t.Errorf("%s has no --%s", c.CommandPath(), f)
				}
			}
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	for _, c := range newRootCmd().Commands() {
		if c.Name() == "tx" {
			walk(c)
		}
	}
	if n < 25 {
		t.Errorf("found %d tx commands", n)
	}
}

// TestSimSummary: a fleet whose reports the chain refused as from an
// inactive device says what its owner can do.
func TestSimSummary(t *testing.T) {
	var b strings.Builder
	writeSimResult(&b, &simnet.Result{Network: "solar", Devices: 2, Sent: 4, Accepted: 2, Rejected: 2,
		RejectedByReason: map[string]uint64{"device_inactive": 2}}, "solar")
	for _, want := range []string{"rejected  device_inactive: 2", "depin tx device deactivate ID", "depin tx device withdraw ID"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("sim summary without %q:\n%s", want, b.String())
		}
	}
}

// TestExplain: the text g.explain gives errors that reach the edge, and
// the exit code each keeps.
func TestExplain(t *testing.T) {
	g := &globals{home: t.TempDir(), nodeURL: noNode}
	g.units.typedDisplay(nativeMetadata)
	for _, tc := range []struct {
		err  error
		code int
		want string
	}{
		{&client.CodeError{Kind: bank.ErrInsufficientFunds, Log: "message 0: insufficient funds: has 1500000udpin, needs 2000000udpin"}, exitRejected,
			"the chain refused it: insufficient funds: has 1.5 DPIN, needs 2 DPIN — see what the account holds"},
		{&client.CodeError{Kind: device.ErrWrongStatus, Log: "device status does not allow this: DEVICE_STATUS_JAILED"}, exitRejected,
			"device status does not allow this: jailed — 'depin query device ID' shows"},
		{&client.CodeError{Kind: device.ErrStillBonded, Log: "stake still unbonding: until unix time 1700000000"}, exitRejected,
			"stake still unbonding: until 2023-11-14 22:13:20 UTC ("},
		{fmt.Errorf("block: %w", &client.RPCError{Code: -32603, Message: "Internal error", Data: "height 9 must be less than or equal to the current blockchain height 5"}), exitError,
			"there is no block 9 yet: the chain is at height 5"},
		{fmt.Errorf("%w: abci_query: RPC error -32603 - Internal error: boom", client.ErrNodeUnreachable), exitError,
			"the node could not answer: RPC error -32603 - Internal error: boom"},
		{fmt.Errorf("%w at %s: status: dial tcp: lookup nowhere: no such host", client.ErrNodeUnreachable, noNode), exitNoNode,
			"no depin node answers at " + noNode + " (no such host)"},
		{fmt.Errorf("%w: mempool is full", client.ErrMempoolFull), exitError, "mempool is full: send it again"},
	} {
		err := g.explain(tc.err)
		if got := err.Error(); !strings.Contains(got, tc.want) || exitCode(err) != tc.code {
			t.Errorf("%v:\n  got  %q (exit %d)\n  want %q (exit %d)", tc.err, got, exitCode(err), tc.want, tc.code)
		}
	}
}
