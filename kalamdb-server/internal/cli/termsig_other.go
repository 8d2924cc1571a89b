//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package cli

// setTerminalSignals does nothing where the terminal's mode has no ioctls
// here: Ctrl-C between two prompts stays what the terminal makes of it.
func setTerminalSignals(fd int, on bool) error { return nil }
