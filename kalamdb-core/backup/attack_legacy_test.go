package backup_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestTableFromBeforeIncarnationsAcrossTheUpgrade: a table created before
// incarnations were recorded (no incarnation in its metadata; its files'
// tags are random) goes on being flushed and compacted after the upgrade
// under its derived incarnation, across restarts (the drop gate compares
// it), and its drop removes every file its manifest lists, of both
// kinds, and what it wrote since, while a table created again under its
// name keeps its files when the cleanup runs again.
func TestTableFromBeforeIncarnationsAcrossTheUpgrade(t *testing.T) {
	s := newServer(t, t.TempDir())
	query, _ := sharedTableWithAFile(s)
	dir := filepath.Join(s.dir, "storage", "app", "cfg")

	// Make it a table from before incarnations: its metadata without
	// one (its file's tag then names no incarnation it has).
	metas, err := systable.Open(s.kv, systable.Tables)
	if err != nil {
		t.Fatal(err)
	}
	m, err := metas.Get(systable.TableID("app", "cfg"))
	if err != nil {
		t.Fatal(err)
	}
	recorded := m.Incarnation
	m.Incarnation = ""
	if err := metas.Put(m); err != nil {
		t.Fatal(err)
	}
	// An orphan of a flush that died before the upgrade: a random tag,
	// never listed, the partition's next batch.
	legacyOrphan := "batch-2-00112233445566ff.parquet"
	if err := os.WriteFile(filepath.Join(dir, legacyOrphan), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.close()
	s.open()
	tbl, _ := s.db.Catalog.Snapshot().Table("app", "cfg")
	derived := tbl.Incarnation()
	if derived == recorded || tbl.Meta.Incarnation != "" {
		t.Fatalf("derived %s, recorded %s", derived, recorded)
	}
	s.must("INSERT INTO app.cfg (k, v) VALUES ('c', '3')")
	s.mustJob("STORAGE FLUSH TABLE app.cfg") // removes the orphan (unlisted, numbered up to next batch)
	s.close()
	s.open()
	s.must("INSERT INTO app.cfg (k, v) VALUES ('d', '4')")
	s.mustJob("STORAGE FLUSH TABLE app.cfg")
	if j := s.mustJob("STORAGE COMPACT TABLE app.cfg"); j.Status != systable.JobCompleted {
		t.Fatalf("compaction: %s %s", j.Status, j.ErrorMessage)
	}
	if got := s.rows(query); got != "a 1\nb 2\nc 3\nd 4\n" {
		t.Fatalf("the table reads %q", got)
	}
	// The files the compaction replaced are removed after it, on a
	// goroutine of their own: once that is done, every file is of the
	// derived incarnation.
	s.obsoleteRemoved()
	for _, f := range files(t, dir) {
		if strings.HasPrefix(f, "batch-") && !strings.Contains(f, "-"+derived) {
			t.Fatalf("after the upgrade a file not of the derived incarnation %s is left: %v", derived, files(t, dir))
		}
	}

	s.must("DROP TABLE app.cfg")
	cleanup := droppedTablesCleanup(t, s, "app", "cfg")
	if cleanup.params.Incarnation != derived {
		t.Fatalf("the cleanup goes by %q, the table wrote as %q", cleanup.params.Incarnation, derived)
	}
	if left := files(t, dir); len(left) != 0 {
		t.Fatalf("the dropped table's cleanup left %v", left)
	}
	s.must(`CREATE TABLE app.cfg (k TEXT PRIMARY KEY, v TEXT) WITH (TYPE = 'SHARED', ACCESS_LEVEL = 'PUBLIC');
		INSERT INTO app.cfg (k, v) VALUES ('n', 'new')`)
	s.mustJob("STORAGE FLUSH TABLE app.cfg")
	keep := backdate(t, dir, cleanup.params.DroppedAt.Add(-time.Millisecond))
	slices.Sort(keep)
	cleanup.runAgain(t, s, dir, keep, query, "n new\n")
}

// TestCrashedRestoresOrphanGoesWithTheTable: a server killed while a
// restore copies Parquet files leaves files no manifest lists, tagged
// with the incarnation the restore had chosen, which no table ever gets
// (the restore is not committed). Before incarnations the cleanup of the
// table later dropped under that name removed them (older than the drop,
// numbered up to its last batch); it must still not leave them for ever,
// with the directory they keep.
func TestCrashedRestoresOrphanGoesWithTheTable(t *testing.T) {
	s := newServer(t, t.TempDir())
	dir := filepath.Join(s.dir, "storage", "app", "cfg")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// What the killed restore left: batch 1 under the incarnation it chose.
	orphan := filepath.Join(dir, "batch-1-a1b2c3d4e5f60123.parquet")
	if err := os.WriteFile(orphan, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	long := time.Now().Add(-time.Hour)
	if err := os.Chtimes(orphan, long, long); err != nil {
		t.Fatal(err)
	}
	s.must(`CREATE NAMESPACE app;
		CREATE TABLE app.cfg (k TEXT PRIMARY KEY, v TEXT) WITH (TYPE = 'SHARED', ACCESS_LEVEL = 'PUBLIC');
		DROP TABLE app.cfg`)
	droppedTablesCleanup(t, s, "app", "cfg")
	if left, err := os.ReadDir(dir); err == nil {
		var names []string
		for _, e := range left {
			names = append(names, e.Name())
		}
		t.Fatalf("the dropped table's cleanup left %v in %s for ever", names, dir)
	}
}

// TestDroppedTablesCleanupKeepsARestoresFilesBeforeItCommits: the cleanup
// of a dropped table removes the files of other incarnations only when no
// table of its id can own them: not while a restore of the namespace has
// copied files it has not committed yet.
func TestDroppedTablesCleanupKeepsARestoresFilesBeforeItCommits(t *testing.T) {
	stop := newStopAt("copied")
	var armed atomic.Bool // the restore's copies, not the first table's flush
	faults := &cold.Faults{AfterRename: func(p string) error {
		if armed.Load() && strings.HasPrefix(p, "app/cfg/batch-") {
			stop.hit("copied")
		}
		return nil
	}}
	s := &server{t: t, dir: t.TempDir(), backupRoot: t.TempDir(), storageFaults: faults}
	s.open()
	t.Cleanup(s.close)
	t.Cleanup(stop.let)
	query, want := sharedTableWithAFile(s)
	s.mustJob("BACKUP DATABASE app TO 'b'")
	s.must("DROP NAMESPACE app CASCADE")
	cleanup := droppedTablesCleanup(t, s, "app", "cfg")

	armed.Store(true)
	restore := s.must("RESTORE DATABASE app FROM 'b'")[0].Rows[0][0].(string)
	<-stop.reached // the restored file is there, not yet listed by any manifest
	if err := s.db.Tier.Retry([]*systable.Job{cleanup.job}); err != nil {
		t.Fatal(err)
	}
	for _, r := range s.must("SELECT job_id FROM system.jobs WHERE job_type = 'cleanup'")[0].Rows {
		waitJob(t, s, r[0].(string))
	}
	stop.let()
	if j := waitJob(t, s, restore); j.Status != systable.JobCompleted {
		t.Fatalf("restore: %s %s", j.Status, j.ErrorMessage)
	}
	if got := s.rows(query); got != want {
		t.Fatalf("restored rows:\n%s\nwant:\n%s", got, want)
	}
}
