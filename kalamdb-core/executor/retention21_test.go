package executor_test

import (
	"encoding/json"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// DELETED_RETENTION_HOURS = 0 is accepted (the parser allows 0) and means
// what it says: a compaction drops every soft-deleted row. It used to be
// stored as "not set", so compactions kept deleted rows for the default
// seven days, and lowering a table's retention from 48 to 0 raised it.
func TestDeletedRetentionZeroPurgesAtOnce(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE n`)
	purged := func(table string) int64 {
		t.Helper()
		for _, id := range []string{"1", "2", "3"} {
			root.must(`INSERT INTO n.` + table + ` (id, v) VALUES (` + id + `, 'x')`)
		}
		runJob(t, e, "STORAGE FLUSH TABLE n."+table)
		root.must(`DELETE FROM n.` + table + ` WHERE id = 2`)
		runJob(t, e, "STORAGE FLUSH TABLE n."+table)
		j := runJob(t, e, "STORAGE COMPACT TABLE n."+table)
		var res struct {
			Purged int64 `json:"deleted_rows_purged"`
		}
		if err := json.Unmarshal([]byte(j.Result), &res); err != nil {
			t.Fatalf("%s: result %q: %v", table, j.Result, err)
		}
		if got := root.rows(`SELECT id FROM n.` + table + ` ORDER BY id`); got != `[[1],[3]]` {
			t.Fatalf("%s: rows after compaction: %s", table, got)
		}
		return res.Purged
	}
	root.must(`CREATE TABLE n.zero (id BIGINT PRIMARY KEY, v TEXT) WITH (TYPE = 'SHARED', DELETED_RETENTION_HOURS = 0)`)
	if got := purged("zero"); got != 1 {
		t.Errorf("DELETED_RETENTION_HOURS = 0: %d deleted rows purged, want 1", got)
	}
	root.must(`CREATE TABLE n.lowered (id BIGINT PRIMARY KEY, v TEXT) WITH (TYPE = 'SHARED', DELETED_RETENTION_HOURS = 48)`)
	root.must(`ALTER TABLE n.lowered SET TBLPROPERTIES (DELETED_RETENTION_HOURS = 0)`)
	if got := purged("lowered"); got != 1 {
		t.Errorf("retention lowered from 48 to 0: %d deleted rows purged, want 1", got)
	}
	root.must(`CREATE TABLE n.dflt (id BIGINT PRIMARY KEY, v TEXT) WITH (TYPE = 'SHARED')`)
	if got := purged("dflt"); got != 0 {
		t.Errorf("default retention (7 days): %d deleted rows purged, want 0", got)
	}
	// A century at most: past it the duration overflowed, and a retention
	// wrapped negative purged every deleted row, a TTL hid every event.
	root.fails(apierror.InvalidSQL, `CREATE TABLE n.huge (id BIGINT PRIMARY KEY) WITH (TYPE = 'SHARED', DELETED_RETENTION_HOURS = 3000000)`)
	root.fails(apierror.InvalidSQL, `ALTER TABLE n.zero SET TBLPROPERTIES (DELETED_RETENTION_HOURS = 9223372036854775807)`)
	root.fails(apierror.InvalidSQL, `CREATE TABLE n.ev (id BIGINT PRIMARY KEY) WITH (TYPE = 'STREAM', TTL_SECONDS = 9300000000)`)
	root.must(`CREATE TABLE n.ev (id BIGINT PRIMARY KEY) WITH (TYPE = 'STREAM', TTL_SECONDS = 3153600000)`)
	if got := root.rows(`SELECT table_name, deleted_retention_hours FROM system.tables WHERE namespace_id = 'n' AND table_name <> 'ev' ORDER BY table_name`); got != `[["dflt",null],["lowered",0],["zero",0]]` {
		t.Errorf("system.tables: %s", got)
	}
}
