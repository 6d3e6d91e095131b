// Package chaos soaks a real depin network: N validators and some full
// nodes, each a separate OS process (the depin binary, `depin start`), on
// loopback, under a seeded random workload of every transaction kind —
// valid and invalid — while it kills, pauses, cuts off and wipes nodes at
// seeded random times, as CometBFT's own e2e tests do. At the end it checks
// what must hold whatever happened:
//
//   - the chain never stalled for longer than the perturbations explain;
//   - every node has the same block (and app hash) at every height;
//   - every module's books balanced after every block on every node (the
//     nodes run with app.toml check_invariants = true);
//   - no committed transaction is missing from any node, and every
//     transaction a node's CheckTx accepted was committed or is explained
//     (it was only in the mempool of a node that was then perturbed, or
//     another transaction with its signer's sequence was committed).
//
// Soak (New, Run, Close) is the driver; `depin chaos` wires it. It talks
// to the nodes only as a client would (CometBFT RPC and the REST API), and
// builds transactions with package client and agent like other programs.
// It never edits a node's state; the one file it touches under a node's
// data directory is when it wipes a full node for a resync.
//
// How the perturbations are made on loopback without root:
//
//   - kill: SIGKILL, then a restart of the same home after a pause;
//   - pause: SIGSTOP, then SIGCONT a few seconds later (the process keeps
//     its sockets: peers see a silent node, not a closed connection);
//   - partition: every p2p connection goes through a TCP relay of the
//     driver, one per ordered pair of nodes (persistent_peers point at
//     them); cutting a node off closes its relayed connections and refuses
//     new ones until it is healed, while the node itself keeps running;
//   - reset: a full node is killed, its data directory emptied (its
//     validator state file and the invariant log kept) and restarted, so it
//     block-syncs the whole chain from its peers (the app has no state-sync
//     snapshots).
//
// At most f = ⌊(N−1)/3⌋ validators are perturbed at once, and a validator
// only if the voting power left up stays above 2/3, so the chain can
// always make progress; a perturbed node counts as down until it has caught
// up again.
package chaos
