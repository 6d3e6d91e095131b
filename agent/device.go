package agent

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/depinhq/depin/crypto"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	"github.com/depinhq/depin/wire"
)

// Errors of Device. ErrOffline and ErrEmptyPeriod are not failures: the
// device simply has nothing to report this time.
var (
	// ErrOffline: the generator says the device was down for the period;
	// nothing was signed and the next period starts at its end.
	ErrOffline = errors.New("device was offline for the period: nothing to report")
	// ErrEmptyPeriod: the period would not be at least one second long.
	ErrEmptyPeriod = errors.New("empty period: nothing to report yet")
	// ErrPeriodOverlap: the period starts before the last signed one ended;
	// the chain would reject it.
	ErrPeriodOverlap = errors.New("period overlaps the last signed report")
	// ErrInvalidReport: the report could not be accepted by any chain
	// (no metrics, a metric id twice, too large).
	ErrInvalidReport = errors.New("invalid report")
)

// MaxNetworkIDLen is the longest network id a report may carry.
const MaxNetworkIDLen = 64

// State is where a device's sequence stands. Persist it (see StateSaver) so
// that after a restart the device continues past the last report it signed.
type State struct {
	Device    string `json:"device"`     // depindev1…, so a state is never applied to another device
	Seq       uint64 `json:"seq"`        // of the last signed report
	PeriodEnd int64  `json:"period_end"` // unix seconds, end of the last signed period
}

// StateSaver persists a device's State. Device calls it after signing each
// report and before releasing it, so that a restart can never sign another
// report with a sequence number already used: the chain takes two reports
// with one sequence number as fraud.
type StateSaver interface {
	SaveState(State) error
}

// DeviceConfig describes a device.
type DeviceConfig struct {
	Key      ed25519.PrivateKey
	Network  string // the network the device is registered in
	ChainID  string
	Capacity uint64  // certified capacity, in the network's capacity unit
	Lat, Lon float64 // where the device is, degrees
	// State is where the sequence continues from: zero for a new device,
	// or what Saver last saved.
	State State
	// Saver, if set, persists the state after every signature. Without
	// it the sequence lives only in memory.
	Saver StateSaver
	// SeqFromClock numbers reports max(last+1, period end in unix
	// seconds), so a device that lost its state (a simulator restarted
	// without one) still continues past what the chain accepted. Real
	// devices persist their state instead.
	SeqFromClock bool
}

// Validate checks the configuration.
func (c DeviceConfig) Validate() error {
	switch {
	case len(c.Key) != ed25519.PrivateKeySize:
		return fmt.Errorf("device key: %d bytes, want an ed25519 private key (%d)", len(c.Key), ed25519.PrivateKeySize)
	case c.Network == "" || len(c.Network) > MaxNetworkIDLen:
		return fmt.Errorf("network id %q: want 1 to %d bytes", c.Network, MaxNetworkIDLen)
	case c.ChainID == "":
		return errors.New("chain id is empty")
	case c.Lat < -90 || c.Lat > 90 || c.Lon < -180 || c.Lon > 180:
		return fmt.Errorf("location %v,%v is not a latitude,longitude", c.Lat, c.Lon)
	}
	return nil
}

// Device is one device's identity and report sequence: it builds and signs
// reports with strictly increasing sequence numbers over periods that never
// overlap. Its methods are safe for concurrent use.
type Device struct {
	cfg  DeviceConfig
	pub  ed25519.PublicKey
	id   crypto.DeviceID
	name string

	mu    sync.Mutex
	state State
	from  int64 // where the next period starts, if after state.PeriodEnd
}

// NewDevice checks cfg and returns the device, continuing from cfg.State.
func NewDevice(cfg DeviceConfig) (*Device, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	pub := cfg.Key.Public().(ed25519.PublicKey)
	id := crypto.AddressFromPubKey(pub)
	d := &Device{cfg: cfg, pub: pub, id: id, name: crypto.DeviceString(id), state: cfg.State}
	if cfg.State.Device != "" && cfg.State.Device != d.name {
		return nil, fmt.Errorf("state belongs to device %s, not %s", cfg.State.Device, d.name)
	}
	d.state.Device = d.name
	return d, nil
}

// ID is the device's id (first 20 bytes of SHA-256 of its public key).
func (d *Device) ID() crypto.DeviceID { return d.id }

// String is the device id in bech32, depindev1….
func (d *Device) String() string { return d.name }

// PublicKey is the device's public key.
func (d *Device) PublicKey() ed25519.PublicKey { return d.pub }

// Network is the network the device reports to.
func (d *Device) Network() string { return d.cfg.Network }

