// Package client is the Go client of a depin node: it reads state through
// ABCI queries over CometBFT's JSON-RPC (optionally verifying an ICS-23
// proof against the app hash of a header signed by the validators), and
// builds, signs, broadcasts and follows transactions.
//
// It speaks JSON-RPC itself (rpc.go, rpctypes.go) and never imports
// CometBFT's rpc/client or rpc/core/types packages: through p2p and
// config they link CometBFT's databases, which no client program may
// carry (clientdeps_test.go).
package client
