package executor_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestAttackText18LongTextComparisonsStop: outside sorts the engine
// compared texts rune by rune through its collation (about 40 ns a rune)
// and never looked at the statement's context inside one expression. An
// IN list or a chain of ORed equalities over texts of 16 MiB
// (max_value_bytes) is one expression of one row: these statements of a
// few KB compared 1,000 texts of 16 MiB, about ten minutes of one core,
// under a time limit of one second, and so did a condition ORing 1,000
// comparisons of two columns, in a WHERE, a JOIN ON or a subquery. Each
// now stops with QUERY_TIMEOUT, and the database answers afterwards.
func TestAttackText18LongTextComparisonsStop(t *testing.T) {
	_, _, alice := newEnvAliceLimited(t)
	ta, tb, items, ors := longTextOperands(1000)
	from := "FROM " + ta + ", " + tb
	withinMinutes(t, "comparisons of long texts", func() {
		for _, q := range []string{
			"SELECT a.k IN (" + strings.Join(items, ", ") + ") " + from,
			"SELECT " + strings.Join(ors, " OR ") + " " + from,
			"SELECT count(*) " + from + " WHERE a.k IN (" + strings.Join(items, ", ") + ")",
			// Column against column below an OR, in a WHERE and a JOIN ON,
			// and in a subquery's condition.
			"SELECT count(*) " + from + " WHERE " + strings.Join(ors, " OR "),
			"SELECT count(*) FROM " + ta + " JOIN " + tb + " ON a.k IN (" + strings.Join(items, ", ") + ")",
			"SELECT count(*) FROM " + ta + " JOIN " + tb + " ON " + strings.Join(ors, " OR "),
			"SELECT count(*) FROM " + ta + " WHERE EXISTS (SELECT 1 FROM " + tb + " WHERE " + strings.Join(ors, " OR ") + ")",
			// A sort key evaluated at every comparison of the sort, and a
			// window's argument.
			"SELECT a.k < b.k " + from + ", (VALUES (1), (2)) v(x) ORDER BY a.k IN (" + strings.Join(items, ", ") + "), 1",
			"SELECT count(CASE WHEN " + strings.Join(ors, " OR ") + " THEN 1 END) OVER () " + from,
		} {
			alice.failsNaming(apierror.QueryTimeout, "1s", q)
		}
	})
	if got := alice.rows("SELECT 1"); got != `[[1]]` {
		t.Fatalf("after the timeout: %s", got)
	}
}

