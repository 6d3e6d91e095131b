package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// noNode is an address where no node answers: a usage error must be
// found before the CLI asks a node anything.
const noNode = "http://127.0.0.1:1"

// TestUsageExitCodes runs the real command tree called wrongly — an
// unknown subcommand of every command group, missing arguments, missing
// required flags, bad flags — and wants exit 2 (README: usage) and a
// message naming what was wrong.
func TestUsageExitCodes(t *testing.T) {
	home := t.TempDir()
	cases := []struct {
		args []string
		want string // in the error
	}{
		{[]string{"qury"}, `did you mean query?`},
		{[]string{"query", "devic"}, `"devic" is not a command of 'depin query'; did you mean device or devices?`},
		{[]string{"q", "devic"}, `did you mean device or devices?`},
		{[]string{"tx", "bank", "sned", "alice", "bob", "1dpin"}, `"sned" is not a command of 'depin tx bank'; did you mean send?`},
		{[]string{"tx", "bank", "send", "alice"}, `'depin tx bank send' takes FROM TO AMOUNT; got 1 (alice)`},
		{[]string{"tx", "device", "deactivate"}, `takes DEVICE; got none`},
		{[]string{"tx", "device", "deactivate", "depindev1x"}, `'depin tx device deactivate' needs --from (owner key)`},
		{[]string{"tx", "lease", "offer", "depindev1x", "--from", "alice"}, `--lessee (who may operate the device), --rent (rent per epoch, e.g. 5dpin)`},
		{[]string{"tx", "agreement", "open", "depindev1x", "--from", "bob"}, `and --price (price per unit: AMOUNT[/UNITS], e.g. 50udpin/1000)`},
		{[]string{"maker", "certify", "acme"}, `--network (network the device joins) and --serial (serial number (unique per maker))`},
		{[]string{"device", "run"}, `needs --sim`},
		{[]string{"status", "--bogus"}, `unknown flag: --bogus`},
		{[]string{"status", "-o", "yaml"}, `--output must be text or json`},
		{[]string{"query", "block", "abc"}, `HEIGHT must be a positive integer`},
		{[]string{"keys", "list", "extra"}, `'depin keys list' takes no arguments; got 1 (extra)`},
	}
	// Every command group refuses a subcommand it does not have.
	var groups func(c *cobra.Command)
	groups = func(c *cobra.Command) {
		if c.HasSubCommands() {
			path := strings.Fields(c.CommandPath())[1:]
			cases = append(cases, struct {
				args []string
				want string
			}{append(path, "nosuchthing"), `"nosuchthing" is not a command of '` + c.CommandPath() + `'`})
		}
		for _, s := range c.Commands() {
			groups(s)
		}
	}
	groups(newRootCmd())
	for _, tc := range cases {
		_, code, err := run(t, home, noNode, tc.args...)
		if code != exitUsage || err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("depin %s: exit %d (%v), want exit %d with %q", strings.Join(tc.args, " "), code, err, exitUsage, tc.want)
		}
	}
	// A group called alone prints its help and exits 0.
	for _, args := range [][]string{{}, {"query"}, {"tx", "bank"}} {
		out, code, err := run(t, home, noNode, args...)
		if code != 0 || !strings.Contains(out, "Available Commands") || strings.Contains(out, "[flags]\n  depin") {
			t.Errorf("depin %s: exit %d (%v): %.80q", strings.Join(args, " "), code, err, out)
		}
	}
	if out, _, _ := run(t, home, noNode, "tx", "bank", "send", "--help"); !strings.Contains(out, "Usage:\n  depin tx bank send FROM TO AMOUNT [flags]") {
		t.Errorf("a command's help lost its usage line:\n%s", out)
	}
}
