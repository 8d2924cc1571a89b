package apierror

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Input repeated in a message is cut at MaxEchoRunes characters, marked
// with "…": a megabyte user name must not come back as a megabyte error.
// Short arguments, numbers and durations are left as they are.
func TestEchoedInputIsClipped(t *testing.T) {
	huge := strings.Repeat("é", 1<<20)
	for name, e := range map[string]*Error{
		"string":  New(NotFound, "user %s does not exist", huge),
		"quoted":  New(NotFound, "user %q does not exist", huge),
		"bytes":   New(InvalidInput, "value %s", []byte(huge)),
		"error":   New(InvalidInput, "bad: %v", errors.New(huge)),
		"wrapped": Wrap(InvalidInput, errors.New("cause"), "invalid JSON: "+huge),
	} {
		if n := utf8.RuneCountInString(e.Message); n > MaxMessageRunes+1 {
			t.Errorf("%s: %d characters", name, n)
		}
		if !strings.Contains(e.Message, "éé…") || !utf8.ValidString(e.Message) {
			t.Errorf("%s: not marked as cut: %.80q", name, e.Message)
		}
	}
	e := New(NotFound, "user %q does not exist", strings.Repeat("a", 1000))
	if want := `user "` + strings.Repeat("a", MaxEchoRunes) + `…" does not exist`; e.Message != want {
		t.Errorf("clipped argument: %q", e.Message)
	}
	e = New(RateLimitExceeded, "user %s: %d connections, retry in %s", "alice", 64, 3*time.Second)
	if e.Message != "user alice: 64 connections, retry in 3s" {
		t.Errorf("short arguments changed: %q", e.Message)
	}
	if got := Clip(strings.Repeat("x", MaxEchoRunes)); got != strings.Repeat("x", MaxEchoRunes) {
		t.Errorf("Clip at the limit: %d", len(got))
	}
}
