// Package sim runs fleets of simulated devices of one kind from the agent
// catalogue: it derives each device's key, capacity and location from a
// seed, drives all of them from one loop on a clock (the wall clock, or a
// fast-forward one that simulates a day in seconds) and publishes their
// signed reports. `depin sim` and `depin demo` use it. A fleet of
// batteries follows the dispatches handed to it (Follow), or sent to its
// devices' dispatch topics by a gateway (SubscribeDispatches), but for
// the share configured to ignore them.
//
// Its keys come from a seed anyone can know: the package must never be
// used for real devices, and must never hold funds behind a simulated
// device's key. Its devices number their reports from the clock
// (agent.DeviceConfig.SeqFromClock) so a restarted simulation needs no
// saved state.
package sim

import (
	"container/heap"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync/atomic"
	"time"

	"github.com/depinhq/depin/agent"
)

// Config describes a fleet.
type Config struct {
	Kind       string // a kind of agent.Kinds
	Devices    int
	Seed       uint64
	FirstIndex int // index of the first device: run slices of one fleet in several processes
	Network    string
	ChainID    string
	Lat, Lon   float64 // the fleet's centre, degrees
	RadiusKm   float64 // devices spread uniformly over this disc (default 10)
	// Interval is the reporting period, whole seconds (default the
	// kind's ReportInterval).
	Interval time.Duration
	// IgnoreDispatch is the share (0 to 1) of the fleet's devices that
	// take no notice of the dispatches they are told (of kinds that
	// follow dispatches: batteries), chosen by the seed; the rest follow
	// them (Fleet.Follow, Fleet.SubscribeDispatches).
	IgnoreDispatch float64
	// Until, if set, stops Run once the clock passes it.
	Until  time.Time
	Clock  agent.Clock // default agent.SystemClock()
	Logger *slog.Logger
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if _, err := agent.LookupKind(c.Kind); err != nil {
		return err
	}
	switch {
	case c.Devices < 1:
		return fmt.Errorf("fleet of %d devices: want at least 1", c.Devices)
	case c.FirstIndex < 0:
		return fmt.Errorf("first index %d: want ≥ 0", c.FirstIndex)
	case c.Lat < -90 || c.Lat > 90 || c.Lon < -180 || c.Lon > 180:
		return fmt.Errorf("fleet centre %v,%v is not a latitude,longitude", c.Lat, c.Lon)
	case c.RadiusKm < 0 || c.RadiusKm > 2000:
		return fmt.Errorf("fleet radius %v km: want 0 to 2000", c.RadiusKm)
	case c.Interval != 0 && (c.Interval < time.Second || c.Interval%time.Second != 0):
		return fmt.Errorf("report interval %v: want whole seconds, at least 1s", c.Interval)
	case !(c.IgnoreDispatch >= 0 && c.IgnoreDispatch <= 1):
		return fmt.Errorf("share of devices ignoring dispatches %v: want 0 to 1", c.IgnoreDispatch)
	}
	return nil
}

// Member is one simulated device: what registering it on chain needs (key,
// capacity, energy capacity, location) and what drives it.
type Member struct {
	Index    int
	Key      ed25519.PrivateKey
	Capacity uint64
	// EnergyCapacity is what the device stores (Wh) for kinds that store
	// energy (its certificate's energy_capacity), else 0.
	EnergyCapacity uint64
	Lat, Lon       float64
	Device         *agent.Device
	Generator      agent.Generator
	// IgnoresDispatch: the device takes no notice of dispatches
	// (Config.IgnoreDispatch).
	IgnoresDispatch bool
	phase           time.Duration
}

// Stats counts what a fleet did.
type Stats struct {
	Signed        uint64 // reports signed and handed to the publisher
	Offline       uint64 // periods skipped because a device was down
	PublishFailed uint64 // reports the publisher did not take
}

