package executor_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestFastPathMatchesEngine runs the same statements with the fast path
// and the plan cache on, and with both off (every statement parsed and
// planned), and requires identical results and errors, and that the fast
// path actually took the statements it is meant for. Every statement runs
// in several rounds: first with nothing cached, then cached, then after
// each of several schema changes (columns added and dropped, tables
// dropped and created again under the same name with other types), so
// that a plan compiled for one version of a table is never used for
// another.
func TestFastPathMatchesEngine(t *testing.T) {
	schema := `CREATE NAMESPACE f;
		CREATE TABLE f.t (id BIGINT PRIMARY KEY, s SMALLINT, i INT, d DOUBLE, dec DECIMAL(6,2), tx TEXT NOT NULL DEFAULT 'dflt',
			vc VARCHAR(3), ts TIMESTAMP, dt DATE, u UUID, j JSON, b BOOLEAN DEFAULT TRUE, made TIMESTAMP DEFAULT NOW());
		CREATE TABLE f.k (name TEXT PRIMARY KEY, n INT NOT NULL);
		CREATE SHARED TABLE f.sh (id INT PRIMARY KEY, v TEXT);
		CREATE TABLE f.w (id INT PRIMARY KEY, at DATETIME, u UUID, big TEXT);
		CREATE TABLE f.ix (id BIGINT PRIMARY KEY, conv BIGINT, n INT, tag TEXT);
		CREATE INDEX ix_conv_n ON f.ix (conv, n);`
	stmts := []struct {
		sql    string
		params []any
	}{
		{"INSERT INTO f.t (id, s, i, d, dec, vc, ts, dt, u, j) VALUES (1, 2, 3, 4.5, 6.25, 'abc', '2024-01-02 03:04:05.678', '2024-01-02', '0190C1A2-1111-7000-8000-0000000000AB', '{\"a\": 1}')", nil},
		{"INSERT INTO f.t VALUES (2, 1, 1, 1, 1, 'x', 'y', '2024-01-01', '2024-01-01', NULL, NULL, FALSE, '2020-01-01')", nil},
		{"INSERT INTO f.t (id, tx) VALUES ($1, $2), ($3, $4)", []any{3, "p3", 4, "p4"}},
		{"INSERT INTO f.t (id) VALUES (?)", []any{5}},
		{"INSERT INTO f.t (id, i) VALUES (6, '42')", nil},
		{"INSERT INTO f.t (id, d) VALUES (7, 10)", nil},
		{"INSERT INTO f.t (id, dec) VALUES (8, 1.234)", nil},
		{"INSERT INTO f.t (id, s) VALUES (9, 70000)", nil},
		{"INSERT INTO f.t (id, vc) VALUES (10, 'abcd')", nil},
		{"INSERT INTO f.t (id, u) VALUES (11, 'nope')", nil},
		{"INSERT INTO f.t (id, j) VALUES (12, '{bad')", nil},
		{"INSERT INTO f.t (id, dt) VALUES (13, 'yesterday')", nil},
		{"INSERT INTO f.t (id) VALUES (1)", nil},
		{"INSERT INTO f.t (id, tx) VALUES (14, NULL)", nil},
		{"INSERT INTO f.t (id, i) VALUES (15, 2.5)", nil},
		{"INSERT INTO f.t (id, tx) VALUES (16, 5)", nil},
		{"INSERT INTO f.t (id, nope) VALUES (17, 1)", nil},
		{"INSERT INTO f.t (id, i) VALUES (18)", nil},
		{"INSERT INTO f.t (id, vc, extra) VALUES ($1, $2, $3)", []any{19, "ab", "ex"}},
		{"INSERT INTO f.k VALUES ('a', 1), ('b', 2)", nil},
		{"INSERT INTO f.k VALUES ('c', 3), ('c', 4)", nil},
		{"INSERT INTO f.k (name) VALUES ('d')", nil},
		{"INSERT INTO f.k VALUES ($1, $2)", []any{"e", 5}},
		// TEXT values: valid UTF-8 kept byte for byte, invalid refused
		// (the fast path does not run the engine's string conversion).
		{"INSERT INTO f.t (tx, id) VALUES ($1, $2)", []any{"caf\u00e9 \U0001F642", 20}},
		{"INSERT INTO f.t (tx, id) VALUES ($1, $2), ($3, $4)", []any{"ok", 21, "bad \xff byte", 23}},
		{"INSERT INTO f.k (n, name) VALUES ($1, $2)", []any{6, "\xe6\x97"}},
		{"INSERT INTO f.sh VALUES (1, 'x')", nil},
		{"INSERT INTO f.sh VALUES ($1, $2)", []any{2, "y"}},
		{"SELECT * FROM f.t WHERE id = 1", nil},
		{"SELECT id, s, i, d, dec, tx, vc, ts, dt, u, j, b FROM f.t WHERE id = 2", nil},
		{"SELECT tx, id FROM f.t WHERE id = $1", []any{3}},
		{"SELECT tx AS label FROM f.t WHERE 4 = id", nil},
		{"SELECT t.tx, t.* FROM f.t t WHERE t.id = 5", nil},
		{"SELECT ID, Tx FROM f.t WHERE Id = 6", nil},
		{"SELECT id FROM f.t WHERE id = 99", nil},
		{"SELECT id FROM f.t WHERE id = '1'", nil},
		{"SELECT id FROM f.t WHERE id = 1.5", nil},
		{"SELECT * FROM f.t WHERE id = $1", []any{19}},
		{"SELECT extra, vc FROM f.t WHERE id = $1", []any{19}},
		{"SELECT n FROM f.k WHERE name = 'b'", nil},
		{"SELECT n FROM f.k WHERE name = 'B'", nil},
		{"SELECT * FROM f.k WHERE name = $1", []any{"e"}},
		{"SELECT v FROM f.sh WHERE id = 1", nil},
		{"SELECT * FROM f.sh WHERE id = $1", []any{2}},
		{"SELECT nope FROM f.t WHERE id = 1", nil},
		{"SELECT id FROM f.missing WHERE id = 1", nil},
		{"SELECT i, d, dec, vc FROM f.t WHERE id = 6", nil},
		{"SELECT i, d, dec FROM f.t WHERE id = 7", nil},
		{"SELECT dec FROM f.t WHERE id = 8", nil},
		{"SELECT _deleted FROM f.t WHERE id = 1", nil},
		{"INSERT INTO f.w VALUES (1, '2024-01-02 03:04:05', '0190C1A2-1111-7000-8000-0000000000AB', 'x')", nil},
		{"SELECT at, u FROM f.w WHERE id = 1", nil},
		{"SELECT at AS x, u AS at FROM f.w WHERE id = 1", nil},
		{"SELECT w.at AS u FROM f.w w WHERE w.id = 1", nil},
		{"SELECT count(*) FROM f.t WHERE id > $1", []any{2}},
		// Through a secondary index (ix_conv_n).
		{"INSERT INTO f.ix VALUES (1, 1, 5, 'a'), (2, 1, 3, 'b'), (3, 1, NULL, 'c'), (4, 2, 1, 'd'), (5, 1, 3, 'e'), (6, NULL, 1, 'f')", nil},
		{"SELECT id, conv, n FROM f.ix WHERE conv = 1 ORDER BY n DESC, id DESC LIMIT 2", nil},
		{"SELECT id, conv, n FROM f.ix WHERE conv = 1 ORDER BY n, id", nil},
		{"SELECT * FROM f.ix WHERE conv = $1 ORDER BY n DESC LIMIT $2", []any{1, 3}},
		{"SELECT id FROM f.ix WHERE conv = 1 AND n = 3 ORDER BY id DESC", nil},
		{"SELECT id FROM f.ix WHERE n = 3 AND conv = 1 ORDER BY conv, n, id", nil},
		{"SELECT id, tag FROM f.ix WHERE conv = 1", nil},
		{"SELECT ix.id AS k FROM f.ix ix WHERE ix.conv = 1 ORDER BY ix.n DESC LIMIT 10", nil},
		{"SELECT id FROM f.ix WHERE conv = 1 LIMIT 0", nil},
		{"SELECT id FROM f.ix WHERE conv = 99 ORDER BY n LIMIT 5", nil},
		{"SELECT id FROM f.ix WHERE conv = '1'", nil},
		{"SELECT id FROM f.ix WHERE conv = 1.5", nil},
		{"SELECT id FROM f.ix WHERE conv = NULL", nil},
		{"SELECT id FROM f.ix WHERE conv = 1 ORDER BY n NULLS FIRST, id", nil},
		{"SELECT id FROM f.ix WHERE conv = 1 ORDER BY n DESC NULLS LAST, id DESC", nil},
		{"SELECT id FROM f.ix WHERE conv = 1 ORDER BY id DESC LIMIT 2", nil},
		{"SELECT id FROM f.ix WHERE conv = 1 ORDER BY n LIMIT 2 OFFSET 1", nil},
		{"SELECT id FROM f.ix WHERE conv = 1 AND tag = 'a'", nil},
		{"SELECT nope FROM f.ix WHERE conv = 1 ORDER BY n", nil},
		{"SELECT id FROM f.ix WHERE conv = 1 LIMIT -1", nil},
	}
	// Each round starts from empty tables (the rows of the last round
	// deleted) and first applies its schema change.
	rounds := []struct{ name, ddl string }{
		{"nothing cached", ""},
		{"cached", ""},
		{"after ADD COLUMN", "ALTER TABLE f.t ADD COLUMN extra TEXT DEFAULT 'x'; ALTER TABLE f.k ADD COLUMN m INT"},
		{"cached again", ""},
		{"after DROP COLUMN", "ALTER TABLE f.t DROP COLUMN vc; ALTER TABLE f.w DROP COLUMN u"},
		{"after DROP and CREATE", `DROP TABLE f.k; CREATE TABLE f.k (name TEXT PRIMARY KEY, n TEXT NOT NULL);
			DROP SHARED TABLE f.sh; CREATE SHARED TABLE f.sh (id TEXT PRIMARY KEY, v INT);
			DROP TABLE f.w; CREATE TABLE f.w (id INT PRIMARY KEY, at DATETIME, u UUID, big TEXT)`},
		{"after DROP and CREATE as before", `DROP TABLE f.k; CREATE TABLE f.k (name TEXT PRIMARY KEY, n INT NOT NULL);
			DROP SHARED TABLE f.sh; CREATE SHARED TABLE f.sh (id INT PRIMARY KEY, v TEXT)`},
		{"cached at the end", ""},
	}
	const clear = "DELETE FROM f.t; DELETE FROM f.k; DELETE FROM f.w; DELETE FROM f.ix"
	type roundResult struct {
		out                     []string
		fastHits                int64
		cacheHits, fastCompiles int64
	}
	run := func(slow bool) []roundResult {
		e := newEnvWith(t, slow)
		e.root().must(schema)
		alice := e.as("alice", systable.RoleUser)
		var out []roundResult
		for i, r := range rounds {
			if i > 0 {
				e.root().must("DELETE FROM f.sh")
				alice.must(clear)
			}
			if r.ddl != "" {
				e.root().must(r.ddl)
			}
			before, statsBefore := e.db.Engine.FastPathStatements(), e.db.Engine.PlanCacheStats()
			var rr roundResult
			for _, st := range stmts {
				res, err := alice.exec(st.sql, st.params...)
				rr.out = append(rr.out, describe(res, err))
			}
			stats := e.db.Engine.PlanCacheStats()
			rr.fastHits = e.db.Engine.FastPathStatements() - before
			rr.cacheHits, rr.fastCompiles = stats.Hits-statsBefore.Hits, stats.FastCompiles-statsBefore.FastCompiles
			out = append(out, rr)
		}
		return out
	}
	fast := run(false)
	slow := run(true)
	for ri, r := range rounds {
		if slow[ri].fastHits != 0 || slow[ri].cacheHits != 0 {
			t.Fatalf("%s: the reference run used the fast path (%d) or the cache (%d)", r.name, slow[ri].fastHits, slow[ri].cacheHits)
		}
		for i := range stmts {
			if fast[ri].out[i] != slow[ri].out[i] {
				t.Errorf("%s: %s\n fast: %s\n slow: %s", r.name, stmts[i].sql, fast[ri].out[i], slow[ri].out[i])
			}
		}
		t.Logf("%s: fast path took %d of %d statements; %d cache hits, %d fast-path compiles", r.name,
			fast[ri].fastHits, len(stmts), fast[ri].cacheHits, fast[ri].fastCompiles)
		if fast[ri].fastHits < 15 {
			t.Errorf("%s: the fast path took only %d statements", r.name, fast[ri].fastHits)
		}
	}
	// Nothing cached at first; afterwards every statement is found, but
	// for the one that fails to translate (LIMIT -1): failed translations
	// are not cached. One more is refused before it is compiled (a VALUES
	// row shorter than its column list).
	cacheable := int64(len(stmts) - 1)
	if c := fast[0]; c.cacheHits != 0 || c.fastCompiles != cacheable-1 {
		t.Errorf("first round: %d cache hits, %d compiles; want 0 and %d", c.cacheHits, c.fastCompiles, cacheable-1)
	}
	for _, ri := range []int{1, 3, 7} {
		if c := fast[ri]; c.cacheHits != cacheable || c.fastCompiles != 0 {
			t.Errorf("%s: %d cache hits, %d compiles; want %d and 0", rounds[ri].name, c.cacheHits, c.fastCompiles, cacheable)
		}
	}
	// Before any schema change, 32 statements by primary key or INSERT,
	// 9 through the secondary index.
	for _, ri := range []int{0, 1} {
		if c := fast[ri]; c.fastHits < 41 {
			t.Errorf("%s: the fast path took only %d statements", rounds[ri].name, c.fastHits)
		}
	}
	// A schema change recompiles the plans of the changed tables only.
	for _, ri := range []int{2, 4, 5, 6} {
		if c := fast[ri]; c.fastCompiles == 0 || c.fastCompiles == int64(len(stmts)) {
			t.Errorf("%s: %d of %d plans compiled again; want those of the changed tables", rounds[ri].name, c.fastCompiles, len(stmts))
		}
	}
}

