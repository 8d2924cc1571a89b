package executor_test

import (
	"encoding/json"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// Values past the bound that CREATE and ALTER now enforce, stored by an
// older version (rewritten below the catalog here), are read as the
// bound (a century), never as what the nanoseconds wrap to. Before, each
// of them lost data:
//   - DELETED_RETENTION_HOURS = 3000000 wrapped to about -2.1M hours, so
//     the next compaction purged every deleted row;
//   - TTL_SECONDS = 9300000000 wrapped to about -290 years, so reads hid
//     every event as expired;
//   - TTL_SECONDS = 9300000000000000 wrapped, in the sweeper's
//     milliseconds, to a cut about 290 million years ahead, so the next
//     sweep deleted every event.
func TestStoredDurationsPastBoundKeepData(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE n`)
	root.must(`CREATE TABLE n.keep (id BIGINT PRIMARY KEY, v TEXT) WITH (TYPE = 'SHARED', DELETED_RETENTION_HOURS = 48)`)
	root.must(`INSERT INTO n.keep (id, v) VALUES (1, 'a'), (2, 'b'), (3, 'c')`)
	runJob(t, e, "STORAGE FLUSH TABLE n.keep")
	root.must(`DELETE FROM n.keep WHERE id = 2`)
	runJob(t, e, "STORAGE FLUSH TABLE n.keep")
	root.must(`CREATE TABLE n.shown (id BIGINT PRIMARY KEY) WITH (TYPE = 'STREAM', TTL_SECONDS = 3600)`)
	root.must(`CREATE TABLE n.swept (id BIGINT PRIMARY KEY) WITH (TYPE = 'STREAM', TTL_SECONDS = 3600)`)
	for _, tbl := range []string{"shown", "swept"} {
		root.must(`INSERT INTO n.` + tbl + ` (id) VALUES (1), (2), (3)`)
	}

	rewriteSystemRow(t, e, systable.Tables, "n:keep", func(m *systable.TableMeta) {
		h := int64(3_000_000)
		m.DeletedRetentionHrs = &h
	})
	rewriteSystemRow(t, e, systable.Tables, "n:shown", func(m *systable.TableMeta) { m.TTLSeconds = 9_300_000_000 })
	rewriteSystemRow(t, e, systable.Tables, "n:swept", func(m *systable.TableMeta) { m.TTLSeconds = 9_300_000_000_000_000 })
	root = e.root()

	j := runJob(t, e, "STORAGE COMPACT TABLE n.keep")
	var res struct {
		Purged int64 `json:"deleted_rows_purged"`
	}
	if err := json.Unmarshal([]byte(j.Result), &res); err != nil {
		t.Fatalf("compact result %q: %v", j.Result, err)
	}
	if res.Purged != 0 {
		t.Errorf("DELETED_RETENTION_HOURS = 3000000: compaction purged %d deleted rows, want 0", res.Purged)
	}
	if got := root.rows(`SELECT count(*) FROM n.shown`); got != `[[3]]` {
		t.Errorf("TTL_SECONDS = 9300000000: %s events read, want 3", got)
	}
	if err := e.db.Streams.SweepOnce(); err != nil {
		t.Fatal(err)
	}
	root.must(`INSERT INTO n.swept (id) VALUES (4)`)
	for tbl, want := range map[string]string{"shown": `[[3]]`, "swept": `[[4]]`} {
		if got := root.rows(`SELECT count(*) FROM n.` + tbl); got != want {
			t.Errorf("%s after a sweep: %s events, want %s", tbl, got, want)
		}
	}
	// The stored values stay what they were (system.tables shows them):
	// an ALTER of the table is how its owner brings them in range.
	if got := root.rows(`SELECT table_name, deleted_retention_hours, ttl_seconds FROM system.tables WHERE namespace_id = 'n' ORDER BY table_name`); got != `[["keep",3000000,null],["shown",null,9300000000],["swept",null,9300000000000000]]` {
		t.Errorf("system.tables: %s", got)
	}
}
