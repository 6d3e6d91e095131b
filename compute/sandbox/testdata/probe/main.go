// Command probe is the module the sandbox tests run (built with GOOS=wasip1
// GOARCH=wasm): its first argument picks a behaviour, good or bad. The
// sandbox appends the task index as the last argument.
package main

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

func main() {
	if len(os.Args) < 2 {
		fail(64, "usage: probe BEHAVIOUR [ARGS] INDEX")
	}
	args := os.Args[2:]
	switch os.Args[1] {
	case "hello":
		fmt.Println("hello")
	case "loop":
		n := 0
		for {
			n++
		}
	case "oom":
		var keep [][]byte
		for {
			b := make([]byte, 8<<20)
			b[0] = 1
			keep = append(keep, b)
		}
	case "dial":
		conn, err := net.Dial("tcp", args[0])
		if err != nil {
			fail(3, "dial: %v", err)
		}
		conn.Close()
		fmt.Println("connected")
	case "open-many":
		var files []*os.File
		for {
			f, err := os.Open("/in/a.txt")
			if err != nil {
				fmt.Printf("opened %d, then: %v\n", len(files), err)
				break
			}
			files = append(files, f)
		}
		for _, f := range files {
			f.Close()
		}
		if _, err := os.ReadFile("/in/a.txt"); err != nil {
			fail(1, "after closing: %v", err)
		}
	case "sockets":
		sockets()
	case "host":
		hostFiles()
	case "write":
		n, _ := strconv.Atoi(args[0])
		if err := os.WriteFile("/out/big.bin", make([]byte, n), 0o644); err != nil {
			fail(5, "write: %v", err)
		}
	case "files":
		for i := 0; ; i++ {
			f, err := os.Create(fmt.Sprintf("/out/f%d", i))
			if err != nil {
				fail(5, "create: %v", err)
			}
			f.Close()
		}
	case "stdout":
		n, _ := strconv.Atoi(args[0])
		os.Stdout.Write([]byte(strings.Repeat("x", n)))
	case "exit":
		code, _ := strconv.Atoi(args[0])
		fmt.Println("partial result")
		os.WriteFile("/out/partial.txt", []byte("partial"), 0o644)
		fmt.Fprintln(os.Stderr, "giving up with", code)
		os.Exit(code)
	case "panic":
		panic("probe panicked on purpose")
	case "nondeterminism":
		nondeterminism()
	case "inputs":
		inputs()
	case "fs":
		fileSystem()
	default:
		fail(64, "unknown behaviour %q", os.Args[1])
	}
}

func fail(code int, format string, args ...any) {
	fmt.Printf(format+"\n", args...)
	os.Exit(code)
}

// hostFiles tries every way out of /in and /out to the host's files.
func hostFiles() {
	var got []string
	for _, p := range []string{"/etc/passwd", "/in/../etc/passwd", "/in/../../etc/passwd", "../etc/passwd", "/proc/self/environ", "/"} {
		if b, err := os.ReadFile(p); err == nil {
			got = append(got, fmt.Sprintf("read %s: %d bytes", p, len(b)))
		} else if entries, err := os.ReadDir(p); err == nil && len(entries) > 0 {
			got = append(got, fmt.Sprintf("listed %s: %d entries", p, len(entries)))
		} else {
			fmt.Printf("%s: denied\n", p)
		}
	}
	for _, p := range []string{"/in/new.txt", "/in/a.txt"} {
		if err := os.WriteFile(p, []byte("x"), 0o644); err == nil {
			got = append(got, "wrote "+p)
		} else {
			fmt.Printf("%s: denied (%v)\n", p, err)
		}
	}
	if b, err := os.ReadFile("/in/a.txt"); err != nil || string(b) != "a" {
		got = append(got, fmt.Sprintf("/in/a.txt changed to %q (%v)", b, err))
	}
	if err := os.WriteFile("/tmp/x", []byte("x"), 0o644); err == nil {
		got = append(got, "wrote /tmp/x")
	} else {
		fmt.Println("/tmp/x: denied")
	}
	if len(got) > 0 {
		fail(4, "escaped: %s", strings.Join(got, "; "))
	}
}

// nondeterminism prints and writes everything that differs between runs of
// a native program: clock, randomness, map order, environment.
func nondeterminism() {
	var b strings.Builder
	fmt.Fprintln(&b, "now", time.Now().UnixNano())
	start := time.Now()
	time.Sleep(10 * time.Millisecond)
	fmt.Fprintln(&b, "slept", time.Since(start))
	fmt.Fprintln(&b, "rand", rand.Int64(), rand.Int64())
	m := map[int]int{}
	for i := range 64 {
		m[i] = i
	}
	var order []int
	for k := range m {
		order = append(order, k)
	}
	fmt.Fprintln(&b, "map", order)
	fmt.Fprintln(&b, "env", os.Environ())
	fmt.Fprintln(&b, "args", os.Args)
	fmt.Fprintln(&b, "pid", os.Getpid())
	os.Stdout.WriteString(b.String())
	if err := os.MkdirAll("/out/sub", 0o755); err != nil {
		fail(5, "mkdir: %v", err)
	}
	if err := os.WriteFile("/out/sub/state.txt", []byte(b.String()), 0o644); err != nil {
		fail(5, "write: %v", err)
	}
	st, err := os.Stat("/out/sub/state.txt")
	if err != nil {
		fail(5, "stat: %v", err)
	}
	os.WriteFile("/out/stat.txt", []byte(fmt.Sprint(st.ModTime().UnixNano(), st.Size(), st.Mode())), 0o644)
}

