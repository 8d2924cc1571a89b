package executor_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestModifyRealToDoubleWidensExactly: after MODIFY COLUMN from REAL to
// DOUBLE, rows written before it read as the exact double of their REAL
// (0.1::real is 0.10000000149011612, as PostgreSQL's ALTER COLUMN TYPE
// float8 gives), hot and cold, so comparisons agree with and without an
// index (the index keys were always widened exactly). Expected answers
// are PostgreSQL 15's.
func TestModifyRealToDoubleWidensExactly(t *testing.T) {
	e := newEnv(t)
	e.root().must(`CREATE NAMESPACE app;
		CREATE TABLE app.wr (id BIGINT PRIMARY KEY, r REAL);
		CREATE TABLE app.wd (id BIGINT PRIMARY KEY, r REAL)`)
	createIndex(t, e, "CREATE INDEX wd_r ON app.wd (r)")
	alice := e.as("alice", systable.RoleUser)
	for _, tbl := range []string{"wr", "wd"} {
		alice.must("INSERT INTO app." + tbl + " VALUES (1, '0.1'), (2, 0.5)")
		flushTable(t, e, "app."+tbl)
		alice.must("INSERT INTO app." + tbl + " VALUES (3, '0.1')")
		e.root().must("ALTER TABLE app." + tbl + " MODIFY COLUMN r DOUBLE")
		alice.must("INSERT INTO app." + tbl + " VALUES (4, 0.1)")
	}
	for _, tbl := range []string{"wr", "wd"} {
		for q, want := range map[string]string{
			"SELECT id, r FROM app." + tbl + " ORDER BY id":                                           `[[1,0.10000000149011612],[2,0.5],[3,0.10000000149011612],[4,0.1]]`,
			"SELECT id FROM app." + tbl + " WHERE r > 0.1 AND r < 0.11 ORDER BY id":                   `[[1],[3]]`,
			"SELECT id FROM app." + tbl + " WHERE r = 0.1 ORDER BY id":                                `[[4]]`,
			"SELECT id FROM app." + tbl + " WHERE r = '0.1' ORDER BY id":                              `[[4]]`,
			"SELECT id FROM app." + tbl + " WHERE r = 0.10000000149011612 ORDER BY id":                `[[1],[3]]`,
			"SELECT id FROM app." + tbl + " WHERE r = 0.10000000149011612 AND id + 0 > 0 ORDER BY id": `[[1],[3]]`,
			"SELECT r, count(*) FROM app." + tbl + " GROUP BY r ORDER BY r":                           `[[0.1,1],[0.10000000149011612,2],[0.5,1]]`,
		} {
			if got := alice.rows(q); got != want {
				t.Errorf("%s\n got  %s\n want %s", q, got, want)
			}
		}
	}
}