// describe renders a result or error for comparison, leaving out what is
// different on every run (_seq, NOW(), messages of errors).
func describe(res []executor.Result, err error) string {
	if err != nil {
		return "error " + string(apierror.CodeOf(err))
	}
	type col struct{ Name, Type string }
	var shape []col
	rows := res[0].Rows
	var keep []int
	for i, c := range res[0].Schema {
		if c.Name == "_seq" || c.Name == "made" {
			continue
		}
		keep = append(keep, i)
		shape = append(shape, col{c.Name, c.DataType})
	}
	var vals [][]any
	for _, r := range rows {
		var v []any
		for _, i := range keep {
			v = append(v, r[i])
		}
		vals = append(vals, v)
	}
	raw, _ := json.Marshal(map[string]any{"schema": shape, "rows": vals, "count": res[0].RowCount})
	return string(raw)
}

// TestFastPathKeepsThePartitionBinding: a caller whose user id cannot
// name a partition (it could reach into another's key range) is refused
// by a primary-key lookup as by any query, and the lookup does not take
// the fast path around the check.
func TestFastPathKeepsThePartitionBinding(t *testing.T) {
	for _, slow := range []bool{false, true} {
		e := newEnvWith(t, slow)
		e.root().must(`CREATE NAMESPACE f; CREATE TABLE f.k (name TEXT PRIMARY KEY, n INT NOT NULL)`)
		bad := e.as("alice\x00x", systable.RoleUser)
		before := e.db.Engine.FastPathStatements()
		for _, q := range []string{"SELECT n FROM f.k WHERE name = 'a'", "SELECT n FROM f.k"} {
			if _, err := bad.exec(q); err == nil || !strings.Contains(err.Error(), "partition of") {
				t.Errorf("slow=%v %s: %v", slow, q, err)
			}
		}
		if n := e.db.Engine.FastPathStatements() - before; n != 0 {
			t.Errorf("slow=%v: the fast path answered %d lookups of a bad partition", slow, n)
		}
	}
}