// inputs lists /in with each file's SHA-256, and reports the task index
// seen in the environment and the arguments.
func inputs() {
	var lines []string
	err := filepath.WalkDir("/in", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		lines = append(lines, fmt.Sprintf("%s %d %x", path, len(b), sha256.Sum256(b)))
		return nil
	})
	if err != nil {
		fail(5, "walk: %v", err)
	}
	slices.Sort(lines)
	index := os.Args[len(os.Args)-1]
	out := fmt.Sprintf("index env=%s arg=%s\nextra=%s greeting=%s\n%s\n",
		os.Getenv("DEPIN_TASK_INDEX"), index, strings.Join(os.Args[2:len(os.Args)-1], ","),
		os.Getenv("GREETING"), strings.Join(lines, "\n"))
	if err := os.WriteFile("/out/index-"+index+".txt", []byte(out), 0o644); err != nil {
		fail(5, "write: %v", err)
	}
	fmt.Print(out)
}

// fileSystem exercises /out like a real program: directories, appends,
// seeks, renames, removals, listings.
func fileSystem() {
	must := func(err error) {
		if err != nil {
			fail(6, "fs: %v", err)
		}
	}
	must(os.MkdirAll("/out/a/b", 0o755))
	f, err := os.Create("/out/a/b/log.txt")
	must(err)
	_, err = f.WriteString("hello ")
	must(err)
	_, err = f.Seek(0, 0)
	must(err)
	_, err = f.WriteString("HELLO")
	must(err)
	_, err = f.WriteAt([]byte("!"), 10)
	must(err)
	must(f.Close())
	f, err = os.OpenFile("/out/a/b/log.txt", os.O_APPEND|os.O_WRONLY, 0)
	must(err)
	_, err = f.WriteString("tail")
	must(err)
	must(f.Close())
	must(os.WriteFile("/out/tmp.txt", []byte("temporary"), 0o644))
	must(os.Rename("/out/tmp.txt", "/out/a/renamed.txt"))
	must(os.WriteFile("/out/gone.txt", []byte("x"), 0o644))
	must(os.Remove("/out/gone.txt"))
	must(os.Mkdir("/out/empty", 0o755))
	must(os.Truncate("/out/a/renamed.txt", 4))
	if _, err := os.Stat("/out/gone.txt"); err == nil {
		fail(6, "removed file still there")
	}
	entries, err := os.ReadDir("/out/a")
	must(err)
	for _, e := range entries {
		fmt.Println(e.Name(), e.IsDir())
	}
	b, err := os.ReadFile("/out/a/b/log.txt")
	must(err)
	fmt.Printf("%q\n", b)
}

//go:wasmimport wasi_snapshot_preview1 sock_accept
func sockAccept(fd, flags int32, resultFD unsafe.Pointer) int32

//go:wasmimport wasi_snapshot_preview1 sock_send
func sockSend(fd int32, iovs unsafe.Pointer, iovsLen, flags int32, resultLen unsafe.Pointer) int32

//go:wasmimport wasi_snapshot_preview1 sock_recv
func sockRecv(fd int32, iovs unsafe.Pointer, iovsLen, flags int32, resultLen, resultFlags unsafe.Pointer) int32

//go:wasmimport wasi_snapshot_preview1 sock_shutdown
func sockShutdown(fd, how int32) int32

// sockets calls every WASI socket function on every descriptor a module
// could have (stdio, the preopens, a few more); all must fail.
func sockets() {
	var n, flags uint32
	var newFD int32
	buf := make([]byte, 16)
	iov := [2]uint32{uint32(uintptr(unsafe.Pointer(&buf[0]))), uint32(len(buf))}
	ok := 0
	for fd := int32(0); fd < 8; fd++ {
		errnos := []int32{
			sockAccept(fd, 0, unsafe.Pointer(&newFD)),
			sockSend(fd, unsafe.Pointer(&iov), 1, 0, unsafe.Pointer(&n)),
			sockRecv(fd, unsafe.Pointer(&iov), 1, 0, unsafe.Pointer(&n), unsafe.Pointer(&flags)),
			sockShutdown(fd, 3),
		}
		fmt.Println("fd", fd, "accept/send/recv/shutdown errno", errnos)
		for _, e := range errnos {
			if e == 0 {
				ok++
			}
		}
	}
	if ok > 0 {
		fail(1, "%d socket calls succeeded", ok)
	}
}
