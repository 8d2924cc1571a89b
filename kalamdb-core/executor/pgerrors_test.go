package executor_test

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// TestValueErrorsInPostgresWords: values a column cannot hold are refused
// with the right code and PostgreSQL's message, never the engine's (MySQL's)
// wording, and change nothing.
func TestValueErrorsInPostgresWords(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app;
		CREATE SHARED TABLE app.w (id BIGINT PRIMARY KEY, v VARCHAR(3), d DECIMAL(5,2), ok BOOLEAN, c INT NOT NULL DEFAULT 5);
		INSERT INTO app.w (id, v, d, ok) VALUES (1, 'abc', 1.00, true)`)
	mysql := []string{"is too large for column", "Out of range value", "non-nullable", "operand should have", "decimal(0,0)", "number of values"}
	for _, c := range []struct {
		sql  string
		code apierror.Code
		msg  string
	}{
		{"INSERT INTO app.w (id, v) VALUES (2, 'abcd')", apierror.InvalidInput, "value too long for type character varying(3)"},
		{"INSERT INTO app.w (id, v) VALUES (2, 'ééééé')", apierror.InvalidInput, "value too long for type character varying(3)"},
		{"INSERT INTO app.w (id, v) SELECT 2, txt FROM (VALUES ('abcd')) x(txt)", apierror.InvalidInput, "value too long for type character varying(3)"},
		{"INSERT INTO app.w (id, v) VALUES (2, $1)", apierror.InvalidInput, "value too long for type character varying(3)"},
		{"UPDATE app.w SET v = v || 'x' WHERE id = 1", apierror.InvalidInput, "value too long for type character varying(3)"},
		{"UPDATE app.w SET v = 'wxyz' WHERE id = 1", apierror.InvalidInput, "value too long for type character varying(3)"},
		{"INSERT INTO app.w (id, d) VALUES (2, 999.995)", apierror.InvalidInput, "numeric field overflow"},
		{"UPDATE app.w SET d = d * 1000 WHERE id = 1", apierror.InvalidInput, "numeric field overflow"},
		{"INSERT INTO app.w (id, c) VALUES (4, NULL)", apierror.InvalidInput, `null value in column "c" violates not-null constraint`},
		{"SELECT id FROM app.w WHERE d = '1,25'", apierror.InvalidInput, `invalid input syntax for type numeric: "1,25"`},
		{"SELECT count(DISTINCT (v, ok)) FROM app.w", apierror.Unsupported, "a row value as the argument of aggregate count() is not supported"},
		{"INSERT INTO app.w (id) VALUES (2, 3)", apierror.InvalidSQL, "INSERT has more expressions than target columns"},
		{"INSERT INTO app.w (id, v) VALUES (2)", apierror.InvalidSQL, "INSERT has more target columns than expressions"},
		{"INSERT INTO app.w VALUES (2, 'a', 1, true, 1, 6)", apierror.InvalidSQL, "INSERT has more expressions than target columns"},
		{"INSERT INTO app.w VALUES (2, 'a'), (3)", apierror.InvalidSQL, "VALUES lists must all be the same length"},
	} {
		var params []any
		if strings.Contains(c.sql, "$1") {
			params = []any{"wxyz"}
		}
		ae := root.fails(c.code, c.sql, params...)
		if !strings.Contains(ae.Message, c.msg) {
			t.Errorf("%s: %q, want %q", c.sql, ae.Message, c.msg)
		}
		for _, m := range mysql {
			if strings.Contains(ae.Message, m) {
				t.Errorf("%s: %q has the engine's wording %q", c.sql, ae.Message, m)
			}
		}
	}
	// Texts that fit, in characters, are written.
	root.must("INSERT INTO app.w (id, v) VALUES (2, 'éé'), (3, NULL), (4, $1)", "xyz")
	root.must("UPDATE app.w SET v = 'q' || v WHERE id = 2")
	if got := root.rows("SELECT id, v, d, c FROM app.w ORDER BY id"); got != `[[1,"abc","1.00",5],[2,"qéé",null,5],[3,null,null,5],[4,"xyz",null,5]]` {
		t.Fatalf("rows: %s", got)
	}
}

// TestInsertShortValuesList: without a column list, VALUES rows shorter
// than the table name its first columns; the others take their defaults
// (PostgreSQL's rule), on every path a VALUES row takes.
func TestInsertShortValuesList(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app;
		CREATE SHARED TABLE app.ins (id BIGINT PRIMARY KEY, a INT, b TEXT DEFAULT 'dflt', c INT NOT NULL DEFAULT 5)`)
	root.must("INSERT INTO app.ins VALUES (2, 1)")
	root.must("INSERT INTO app.ins VALUES (3), (4)")
	root.must("INSERT INTO app.ins VALUES ($1, $2, $3)", 5, 7, "x")
	root.must("INSERT INTO app.ins VALUES (6, 1, 'y', 9)")
	if got := root.rows("SELECT id, a, b, c FROM app.ins ORDER BY id"); got != `[[2,1,"dflt",5],[3,null,"dflt",5],[4,null,"dflt",5],[5,7,"x",5],[6,1,"y",9]]` {
		t.Fatalf("rows: %s", got)
	}
}

// TestUnionColumnCount: set-operation branches of different widths are a
// planning error in PostgreSQL's words (the engine's was an execution
// error).
func TestUnionColumnCount(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.u (id BIGINT PRIMARY KEY, a INT)`)
	refusedAsInvalidSQL(t, root, []refusal{
		{"SELECT 1, 2 UNION SELECT 1", "each UNION query must have the same number of columns"},
		{"SELECT 1 INTERSECT SELECT 1, 2", "each INTERSECT query must have the same number of columns"},
		{"SELECT 1, 2 EXCEPT SELECT 1", "each EXCEPT query must have the same number of columns"},
		{"SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3, 4", "each UNION query must have the same number of columns"},
		{"SELECT * FROM app.u UNION SELECT 1", "must have the same number of columns"},
	})
	root.must("INSERT INTO app.u VALUES (1, 2)")
	if got := root.rows("SELECT id, a FROM app.u UNION ALL SELECT 3, 4 ORDER BY 1"); got != `[[1,2],[3,4]]` {
		t.Fatalf("rows: %s", got)
	}
}
