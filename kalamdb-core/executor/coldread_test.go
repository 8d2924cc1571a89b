package executor_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// loadRows inserts rows 1..n of c.m (id, conv = id % 20, body) as user,
// in statements of 1000 rows.
func loadRows(t *testing.T, c *caller, n int) {
	t.Helper()
	var sb strings.Builder
	for i := 1; i <= n; {
		sb.Reset()
		sb.WriteString("INSERT INTO c.m (id, conv, body) VALUES ")
		for j := 0; j < 1000 && i <= n; j, i = j+1, i+1 {
			if j > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "(%d, %d, 'message %d with some text to make the pages fill up')", i, i%20, i)
		}
		c.must(sb.String())
	}
}

// TestColdReadsOfManyRows loads 20,000 rows (a cold file of hundreds of
// pages) once for the tests that read them: loading and flushing them was
// most of each one's time. The reverse scans read the rows hot, then the
// table is flushed; the cancelled scans read the file before the reverse
// scans read it cold, since those end with a full scan that leaves every
// page cached, and a cached page is no read to cancel at. What the reverse
// scans count is cache-blind (rows decoded, pages decoded or cached).
func TestColdReadsOfManyRows(t *testing.T) {
	const n = 20_000
	e, reads, onRead := newEnvWatchingColdReads(t, engine.Limits{})
	e.root().must("CREATE NAMESPACE c; CREATE TABLE c.m (id BIGINT PRIMARY KEY, conv BIGINT, body TEXT)")
	alice := e.as("alice", systable.RoleUser)
	loadRows(t, alice, n)
	if !t.Run("ReverseScansReadOnlyWhatTheyNeedHot", func(t *testing.T) { reverseScansReadOnlyWhatTheyNeed(t, e, alice, n, false) }) {
		return
	}
	flushTable(t, e, "c.m")
	t.Run("ColdScanStopsWhenCancelled", func(t *testing.T) { coldScanStopsWhenCancelled(t, e, alice, n, reads, onRead) })
	t.Run("ReverseScansReadOnlyWhatTheyNeedCold", func(t *testing.T) { reverseScansReadOnlyWhatTheyNeed(t, e, alice, n, true) })
}

// reverseScansReadOnlyWhatTheyNeed: ORDER BY pk DESC LIMIT n reads the
// rows it returns (and the pages holding them), not the range, in either
// tier; so does the ascending scan. c.m holds rows 1..n, hot, or all in
// one cold file when cold.
func reverseScansReadOnlyWhatTheyNeed(t *testing.T, e *env, alice *caller, n int, cold bool) {
	queries := []struct{ sql, want string }{
		{"SELECT id FROM c.m ORDER BY id DESC LIMIT 5", "[[20000],[19999],[19998],[19997],[19996]]"},
		{"SELECT id FROM c.m WHERE id < 5000 ORDER BY id DESC LIMIT 3", "[[4999],[4998],[4997]]"},
		{"SELECT id, body FROM c.m ORDER BY id LIMIT 2", `[[1,"message 1 with some text to make the pages fill up"],[2,"message 2 with some text to make the pages fill up"]]`},
		{"SELECT id FROM c.m WHERE conv = 7 ORDER BY id DESC LIMIT 2", "[[19987],[19967]]"},
	}
	if !cold {
		for _, q := range queries {
			before := e.db.Engine.HotRowsRead()
			if got := alice.rows(q.sql); got != q.want {
				t.Fatalf("hot: %s: %s, want %s", q.sql, got, q.want)
			}
			// The hot iterator reads ahead in small batches (8 rows first).
			if read := e.db.Engine.HotRowsRead() - before; read > 64 {
				t.Errorf("hot: %s read %d rows of %d", q.sql, read, n)
			}
		}
		return
	}
	for _, q := range queries {
		before := e.db.Tier.ColdReadStats()
		if got := alice.rows(q.sql); got != q.want {
			t.Fatalf("cold: %s: %s, want %s", q.sql, got, q.want)
		}
		after := e.db.Tier.ColdReadStats()
		rows := after.RowsDecoded - before.RowsDecoded
		pages := after.PagesDecoded + after.PagesCached - before.PagesDecoded - before.PagesCached
		t.Logf("cold: %s: %d rows, %d pages", q.sql, rows, pages)
		if rows > 64 || pages > 24 {
			t.Errorf("cold: %s decoded %d rows and %d pages of %d rows", q.sql, rows, pages, n)
		}
	}
	// For scale: the whole range.
	before := e.db.Tier.ColdReadStats()
	alice.must("SELECT max(body) FROM c.m")
	if rows := e.db.Tier.ColdReadStats().RowsDecoded - before.RowsDecoded; rows < int64(n) {
		t.Fatalf("a full scan decoded %d rows of %d", rows, n)
	}
}

