package agent_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/depinhq/depin/agent"
	"github.com/depinhq/depin/crypto"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	"github.com/depinhq/depin/wire"
)

var t0 = time.Date(2025, 6, 15, 10, 0, 0, 0, time.UTC)

func TestDeviceReportsInSequence(t *testing.T) {
	dev := newDevice(t, agent.DeviceConfig{Capacity: 5000})
	gen := constant{values: []uint64{7}}
	dev.Start(t0)
	var last *reportv1.Report
	for i := 1; i <= 50; i++ {
		now := t0.Add(time.Duration(i)*10*time.Second + 300*time.Millisecond)
		payload, err := dev.NextReport(now, gen)
		if err != nil {
			t.Fatal(err)
		}
		r := decode(t, payload)
		if r.Seq != uint64(i) {
			t.Fatalf("report %d has seq %d", i, r.Seq)
		}
		if r.PeriodEnd != now.Unix() || r.PeriodEnd <= r.PeriodStart {
			t.Fatalf("period [%d, %d), now %d", r.PeriodStart, r.PeriodEnd, now.Unix())
		}
		if last != nil && r.PeriodStart != last.PeriodEnd {
			t.Fatalf("period starts at %d, the last ended at %d", r.PeriodStart, last.PeriodEnd)
		}
		if last == nil && r.PeriodStart != t0.Unix() {
			t.Fatalf("first period starts at %d, started at %d", r.PeriodStart, t0.Unix())
		}
		if r.Network != "solar-berlin" || !bytes.Equal(r.DevicePublicKey, dev.PublicKey()) {
			t.Fatalf("report for %q by %x", r.Network, r.DevicePublicKey)
		}
		last = r
	}
	if s := dev.State(); s.Seq != 50 || s.PeriodEnd != last.PeriodEnd || s.Device != dev.String() {
		t.Fatalf("state %+v", s)
	}
	if dev.ID() != crypto.AddressFromPubKey(dev.PublicKey()) || dev.String() != crypto.DeviceString(dev.ID()) {
		t.Fatal("device id does not derive from the key")
	}
	// Within the same second: nothing to report.
	if _, err := dev.NextReport(time.Unix(last.PeriodEnd, 900), gen); !errors.Is(err, agent.ErrEmptyPeriod) {
		t.Fatalf("same second: %v", err)
	}
	// The signature binds the chain id.
	payload, _ := dev.NextReport(t0.Add(time.Hour), gen)
	d, _ := wire.Decode(payload)
	if d.Verify("another-chain") {
		t.Fatal("signature verifies for another chain")
	}
}

func TestDeviceFirstCallWithoutStart(t *testing.T) {
	dev := newDevice(t, agent.DeviceConfig{})
	gen := constant{values: []uint64{1}}
	if _, err := dev.NextReport(t0, gen); !errors.Is(err, agent.ErrEmptyPeriod) {
		t.Fatalf("first call: %v", err)
	}
	payload, err := dev.NextReport(t0.Add(10*time.Second), gen)
	if err != nil {
		t.Fatal(err)
	}
	if r := decode(t, payload); r.PeriodStart != t0.Unix() || r.Seq != 1 {
		t.Fatalf("first report %v", r)
	}
}

