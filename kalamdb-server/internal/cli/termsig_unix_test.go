//go:build linux || darwin || freebsd || netbsd || openbsd

package cli

import (
	"os"
	"testing"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// TestSetTerminalSignals switches ISIG on a pseudo-terminal and checks
// that nothing else of its mode changes.
func TestSetTerminalSignals(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	fd := int(tty.Fd())
	before, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		t.Fatal(err)
	}
	if before.Lflag&unix.ISIG == 0 {
		t.Fatal("a new pseudo-terminal has ISIG off")
	}
	for _, on := range []bool{false, false, true, true} {
		if err := setTerminalSignals(fd, on); err != nil {
			t.Fatalf("setTerminalSignals(%v): %v", on, err)
		}
		got, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
		if err != nil {
			t.Fatal(err)
		}
		if (got.Lflag&unix.ISIG != 0) != on {
			t.Fatalf("setTerminalSignals(%v): Lflag %#x", on, got.Lflag)
		}
		want := *before
		if !on {
			want.Lflag &^= unix.ISIG
		}
		if *got != want {
			t.Fatalf("setTerminalSignals(%v) changed more than ISIG: %+v, want %+v", on, *got, want)
		}
	}
}

func TestSetTerminalSignalsNotATerminal(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if err := setTerminalSignals(int(r.Fd()), false); err == nil {
		t.Fatal("no error on a pipe")
	}
}
