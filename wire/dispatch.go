package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/depinhq/depin/crypto"
	vppv1 "github.com/depinhq/depin/gen/depin/vpp/v1"
)

// Dispatch is one device's part of a virtual-power-plant dispatch (or of a
// proof-of-energy challenge): the JSON payload a gateway publishes on the
// device's dispatch topic (DispatchTopic) for each EventDispatchAllocated
// the chain emits, and what its GET /v1/dispatch/{device} lists. Every
// field is always present; docs/DEVICE-PROTOCOL.md §7.2 is its
// documentation for device authors. The gateway writes it (NewDispatch)
// and the agent SDK reads it (ParseDispatch): one definition, here.
//
// Nobody signs it: a device that must not trust the gateway checks it
// against its pool membership record on chain (the member's allocs), which
// the gateway serves with a proof (GET /v1/vpp/members/{pool}/{device}).
type Dispatch struct {
	Dispatch uint64 `json:"dispatch,string"` // the dispatch id
	Pool     uint64 `json:"pool,string"`
	Network  string `json:"network"`
	Device   string `json:"device"` // depindev1…
	// Direction is DirectionDischarge (give energy to the grid) or
	// DirectionCharge (take energy from it).
	Direction string `json:"direction"`
	// PowerW is the power asked of this device, in watts, over the whole
	// window, on top of what it would have done anyway (its baseline).
	PowerW uint64 `json:"power_w,string"`
	// Start and End bound the window [Start, End), unix seconds.
	Start int64 `json:"start"`
	End   int64 `json:"end"`
	// Challenge: an unannounced test by the chain (proof of energy), not
	// an operator's dispatch; it is measured the same way.
	Challenge bool `json:"challenge"`
	// Height is the block whose events allocated it.
	Height int64 `json:"height"`
}

// Directions of a Dispatch.
const (
	DirectionDischarge = "discharge"
	DirectionCharge    = "charge"
)

// MaxDispatchBytes bounds a dispatch payload: the largest one a gateway
// writes, every field at its largest, is 360 bytes.
const MaxDispatchBytes = 1024

// ErrMalformedDispatch wraps every failure of ParseDispatch.
var ErrMalformedDispatch = errors.New("malformed dispatch")

// DispatchTopicSuffix ends every dispatch topic.
const DispatchTopicSuffix = "/dispatch"

// DispatchTopic is the MQTT topic where a gateway publishes a device's
// dispatches: depin/devices/<device>/dispatch, device being the
// depindev1… id. Like the results topic, a gateway's embedded broker lets
// only the client whose client id is that device id subscribe to it, and
// no client publish there.
func DispatchTopic(device string) string { return ResultsTopicPrefix + device + DispatchTopicSuffix }

// DirectionName is the payload's name of a direction ("" for none).
func DirectionName(d vppv1.Direction) string {
	switch d {
	case vppv1.Direction_DIRECTION_DISCHARGE:
		return DirectionDischarge
	case vppv1.Direction_DIRECTION_CHARGE:
		return DirectionCharge
	}
	return ""
}

// ParseDirection is the direction a payload names.
func ParseDirection(s string) (vppv1.Direction, bool) {
	switch s {
	case DirectionDischarge:
		return vppv1.Direction_DIRECTION_DISCHARGE, true
	case DirectionCharge:
		return vppv1.Direction_DIRECTION_CHARGE, true
	}
	return vppv1.Direction_DIRECTION_UNSPECIFIED, false
}

// NewDispatch is the payload of an allocation event read from block
// height.
func NewDispatch(ev *vppv1.EventDispatchAllocated, height int64) Dispatch {
	return Dispatch{
		Dispatch: ev.GetDispatch(), Pool: ev.GetPool(), Network: ev.GetNetwork(), Device: ev.GetDevice(),
		Direction: DirectionName(ev.GetDirection()), PowerW: ev.GetPowerW(),
		Start: ev.GetStart(), End: ev.GetEnd(), Challenge: ev.GetChallenge(), Height: height,
	}
}

// Check reports what makes d a dispatch no device can follow: an unknown
// direction, an empty window, no power, a device that is not a
// depindev1… id.
func (d Dispatch) Check() error {
	switch {
	case d.Direction != DirectionDischarge && d.Direction != DirectionCharge:
		return fmt.Errorf("%w: direction %.32q, want %q or %q", ErrMalformedDispatch, d.Direction, DirectionDischarge, DirectionCharge)
	case d.End <= d.Start:
		return fmt.Errorf("%w: window [%d, %d) is empty", ErrMalformedDispatch, d.Start, d.End)
	case d.PowerW == 0:
		return fmt.Errorf("%w: power_w is 0", ErrMalformedDispatch)
	case d.Network == "" || len(d.Network) > 64:
		return fmt.Errorf("%w: network id of %d bytes", ErrMalformedDispatch, len(d.Network))
	}
	if _, err := crypto.ParseDeviceID(d.Device); err != nil {
		return fmt.Errorf("%w: device %.64q: %v", ErrMalformedDispatch, d.Device, err)
	}
	return nil
}

// ParseDispatch decodes and checks a dispatch payload (outside input for a
// device: every failure wraps ErrMalformedDispatch). Fields it does not
// know are ignored, so a newer gateway may add some.
func ParseDispatch(payload []byte) (Dispatch, error) {
	var d Dispatch
	if len(payload) > MaxDispatchBytes {
		return d, fmt.Errorf("%w: %d bytes, at most %d", ErrMalformedDispatch, len(payload), MaxDispatchBytes)
	}
	// Every field is always there: one left out is not read as zero.
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(payload, &fields); err != nil {
		return d, fmt.Errorf("%w: %v", ErrMalformedDispatch, err)
	}
	for _, f := range []string{"dispatch", "pool", "network", "device", "direction", "power_w", "start", "end", "challenge", "height"} {
		if v, ok := fields[f]; !ok || bytes.Equal(v, []byte("null")) {
			return d, fmt.Errorf("%w: no %s", ErrMalformedDispatch, f)
		}
	}
	if err := json.Unmarshal(payload, &d); err != nil {
		return Dispatch{}, fmt.Errorf("%w: %v", ErrMalformedDispatch, err)
	}
	if err := d.Check(); err != nil {
		return Dispatch{}, err
	}
	return d, nil
}
