package sandbox

import (
	"io"
	"io/fs"
	"maps"
	"slices"
	"time"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/experimental/sysfs"
)

// The handles below are ordinary Go files (fs.File with io.ReaderAt,
// io.WriterAt, io.Seeker; fs.ReadDirFile), which wazero's fs.FS adapter
// turns into WASI files; sysFile adds what that adapter lacks.

// sysFile is an open file or directory as wazero sees it.
type sysFile struct {
	experimentalsys.File          // wazero's adapter of f or a directory
	f                    *outFile // nil for a directory
}

// openHandle wraps h for wazero. reopen gives a fresh handle on the same
// node: the adapter rewinds a directory by opening it again.
func openHandle(h fs.File, f *outFile, reopen func() fs.File) (experimentalsys.File, experimentalsys.Errno) {
	first := true
	file, errno := (&sysfs.AdaptFS{FS: handleFS(func() fs.File {
		if first {
			first = false
			return h
		}
		return reopen()
	})}).OpenFile(".", experimentalsys.O_RDONLY, 0)
	if errno != 0 {
		return nil, errno
	}
	return &sysFile{File: file, f: f}, 0
}

// handleFS is an fs.FS that opens the same file whatever the name.
type handleFS func() fs.File

func (h handleFS) Open(string) (fs.File, error) { return h(), nil }

func (s *sysFile) IsAppend() bool { return s.f != nil && s.f.append }

func (s *sysFile) SetAppend(enable bool) experimentalsys.Errno {
	if s.f == nil {
		return experimentalsys.EISDIR
	}
	s.f.append = enable
	return 0
}

func (s *sysFile) Truncate(size int64) experimentalsys.Errno {
	if s.f == nil {
		return experimentalsys.EISDIR
	}
	return s.f.truncate(size)
}

// Utimens succeeds and changes nothing (times are fixed).
func (s *sysFile) Utimens(_, _ int64) experimentalsys.Errno { return 0 }

// outInfo is the fs.FileInfo of a node; Sys gives wazero its stat.
type outInfo struct {
	name string
	n    *outNode
}

func (i outInfo) Name() string       { return i.name }
func (i outInfo) Size() int64        { return int64(len(i.n.data)) }
func (i outInfo) Mode() fs.FileMode  { return i.n.stat().Mode }
func (i outInfo) ModTime() time.Time { return time.Unix(0, outFileTime).UTC() }
func (i outInfo) IsDir() bool        { return i.n.dir != nil }
func (i outInfo) Sys() any           { st := i.n.stat(); return &st }

// outFile is an open regular file.
type outFile struct {
	fs                 *outFS
	n                  *outNode
	offset             int64
	readable, writable bool
	append             bool
	closed             bool
}

func (f *outFile) Stat() (fs.FileInfo, error) {
	if f.closed {
		return nil, experimentalsys.EBADF
	}
	return outInfo{n: f.n}, nil
}

func (f *outFile) Read(buf []byte) (int, error) {
	n, err := f.ReadAt(buf, f.offset)
	f.offset += int64(n)
	return n, err
}

func (f *outFile) ReadAt(buf []byte, off int64) (int, error) {
	switch {
	case f.closed || !f.readable:
		return 0, experimentalsys.EBADF
	case off < 0:
		return 0, experimentalsys.EINVAL
	case off >= int64(len(f.n.data)):
		return 0, io.EOF
	}
	n := copy(buf, f.n.data[off:])
	if n < len(buf) {
		return n, io.EOF
	}
	return n, nil
}

func (f *outFile) Seek(offset int64, whence int) (int64, error) {
	if f.closed {
		return 0, experimentalsys.EBADF
	}
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += f.offset
	case io.SeekEnd:
		offset += int64(len(f.n.data))
	default:
		return 0, experimentalsys.EINVAL
	}
	if offset < 0 {
		return 0, experimentalsys.EINVAL
	}
	f.offset = offset
	return offset, nil
}

func (f *outFile) Write(buf []byte) (int, error) {
	if f.append {
		f.offset = int64(len(f.n.data))
	}
	n, err := f.WriteAt(buf, f.offset)
	f.offset += int64(n)
	return n, err
}

func (f *outFile) WriteAt(buf []byte, off int64) (int, error) {
	switch {
	case f.closed || !f.writable:
		return 0, experimentalsys.EBADF
	case off < 0:
		return 0, experimentalsys.EINVAL
	}
	end := off + int64(len(buf))
	if end < off { // past the largest offset
		return 0, experimentalsys.EINVAL
	}
	if end > int64(len(f.n.data)) {
		if errno := f.fs.resize(f.n, end); errno != 0 {
			return 0, errno
		}
	}
	return copy(f.n.data[off:], buf), nil
}

func (f *outFile) truncate(size int64) experimentalsys.Errno {
	switch {
	case f.closed || !f.writable:
		return experimentalsys.EBADF
	case size < 0:
		return experimentalsys.EINVAL
	}
	return f.fs.resize(f.n, size)
}

func (f *outFile) Close() error {
	if f.closed {
		return nil
	}
	f.closed = true
	f.n.opens--
	if f.n.unlinked && f.n.opens == 0 {
		f.fs.resize(f.n, 0)
	}
	return nil
}

// outDir is an open directory.
type outDir struct {
	n *outNode
	// names is the listing being read, taken at the first ReadDir; pos is
	// how much of it was read.
	names  []string
	pos    int
	listed bool
}

func (d *outDir) Stat() (fs.FileInfo, error) { return outInfo{n: d.n}, nil }
func (d *outDir) Read([]byte) (int, error)   { return 0, experimentalsys.EISDIR }
func (d *outDir) Close() error               { return nil }

// ReadDir lists entries in name order; one removed since the listing was
// taken is skipped.
func (d *outDir) ReadDir(n int) ([]fs.DirEntry, error) {
	if !d.listed {
		d.names = slices.Sorted(maps.Keys(d.n.dir))
		d.listed = true
	}
	var out []fs.DirEntry
	for d.pos < len(d.names) && (n <= 0 || len(out) < n) {
		name := d.names[d.pos]
		d.pos++
		if c := d.n.dir[name]; c != nil {
			out = append(out, fs.FileInfoToDirEntry(outInfo{name: name, n: c}))
		}
	}
	if n > 0 && len(out) == 0 {
		return nil, io.EOF
	}
	return out, nil
}
