package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
)

// Why a node did not start when another is running: its home's databases
// are locked, or its ports are taken. The process holding them is found
// in /proc where there is one (Linux); elsewhere the message goes without
// its pid.

var listenRE = regexp.MustCompile(`listen tcp ([0-9.:\[\]a-zA-Z-]+:(\d+))`)

// nodeStartError explains err from starting a node in home.
func nodeStartError(home string, err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	switch {
	case errors.Is(err, syscall.EAGAIN) || strings.Contains(msg, "resource temporarily unavailable") || strings.Contains(msg, "lock held"):
		who := ""
		if pid := lockHolder(home); pid > 0 {
			who = fmt.Sprintf(" (pid %d%s)", pid, processCommand(pid))
		}
		return &explained{err, fmt.Sprintf("a node is already running with home %s%s: stop it (Ctrl-C in its terminal) or use another --home", home, who)}
	case errors.Is(err, syscall.EADDRINUSE) || strings.Contains(msg, "address already in use"):
		addr, who := "a port it needs", ""
		if m := listenRE.FindStringSubmatch(msg); m != nil {
			addr = m[1]
			if port, perr := strconv.Atoi(m[2]); perr == nil {
				if pid := portHolder(port); pid > 0 {
					who = fmt.Sprintf(" by pid %d%s", pid, processCommand(pid))
				}
			}
		}
		return &explained{err, fmt.Sprintf("%s is already in use%s — is another node running? Stop it, or give this home (%s) other ports in config/config.toml and config/app.toml", addr, who, home)}
	}
	return err
}

// lockHolder is the pid of a process with a lock file of home's
// databases open, or 0.
func lockHolder(home string) int {
	abs, err := filepath.Abs(home)
	if err != nil {
		return 0
	}
	prefix := filepath.Join(abs, "data") + string(filepath.Separator)
	return processWithFD(func(target string) bool {
		return strings.HasPrefix(target, prefix) && strings.HasSuffix(target, "LOCK")
	})
}

// portHolder is the pid of the process listening on TCP port, or 0.
func portHolder(port int) int {
	inodes := map[string]bool{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		file, err := os.Open(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(file)
		for sc.Scan() {
			// sl local_address rem_address st … inode
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || fields[3] != "0A" { // 0A: LISTEN
				continue
			}
			_, p, ok := strings.Cut(fields[1], ":")
			if n, err := strconv.ParseUint(p, 16, 16); ok && err == nil && int(n) == port {
				inodes["socket:["+fields[9]+"]"] = true
			}
		}
		file.Close()
	}
	if len(inodes) == 0 {
		return 0
	}
	return processWithFD(func(target string) bool { return inodes[target] })
}

// processWithFD is the first process (other than this one) with an open
// file descriptor whose target match accepts, or 0.
func processWithFD(match func(target string) bool) int {
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		fds, err := os.ReadDir(filepath.Join("/proc", p.Name(), "fd"))
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if t, err := os.Readlink(filepath.Join("/proc", p.Name(), "fd", fd.Name())); err == nil && match(t) {
				return pid
			}
		}
	}
	return 0
}

// processCommand is ": <command line>" of pid, or "".
func processCommand(pid int) string {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil || len(b) == 0 {
		return ""
	}
	args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
	if len(args) > 0 {
		args[0] = filepath.Base(args[0])
	}
	s := strings.Join(args, " ")
	if len(s) > 100 {
		s = s[:100] + "…"
	}
	return ": " + s
}
