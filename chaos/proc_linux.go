package chaos

import "syscall"

// childAttr puts a node in its own process group (a Ctrl-C in the
// terminal reaches the driver, which then kills the nodes itself) and has
// the kernel kill it if the driver dies without cleaning up.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
