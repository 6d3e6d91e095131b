package sandbox_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/depinhq/depin/compute/sandbox"
)

func sampleOutput() sandbox.Output {
	return sandbox.Output{
		Status: sandbox.OK,
		Stdout: []byte("done\n"),
		Files: []sandbox.File{
			{Path: "a.txt", Data: []byte("A")},
			{Path: "a/b.png", Data: []byte{0x89, 'P', 'N', 'G'}},
			{Path: "empty", Data: nil},
		},
	}
}

// TestOutputEncoding pins the encoding of the package documentation.
func TestOutputEncoding(t *testing.T) {
	b, err := sandbox.EncodeOutput(sampleOutput())
	if err != nil {
		t.Fatal(err)
	}
	want := "" +
		"6470636f" + "01" + "01" + "00000000" + // magic, version, status ok, exit code
		"0000000000000005" + "646f6e650a" + // stdout
		"00000003" + // three files
		"0005" + "612e747874" + "0000000000000001" + "41" +
		"0007" + "612f622e706e67" + "0000000000000004" + "89504e47" +
		"0005" + "656d707479" + "0000000000000000"
	if got := hex.EncodeToString(b); got != want {
		t.Fatalf("encoding\n got %s\nwant %s", got, want)
	}
	o, err := sandbox.DecodeOutput(b)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := sandbox.EncodeOutput(o)
	if !bytes.Equal(again, b) {
		t.Fatal("decode then encode changed the bytes")
	}
	if d, ok := o.File("a/b.png"); !ok || string(d) != "\x89PNG" {
		t.Fatalf("File(a/b.png) = %q, %v", d, ok)
	}
}

// TestOutputRejectsNonCanonical: every outcome has one encoding, so
// DecodeOutput refuses anything EncodeOutput would not write.
func TestOutputRejectsNonCanonical(t *testing.T) {
	good, _ := sandbox.EncodeOutput(sampleOutput())
	withFiles := func(files ...sandbox.File) sandbox.Output {
		o := sampleOutput()
		o.Files = files
		return o
	}
	f := func(p string) sandbox.File { return sandbox.File{Path: p} }
	bad := map[string]sandbox.Output{
		"unsorted":             withFiles(f("b"), f("a")),
		"duplicate":            withFiles(f("a"), f("a")),
		"file and directory":   withFiles(f("a"), f("a/b")),
		"absolute":             withFiles(f("/etc/passwd")),
		"dot-dot":              withFiles(f("../x")),
		"dot":                  withFiles(f(".")),
		"empty path":           withFiles(f("")),
		"trailing slash":       withFiles(f("a/")),
		"status zero":          {},
		"unknown status":       {Status: 99},
		"ok with exit code":    {Status: sandbox.OK, ExitCode: 1},
		"exit 0 non-zero":      {Status: sandbox.ExitNonZero},
		"timeout with stdout":  {Status: sandbox.Timeout, Stdout: []byte("x")},
		"trap with files":      {Status: sandbox.Trap, Files: []sandbox.File{f("a")}},
		"invalid with a code":  {Status: sandbox.InvalidModule, ExitCode: 3},
		"too large with files": {Status: sandbox.OutputTooLarge, Files: []sandbox.File{f("a")}},
	}
	for name, o := range bad {
		if _, err := sandbox.EncodeOutput(o); !errors.Is(err, sandbox.ErrMalformedOutput) {
			t.Errorf("%s: EncodeOutput err %v, want ErrMalformedOutput", name, err)
		}
	}
	raw := map[string][]byte{
		"empty":         nil,
		"bad magic":     append([]byte("dpcx"), good[4:]...),
		"version 2":     append(append([]byte("dpco"), 2), good[5:]...),
		"trailing byte": append(bytes.Clone(good), 0),
		"truncated":     good[:len(good)-1],
		"huge count": append(append([]byte("dpco\x01\x01\x00\x00\x00\x00"),
			make([]byte, 8)...), 0xff, 0xff, 0xff, 0xff),
		"stdout longer than input": append([]byte("dpco\x01\x01\x00\x00\x00\x00"),
			0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
	}
	for name, b := range raw {
		if _, err := sandbox.DecodeOutput(b); !errors.Is(err, sandbox.ErrMalformedOutput) {
			t.Errorf("%s: DecodeOutput err %v, want ErrMalformedOutput", name, err)
		}
	}
}

// FuzzDecodeOutput: DecodeOutput never panics, and what it accepts
// encodes back to the same bytes (one encoding per outcome).
func FuzzDecodeOutput(f *testing.F) {
	good, _ := sandbox.EncodeOutput(sampleOutput())
	f.Add(good)
	for _, s := range []sandbox.Status{sandbox.Timeout, sandbox.Trap, sandbox.InvalidTask} {
		b, _ := sandbox.EncodeOutput(sandbox.Output{Status: s})
		f.Add(b)
	}
	b, _ := sandbox.EncodeOutput(sandbox.Output{Status: sandbox.ExitNonZero, ExitCode: 2, Stdout: []byte("x")})
	f.Add(b)
	f.Add([]byte("dpco"))
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := sandbox.DecodeOutput(b)
		if err != nil {
			if !errors.Is(err, sandbox.ErrMalformedOutput) {
				t.Fatalf("error %v is not ErrMalformedOutput", err)
			}
			return
		}
		again, err := sandbox.EncodeOutput(o)
		if err != nil {
			t.Fatalf("decoded output does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoding changed the bytes:\n%x\n%x", b, again)
		}
	})
}
