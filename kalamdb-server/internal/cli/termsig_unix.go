//go:build linux || darwin || freebsd || netbsd || openbsd

package cli

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// setTerminalSignals turns on or off the terminal's ISIG: whether a Ctrl-C
// typed on it is turned into SIGINT or read as the key (byte 3). Nothing
// else of the mode changes, and input already typed is kept.
func setTerminalSignals(fd int, on bool) error {
	t, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		return fmt.Errorf("read the terminal mode: %w", err)
	}
	if on == (t.Lflag&unix.ISIG != 0) {
		return nil
	}
	if on {
		t.Lflag |= unix.ISIG
	} else {
		t.Lflag &^= unix.ISIG
	}
	if err := unix.IoctlSetTermios(fd, ioctlSetTermios, t); err != nil {
		return fmt.Errorf("set the terminal mode: %w", err)
	}
	return nil
}
