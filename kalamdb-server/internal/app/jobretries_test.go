package app

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/jobs"
	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
)

// The config cannot import the core for its default: it must say the
// same as the core's, which a Config without the setting gets.
func TestDefaultJobMaxStartRetriesIsTheCores(t *testing.T) {
	if got := config.Default().Storage.JobMaxStartRetries; got != jobs.DefaultMaxStartRetries {
		t.Fatalf("storage.job_max_start_retries defaults to %d, the core to %d", got, jobs.DefaultMaxStartRetries)
	}
}
