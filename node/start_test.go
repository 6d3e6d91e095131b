package node

import (
	"context"
	"net"
	"testing"
	"time"
)

// TestStartFailsCleanly: when CometBFT cannot start (its RPC port is
// taken), Start returns the error and the node closes; the REST API it
// had started is shut down without a panic (the chaos soak found a node
// crashing on a nil server there when a port was taken).
func TestStartFailsCleanly(t *testing.T) {
	for i := 0; i < 10; i++ {
		home := t.TempDir()
		p, err := FreeLoopbackPorts()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := SetupDevnet(DevnetOptions{Home: home, Ports: p}); err != nil {
			t.Fatal(err)
		}
		taken, err := net.Listen("tcp", p.RPC)
		if err != nil {
			t.Fatal(err)
		}
		n, err := New(context.Background(), Config{Home: home, Logger: testLogger(t)})
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Start(); err == nil {
			n.Close()
			t.Fatal("started with its RPC port taken")
		}
		n.Close()
		taken.Close()
	}
	// Give a stray API goroutine the time to crash the test, as it did.
	time.Sleep(100 * time.Millisecond)
}
