package app

import (
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// TestEveryMessageNamesItsSigner: every message a tx can carry has an
// entry in signerFields, naming a bytes field it has.
func TestEveryMessageNamesItsSigner(t *testing.T) {
	fields := msgOneof.Fields()
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
