package executor_test

import (
	"testing"
)

// TestUpdateSystemUsersEmailOfAnyType: the email of system.users is text,
// and PostgreSQL writes a value of any type into a text column as its
// text, as KalamDB does into a table's TEXT column. The UPDATE refused
// them naming a Go type ("email must be text, not int64").
func TestUpdateSystemUsersEmailOfAnyType(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE USER 'alice' WITH PASSWORD 'pw' ROLE user`)
	for _, c := range []struct {
		value string
		param any
		want  string
	}{
		{"5", nil, `[["5"]]`},
		{"true", nil, `[["true"]]`},
		{"1.5", nil, `[["1.5"]]`},
		{"DATE '2024-01-02'", nil, `[["2024-01-02"]]`},
		// KalamDB's JSON text is compact (docs/sql.md).
		{`'{"a": 1}'::json`, nil, `[["{\"a\":1}"]]`},
		{"$1", 7, `[["7"]]`},
		{"NULL", nil, `[[null]]`},
	} {
		q := "UPDATE system.users SET email = " + c.value + " WHERE username = 'alice'"
		var params []any
		if c.param != nil {
			params = []any{c.param}
		}
		root.must(q, params...)
		if got := root.rows("SELECT email FROM system.users WHERE username = 'alice'"); got != c.want {
			t.Errorf("%s: email %s, want %s", q, got, c.want)
		}
	}
}
