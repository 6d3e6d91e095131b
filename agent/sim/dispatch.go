package sim

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/depinhq/depin/agent"
)

// Follow hands d to the member it is for, if the fleet has it and its
// generator follows dispatches (a member that ignores dispatches is handed
// it too, and takes no notice); false otherwise.
func (f *Fleet) Follow(d agent.Dispatch) bool {
	m, ok := f.byDevice[d.Device]
	if !ok {
		return false
	}
	g, ok := m.Generator.(agent.DispatchFollower)
	if ok {
		g.Follow(d)
	}
	return ok
}

// OnDispatch has fn told of every dispatch SubscribeDispatches hands a
// member, and whether the member ignores it (fn runs on the members'
// MQTT goroutines, so it must be safe for concurrent use). Set it before
// SubscribeDispatches.
func (f *Fleet) OnDispatch(fn func(d agent.Dispatch, ignored bool)) { f.heard = fn }

// SubscribeDispatches connects each member whose generator follows
// dispatches to the gateway's MQTT broker at brokerURL, with its device
// id as client id (the only client a gateway lets read a device's
// dispatch topic), and hands it every dispatch published there. That is
// one connection per such member, beside the fleet's reports. It returns
// once every connection is up (or with ctx's error); stop closes them.
func (f *Fleet) SubscribeDispatches(ctx context.Context, brokerURL string) (stop func(), err error) {
	var subs []*agent.MQTTPublisher
	stop = func() {
		for _, s := range subs {
			s.Close()
		}
	}
	for _, m := range f.members {
		g, ok := m.Generator.(agent.DispatchFollower)
		if !ok {
			continue
		}
		mc := agent.DefaultMQTTConfig(brokerURL)
		mc.Device = m.Device.String()
		mc.ReconnectMin, mc.ReconnectMax = 100*time.Millisecond, 10*time.Second
		mc.Logger = f.log.With("device", m.Device.String())
		mc.OnDispatch = func(d agent.Dispatch) {
			f.log.Debug("dispatch", "device", d.Device, "dispatch", d.ID, "challenge", d.Challenge,
				"direction", d.Wire().Direction, "power_w", d.PowerW, "start", d.Start, "end", d.End, "ignored", m.IgnoresDispatch)
			g.Follow(d)
			if f.heard != nil {
				f.heard(d, m.IgnoresDispatch)
			}
		}
		s, err := agent.NewMQTTPublisher(mc)
		if err != nil {
			stop()
			return nil, err
		}
		subs = append(subs, s)
	}
	for _, s := range subs {
		if err := s.AwaitConnection(ctx); err != nil {
			stop()
			return nil, fmt.Errorf("subscribing the fleet to its dispatches at %s: %w", brokerURL, errors.Join(err, ctx.Err()))
		}
	}
	if len(subs) > 0 {
		f.log.Info("fleet listening for dispatches", "devices", len(subs), "ignoring", f.ignoring())
	}
	return stop, nil
}

func (f *Fleet) ignoring() int {
	n := 0
	for _, m := range f.members {
		if m.IgnoresDispatch {
			n++
		}
	}
	return n
}
