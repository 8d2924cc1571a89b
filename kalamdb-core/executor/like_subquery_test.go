package executor_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// The answers of this file are PostgreSQL 15's (a UTF8 database, C
// collation) for likeCorpus.

// likeContexts put a LIKE condition (cond, on the column named by its
// argument) where the engine analyzes the plan apart from the top-level
// WHERE: derived tables, WITH queries (recursive too), set-operation
// branches, subquery expressions, HAVING and JOIN ... ON. Each answers the
// ids of the rows the condition keeps.
var likeContexts = []func(tb string, cond func(col string) string) string{
	func(tb string, c func(string) string) string {
		return "SELECT id FROM (SELECT id, t FROM " + tb + " WHERE " + c("t") + ") s"
	},
	func(tb string, c func(string) string) string {
		return "WITH s AS (SELECT id, t FROM " + tb + " WHERE " + c("t") + ") SELECT id FROM s"
	},
	func(tb string, c func(string) string) string {
		return "WITH RECURSIVE r(id) AS (SELECT id FROM " + tb + " WHERE " + c("t") + " UNION SELECT id FROM r WHERE id < 0) SELECT id FROM r"
	},
	func(tb string, c func(string) string) string {
		return "SELECT id FROM " + tb + " WHERE " + c("t") + " UNION SELECT id FROM " + tb + " WHERE id < 0"
	},
	func(tb string, c func(string) string) string {
		return "SELECT id FROM " + tb + " WHERE id < 0 UNION ALL SELECT id FROM " + tb + " WHERE " + c("t")
	},
	func(tb string, c func(string) string) string {
		return "SELECT id FROM " + tb + " INTERSECT SELECT id FROM " + tb + " WHERE " + c("t")
	},
	func(tb string, c func(string) string) string {
		return "SELECT id FROM " + tb + " WHERE " + c("t") + " EXCEPT SELECT id FROM " + tb + " WHERE id < 0"
	},
	func(tb string, c func(string) string) string {
		return "SELECT id FROM " + tb + " WHERE id IN (SELECT id FROM (SELECT id, t FROM " + tb + " WHERE " + c("t") + ") s)"
	},
	func(tb string, c func(string) string) string {
		return "SELECT a.id FROM " + tb + " a WHERE EXISTS (SELECT 1 FROM (SELECT id, t FROM " + tb + " WHERE " + c("t") + ") s WHERE s.id = a.id)"
	},
	func(tb string, c func(string) string) string {
		return "SELECT id FROM " + tb + " GROUP BY id, t HAVING " + c("t")
	},
	func(tb string, c func(string) string) string {
		return "SELECT a.id FROM " + tb + " a JOIN " + tb + " b ON a.id = b.id AND " + c("b.t")
	},
	func(tb string, c func(string) string) string {
		return "SELECT a.id FROM " + tb + " a JOIN (SELECT id FROM " + tb + " WHERE " + c("t") + ") s ON s.id = a.id"
	},
}

// likeEscapeCases are F6's: a wildcard or NULL as the escape character.
var likeEscapeCases = []likeCase{
	{"LIKE", "a%%", ptr("%"), []int64{3}},
	{"LIKE", "a__", ptr("_"), []int64{4}},
	{"LIKE", "a_%", ptr("_"), []int64{3}},
	{"LIKE", "%%", ptr("%"), []int64{32}},
	{"LIKE", "__", ptr("_"), []int64{33}},
	{"NOT LIKE", "a%%", ptr("%"), []int64{1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47}},
}

