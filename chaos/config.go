package chaos

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// Config describes one soak.
type Config struct {
	// Binary is the depin executable the nodes run (`Binary start --home
	// …`): `depin chaos` passes itself.
	Binary string
	// Dir receives the node homes and logs; it must not exist or be empty.
	// "" makes a temporary directory, removed by Close after a run without
	// violations and kept (and named in the summary) otherwise.
	Dir        string
	Validators int
	FullNodes  int
	// Duration of the workload and the perturbations; setting up before
	// and settling and checking after take a little longer.
	Duration time.Duration
	// Seed makes the workload and the perturbation plan reproducible: the
	// same seed gives the same choices (what to send, whom to perturb, for
	// how long), though the OS still decides the exact interleaving.
	Seed uint64
	// TimeoutCommit is CometBFT's pause after each block (the block
	// interval, roughly); 0 keeps the node default.
	TimeoutCommit time.Duration
	// Workers submit transactions in parallel, each over its own accounts,
	// networks and devices, one transaction in flight at a time.
	Workers int
	// Between two perturbations of one slot the network is left alone for
	// a random time in [GapMin, GapMax]; a perturbation holds for a random
	// time in [HoldMin, HoldMax] before it is lifted.
	GapMin, GapMax   time.Duration
	HoldMin, HoldMax time.Duration
	// RecoverTimeout is how long a perturbed node may take to catch up
	// after the perturbation is lifted (and every node at the end) before
	// that counts as a violation.
	RecoverTimeout time.Duration
	// StallSlack is how much longer than the rounds the perturbations
	// explain the chain may stand still: the machine's own hiccups (the
	// soak and its nodes share it, in tests with other tests too).
	StallSlack time.Duration
	// TxWait is how long a worker waits for an accepted transaction to be
	// committed before it moves on (resynchronising its sequence).
	TxWait time.Duration

	Logger *slog.Logger
	// Progress, if set, gets a line per event worth watching live.
	Progress io.Writer
}

// DefaultConfig is the long soak `depin chaos` runs: 4 validators and a
// full node for 10 minutes, ~1 s blocks, a perturbation every 5–20 s.
func DefaultConfig() Config {
	return Config{
		Validators: 4, FullNodes: 1, Duration: 10 * time.Minute, Seed: 1,
		Workers: 8,
		GapMin:  5 * time.Second, GapMax: 20 * time.Second,
		HoldMin: 3 * time.Second, HoldMax: 12 * time.Second,
		RecoverTimeout: 90 * time.Second, TxWait: 15 * time.Second, StallSlack: 2 * time.Second,
	}
}

// TestConfig is a short soak for tests: about a minute, faster blocks,
// perturbations every few seconds, so each kind happens at least once.
func TestConfig() Config {
	c := DefaultConfig()
	c.Duration = 45 * time.Second
	c.TimeoutCommit = 400 * time.Millisecond
	c.Workers = 6
	c.GapMin, c.GapMax = 2*time.Second, 4*time.Second
	c.HoldMin, c.HoldMax = 3*time.Second, 5*time.Second
	// Under `go test ./...` other packages' tests load the same 2 cores:
	// liveness is given room, safety (hashes, invariants, txs) none.
	c.RecoverTimeout = 90 * time.Second
	c.StallSlack = 15 * time.Second
	c.TxWait = 10 * time.Second
	return c
}

// Validate checks a Config.
func (c Config) Validate() error {
	switch {
	case c.Binary == "":
		return errors.New("chaos: the depin binary to run nodes with is not set")
	case c.Validators < 1 || c.Validators > 16:
		return fmt.Errorf("chaos: validators must be 1..16, got %d", c.Validators)
	case c.FullNodes < 0 || c.FullNodes > 8:
		return fmt.Errorf("chaos: full nodes must be 0..8, got %d", c.FullNodes)
	case c.Duration <= 0:
		return fmt.Errorf("chaos: duration must be positive, got %s", c.Duration)
	case c.Workers < 1 || c.Workers > 32:
		return fmt.Errorf("chaos: workers must be 1..32, got %d", c.Workers)
	case c.GapMin <= 0 || c.GapMax < c.GapMin || c.HoldMin <= 0 || c.HoldMax < c.HoldMin:
		return fmt.Errorf("chaos: want 0 < gap min ≤ max and 0 < hold min ≤ max, got gap %s..%s, hold %s..%s", c.GapMin, c.GapMax, c.HoldMin, c.HoldMax)
	case c.StallSlack < 0:
		return fmt.Errorf("chaos: negative stall slack %s", c.StallSlack)
	case c.RecoverTimeout <= 0 || c.TxWait <= 0:
		return errors.New("chaos: recover timeout and tx wait must be positive")
	case c.TimeoutCommit < 0:
		return fmt.Errorf("chaos: negative timeout commit %s", c.TimeoutCommit)
	}
	return nil
}

// faultTolerance is f = ⌊(n−1)/3⌋: how many of n equal validators may be
// down while the rest still hold more than 2/3 of the power.
func faultTolerance(n int) int { return (n - 1) / 3 }
