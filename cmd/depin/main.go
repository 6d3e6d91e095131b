// Command depin is the one binary of depin: node, devnet, testnet configs,
// keys, transactions, queries and benchmarks. Subcommands wire the packages;
// flags, files and environment are read here and nowhere else.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/depinhq/depin/client"
	"github.com/depinhq/depin/keystore"
)

// Exit codes.
const (
	exitOK        = 0
	exitError     = 1 // anything else
	exitUsage     = 2 // bad flags or arguments
	exitRejected  = 3 // the chain rejected a tx or query
	exitNoNode    = 4 // the node could not be reached
	exitBadSecret = 5 // wrong passphrase
)

func exitCode(err error) int {
	var ce *client.CodeError
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		return exitUsage
	case errors.As(err, &ce):
		return exitRejected
	case errors.Is(err, client.ErrNodeUnreachable):
		return exitNoNode
	case errors.Is(err, keystore.ErrBadPassphrase):
		return exitBadSecret
	default:
		return exitError
	}
}

func main() {
	// A node keeps a large, long-lived heap (the IAVL node cache); the
	// default GOGC=100 spent a fifth of a busy node's CPU in the collector.
	// GOGC in the environment still wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
	err := root.ExecuteContext(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(exitCode(err))
	}
}
