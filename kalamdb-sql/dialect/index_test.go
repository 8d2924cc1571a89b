package dialect

import (
	"reflect"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

func TestCreateIndex(t *testing.T) {
	ci := parseAs[*CreateIndex](t, "CREATE INDEX messages_conv_id ON chat.messages (conversation_id, id)")
	if ci.Name != "messages_conv_id" || ci.IfNotExists || ci.Table != (TableName{"chat", "messages"}) ||
		!reflect.DeepEqual(ci.Columns, []string{"conversation_id", "id"}) {
		t.Fatalf("%+v", ci)
	}
	if ci.Kind() != KindCreateIndex || !ci.Kind().IsDDL() || ci.Text() != "CREATE INDEX messages_conv_id ON chat.messages (conversation_id, id)" {
		t.Fatalf("kind %s text %q", ci.Kind(), ci.Text())
	}
	// Names fold to lower case; the forms PostgreSQL writes for the
	// order an index has anyway are accepted.
	ci = parseAs[*CreateIndex](t, `create index concurrently if not exists "ByConv" on messages using BTREE ("Conv" asc nulls last, ts);`)
	if ci.Name != "byconv" || !ci.IfNotExists || ci.Table != (TableName{"", "messages"}) || !reflect.DeepEqual(ci.Columns, []string{"conv", "ts"}) {
		t.Fatalf("%+v", ci)
	}
	if ci := parseAs[*CreateIndex](t, "CREATE INDEX i ON ONLY t (a)"); ci.Table.Name != "t" {
		t.Fatalf("%+v", ci)
	}

	// A column named twice is accepted, as PostgreSQL accepts it, and
	// indexed once: its second place orders nothing.
	if ci := parseAs[*CreateIndex](t, "CREATE INDEX i ON t (a, b, a, b)"); strings.Join(ci.Columns, ",") != "a,b" {
		t.Fatalf("columns %v, want [a b]", ci.Columns)
	}

	runErrCases(t, []errCase{
		{sql: "CREATE INDEX ON t (a)", code: apierror.InvalidSQL, msg: "an index needs a name", pos: 14},
		{sql: "CREATE INDEX ns.i ON t (a)", code: apierror.InvalidSQL, msg: "an index name is not qualified", pos: 16},
		{sql: "CREATE INDEX i ON t ()", code: apierror.InvalidSQL, msg: "expected column name", pos: 22},
		{sql: "CREATE INDEX i ON t (a, b, c, d, e, f, g, h, k)", code: apierror.InvalidSQL, msg: "at most 8 columns", pos: 46},
		{sql: "CREATE INDEX i ON t (_seq)", code: apierror.InvalidSQL, msg: "system column _seq cannot be indexed", pos: 22},
		{sql: "CREATE INDEX i ON t (a DESC)", code: apierror.InvalidSQL, msg: "descending index columns are not supported", pos: 24},
		{sql: "CREATE INDEX i ON t (a NULLS FIRST)", code: apierror.InvalidSQL, msg: "NULLS FIRST index columns are not supported", pos: 30},
		{sql: "CREATE INDEX i ON t (lower(a))", code: apierror.InvalidSQL, msg: "near '('"},
		{sql: "CREATE INDEX i ON t ((a + 1))", code: apierror.InvalidSQL, msg: "indexes on expressions are not supported", pos: 22},
		{sql: "CREATE INDEX i ON t USING hash (a)", code: apierror.InvalidSQL, msg: "index method hash is not supported", pos: 27},
		{sql: "CREATE INDEX i ON t (a) WHERE a > 1", code: apierror.InvalidSQL, msg: "CREATE INDEX ... WHERE is not supported", pos: 25},
		{sql: "CREATE INDEX i ON t (a) INCLUDE (b)", code: apierror.InvalidSQL, msg: "INCLUDE is not supported"},
		{sql: "CREATE UNIQUE INDEX i ON t (a)", code: apierror.InvalidSQL, msg: "UNIQUE indexes are not supported", pos: 8},
		{sql: "CREATE INDEX primary ON t (a)", code: apierror.InvalidSQL, msg: "PRIMARY is the primary key's name", pos: 14},
		{sql: "CREATE INDEX 1i ON t (a)", code: apierror.InvalidSQL, msg: "expected index name"},
		{sql: "CREATE INDEX i ON t (a) extra", code: apierror.InvalidSQL, msg: "expected end of statement"},
		{sql: "CREATE INDEX i t (a)", code: apierror.InvalidSQL, msg: "expected ON"},
	})
}

func TestDropAndShowIndexes(t *testing.T) {
	di := parseAs[*DropIndex](t, "DROP INDEX IF EXISTS chat.messages_conv_id")
	if di.Namespace != "chat" || di.Name != "messages_conv_id" || !di.IfExists || !di.Kind().IsDDL() {
		t.Fatalf("%+v", di)
	}
	if di = parseAs[*DropIndex](t, "drop index concurrently I"); di.Namespace != "" || di.Name != "i" || di.IfExists {
		t.Fatalf("%+v", di)
	}
	if si := parseAs[*ShowIndexes](t, "SHOW INDEXES"); si.Table != nil || si.Kind() != KindShowIndexes || si.Kind().IsDDL() {
		t.Fatalf("%+v", si)
	}
	for _, sql := range []string{"SHOW INDEXES FROM chat.messages", "SHOW INDEX IN chat.messages", "show keys from chat.messages"} {
		if si := parseAs[*ShowIndexes](t, sql); si.Table == nil || *si.Table != (TableName{"chat", "messages"}) {
			t.Fatalf("%s: %+v", sql, si)
		}
	}
	runErrCases(t, []errCase{
		{sql: "DROP INDEX", code: apierror.InvalidSQL, msg: "expected index name", pos: 11},
		{sql: "DROP INDEX i ON t", code: apierror.InvalidSQL, msg: "DROP INDEX names the index only", pos: 14},
		{sql: "DROP INDEX a.b.c", code: apierror.InvalidSQL, msg: "expected end of statement"},
		{sql: "SHOW INDEXES FROM", code: apierror.InvalidSQL, msg: "expected table name"},
		{sql: "SHOW INDEXES t", code: apierror.InvalidSQL, msg: "expected end of statement"},
	})
}
