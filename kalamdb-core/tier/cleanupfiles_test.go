package tier

import (
	"fmt"
	"slices"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/jobs"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// listRig is a Manager with a jobs manager, for the cleanup files lists.
func listRig(t *testing.T) *Manager {
	t.Helper()
	m := newManifestRig(t).m
	jm, _, err := jobs.Open(m.db, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m.jobs = jm
	return m
}

// putList writes a list of n paths as ref, over several rows.
func putList(t *testing.T, m *Manager, ref string, n int) {
	t.Helper()
	files := make([]string, n)
	for i := range files {
		files[i] = fmt.Sprintf("app/t/u%d/batch-1.parquet", i)
	}
	var b kv.Batch
	if err := m.putCleanupFiles(&b, ref, files); err != nil {
		t.Fatal(err)
	}
	if err := m.db.Write(&b); err != nil {
		t.Fatal(err)
	}
}

func cleanupJob(t *testing.T, id, ref string) *systable.Job {
	t.Helper()
	raw := fmt.Sprintf(`{"storage_id":"s","files_ref":%q,"files_count":2500}`, ref)
	return &systable.Job{JobID: id, JobType: jobs.TypeCleanup, NamespaceID: "app", TableName: "t", Parameters: []byte(raw)}
}

// TestSweepFileListsKeepsOnlyListsAJobWillRead: at a restart every list
// goes but those a retried interrupted job, or a queued or running one
// (a row written with the list), carries: a killed chain's, a superseded
// job's and an unreferenced one's are deleted, each of several rows.
func TestSweepFileListsKeepsOnlyListsAJobWillRead(t *testing.T) {
	m := listRig(t)
	for _, ref := range []string{"app.t@1@queued", "app.t@2@retried", "app.t@3@superseded", "app.t@4@killed", "app.t@5@nobody"} {
		putList(t, m, ref, 2*cleanupFilesChunk+500)
	}
	// A continuation recorded queued (as continueCleanup records it, in
	// the batch of its list), not launched.
	var b kv.Batch
	if _, err := m.jobs.Prepare(&b, jobs.Spec{Type: jobs.TypeCleanup, NamespaceID: "app", TableName: "t",
		Parameters: cleanupParams{StorageID: "s", FilesRef: "app.t@1@queued", FilesCount: 2500}}); err != nil {
		t.Fatal(err)
	}
	if err := m.db.Write(&b); err != nil {
		t.Fatal(err)
	}
	interrupted := []*systable.Job{cleanupJob(t, "j2", "app.t@2@retried"), cleanupJob(t, "j3", "app.t@3@superseded")}
	if err := m.sweepFileLists(interrupted, map[string]bool{"j3": true}); err != nil {
		t.Fatal(err)
	}
	refs, err := m.cleanupFileRefs()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"app.t@1@queued", "app.t@2@retried"}; !slices.Equal(refs, want) {
		t.Fatalf("lists after the sweep: %q, want %q", refs, want)
	}
	for _, ref := range refs {
		if files, bad, err := m.loadCleanupFiles(ref); err != nil || bad != 0 || len(files) != 2*cleanupFilesChunk+500 {
			t.Errorf("list %s after the sweep: %d files, %d bad rows, %v", ref, len(files), bad, err)
		}
	}
}

// TestLoadCleanupFilesSkipsRowsThatDoNotDecode: a torn row is left out
// and counted; the other rows are read.
func TestLoadCleanupFilesSkipsRowsThatDoNotDecode(t *testing.T) {
	m := listRig(t)
	putList(t, m, "app.t@1@x", 2*cleanupFilesChunk+500)
	cf, err := m.db.ColumnFamily(cleanupFilesFamily)
	if err != nil {
		t.Fatal(err)
	}
	if err := cf.Put([]byte("app.t@1@x/0000000001"), []byte(`["app/t/u1/batch-1.parq`)); err != nil {
		t.Fatal(err)
	}
	files, bad, err := m.loadCleanupFiles("app.t@1@x")
	if err != nil || bad != 1 || len(files) != cleanupFilesChunk+500 {
		t.Fatalf("%d files, %d bad rows, %v; want %d files, 1 bad row", len(files), bad, err, cleanupFilesChunk+500)
	}
}
