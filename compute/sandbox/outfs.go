package sandbox

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/sys"
)

// outFS is the writable /out directory of one task, in memory. It bounds
// the bytes and entries a module can create, so a module cannot fill the
// host's memory or disk, and it gives every file fixed times and inode
// numbers in creation order, so stat results are deterministic too. One
// module instance uses it, from one goroutine.
type outFS struct {
	experimentalsys.UnimplementedFS // links, symlinks: ENOSYS

	root       *outNode
	nextIno    sys.Inode
	bytes      int64 // data held by files, including unlinked ones still open
	maxBytes   int64
	entries    int // files and directories, the root not counted
	maxEntries int
	// overflow says which bound a write went past first; empty if none.
	overflow string
}

// outNode is a file (dir == nil) or a directory.
type outNode struct {
	ino  sys.Inode
	dir  map[string]*outNode
	data []byte
	// opens counts open handles; unlinked marks a file no longer in any
	// directory, whose bytes stay counted until its last handle closes.
	opens    int
	unlinked bool
}

// outFileTime is the modification time of everything under /out.
const outFileTime = ClockEpoch * 1e9

// errOutputFull is what a write past a bound fails with: EIO, as wazero
// has no ENOSPC to pass on.
const errOutputFull = experimentalsys.EIO

// maxNameLen bounds one path element, as NAME_MAX does.
const maxNameLen = 255

var _ experimentalsys.FS = (*outFS)(nil)

func newOutFS(maxBytes int64, maxEntries int) *outFS {
	o := &outFS{maxBytes: maxBytes, maxEntries: maxEntries}
	o.root = o.newNode(true)
	return o
}

func (o *outFS) newNode(dir bool) *outNode {
	o.nextIno++
	n := &outNode{ino: o.nextIno}
	if dir {
		n.dir = map[string]*outNode{}
	}
	return n
}

// resolve finds path: its parent directory, its last element and the node,
// nil if it does not exist (the parent exists). Paths come from wazero
// already cleaned and relative to /out ("." is /out itself); a trailing
// slash requires a directory.
func (o *outFS) resolve(path string) (parent *outNode, name string, n *outNode, errno experimentalsys.Errno) {
	mustDir := strings.HasSuffix(path, "/")
	path = strings.TrimSuffix(path, "/")
	if path == "" || path == "." {
		return nil, "", o.root, 0
	}
	elems := strings.Split(path, "/")
	dir := o.root
	for i, e := range elems {
		if e == "" || e == "." || e == ".." {
			return nil, "", nil, experimentalsys.EINVAL
		}
		if len(e) > maxNameLen {
			return nil, "", nil, experimentalsys.ENAMETOOLONG
		}
		child := dir.dir[e]
		if i == len(elems)-1 {
			if child != nil && mustDir && child.dir == nil {
				return nil, "", nil, experimentalsys.ENOTDIR
			}
			return dir, e, child, 0
		}
		switch {
		case child == nil:
			return nil, "", nil, experimentalsys.ENOENT
		case child.dir == nil:
			return nil, "", nil, experimentalsys.ENOTDIR
		}
		dir = child
	}
	panic("unreachable")
}

// addEntry counts a new file or directory against the bound.
func (o *outFS) addEntry() experimentalsys.Errno {
	if o.entries >= o.maxEntries {
		o.exceeded(fmt.Sprintf("more than %d files and directories under /out", o.maxEntries))
		return errOutputFull
	}
	o.entries++
	return 0
}

func (o *outFS) exceeded(why string) {
	if o.overflow == "" {
		o.overflow = why
	}
}

// resize sets the length of a file's data, within the byte bound.
func (o *outFS) resize(n *outNode, size int64) experimentalsys.Errno {
	old := int64(len(n.data))
	if size > old && size-old > o.maxBytes-o.bytes {
		o.exceeded(fmt.Sprintf("files under /out exceed %d bytes", o.maxBytes))
		return errOutputFull
	}
	o.bytes += size - old
	switch {
	case size <= old:
		clear(n.data[size:])
		n.data = n.data[:size]
	case size <= int64(cap(n.data)):
		n.data = n.data[:size]
	default:
		c := min(max(size, 2*int64(cap(n.data))), size+o.maxBytes-o.bytes)
		data := make([]byte, size, c)
		copy(data, n.data)
		n.data = data
	}
	return 0
}

func (o *outFS) OpenFile(path string, flag experimentalsys.Oflag, _ fs.FileMode) (experimentalsys.File, experimentalsys.Errno) {
	parent, name, n, errno := o.resolve(path)
	if errno != 0 {
		return nil, errno
	}
	access := flag & (experimentalsys.O_RDONLY | experimentalsys.O_RDWR | experimentalsys.O_WRONLY)
	writable := access == experimentalsys.O_RDWR || access == experimentalsys.O_WRONLY
	switch {
	case n == nil && flag&experimentalsys.O_CREAT == 0:
		return nil, experimentalsys.ENOENT
	case n == nil:
		if flag&experimentalsys.O_DIRECTORY != 0 || strings.HasSuffix(path, "/") {
			return nil, experimentalsys.EISDIR
		}
		if errno := o.addEntry(); errno != 0 {
			return nil, errno
		}
		n = o.newNode(false)
		parent.dir[name] = n
	case flag&experimentalsys.O_CREAT != 0 && flag&experimentalsys.O_EXCL != 0:
		return nil, experimentalsys.EEXIST
	}
	if n.dir != nil {
		if writable || flag&experimentalsys.O_TRUNC != 0 {
			return nil, experimentalsys.EISDIR
		}
		reopen := func() fs.File { return &outDir{n: n} }
		return openHandle(reopen(), nil, reopen)
	}
	if flag&experimentalsys.O_DIRECTORY != 0 {
		return nil, experimentalsys.ENOTDIR
	}
	if flag&experimentalsys.O_TRUNC != 0 && writable {
		o.resize(n, 0)
	}
	n.opens++
	f := &outFile{
		fs: o, n: n,
		readable: access != experimentalsys.O_WRONLY,
		writable: writable,
		append:   flag&experimentalsys.O_APPEND != 0,
	}
	return openHandle(f, f, func() fs.File { return f })
}

