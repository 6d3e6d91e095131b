package sandbox

import (
	"io"
	"testing"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
)

// The probe module drives /out through Go's os package (TestOutputDirectory);
// these tests reach the corners a Go program rarely does, directly.

func create(t *testing.T, o *outFS, path string) experimentalsys.File {
	t.Helper()
	f, errno := o.OpenFile(path, experimentalsys.O_RDWR|experimentalsys.O_CREAT|experimentalsys.O_TRUNC, 0o644)
	if errno != 0 {
		t.Fatalf("create %s: %v", path, errno)
	}
	return f
}

// TestOutFSBoundsAllocation: sizes past the bound are refused before any
// memory is allocated for them, whichever call asks.
func TestOutFSBoundsAllocation(t *testing.T) {
	o := newOutFS(1000, 10)
	f := create(t, o, "a")
	if errno := f.Truncate(1 << 50); errno != errOutputFull {
		t.Fatalf("truncate to 1 PiB: %v", errno)
	}
	if _, errno := f.Pwrite([]byte("x"), 1<<50); errno != errOutputFull {
		t.Fatalf("pwrite at 1 PiB: %v", errno)
	}
	if _, errno := f.Pwrite([]byte("x"), 1<<63-1); errno == 0 {
		t.Fatal("pwrite at the largest offset succeeded")
	}
	if o.overflow == "" || o.bytes != 0 {
		t.Fatalf("overflow %q, bytes %d", o.overflow, o.bytes)
	}
	// Exactly the bound fits.
	o = newOutFS(1000, 10)
	f = create(t, o, "a")
	if _, errno := f.Pwrite([]byte("x"), 999); errno != 0 || o.bytes != 1000 || o.overflow != "" {
		t.Fatalf("write up to the bound: %v, bytes %d, overflow %q", errno, o.bytes, o.overflow)
	}
	if _, errno := create(t, o, "b").Write([]byte("y")); errno != errOutputFull {
		t.Fatalf("one byte more: %v", errno)
	}
}

// TestOutFSUnlinkedFileStaysCounted: a module cannot escape the bound by
// removing files it keeps open.
func TestOutFSUnlinkedFileStaysCounted(t *testing.T) {
	o := newOutFS(100, 10)
	f := create(t, o, "a")
	f.Write(make([]byte, 80))
	if errno := o.Unlink("a"); errno != 0 {
		t.Fatal(errno)
	}
	if _, errno := create(t, o, "b").Write(make([]byte, 30)); errno != errOutputFull {
		t.Fatalf("write while the unlinked file is open: %v, bytes %d", errno, o.bytes)
	}
	buf := make([]byte, 100)
	if n, errno := f.Pread(buf, 0); errno != 0 || n != 80 {
		t.Fatalf("read of the unlinked file: %d, %v", n, errno)
	}
	f.Close()
	if o.bytes != 0 {
		t.Fatalf("after close: %d bytes counted", o.bytes)
	}
	if got := o.files(); len(got) != 1 || got[0].Path != "b" {
		t.Fatalf("files %v, want only b", got)
	}
}

// TestOutFSNamespace: the directory operations, and their errors.
func TestOutFSNamespace(t *testing.T) {
	o := newOutFS(1000, 4)
	must := func(errno experimentalsys.Errno) {
		t.Helper()
		if errno != 0 {
			t.Fatal(errno)
		}
	}
	want := func(got, want experimentalsys.Errno) {
		t.Helper()
		if got != want {
			t.Fatalf("errno %v, want %v", got, want)
		}
	}
	must(o.Mkdir("d", 0o755))
	want(o.Mkdir("d", 0o755), experimentalsys.EEXIST)
	want(o.Mkdir("x/y", 0o755), experimentalsys.ENOENT)
	f := create(t, o, "d/f")
	f.Write([]byte("hello"))
	f.Close()
	_, errno := o.OpenFile("d/f/", experimentalsys.O_RDONLY, 0)
	want(errno, experimentalsys.ENOTDIR)
	_, errno = o.OpenFile("d", experimentalsys.O_WRONLY, 0)
	want(errno, experimentalsys.EISDIR)
	_, errno = o.OpenFile("d/f", experimentalsys.O_CREAT|experimentalsys.O_EXCL|experimentalsys.O_WRONLY, 0)
	want(errno, experimentalsys.EEXIST)
	want(o.Rmdir("d"), experimentalsys.ENOTEMPTY)
	want(o.Rename("d", "d/e"), experimentalsys.EINVAL)
	want(o.Unlink("d"), experimentalsys.EISDIR)
	must(o.Rename("d/f", "g"))
	must(o.Rmdir("d"))
	// Entries: g, and the bound of 4 leaves three more.
	for _, p := range []string{"h", "i", "j"} {
		create(t, o, p).Close()
	}
	_, errno = o.OpenFile("k", experimentalsys.O_CREAT|experimentalsys.O_WRONLY, 0)
	want(errno, errOutputFull)
	st, errno := o.Stat("g")
	must(errno)
	if st.Size != 5 || st.Mtim != outFileTime {
		t.Fatalf("stat %+v", st)
	}

	// Listing is in name order, resumable and rewindable.
	dir, errno := o.OpenFile(".", experimentalsys.O_RDONLY, 0)
	must(errno)
	first, errno := dir.Readdir(2)
	must(errno)
	rest, errno := dir.Readdir(-1)
	must(errno)
	if len(first) != 2 || first[0].Name != "g" || first[1].Name != "h" || len(rest) != 2 || rest[1].Name != "j" {
		t.Fatalf("listing %v then %v", first, rest)
	}
	if _, errno := dir.Seek(0, io.SeekStart); errno != 0 {
		t.Fatal(errno)
	}
	again, errno := dir.Readdir(-1)
	must(errno)
	if len(again) != 4 {
		t.Fatalf("after rewind: %v", again)
	}
}
