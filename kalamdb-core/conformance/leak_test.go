package conformance_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when any of them leaves a goroutine
// running after it ends: every goroutine a test starts, directly or through
// the code under test, must be gone once the tests return.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
