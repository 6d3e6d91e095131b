//go:build unix && !linux

package chaos

import "syscall"

// childAttr puts a node in its own process group. Without Linux's
// parent-death signal, a driver killed with SIGKILL leaves its nodes
// running.
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
