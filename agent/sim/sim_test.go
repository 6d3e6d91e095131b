package sim_test

import (
	"context"
	"math"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/depinhq/depin/agent"
	"github.com/depinhq/depin/agent/sim"
	"github.com/depinhq/depin/crypto"
	"github.com/depinhq/depin/wire"
)

const chainID = "depin-sim-test"

type published struct {
	network, device string
	payload         []byte
}

type memPublisher struct {
	mu   sync.Mutex
	msgs []published
}

func (p *memPublisher) Publish(_ context.Context, network, device string, payload []byte) error {
	p.mu.Lock()
	p.msgs = append(p.msgs, published{network, device, payload})
	p.mu.Unlock()
	return nil
}

func (p *memPublisher) Close() {}

// TestFleetsFastForward runs a small fleet of every kind for two hours of
// simulated time: every report decodes, verifies, is published under its
// device, stays within its metrics' bounds for the device's capacity, and
// each device's reports run in sequence over periods that never overlap.
func TestFleetsFastForward(t *testing.T) {
	start := time.Date(2025, 6, 15, 6, 0, 0, 0, time.UTC)
	for _, kind := range agent.Kinds() {
		t.Run(kind.Name, func(t *testing.T) {
			clock := agent.NewFastForwardClock(start)
			const devices = 4
			f, err := sim.New(sim.Config{
				Kind: kind.Name, Devices: devices, Seed: 77, Network: kind.Name + "-berlin", ChainID: chainID,
				Lat: 52.52, Lon: 13.40, RadiusKm: 20, Clock: clock, Until: start.Add(2 * time.Hour),
			})
			if err != nil {
				t.Fatal(err)
			}
			pub := &memPublisher{}
			if err := f.Run(context.Background(), pub); err != nil {
				t.Fatal(err)
			}
			capacity := map[string]uint64{}
			for _, m := range f.Members() {
				if m.Capacity < kind.CapacityMin || m.Capacity > kind.CapacityMax {
					t.Errorf("device %d capacity %d", m.Index, m.Capacity)
				}
				if km := distanceKm(52.52, 13.40, m.Lat, m.Lon); km > 20.01 {
					t.Errorf("device %d is %.1f km out", m.Index, km)
				}
				capacity[m.Device.String()] = m.Capacity
			}
			type last struct {
				seq uint64
				end int64
			}
			lasts := map[string]last{}
			for _, p := range pub.msgs {
				d, err := wire.Decode(p.payload)
				if err != nil || !d.Verify(chainID) {
					t.Fatalf("report does not verify: %v", err)
				}
				r := d.Report
				dev := crypto.DeviceString(d.Device)
				if p.device != dev || p.network != kind.Name+"-berlin" || r.Network != p.network {
					t.Fatalf("report of %s published as %s/%s", dev, p.network, p.device)
				}
				l := lasts[dev]
				if r.Seq <= l.seq || r.PeriodStart < l.end || r.PeriodEnd <= r.PeriodStart {
					t.Fatalf("%s: seq %d [%d, %d) after seq %d ending %d", dev, r.Seq, r.PeriodStart, r.PeriodEnd, l.seq, l.end)
				}
				lasts[dev] = last{r.Seq, r.PeriodEnd}
				if r.PeriodEnd > start.Add(6*time.Hour).Unix() {
					t.Fatalf("period ends after Until")
				}
				for i, mv := range r.Metrics {
					m := kind.Metrics[i]
					lhs := new(big.Int).Mul(new(big.Int).SetUint64(mv.Value), new(big.Int).SetUint64(m.BoundDen))
					rhs := new(big.Int).SetUint64(capacity[dev])
					rhs.Mul(rhs, big.NewInt(r.PeriodEnd-r.PeriodStart))
					rhs.Mul(rhs, new(big.Int).SetUint64(m.BoundNum))
					if lhs.Cmp(rhs) > 0 {
						t.Fatalf("%s: %s = %d beyond the bound", dev, m.Name, mv.Value)
					}
				}
			}
			if len(lasts) != devices {
				t.Fatalf("%d of %d devices reported", len(lasts), devices)
			}
			periods := int(2 * time.Hour / kind.ReportInterval)
			st := f.Stats()
			if int(st.Signed+st.Offline) < devices*(periods-1) || st.Signed != uint64(len(pub.msgs)) {
				t.Fatalf("%d periods each, stats %+v", periods, st)
			}
		})
	}
}

