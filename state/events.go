package state

import (
	"bytes"
	"encoding/json"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/encoding/protojson"
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

// Emit converts ev to an ABCI event: type = the message's full name, one
// attribute per populated field (in field-number order), value = the
// field's compact JSON (protojson mapping, so uint64 values are strings).
func (e *Events) Emit(ev Event) {
	e.list = append(e.list, ToABCI(ev))
}

// Append adds already-converted events.
func (e *Events) Append(evs ...abci.Event) { e.list = append(e.list, evs...) }

// List returns the events in emission order.
func (e *Events) List() []abci.Event { return e.list }

// ToABCI converts a typed event.
func ToABCI(ev Event) abci.Event {
	js, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(ev)
	if err != nil {
		panic(fmt.Errorf("event %T: %w", ev, err))
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(js, &fields); err != nil {
		panic(fmt.Errorf("event %T: %w", ev, err))
	}
	m := ev.ProtoReflect()
	desc := m.Descriptor()
	out := abci.Event{Type: string(desc.FullName())}
	fds := desc.Fields()
	for i := 0; i < fds.Len(); i++ {
		fd := fds.Get(i)
		raw, ok := fields[string(fd.Name())]
		if !ok {
			continue
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			panic(err)
		}
		out.Attributes = append(out.Attributes, abci.EventAttribute{
			Key: string(fd.Name()), Value: buf.String(), Index: indexed(fd),
		})
	}
	return out
}

// indexed marks scalar fields for CometBFT's event index; lists and
// messages are too big to be useful keys.
func indexed(fd protoreflect.FieldDescriptor) bool {
	return !fd.IsList() && !fd.IsMap() && fd.Kind() != protoreflect.MessageKind && fd.Kind() != protoreflect.BytesKind
}
