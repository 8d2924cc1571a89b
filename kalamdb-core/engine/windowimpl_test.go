package engine_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/database"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestEveryWindowFunctionIsKalamDBs plans every window function and
// every aggregate KalamDB accepts over a window, over every kind of
// window (none, PARTITION BY, ORDER BY, both; ROWS, RANGE and GROUPS
// frames, with offsets and EXCLUDE; a named window), with and without
// FILTER, and in every place a window can be (ORDER BY, subqueries,
// WITH, views, set operations, expressions), and checks what computes
// each expression of each window node of the plan: every aggregate,
// first_value, last_value and nth_value is KalamDB's (which frames its
// rows as PostgreSQL does), rank, dense_rank and percent_rank frame by
// peers, and only row_number, ntile, lag and lead are the engine's. The
// engine's own aggregates (its count, min, max ...) frame as MySQL does
// and buildWindow has no framing for them: a rule that left one under a
// window fails here (and buildWindow refuses it).
func TestEveryWindowFunctionIsKalamDBs(t *testing.T) {
	db := windowTable(t)
	ctx := context.Background()
	// The implementations a plan uses, each once (the engine computes
	// functions of one text once: count(*) OVER (), and the two counts
	// cume_dist() OVER () is).
	plan := func(text string) ([]string, error) {
		got, err := engine.WindowImplementations(ctx, db.Engine, "app", text)
		slices.Sort(got)
		return slices.Compact(got), err
	}
	// Each function with the implementations of the window expressions
	// it becomes.
	functions := []struct{ fn, impl string }{
		{"count(*)", "kalamdb:count"},
		{"count(x)", "kalamdb:count"},
		{"count(s) FILTER (WHERE x > 10)", "kalamdb:count"},
		{"min(x)", "kalamdb:min"},
		{"max(s)", "kalamdb:max"},
		{"min(f) FILTER (WHERE b)", "kalamdb:min"},
		{"max(d)", "kalamdb:max"},
		{"max(at)", "kalamdb:max"},
		{"sum(x)", "kalamdb:sum"},
		{"sum(f) FILTER (WHERE x < 20)", "kalamdb:sum"},
		{"avg(d)", "kalamdb:avg"},
		{"string_agg(s, ',')", "kalamdb:string_agg"},
		{"array_agg(x)", "kalamdb:array_agg"},
		{"json_agg(s)", "kalamdb:array_agg"},
		{"jsonb_agg(x)", "kalamdb:array_agg"},
		{"bool_and(b)", "kalamdb:bool_and"},
		{"bool_or(b)", "kalamdb:bool_or"},
		{"every(x > 1)", "kalamdb:bool_and"},
		{"stddev(f)", "kalamdb:stddev_samp"},
		{"stddev_samp(x)", "kalamdb:stddev_samp"},
		{"stddev_pop(d)", "kalamdb:stddev_pop"},
		{"variance(f)", "kalamdb:var_samp"},
		{"var_samp(x)", "kalamdb:var_samp"},
		{"var_pop(d)", "kalamdb:var_pop"},
		{"first_value(s)", "kalamdb:first_value"},
		{"last_value(x)", "kalamdb:last_value"},
		{"nth_value(f, 2)", "kalamdb:nth_value"},
		{"row_number()", "engine:row_number"},
		{"rank()", "peers:rank"},
		{"dense_rank()", "peers:dense_rank"},
		{"percent_rank()", "peers:percent_rank"},
		{"cume_dist()", "kalamdb:count kalamdb:count"},
		{"ntile(2)", "engine:ntile"},
		{"lag(x)", "engine:lag"},
		{"lead(s, 2, 'z')", "engine:lead"},
		{"lag(x, -1)", "engine:lead"},
	}
	windows := []string{
		"()",
		"(PARTITION BY g)",
		"(ORDER BY x)",
		"(PARTITION BY g ORDER BY x DESC NULLS FIRST, id)",
		"(ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)",
		"(ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING)",
		"(PARTITION BY g ORDER BY id ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING EXCLUDE CURRENT ROW)",
		"(RANGE BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)",
		"(ORDER BY x RANGE BETWEEN 5 PRECEDING AND 10 FOLLOWING EXCLUDE TIES)",
		"(ORDER BY at RANGE BETWEEN INTERVAL '1 day' PRECEDING AND CURRENT ROW)",
		"(ORDER BY d RANGE 1.5 PRECEDING EXCLUDE GROUP)",
		"(ORDER BY x GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING)",
		"(PARTITION BY g ORDER BY x, s GROUPS BETWEEN CURRENT ROW AND 2 FOLLOWING EXCLUDE NO OTHERS)",
		"w",
		"(w ORDER BY x ROWS 2 PRECEDING)",
	}
	for _, w := range windows {
		var calls []string
		want := []string{"plain"} // id
		for _, f := range functions {
			calls = append(calls, f.fn+" OVER "+w)
			want = append(want, strings.Fields(f.impl)...)
		}
		text := "SELECT id, " + strings.Join(calls, ", ") + " FROM app.t WINDOW w AS (PARTITION BY g) ORDER BY id"
		got, err := plan(text)
		slices.Sort(want)
		want = slices.Compact(want)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("OVER %s: %v, %v; want %v", w, got, err, want)
		}
		// The statement runs, too (buildWindow refuses an implementation
		// it does not know).
		if _, err := db.Executor.Execute(ctx, executor.Request{UserID: "root", Role: systable.RoleSystem, SQL: text}); err != nil {
			t.Errorf("OVER %s: %v", w, err)
		}
	}
	// Windows elsewhere than a SELECT list of a table.
	for _, c := range []struct{ text, want string }{
		{"SELECT id FROM app.t ORDER BY sum(x) OVER (ORDER BY id) DESC, rank() OVER (ORDER BY x)", "kalamdb:sum peers:rank plain"},
		{"SELECT id, max(x) OVER (ORDER BY id) + 1, coalesce(lag(x) OVER (ORDER BY id), 0) FROM app.t", "engine:lag kalamdb:max plain"},
		{"SELECT * FROM (SELECT id, count(*) OVER (PARTITION BY g) c FROM app.t) q WHERE c > 1", "kalamdb:count plain"},
		{"SELECT id, (SELECT max(m) FROM (SELECT min(x) OVER (ORDER BY id ROWS 1 PRECEDING) m FROM app.t) q) FROM app.t", "kalamdb:min"},
		{"WITH r AS (SELECT id, last_value(x) OVER (ORDER BY x) lv FROM app.t) SELECT * FROM r", "kalamdb:last_value plain"},
		{"SELECT id, run FROM app.v", "kalamdb:sum plain"},
		{"SELECT id, max(x) OVER () FROM app.t UNION ALL SELECT id, count(*) OVER (ORDER BY f) FROM app.t", "kalamdb:count kalamdb:max plain"},
		{"SELECT g, sum(n) OVER (ORDER BY g), dense_rank() OVER (ORDER BY n) FROM (SELECT g, count(*) n FROM app.t GROUP BY g) q",
			"kalamdb:sum peers:dense_rank plain"},
		{"SELECT a.id, min(b.x) OVER (PARTITION BY a.g ORDER BY b.id) FROM app.t a JOIN app.t b ON a.g = b.g", "kalamdb:min plain"},
	} {
		got, err := plan(c.text)
		if want := strings.Fields(c.want); err != nil || !slices.Equal(got, want) { // sorted, each once
			t.Errorf("%s: %v, %v; want %v", c.text, got, err, want)
		}
	}
	// An aggregate beside a window function, over the query's rows, is
	// refused before a window node holds it.
	for _, text := range []string{
		"SELECT count(*), row_number() OVER () FROM app.t",
		"SELECT max(x), sum(x) OVER (ORDER BY id) FROM app.t",
	} {
		if got, err := plan(text); !apierror.Is(err, apierror.Unsupported) {
			t.Errorf("%s: %v, %v; want %s", text, got, err, apierror.Unsupported)
		}
	}
}

