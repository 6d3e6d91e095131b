package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// ErrEvent is returned for an event FromABCI cannot decode: a type no
// protobuf message has, an attribute the message has no field for, or a
// value that does not parse.
var ErrEvent = errors.New("undecodable event")

// FromABCI is the inverse of ToABCI: it decodes an ABCI event back into
// the typed protobuf event it was made from (the message named by its
// type, from the protobuf registry), so that consumers (indexer, gateway,
// clients) read Go types instead of attribute strings. The round trip is
// lossless (FuzzEventRoundTrip). Events that are not typed protobufs (the
// per-message "message" event, CometBFT's own) are ErrEvent.
func FromABCI(ev abci.Event) (proto.Message, error) {
	mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(ev.Type))
	if err != nil {
		return nil, fmt.Errorf("%w: type %q: %v", ErrEvent, ev.Type, err)
	}
	m := mt.New()
	fds := m.Descriptor().Fields()
	obj := make([]byte, 0, 64)
	obj = append(obj, '{')
	for i, a := range ev.Attributes {
		fd := fds.ByName(protoreflect.Name(a.Key))
		if fd == nil {
			return nil, fmt.Errorf("%w: %s has no field %q", ErrEvent, ev.Type, a.Key)
		}
		if i > 0 {
			obj = append(obj, ',')
		}
		obj = strconv.AppendQuote(obj, a.Key)
		obj = append(obj, ':')
		composite := fd.IsList() || fd.IsMap() || fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind
		if composite {
			if !json.Valid([]byte(a.Value)) {
				return nil, fmt.Errorf("%w: %s.%s is not JSON", ErrEvent, ev.Type, a.Key)
			}
			obj = append(obj, a.Value...)
			continue
		}
		v, err := scalarJSON(fd, a.Value)
		if err != nil {
			return nil, fmt.Errorf("%w: %s.%s: %v", ErrEvent, ev.Type, a.Key, err)
		}
		obj = append(obj, v...)
	}
	obj = append(obj, '}')
	if err := protojson.Unmarshal(obj, m.Interface()); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrEvent, ev.Type, err)
	}
	return m.Interface(), nil
}

// scalarJSON turns a scalar attribute's text (see scalarText) into the
// JSON protojson reads for the field.
func scalarJSON(fd protoreflect.FieldDescriptor, text string) ([]byte, error) {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		if text != "true" && text != "false" {
			return nil, fmt.Errorf("%q is not a bool", text)
		}
		return []byte(text), nil
	case protoreflect.EnumKind:
		if n, err := strconv.ParseInt(text, 10, 32); err == nil {
			return strconv.AppendInt(nil, n, 10), nil // a number no name has
		}
	}
	// Strings, base64 bytes, enum names and integers (protojson reads
	// integers from JSON strings too), quoted so that no value can change
	// the object's shape.
	return json.Marshal(text)
}
