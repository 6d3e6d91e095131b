package state

import (
	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/depinhq/depin/api/event"
)

// Event is a typed event: a protobuf message whose full name is the event
// type. Every state change emits one; the indexer rebuilds everything from
// them.
type Event = proto.Message

// Events collects the events of one transaction or block phase.
type Events struct {
	list []abci.Event
}

// Emit records ev as an ABCI event (see ToABCI).
func (e *Events) Emit(ev Event) {
	e.list = append(e.list, ToABCI(ev))
}

// Append adds already-converted events.
func (e *Events) Append(evs ...abci.Event) { e.list = append(e.list, evs...) }

// List returns the events in emission order.
func (e *Events) List() []abci.Event { return e.list }

// indexedKeys are the attributes CometBFT's tx index keeps, so that
// tx_search finds a tx by who or what it concerns: accounts, devices,
// networks (e.g. "depin.device.v1.EventDeviceRegistered.owner='depin1…'").
// Indexing every attribute made the index's database compaction the
// node's biggest CPU cost under load; these few cost what
// docs/PERFORMANCE.md measures. Everything else is the depin indexer's job.
var indexedKeys = map[string]bool{
	"owner": true, "device": true, "network": true, "submitter": true, "consumer": true,
	"provider": true, "holder": true, "finder": true, "from": true, "to": true,
	"validator": true, "delegator": true, "operator": true,
}

// unindexedEvents are emitted per report or per device and epoch, by the
// thousand per block: indexing them would cost more than every other
// event together. The depin indexer serves them (reports of a device).
var unindexedEvents = map[string]bool{
	"depin.report.v1.EventReportRejected": true,
}

// MessageEvent is the event every message of a tx carries: its type (the
// message's protobuf name, e.g. "depin.bank.v1.MsgSend") and the tx's
// signer, both indexed: tx_search "message.sender='depin1…'" finds an
// account's txs, "message.action='depin.market.v1.MsgPlaceOrder'" a kind.
func MessageEvent(action, sender string) abci.Event {
	return abci.Event{Type: "message", Attributes: []abci.EventAttribute{
		{Key: "action", Value: action, Index: true},
		{Key: "sender", Value: sender, Index: true},
	}}
}

// Unindexed clears the index flag of every attribute of evs (e.g. fee
// transfers, which every tx has: its sender is in its message event).
func Unindexed(evs []abci.Event) []abci.Event {
	for i := range evs {
		for j := range evs[i].Attributes {
			evs[i].Attributes[j].Index = false
		}
	}
	return evs
}

// ToABCI converts a typed event (event.ToABCI: the format consumers
// decode with event.FromABCI) and marks the attributes CometBFT's tx index
// keeps: scalars named in indexedKeys, except in unindexedEvents.
func ToABCI(ev Event) abci.Event {
	e := event.ToABCI(ev)
	out := abci.Event{Type: e.Type, Attributes: make([]abci.EventAttribute, len(e.Attributes))}
	fds := ev.ProtoReflect().Descriptor().Fields()
	for i, a := range e.Attributes {
		out.Attributes[i] = abci.EventAttribute{Key: a.Key, Value: a.Value,
			Index: !unindexedEvents[e.Type] && indexedKeys[a.Key] && !event.Composite(fds.ByName(protoreflect.Name(a.Key)))}
	}
	return out
}

// FromCometBFT is an ABCI event in api/event's type, which clients read.
func FromCometBFT(ev abci.Event) event.Event {
	out := event.Event{Type: ev.Type, Attributes: make([]event.Attribute, len(ev.Attributes))}
	for i, a := range ev.Attributes {
		out.Attributes[i] = event.Attribute{Key: a.Key, Value: a.Value, Index: a.Index}
	}
	return out
}

// FromABCI decodes an event ToABCI made (event.FromABCI).
func FromABCI(ev abci.Event) (Event, error) { return event.FromABCI(FromCometBFT(ev)) }

// ErrEvent is event.ErrEvent: FromABCI cannot decode the event.
var ErrEvent = event.ErrEvent
