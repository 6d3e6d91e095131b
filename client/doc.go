// Package client is the Go client of a depin node: it reads state through
// ABCI queries over CometBFT's RPC (optionally verifying an ICS-23 proof
// against the app hash of a header signed by the validators), and builds,
// signs, broadcasts and follows transactions.
package client
