package dialect

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

func TestEngineText(t *testing.T) {
	cases := []struct {
		in, out string
		n       int
	}{
		{"SELECT * FROM t WHERE a = $1 AND b = $2", "SELECT * FROM t WHERE a = :v1 AND b = :v2", 2},
		{"SELECT * FROM t WHERE a = $2 OR b = $1 OR c = $2", "SELECT * FROM t WHERE a = :v2 OR b = :v1 OR c = :v2", 2},
		{"SELECT '$1', \"$2\" FROM t -- $3\nWHERE a = $1", "SELECT '$1', \"$2\" FROM t -- $3\nWHERE a = :v1", 1},
		{"INSERT INTO t VALUES (?, ?, ?)", "INSERT INTO t VALUES (?, ?, ?)", 3},
		{"SELECT 1", "SELECT 1", 0},
		{"SELECT * FROM t WHERE a = $10", "SELECT * FROM t WHERE a = :v10", 10},
		{"SELECT * FROM system.tables", `SELECT * FROM "system"."tables"`, 0},
		{"SELECT m.id FROM chat.messages m WHERE m.x = 1.5", `SELECT "m"."id" FROM "chat"."messages" m WHERE "m"."x" = 1.5`, 0},
		{`SELECT "system".tables.*, t.*`, `SELECT "system"."tables".*, "t".*`, 0},
		{"SELECT 'a.b', a . b", "SELECT 'a.b', a . b", 0},
	}
	for _, c := range cases {
		st, err := ParseOne(c.in)
		if err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		got, err := EngineText(st.(*StandardSQL))
		if err != nil || got.Text != c.out || got.Params != c.n {
			t.Errorf("EngineText(%q) = %q, %d, %v; want %q, %d", c.in, got.Text, got.Params, err, c.out, c.n)
		}
	}
	for _, bad := range []string{"SELECT * FROM t WHERE a = $1 AND b = ?", "SELECT * FROM t WHERE a = $0"} {
		st, err := ParseOne(bad)
		if err != nil {
			t.Fatalf("%q: %v", bad, err)
		}
		if _, err := EngineText(st.(*StandardSQL)); !apierror.Is(err, apierror.InvalidParameter) {
			t.Errorf("EngineText(%q): got %v, want INVALID_PARAMETER", bad, err)
		}
	}
}

func TestEngineTextSourcePosition(t *testing.T) {
	st, _ := ParseOne("SELECT x FROM system.tables WHERE a = $1 FORM")
	es, err := EngineText(st.(*StandardSQL))
	if err != nil {
		t.Fatal(err)
	}
	// "FORM" starts at byte 42 (1-based) in the source.
	enginePos := len(`SELECT x FROM "system"."tables" WHERE a = :v1 F`)
	if got := es.SourcePosition(enginePos); got != 42 {
		t.Fatalf("SourcePosition(%d) = %d, want 42", enginePos, got)
	}
}

func TestStandardSQLRefusesVariables(t *testing.T) {
	for _, q := range []string{"SELECT @x", "SELECT @@version", "SELECT @x := 1", "UPDATE t SET a = @v"} {
		if _, err := ParseOne(q); !apierror.Is(err, apierror.InvalidSQL) {
			t.Errorf("%q: got %v, want INVALID_SQL", q, err)
		}
	}
	if _, err := ParseOne("SELECT '@x' FROM t"); err != nil {
		t.Errorf("'@' inside a string literal refused: %v", err)
	}
}
