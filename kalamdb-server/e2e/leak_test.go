package e2e_test

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain closes the package's shared fake object store and removes the
// programs the tests built, then fails the tests when any of them left a
// goroutine running: the servers run as processes, but every client,
// socket and helper a test starts here must be gone once the tests return.
func TestMain(m *testing.M) {
	code := m.Run()
	removeBuiltCommands()
	if s3Fake != nil {
		s3Fake.srv.Close()
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goroutines left running after the tests: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}
