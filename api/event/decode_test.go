package event

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	bankv1 "github.com/depinhq/depin/gen/depin/bank/v1"
	reportv1 "github.com/depinhq/depin/gen/depin/report/v1"
	rewardv1 "github.com/depinhq/depin/gen/depin/reward/v1"
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
	bad := []Event{
		{Type: "depin.bank.v1.NoSuchEvent"},
		{Type: "depin.bank.v1.MsgSend"}, // a message, but no event
		{Type: "google.protobuf.Empty"},
		{Type: "message", Attributes: []Attribute{{Key: "action", Value: "x"}}},
		{Type: "depin.bank.v1.EventTransfer", Attributes: []Attribute{{Key: "nope", Value: "x"}}},
		{Type: "depin.bank.v1.EventTransfer", Attributes: []Attribute{{Key: "amount", Value: `[{"denom":"x"}],"from":"y"`}}},
		{Type: "depin.bank.v1.EventTransfer", Attributes: []Attribute{{Key: "from", Value: "a"}, {Key: "from", Value: "b"}}},
		{Type: "depin.bank.v1.EventMint", Attributes: []Attribute{{Key: "amount", Value: `[{"amount":"-1"}]`}}},
	}
	for _, ev := range bad {
		if m, err := FromABCI(ev); !errors.Is(err, ErrEvent) {
			t.Errorf("%v decoded: %v, %v", ev, m, err)
		}
	}
}

// TestEveryEventIsRegistered: every Event message of every module's
// .proto file is known to FromABCI, whatever its caller imports (types.go
// names every module's generated package).
func TestEveryEventIsRegistered(t *testing.T) {
	files, err := filepath.Glob("../../proto/depin/*/v1/*.proto")
	if err != nil || len(files) < 10 {
		t.Fatalf("found %d .proto files (%v): wrong directory?", len(files), err)
	}
	pkgRE := regexp.MustCompile(`(?m)^package ([a-z0-9.]+);`)
	msgRE := regexp.MustCompile(`(?m)^message (Event\w+) \{`)
	n := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		pkg := pkgRE.FindSubmatch(src)
		if pkg == nil {
			t.Fatalf("%s: no package line", f)
		}
		for _, m := range msgRE.FindAllSubmatch(src, -1) {
			name := string(pkg[1]) + "." + string(m[1])
			n++
			if _, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(name)); err != nil {
				t.Errorf("%s (%s) is not registered: import its generated package in types.go", name, f)
			}
			if !Typed(name) {
				t.Errorf("%s is not in the %q namespace", name, Namespace)
			}
		}
	}
	if n != len(eventTypes()) {
		t.Errorf("the .proto files declare %d events, the registry holds %d", n, len(eventTypes()))
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
		_, _ = FromABCI(Event{Type: string(mt.Descriptor().FullName()), Attributes: []Attribute{{Key: key, Value: value}}})
	})
}

// floatFree: whether d has no floating-point fields (ToABCI refuses them).
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

// BenchmarkFromABCI: decoding costs per event, for the kinds a block has
// most of (rejected reports by the thousand, transfers, reward breakdowns).
func BenchmarkFromABCI(b *testing.B) {
	for _, ev := range []proto.Message{
		&reportv1.EventReportRejected{Index: 7, Device: "depindev1q39uw4f3paknw8lc00dcsg0wc0kgy8jpps7deh", Network: "solar", Seq: 1234,
			Reason: reportv1.RejectReason_REJECT_REASON_STALE_SEQ, Detail: "seq 1234 not above 1234"},
		&bankv1.EventTransfer{From: "depin1rsxyjrcm255ds9euthjx6yc3vrjt9sxrfx7gx4", To: "depin17f09nflpc5fgjvurk054ejx30sqa6ka90qg6l5",
			Amount: []*bankv1.Coin{{Denom: "udpin", Amount: 10000000}}, Reason: "fee"},
		&rewardv1.EventDeviceRewarded{Breakdown: &rewardv1.Breakdown{Network: "solar", Epoch: 12, Device: make([]byte, 20), Productivity: 99,
			ReportsAccepted: 60, CoveredSeconds: 3600, EpochSeconds: 3600, UptimePpm: 1000000, ReputationPpm: 900000, QualityPpm: 900000,
			GeoPpm: 1000000, Cell: 622044118692265983, BoostBps: 10000, Weight: "123456789", WorkReward: 1000, AvailabilityReward: 100,
			Reward: 1100, Denom: "usolar", Emission: 100000, TotalWeight: "999999999999", Devices: 40}},
	} {
		abciEv := ToABCI(ev)
		b.Run(string(ev.ProtoReflect().Descriptor().Name()), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := FromABCI(abciEv); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
