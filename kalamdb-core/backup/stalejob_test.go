package backup_test

import (
	"context"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tier"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// stopAt stops the first job that reaches a failpoint until let is called.
type stopAt struct {
	point   string
	once    sync.Once
	reached chan struct{}
	release chan struct{}
	letOnce sync.Once
}

func newStopAt(point string) *stopAt {
	return &stopAt{point: point, reached: make(chan struct{}), release: make(chan struct{})}
}

func (s *stopAt) hit(point string) {
	if point != s.point {
		return
	}
	first := false
	s.once.Do(func() { first = true; close(s.reached) })
	if first {
		<-s.release
	}
}

func (s *stopAt) let() { s.letOnce.Do(func() { close(s.release) }) }

// waitJob waits for job id to end and returns it.
func waitJob(t *testing.T, s *server, id string) *systable.Job {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	j, err := s.db.Jobs.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// waitAllJobs waits for every job in system.jobs to end.
func waitAllJobs(t *testing.T, s *server) {
	t.Helper()
	for _, r := range s.must("SELECT job_id FROM system.jobs")[0].Rows {
		waitJob(t, s, r[0].(string))
	}
}

// TestStaleCompactionDoesNotOverwriteRestoredFile: a compaction of a table
// chooses its merged file's name from the partition's manifest, then
// writes it. Meanwhile the namespace is dropped and restored from a
// backup of another history of the table, whose files have the names the
// compaction chose. The stale compaction must not write over a restored
// file (it fails at its commit and removes its own file): the restored
// table reads exactly the backup's rows, and its directory holds exactly
// the files its manifest lists.
func TestStaleCompactionDoesNotOverwriteRestoredFile(t *testing.T) {
	root := t.TempDir()
	stop := newStopAt(tier.FailCompactBeforeWrite)
	s := &server{t: t, dir: t.TempDir(), backupRoot: root, failpoint: stop.hit}
	s.open()
	t.Cleanup(s.close)
	t.Cleanup(stop.let)

	create := `CREATE NAMESPACE app;
		CREATE TABLE app.cfg (k TEXT PRIMARY KEY, v TEXT) WITH (TYPE = 'SHARED', ACCESS_LEVEL = 'PUBLIC')`
	// The backed up history: four files.
	s.must(create)
	for i := 1; i <= 4; i++ {
		s.must(fmt.Sprintf("INSERT INTO app.cfg (k, v) VALUES ('b%d', 'backup')", i))
		s.mustJob("STORAGE FLUSH TABLE app.cfg")
	}
	const query = "SELECT k, v FROM app.cfg ORDER BY k"
	want := s.rows(query)
	s.mustJob("BACKUP DATABASE app TO 'h1'")
	s.must("DROP NAMESPACE app CASCADE")

	// Another history of the table: three files, so its compaction writes
	// the partition's fourth batch.
	s.must(create)
	for i := 1; i <= 3; i++ {
		s.must(fmt.Sprintf("INSERT INTO app.cfg (k, v) VALUES ('s%d', 'stale')", i))
		s.mustJob("STORAGE FLUSH TABLE app.cfg")
	}
	res := s.must("STORAGE COMPACT TABLE app.cfg")
	compaction := res[0].Rows[0][0].(string)
	<-stop.reached // the merged file is named, not written

	s.must("DROP NAMESPACE app CASCADE")
	s.mustJob("RESTORE DATABASE app FROM 'h1'")
	stop.let()
	if j := waitJob(t, s, compaction); j.Status != systable.JobFailed {
		t.Fatalf("the stale compaction %s (%s), want failed", j.Status, j.ErrorMessage)
	}
	waitAllJobs(t, s) // the dropped tables' cleanup jobs too

	if got := s.rows(query); got != want {
		t.Fatalf("restored rows:\n%s\nwant the backup's:\n%s", got, want)
	}
	mf, err := s.db.Tier.Manifest(nil, systable.TableID("app", "cfg"))
	if err != nil || mf == nil {
		t.Fatalf("restored manifest: %v %v", mf, err)
	}
	wantFiles := []string{"manifest.json"}
	dir := ""
	for _, f := range mf.Files {
		dir = path.Dir(f.Path)
		wantFiles = append(wantFiles, path.Base(f.Path))
	}
	slices.Sort(wantFiles)
	got := files(t, filepath.Join(s.dir, "storage", filepath.FromSlash(dir)))
	slices.Sort(got)
	if !slices.Equal(got, wantFiles) {
		t.Fatalf("the restored table's directory holds %v, want %v (its manifest's files)", got, wantFiles)
	}
}

// TestRestoreRacingDroppedTablesCleanup: a restore of a backup right after
// the drop of the table it was taken from copies the backup's files into
// the directory the dropped table's cleanup job is emptying. The job
// removes a file only if it is older than the drop, but it checks, then
// removes: a restored file written under the name it checked, between
// the two, was removed, and the restored table lost it. The restored
// table must read exactly the backup's rows.
func TestRestoreRacingDroppedTablesCleanup(t *testing.T) {
	root := t.TempDir()
	stop := newStopAt("remove")
	faults := &cold.Faults{BeforeRemove: func(p string) error {
		if strings.HasPrefix(p, "app/cfg/batch-") {
			stop.hit("remove") // the first: the cleanup's, its check done
		}
		return nil
	}}
	s := &server{t: t, dir: t.TempDir(), backupRoot: root, storageFaults: faults}
	s.open()
	t.Cleanup(s.close)
	t.Cleanup(stop.let)

	query, want := sharedTableWithAFile(s)
	s.mustJob("BACKUP DATABASE app TO 'b'")

	s.must("DROP NAMESPACE app CASCADE")
	<-stop.reached // the cleanup found the dropped table's file older than the drop
	s.mustJob("RESTORE DATABASE app FROM 'b'")
	stop.let()
	waitAllJobs(t, s)
	if got := s.rows(query); got != want {
		t.Fatalf("restored rows:\n%s\nwant the backup's:\n%s", got, want)
	}
}
