package executor_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// TestBigParam21Bounded: a large parameter costs a few copies of it in
// the shapes the twentieth session left above that: DISTINCT and the set
// operations hashed each row by printing it (70 MB for SELECT DISTINCT of
// 8 MB over 3 rows); an index lookup planned by the engine converted and
// encoded the value per bound of its range (about 13 copies at run
// time); a text typed by a JSON column was printed whole as a JSON
// document by the planner.
func TestBigParam21Bounded(t *testing.T) {
	e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{Timeout: engine.Timeouts{Default: 24 * time.Hour}})
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE TABLE app.t (id BIGINT PRIMARY KEY, v TEXT, w TEXT, j JSON);
		CREATE INDEX t_w ON app.t (w);
		CREATE TABLE app.k (k TEXT PRIMARY KEY, n BIGINT);
		INSERT INTO app.t VALUES (1, 'a', 'a', '1'), (2, 'b', 'b', '2'), (3, 'c', 'c', '3');
		INSERT INTO app.k VALUES ('a', 1)`)
	// The bound counts copies of the value, and a shape makes as many at
	// 1, 2 or 8 MB (within 0.1 of a value; the statement's own
	// allocations are ~50 KB), while under the race detector each copy
	// costs time in proportion to the value. 1.5 MB, with half a value
	// of slack as 8 MB had, bounds the same copies in a fifth of the
	// time, and stays above every size that changes the value's path
	// (the 1 MB repeated-parameter refusal, the 16 KB large literal, the
	// row cache's 512 KB entries).
	const size = 3 << 19
	big := strings.Repeat("x", size)
	bigJSON := `"` + big + `"`
	shapes := []struct {
		name, sql string
		param     string
		// copies bounds the allocation in copies of the value: as bound,
		// as planned, and the answer's when it holds the value.
		copies uint64
	}{
		{"DISTINCT", "SELECT DISTINCT $1 FROM app.t", big, 4},
		// One reference each: a second would be refused (paramrefs).
		{"UNION", "SELECT $1 AS x FROM app.t UNION SELECT v FROM app.t", big, 4},
		{"INTERSECT", "SELECT x FROM (SELECT $1 AS x FROM app.t) s INTERSECT ALL SELECT v FROM app.t", big, 4},
		{"EXCEPT", "SELECT x FROM (SELECT $1 AS x FROM app.t) s EXCEPT SELECT v FROM app.t", big, 4},
		{"GROUP BY $1", "SELECT count(*) FROM app.t GROUP BY $1", big, 3},
		// The value as bound and as the planner's literal, its index key
		// and the two bounds of the id range after it (one more under
		// -race).
		{"index lookup, planned", "SELECT id FROM app.t WHERE w = $1 AND id > 0", big, 6},
		{"primary key lookup, planned", "SELECT n FROM app.k WHERE k = $1 AND n > 0", big, 5},
		// Bound, decoded as JSON (the text read and the document's).
		{"JSON column compared", "SELECT id FROM app.t WHERE j = $1", bigJSON, 5},
		// The engine printed the JSON document an IN list typed (11
		// copies).
		{"JSON IN list", "SELECT id FROM app.t WHERE j IN ($1, '1')", bigJSON, 5},
	}
	for _, s := range shapes {
		warm := "warm"
		if s.param == bigJSON {
			warm = `"warm"`
		}
		root.must(s.sql, warm)
		got := allocatedBy(func() { root.must(s.sql, s.param) })
		t.Logf("%s: %.1f MB for a %.1f MB parameter", s.name, mb(got), mb(size))
		if bound := s.copies*size + size/2; got > bound {
			t.Errorf("%s: %.1f MB allocated for one reference to %.1f MB, want at most %.1f MB",
				s.name, mb(got), mb(size), mb(bound))
		}
	}
	// The answers of those shapes.
	for q, want := range map[string]string{
		"SELECT length(x) FROM (SELECT DISTINCT $1 AS x FROM app.t) s":                                            fmt.Sprintf("[[%d]]", size),
		"SELECT count(*) FROM (SELECT $1 AS x FROM app.t UNION SELECT v FROM app.t) s":                            `[[4]]`,
		"SELECT count(*) FROM (SELECT x FROM (SELECT $1 AS x FROM app.t) s INTERSECT ALL SELECT v FROM app.t) s2": `[[0]]`,
		"SELECT count(*) FROM (SELECT x FROM (SELECT $1 AS x FROM app.t) s EXCEPT ALL SELECT v FROM app.t) s2":    `[[3]]`,
		"SELECT count(*) FROM (SELECT x FROM (SELECT $1 AS x FROM app.t) s EXCEPT SELECT v FROM app.t) s2":        `[[1]]`,
		"SELECT count(*) FROM app.t GROUP BY $1":                                                                  `[[3]]`,
		"SELECT id FROM app.t WHERE w = $1 AND id > 0":                                                            `[]`,
		"SELECT n FROM app.k WHERE k = $1 AND n > 0":                                                              `[]`,
	} {
		if got := root.rows(q, big); got != want {
			t.Errorf("%s: got %.200s, want %s", q, got, want)
		}
	}
	root.must("INSERT INTO app.t (id, w, j) VALUES (4, $1, $2)", big, bigJSON)
	for _, c := range []struct{ sql, param, want string }{
		{"SELECT id FROM app.t WHERE w = $1 AND id > 0", big, `[[4]]`},
		{"SELECT id FROM app.t WHERE w >= $1 ORDER BY id", big, `[[4]]`},
		{"SELECT id FROM app.t WHERE w < $1 ORDER BY id", big, `[[1],[2],[3]]`},
		{"SELECT count(DISTINCT w) FROM app.t WHERE w = $1", big, `[[1]]`},
		{"SELECT count(*) FROM (SELECT DISTINCT w FROM app.t) s", "", `[[4]]`},
		{"SELECT count(*) FROM (SELECT x FROM (SELECT $1 AS x FROM app.t) s INTERSECT ALL SELECT w FROM app.t) s2", big, `[[1]]`},
		{"SELECT count(*) FROM (SELECT x FROM (SELECT $1 AS x FROM app.t) s INTERSECT SELECT w FROM app.t) s2", big, `[[1]]`},
		{"SELECT id FROM app.t WHERE j = $1", bigJSON, `[[4]]`},
		{"SELECT id FROM app.t WHERE j = $1", `"x"`, `[]`},
		{"SELECT id FROM app.t WHERE j IN ($1, '1') ORDER BY id", bigJSON, `[[1],[4]]`},
	} {
		var params []any
		if c.param != "" {
			params = []any{c.param}
		}
		if got := root.rows(c.sql, params...); got != c.want {
			t.Errorf("%s: got %.200s, want %s", c.sql, got, c.want)
		}
	}
	// EXPLAIN names the JSON value by its size, not its text.
	if plan := root.explain("SELECT id FROM app.t WHERE j IN ($1, '1')", bigJSON); len(plan) > 64<<10 || !strings.Contains(plan, fmt.Sprintf("%d bytes", len(bigJSON))) {
		t.Errorf("plan of %d bytes: %.500s", len(plan), plan)
	}
}

// TestBigParam21ParameterIsAValue: a parameter in GROUP BY or ORDER BY is a
// value, as in PostgreSQL, not a position in the select list: the engine
// read a number bound to it as MySQL's position (grouping or sorting by
// that column) and refused any other value in GROUP BY ("expected integer
// order by literal"). The answers are PostgreSQL 15's for the same
// prepared statements.
func TestBigParam21ParameterIsAValue(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE TABLE app.t (id BIGINT PRIMARY KEY, v TEXT);
		INSERT INTO app.t VALUES (1, 'b'), (2, 'a'), (3, 'a')`)
	for _, c := range []struct {
		sql   string
		param any
		want  string
	}{
		{"SELECT count(*) FROM app.t GROUP BY $1", "s", `[[3]]`},
		{"SELECT count(*) FROM app.t GROUP BY $1", 2, `[[3]]`},
		{"SELECT $1, count(*) FROM app.t GROUP BY $1", "s", `[["s",3]]`},
		{"SELECT count(*) FROM app.t WHERE id < 0 GROUP BY $1", "s", `[]`},
		{"SELECT v, count(*) FROM app.t GROUP BY v, $1 ORDER BY v", 1, `[["a",2],["b",1]]`},
		{"SELECT v, count(*) FROM app.t GROUP BY $1, v ORDER BY 1", "s", `[["a",2],["b",1]]`},
		{"SELECT id, v FROM app.t ORDER BY $1, id", 2, `[[1,"b"],[2,"a"],[3,"a"]]`},
		{"SELECT id, v FROM app.t ORDER BY $1 DESC, id DESC", 2, `[[3,"a"],[2,"a"],[1,"b"]]`},
		{"SELECT id, v FROM app.t ORDER BY v, $1, id", 1, `[[2,"a"],[3,"a"],[1,"b"]]`},
		{"SELECT string_agg(v, ',' ORDER BY $1) FROM app.t", 1, `[["b,a,a"]]`},
		{"SELECT DISTINCT $1 FROM app.t", "x", `[["x"]]`},
		// Positions written as numbers are positions still.
		{"SELECT v, count(*) FROM app.t GROUP BY 1 ORDER BY 1", nil, `[["a",2],["b",1]]`},
		{"SELECT id, v FROM app.t ORDER BY 2, 1", nil, `[[2,"a"],[3,"a"],[1,"b"]]`},
	} {
		var params []any
		if c.param != nil {
			params = []any{c.param}
		}
		if got := root.rows(c.sql, params...); got != c.want {
			t.Errorf("%s (%v): got %s, want %s", c.sql, c.param, got, c.want)
		}
	}
	// A column that is not grouped is refused as PostgreSQL refuses it.
	root.fails(apierror.InvalidSQL, "SELECT v, count(*) FROM app.t GROUP BY $1", "s")
}

// TestBigParam21RegexErrorMessage: a pattern over the size bound, from an
// operator (which names no function), is refused with a message that
// does not begin with a lone colon (it read "...: : the pattern is").
func TestBigParam21RegexErrorMessage(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	big := strings.Repeat("x", 20<<10)
	for _, q := range []string{"SELECT $1 ~ $1", "SELECT 'a' ~* $1", "SELECT 'a' !~ $1"} {
		ae := root.fails(apierror.ResourceLimitExceeded, q, big)
		if strings.HasPrefix(ae.Message, ":") || strings.Contains(ae.Message, ": :") || !strings.Contains(ae.Message, "the pattern is 20480 bytes") {
			t.Errorf("%s: %q", q, ae.Message)
		}
	}
	if ae := root.fails(apierror.ResourceLimitExceeded, "SELECT regexp_replace('a', $1, 'b')", big); strings.HasPrefix(ae.Message, ":") {
		t.Errorf("regexp_replace: %q", ae.Message)
	}
}