// TestFastPathRealConstantNotExact: an indexed REAL column equals a number
// only when the REAL holds it exactly (compared as doubles, as without the
// index); the fast path must not read the key the number rounds to.
func TestFastPathRealConstantNotExact(t *testing.T) {
	for _, slow := range []bool{false, true} {
		e := newEnvWith(t, slow)
		e.root().must(`CREATE NAMESPACE f; CREATE TABLE f.re (id BIGINT PRIMARY KEY, r REAL); CREATE INDEX re_r ON f.re (r)`)
		alice := e.as("alice", systable.RoleUser)
		alice.must(`INSERT INTO f.re VALUES (1, 0.1), (2, 16777217), (3, 3.4e38), (4, 0.5)`)
		cases := []struct {
			sql    string
			params []any
			want   int
		}{
			{"SELECT id FROM f.re WHERE r = 0.1", nil, 0},
			{"SELECT id FROM f.re WHERE r = 16777217", nil, 0},
			{"SELECT id FROM f.re WHERE r = 3.4e38", nil, 0},
			{"SELECT id FROM f.re WHERE r = $1", []any{0.1}, 0},
			{"SELECT id FROM f.re WHERE r = $1", []any{16777217}, 0},
			{"SELECT id FROM f.re WHERE r = 0.5", nil, 1},
			{"SELECT id FROM f.re WHERE r = $1", []any{16777216}, 1},
		}
		for _, c := range cases {
			res := alice.must(c.sql, c.params...)
			if got := len(res[0].Rows); got != c.want {
				t.Errorf("slow=%v %s %v: %d rows %v, want %d", slow, c.sql, c.params, got, res[0].Rows, c.want)
			}
		}
	}
}
