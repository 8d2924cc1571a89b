package executor_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// Input and range errors name PostgreSQL's types, as every other cast
// error does ("cannot cast jsonb string to type integer"): they said
// "type int", "type float" (a REAL), "type double" and "int out of range".
func TestDocsReview20CastErrorsNamePostgreSQLTypes(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app`)
	root.must(`CREATE TABLE app.t (id BIGINT PRIMARY KEY, i INT)`)
	for _, c := range []struct {
		code      apierror.Code
		sql, want string
	}{
		{apierror.SQLExecutionError, `SELECT '1.5'::int`, `invalid input syntax for type integer: "1.5"`},
		{apierror.SQLExecutionError, `SELECT 'x'::real`, `invalid input syntax for type real: "x"`},
		{apierror.SQLExecutionError, `SELECT 'x'::float8`, `invalid input syntax for type double precision: "x"`},
		{apierror.SQLExecutionError, `SELECT 'x'::datetime`, `invalid input syntax for type timestamp with time zone: "x"`},
		{apierror.SQLExecutionError, `SELECT 2147483648::int`, `integer out of range`},
		{apierror.SQLExecutionError, `SELECT 40000::smallint`, `smallint out of range`},
		{apierror.InvalidInput, `INSERT INTO app.t (id, i) VALUES (1, 'abc')`, `invalid input syntax for type integer: "abc"`},
	} {
		if ae := root.fails(c.code, c.sql); ae.Message != c.want {
			t.Errorf("%s: %q, want %q", c.sql, ae.Message, c.want)
		}
	}
}
