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
		// Index is false: CometBFT's own tx index then holds only tx hashes
		// and heights (what clients look txs up by); indexing every
		// attribute made its database compaction the node's biggest CPU
		// cost under load. Queries by attribute are the depin indexer's job.
		out.Attributes = append(out.Attributes, abci.EventAttribute{Key: string(fd.Name()), Value: s})
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
