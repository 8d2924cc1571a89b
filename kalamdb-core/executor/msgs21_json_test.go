package executor_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// Text that is not JSON fails with PostgreSQL's message and the detail
// its parser gives (`Token "x" is invalid.`), never the Go decoder's text
// ("invalid character 'x' looking for beginning of value").
func TestMsgs21JSONInputErrorsArePostgreSQLs(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.j (id INT PRIMARY KEY, j JSON)`)
	const prefix = "invalid input syntax for type json: "
	for _, c := range []struct{ text, detail string }{
		{`x`, `Token "x" is invalid.`},
		{`xyz_1 2`, `Token "xyz_1" is invalid.`},
		{`{oops`, `Token "oops" is invalid.`},
		{`truex`, `Token "truex" is invalid.`},
		{`01`, `Token "01" is invalid.`},
		{`-`, `Token "-" is invalid.`},
		{`1.`, `Token "1." is invalid.`},
		{`1.5e`, `Token "1.5e" is invalid.`},
		{`1ex`, `Token "1ex" is invalid.`},
		{`@`, `Token "@" is invalid.`},
		{`"abc`, `Token ""abc" is invalid.`},
		{`{"a" 1}`, `Expected ":", but found "1".`},
		{`[1,]`, `Expected JSON value, but found "]".`},
		{`[1 2]`, `Expected "," or "]", but found "2".`},
		{`{"a":1 "b":2}`, `Expected "," or "}", but found ""b"".`},
		{`{"a":1,}`, `Expected string, but found "}".`},
		{`{1:2}`, `Expected string or "}", but found "1".`},
		{`}`, `Expected JSON value, but found "}".`},
		{`1 2`, `Expected end of input, but found "2".`},
		{`{} []`, `Expected end of input, but found "[".`},
		{``, `The input string ended unexpectedly.`},
		{`   `, `The input string ended unexpectedly.`},
		{`{"a":`, `The input string ended unexpectedly.`},
		{`[1,`, `The input string ended unexpectedly.`},
		{`"\x"`, `Escape sequence "\x" is invalid.`},
		{`"\u12"`, `"\u" must be followed by four hexadecimal digits.`},
		{"\"a\tb\"", `Character with value 0x09 must be escaped.`},
		{`"\ud800"`, `Unicode low surrogate must follow a high surrogate.`},
		{`"\udc00"`, `Unicode low surrogate must follow a high surrogate.`},
		{`"\ud800\ud800"`, `Unicode high surrogate must not follow a high surrogate.`},
	} {
		want := prefix + c.detail
		if ae := root.fails(apierror.SQLExecutionError, `SELECT $1::json`, c.text); ae.Message != want {
			t.Errorf("%q::json:\n got %q\nwant %q", c.text, ae.Message, want)
		}
		if ae := root.fails(apierror.InvalidInput, `INSERT INTO app.j VALUES (1, $1)`, c.text); ae.Message != want {
			t.Errorf("%q into a JSON column:\n got %q\nwant %q", c.text, ae.Message, want)
		}
	}
	if ae := root.fails(apierror.SQLExecutionError, `SELECT 'x'::json`); ae.Message != prefix+`Token "x" is invalid.` {
		t.Errorf("'x'::json: %q", ae.Message)
	}
	if ae := root.fails(apierror.InvalidInput, `INSERT INTO app.j VALUES (1, '{oops')`); ae.Message != prefix+`Token "oops" is invalid.` {
		t.Errorf("'{oops' into a JSON column: %q", ae.Message)
	}
	if got := root.rows(`SELECT count(*) FROM app.j`); got != `[[0]]` {
		t.Errorf("rows after the refusals: %s", got)
	}
}
