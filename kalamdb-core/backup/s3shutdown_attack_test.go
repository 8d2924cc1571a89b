package backup_test

import (
	"strings"
	"testing"
)

// TestDroppedTablesCleanupSurvivesAGracefulRestart: a dropped USER
// table's cleanup is a chain of bounded runs, which for a table of many
// users on s3 lasts long enough to meet a deploy. The docs say a restart
// retries the chain where it was; a graceful shutdown (Stop) marks the
// running run and its queued hand-on cancelled, and a restart retries
// only jobs left queued or running, so the chain ends there for good and
// the dropped table's files stay in the bucket, no job left to remove
// them.
func TestDroppedTablesCleanupSurvivesAGracefulRestart(t *testing.T) {
	store, s, bucket := boundedCleanupOnS3(t)
	userTableOnS3(t, s, bucket, "u1", "u2", "u3")
	// The cleanup reads each partition's manifest.json head: hold it there.
	stall := make(chan struct{})
	store.stallGets.Store(&stall)
	s.must("DROP TABLE app.msgs")
	<-store.arrived
	s.close() // a graceful shutdown, as a deploy does
	store.stallGets.Store(nil)
	close(stall)
	s.open()
	for range 4 {
		waitAllJobs(t, s)
	}
	if left := s3Files(t, bucket, "."); len(left) != 0 {
		t.Fatalf("after a graceful restart during the drop's cleanup, jobs %s, and the bucket keeps %d files of the dropped table",
			strings.TrimSpace(s.rows("SELECT job_id, status FROM system.jobs WHERE job_type = 'cleanup'")), len(left))
	}
}
