package executor_test

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// refusal is a statement and a part of the message it must be refused
// with.
type refusal struct{ sql, msg string }

// refusedAsInvalidSQL checks that each statement is refused as INVALID_SQL
// with its message.
func refusedAsInvalidSQL(t *testing.T, root *caller, cases []refusal) {
	t.Helper()
	for _, c := range cases {
		if ae := root.fails(apierror.InvalidSQL, c.sql); !strings.Contains(ae.Message, c.msg) {
			t.Errorf("%s: %q, want %q", c.sql, ae.Message, c.msg)
		}
	}
}

// groupEnv is a table to group (and one to join) with known answers.
func groupEnv(t *testing.T) *caller {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app;
		CREATE SHARED TABLE app.g (id BIGINT PRIMARY KEY, i INT, txt TEXT, ok BOOLEAN);
		CREATE SHARED TABLE app.h (id BIGINT PRIMARY KEY, gid BIGINT, v INT);
		INSERT INTO app.g VALUES (1, 1, 'abc', true), (2, 2, 'ABC', false), (3, 3, 'xyz', true), (4, 4, 'q', false);
		INSERT INTO app.h VALUES (10, 1, 5), (11, 1, 6), (12, 3, 7)`)
	return root
}

// TestUngroupedColumnsRefused: PostgreSQL refuses a column that is neither
// grouped, aggregated nor dependent on a grouped primary key in the select
// list, HAVING or ORDER BY of a grouped query (the engine answered an
// arbitrary row's value, MySQL's rule), and an ORDER BY outside the select
// list of SELECT DISTINCT.
func TestUngroupedColumnsRefused(t *testing.T) {
	root := groupEnv(t)
	const groupMsg = "must appear in the GROUP BY clause or be used in an aggregate function"
	const distinctMsg = "for SELECT DISTINCT, ORDER BY expressions must appear in select list"
	refusedAsInvalidSQL(t, root, []refusal{
		{"SELECT txt, count(*) FROM app.g GROUP BY ok", `column "g.txt" ` + groupMsg},
		{"SELECT txt, count(*) FROM app.g", `column "g.txt" ` + groupMsg},
		{"SELECT count(*), txt FROM app.g WHERE id = 1", groupMsg},
		{"SELECT ok, i + 1 FROM app.g GROUP BY ok", `column "g.i" ` + groupMsg},
		{"SELECT ok, txt FROM app.g GROUP BY 1", groupMsg},
		{"SELECT i % 2 AS k, txt FROM app.g GROUP BY k", groupMsg},
		{"SELECT ok FROM app.g GROUP BY ok ORDER BY id", `column "g.id" ` + groupMsg},
		{"SELECT ok, count(*) FROM app.g GROUP BY ok HAVING max(i) > 0 AND i > 0", `column "g.i" ` + groupMsg},
		{"SELECT count(*) FROM app.g ORDER BY txt", groupMsg},
		{"SELECT i % 2, i FROM app.g GROUP BY i % 2", groupMsg},
		{"SELECT i FROM app.g GROUP BY i % 2", groupMsg},
		{"SELECT upper(txt) FROM app.g GROUP BY lower(txt)", groupMsg},
		{"SELECT ok, count(*) FROM app.g GROUP BY ok ORDER BY i", groupMsg},
		// The primary key of one table does not make another's columns
		// dependent.
		{"SELECT g.id, h.v FROM app.g g JOIN app.h h ON h.gid = g.id GROUP BY g.id", `column "h.v" ` + groupMsg},
		{"SELECT x.id, count(*) FROM (SELECT id, ok FROM app.g) x GROUP BY x.ok", groupMsg},
		{"SELECT id FROM app.g WHERE i IN (SELECT i FROM app.g GROUP BY ok)", groupMsg},
		{"SELECT * FROM app.g GROUP BY ok", groupMsg},
		{"SELECT * FROM app.g GROUP BY ok ORDER BY ok", groupMsg},
		{"SELECT g.* FROM app.g g JOIN app.h h ON h.gid = g.id GROUP BY h.id", groupMsg},
		{"SELECT DISTINCT ok FROM app.g ORDER BY id", distinctMsg},
		{"SELECT DISTINCT i FROM app.g ORDER BY i + 1", distinctMsg},
		{"SELECT DISTINCT ok FROM app.g ORDER BY ok, txt", distinctMsg},
	})
}

// TestGroupedQueriesStillAnswer: the shapes PostgreSQL accepts keep their
// answers (PostgreSQL 15's).
func TestGroupedQueriesStillAnswer(t *testing.T) {
	root := groupEnv(t)
	root.must(`CREATE VIEW app.gv AS SELECT ok, count(*) AS n FROM app.g GROUP BY ok`)
	for _, c := range []struct{ sql, want string }{
		{"SELECT ok, count(*) FROM app.g GROUP BY ok ORDER BY ok", `[[false,2],[true,2]]`},
		{"SELECT ok, NOT ok, count(*) + 1 FROM app.g GROUP BY ok ORDER BY 1", `[[false,true,3],[true,false,3]]`},
		{"SELECT i % 2 AS k, count(*) FROM app.g GROUP BY k ORDER BY k", `[[0,2],[1,2]]`},
		{"SELECT i % 2, sum(i) FROM app.g GROUP BY i % 2 ORDER BY 1", `[[0,6],[1,4]]`},
		{"SELECT (i % 2) * 10 FROM app.g GROUP BY i % 2 ORDER BY 1", `[[0],[10]]`},
		{"SELECT i % 2 AS k FROM app.g GROUP BY i % 2 ORDER BY i % 2 DESC", `[[1],[0]]`},
		{"SELECT ok FROM app.g GROUP BY 1 HAVING count(*) > 1 ORDER BY count(*) DESC, ok", `[[false],[true]]`},
		{"SELECT ok, max(txt) FROM app.g GROUP BY ok ORDER BY max(i)", `[[true,"xyz"],[false,"q"]]`},
		{"SELECT ok, count(*) AS n FROM app.g GROUP BY ok HAVING ok ORDER BY n, ok", `[[true,2]]`},
		{"SELECT CASE WHEN ok THEN 'y' ELSE 'n' END, count(*) FROM app.g GROUP BY ok ORDER BY 1", `[["n",2],["y",2]]`},
		{"SELECT upper(txt), count(*) FROM app.g GROUP BY upper(txt) ORDER BY 1", `[["ABC",2],["Q",1],["XYZ",1]]`},
		{"SELECT ok, i FROM app.g GROUP BY ok, i HAVING i > 2 ORDER BY i", `[[true,3],[false,4]]`},
		// Functionally dependent on a grouped primary key.
		{"SELECT id, txt FROM app.g GROUP BY id ORDER BY id", `[[1,"abc"],[2,"ABC"],[3,"xyz"],[4,"q"]]`},
		{"SELECT txt, i + 1 FROM app.g GROUP BY id HAVING max(i) > 2 ORDER BY txt", `[["q",5],["xyz",4]]`},
		{"SELECT g.id, g.txt, count(h.id) FROM app.g g LEFT JOIN app.h h ON h.gid = g.id GROUP BY g.id ORDER BY g.id", `[[1,"abc",2],[2,"ABC",0],[3,"xyz",1],[4,"q",0]]`},
		{"SELECT g.txt, h.v FROM app.g g JOIN app.h h ON h.gid = g.id GROUP BY g.id, h.id ORDER BY h.v", `[["abc",5],["abc",6],["xyz",7]]`},
		// Aggregates without GROUP BY.
		{"SELECT count(*), max(i) FROM app.g", `[[4,4]]`},
		{"SELECT count(*) FROM app.g HAVING count(*) > 1", `[[4]]`},
		{"SELECT count(*) + 1, 'x' FROM app.g ORDER BY 1", `[[5,"x"]]`},
		// Subqueries: their own level, and outer columns as constants.
		{"SELECT ok, (SELECT count(*) FROM app.h) FROM app.g GROUP BY ok ORDER BY ok", `[[false,3],[true,3]]`},
		{"SELECT i, (SELECT count(*) FROM app.h h WHERE h.gid = g.i) FROM app.g g GROUP BY i ORDER BY i", `[[1,2],[2,0],[3,1],[4,0]]`},
		{"SELECT id, (SELECT max(h.v) + g.i FROM app.h h) FROM app.g g ORDER BY id", `[[1,8],[2,9],[3,10],[4,11]]`},
		{"SELECT id FROM app.g WHERE i IN (SELECT max(i) FROM app.g GROUP BY ok) ORDER BY id", `[[3],[4]]`},
		{"SELECT k, count(*) FROM (SELECT i % 2 AS k FROM app.g) q GROUP BY k ORDER BY k", `[[0,2],[1,2]]`},
		{"WITH c AS (SELECT ok, i FROM app.g) SELECT ok, sum(i) FROM c GROUP BY ok ORDER BY ok", `[[false,6],[true,4]]`},
		{"SELECT ok FROM app.g GROUP BY ok UNION ALL SELECT true ORDER BY 1", `[[false],[true],[true]]`},
		// Views.
		{"SELECT * FROM app.gv ORDER BY ok", `[[false,2],[true,2]]`},
		{"SELECT n, count(*) FROM app.gv GROUP BY n", `[[2,2]]`},
		// Window functions (over a window of groups the engine fails, on
		// main too: "unable to find field").
		{"SELECT ok, n, max(n) OVER () FROM (SELECT ok, count(*) AS n FROM app.g GROUP BY ok) q ORDER BY ok", `[[false,2,2],[true,2,2]]`},
		{"SELECT id, row_number() OVER (PARTITION BY ok ORDER BY id) FROM app.g ORDER BY id", `[[1,1],[2,1],[3,2],[4,2]]`},
		// More spellings of one grouped expression.
		{"SELECT ok AS x, count(*) FROM app.g GROUP BY x ORDER BY x", `[[false,2],[true,2]]`},
		{"SELECT g.ok FROM app.g g GROUP BY ok ORDER BY g.ok", `[[false],[true]]`},
		{"SELECT ok, count(*) FROM app.g GROUP BY ok, ok HAVING ok ORDER BY 1", `[[true,2]]`},
		{"SELECT CASE WHEN i % 2 = 0 THEN 'e' ELSE 'o' END AS p FROM app.g GROUP BY i % 2 ORDER BY p", `[["e"],["o"]]`},
		{"SELECT i + 1 FROM app.g GROUP BY i + 1 ORDER BY i + 1 DESC LIMIT 1", `[[5]]`},
		{"SELECT UPPER(txt) FROM app.g GROUP BY upper(txt) ORDER BY Upper(txt) LIMIT 1", `[["ABC"]]`},
		// (* includes the system columns, dependent on the key too; the
		// engine's MySQL rule refused these.)
		{"SELECT count(*) FROM (SELECT * FROM app.g GROUP BY id) q", `[[4]]`},
		{"SELECT sum(n) FROM (SELECT g.*, count(h.id) AS n FROM app.g g LEFT JOIN app.h h ON h.gid = g.id GROUP BY g.id) q", `[[3]]`},
		{"SELECT gid, count(*) FROM app.h JOIN app.g ON g.id = h.gid GROUP BY gid ORDER BY gid", `[[1,2],[3,1]]`},
		{"SELECT sum(v) FILTER (WHERE v > 5), string_agg(txt, ',' ORDER BY txt) FROM app.h JOIN app.g ON g.id = h.gid", `[[13,"abc,abc,xyz"]]`},
		{"SELECT ok, count(DISTINCT i % 2) FROM app.g GROUP BY ok ORDER BY ok", `[[false,1],[true,1]]`},
		// DISTINCT with ORDER BY keys of the select list.
		{"SELECT DISTINCT upper(txt) AS u FROM app.g ORDER BY upper(txt)", `[["ABC"],["Q"],["XYZ"]]`},
		{"SELECT DISTINCT ok FROM app.g ORDER BY ok", `[[false],[true]]`},
		{"SELECT DISTINCT ok FROM app.g ORDER BY ok DESC", `[[true],[false]]`},
		{"SELECT DISTINCT i % 2 AS k FROM app.g ORDER BY k", `[[0],[1]]`},
		{"SELECT DISTINCT i % 2 FROM app.g ORDER BY i % 2 DESC", `[[1],[0]]`},
		{"SELECT DISTINCT i % 2 FROM app.g ORDER BY 1", `[[0],[1]]`},
		{"SELECT DISTINCT ok, i FROM app.g ORDER BY i DESC LIMIT 1", `[[false,4]]`},
		{"SELECT DISTINCT g.ok FROM app.g g ORDER BY ok", `[[false],[true]]`},
		{"SELECT DISTINCT ok, count(*) FROM app.g GROUP BY ok ORDER BY ok", `[[false,2],[true,2]]`},
	} {
		if got := root.rows(c.sql); got != c.want {
			t.Errorf("%s: %s, want %s", c.sql, got, c.want)
		}
	}
	// A parameter in a grouped expression, and grouped queries feeding
	// writes.
	if got := root.rows("SELECT i + $1 FROM app.g GROUP BY i + $1 ORDER BY 1 LIMIT 1", 10); got != `[[11]]` {
		t.Errorf("grouped parameter: %s", got)
	}
	root.must("INSERT INTO app.h (id, gid, v) SELECT 20 + i, i, count(*) FROM app.g GROUP BY i HAVING i > 3")
	root.must("UPDATE app.h SET v = (SELECT max(i) FROM app.g GROUP BY ok ORDER BY 1 LIMIT 1) WHERE id = 24")
	if got := root.rows("SELECT id, gid, v FROM app.h WHERE id > 20"); got != `[[24,4,3]]` {
		t.Errorf("writes from grouped queries: %s", got)
	}
}

// TestGroupByPositionErrors: a GROUP BY position past the select list, or
// naming an aggregate, is a planning error in PostgreSQL (the engine failed
// while running, with its internal texts).
func TestGroupByPositionErrors(t *testing.T) {
	root := groupEnv(t)
	refusedAsInvalidSQL(t, root, []refusal{
		{"SELECT ok, count(*) FROM app.g GROUP BY 3", "GROUP BY position 3 is not in select list"},
		{"SELECT ok, count(*) FROM app.g GROUP BY 0", "GROUP BY position 0 is not in select list"},
		{"SELECT ok, count(*) FROM app.g GROUP BY 2", "aggregate functions are not allowed in GROUP BY"},
		{"SELECT ok, count(*) + 1 FROM app.g GROUP BY 1, 2", "aggregate functions are not allowed in GROUP BY"},
		{"SELECT count(*) AS n FROM app.g GROUP BY n", "aggregate functions are not allowed in GROUP BY"},
		{"SELECT ok FROM app.g GROUP BY ok, max(i)", "aggregate functions are not allowed in GROUP BY"},
	})
	// Positions within the list, and a subquery's aggregate in a grouped
	// expression, still group.
	if got := root.rows("SELECT ok, count(*) FROM app.g GROUP BY 1 ORDER BY 1"); got != `[[false,2],[true,2]]` {
		t.Errorf("GROUP BY 1: %s", got)
	}
	if got := root.rows("SELECT i > (SELECT max(v) FROM app.h) AS big, count(*) FROM app.g GROUP BY 1"); got != `[[false,4]]` {
		t.Errorf("GROUP BY a subquery's aggregate: %s", got)
	}
}
