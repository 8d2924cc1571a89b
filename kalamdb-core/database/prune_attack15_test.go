package database_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/database"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/jobs"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// openStarted opens and starts a database over a fresh directory; it is
// closed with the test.
func openStarted(t *testing.T) (*database.Database, *kv.DB) {
	t.Helper()
	dir := t.TempDir()
	store, err := kv.Open(filepath.Join(dir, "rocksdb"), kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	db, err := database.Open(store, database.Config{StorageDir: filepath.Join(dir, "storage"), BcryptCost: 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db, store
}

func mustSQL(t *testing.T, db *database.Database, sql string) {
	t.Helper()
	if _, err := db.Executor.Execute(context.Background(), executor.Request{UserID: "root", Role: systable.RoleSystem, SQL: sql}); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// TestAttack15PruneForgetsTheGivenUpFlushOfADroppedTable: history
// pruning keeps a table's latest given-up flush whatever its age, as the
// hold of the table's flush policy, "until a newer one of its type makes
// it prunable". A dropped table has no policy to hold and never gets a
// newer flush: its given-up row (and its compaction's) is kept for good,
// one per table ever dropped after a give-up, read by every start and
// every SELECT on system.jobs. (A table created again under the name is
// not held by it either: holdGivenUp skips jobs older than the table.)
func TestAttack15PruneForgetsTheGivenUpFlushOfADroppedTable(t *testing.T) {
	db, store := openStarted(t)
	mustSQL(t, db, `CREATE NAMESPACE app;
		CREATE TABLE app.gone (k TEXT PRIMARY KEY, v TEXT) WITH (TYPE = 'SHARED', ACCESS_LEVEL = 'PUBLIC')`)
	// What a start that gave up the table's flush recorded, 30 days ago
	// (written as EndInterrupted writes it).
	tbl, err := systable.Open(store, systable.Jobs)
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-30 * 24 * time.Hour).UTC()
	given := &systable.Job{JobID: "flush-givenup", JobType: jobs.TypeFlush, NamespaceID: "app", TableName: "gone",
		Status: systable.JobFailed, Crashes: jobs.DefaultMaxStartRetries, CreatedAt: old, StartedAt: old, FinishedAt: old,
		ErrorMessage: "interrupted 3 times in a row by a crash (each start ran it again): not run again; ..."}
	// Control: an old ended job of no hold, which the prune deletes.
	done := &systable.Job{JobID: "flush-done", JobType: jobs.TypeFlush, NamespaceID: "app", TableName: "other",
		Status: systable.JobCompleted, CreatedAt: old, StartedAt: old, FinishedAt: old}
	for _, j := range []*systable.Job{given, done} {
		if err := tbl.Put(j); err != nil {
			t.Fatal(err)
		}
	}
	mustSQL(t, db, "DROP TABLE app.gone")
	if _, err := db.Jobs.PruneHistory(); err != nil {
		t.Fatal(err)
	}
	if _, err := tbl.Get(done.JobID); err == nil {
		t.Fatal("control: an old completed flush was not pruned")
	}
	if _, err := tbl.Get(given.JobID); err == nil {
		t.Fatal("the given-up flush of a dropped table, 30 days old, survives history pruning: it holds nothing and no newer flush will ever come")
	}
}

// TestPruneKeepsTheGivenUpFlushOfATableUntilItsDrop: the given-up flush
// of a table that exists (and is not newer than the job) still holds it
// past its retention; the table's drop makes it prunable.
func TestPruneKeepsTheGivenUpFlushOfATableUntilItsDrop(t *testing.T) {
	db, store := openStarted(t)
	mustSQL(t, db, `CREATE NAMESPACE app;
		CREATE TABLE app.held (k TEXT PRIMARY KEY, v TEXT) WITH (TYPE = 'SHARED', ACCESS_LEVEL = 'PUBLIC')`)
	tbl, err := systable.Open(store, systable.Jobs)
	if err != nil {
		t.Fatal(err)
	}
	// Created after the table; ended (given up) past the retention: the
	// clock of the test cannot go back, so the job's end is set old.
	created := time.Now().UTC()
	old := created.Add(-30 * 24 * time.Hour)
	given := &systable.Job{JobID: "flush-held", JobType: jobs.TypeFlush, NamespaceID: "app", TableName: "held",
		Status: systable.JobFailed, Crashes: jobs.DefaultMaxStartRetries, CreatedAt: created, StartedAt: created, FinishedAt: old,
		ErrorMessage: "interrupted 3 times in a row by a crash (each start ran it again): not run again; ..."}
	if err := tbl.Put(given); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Jobs.PruneHistory(); err != nil {
		t.Fatal(err)
	}
	if _, err := tbl.Get(given.JobID); err != nil {
		t.Fatalf("the given-up flush of a table that exists was pruned: %v", err)
	}
	mustSQL(t, db, "DROP TABLE app.held")
	if _, err := db.Jobs.PruneHistory(); err != nil {
		t.Fatal(err)
	}
	if _, err := tbl.Get(given.JobID); err == nil {
		t.Fatal("the given-up flush of a dropped table survives history pruning")
	}
}
