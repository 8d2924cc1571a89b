package dialect

import (
	"reflect"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

func TestCreateView(t *testing.T) {
	for _, tc := range []struct {
		sql       string
		view      TableName
		replace   bool
		ifNot     bool
		columns   []string
		query     string
		queryKind Kind
	}{
		{sql: "CREATE VIEW app.recent AS SELECT id FROM app.messages WHERE id > 10",
			view: TableName{"app", "recent"}, query: "SELECT id FROM app.messages WHERE id > 10"},
		{sql: "create or replace view Recent as (select 1) ;",
			view: TableName{Name: "recent"}, replace: true, query: "(select 1)"},
		{sql: "CREATE VIEW IF NOT EXISTS app.v (a, \"B\") AS\n  WITH x AS (SELECT 1, 2) SELECT * FROM x -- done",
			view: TableName{"app", "v"}, ifNot: true, columns: []string{"a", "b"}, query: "WITH x AS (SELECT 1, 2) SELECT * FROM x"},
		{sql: "CREATE VIEW app.v AS VALUES (1), (2)", view: TableName{"app", "v"}, query: "VALUES (1), (2)"},
	} {
		st := parseAs[*CreateView](t, tc.sql)
		if st.View != tc.view || st.OrReplace != tc.replace || st.IfNotExists != tc.ifNot || !reflect.DeepEqual(st.Columns, tc.columns) {
			t.Errorf("%q: got %+v", tc.sql, st)
		}
		if st.Query == nil || st.Query.Text() != tc.query || st.Query.Kind() != KindSelect {
			t.Errorf("%q: query = %+v", tc.sql, st.Query)
		}
		if st.Kind() != KindCreateView || !st.Kind().IsDDL() {
			t.Errorf("%q: kind %s", tc.sql, st.Kind())
		}
	}
}

func TestCreateViewQueryErrorsPointIntoTheRequest(t *testing.T) {
	// The query keeps its place in the request: an error the query engine
	// finds later at position p of the query is reported where it is in
	// the batch.
	stmts, err := Parse("SELECT 1;\nCREATE VIEW v AS SELECT FROM x")
	if err != nil {
		t.Fatal(err)
	}
	q := stmts[1].(*CreateView).Query
	located := q.LocateError(apierror.New(apierror.InvalidSQL, "boom").WithDetails(map[string]any{"position": 8}))
	ae, _ := apierror.As(located)
	if d := ae.Details.(map[string]any); d["line"] != 2 || d["column"] != 25 {
		t.Fatalf("details = %v", ae.Details)
	}
}

func TestCreateViewErrors(t *testing.T) {
	runErrCases(t, []errCase{
		{name: "no query", sql: "CREATE VIEW v AS", code: apierror.InvalidSQL, msg: "expected a query"},
		{name: "no AS", sql: "CREATE VIEW v SELECT 1", code: apierror.InvalidSQL, msg: "expected AS", pos: 15},
		{name: "write", sql: "CREATE VIEW v AS DELETE FROM t", code: apierror.InvalidSQL, msg: "DELETE cannot define a view", pos: 18},
		{name: "with write", sql: "CREATE VIEW v AS WITH x AS (SELECT 1) DELETE FROM t", code: apierror.InvalidSQL, msg: "DELETE cannot define a view", pos: 18},
		{name: "explain", sql: "CREATE VIEW v AS EXPLAIN SELECT 1", code: apierror.InvalidSQL, msg: "expected a query", pos: 18},
		{name: "both", sql: "CREATE OR REPLACE VIEW IF NOT EXISTS v AS SELECT 1", code: apierror.InvalidSQL, msg: "cannot have IF NOT EXISTS", pos: 24},
		{name: "check option", sql: "CREATE VIEW v AS SELECT a FROM t WITH LOCAL CHECK OPTION", code: apierror.Unsupported, msg: "WITH CHECK OPTION is not supported"},
		{name: "duplicate column", sql: "CREATE VIEW v (a, A) AS SELECT 1, 2", code: apierror.InvalidSQL, msg: `column "a" specified more than once`, pos: 19},
		{name: "system column name", sql: "CREATE VIEW v (_a) AS SELECT 1", code: apierror.InvalidSQL, msg: "reserved"},
		{name: "empty column list", sql: "CREATE VIEW v () AS SELECT 1", code: apierror.InvalidSQL, msg: "expected column name"},
		{name: "bad name", sql: "CREATE VIEW a.b.c AS SELECT 1", code: apierror.InvalidSQL, msg: "expected AS"},
		{name: "backticks in query", sql: "CREATE VIEW v AS SELECT `a` FROM t", code: apierror.InvalidSQL, msg: "MySQL quoting"},
		{name: "second statement", sql: "CREATE VIEW v AS SELECT 1; SELECT 2", code: apierror.InvalidSQL, msg: "only one statement"},
	})
}

func TestDropView(t *testing.T) {
	st := parseAs[*DropView](t, "DROP VIEW IF EXISTS App.V")
	if st.View != (TableName{"app", "v"}) || !st.IfExists || st.Kind() != KindDropView || !st.Kind().IsDDL() {
		t.Fatalf("got %+v", st)
	}
	st = parseAs[*DropView](t, "drop view v;")
	if st.View != (TableName{Name: "v"}) || st.IfExists {
		t.Fatalf("got %+v", st)
	}
	runErrCases(t, []errCase{
		{name: "cascade", sql: "DROP VIEW v CASCADE", code: apierror.InvalidSQL, msg: "expected end of statement", pos: 13},
		{name: "list", sql: "DROP VIEW a, b", code: apierror.InvalidSQL, msg: "expected end of statement", pos: 12},
		{name: "no name", sql: "DROP VIEW", code: apierror.InvalidSQL, msg: "expected table name"},
	})
}
