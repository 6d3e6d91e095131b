package state

import (
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	// Every module's events, registered with the protobuf registry.
	_ "github.com/depinhq/depin/gen/depin/agreement/v1"
	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	_ "github.com/depinhq/depin/gen/depin/device/v1"
	_ "github.com/depinhq/depin/gen/depin/market/v1"
	_ "github.com/depinhq/depin/gen/depin/network/v1"
	_ "github.com/depinhq/depin/gen/depin/report/v1"
	_ "github.com/depinhq/depin/gen/depin/reward/v1"
	_ "github.com/depinhq/depin/gen/depin/share/v1"
	_ "github.com/depinhq/depin/gen/depin/staking/v1"
)

// eventTypes are every depin event message (Event* in a depin package).
func eventTypes() []protoreflect.MessageType {
	var out []protoreflect.MessageType
	protoregistry.GlobalTypes.RangeMessages(func(mt protoreflect.MessageType) bool {
		d := mt.Descriptor()
		if strings.HasPrefix(string(d.FullName()), "depin.") && strings.HasPrefix(string(d.Name()), "Event") {
			out = append(out, mt)
		}
		return true
	})
	return out
}

func TestFromABCI(t *testing.T) {
	in := &bankv1.EventTransfer{From: "depin1a", To: "depin1\"b\"", Reason: "fee",
		Amount: []*bankv1.Coin{{Denom: "udpin", Amount: 18446744073709551615}, {Denom: "x"}}}
	out, err := FromABCI(ToABCI(in))
	if err != nil || !proto.Equal(in, out) {
		t.Fatalf("round trip: %v, %v", out, err)
	}
	if n := len(eventTypes()); n < 40 {
		t.Fatalf("only %d event types registered", n)
	}
	bad := []abci.Event{
		{Type: "depin.bank.v1.NoSuchEvent"},
		{Type: "message", Attributes: []abci.EventAttribute{{Key: "action", Value: "x"}}},
		{Type: "depin.bank.v1.EventTransfer", Attributes: []abci.EventAttribute{{Key: "nope", Value: "x"}}},
		{Type: "depin.bank.v1.EventTransfer", Attributes: []abci.EventAttribute{{Key: "amount", Value: `[{"denom":"x"}],"from":"y"`}}},
		{Type: "depin.bank.v1.EventTransfer", Attributes: []abci.EventAttribute{{Key: "from", Value: "a"}, {Key: "from", Value: "b"}}},
		{Type: "depin.bank.v1.EventMint", Attributes: []abci.EventAttribute{{Key: "amount", Value: `[{"amount":"-1"}]`}}},
	}
	for _, ev := range bad {
		if m, err := FromABCI(ev); err == nil {
			t.Errorf("%v decoded: %v", ev, m)
		}
	}
}

// FuzzEventRoundTrip: every event message, with any field values the
// fuzzer finds, comes back from FromABCI(ToABCI(ev)) equal; FromABCI of
// arbitrary attributes never panics.
func FuzzEventRoundTrip(f *testing.F) {
	types := eventTypes()
	f.Add(uint8(0), []byte{}, "key", "value")
	f.Add(uint8(3), []byte{0x0a, 0x03, 'a', 'b', 'c', 0x10, 0x05}, "amount", `[{"denom":"u","amount":"1"}]`)
	f.Fuzz(func(t *testing.T, which uint8, raw []byte, key, value string) {
		mt := types[int(which)%len(types)]
		m := mt.New().Interface()
		if err := (proto.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(raw, m); err == nil {
			if floatFree(m.ProtoReflect().Descriptor()) {
				back, err := FromABCI(ToABCI(m))
				if err != nil {
					t.Fatalf("%s %v: %v", mt.Descriptor().FullName(), m, err)
				}
				if !proto.Equal(m, back) {
					t.Fatalf("%s: round trip changed %v into %v", mt.Descriptor().FullName(), m, back)
				}
			}
		}
		_, _ = FromABCI(abci.Event{Type: string(mt.Descriptor().FullName()), Attributes: []abci.EventAttribute{{Key: key, Value: value}}})
	})
}

// floatFree: events have no floating-point fields (ToABCI refuses them).
func floatFree(d protoreflect.MessageDescriptor) bool {
	fds := d.Fields()
	for i := 0; i < fds.Len(); i++ {
		switch fds.Get(i).Kind() {
		case protoreflect.FloatKind, protoreflect.DoubleKind:
			return false
		case protoreflect.MessageKind:
			if fds.Get(i).Message().FullName() != d.FullName() && !floatFree(fds.Get(i).Message()) {
				return false
			}
		}
	}
	return true
}