func TestDeviceSkipsOfflinePeriods(t *testing.T) {
	dev := newDevice(t, agent.DeviceConfig{})
	downFrom, downTo := t0.Add(time.Minute), t0.Add(2*time.Minute)
	gen := constant{values: []uint64{1}, down: func(s, e time.Time) bool { return s.Before(downTo) && e.After(downFrom) }}
	dev.Start(t0)
	var reports []*reportv1.Report
	offline := 0
	for now := t0.Add(10 * time.Second); now.Before(t0.Add(5 * time.Minute)); now = now.Add(10 * time.Second) {
		payload, err := dev.NextReport(now, gen)
		if errors.Is(err, agent.ErrOffline) {
			offline++
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		reports = append(reports, decode(t, payload))
	}
	if offline != 6 {
		t.Errorf("%d periods offline, want 6", offline)
	}
	for i, r := range reports {
		if r.Seq != uint64(i+1) {
			t.Errorf("seq %d at %d: seqs run on without gaps", r.Seq, i)
		}
		if r.PeriodStart < downTo.Unix() && r.PeriodEnd > downFrom.Unix() {
			t.Errorf("report [%d, %d) covers the outage", r.PeriodStart, r.PeriodEnd)
		}
	}
}

func TestDeviceRejectsBadReports(t *testing.T) {
	dev := newDevice(t, agent.DeviceConfig{})
	mv := func(ids ...uint32) []*reportv1.MetricValue {
		var ms []*reportv1.MetricValue
		for _, id := range ids {
			ms = append(ms, &reportv1.MetricValue{Id: id, Value: 1})
		}
		return ms
	}
	if _, err := dev.Sign(t0, t0.Add(10*time.Second), mv(1, 2)); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		start, end time.Time
		metrics    []*reportv1.MetricValue
		want       error
	}{
		"overlap":    {t0.Add(5 * time.Second), t0.Add(20 * time.Second), mv(1), agent.ErrPeriodOverlap},
		"empty":      {t0.Add(20 * time.Second), t0.Add(20 * time.Second), mv(1), agent.ErrEmptyPeriod},
		"no metrics": {t0.Add(20 * time.Second), t0.Add(30 * time.Second), nil, agent.ErrInvalidReport},
		"repeated":   {t0.Add(20 * time.Second), t0.Add(30 * time.Second), mv(1, 1), agent.ErrInvalidReport},
		"id zero":    {t0.Add(20 * time.Second), t0.Add(30 * time.Second), mv(0), agent.ErrInvalidReport},
		"too many":   {t0.Add(20 * time.Second), t0.Add(30 * time.Second), mv(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17), agent.ErrInvalidReport},
	} {
		if _, err := dev.Sign(c.start, c.end, c.metrics); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	if s := dev.State(); s.Seq != 1 {
		t.Errorf("failed signatures moved the sequence to %d", s.Seq)
	}
	for name, cfg := range map[string]agent.DeviceConfig{
		"no key":       {Network: "n", ChainID: "c"},
		"no network":   {Key: testKey(1), ChainID: "c"},
		"long network": {Key: testKey(1), ChainID: "c", Network: string(make([]byte, 65))},
		"no chain":     {Key: testKey(1), Network: "n"},
		"bad location": {Key: testKey(1), Network: "n", ChainID: "c", Lat: 91},
		"other state":  {Key: testKey(1), Network: "n", ChainID: "c", State: agent.State{Device: newDevice(t, agent.DeviceConfig{Key: testKey(2)}).String()}},
	} {
		if _, err := agent.NewDevice(cfg); err == nil {
			t.Errorf("%s: NewDevice succeeded", name)
		}
	}
}

// TestDeviceStateSurvivesRestart: a device restarted from its state file
// continues its sequence and never claims the time it was off.
func TestDeviceStateSurvivesRestart(t *testing.T) {
	file := agent.StateFile{Path: filepath.Join(t.TempDir(), "state.json")}
	st, err := file.Load()
	if err != nil || st != (agent.State{}) {
		t.Fatalf("missing state file: %+v, %v", st, err)
	}
	gen := constant{values: []uint64{3}}
	dev := newDevice(t, agent.DeviceConfig{Saver: file})
	dev.Start(t0)
	for i := 1; i <= 5; i++ {
		if _, err := dev.NextReport(t0.Add(time.Duration(i)*10*time.Second), gen); err != nil {
			t.Fatal(err)
		}
	}
	if fi, err := os.Stat(file.Path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v, %v", fi, err)
	}

	st, err = file.Load()
	if err != nil || st.Seq != 5 || st.PeriodEnd != t0.Add(50*time.Second).Unix() {
		t.Fatalf("saved state %+v, %v", st, err)
	}
	restarted := newDevice(t, agent.DeviceConfig{State: st, Saver: file})
	boot := t0.Add(5 * time.Minute)
	restarted.Start(boot)
	payload, err := restarted.NextReport(boot.Add(10*time.Second), gen)
	if err != nil {
		t.Fatal(err)
	}
	if r := decode(t, payload); r.Seq != 6 || r.PeriodStart != boot.Unix() {
		t.Fatalf("after restart: seq %d from %d, want 6 from %d", r.Seq, r.PeriodStart, boot.Unix())
	}
	// A clock that went backwards cannot make periods overlap.
	back := newDevice(t, agent.DeviceConfig{State: restarted.State()})
	back.Start(t0)
	payload, err = back.NextReport(boot.Add(20*time.Second), gen)
	if err != nil {
		t.Fatal(err)
	}
	if r := decode(t, payload); r.PeriodStart != boot.Add(10*time.Second).Unix() {
		t.Fatalf("period starts at %d, before the last end", r.PeriodStart)
	}
}

type failingSaver struct{ err error }

func (f *failingSaver) SaveState(agent.State) error { return f.err }

// TestDeviceWithholdsReportsItCannotPersist: a report whose sequence number
// could not be saved is never released, so a restart cannot equivocate.
func TestDeviceWithholdsReportsItCannotPersist(t *testing.T) {
	saver := &failingSaver{err: errors.New("disk full")}
	dev := newDevice(t, agent.DeviceConfig{Saver: saver})
	dev.Start(t0)
	payload, err := dev.NextReport(t0.Add(10*time.Second), constant{values: []uint64{1}})
	if err == nil || payload != nil {
		t.Fatalf("got %d bytes, %v", len(payload), err)
	}
	if s := dev.State(); s.Seq != 0 {
		t.Fatalf("state moved to %+v", s)
	}
	saver.err = nil
	payload, err = dev.NextReport(t0.Add(20*time.Second), constant{values: []uint64{1}})
	if err != nil {
		t.Fatal(err)
	}
	if r := decode(t, payload); r.Seq != 1 || r.PeriodStart != t0.Unix() {
		t.Fatalf("after the failure: %v", r)
	}
}

func TestDeviceSeqFromClock(t *testing.T) {
	dev := newDevice(t, agent.DeviceConfig{SeqFromClock: true})
	dev.Start(t0)
	p1, _ := dev.NextReport(t0.Add(10*time.Second), constant{values: []uint64{1}})
	if r := decode(t, p1); r.Seq != uint64(t0.Unix()+10) {
		t.Fatalf("seq %d", r.Seq)
	}
	// A simulator restarted without state continues past it.
	again := newDevice(t, agent.DeviceConfig{SeqFromClock: true})
	again.Start(t0.Add(time.Minute))
	p2, _ := again.NextReport(t0.Add(70*time.Second), constant{values: []uint64{1}})
	if r := decode(t, p2); r.Seq <= uint64(t0.Unix()+10) {
		t.Fatalf("seq %d after restart", r.Seq)
	}
}

// TestSignedReportSize holds the design's budget: a typical signed report
// of every kind fits in 200 bytes (devices on LoRa and NB-IoT links).
func TestSignedReportSize(t *testing.T) {
	for _, k := range agent.Kinds() {
		for _, seqFromClock := range []bool{false, true} {
			gen, err := k.NewGenerator(agent.GeneratorConfig{Seed: 1, Capacity: k.CapacityMax, Lat: 52.5, Lon: 13.4})
			if err != nil {
				t.Fatal(err)
			}
			dev := newDevice(t, agent.DeviceConfig{Network: k.Name + "-berlin-01", SeqFromClock: seqFromClock})
			dev.Start(t0)
			largest := 0
			for now := t0.Add(k.ReportInterval); now.Before(t0.Add(24 * time.Hour)); now = now.Add(k.ReportInterval * 37) {
				payload, err := dev.NextReport(now, gen)
				if errors.Is(err, agent.ErrOffline) {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				decode(t, payload)
				largest = max(largest, len(payload))
			}
			if largest == 0 || largest > 200 {
				t.Errorf("%s: largest signed report %d bytes, budget 200", k.Name, largest)
			}
			t.Logf("%s (seq from clock %v): largest signed report %d bytes", k.Name, seqFromClock, largest)
		}
	}
}

func TestKeyFiles(t *testing.T) {
	dir := t.TempDir()
	key, err := agent.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "device.json")
	if err := agent.SaveKey(path, key); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v", fi.Mode(), err)
	}
	loaded, err := agent.LoadKey(path)
	if err != nil || !loaded.Equal(key) {
		t.Fatalf("loaded %v, %v", loaded, err)
	}
	other, _ := agent.GenerateKey()
	if err := agent.SaveKey(path, other); !errors.Is(err, agent.ErrKeyExists) {
		t.Fatalf("overwriting a key: %v", err)
	}
	if again, _ := agent.LoadKey(path); !again.Equal(key) {
		t.Fatal("key file was overwritten")
	}
	raw, _ := os.ReadFile(path)
	if !bytes.Contains(raw, []byte("unencrypted")) || !bytes.Contains(raw, []byte("depindev1")) {
		t.Errorf("key file does not say what it is:\n%s", raw)
	}

	// Readable by others: refused.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := agent.LoadKey(path); !errors.Is(err, agent.ErrInvalidKeyFile) {
		t.Errorf("mode 0644: %v", err)
	}
	// Tampered: public key does not match the seed.
	tampered := filepath.Join(dir, "tampered.json")
	pubHex := []byte(`"public_key": "`)
	i := bytes.Index(raw, pubHex) + len(pubHex)
	bad := bytes.Clone(raw)
	if bad[i] == 'a' {
		bad[i] = 'b'
	} else {
		bad[i] = 'a'
	}
	if err := os.WriteFile(tampered, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := agent.LoadKey(tampered); !errors.Is(err, agent.ErrInvalidKeyFile) {
		t.Errorf("tampered key file: %v", err)
	}
	garbage := filepath.Join(dir, "garbage.json")
	os.WriteFile(garbage, []byte("{"), 0o600)
	if _, err := agent.LoadKey(garbage); !errors.Is(err, agent.ErrInvalidKeyFile) {
		t.Errorf("garbage key file: %v", err)
	}
}

// TestProvePossession: the device's proof verifies for its owner on its
// chain only.
func TestProvePossession(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(nil)
	d, err := agent.NewDevice(agent.DeviceConfig{Key: priv, Network: "solar", ChainID: "depin-test", Capacity: 1})
	if err != nil {
		t.Fatal(err)
	}
	owner, other := crypto.Address{1}, crypto.Address{2}
	proof := d.ProvePossession(owner)
	if err := crypto.VerifyPossession(d.PublicKey(), "depin-test", owner, proof); err != nil {
		t.Fatal(err)
	}
	if crypto.VerifyPossession(d.PublicKey(), "depin-test", other, proof) == nil || crypto.VerifyPossession(d.PublicKey(), "other-chain", owner, proof) == nil {
		t.Fatal("a proof for one owner and chain verifies for another")
	}
}
