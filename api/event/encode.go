// Package event is the wire format of the chain's events, both ways: every
// state change emits a typed event (a protobuf message such as
// depin.bank.v1.EventTransfer), which ToABCI turns into the ABCI event
// that leaves the node, and FromABCI turns back into the same message, so
// that programs outside the state machine (indexer, gateway, clients)
// switch on Go types instead of reading attribute strings.
//
// The encoding: the event type is the message's full name; there is one
// attribute per populated field, in field-number order, keyed by the
// field's proto name. Scalars are plain text (strings as they are,
// integers in decimal, bytes in base64, bools as true/false, enums by
// name); lists and messages are compact JSON in the protojson mapping
// (64-bit integers as strings). Every depin event message is registered
// here, so FromABCI knows them all whatever the caller imports.
//
// The state machine emits through state.Events, which uses ToABCI and adds
// the attributes CometBFT's tx index keeps (a node concern, not part of the
// format). Like every package under api/, this one imports only the
// generated protobuf types and the standard library — never store, state,
// app or a keeper, nor CometBFT's ABCI types (their package links gRPC):
// Event has the shape of CometBFT's, in Go and in JSON.
package event

import (
	"encoding/base64"
	"encoding/json"
	"strconv"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Event is an event as CometBFT carries it (abci.Event's fields, and its
// JSON as CometBFT's RPC writes it): a type and attributes.
type Event struct {
	Type       string      `json:"type"`
	Attributes []Attribute `json:"attributes,omitempty"`
}

// Attribute is one key and value of an Event; Index says whether
// CometBFT's tx index keeps it.
type Attribute struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	Index bool   `json:"index,omitempty"`
}

// ToABCI converts a typed event (see the package comment for the format).
// No attribute is marked for indexing. It panics on a message with a float
// or a map field: events have neither (floats have no place in the state
// machine, and map order is not deterministic).
func ToABCI(ev proto.Message) Event {
	m := ev.ProtoReflect()
	desc := m.Descriptor()
	out := Event{Type: string(desc.FullName())}
	fds := desc.Fields()
	for i := 0; i < fds.Len(); i++ {
		fd := fds.Get(i)
		if !m.Has(fd) {
			continue
		}
		v := m.Get(fd)
		var s string
		if Composite(fd) {
			s = string(appendJSON(nil, fd, v))
		} else {
			s = scalarText(fd, v)
		}
		out.Attributes = append(out.Attributes, Attribute{Key: string(fd.Name()), Value: s})
	}
	return out
}

// Composite reports whether fd's attribute is JSON (a list or a message)
// rather than scalar text.
func Composite(fd protoreflect.FieldDescriptor) bool {
	return fd.IsList() || fd.IsMap() || fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind
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
		panic("event: unsupported event field kind " + fd.Kind().String())
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
		panic("event: map fields are not allowed in events")
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
