package state

import (
	"encoding/base64"
	"encoding/json"
	"strconv"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
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

// ToABCI converts a typed event: type = the message's full name, one
// attribute per populated field in field-number order, keyed by the field's
// proto name. Scalar values are plain text (strings as they are, integers
// in decimal, bytes in base64, enums by name); messages and lists are
// compact JSON in the protojson mapping (64-bit integers as strings).
func ToABCI(ev Event) abci.Event {
	m := ev.ProtoReflect()
	desc := m.Descriptor()
	out := abci.Event{Type: string(desc.FullName())}
	fds := desc.Fields()
	for i := 0; i < fds.Len(); i++ {
		fd := fds.Get(i)
		if !m.Has(fd) {
			continue
		}
		v := m.Get(fd)
		var s string
		composite := fd.IsList() || fd.IsMap() || fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind
		if composite {
			s = string(appendJSON(nil, fd, v))
		} else {
			s = scalarText(fd, v)
		}
		out.Attributes = append(out.Attributes, abci.EventAttribute{Key: string(fd.Name()), Value: s,
			Index: !composite && indexedKeys[string(fd.Name())] && !unindexedEvents[out.Type]})
	}
	return out
}

func scalarText(fd protoreflect.FieldDescriptor, v protoreflect.Value) string {
	switch fd.Kind() {
	case protoreflect.StringKind:
		return v.String()
	case protoreflect.BytesKind:
		return base64.StdEncoding.EncodeToString(v.Bytes())
	case protoreflect.BoolKind:
		return strconv.FormatBool(v.Bool())
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return string(ev.Name())
		}
		return strconv.FormatInt(int64(v.Enum()), 10)
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return strconv.FormatInt(v.Int(), 10)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return strconv.FormatUint(v.Uint(), 10)
	default:
		// Floating point has no place in the state machine.
		panic("state: unsupported event field kind " + fd.Kind().String())
	}
}

// appendJSON writes v (the value of fd) as compact protojson-style JSON.
func appendJSON(b []byte, fd protoreflect.FieldDescriptor, v protoreflect.Value) []byte {
	switch {
	case fd.IsList():
		l := v.List()
		b = append(b, '[')
		for i := 0; i < l.Len(); i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendSingular(b, fd, l.Get(i))
		}
		return append(b, ']')
	case fd.IsMap():
		// Map keys would need sorting to be deterministic; events use
		// repeated fields instead.
		panic("state: map fields are not allowed in events")
	default:
		return appendSingular(b, fd, v)
	}
}

func appendSingular(b []byte, fd protoreflect.FieldDescriptor, v protoreflect.Value) []byte {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return appendMessage(b, v.Message())
	case protoreflect.StringKind, protoreflect.BytesKind, protoreflect.EnumKind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind,
		protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		q, _ := json.Marshal(scalarText(fd, v)) // strings are valid UTF-8 or replaced
		return append(b, q...)
	default:
		return append(b, scalarText(fd, v)...)
	}
}

func appendMessage(b []byte, m protoreflect.Message) []byte {
	b = append(b, '{')
	fds := m.Descriptor().Fields()
	first := true
	for i := 0; i < fds.Len(); i++ {
		fd := fds.Get(i)
		if !m.Has(fd) {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = strconv.AppendQuote(b, string(fd.Name())) // names are ASCII identifiers
		b = append(b, ':')
		b = appendJSON(b, fd, m.Get(fd))
	}
	return append(b, '}')
}
