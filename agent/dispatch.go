package agent

import (
	"fmt"
	"sync/atomic"
	"time"

	vppv1 "github.com/depinhq/depin/gen/depin/vpp/v1"
	"github.com/depinhq/depin/wire"
)

// Dispatch is one device's part of a virtual-power-plant dispatch, or of
// a proof-of-energy challenge: move PowerW watts in Direction over [Start,
// End), on top of what the device would have done anyway. A gateway
// forwards each one the chain allocates to the device's dispatch topic
// (docs/DEVICE-PROTOCOL.md §7.2); MQTTConfig.OnDispatch hands them over.
//
// Nobody signs a dispatch. The chain pays for energy it measures in the
// device's own reports, so following a forged dispatch costs a device at
// most what it would have earned otherwise; one that must be sure checks
// it against its pool membership on chain (the gateway's GET
// /v1/vpp/members/{pool}/{device} serves the record with its proof).
type Dispatch struct {
	ID         uint64 // the dispatch id
	Pool       uint64
	Network    string
	Device     string          // depindev1…
	Direction  vppv1.Direction // Discharge or Charge
	PowerW     uint64
	Start, End time.Time
	Challenge  bool  // an unannounced test by the chain, measured like a dispatch
	Height     int64 // the block whose events allocated it
}

// Directions of a Dispatch.
const (
	Discharge = vppv1.Direction_DIRECTION_DISCHARGE // give energy to the grid
	Charge    = vppv1.Direction_DIRECTION_CHARGE    // take energy from it
)

// DispatchTopic is a device's dispatch topic: wire.DispatchTopic.
func DispatchTopic(device string) string { return wire.DispatchTopic(device) }

// ParseDispatch decodes a dispatch payload (wire.ParseDispatch): every
// failure wraps wire.ErrMalformedDispatch.
func ParseDispatch(payload []byte) (Dispatch, error) {
	w, err := wire.ParseDispatch(payload)
	if err != nil {
		return Dispatch{}, err
	}
	return DispatchFromWire(w), nil
}

// DispatchFromWire is the SDK's form of a dispatch payload.
func DispatchFromWire(w wire.Dispatch) Dispatch {
	dir, _ := wire.ParseDirection(w.Direction)
	return Dispatch{ID: w.Dispatch, Pool: w.Pool, Network: w.Network, Device: w.Device, Direction: dir,
		PowerW: w.PowerW, Start: time.Unix(w.Start, 0), End: time.Unix(w.End, 0), Challenge: w.Challenge, Height: w.Height}
}

// Wire is the payload form of d.
func (d Dispatch) Wire() wire.Dispatch {
	return wire.Dispatch{Dispatch: d.ID, Pool: d.Pool, Network: d.Network, Device: d.Device,
		Direction: wire.DirectionName(d.Direction), PowerW: d.PowerW, Start: d.Start.Unix(), End: d.End.Unix(),
		Challenge: d.Challenge, Height: d.Height}
}

// String is the dispatch in one line, for a device's log.
func (d Dispatch) String() string {
	what := "dispatch"
	if d.Challenge {
		what = "challenge"
	}
	return fmt.Sprintf("%s %d (pool %d): %s %d W from %s for %s (block %d)", what, d.ID, d.Pool,
		wire.DirectionName(d.Direction), d.PowerW, d.Start.UTC().Format(time.RFC3339), d.End.Sub(d.Start), d.Height)
}

// DispatchFollower is a Generator a dispatch can steer: the simulated
// battery follows each dispatch it is handed over its window, as far as
// its rated power and state of charge allow (or ignores it, if built with
// GeneratorConfig.IgnoreDispatch). Follow may be called from another
// goroutine than Next.
type DispatchFollower interface {
	Generator
	Follow(Dispatch)
}

// NewDispatchChannel adapts a dispatch handler (MQTTConfig.OnDispatch) to
// a channel of capacity n (at least 1): handle sends each dispatch to ch
// without ever blocking the MQTT client, dropping one a full channel
// cannot take (and counting it in dropped). Dispatches come minutes
// before their windows and rarely: a reader that keeps up loses none.
func NewDispatchChannel(n int) (handle func(Dispatch), ch <-chan Dispatch, dropped func() uint64) {
	c := make(chan Dispatch, max(n, 1))
	var lost atomic.Uint64
	handle = func(d Dispatch) {
		select {
		case c <- d:
		default:
			lost.Add(1)
		}
	}
	return handle, c, lost.Load
}
