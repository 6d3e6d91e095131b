//go:build !unix

package chaos

import (
	"errors"
	"os"
	"syscall"
)

func childAttr() *syscall.SysProcAttr { return nil }

// pauseProcess is not available without SIGSTOP.
func pauseProcess(*os.Process, bool) error {
	return errors.New("pausing a process needs SIGSTOP (Unix only)")
}
