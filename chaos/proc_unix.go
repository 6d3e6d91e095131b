//go:build unix

package chaos

import (
	"os"
	"syscall"
)

// pauseProcess stops (SIGSTOP) or continues (SIGCONT) a process.
func pauseProcess(p *os.Process, stop bool) error {
	if stop {
		return p.Signal(syscall.SIGSTOP)
	}
	return p.Signal(syscall.SIGCONT)
}
