package backup_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// These tests are here for this package's harness (a whole database),
// which restores need too: they are about the tiers' cleanup of a dropped
// table, whose directory a table created again under its name, or
// restored from a backup, writes into.

// cleanupOf is the cleanup job the drop of ns.table recorded, once ended,
// with the parameters it ran with.
type cleanupOf struct {
	job    *systable.Job
	params struct {
		DroppedAt   time.Time `json:"dropped_at"`
		Incarnation string    `json:"incarnation"`
	}
}

func droppedTablesCleanup(t *testing.T, s *server, ns, table string) *cleanupOf {
	t.Helper()
	res := s.must(fmt.Sprintf("SELECT job_id FROM system.jobs WHERE job_type = 'cleanup' AND namespace_id = '%s' AND table_name = '%s'", ns, table))
	if rows := res[0].Rows; len(rows) != 1 {
		t.Fatalf("cleanup jobs of %s.%s: %v, want one", ns, table, rows)
	}
	c := &cleanupOf{job: waitJob(t, s, res[0].Rows[0][0].(string))}
	if c.job.Status != systable.JobCompleted {
		t.Fatalf("the cleanup job %s: %s", c.job.Status, c.job.ErrorMessage)
	}
	if err := json.Unmarshal(c.job.Parameters, &c.params); err != nil {
		t.Fatal(err)
	}
	return c
}

// runAgain runs the cleanup job again, as a restart does with one a crash
// interrupted, and waits for it: the same parameters, whatever was
// written since the drop. Then dir must hold exactly the files keep, and
// query read want.
func (c *cleanupOf) runAgain(t *testing.T, s *server, dir string, keep []string, query, want string) {
	t.Helper()
	if err := s.db.Tier.Retry([]*systable.Job{c.job}); err != nil {
		t.Fatal(err)
	}
	waitAllJobs(t, s)
	got := files(t, dir)
	slices.Sort(got)
	if !slices.Equal(got, keep) {
		t.Fatalf("after the dropped table's cleanup the directory holds %v, want %v", got, keep)
	}
	if got := s.rows(query); got != want {
		t.Fatalf("the table reads:\n%s\nwant:\n%s", got, want)
	}
}

// sharedTableWithAFile creates app.cfg, a SHARED table, with two rows in
// one file, and returns the query that reads them and what it reads.
func sharedTableWithAFile(s *server) (query, want string) {
	s.t.Helper()
	s.must(`CREATE NAMESPACE app;
		CREATE TABLE app.cfg (k TEXT PRIMARY KEY, v TEXT) WITH (TYPE = 'SHARED', ACCESS_LEVEL = 'PUBLIC');
		INSERT INTO app.cfg (k, v) VALUES ('a', '1'), ('b', '2')`)
	s.mustJob("STORAGE FLUSH TABLE app.cfg")
	query = "SELECT k, v FROM app.cfg ORDER BY k"
	return query, s.rows(query)
}

// backdate sets the modification time of every file under dir to at: a
// file written right after a drop can have a time before it, file times
// being taken from a coarse clock that lags the one the drop reads.
func backdate(t *testing.T, dir string, at time.Time) []string {
	t.Helper()
	names := files(t, dir)
	for _, n := range names {
		if err := os.Chtimes(filepath.Join(dir, n), at, at); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(names)
	return names
}

// TestDroppedTablesCleanupKeepsTheRecreatedTablesFiles: a table created
// again under a dropped table's name writes into the dropped table's
// directory. The dropped table's cleanup, running after (late, or again
// after a crash), must not remove the new table's files, even those whose
// time is before the drop; it must remove the dropped table's own files,
// even one newer than the drop (a file its flush wrote and never
// committed).
func TestDroppedTablesCleanupKeepsTheRecreatedTablesFiles(t *testing.T) {
	s := newServer(t, t.TempDir())
	query, _ := sharedTableWithAFile(s)
	s.must("DROP TABLE app.cfg")
	cleanup := droppedTablesCleanup(t, s, "app", "cfg")
	dir := filepath.Join(s.dir, "storage", "app", "cfg")
	if left := files(t, dir); len(left) != 0 {
		t.Fatalf("the cleanup left %v", left)
	}

	s.must(`CREATE TABLE app.cfg (k TEXT PRIMARY KEY, v TEXT) WITH (TYPE = 'SHARED', ACCESS_LEVEL = 'PUBLIC');
		INSERT INTO app.cfg (k, v) VALUES ('c', 'new'), ('d', 'new')`)
	s.mustJob("STORAGE FLUSH TABLE app.cfg")
	want := s.rows(query)
	if want != "c new\nd new\n" {
		t.Fatalf("the new table reads %q", want)
	}
	newFiles := backdate(t, dir, cleanup.params.DroppedAt.Add(-time.Millisecond))
	if len(newFiles) != 2 { // its batch file and manifest.json
		t.Fatalf("the new table's files: %v", newFiles)
	}
	// The dropped table's file of its next batch, never committed, newer
	// than the drop.
	if len(cleanup.params.Incarnation) < 12 {
		t.Fatalf("the cleanup job does not know the dropped table's incarnation: %q", cleanup.params.Incarnation)
	}
	orphan := filepath.Join(dir, "batch-2-"+cleanup.params.Incarnation[:12]+"0f0f.parquet")
	if err := os.WriteFile(orphan, []byte("not parquet"), 0o644); err != nil {
		t.Fatal(err)
	}
	later := cleanup.params.DroppedAt.Add(time.Hour)
	if err := os.Chtimes(orphan, later, later); err != nil {
		t.Fatal(err)
	}

	cleanup.runAgain(t, s, dir, newFiles, query, want)
}

// TestDroppedTablesCleanupKeepsTheRestoredTablesFiles: a namespace
// dropped and restored from a backup of it brings its tables back under
// the same ids, and their files into the dropped tables' directories. The
// dropped tables' cleanup, running after, must not remove the restored
// files, whatever their times.
func TestDroppedTablesCleanupKeepsTheRestoredTablesFiles(t *testing.T) {
	s := newServer(t, t.TempDir())
	query, want := sharedTableWithAFile(s)
	s.mustJob("BACKUP DATABASE app TO 'b'")
	s.must("DROP NAMESPACE app CASCADE")
	cleanup := droppedTablesCleanup(t, s, "app", "cfg")

	s.mustJob("RESTORE DATABASE app FROM 'b'")
	dir := filepath.Join(s.dir, "storage", "app", "cfg")
	restored := backdate(t, dir, cleanup.params.DroppedAt.Add(-time.Millisecond))
	if len(restored) != 2 { // the restored batch file and manifest.json
		t.Fatalf("the restored table's files: %v", restored)
	}
	cleanup.runAgain(t, s, dir, restored, query, want)
}
