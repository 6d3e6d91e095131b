package sandbox

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"strings"
)

// Output is a decoded Result.Output: what a task produced.
type Output struct {
	Status   Status
	ExitCode uint32
	Stdout   []byte
	// Files are the regular files under /out, in strictly increasing order
	// of Path.
	Files []File
}

// File is one file a task wrote under /out.
type File struct {
	// Path is relative to /out, slash-separated (fs.ValidPath). A client
	// that writes it to disk must still localize it (filepath.Localize):
	// a name may hold characters another OS treats as separators.
	Path string
	Data []byte
}

// File returns the data of the file at path, if the output has one.
func (o Output) File(path string) ([]byte, bool) {
	for _, f := range o.Files {
		if f.Path == path {
			return f.Data, true
		}
	}
	return nil, false
}

// ErrMalformedOutput is returned by DecodeOutput for bytes that are not a
// canonical output encoding, and by EncodeOutput for an Output that has none.
var ErrMalformedOutput = errors.New("sandbox: malformed output")

const (
	outputMagic   = "dpco"
	outputVersion = 1
	// maxPathLen bounds a path in the encoding (2-byte length).
	maxPathLen = math.MaxUint16
)

// OutputHash is the hash providers commit to: SHA-256 of the canonical
// output bytes.
func OutputHash(out []byte) [32]byte { return sha256.Sum256(out) }

// EncodeOutput returns the canonical encoding of o.
func EncodeOutput(o Output) ([]byte, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	n := len(outputMagic) + 1 + 1 + 4 + 8 + len(o.Stdout) + 4
	for _, f := range o.Files {
		n += 2 + len(f.Path) + 8 + len(f.Data)
	}
	b := make([]byte, 0, n)
	b = append(b, outputMagic...)
	b = append(b, outputVersion, byte(o.Status))
	b = binary.BigEndian.AppendUint32(b, o.ExitCode)
	b = binary.BigEndian.AppendUint64(b, uint64(len(o.Stdout)))
	b = append(b, o.Stdout...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(o.Files)))
	for _, f := range o.Files {
		b = binary.BigEndian.AppendUint16(b, uint16(len(f.Path)))
		b = append(b, f.Path...)
		b = binary.BigEndian.AppendUint64(b, uint64(len(f.Data)))
		b = append(b, f.Data...)
	}
	return b, nil
}

// DecodeOutput decodes a canonical output encoding. The returned Stdout
// and file data alias b.
func DecodeOutput(b []byte) (Output, error) {
	d := decoder{b: b}
	if string(d.next(len(outputMagic))) != outputMagic {
		return Output{}, fmt.Errorf("%w: not an output (bad magic)", ErrMalformedOutput)
	}
	if v := d.next(1); len(v) == 1 && v[0] != outputVersion {
		return Output{}, fmt.Errorf("%w: version %d, want %d", ErrMalformedOutput, v[0], outputVersion)
	}
	var o Output
	if s := d.next(1); len(s) == 1 {
		o.Status = Status(s[0])
	}
	o.ExitCode = d.uint32()
	o.Stdout = d.next(d.length(8))
	count := d.uint32()
	// Each file takes at least 10 bytes: a count beyond that is a lie, and
	// must not size an allocation.
	if d.err == nil && uint64(count) > uint64(len(d.b))/10 {
		return Output{}, fmt.Errorf("%w: %d files in %d bytes", ErrMalformedOutput, count, len(d.b))
	}
	if count > 0 && d.err == nil {
		o.Files = make([]File, 0, count)
	}
	for i := uint32(0); i < count && d.err == nil; i++ {
		path := string(d.next(d.length(2)))
		data := d.next(d.length(8))
		o.Files = append(o.Files, File{Path: path, Data: data})
	}
	if d.err != nil {
		return Output{}, fmt.Errorf("%w: %v", ErrMalformedOutput, d.err)
	}
	if len(d.b) != 0 {
		return Output{}, fmt.Errorf("%w: %d trailing bytes", ErrMalformedOutput, len(d.b))
	}
	if err := o.check(); err != nil {
		return Output{}, err
	}
	return o, nil
}

// check reports whether o is an outcome a run can have, so that it has one
// canonical encoding.
func (o Output) check() error {
	switch {
	case !o.Status.valid():
		return fmt.Errorf("%w: unknown status %d", ErrMalformedOutput, o.Status)
	case (o.Status == ExitNonZero) != (o.ExitCode != 0):
		return fmt.Errorf("%w: exit code %d with status %v", ErrMalformedOutput, o.ExitCode, o.Status)
	case !o.Status.hasOutput() && (len(o.Stdout) > 0 || len(o.Files) > 0):
		return fmt.Errorf("%w: status %v carries no stdout or files", ErrMalformedOutput, o.Status)
	case uint64(len(o.Files)) > math.MaxUint32:
		return fmt.Errorf("%w: %d files", ErrMalformedOutput, len(o.Files))
	}
	// A path may not also be the directory of another: files holds every
	// path, dirs every parent directory seen so far.
	files := make(map[string]bool, len(o.Files))
	dirs := map[string]bool{}
	for i, f := range o.Files {
		if len(f.Path) > maxPathLen || f.Path == "." || !fs.ValidPath(f.Path) {
			return fmt.Errorf("%w: file path %q", ErrMalformedOutput, f.Path)
		}
		if i > 0 && o.Files[i-1].Path >= f.Path {
			return fmt.Errorf("%w: file %q does not follow %q", ErrMalformedOutput, f.Path, o.Files[i-1].Path)
		}
		if dirs[f.Path] {
			return fmt.Errorf("%w: %q is a file and a directory", ErrMalformedOutput, f.Path)
		}
		files[f.Path] = true
		for dir := f.Path; ; {
			j := strings.LastIndexByte(dir, '/')
			if j < 0 {
				break
			}
			dir = dir[:j]
			if files[dir] {
				return fmt.Errorf("%w: %q is a file and a directory", ErrMalformedOutput, dir)
			}
			dirs[dir] = true
		}
	}
	return nil
}

// decoder reads big-endian fields; the first short read sets err and every
// later read returns nothing.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) next(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b) {
		d.err = fmt.Errorf("truncated: want %d bytes, have %d", n, len(d.b))
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) uint32() uint32 {
	if v := d.next(4); v != nil {
		return binary.BigEndian.Uint32(v)
	}
	return 0
}

// length reads a width-byte length and returns it if that many bytes remain
// (else -1, which the next read turns into an error).
func (d *decoder) length(width int) int {
	v := d.next(width)
	if v == nil {
		return -1
	}
	var n uint64
	for _, c := range v {
		n = n<<8 | uint64(c)
	}
	if n > uint64(len(d.b)) {
		return -1
	}
	return int(n)
}
