package agent_test

import (
	"context"
	"crypto/ed25519"
	"sync"
	"testing"
	"time"

	"github.com/depinhq/depin/agent"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	"github.com/depinhq/depin/wire"
)

const chainID = "depin-test-1"

// testKey is a fixed device key.
func testKey(i byte) ed25519.PrivateKey {
	seed := make([]byte, ed25519.SeedSize)
	seed[0] = i
	return ed25519.NewKeyFromSeed(seed)
}

func newDevice(t testing.TB, cfg agent.DeviceConfig) *agent.Device {
	t.Helper()
	if cfg.Key == nil {
		cfg.Key = testKey(1)
	}
	if cfg.Network == "" {
		cfg.Network = "solar-berlin"
	}
	if cfg.ChainID == "" {
		cfg.ChainID = chainID
	}
	d, err := agent.NewDevice(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// decode checks a payload's encoding and signature and returns its report.
func decode(t testing.TB, payload []byte) *reportv1.Report {
	t.Helper()
	d, err := wire.Decode(payload)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Verify(chainID) {
		t.Fatal("signature does not verify")
	}
	return d.Report
}

// message is one published report.
type message struct {
	network, device string
	payload         []byte
}

// memPublisher records what it is given; fail, if set, decides each
// attempt's error.
type memPublisher struct {
	mu       sync.Mutex
	msgs     []message
	attempts int
	fail     func(attempt int, m message) error
	closed   bool
}

func (p *memPublisher) Publish(ctx context.Context, network, device string, payload []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := message{network, device, append([]byte(nil), payload...)}
	p.attempts++
	if p.fail != nil {
		if err := p.fail(p.attempts, m); err != nil {
			return err
		}
	}
	p.msgs = append(p.msgs, m)
	return nil
}

func (p *memPublisher) Close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
}

func (p *memPublisher) messages() []message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]message(nil), p.msgs...)
}

// constant is a Generator that measures the same values every period,
// and is down when down says so.
type constant struct {
	values []uint64
	down   func(start, end time.Time) bool
}

func (c constant) Next(start, end time.Time) ([]*reportv1.MetricValue, bool) {
	if c.down != nil && c.down(start, end) {
		return nil, false
	}
	var ms []*reportv1.MetricValue
	for i, v := range c.values {
		ms = append(ms, &reportv1.MetricValue{Id: uint32(i + 1), Value: v})
	}
	return ms, true
}

func (p *memPublisher) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}
