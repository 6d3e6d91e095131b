package wire_test

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	vppv1 "github.com/depinhq/depin/gen/depin/vpp/v1"
	"github.com/depinhq/depin/wire"
)

const vectorDevice = "depindev1y8lrrhap2j3xzcntlp2qgm7jyudhhm2tmg9jgh"

func sampleDispatch() wire.Dispatch {
	return wire.NewDispatch(&vppv1.EventDispatchAllocated{Dispatch: 12, Pool: 3, Network: "grid", Device: vectorDevice,
		Direction: vppv1.Direction_DIRECTION_DISCHARGE, PowerW: 2500, Start: 1796200800, End: 1796201700}, 4321)
}

// TestDispatchPayload pins the JSON a gateway publishes (the example of
// docs/DEVICE-PROTOCOL.md §7.2) and that it parses back to itself.
func TestDispatchPayload(t *testing.T) {
	d := sampleDispatch()
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"dispatch":"12","pool":"3","network":"grid","device":"` + vectorDevice +
		`","direction":"discharge","power_w":"2500","start":1796200800,"end":1796201700,"challenge":false,"height":4321}`
	if string(b) != want {
		t.Fatalf("payload\n%s\nwant\n%s", b, want)
	}
	got, err := wire.ParseDispatch(b)
	if err != nil || got != d {
		t.Fatalf("parsed back %+v, %v", got, err)
	}
	if !strings.Contains(docText(t), want) {
		t.Errorf("docs/DEVICE-PROTOCOL.md does not show the payload %s", want)
	}
	if wire.DispatchTopic(vectorDevice) != "depin/devices/"+vectorDevice+"/dispatch" {
		t.Errorf("topic %s", wire.DispatchTopic(vectorDevice))
	}
	// A newer gateway may add fields.
	if _, err := wire.ParseDispatch([]byte(strings.Replace(want, `"height"`, `"extra":[1,2],"height"`, 1))); err != nil {
		t.Errorf("an unknown field: %v", err)
	}
}

func docText(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(protocolDoc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseDispatchRefuses(t *testing.T) {
	good, _ := json.Marshal(sampleDispatch())
	edit := func(from, to string) string { return strings.Replace(string(good), from, to, 1) }
	for name, payload := range map[string]string{
		"not json":          "dispatch!",
		"an array":          "[]",
		"no field":          "{}",
		"a field left out":  edit(`"challenge":false,`, ""),
		"a null field":      edit(`"pool":"3"`, `"pool":null`),
		"unknown direction": edit(`"discharge"`, `"sideways"`),
		"empty window":      edit(`"end":1796201700`, `"end":1796200800`),
		"no power":          edit(`"power_w":"2500"`, `"power_w":"0"`),
		"power as number":   edit(`"power_w":"2500"`, `"power_w":2500`),
		"negative power":    edit(`"power_w":"2500"`, `"power_w":"-1"`),
		"bad device":        edit(vectorDevice, "depindev1xyz"),
		"no network":        edit(`"network":"grid"`, `"network":""`),
		"too large":         edit(`"network":"grid"`, `"network":"`+strings.Repeat("g", 1100)+`"`),
	} {
		if d, err := wire.ParseDispatch([]byte(payload)); !errors.Is(err, wire.ErrMalformedDispatch) {
			t.Errorf("%s: %+v, %v", name, d, err)
		}
	}
}

// FuzzParseDispatch: any payload either fails with ErrMalformedDispatch
// or gives a dispatch that passes Check and survives a round trip.
func FuzzParseDispatch(f *testing.F) {
	good, _ := json.Marshal(sampleDispatch())
	f.Add(good)
	f.Add([]byte(`{"dispatch":"1","pool":"1","network":"n","device":"` + vectorDevice + `","direction":"charge","power_w":"1","start":-5,"end":0,"challenge":true,"height":0}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"dispatch":"18446744073709551616"}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		d, err := wire.ParseDispatch(payload)
		if err != nil {
			if !errors.Is(err, wire.ErrMalformedDispatch) {
				t.Fatalf("error %v does not wrap ErrMalformedDispatch", err)
			}
			return
		}
		if err := d.Check(); err != nil {
			t.Fatalf("accepted %+v: %v", d, err)
		}
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		again, err := wire.ParseDispatch(b)
		if err != nil || again != d {
			t.Fatalf("round trip of %+v: %+v, %v", d, again, err)
		}
	})
}