// likeIDs runs a query of one BIGINT column and returns its values in
// order.
func likeIDs(c *caller, q string, params ...any) ([]int64, error) {
	res, err := c.exec(q, params...)
	if err != nil {
		return nil, err
	}
	if len(res) != 1 {
		return nil, fmt.Errorf("%d results", len(res))
	}
	raw, err := json.Marshal(res[0].Rows)
	if err != nil {
		return nil, err
	}
	var rs [][]int64
	if err := json.Unmarshal(raw, &rs); err != nil {
		return nil, fmt.Errorf("%s: %w", raw, err)
	}
	out := make([]int64, 0, len(rs))
	for _, r := range rs {
		out = append(out, r[0])
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// likeTables holds likeCorpus (row i+1 is likeCorpus[i]) in a table
// without an index, one with an index on t and one with t as its primary
// key.
func likeTables(t *testing.T) (*env, *caller, []string) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app;
		CREATE TABLE app.lk (id BIGINT PRIMARY KEY, t TEXT);
		CREATE TABLE app.lkx (id BIGINT PRIMARY KEY, t TEXT);
		CREATE INDEX lkx_t ON app.lkx (t);
		CREATE TABLE app.lkp (t TEXT PRIMARY KEY, id BIGINT)`)
	tables := []string{"app.lk", "app.lkx", "app.lkp"}
	for _, tb := range tables {
		for i, s := range likeCorpus {
			root.must("INSERT INTO "+tb+" (id, t) VALUES ($1, $2)", i+1, s)
		}
	}
	return e, root, tables
}

func likeCond(c likeCase, param bool) func(col string) string {
	pat := "'" + strings.ReplaceAll(c.pattern, "'", "''") + "'"
	if param {
		pat = "$1"
	}
	esc := ""
	if c.escape != nil {
		esc = " ESCAPE '" + *c.escape + "'"
	}
	return func(col string) string { return col + " " + c.op + " " + pat + esc }
}

// TestLikeInSubqueries: a LIKE keeps PostgreSQL's meaning wherever it is
// in a statement, not only in the top-level WHERE: the engine's own
// rewrite of LIKE 'p%' (t >= 'p' AND t <= 'p' || 0xFF) lost '北京' for
// '北%' and mishandled backslashes in derived tables, WITH queries,
// views and UNION branches. With and without an index, on a TEXT primary
// key, with the pattern written or as a parameter, hot and after a flush.
func TestLikeInSubqueries(t *testing.T) {
	slowParallel(t)
	e, root, tables := likeTables(t)
	// Views of each table for a few of the conditions.
	views := []struct {
		name string
		c    likeCase
	}{
		{"bei", likeCase{"LIKE", "北%", nil, []int64{23, 24, 25}}},
		{"apct", likeCase{"LIKE", "a\\%%", nil, []int64{3, 30}}},
		{"nota", likeCase{"NOT LIKE", "a%", nil, []int64{1, 9, 10, 20, 21, 22, 23, 24, 25, 26, 27, 31, 32, 33, 39, 40, 41, 42, 43, 46, 47}}},
		{"pctesc", likeEscapeCases[0]},
	}
	for _, tb := range tables {
		for _, v := range views {
			root.must("CREATE VIEW " + tb + "_" + v.name + " AS SELECT id, t FROM " + tb + " WHERE " + likeCond(v.c, false)("t"))
		}
	}
	cases := append(slices.Clone(likeCases), likeEscapeCases...)
	check := func(stage string, params []bool) {
		t.Helper()
		for _, c := range cases {
			for _, tb := range tables {
				for i, ctxSQL := range likeContexts {
					for _, param := range params {
						q := ctxSQL(tb, likeCond(c, param))
						var params []any
						if param {
							params = []any{c.pattern}
						}
						got, err := likeIDs(root, q, params...)
						if err != nil || !slices.Equal(got, c.want) {
							t.Errorf("%s, context %d: %s %v: got %v (%v), want %v", stage, i, q, params, got, err, c.want)
						}
					}
				}
			}
		}
		for _, tb := range tables {
			for _, v := range views {
				q := "SELECT id FROM " + tb + "_" + v.name
				if got, err := likeIDs(root, q); err != nil || !slices.Equal(got, v.c.want) {
					t.Errorf("%s: %s: got %v (%v), want %v", stage, q, got, err, v.c.want)
				}
			}
		}
	}
	check("hot", []bool{false, true})

	// The prefix range still reaches the index inside a derived table, a
	// WITH query and a view, and the LIKE stays above it.
	for _, q := range []string{
		"SELECT count(*) FROM (SELECT id FROM app.lkx WHERE t LIKE '北%') s",
		"WITH s AS (SELECT id, t FROM app.lkx WHERE t LIKE '北%') SELECT count(*) FROM s",
		"SELECT id FROM app.lkx_bei",
		"SELECT id FROM app.lkx WHERE t LIKE '北%' UNION SELECT 0",
	} {
		wantPlan(t, root.explain(q), "IndexScan", "ranges: [{[北, 匘), [NULL, ∞)}]", "LIKE '北%'")
	}
	wantPlan(t, root.explain("SELECT count(*) FROM (SELECT id FROM app.lkp WHERE t LIKE '北%') s"), "ranges: [{[北, 匘)}]", "LIKE '北%'")

	for _, tb := range tables {
		flushTable(t, e, tb)
	}
	// Cold, the pattern as written only: a parameter is bound when the
	// statement is planned, which is the same hot or cold (checked above
	// for every case, table and context), and the cold scan under each
	// context then reads with what the written pattern gives it.
	// TestLikePrefixIndexRange reads cold files with the parameter form.
	check("cold", []bool{false})
}

// TestLikeEscapeWildcardOrNull: PostgreSQL reads the escape character
// before the wildcards, so ESCAPE '%' or '_' makes the doubled wildcard a
// literal one and a single one at the end an error; ESCAPE NULL makes
// the condition NULL.
func TestLikeEscapeWildcardOrNull(t *testing.T) {
	_, root, tables := likeTables(t)
	for _, tb := range tables {
		for _, c := range likeEscapeCases {
			for _, param := range []bool{false, true} {
				q := "SELECT id FROM " + tb + " WHERE " + likeCond(c, param)("t")
				var params []any
				if param {
					params = []any{c.pattern}
				}
				if got, err := likeIDs(root, q, params...); err != nil || !slices.Equal(got, c.want) {
					t.Errorf("%s %v: got %v (%v), want %v", q, params, got, err, c.want)
				}
			}
		}
		for _, q := range []string{
			"SELECT id FROM " + tb + " WHERE t LIKE 'a%' ESCAPE NULL",
			"SELECT id FROM " + tb + " WHERE NOT (t LIKE 'a%' ESCAPE NULL)",
			"SELECT id FROM (SELECT id, t FROM " + tb + " WHERE t LIKE 'a%' ESCAPE NULL) s",
		} {
			if got, err := likeIDs(root, q); err != nil || len(got) != 0 {
				t.Errorf("%s: got %v (%v), want no rows", q, got, err)
			}
		}
		ae := root.fails(apierror.SQLExecutionError, "SELECT id FROM "+tb+" WHERE t LIKE 'a%' ESCAPE '%'")
		if !strings.Contains(ae.Message, "LIKE pattern must not end with escape character") {
			t.Errorf("%s: %v", tb, ae)
		}
		root.fails(apierror.SQLExecutionError, "SELECT id FROM (SELECT id, t FROM "+tb+" WHERE t LIKE $1 ESCAPE '_') s", "a_")
		root.fails(apierror.SQLExecutionError, "SELECT id FROM "+tb+" WHERE t LIKE 'a%' ESCAPE 'ab'")
	}
	// As in PostgreSQL, the pattern is refused when a row is matched: no
	// row, no error.
	if got, err := likeIDs(root, "SELECT id FROM app.lk WHERE id < 0 AND t LIKE 'a%' ESCAPE '%'"); err != nil || len(got) != 0 {
		t.Errorf("no rows: got %v (%v)", got, err)
	}
}

// TestLikeSubqueryDelete: DELETE ... WHERE id IN (a derived table with a
// LIKE) deletes every row the LIKE matches, and UPDATE likewise; a
// top-level DELETE reads a wildcard escape as PostgreSQL does.
func TestLikeSubqueryDelete(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app;
		CREATE TABLE app.lv (id BIGINT PRIMARY KEY, t TEXT);
		CREATE TABLE app.lvx (id BIGINT PRIMARY KEY, t TEXT);
		CREATE INDEX lvx_t ON app.lvx (t)`)
	for _, tb := range []string{"app.lv", "app.lvx"} {
		for i, s := range likeCorpus {
			root.must("INSERT INTO "+tb+" (id, t) VALUES ($1, $2)", i+1, s)
		}
		root.must("UPDATE " + tb + " SET t = t || 'u' WHERE id IN (SELECT id FROM (SELECT id FROM " + tb + " WHERE t LIKE 'a\\%%') s)")
		if got, err := likeIDs(root, "SELECT id FROM "+tb+" WHERE t LIKE '%u'"); err != nil || !slices.Equal(got, []int64{3, 30}) {
			t.Errorf("%s: UPDATE changed %v (%v), want [3 30]", tb, got, err)
		}
		root.must("DELETE FROM "+tb+" WHERE id IN (SELECT id FROM (SELECT id FROM "+tb+" WHERE t LIKE $1) s)", "北%")
		if got, err := likeIDs(root, "SELECT id FROM "+tb+" WHERE t LIKE '北%'"); err != nil || len(got) != 0 {
			t.Errorf("%s: left %v (%v) after the DELETE", tb, got, err)
		}
		if got, err := likeIDs(root, "SELECT count(*) FROM "+tb); err != nil || !slices.Equal(got, []int64{int64(len(likeCorpus) - 3)}) {
			t.Errorf("%s: %v rows (%v), want %d", tb, got, err, len(likeCorpus)-3)
		}
		// A top-level DELETE with a wildcard as the escape: 'a%u' only
		// (row 3 after the UPDATE), not 'a%bu' (row 30).
		root.must("DELETE FROM " + tb + " WHERE t LIKE 'a%%u' ESCAPE '%'")
		if got, err := likeIDs(root, "SELECT id FROM "+tb+" WHERE t LIKE '%u'"); err != nil || !slices.Equal(got, []int64{30}) {
			t.Errorf("%s: after DELETE ... ESCAPE '%%': %v (%v) left, want [30]", tb, got, err)
		}
	}
}
