package sandbox

import (
	"io/fs"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
)

// MaxOpenFiles bounds the files and directories a module has open at once,
// under /in and /out together (the preopened directories included): wazero
// keeps no bound of its own, and every open file costs host memory. An open
// past it fails with EIO, the same way everywhere.
const MaxOpenFiles = 1024

// openFiles counts a task's open files. One module instance uses it.
type openFiles struct{ n int }

// boundedOpens wraps a file system so that its opens count against a
// task's openFiles.
type boundedOpens struct {
	experimentalsys.FS
	open *openFiles
}

func (b boundedOpens) OpenFile(path string, flag experimentalsys.Oflag, perm fs.FileMode) (experimentalsys.File, experimentalsys.Errno) {
	if b.open.n >= MaxOpenFiles {
		return nil, experimentalsys.EIO
	}
	f, errno := b.FS.OpenFile(path, flag, perm)
	if errno != 0 {
		return nil, errno
	}
	b.open.n++
	return &countedFile{File: f, open: b.open}, 0
}

// countedFile gives its slot back when closed.
type countedFile struct {
	experimentalsys.File
	open   *openFiles
	closed bool
}

func (f *countedFile) Close() experimentalsys.Errno {
	if !f.closed {
		f.closed = true
		f.open.n--
	}
	return f.File.Close()
}