// ProvePossession signs the device key's proof of possession for
// registering the device to owner on the device's chain: the chain
// refuses a registration without it, so a certificate seen by others
// cannot be claimed by them. The key never leaves the device.
func (d *Device) ProvePossession(owner crypto.Address) []byte {
	return crypto.SignPossession(d.cfg.Key, d.cfg.ChainID, owner)
}

// Capacity is the device's certified capacity.
func (d *Device) Capacity() uint64 { return d.cfg.Capacity }

// Location is where the device is, in degrees.
func (d *Device) Location() (lat, lon float64) { return d.cfg.Lat, d.cfg.Lon }

// State is where the sequence stands.
func (d *Device) State() State {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.state
}

// Start marks the moment the device starts measuring (at boot): the next
// period starts then (in whole seconds, rounded down), or at the end of the
// last signed one if that is later, so a restarted device never claims the
// time it was off. Without
// Start, the next period starts at the end of the last signed one, or, for
// a device that never signed, at the first call of NextReport.
func (d *Device) Start(now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.from = max(now.Unix(), d.state.PeriodEnd)
}

// NextReport measures the period from where the last one ended (or from
// Start) to now with g, and signs the report: the SignedReport bytes, ready
// to publish. It returns ErrOffline if g says the device was down, and
// ErrEmptyPeriod if the period is not at least a second long yet.
func (d *Device) NextReport(now time.Time, g Generator) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	end := now.Unix()
	start := max(d.from, d.state.PeriodEnd)
	if start == 0 {
		d.from = end
		return nil, ErrEmptyPeriod
	}
	if end <= start {
		return nil, ErrEmptyPeriod
	}
	metrics, online := g.Next(time.Unix(start, 0), time.Unix(end, 0))
	if !online {
		d.from = end
		return nil, ErrOffline
	}
	return d.sign(start, end, metrics)
}

// Sign signs a report of metrics over [start, end) (whole seconds; start
// rounds up, end down). The period must start no earlier than the last
// signed one ended.
func (d *Device) Sign(start, end time.Time, metrics []*reportv1.MetricValue) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.sign(ceilUnix(start), end.Unix(), metrics)
}

func (d *Device) sign(start, end int64, metrics []*reportv1.MetricValue) ([]byte, error) {
	if start < d.state.PeriodEnd {
		return nil, fmt.Errorf("%w: starts at %d, the last ended at %d", ErrPeriodOverlap, start, d.state.PeriodEnd)
	}
	if end <= start {
		return nil, fmt.Errorf("%w: [%d, %d)", ErrEmptyPeriod, start, end)
	}
	if err := checkMetrics(metrics); err != nil {
		return nil, err
	}
	seq := d.state.Seq + 1
	if d.cfg.SeqFromClock {
		seq = max(seq, uint64(end))
	}
	r := &reportv1.Report{
		Network:         d.cfg.Network,
		DevicePublicKey: d.pub,
		Seq:             seq,
		PeriodStart:     start,
		PeriodEnd:       end,
		Metrics:         metrics,
	}
	payload, err := wire.Sign(d.cfg.Key, d.cfg.ChainID, r)
	if err != nil {
		return nil, fmt.Errorf("signing report: %w", err)
	}
	if len(payload) > wire.MaxSignedReportBytes {
		return nil, fmt.Errorf("%w: %d bytes signed, max %d", ErrInvalidReport, len(payload), wire.MaxSignedReportBytes)
	}
	next := State{Device: d.name, Seq: seq, PeriodEnd: end}
	if d.cfg.Saver != nil {
		if err := d.cfg.Saver.SaveState(next); err != nil {
			// The report is dropped unpublished, so reusing its sequence
			// number next time is safe.
			return nil, fmt.Errorf("saving device state (report %d not released): %w", seq, err)
		}
	}
	d.state = next
	d.from = end
	return payload, nil
}

func checkMetrics(metrics []*reportv1.MetricValue) error {
	if len(metrics) == 0 || len(metrics) > wire.MaxMetrics {
		return fmt.Errorf("%w: %d metrics, want 1 to %d", ErrInvalidReport, len(metrics), wire.MaxMetrics)
	}
	seen := map[uint32]bool{}
	for _, m := range metrics {
		if m.GetId() == 0 || seen[m.GetId()] {
			return fmt.Errorf("%w: metric id %d is zero or repeated", ErrInvalidReport, m.GetId())
		}
		seen[m.GetId()] = true
	}
	return nil
}

// ceilUnix is t in unix seconds, rounded up.
func ceilUnix(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}
