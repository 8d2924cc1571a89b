package backup_test

import (
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/tier"
)

// TestAJobThatKillsTheServerIsNotRetriedForever: a job whose work kills
// the process (here a flush dying before it writes its file; in life a
// crash in the store's C code, an out-of-memory kill on a huge partition)
// is left running, so each start runs it again, and dies again. A retry
// that is not bounded is a crash loop no statement can end: KILL JOB
// needs the server up, and the job starts with it. A bounded retry ends
// the loop within a few starts.
func TestAJobThatKillsTheServerIsNotRetriedForever(t *testing.T) {
	died := make(chan struct{}, 1)
	var armed atomic.Bool
	s := &server{t: t, dir: t.TempDir(), backupRoot: t.TempDir()}
	s.failpoint = func(p string) {
		if p == tier.FailFlushBeforeWrite && armed.Load() {
			died <- struct{}{}
			runtime.Goexit() // the process is gone: nothing after this point runs
		}
	}
	s.open()
	t.Cleanup(s.close)
	query, want := sharedTableWithAFile(s) // its flush ran before the job went bad
	s.must("INSERT INTO app.cfg (k, v) VALUES ('c', '3')")
	want += "c 3\n"
	armed.Store(true)
	s.must("STORAGE FLUSH TABLE app.cfg")
	<-died
	const starts = 5
	for i := 1; i <= starts; i++ {
		s.close()
		s.open()
		if s.rows("SELECT count(*) FROM system.jobs WHERE job_type = 'flush' AND status IN ('queued', 'running')") == "0\n" {
			// Not run again: the loop ended.
			if got := s.rows(query); got != want {
				t.Fatalf("after the loop the table reads:\n%s\nwant:\n%s", got, want)
			}
			return
		}
		<-died
	}
	t.Skipf("BUG (medium: a crash loop only a hand edit of the store ends): after %d starts the flush that kills the server is still run again at every start; jobs:\n%s",
		starts, s.rows("SELECT job_id, status, error_message FROM system.jobs WHERE job_type = 'flush' ORDER BY created_at"))
}
