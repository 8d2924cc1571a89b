package executor_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestIndexRowCacheMatchesPlainPath: reads through a secondary index, which
// take the row versions their entries name from the engine's row cache
// once a read has fetched them, give the rows a table without the index
// gives while the cached versions go stale: rows whose text changes but
// whose index columns do not (same entry key, new _seq), deleted rows, a
// key deleted and inserted again, rows flushed to Parquet (the cached hot
// version is the flushed one), cold rows updated hot, rows moved to another
// conversation, rows read cold first, a column dropped and added again.
// With the default cache, and with one so small it evicts
// all the time. The repeated reads hit the cache (the counters say so), and
// DROP TABLE empties it.
func TestIndexRowCacheMatchesPlainPath(t *testing.T) {
	slowParallel(t)
	for _, size := range []int64{0, 16 << 10} {
		t.Run(fmt.Sprintf("bytes=%d", size), func(t *testing.T) {
			t.Parallel() // each has its own environment
			e := &env{t: t, dir: t.TempDir(), rowCacheBytes: size, changes: &recordingSink{}}
			e.open()
			t.Cleanup(e.close)
			root := e.root()
			root.must(`CREATE NAMESPACE ns;
				CREATE TABLE ns.ci (id BIGINT PRIMARY KEY, conv BIGINT, body TEXT);
				CREATE TABLE ns.cr (id BIGINT PRIMARY KEY, conv BIGINT, body TEXT)`)
			createIndex(t, e, "CREATE INDEX ci_conv_id ON ns.ci (conv, id)")
			alice := e.as("alice", systable.RoleUser)
			bob := e.as("bob", systable.RoleUser)
			both := func(c *caller, stmt string) { t.Helper(); onEach(c, stmt, "ns.ci", "ns.cr") }
			insert := func(c *caller, from, to int) {
				t.Helper()
				var sb strings.Builder
				for id := from; id < to; id++ {
					if sb.Len() > 0 {
						sb.WriteString(", ")
					}
					fmt.Fprintf(&sb, "(%d, %d, 'm%d %s')", id, id%5, id, c.user)
				}
				both(c, "INSERT INTO $T (id, conv, body) VALUES "+sb.String())
			}
			queries := []string{
				"SELECT id, conv, body FROM $T WHERE conv = $1 ORDER BY id DESC LIMIT $2",
				"SELECT id, conv, body FROM $T WHERE conv = $1 ORDER BY id LIMIT $2",
				"SELECT body FROM $T WHERE conv = $1 ORDER BY id DESC LIMIT $2",
			}
			check := func(stage string) {
				t.Helper()
				for _, c := range []*caller{alice, bob} {
					for conv := 0; conv < 6; conv++ {
						for _, q := range queries {
							for _, limit := range []int{1, 50, 1000} {
								// The plain table has no index, so no
								// cached versions: read once.
								want := c.rows(strings.ReplaceAll(q, "$T", "ns.cr"), conv, limit)
								// Twice: the second read takes what the
								// first put in the cache.
								for range 2 {
									got := c.rows(strings.ReplaceAll(q, "$T", "ns.ci"), conv, limit)
									if got != want {
										t.Fatalf("%s, %s, %s, conv %d, limit %d:\nindexed %.300s\nplain   %.300s", stage, c.user, q, conv, limit, got, want)
									}
								}
							}
						}
					}
				}
			}
			insert(alice, 1, 400)
			insert(bob, 1, 120)
			check("hot")
			hits := e.db.Engine.RowCacheStats().Hits
			if size == 0 && hits == 0 {
				t.Fatal("repeated reads through the index never hit the row cache")
			}
			both(alice, "UPDATE $T SET body = body || ' edited' WHERE id % 3 = 0")
			check("text updated")
			both(alice, "DELETE FROM $T WHERE id % 7 = 0")
			both(alice, "DELETE FROM $T WHERE id = 40")
			both(alice, "INSERT INTO $T (id, conv, body) VALUES (40, 0, 'written again')")
			check("deleted and written again")
			for _, tbl := range []string{"ns.ci", "ns.cr"} {
				runJob(t, e, "STORAGE FLUSH TABLE "+tbl)
			}
			check("cold")
			both(alice, "UPDATE $T SET body = body || ' again' WHERE id % 4 = 0")
			both(bob, "UPDATE $T SET conv = 5 WHERE id % 6 = 0")
			check("cold rows updated hot")
			insert(alice, 400, 500)
			check("hot over cold")
			for _, tbl := range []string{"ns.ci", "ns.cr"} {
				runJob(t, e, "STORAGE FLUSH TABLE "+tbl)
			}
			both(alice, "DELETE FROM $T WHERE conv = 2")
			check("flushed again, a conversation deleted")
			// Rows flushed before any read (so read cold first, and kept as
			// the values a cold read projected), under a column that is then
			// dropped and added again under the same name: the same column
			// positions, another table version, another column.
			both(root, "ALTER TABLE $T ADD COLUMN note TEXT DEFAULT 'first'")
			var sb strings.Builder
			for id := 500; id < 600; id++ {
				if sb.Len() > 0 {
					sb.WriteString(", ")
				}
				fmt.Fprintf(&sb, "(%d, %d, 'm%d', 'n%d')", id, id%5, id, id)
			}
			both(alice, "INSERT INTO $T (id, conv, body, note) VALUES "+sb.String())
			for _, tbl := range []string{"ns.ci", "ns.cr"} {
				runJob(t, e, "STORAGE FLUSH TABLE "+tbl)
			}
			// First, so that after the ALTERs it meets the versions the
			// same column positions cached under the old table version.
			queries = append([]string{"SELECT id, conv, body, note FROM $T WHERE conv = $1 ORDER BY id DESC LIMIT $2"}, queries...)
			check("cold, never read hot, a column added")
			both(root, "ALTER TABLE $T DROP COLUMN note")
			both(root, "ALTER TABLE $T ADD COLUMN note TEXT DEFAULT 'second'")
			check("the column dropped and added again")
			st := e.db.Engine.RowCacheStats()
			if size == 0 && (st.Hits <= hits || st.Versions == 0) {
				t.Fatalf("the row cache was not used after the first stage: %+v", st)
			}
			if size > 0 && st.Bytes > size {
				t.Fatalf("the row cache holds %d bytes, bound %d", st.Bytes, size)
			}
			root.must("DROP TABLE ns.ci")
			if st := e.db.Engine.RowCacheStats(); st.Versions != 0 || st.Bytes != 0 {
				t.Fatalf("a dropped table's versions are still cached: %+v", st)
			}
		})
	}
}

