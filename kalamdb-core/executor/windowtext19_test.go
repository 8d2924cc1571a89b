package executor_test

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// TestWindowKeyComparisonsStopAtTimeLimit: a window evaluates its ORDER
// BY and PARTITION BY keys at every comparison of its sort and looks at
// the statement's context before each evaluation, but the comparisons
// inside one key, ORDER BY a.k IN (b.k, ... 1,000 times) over texts of
// 16 MB sharing all but their last byte, compared runes through the
// engine's collation: about ten minutes an evaluation, a dozen
// evaluations, under a time limit of one second. They now compare bytes
// through kdb_text_order and stop inside the evaluation once the
// statement has ended (engine's TestWindowKeyComparisonsStopWithTheir-
// Statement shows the mechanism): each statement fails with QUERY_TIMEOUT.
// The statements cannot finish within the test's guard even comparing
// bytes without looking at the context (a second or two an evaluation),
// so passing means they were stopped, not that they finished late.
func TestWindowKeyComparisonsStopAtTimeLimit(t *testing.T) {
	_, _, alice := newEnvAliceLimited(t)
	// Three rows: each row's texts are charged to the window's 256 MiB.
	ta, tb, items, ors := longTextOperands(1000)
	from := " FROM " + ta + ", " + tb + ", (VALUES (1), (2), (3)) v(x)"
	in := "a.k IN (" + strings.Join(items, ", ") + ")"
	or := strings.Join(ors, " OR ")
	withinMinutes(t, "windows whose keys compare long texts", func() {
		for _, q := range []string{
			"SELECT row_number() OVER (ORDER BY " + in + ", v.x)" + from,
			"SELECT rank() OVER (PARTITION BY " + in + " ORDER BY v.x)" + from,
			"SELECT count(*) OVER (ORDER BY " + or + ")" + from,
			"SELECT sum(v.x) OVER (PARTITION BY v.x % 2 ORDER BY CASE WHEN " + or + " THEN 'p' ELSE 'q' END)" + from,
		} {
			alice.failsNaming(apierror.QueryTimeout, "1s", q)
		}
	})
	if got := alice.rows("SELECT 1"); got != `[[1]]` {
		t.Fatalf("after the timeout: %s", got)
	}
}

// TestWindowKeyComparisonsAsInPostgreSQL: window keys holding text
// comparisons, ordered aggregates, GREATEST, LEAST, a simple CASE and
// NULLIF (all now comparing texts by their bytes, looking at the
// context) answer as PostgreSQL 15 with COLLATE "C" does (answers taken
// from it).
func TestWindowKeyComparisonsAsInPostgreSQL(t *testing.T) {
	e := newEnvWith(t, true)
	root := e.root()
	root.must("CREATE NAMESPACE app; CREATE SHARED TABLE app.t (id BIGINT PRIMARY KEY, a TEXT, b TEXT)")
	root.must(`INSERT INTO app.t VALUES (1, 'b', 'B'), (2, 'B', 'b'), (3, 'é', 'z'), (4, '', NULL), (5, NULL, 'y'), (6, 'a', 'a'), (7, 'Z', 'é')`)
	for q, want := range map[string]string{
		"SELECT id, row_number() OVER (ORDER BY a < b, id) FROM app.t ORDER BY id":                                                                  `[[1,1],[2,4],[3,2],[4,6],[5,7],[6,3],[7,5]]`,
		"SELECT id, count(*) OVER (PARTITION BY a IN (b, 'b', 'é')) FROM app.t ORDER BY id":                                                         `[[1,3],[2,2],[3,3],[4,2],[5,2],[6,3],[7,2]]`,
		"SELECT id, rank() OVER (ORDER BY CASE WHEN a > 'a' THEN a ELSE b END DESC) FROM app.t ORDER BY id":                                         `[[1,5],[2,5],[3,2],[4,1],[5,4],[6,7],[7,2]]`,
		"SELECT id, sum(id) OVER (PARTITION BY a >= 'b' OR b >= 'b' ORDER BY id) FROM app.t ORDER BY id":                                            `[[1,1],[2,3],[3,6],[4,4],[5,11],[6,6],[7,18]]`,
		"SELECT a >= 'b' OR b >= 'b' AS g, string_agg(a, ',' ORDER BY a DESC) FROM app.t GROUP BY 1 ORDER BY 1":                                     `[[false,"a"],[true,"é,b,Z,B"],[null,""]]`,
		"SELECT a < 'c' AS g, array_agg(b ORDER BY b DESC NULLS LAST, id) FROM app.t GROUP BY 1 ORDER BY 1":                                         `[[false,["z"]],[true,["é","b","a","B",null]],[null,["y"]]]`,
		"SELECT greatest(a, b), least(a, b), CASE a WHEN b THEN 'same' WHEN 'B' THEN 'big' ELSE 'other' END, nullif(a, 'b') FROM app.t ORDER BY id": `[["b","B","other",null],["b","B","big","B"],["é","z","other","é"],["","","other",""],["y","y","other",null],["a","a","same","a"],["é","Z","other","Z"]]`,
	} {
		if got := root.rows(q); got != want {
			t.Errorf("%s:\n got %s\nwant %s", q, got, want)
		}
	}
}

// longTextOperands is two subqueries of one text of 16 MB each, a.k and
// b.k, equal but for their last byte and built once, with n references
// to b.k and n equalities a.k = b.k: columns, cheap to read, costly to
// compare.
func longTextOperands(n int) (ta, tb string, items, ors []string) {
	for range n {
		items = append(items, "b.k")
		ors = append(ors, "a.k = b.k")
	}
	return "(SELECT repeat('x', 16000000) || 'a' AS k) a", "(SELECT repeat('x', 16000000) || 'b' AS k) b", items, ors
}
