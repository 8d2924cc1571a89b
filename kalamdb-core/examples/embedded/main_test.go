package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestEmbeddedProgram builds the example and runs it as a user would:
// each run opens the database afresh, so notes must survive between runs,
// and each user lists only their own.
func TestEmbeddedProgram(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "embedded")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("build: %v", err)
	}
	data := t.TempDir()
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, append([]string{"-data", data}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("embedded %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run("-user", "alice", "add", "buy milk")
	run("-user", "bob", "add", "fix bike")
	run("-user", "alice", "add", "call mum")
	if got := run("-user", "alice", "list"); got != "buy milk\ncall mum\n" {
		t.Fatalf("alice's notes: %q", got)
	}
	if got := run("-user", "bob", "list"); got != "fix bike\n" {
		t.Fatalf("bob's notes: %q", got)
	}
	out, err := exec.Command(bin, "-data", data, "-user", "alice", "shout").CombinedOutput()
	if err == nil || !strings.Contains(string(out), `unknown command "shout"`) {
		t.Fatalf("a bad command: %v %s", err, out)
	}
}
