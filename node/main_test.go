package node

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"testing"
)

// childHomeEnv makes the test binary run a node instead of the tests: the
// crash test starts itself as a separate process so it can SIGKILL it.
const childHomeEnv = "DEPIN_TEST_CHILD_NODE_HOME"

func TestMain(m *testing.M) {
	if home := os.Getenv(childHomeEnv); home != "" {
		os.Exit(runChildNode(home))
	}
	os.Exit(m.Run())
}

func runChildNode(home string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	lg := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	n, err := New(ctx, Config{Home: home, Logger: lg})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child node:", err)
		return 1
	}
	if err := n.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "child node:", err)
		return 1
	}
	return 0
}