// windowTable is a database with a shared table app.t of three rows and
// a view app.v of a window over it.
func windowTable(t *testing.T) *database.Database {
	db := openDatabase(t)
	if _, err := db.Executor.Execute(context.Background(), executor.Request{UserID: "root", Role: systable.RoleSystem, SQL: `CREATE NAMESPACE app;
		CREATE SHARED TABLE app.t (id BIGINT PRIMARY KEY, g INT, x INT, f DOUBLE, d DECIMAL(10,2), s TEXT, b BOOLEAN, at TIMESTAMP);
		INSERT INTO app.t VALUES (1, 1, 10, 1.5, 1.25, 'a', true, '2026-01-01'), (2, 1, 20, 2.5, 2.50, 'b', false, '2026-01-02'),
			(3, 2, 20, NULL, NULL, NULL, NULL, NULL);
		CREATE VIEW app.v AS SELECT id, sum(x) OVER (ORDER BY id) AS run FROM app.t`}); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestCumeDistIgnoresTheFrame: cume_dist() is the share of the
// partition's rows up to the row's last peer, whatever the window's frame
// (as rank's); KalamDB counted the rows of the frame instead, so a ROWS
// frame changed the answer and one excluding the current row divided by
// zero, and RANGE or GROUPS with an offset was refused.
func TestCumeDistIgnoresTheFrame(t *testing.T) {
	db := windowTable(t)
	for _, over := range []string{
		"ORDER BY x",
		"ORDER BY x ROWS BETWEEN CURRENT ROW AND CURRENT ROW",
		"ORDER BY x ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING EXCLUDE CURRENT ROW",
		"ORDER BY x RANGE BETWEEN 5 PRECEDING AND 10 FOLLOWING EXCLUDE TIES",
		"ORDER BY x GROUPS 1 PRECEDING EXCLUDE GROUP",
		"w ROWS 1 PRECEDING",
	} {
		text := "SELECT id, cume_dist() OVER (" + over + ") FROM app.t WINDOW w AS (ORDER BY x) ORDER BY id"
		res, err := db.Executor.Execute(context.Background(), executor.Request{UserID: "root", Role: systable.RoleSystem, SQL: text})
		if err != nil {
			t.Errorf("OVER (%s): %v", over, err)
			continue
		}
		if got := fmt.Sprint(res[0].Rows); got != "[[1 0.3333333333333333] [2 1] [3 1]]" {
			t.Errorf("OVER (%s): %s", over, got)
		}
	}
	// The frame is still checked, as PostgreSQL does.
	_, err := db.Executor.Execute(context.Background(), executor.Request{UserID: "root", Role: systable.RoleSystem,
		SQL: "SELECT cume_dist() OVER (ORDER BY x, id RANGE 1 PRECEDING) FROM app.t"})
	if !apierror.Is(err, apierror.InvalidSQL) || !strings.Contains(err.Error(), "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column") {
		t.Errorf("RANGE offset over two keys: %v", err)
	}
}
