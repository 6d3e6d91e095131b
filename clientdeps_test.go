package depin_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// clientRoots are the programs that speak to the chain from outside: they
// read its state through the api/ leaf packages (key layout, codecs),
// proof (query protocol) and wire (device reports), and must never link
// the state machine or its storage.
var clientRoots = []string{"./client/...", "./agent/...", "./gateway/...", "./indexer/...", "./storagenode/...", "./storageclient/..."}

const module = "github.com/depinhq/depin/"

// forbiddenDep says why a package (with everything under it) has no place
// in a client program's build, or "" if it may be there.
func forbiddenDep(pkg string) string {
	under := func(p string) bool { return pkg == p || strings.HasPrefix(pkg, p+"/") }
	switch {
	case under(module + "store"), under(module + "state"), under(module + "app"):
		return "the state machine"
	case under(module + "x"):
		return "a module keeper (or its helpers)"
	case under("github.com/cosmos/iavl"):
		return "the state trees (IAVL)"
	case under("github.com/syndtr/goleveldb"), under("github.com/cockroachdb/pebble"), under("github.com/cometbft/cometbft-db"):
		return "a database (goleveldb, pebble or CometBFT's cometbft-db)"
	}
	return ""
}

// TestClientsDoNotLinkStateMachine holds "clients never import the state
// machine" (docs/ARCHITECTURE.md, Packages) over the transitive imports of
// client, agent, gateway, indexer, storagenode and storageclient, as `go
// list -deps` computes them.
// That includes CometBFT's databases: its RPC client packages
// (rpc/client/http, rpc/core/types → p2p → config) link them, which is why
// package client speaks JSON-RPC itself.
func TestClientsDoNotLinkStateMachine(t *testing.T) {
	checkDeps(t, clientRoots)
}

// maxClientDeps bounds `go list -deps ./client | wc -l` (standard library
// included): 607 before the leaf packages, 589 when the client used
// CometBFT's RPC client, 372 once it spoke JSON-RPC itself, 292 since
// events are api/event.Event rather than CometBFT's abci.Event (whose
// package links gRPC). What remains is the standard library (net/http
// and crypto are most of it), the protobuf runtime, our api/ leaf
// packages and CometBFT's gogoproto types for headers, commits and
// proofs (client/commit.go). Raise it only for a reason a reviewer
// accepts.
const maxClientDeps = 310

// TestClientDependencyCount: a program that imports package client links
// no more than maxClientDeps packages.
func TestClientDependencyCount(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", "./client").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	n := len(strings.Fields(string(out)))
	if n < 50 {
		t.Fatalf("go list -deps ./client listed %d packages: wrong directory?", n)
	}
	if n > maxClientDeps {
		t.Errorf("package client links %d packages, more than %d: what new import brought them in? (go list -deps ./client)", n, maxClientDeps)
	}
}

// leafRoots are the packages that tell programs outside the state machine
// how to read it; the keepers and app use them, never the reverse.
var leafRoots = []string{"./api/...", "./proof/...", "./wire/..."}

// TestLeafPackagesStayLeaves: the public layout packages link nothing of
// the state machine or its storage.
func TestLeafPackagesStayLeaves(t *testing.T) {
	checkDeps(t, leafRoots)
}

// checkDeps fails t for every forbidden package that the packages under
// roots link.
func checkDeps(t *testing.T, rootPatterns []string) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs go list")
	}
	args := append([]string{"list", "-deps", "-f", "{{.ImportPath}} {{join .Imports \" \"}}"}, rootPatterns...)
	out, err := exec.Command("go", args...).Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	imports := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		imports[f[0]] = f[1:]
	}
	var roots []string
	for p := range imports {
		for _, r := range rootPatterns {
			r = module + strings.TrimSuffix(strings.TrimPrefix(r, "./"), "/...")
			if p == r || strings.HasPrefix(p, r+"/") {
				roots = append(roots, p)
			}
		}
	}
	slices.Sort(roots)
	if len(roots) < len(rootPatterns) {
		t.Fatalf("found client packages %v: wrong directory?", roots)
	}
	for _, root := range roots {
		// Breadth-first, so each violation is reported with its shortest
		// import chain.
		from := map[string]string{root: ""}
		queue := []string{root}
		for len(queue) > 0 {
			p := queue[0]
			queue = queue[1:]
			for _, dep := range imports[p] {
				if _, seen := from[dep]; seen {
					continue
				}
				from[dep] = p
				if why := forbiddenDep(dep); why != "" {
					chain := []string{dep}
					for q := p; q != ""; q = from[q] {
						chain = append(chain, q)
					}
					slices.Reverse(chain)
					t.Errorf("%s links %s (%s): %s", root, dep, why, strings.Join(chain, " → "))
					continue
				}
				queue = append(queue, dep)
			}
		}
	}
}

// TestOnlyTheStateMachineImportsKeepers: outside the state machine and the
// node that hosts it (app, node, x/...), no package imports a keeper
// directly — programs that link a node in-process (cmd/depin, simnet,
// chaos, demo, bench) also read and write the chain through client and
// the api/ leaf packages.
func TestOnlyTheStateMachineImportsKeepers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	hosts := []string{"app", "node", "x"}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 20 {
		t.Fatalf("go list found %d packages: wrong directory?", len(lines))
	}
	for _, line := range lines {
		f := strings.Fields(line)
		pkg, host := f[0], false
		for _, h := range hosts {
			host = host || pkg == module+h || strings.HasPrefix(pkg, module+h+"/")
		}
		if host {
			continue
		}
		for _, imp := range f[1:] {
			if strings.HasPrefix(imp, module+"x/") {
				t.Errorf("%s imports %s: use client and api/%s", pkg, imp, strings.TrimPrefix(imp, module+"x/"))
			}
		}
	}
}
