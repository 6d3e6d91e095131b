package gateway

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"testing/synctest"
	"time"

	"github.com/depinhq/depin/clock"
	"github.com/depinhq/depin/crypto"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	"github.com/depinhq/depin/wire"
	"google.golang.org/protobuf/proto"
)

// testLogger logs at debug level with -v and DEPIN_TEST_LOG=1, else not.
func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("DEPIN_TEST_LOG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

func testKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("gateway test key " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

// device is a simulated device that signs reports.
type device struct {
	key     ed25519.PrivateKey
	id      crypto.DeviceID
	network string
	seq     uint64
}

func newDevice(name, network string) *device {
	k := testKey("device " + name)
	return &device{key: k, id: crypto.AddressFromPubKey(k.Public().(ed25519.PublicKey)), network: network}
}

func (d *device) topic() string { return ReportTopic(d.network, d.id) }

// report signs the device's next report for chainID.
func (d *device) report(t testing.TB, chainID string) []byte {
	t.Helper()
	d.seq++
	start := int64(1_700_000_000) + int64(d.seq)*60
	raw, err := wire.Sign(d.key, chainID, &reportv1.Report{
		Network:     d.network,
		Seq:         d.seq,
		PeriodStart: start,
		PeriodEnd:   start + 60,
		Metrics:     []*reportv1.MetricValue{{Id: 1, Value: 100 + d.seq}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// reportBytes is the signed report_bytes of a SignedReport payload, the
// way memChain records committed reports.
func reportBytes(t testing.TB, payload []byte) string {
	t.Helper()
	var s reportv1.SignedReport
	if err := proto.Unmarshal(payload, &s); err != nil {
		t.Fatal(err)
	}
	return string(s.ReportBytes)
}

// testConfig is TestConfig with the test submitter key and chain id.
func testConfig() Config {
	c := TestConfig()
	c.SubmitterKey = testKey("submitter")
	c.ChainID = testChainID
	return c
}

// testStart is when the clocks of simulated tests start.
var testStart = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// simulated runs f in a testing/synctest bubble with a manual clock for
// the gateway and its chain (simConfig, newSimGateway, newMemChain(clk)).
// The clock moves only when the test moves it (runUntil, advance), so what
// a test asserts about time holds exactly, and nothing sleeps. The gateway
// serves no socket: a goroutine blocked on one is never "durably blocked",
// so synctest.Wait would not return. Reports go in through ingest or the
// HTTP handler (serve).
func simulated(t *testing.T, f func(t *testing.T, clk *clock.Manual)) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) { f(t, clock.NewManual(testStart)) })
}

// simConfig is testConfig on clk, with no MQTT broker.
func simConfig(clk *clock.Manual) Config {
	c := testConfig()
	c.MQTTListen = ""
	c.Clock = clk
	c.DispatchPoll = 0 // nothing to follow: the tests of reports keep their clock to themselves
	return c
}

// newSimGateway is newGateway for simulated tests: the HTTP endpoint New
// binds (a gateway needs a way in) is closed, never served; tests call its
// handler in process.
func newSimGateway(t testing.TB, cfg Config, chain Chain) *Gateway {
	t.Helper()
	g := newGateway(t, cfg, chain)
	if g.http != nil {
		g.http.close()
		g.http = nil
	}
	return g
}

// runUntil steps clk from one pending deadline to the next, letting every
// goroutine of the test run until it blocks again (synctest.Wait), until
// cond holds. It fails the test if cond does not hold within limit of
// clock time, or if nothing is waiting on the clock that could change it.
func runUntil(t testing.TB, clk *clock.Manual, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	end := clk.Now().Add(limit)
	for {
		synctest.Wait()
		if cond() {
			return
		}
		next, ok := clk.Next()
		if !ok {
			t.Fatalf("%s: not so at %s on the clock, and nothing waits on it", what, clk.Now().Sub(testStart))
		}
		if next.After(end) {
			t.Fatalf("%s: not within %s on the clock", what, limit)
		}
		clk.AdvanceTo(next)
	}
}

// advance moves clk forward by d, through every deadline on the way, and
// returns once every goroutine of the test is blocked again.
func advance(clk *clock.Manual, d time.Duration) {
	end := clk.Now().Add(d)
	for {
		synctest.Wait()
		next, ok := clk.Next()
		if !ok || next.After(end) {
			clk.AdvanceTo(end)
			synctest.Wait()
			return
		}
		clk.AdvanceTo(next)
	}
}

// stopOnClock stops a gateway started by runGateway while stepping clk
// (draining may wait on the clock) and returns Run's error.
func stopOnClock(t testing.TB, clk *clock.Manual, stop func() error, limit time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- stop() }()
	var err error
	runUntil(t, clk, "Run to return", limit, func() bool {
		select {
		case err = <-done:
			return true
		default:
			return false
		}
	})
	return err
}

// runGateway starts g.Run and stops it when the test ends (on a manual
// clock, stepping it while the gateway drains); the returned function
// stops it earlier and returns Run's error.
func runGateway(t testing.TB, g *Gateway) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- g.Run(ctx) }()
	var err error
	stopped := false
	stop = func() error {
		if !stopped {
			stopped = true
			cancel()
			select {
			case err = <-errc:
			case <-time.After(20 * time.Second):
				err = fmt.Errorf("Run did not return 20 s after its context ended")
			}
		}
		return err
	}
	t.Cleanup(func() {
		var err error
		if clk, ok := g.cfg.Clock.(*clock.Manual); ok {
			err = stopOnClock(t, clk, stop, time.Minute)
		} else {
			err = stop()
		}
		if err != nil {
			t.Error(err)
		}
	})
	return stop
}

func newGateway(t testing.TB, cfg Config, chain Chain) *Gateway {
	t.Helper()
	g, err := New(cfg, chain, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

// waitFor polls cond until it holds or 10 s pass, for tests that talk
// over real sockets (MQTT) and so run on the wall clock; a condition, not
// a timed assertion: a slow machine only makes it poll longer.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func protoUnmarshal(b []byte, m proto.Message) error { return proto.Unmarshal(b, m) }

// topicDevice is the device id as topics and outcomes spell it.
func (d *device) topicDevice() string { return crypto.DeviceString(d.id) }