func (o *outFS) Lstat(path string) (sys.Stat_t, experimentalsys.Errno) { return o.Stat(path) }

func (o *outFS) Stat(path string) (sys.Stat_t, experimentalsys.Errno) {
	_, _, n, errno := o.resolve(path)
	if errno != 0 {
		return sys.Stat_t{}, errno
	}
	if n == nil {
		return sys.Stat_t{}, experimentalsys.ENOENT
	}
	return n.stat(), 0
}

func (n *outNode) stat() sys.Stat_t {
	st := sys.Stat_t{Ino: n.ino, Mode: 0o644, Nlink: 1, Atim: outFileTime, Mtim: outFileTime, Ctim: outFileTime}
	if n.dir != nil {
		st.Mode = fs.ModeDir | 0o755
	} else {
		st.Size = int64(len(n.data))
	}
	if n.unlinked {
		st.Nlink = 0
	}
	return st
}

func (o *outFS) Mkdir(path string, _ fs.FileMode) experimentalsys.Errno {
	parent, name, n, errno := o.resolve(path)
	switch {
	case errno != 0:
		return errno
	case n != nil:
		return experimentalsys.EEXIST
	}
	if errno := o.addEntry(); errno != 0 {
		return errno
	}
	parent.dir[name] = o.newNode(true)
	return 0
}

// Chmod and Utimens succeed and change nothing: modes and times are not
// part of the output, and fixed ones keep stat deterministic.
func (o *outFS) Chmod(path string, _ fs.FileMode) experimentalsys.Errno { return o.exists(path) }

func (o *outFS) Utimens(path string, _, _ int64) experimentalsys.Errno { return o.exists(path) }

func (o *outFS) exists(path string) experimentalsys.Errno {
	_, err := o.Stat(path)
	return err
}

func (o *outFS) Rmdir(path string) experimentalsys.Errno {
	parent, name, n, errno := o.resolve(path)
	switch {
	case errno != 0:
		return errno
	case n == nil:
		return experimentalsys.ENOENT
	case parent == nil:
		return experimentalsys.EPERM // /out itself
	case n.dir == nil:
		return experimentalsys.ENOTDIR
	case len(n.dir) > 0:
		return experimentalsys.ENOTEMPTY
	}
	delete(parent.dir, name)
	o.entries--
	return 0
}

func (o *outFS) Unlink(path string) experimentalsys.Errno {
	parent, name, n, errno := o.resolve(path)
	switch {
	case errno != 0:
		return errno
	case n == nil:
		return experimentalsys.ENOENT
	case n.dir != nil:
		return experimentalsys.EISDIR
	}
	delete(parent.dir, name)
	o.entries--
	o.drop(n)
	return 0
}

// drop unlinks a file; its bytes are released once no handle has it open.
func (o *outFS) drop(n *outNode) {
	n.unlinked = true
	if n.opens == 0 {
		o.resize(n, 0)
	}
}

func (o *outFS) Rename(from, to string) experimentalsys.Errno {
	fromParent, fromName, n, errno := o.resolve(from)
	if errno != 0 {
		return errno
	}
	if n == nil {
		return experimentalsys.ENOENT
	}
	toParent, toName, old, errno := o.resolve(to)
	if errno != 0 {
		return errno
	}
	if fromParent == nil || toParent == nil {
		return experimentalsys.EPERM // /out itself
	}
	if n.dir != nil && o.contains(n, toParent) {
		return experimentalsys.EINVAL // into itself
	}
	if old == n {
		return 0
	}
	if old != nil {
		switch {
		case n.dir != nil && old.dir == nil:
			return experimentalsys.ENOTDIR
		case n.dir == nil && old.dir != nil:
			return experimentalsys.EISDIR
		case len(old.dir) > 0:
			return experimentalsys.ENOTEMPTY
		}
		o.entries--
		if old.dir == nil {
			o.drop(old)
		}
	}
	delete(fromParent.dir, fromName)
	toParent.dir[toName] = n
	return 0
}

// contains reports whether dir is d or lies under it.
func (o *outFS) contains(d, dir *outNode) bool {
	if d == dir {
		return true
	}
	for _, c := range d.dir {
		if c.dir != nil && o.contains(c, dir) {
			return true
		}
	}
	return false
}

// files returns the regular files under /out, sorted by path.
func (o *outFS) files() []File {
	var out []File
	var walk func(prefix string, d *outNode)
	walk = func(prefix string, d *outNode) {
		for name, n := range d.dir {
			if n.dir != nil {
				walk(prefix+name+"/", n)
			} else {
				out = append(out, File{Path: prefix + name, Data: n.data})
			}
		}
	}
	walk("", o.root)
	slices.SortFunc(out, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return out
}