// TestAttackText18ComparisonsAsInPostgreSQL: comparisons and IN lists of
// computed texts (the ones now compared by bytes) answer as PostgreSQL 15
// with COLLATE "C" does (answers taken from it), NULLs included, and keep
// their column labels; a text primary key and an index on a text column
// still serve equality and IN lookups.
func TestAttackText18ComparisonsAsInPostgreSQL(t *testing.T) {
	e := newEnvWith(t, true)
	root := e.root()
	root.must("CREATE NAMESPACE app; CREATE SHARED TABLE app.t (id BIGINT PRIMARY KEY, a TEXT, b VARCHAR(10))")
	root.must(`INSERT INTO app.t VALUES (1, 'b', 'x'), (2, 'B', 'x'), (3, 'é', 'y'), (4, '', NULL), (5, NULL, 'y'), (6, 'a ', 'x'),
		(7, 'a', 'a'), (8, '` + "\ufffd" + `', 'b'), (9, '😀', NULL), (10, 'ab', 'ab'), (11, 'Z', 'é'), (12, 'b', 'b')`)
	for q, want := range map[string]string{
		"SELECT id, a || '' = b, a || '' < b, b <= a || '', a || '' IN (b, lower(b)), a || '' IN (b || '', 'x', NULL), a || '' IS NOT DISTINCT FROM b, upper(a) > 'B' FROM app.t ORDER BY id": `[[1,false,true,false,false,null,false,false],[2,false,true,false,false,null,false,false],[3,false,false,true,false,null,false,true],[4,null,null,null,null,null,false,false],[5,null,null,null,null,null,false,null],[6,false,true,false,false,null,false,false],[7,true,false,true,true,true,true,false],[8,false,false,true,false,null,false,true],[9,null,null,null,null,null,false,true],[10,true,false,true,true,true,true,false],[11,false,true,false,false,null,false,true],[12,true,false,true,true,true,true,false]]`,
		"SELECT id FROM app.t WHERE a || '' < b ORDER BY id":                            `[[1],[2],[6],[11]]`,
		"SELECT id FROM app.t WHERE lower(a) IN (b, 'é') ORDER BY id":                   `[[3],[7],[10],[12]]`,
		"SELECT id FROM app.t WHERE a || '' NOT IN (b, 'b') ORDER BY id":                `[[2],[3],[6],[8],[11]]`,
		"SELECT id FROM app.t WHERE a = b OR upper(a) = upper(b) ORDER BY id":           `[[7],[10],[12]]`,
		"SELECT b, count(*) FROM app.t GROUP BY b HAVING max(a) || '' > 'a' ORDER BY b": `[["ab",1],["b",2],["x",3],["y",2],[null,2]]`,
	} {
		if got := root.rows(q); got != want {
			t.Errorf("%s:\n got %s\nwant %s", q, got, want)
		}
	}
	res := root.must("SELECT a || 'x' = b, a IN (b, lower(b)) AS m FROM app.t WHERE id = 1")
	var names []string
	for _, c := range res[0].Schema {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, ","); strings.Contains(got, "kdb_") {
		t.Errorf("labels: %s", got)
	}
	// Computed texts compare through kdb_text_order (bytes, stopping with
	// the statement); a column against a constant keeps its index lookup.
	if plan := explain(root, "SELECT id FROM app.t WHERE lower(a) IN (b, upper(b)) OR a || '' = b"); strings.Count(plan, "kdb_text_order") < 2 {
		t.Errorf("the comparisons do not compare through kdb_text_order:\n%s", plan)
	}
	if plan := explain(root, fmt.Sprintf("SELECT id FROM app.t WHERE id = %d AND a = 'b'", 1)); strings.Contains(plan, "kdb_text_order") {
		t.Errorf("a column compared with a constant is wrapped:\n%s", plan)
	}
}

// TestAttackText18LiveFilterComparesTexts: a live query's WHERE is the
// analyzed plan's condition, evaluated per change under a context of its
// own: its text comparisons, now read through kdb_text_order, match as
// before (and not with the error of a context that ended).
func TestAttackText18LiveFilterComparesTexts(t *testing.T) {
	e, alice, _ := chatEnv(t)
	ctx := context.Background()
	f, err := e.db.Engine.CompileFilter(ctx, alice.user, systable.RoleUser, "",
		"SELECT id FROM chat.messages WHERE conversation_id = 7 AND (upper(content) = 'IN' OR content || '' IN ('é', lower(content) || 'x') OR lower(content) > 'y')")
	if err != nil {
		t.Fatal(err)
	}
	if plan := explain(alice, "SELECT id FROM chat.messages WHERE conversation_id = 7 AND (upper(content) = 'IN' OR lower(content) > 'y')"); !strings.Contains(plan, "kdb_text_order") {
		t.Fatalf("the condition does not compare through kdb_text_order:\n%s", plan)
	}
	for content, want := range map[string]bool{"in": true, "In": true, "é": true, "zz": true, "Zz": true, "x": false, "": false, "y": false} {
		row := []any{int64(1), int64(7), nil, content, nil, int8(0), int64(5), int8(0)}
		got, err := f.Match(ctx, row)
		if err != nil {
			t.Fatalf("%q: %v", content, err)
		}
		if got != want {
			t.Errorf("%q: match %v, want %v", content, got, want)
		}
	}
}
