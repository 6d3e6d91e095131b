package event

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// ErrEvent is returned for an event FromABCI cannot decode: a type no
// protobuf message has, an attribute the message has no field for, or a
// value that does not parse. For an event whose type is Typed, it means
// the event was not made by ToABCI (or by a chain whose events this
// program does not know): a consumer must not guess its fields.
var ErrEvent = errors.New("undecodable event")

// Namespace prefixes the type of every typed event (the protobuf package
// of every depin module starts with it).
const Namespace = "depin."

// Typed reports whether an ABCI event type names a typed event, which
// FromABCI must decode; the per-message "message" event and CometBFT's
// own events are not typed.
func Typed(eventType string) bool { return strings.HasPrefix(eventType, Namespace) }

// FromABCI is the inverse of ToABCI: it decodes an ABCI event back into
// the typed protobuf event it was made from (the message named by its
// type, from the protobuf registry), so that consumers (indexer, gateway,
// clients) read Go types instead of attribute strings. The round trip is
// lossless (FuzzEventRoundTrip). Events that are not typed protobufs (the
// per-message "message" event, CometBFT's own) are ErrEvent, and so is an
// attribute given twice or a value ToABCI would not have written.
func FromABCI(ev Event) (proto.Message, error) {
	if !Typed(ev.Type) {
		return nil, fmt.Errorf("%w: %q is not a typed event", ErrEvent, ev.Type)
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(ev.Type))
	if err != nil {
		return nil, fmt.Errorf("%w: type %q: %v", ErrEvent, ev.Type, err)
	}
	if !strings.HasPrefix(string(mt.Descriptor().Name()), "Event") {
		return nil, fmt.Errorf("%w: %s is a message but no event", ErrEvent, ev.Type)
	}
	m := mt.New()
	fds := m.Descriptor().Fields()
	// Scalars are parsed here; lists and messages (JSON) go through
	// protojson, in one object, first: it resets the message.
	var seen []protoreflect.FieldNumber
	var obj []byte
	for _, a := range ev.Attributes {
		fd := fds.ByName(protoreflect.Name(a.Key))
		if fd == nil {
			return nil, fmt.Errorf("%w: %s has no field %q", ErrEvent, ev.Type, a.Key)
		}
		if slices.Contains(seen, fd.Number()) {
			return nil, fmt.Errorf("%w: %s.%s given twice", ErrEvent, ev.Type, a.Key)
		}
		seen = append(seen, fd.Number())
		if !Composite(fd) {
			continue
		}
		if !json.Valid([]byte(a.Value)) {
			return nil, fmt.Errorf("%w: %s.%s is not JSON", ErrEvent, ev.Type, a.Key)
		}
		if obj == nil {
			obj = append(obj, '{')
		} else {
			obj = append(obj, ',')
		}
		obj = strconv.AppendQuote(obj, a.Key)
		obj = append(obj, ':')
		obj = append(obj, a.Value...)
	}
	if obj != nil {
		obj = append(obj, '}')
		if err := protojson.Unmarshal(obj, m.Interface()); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrEvent, ev.Type, err)
		}
	}
	for _, a := range ev.Attributes {
		fd := fds.ByName(protoreflect.Name(a.Key))
		if Composite(fd) {
			continue
		}
		if o := fd.ContainingOneof(); o != nil && m.WhichOneof(o) != nil {
			return nil, fmt.Errorf("%w: %s: two fields of oneof %s", ErrEvent, ev.Type, o.Name())
		}
		v, err := parseScalar(fd, a.Value)
		if err != nil {
			return nil, fmt.Errorf("%w: %s.%s: %v", ErrEvent, ev.Type, a.Key, err)
		}
		m.Set(fd, v)
	}
	return m.Interface(), nil
}

// parseScalar is the inverse of scalarText.
func parseScalar(fd protoreflect.FieldDescriptor, text string) (protoreflect.Value, error) {
	switch fd.Kind() {
	case protoreflect.StringKind:
		if !utf8.ValidString(text) {
			return protoreflect.Value{}, errors.New("not valid UTF-8")
		}
		return protoreflect.ValueOfString(text), nil
	case protoreflect.BytesKind:
		b, err := base64.StdEncoding.Strict().DecodeString(text)
		return protoreflect.ValueOfBytes(b), err
	case protoreflect.BoolKind:
		b, err := strconv.ParseBool(text)
		if err != nil || (text != "true" && text != "false") {
			return protoreflect.Value{}, fmt.Errorf("%q is not a bool", text)
		}
		return protoreflect.ValueOfBool(b), nil
	case protoreflect.EnumKind:
		if v := fd.Enum().Values().ByName(protoreflect.Name(text)); v != nil {
			return protoreflect.ValueOfEnum(v.Number()), nil
		}
		n, err := strconv.ParseInt(text, 10, 32) // a number no name has
		if err != nil {
			return protoreflect.Value{}, fmt.Errorf("%q is no %s", text, fd.Enum().FullName())
		}
		return protoreflect.ValueOfEnum(protoreflect.EnumNumber(n)), nil
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		n, err := strconv.ParseInt(text, 10, 32)
		return protoreflect.ValueOfInt32(int32(n)), err
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		n, err := strconv.ParseInt(text, 10, 64)
		return protoreflect.ValueOfInt64(n), err
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		n, err := strconv.ParseUint(text, 10, 32)
		return protoreflect.ValueOfUint32(uint32(n)), err
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		n, err := strconv.ParseUint(text, 10, 64)
		return protoreflect.ValueOfUint64(n), err
	default:
		return protoreflect.Value{}, fmt.Errorf("unsupported field kind %s", fd.Kind())
	}
}