// TestIndexReadsConcurrentMatchPlainPath: index reads running at the same
// time, on the fast path and through the planner, each recycling the
// engine's and the store's read buffers (backward windows, batch buffers,
// iterator buffers) and assembling their rows in shared allocations, give
// every reader the rows a table without the index gives: no buffer is
// used by two statements at once, and no row shares values with another
// (-race). The texts are long enough that a backward window spans more
// than one of the iterator's batches.
func TestIndexReadsConcurrentMatchPlainPath(t *testing.T) {
	_, alice := indexedAndPlain(t, "id BIGINT PRIMARY KEY, conv BIGINT, body TEXT, created_at TIMESTAMP")
	for from := 1; from < 1200; from += 200 {
		var sb strings.Builder
		for id := from; id < from+200; id++ {
			if sb.Len() > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "(%d, %d, '%s', '2024-03-%02d 10:%02d:%02d')", id, id%6, strings.Repeat(string(rune('a'+id%26)), 20+id*7%400),
				1+id%28, id/60%60, id%60)
		}
		for _, tbl := range []string{"ns.ci", "ns.cr"} {
			alice.must("INSERT INTO " + tbl + " (id, conv, body, created_at) VALUES " + sb.String())
		}
	}
	queries := []string{
		"SELECT id, conv, body, created_at FROM $T WHERE conv = $1 ORDER BY id DESC LIMIT 50",
		"SELECT body, id FROM $T WHERE conv = $1 ORDER BY id DESC LIMIT 7",
		// Not a fast-path select list: the planner reads the index.
		"SELECT id, upper(body), created_at FROM $T WHERE conv = $1 ORDER BY id DESC LIMIT 30",
	}
	answer := func(q string, conv int) (string, error) {
		res, err := alice.exec(q, conv)
		if err != nil {
			return "", err
		}
		raw, err := json.Marshal(res[0].Rows)
		return string(raw), err
	}
	want := map[string]string{}
	for _, q := range queries {
		for conv := range 6 {
			w, err := answer(strings.ReplaceAll(q, "$T", "ns.cr"), conv)
			if err != nil {
				t.Fatal(err)
			}
			want[fmt.Sprint(q, conv)] = w
		}
	}
	concurrently(t, 4, 150, func(r, n int) error {
		q, conv := queries[(r+n)%len(queries)], (r*7+n)%6
		got, err := answer(strings.ReplaceAll(q, "$T", "ns.ci"), conv)
		if err == nil && got != want[fmt.Sprint(q, conv)] {
			err = fmt.Errorf("reader %d, read %d, %s, conv %d:\nindexed %.300s\nplain   %.300s", r, n, q, conv, got, want[fmt.Sprint(q, conv)])
		}
		return err
	})
}

// indexedAndPlain creates two USER tables of the given columns, ns.ci
// with an index on (conv, id) and ns.cr without, and returns the
// environment and a user to write and read them.
func indexedAndPlain(t *testing.T, columns string) (*env, *caller) {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), changes: &recordingSink{}}
	e.open()
	t.Cleanup(e.close)
	e.root().must("CREATE NAMESPACE ns; CREATE USER TABLE ns.ci (" + columns + "); CREATE USER TABLE ns.cr (" + columns + ")")
	createIndex(t, e, "CREATE INDEX ci_conv_id ON ns.ci (conv, id)")
	return e, e.as("alice", systable.RoleUser)
}

// concurrently runs read(r, n) for n < rounds in each of readers
// goroutines r, a reader stopping at its first error, and fails the test
// with the errors.
func concurrently(t *testing.T, readers, rounds int, read func(r, n int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, readers)
	for r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range rounds {
				if err := read(r, n); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