// TestColdCacheForgetsDeletedFiles: what reads cached of a file goes when
// the file does (a compaction's inputs, a dropped table's files), and a
// table created again, whose first flush writes the same batch in the same
// directory, reads its own rows, never the old file's.
func TestColdCacheForgetsDeletedFiles(t *testing.T) {
	e := &env{t: t, dir: t.TempDir(), changes: &recordingSink{}, obsoleteGrace: time.Millisecond}
	e.open()
	t.Cleanup(e.close)
	root := e.root()
	root.must("CREATE NAMESPACE c; CREATE TABLE c.t (id INT PRIMARY KEY, v TEXT)")
	a := e.as("alice", systable.RoleUser)
	a.must("INSERT INTO c.t VALUES (1, 'old one'), (2, 'old two')")
	flushTable(t, e, "c.t")
	a.must("INSERT INTO c.t VALUES (3, 'old three')")
	flushTable(t, e, "c.t")
	// The files' paths without their names' random tags: the directory
	// and batch number a table created again writes again.
	paths := func() string {
		all := regexp.MustCompile(`"path":"[^"]*"`).FindAllString(root.rows("SELECT files FROM system.manifest"), -1)
		return regexp.MustCompile(`-[0-9a-f]{16}\.parquet`).ReplaceAllString(strings.Join(all, " "), ".parquet")
	}
	oldPaths := paths()
	read := func() string {
		return a.rows("SELECT id, v FROM c.t ORDER BY id") + a.rows("SELECT v FROM c.t WHERE id = 1")
	}
	if got := read(); got != `[[1,"old one"],[2,"old two"],[3,"old three"]][["old one"]]` {
		t.Fatalf("before: %s", got)
	}
	cached := e.db.Tier.ColdCacheStats()
	if cached.Entries == 0 {
		t.Fatalf("nothing cached: %+v", cached)
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: still not done after a minute (%+v)", what, e.db.Tier.ColdCacheStats())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	// Compaction: the two files are replaced by one; once they are
	// deleted, their entries are gone.
	runJob(t, e, "STORAGE COMPACT TABLE c.t")
	waitFor("compaction's inputs invalidated", func() bool { return e.db.Tier.ColdCacheStats().Invalidated > cached.Invalidated })
	if got := read(); got != `[[1,"old one"],[2,"old two"],[3,"old three"]][["old one"]]` {
		t.Fatalf("after compaction: %s", got)
	}
	// Drop: the cleanup job deletes the files and their entries.
	inv := e.db.Tier.ColdCacheStats().Invalidated
	root.must("DROP TABLE c.t")
	waitIdle(t, e)
	if e.db.Tier.ColdCacheStats().Invalidated <= inv {
		t.Fatalf("dropped table's pages still cached: %+v", e.db.Tier.ColdCacheStats())
	}
	// The same name again: its first flush writes batch 1 again, in the
	// same directory.
	root.must("CREATE TABLE c.t (id INT PRIMARY KEY, v TEXT)")
	a.must("INSERT INTO c.t VALUES (1, 'new one'), (2, 'new two')")
	flushTable(t, e, "c.t")
	a.must("INSERT INTO c.t VALUES (3, 'new three')")
	flushTable(t, e, "c.t")
	if now := paths(); now != oldPaths {
		t.Fatalf("the new table's files are not where the old ones were: %s / %s", oldPaths, now)
	}
	if got := read(); got != `[[1,"new one"],[2,"new two"],[3,"new three"]][["new one"]]` {
		t.Fatalf("re-created table reads %s", got)
	}
}

// newEnvWatchingColdReads is newEnv with statement limits sl, counting
// the reads from cold files (reads) and calling the func() in onRead, if
// any, at each.
func newEnvWatchingColdReads(t *testing.T, sl engine.Limits) (e *env, reads *atomic.Int64, onRead *atomic.Value) {
	t.Helper()
	reads, onRead = new(atomic.Int64), new(atomic.Value)
	e = &env{t: t, dir: t.TempDir(), changes: &recordingSink{}, statementLimits: sl, faults: &cold.Faults{Read: func(string, int64, int) error {
		reads.Add(1)
		if f, ok := onRead.Load().(func()); ok && f != nil {
			f()
		}
		return nil
	}}}
	e.open()
	t.Cleanup(e.close)
	return e, reads, onRead
}

// coldScanStopsWhenCancelled: a statement cancelled in the middle of a
// cold scan stops there, fails with the cancellation, and leaves nothing
// behind (no file held open, the next statement and shutdown work). c.m
// holds rows 1..n, flushed; reads counts the reads from its files and
// onRead is called at each.
func coldScanStopsWhenCancelled(t *testing.T, e *env, alice *caller, n int, reads *atomic.Int64, onRead *atomic.Value) {
	stop := errors.New("the test cancelled the statement")
	for _, q := range []string{"SELECT id, body FROM c.m ORDER BY id DESC", "SELECT count(*), max(body) FROM c.m", "SELECT id, body FROM c.m",
		"SELECT conv, count(*), avg(length(body)) FROM c.m GROUP BY conv"} {
		ctx, cancel := context.WithCancelCause(context.Background())
		start := reads.Load()
		// Cancelled at the fourth read from the file: by then the scan is
		// past opening the file and into its pages.
		onRead.Store(func() {
			if reads.Load()-start == 4 {
				cancel(stop)
			}
		})
		_, err := e.db.Executor.Execute(ctx, executor.Request{UserID: alice.user, Role: alice.role, SQL: q})
		onRead.Store(func() {})
		cancel(nil)
		if !errors.Is(err, stop) {
			t.Fatalf("%s: %v, want the cancellation", q, err)
		}
		// The scan stopped at the cancellation: far fewer reads than a
		// whole scan (hundreds of pages).
		if n := reads.Load() - start; n > 12 {
			t.Errorf("%s: %d reads before it stopped", q, n)
		}
		e.db.Tier.ColdCacheStats() // the cache is consistent
		if got := alice.rows("SELECT count(*) FROM c.m"); got != fmt.Sprintf("[[%d]]", n) {
			t.Fatalf("after a cancelled scan: %s", got)
		}
	}
}
