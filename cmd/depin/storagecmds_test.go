package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/keystore"
	"github.com/depinhq/depin/node"
	"github.com/depinhq/depin/storagenet"
)

// TestStorageUsage: what the storage commands refuse before they reach a
// node or read a key, each with exit 2 and what to do.
func TestStorageUsage(t *testing.T) {
	home := t.TempDir()
	empty := filepath.Join(home, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(home, "file")
	if err := os.WriteFile(file, []byte("data"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"storage", "put", empty, "--from", "bob"}, "the file is empty: a storage deal needs at least one byte"},
		{[]string{"storage", "put", file, "--from", "bob", "--k", "8", "--n", "8"}, "so 1 ≤ k < n ≤ 64"},
		{[]string{"storage", "put", file, "--from", "bob", "--duration", "2y"}, "want days (30d) or a duration"},
		{[]string{"storage", "put", home, "--from", "bob"}, "is not a regular file"},
		{[]string{"storage", "put", file}, "needs --from"},
		{[]string{"storage", "get", "1", "--from", "bob"}, "needs --output (the file to write"},
		{[]string{"storage", "get", "x", "-o", "f", "--from", "bob"}, "DEAL"},
		{[]string{"storage", "node", "--owner", "bob"}, "--device-key"},
		{[]string{"storage", "node", "--device-key", "k", "--owner", "bob", "--data", "d", "--capacity", "lots"}, "give a size such as 50GB"},
		{[]string{"storage", "ls"}, "whose deals?"},
		{[]string{"storage", "repair"}, "needs --from"},
		{[]string{"storage", "repair", "--from", "carol", "--interval", "0s"}, "give a positive interval, or --once"},
	} {
		_, code, err := run(t, home, noNode, tc.args...)
		if code != exitUsage || err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("depin %s: exit %d (%v), want exit %d with %q", strings.Join(tc.args, " "), code, err, exitUsage, tc.want)
		}
	}
}

func TestParseSizeAndDays(t *testing.T) {
	for in, want := range map[string]uint64{"50GB": 50e9, "4MiB": 4 << 20, "1.5kB": 1500, "2TB": 2e12, "512": 512, "10 GiB": 10 << 30} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "GB", "5XB", "-1GB", "1e30"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) accepted", in)
		}
	}
	for in, want := range map[string]time.Duration{"30d": 30 * 24 * time.Hour, "12h": 12 * time.Hour, "90m": 90 * time.Minute} {
		if got, err := parseDays(in); err != nil || got != want {
			t.Errorf("parseDays(%q) = %s, %v", in, got, err)
		}
	}
	for _, in := range []string{"2y", "d", "-3d", "1.5d"} {
		if _, err := parseDays(in); err == nil {
			t.Errorf("parseDays(%q) accepted", in)
		}
	}
}

// TestStorageRepairCmd: 'depin storage repair --once' on a devnet with a
// storage network and no deal finds nothing to do (the repair itself is
// storageclient's TestStorageRepair).
func TestStorageRepairCmd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet and storage nodes")
	}
	home, n := devnet(t)
	chain, err := client.New(n.RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	key, err := keystore.Open(node.KeysDir(home)).Load("alice", nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := storagenet.DefaultConfig()
	cfg.Nodes, cfg.Dir, cfg.Funder = 2, t.TempDir(), key.Private
	sn, err := storagenet.Start(t.Context(), chain, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sn.Close)
	out, code, err := run(t, home, n.RPCURL(), "storage", "repair", "--from", "carol", "--once", "-o", "json")
	if code != 0 {
		t.Fatalf("storage repair: %v", err)
	}
	var v struct {
		Network  string
		Deals    string
		Repaired []any
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.Network != "vault" || v.Deals != "0" || v.Repaired == nil {
		t.Fatalf("storage repair -o json: %s (%v)", out, err)
	}
}
