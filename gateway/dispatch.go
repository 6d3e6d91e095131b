package gateway

import (
	"container/list"
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/depinhq/depin/api/event"
	vppv1 "github.com/depinhq/depin/gen/depin/vpp/v1"
	"github.com/depinhq/depin/wire"
)

// Dispatch is one device's part of a virtual-power-plant dispatch or
// challenge: the JSON payload the gateway publishes on the device's
// dispatch topic and lists at GET /v1/dispatch/{device} — the device
// protocol's wire.Dispatch (docs/DEVICE-PROTOCOL.md §7.2).
type Dispatch = wire.Dispatch

// eventDispatchAllocated is the event the chain emits, among a block's
// own events (not a transaction's), for each device a dispatch or
// challenge is allocated to (see x/vpp).
var eventDispatchAllocated = string((&vppv1.EventDispatchAllocated{}).ProtoReflect().Descriptor().FullName())

// dispatchTopic is a device's dispatch topic, depin/devices/<id>/dispatch.
func dispatchTopic(device string) string { return wire.DispatchTopic(device) }

// retainedPublisher hands an MQTT broker a retained message. It must not
// block: it reports false if the message was dropped instead.
type retainedPublisher interface {
	publishRetained(topic string, payload []byte) bool
}

var (
	_ retainedPublisher = (*broker)(nil)
	_ retainedPublisher = (*subscriber)(nil)
)

// dispatcher follows the chain block by block and forwards each
// EventDispatchAllocated among a block's events to its device: published
// (retained, QoS 1) on the device's dispatch topic when its window has not
// ended yet, and kept for GET /v1/dispatch/{device}. Blocks are read in
// order, each once; only its goroutine calls run.
type dispatcher struct {
	chain    Chain
	store    *dispatchStore
	pub      retainedPublisher // nil without MQTT
	metrics  *metrics
	log      *slog.Logger
	clock    Clock
	poll     time.Duration
	lookback int64

	next     int64 // the next block to read; 0 until the node answered once
	backfill int64 // blocks up to here were committed before the gateway started
	down     bool  // the node did not answer last time
}

// run follows the chain until ctx ends.
func (d *dispatcher) run(ctx context.Context) error {
	for ctx.Err() == nil {
		d.catchUp(ctx)
		d.clock.Sleep(ctx, d.poll)
	}
	return nil
}

// catchUp reads every block committed since the last one read. A block
// the node cannot give is tried again next time, but for blocks committed
// before the gateway started: those it may have pruned, and they are
// skipped.
func (d *dispatcher) catchUp(ctx context.Context) {
	st, err := d.chain.Status(ctx)
	if err != nil {
		d.unreachable(err)
		return
	}
	latest := st.SyncInfo.LatestBlockHeight
	if d.next == 0 {
		d.next, d.backfill = max(1, latest-d.lookback+1), latest
	}
	for ; d.next <= latest && ctx.Err() == nil; d.next++ {
		res, err := d.chain.BlockResults(ctx, d.next)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if d.next <= d.backfill {
				d.log.Debug("cannot read an old block's dispatches; skipping it", "height", d.next, "err", err)
				continue
			}
			d.unreachable(err)
			return
		}
		if d.down {
			d.down = false
			d.log.Info("reading blocks for dispatches again", "height", d.next)
		}
		d.block(d.next, res.FinalizeBlockEvents)
	}
}

func (d *dispatcher) unreachable(err error) {
	if !d.down {
		d.down = true
		d.log.Warn("cannot read blocks for dispatches; retrying", "next", d.next, "err", err)
		return
	}
	d.log.Debug("still cannot read blocks for dispatches", "next", d.next, "err", err)
}