// TestFleetIsReproducible: the same seed gives the same devices (so a fleet
// registered once can be run again) and, from a fresh start, reports whose
// sequence continues past the first run's.
func TestFleetIsReproducible(t *testing.T) {
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	run := func(from time.Time) (*sim.Fleet, *memPublisher) {
		f, err := sim.New(sim.Config{Kind: "meter", Devices: 3, Seed: 5, FirstIndex: 10, Network: "meters", ChainID: chainID,
			Lat: 48.1, Lon: 11.6, Clock: agent.NewFastForwardClock(from), Until: from.Add(10 * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		pub := &memPublisher{}
		if err := f.Run(context.Background(), pub); err != nil {
			t.Fatal(err)
		}
		return f, pub
	}
	a, pa := run(start)
	b, pb := run(start.Add(time.Hour))
	for i := range a.Members() {
		ma, mb := a.Members()[i], b.Members()[i]
		if !ma.Key.Equal(mb.Key) || ma.Capacity != mb.Capacity || ma.Lat != mb.Lat || ma.Index != 10+i {
			t.Fatalf("member %d differs between runs", i)
		}
		if !ma.Key.Equal(sim.DeviceKey(5, "meter", 10+i)) {
			t.Fatal("DeviceKey does not give the member's key")
		}
	}
	if sim.DeviceKey(5, "meter", 1).Equal(sim.DeviceKey(5, "solar", 1)) || sim.DeviceKey(5, "meter", 1).Equal(sim.DeviceKey(6, "meter", 1)) {
		t.Fatal("keys collide across kinds or seeds")
	}
	maxSeq := uint64(0)
	for _, p := range pa.msgs {
		d, _ := wire.Decode(p.payload)
		maxSeq = max(maxSeq, d.Report.Seq)
	}
	for _, p := range pb.msgs {
		d, _ := wire.Decode(p.payload)
		if d.Report.Seq <= maxSeq {
			t.Fatalf("second run's seq %d ≤ first run's %d", d.Report.Seq, maxSeq)
		}
	}
}

func TestFleetConfig(t *testing.T) {
	ok := sim.Config{Kind: "solar", Devices: 1, Network: "n", ChainID: "c"}
	for name, mutate := range map[string]func(*sim.Config){
		"kind":     func(c *sim.Config) { c.Kind = "toaster" },
		"devices":  func(c *sim.Config) { c.Devices = 0 },
		"lat":      func(c *sim.Config) { c.Lat = 100 },
		"radius":   func(c *sim.Config) { c.RadiusKm = -1 },
		"interval": func(c *sim.Config) { c.Interval = 1500 * time.Millisecond },
		"network":  func(c *sim.Config) { c.Network = "" },
	} {
		c := ok
		mutate(&c)
		if _, err := sim.New(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := sim.New(ok); err != nil {
		t.Fatal(err)
	}
}

func distanceKm(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371.0
	p1, p2 := lat1*math.Pi/180, lat2*math.Pi/180
	dp, dl := p2-p1, (lon2-lon1)*math.Pi/180
	a := math.Sin(dp/2)*math.Sin(dp/2) + math.Cos(p1)*math.Cos(p2)*math.Sin(dl/2)*math.Sin(dl/2)
	return 2 * r * math.Asin(math.Sqrt(a))
}

// TestFleetFollowsDispatches: a battery fleet's members follow the
// dispatches handed to them — the share that ignores them does not — and
// their energy and certificate data hold together.
func TestFleetFollowsDispatches(t *testing.T) {
	start := time.Date(2025, 6, 15, 10, 0, 0, 0, time.UTC) // about 11:00 local solar time in Berlin
	clock := agent.NewFastForwardClock(start)
	f, err := sim.New(sim.Config{Kind: "battery", Devices: 20, Seed: 5, Network: "grid", ChainID: chainID,
		Lat: 52.52, Lon: 13.40, Clock: clock, Until: start.Add(time.Hour), IgnoreDispatch: 0.25})
	if err != nil {
		t.Fatal(err)
	}
	from, to := start.Add(30*time.Minute), start.Add(45*time.Minute)
	ignoring := 0
	for _, m := range f.Members() {
		if m.EnergyCapacity < 2*m.Capacity || m.EnergyCapacity > 3*m.Capacity {
			t.Errorf("device %d: %d Wh for %d W", m.Index, m.EnergyCapacity, m.Capacity)
		}
		if m.IgnoresDispatch {
			ignoring++
		}
		d := agent.Dispatch{ID: 1, Pool: 1, Network: "grid", Device: m.Device.String(), Direction: agent.Discharge, PowerW: 2000, Start: from, End: to}
		if !f.Follow(d) {
			t.Fatalf("device %d does not follow dispatches", m.Index)
		}
	}
	if ignoring == 0 || ignoring > 10 {
		t.Fatalf("%d of 20 ignore dispatches, want about 5", ignoring)
	}
	if f.Follow(agent.Dispatch{Device: "depindev1nobody"}) {
		t.Error("a dispatch for a device not in the fleet was followed")
	}
	pub := &memPublisher{}
	if err := f.Run(context.Background(), pub); err != nil {
		t.Fatal(err)
	}
	net := map[string]float64{} // Wh discharged − charged over reports ending in the window
	for _, p := range pub.msgs {
		d, _ := wire.Decode(p.payload)
		if end := time.Unix(d.Report.PeriodEnd, 0); end.After(from) && !end.After(to) {
			net[p.device] += float64(d.Report.Metrics[1].Value) - float64(d.Report.Metrics[0].Value)
		}
	}
	for _, m := range f.Members() {
		got := net[m.Device.String()]
		if m.IgnoresDispatch {
			if got > 0 {
				t.Errorf("device %d ignores dispatches but discharged %.0f Wh at midday", m.Index, got)
			}
		} else if math.Abs(got-500) > 25 {
			t.Errorf("device %d discharged %.0f Wh net in a 15-min window at 2 kW, want 500", m.Index, got)
		}
	}
}
