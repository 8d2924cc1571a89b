//go:build !linux

package cli

import "golang.org/x/term"

// echoOff turns the terminal's echo off and returns how to restore it.
// Elsewhere than on Linux the raw mode of x/term stands in: it also turns
// off line editing, which a password does not need.
func echoOff(fd int) (restore func(), err error) {
	old, err := term.MakeRaw(fd)
	if err != nil {
		return nil, err
	}
	return func() { _ = term.Restore(fd, old) }, nil
}