// Fleet is a set of simulated devices of one kind.
type Fleet struct {
	cfg      Config
	kind     agent.Kind
	members  []*Member
	byDevice map[string]*Member
	log      *slog.Logger
	// heard, if set, is told of each dispatch a member is handed (and
	// whether it ignores it), from the members' MQTT goroutines.
	heard func(d agent.Dispatch, ignored bool)

	signed, offline, failed atomic.Uint64
}

// New derives the fleet's devices from cfg.
func New(cfg Config) (*Fleet, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	kind, _ := agent.LookupKind(cfg.Kind)
	if cfg.Interval == 0 {
		cfg.Interval = kind.ReportInterval
	}
	if cfg.RadiusKm == 0 {
		cfg.RadiusKm = 10
	}
	if cfg.Clock == nil {
		cfg.Clock = agent.SystemClock()
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f := &Fleet{cfg: cfg, kind: kind, byDevice: map[string]*Member{}, log: log.With("kind", kind.Name, "network", cfg.Network)}
	secs := int64(cfg.Interval / time.Second)
	for i := range cfg.Devices {
		index := cfg.FirstIndex + i
		key := DeviceKey(cfg.Seed, kind.Name, index)
		capacity := kind.Capacity(cfg.Seed, index)
		energy := kind.EnergyCapacity(cfg.Seed, index, capacity)
		lat, lon := Location(cfg.Seed, index, cfg.Lat, cfg.Lon, cfg.RadiusKm)
		ignore := ignores(cfg.Seed, index, cfg.IgnoreDispatch)
		gen, err := kind.NewGenerator(agent.GeneratorConfig{Seed: cfg.Seed, Index: index, Capacity: capacity, EnergyCapacity: energy,
			Lat: lat, Lon: lon, IgnoreDispatch: ignore})
		if err != nil {
			return nil, err
		}
		dev, err := agent.NewDevice(agent.DeviceConfig{
			Key: key, Network: cfg.Network, ChainID: cfg.ChainID,
			Capacity: capacity, Lat: lat, Lon: lon,
			SeqFromClock: true,
		})
		if err != nil {
			return nil, err
		}
		m := &Member{
			Index: index, Key: key, Capacity: capacity, EnergyCapacity: energy, Lat: lat, Lon: lon,
			Device: dev, Generator: gen, IgnoresDispatch: ignore,
			// Spread the fleet's reports evenly over the interval.
			phase: time.Duration(int64(i)*secs/int64(cfg.Devices)) * time.Second,
		}
		f.members = append(f.members, m)
		f.byDevice[dev.String()] = m
	}
	return f, nil
}

// ignores reports whether device index of a fleet seeded with seed is one
// of the share that ignore dispatches.
func ignores(seed uint64, index int, share float64) bool {
	h := sha256.Sum256(binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64([]byte("depin/sim/ignore-dispatch/v1"), seed), uint64(index)))
	return float64(binary.BigEndian.Uint64(h[:8])>>11)/(1<<53) < share
}

// DeviceKey derives simulated device index's key from the fleet's seed.
// Anyone who knows the seed has the key: simulations only.
func DeviceKey(seed uint64, kind string, index int) ed25519.PrivateKey {
	h := sha256.New()
	h.Write([]byte("depin/sim/device-key/v1\x00"))
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write(binary.BigEndian.AppendUint64(nil, seed))
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(index)))
	return ed25519.NewKeyFromSeed(h.Sum(nil))
}

// Location places device index of a fleet seeded with seed uniformly on a
// disc of radiusKm around lat, lon.
func Location(seed uint64, index int, lat, lon, radiusKm float64) (float64, float64) {
	h := sha256.Sum256(binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64([]byte("depin/sim/location/v1"), seed), uint64(index)))
	u1 := float64(binary.BigEndian.Uint64(h[0:8])>>11) / (1 << 53)
	u2 := float64(binary.BigEndian.Uint64(h[8:16])>>11) / (1 << 53)
	r := radiusKm * math.Sqrt(u1)
	theta := 2 * math.Pi * u2
	dLat := r * math.Cos(theta) / 111.32
	cos := math.Max(math.Cos(lat*math.Pi/180), 0.01)
	dLon := r * math.Sin(theta) / (111.32 * cos)
	lat = math.Max(-90, math.Min(90, lat+dLat))
	lon = math.Mod(lon+dLon+540, 360) - 180
	return lat, lon
}

