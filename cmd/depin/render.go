package main

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"text/tabwriter"

	"github.com/depinhq/depin/crypto"
)

// The CLI's output model. Everything a command prints is a view: a struct
// (or a slice of them) in a views_*.go file whose JSON tags give the
// -o json form, fields in the struct's order, and whose writeText method
// gives the text form, one fixed layout. Views hold no maps, so no output
// depends on map order. Integers the chain keeps in 64 bits (amounts,
// heights, epochs, ids, counts, unix times) are JSON strings, as protojson
// and the node's REST API write them, so that no JSON reader rounds them;
// 32-bit ones (metric ids, result codes, basis points, ppm) are numbers.
// Enums are lower-case names without their prefix ("active", "bid").
// TestViewsFollowTheOutputModel holds the rules.

// A view is what a command prints.
type view interface {
	// writeText writes the text form (-o text, the default).
	writeText(w io.Writer)
}

// render prints v in the --output format: indented JSON or its text form.
func (g *globals) render(w io.Writer, v view) error {
	if g.output != "json" {
		v.writeText(w)
		return nil
	}
	// A list with nothing in it is [], never null.
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice && rv.IsNil() {
		v = reflect.MakeSlice(rv.Type(), 0, 0).Interface().(view)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// newTable is a writer whose tab-separated cells line up in columns
// (flush it at the end): every text form with columns goes through one,
// so columns align whatever the width of their values.
func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }

// marshalList is list as JSON, [] when empty, for views that are lists
// with something more for their text form.
func marshalList[T any](list []T) ([]byte, error) {
	if list == nil {
		list = []T{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(list)
	return b.Bytes(), err
}

// textView prints a record another package defines for its own JSON (the
// run summaries of bench, sim and chaos) with a text function.
type textView struct {
	record any
	text   func(w io.Writer)
}

func (v textView) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v.record)
	return b.Bytes(), err
}
func (v textView) writeText(w io.Writer) { v.text(w) }

// enumName is a protobuf enum value's name as views show it: lower case,
// without the enum's prefix (DEVICE_STATUS_ACTIVE → active).
func enumName(name, prefix string) string {
	return strings.ToLower(strings.TrimPrefix(name, prefix))
}

// accountString is an account address in bech32, or "" if b is none (a
// genesis validator has no operator).
func accountString(b []byte) string {
	a, err := crypto.AddressFromBytes(b)
	if err != nil {
		return ""
	}
	return a.String()
}

// deviceString is a device id in bech32 (depindev1…), or "" if b is none.
func deviceString(b []byte) string {
	a, err := crypto.AddressFromBytes(b)
	if err != nil {
		return ""
	}
	return crypto.DeviceString(a)
}
