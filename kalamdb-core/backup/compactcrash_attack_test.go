package backup_test

import (
	"fmt"
	"path"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/tier"
)

// strayFiles are the batch files under the storage's app directory that
// no manifest of app lists.
func strayFiles(t *testing.T, s *server) []string {
	t.Helper()
	var listed strings.Builder
	for _, r := range s.must("SELECT files FROM system.manifest WHERE namespace_id = 'app'")[0].Rows {
		fmt.Fprintf(&listed, "%s\n", r[0])
	}
	var stray []string
	for _, f := range files(t, s.dir+"/storage/app") {
		if strings.HasSuffix(f, ".parquet") && !strings.Contains(listed.String(), path.Base(f)) {
			stray = append(stray, f)
		}
	}
	return stray
}

// TestCompactionKilledAfterItsWriteIsRedoneWithoutStrays: a compaction
// whose process dies once its merged file is durable, before the
// manifest names it, is run again at the next start. The table reads its
// rows exactly once, and once the retry is done (and the obsolete files'
// grace is over) no batch file is left that no manifest lists: neither
// the dead compaction's merged file nor the inputs the retry replaced.
func TestCompactionKilledAfterItsWriteIsRedoneWithoutStrays(t *testing.T) {
	died := make(chan struct{}, 1)
	var armed atomic.Bool
	s := &server{t: t, dir: t.TempDir(), backupRoot: t.TempDir()}
	s.failpoint = func(p string) {
		if p == tier.FailCompactAfterWrite && armed.CompareAndSwap(true, false) {
			died <- struct{}{}
			runtime.Goexit() // the process is gone: nothing after this point runs
		}
	}
	s.open()
	t.Cleanup(s.close)
	query, _ := sharedTableWithAFile(s)
	s.must("INSERT INTO app.cfg (k, v) VALUES ('c', '3'); UPDATE app.cfg SET v = '4' WHERE k = 'a'")
	s.mustJob("STORAGE FLUSH TABLE app.cfg")
	want := s.rows(query)
	armed.Store(true)
	s.must("STORAGE COMPACT TABLE app.cfg")
	<-died
	s.close()
	s.open()
	waitAllJobs(t, s)
	if got := s.rows(query); got != want {
		t.Fatalf("after the retried compaction the table reads:\n%s\nwant:\n%s", got, want)
	}
	// The dead compaction's merged file, listed by no manifest, goes at a
	// later write of the partition; the inputs the retry replaced go
	// after their grace, on a goroutine of their own, which the next
	// write leaves alone (they await removal): wait for it.
	s.must("INSERT INTO app.cfg (k, v) VALUES ('d', '5')")
	s.mustJob("STORAGE FLUSH TABLE app.cfg")
	waitAllJobs(t, s)
	s.obsoleteRemoved()
	if stray := strayFiles(t, s); len(stray) > 0 {
		t.Fatalf("batch files no manifest lists stay: %v; jobs:\n%s", stray,
			s.rows("SELECT job_id, job_type, status, error_message FROM system.jobs ORDER BY created_at"))
	}
}
