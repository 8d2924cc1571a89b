package backup_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/jobs"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// crashedInto rewrites, with the server down, job j's row as a crash
// leaves it (running, crashes the count before the crash) and its
// chain's file list as files, as a crash in the run leaves them.
func crashedInto(t *testing.T, s *server, j *systable.Job, crashes int, files []string) {
	t.Helper()
	store, err := kv.Open(s.dir+"/rocksdb", kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	tbl, err := systable.Open(store, systable.Jobs)
	if err != nil {
		t.Fatal(err)
	}
	row := *j
	row.Status, row.Crashes, row.ErrorMessage, row.Result = systable.JobRunning, crashes, "", nil
	if err := tbl.Put(&row); err != nil {
		t.Fatal(err)
	}
	cf, err := store.ColumnFamily("system_cleanup_files")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(files)
	if err != nil {
		t.Fatal(err)
	}
	if err := cf.Put([]byte(listRef(t, j)+"/0000000000"), raw); err != nil {
		t.Fatal(err)
	}
}

// TestAttackGivenUpCleanupContinuationSaysWhichFilesStay: a dropped
// table's cleanup continuation whose run killed the server at the bound
// is given up, its message saying which files stay where, to remove by
// hand. The untagged files its manifests listed are known only from the
// chain's file list, which a restart sweeps once no job reads it: after
// the next restart the given-up job's row must still say which they
// are, or nobody can tell them from a newer table's files.
func TestAttackGivenUpCleanupContinuationSaysWhichFilesStay(t *testing.T) {
	_, s, bucket := boundedCleanupOnS3(t)
	userTableOnS3(t, s, bucket, "u1", "u2", "u3", "u4", "u5")
	s.must("DROP TABLE app.msgs")
	_, chain := cleanupChain(t, s)
	listed := []string{"app/msgs/u4/batch-1.parquet", "app/msgs/u5/batch-1.parquet"}
	s.close()
	crashedInto(t, s, chain[1], jobs.DefaultMaxStartRetries-1, listed)
	s.open() // the start that gives it up
	s.close()
	s.open() // and the next, which sweeps the lists no job reads
	row := waitJob(t, s, chain[1].JobID)
	if row.Status != systable.JobFailed || !strings.Contains(row.ErrorMessage, "not run again") {
		t.Fatalf("the continuation was not given up: %s %q", row.Status, row.ErrorMessage)
	}
	var p struct {
		Files []string `json:"files"`
	}
	if err := json.Unmarshal(row.Parameters, &p); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Files, listed) {
		t.Errorf("the given-up job's parameters name the files %q, want the listed %q (its list: %q)", p.Files, listed, cleanupLists(t, s))
	}
	if !strings.Contains(row.ErrorMessage, "the 2 files its manifests listed (this job's parameters, files)") {
		t.Errorf("the message does not say the listed files stay, and where they are named: %q", row.ErrorMessage)
	}
	if left := cleanupLists(t, s); len(left) != 0 {
		t.Errorf("the given-up chain's list stays in the store: %q", left)
	}
}