// Kind is the fleet's kind.
func (f *Fleet) Kind() agent.Kind { return f.kind }

// Interval is the fleet's reporting period.
func (f *Fleet) Interval() time.Duration { return f.cfg.Interval }

// Members lists the fleet's devices in index order.
func (f *Fleet) Members() []*Member { return f.members }

// Run reports for every device each interval, from one loop, until ctx
// ends (then it returns nil) or the clock passes Until. A device whose
// state cannot be signed ends the run with an error. pub should return at
// once (an agent.QueuedPublisher) or the loop falls behind the clock.
func (f *Fleet) Run(ctx context.Context, pub agent.Publisher) error {
	clock := f.cfg.Clock
	now := clock.Now()
	var due dueHeap
	for _, m := range f.members {
		m.Device.Start(now)
		due = append(due, dueAt{when: f.nextEnd(m, now), m: m})
	}
	heap.Init(&due)
	f.log.Info("fleet running", "devices", len(f.members), "interval", f.cfg.Interval)
	for {
		next := due[0].when
		if !f.cfg.Until.IsZero() && next.After(f.cfg.Until) {
			return nil
		}
		if err := clock.Sleep(ctx, next.Sub(clock.Now())); err != nil {
			return nil
		}
		now := clock.Now()
		for due[0].when.Compare(now) <= 0 {
			m, end := due[0].m, due[0].when
			if err := f.step(ctx, pub, m, end); err != nil {
				return err
			}
			// Behind the clock (a stall): the next period ends on the next
			// boundary after now.
			due[0].when = f.nextEnd(m, now)
			heap.Fix(&due, 0)
			if ctx.Err() != nil {
				return nil
			}
		}
	}
}

// nextEnd is m's first period boundary after t.
func (f *Fleet) nextEnd(m *Member, t time.Time) time.Time {
	b := t.Add(-m.phase).Truncate(f.cfg.Interval).Add(m.phase)
	for !b.After(t) {
		b = b.Add(f.cfg.Interval)
	}
	return b
}

func (f *Fleet) step(ctx context.Context, pub agent.Publisher, m *Member, end time.Time) error {
	payload, err := m.Device.NextReport(end, m.Generator)
	switch {
	case errors.Is(err, agent.ErrOffline):
		f.offline.Add(1)
		return nil
	case errors.Is(err, agent.ErrEmptyPeriod):
		return nil
	case err != nil:
		return fmt.Errorf("simulated device %d (%s): %w", m.Index, m.Device, err)
	}
	f.signed.Add(1)
	if err := pub.Publish(ctx, f.cfg.Network, m.Device.String(), payload); err != nil {
		if n := f.failed.Add(1); n == 1 || n%1000 == 0 {
			f.log.Warn("report not published", "device", m.Device.String(), "failed", n, "err", err)
		}
	}
	return nil
}

// Stats returns the counters.
func (f *Fleet) Stats() Stats {
	return Stats{Signed: f.signed.Load(), Offline: f.offline.Load(), PublishFailed: f.failed.Load()}
}

// dueAt is when a member's next period ends.
type dueAt struct {
	when time.Time
	m    *Member
}

// dueHeap orders members by their next period end, then by index.
type dueHeap []dueAt

func (h dueHeap) Len() int { return len(h) }
func (h dueHeap) Less(i, j int) bool {
	if c := h[i].when.Compare(h[j].when); c != 0 {
		return c < 0
	}
	return h[i].m.Index < h[j].m.Index
}
func (h dueHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)   { *h = append(*h, x.(dueAt)) }
func (h *dueHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