// block forwards the dispatch allocations among one block's events. An
// event that does not decode (a chain newer than this gateway) is logged
// and skipped, never guessed at.
func (d *dispatcher) block(height int64, events []event.Event) {
	var found []Dispatch
	for _, ev := range events {
		if ev.Type != eventDispatchAllocated {
			continue
		}
		m, err := event.FromABCI(ev)
		if err != nil {
			d.log.Error("cannot read a dispatch allocation; its device is not told", "height", height, "err", err)
			continue
		}
		x := wire.NewDispatch(m.(*vppv1.EventDispatchAllocated), height)
		if err := x.Check(); err != nil {
			d.log.Error("a dispatch allocation no device could follow; its device is not told", "height", height, "dispatch", x.Dispatch, "err", err)
			continue
		}
		found = append(found, x)
	}
	if len(found) == 0 {
		d.metrics.dispatches(height, 0, 0, 0)
		return
	}
	now := d.clock.Now().Unix()
	var forwarded, stale, dropped, challenges int
	ids := map[uint64]bool{}
	for _, x := range found {
		ids[x.Dispatch] = true
		if x.Challenge {
			challenges++
		}
		for _, gone := range d.store.add(x) {
			// Forgotten here: clear what the broker retains for it too, so
			// that retained messages stay as bounded as the store.
			if d.pub != nil {
				d.pub.publishRetained(dispatchTopic(gone), nil)
			}
		}
		if x.End <= now {
			stale++
			continue
		}
		payload, err := json.Marshal(x)
		if err != nil {
			panic(err) // strings, integers and a bool always marshal
		}
		if d.pub == nil || d.pub.publishRetained(dispatchTopic(x.Device), payload) {
			forwarded++
		} else {
			dropped++
		}
	}
	d.metrics.dispatches(height, forwarded, stale, dropped)
	attrs := []any{"height", height, "allocations", len(found), "forwarded", forwarded, "dispatches", idList(ids)}
	if challenges > 0 {
		attrs = append(attrs, "challenges", challenges)
	}
	if stale > 0 {
		attrs = append(attrs, "stale", stale)
	}
	if dropped > 0 {
		d.log.Warn("dispatches not published to MQTT (the queue to the broker is full); devices can still ask GET /v1/dispatch/{device}", "dropped", dropped)
	}
	d.log.Info("dispatches forwarded", attrs...)
}

// idList is the sorted ids, comma-separated.
func idList(ids map[uint64]bool) string {
	var s []uint64
	for id := range ids {
		s = append(s, id)
	}
	slices.Sort(s)
	parts := make([]string, len(s))
	for i, id := range s {
		parts[i] = strconv.FormatUint(id, 10)
	}
	return strings.Join(parts, ",")
}

// dispatchStore keeps the last MaxDispatchesPerDevice dispatches of the
// last size devices dispatched, for GET /v1/dispatch/{device}: the device
// dispatched longest ago is forgotten first.
type dispatchStore struct {
	mu      sync.Mutex
	size    int
	devices map[string]*list.Element // of *deviceDispatches
	order   *list.List               // most recently dispatched first
}

type deviceDispatches struct {
	device string
	list   []Dispatch // oldest first
}

func newDispatchStore(size int) *dispatchStore {
	return &dispatchStore{size: size, devices: map[string]*list.Element{}, order: list.New()}
}

// add records x and returns the devices forgotten to make room.
func (s *dispatchStore) add(x Dispatch) (forgotten []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.size <= 0 {
		return nil
	}
	e, ok := s.devices[x.Device]
	if !ok {
		e = s.order.PushFront(&deviceDispatches{device: x.Device})
		s.devices[x.Device] = e
	} else {
		s.order.MoveToFront(e)
	}
	dd := e.Value.(*deviceDispatches)
	dd.list = slices.DeleteFunc(dd.list, func(o Dispatch) bool { return o.Dispatch == x.Dispatch })
	dd.list = append(dd.list, x)
	if n := len(dd.list); n > MaxDispatchesPerDevice {
		dd.list = slices.Delete(dd.list, 0, n-MaxDispatchesPerDevice)
	}
	for s.order.Len() > s.size {
		old := s.order.Back()
		s.order.Remove(old)
		gone := old.Value.(*deviceDispatches).device
		delete(s.devices, gone)
		forgotten = append(forgotten, gone)
	}
	return forgotten
}

// get returns device's dispatches, oldest first (never nil).
func (s *dispatchStore) get(device string) []Dispatch {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.devices[device]
	if !ok {
		return []Dispatch{}
	}
	return slices.Clone(e.Value.(*deviceDispatches).list)
}
