package app

import (
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	txv1 "github.com/depinhq/depin/gen/depin/tx/v1"
)

// TestEveryMessageNamesItsSigner: every message a tx can carry has an
// entry in signerFields, naming a bytes field it has.
func TestEveryMessageNamesItsSigner(t *testing.T) {
	oneof := (&txv1.Msg{}).ProtoReflect().Descriptor().Oneofs().ByName("sum")
	fields := oneof.Fields()
	for i := 0; i < fields.Len(); i++ {
		md := fields.Get(i).Message()
		name, ok := signerFields[md.FullName()]
		if !ok {
			t.Errorf("%s: no signer field in signerFields", md.FullName())
			continue
		}
		if fd := md.Fields().ByName(name); fd == nil || fd.Kind() != protoreflect.BytesKind {
			t.Errorf("%s: signer field %q is not a bytes field of it", md.FullName(), name)
		}
	}
	if len(signerFields) != fields.Len() {
		t.Errorf("signerFields has %d entries for %d messages", len(signerFields), fields.Len())
	}
}
