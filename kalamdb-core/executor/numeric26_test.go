package executor_test

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// expectError runs sqlText and reports unless it fails with code and a
// message containing msg.
func expectError(t *testing.T, c *caller, code apierror.Code, msg, sqlText string) {
	t.Helper()
	_, err := c.exec(sqlText)
	if err == nil {
		t.Errorf("%.200s: succeeded, want %s %q", sqlText, code, msg)
		return
	}
	if ae, ok := apierror.As(err); !ok || ae.Code != code || !strings.Contains(ae.Message, msg) {
		t.Errorf("%.200s: got %v, want %s %q", sqlText, err, code, msg)
	}
}

// PostgreSQL 15 reads a numeric's exponent of any size when the value
// fits numeric (131072 digits before the point, 16383 after); text with
// an exponent above 1000 was invalid input here, as in PostgreSQL 14.
// A DECIMAL column or cast still holds 38 digits, 30 after the point.
func TestNumericTextExponentsAsPostgreSQL15(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must("CREATE NAMESPACE app")
	root.must("CREATE TABLE app.t (id INT PRIMARY KEY, a TEXT DEFAULT 1e1001, b TEXT DEFAULT -1e-16383, c NUMERIC(5,2) DEFAULT 0e100000000, d NUMERIC(10,2))")
	root.must("INSERT INTO app.t (id) VALUES (1)")
	root.must("INSERT INTO app.t (id, d) VALUES (2, '0e100000000')")
	if got, want := root.rows("SELECT length(a), a = '1' || repeat('0', 1001), length(b), c, d FROM app.t ORDER BY id"), `[[1002,true,16386,"0.00",null],[1002,true,16386,"0.00","0.00"]]`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	for q, want := range map[string]string{
		"SELECT '1e-16383'::numeric":         `[["0.0000000000"]]`,
		"SELECT '0e100000000'::numeric(5,2)": `[["0.00"]]`,
		"SELECT '-0.00e-16381'::numeric":     `[["0.0000000000"]]`,
	} {
		if got := root.rows(q); got != want {
			t.Errorf("%s = %s, want %s", q, got, want)
		}
	}
	expectError(t, root, apierror.SQLExecutionError, "numeric field overflow", "SELECT '1e1001'::numeric")
	for _, text := range []string{"1e131072", "1e-16384", "0e-16384", "1e999999999", "0e1073741823"} {
		expectError(t, root, apierror.SQLExecutionError, "value overflows numeric format", "SELECT '"+text+"'::numeric")
		expectError(t, root, apierror.InvalidSQL, "value overflows numeric format", "CREATE TABLE app.bad (id INT PRIMARY KEY, a TEXT DEFAULT "+text+")")
	}
	expectError(t, root, apierror.InvalidInput, "numeric field overflow", "INSERT INTO app.t (id, d) VALUES (3, '1e1001')")
}

// NUMERIC(10,11) and NUMERIC(3,-2) are PostgreSQL types; a DECIMAL(p,s)
// here is stored with its scale between 0 and p (Arrow's Decimal128,
// Parquet's DECIMAL), so they are UNSUPPORTED, naming why, in a column
// or a cast; past PostgreSQL's own range the scale is invalid.
func TestNumericScaleOutsidePrecisionUnsupported(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must("CREATE NAMESPACE app")
	for _, q := range []string{
		"CREATE TABLE app.s (id INT PRIMARY KEY, a NUMERIC(10,11))",
		"CREATE TABLE app.s (id INT PRIMARY KEY, a NUMERIC(3,-2))",
		"SELECT 0.05::numeric(10,11)",
		"SELECT CAST(123.5 AS NUMERIC(3,-2))",
	} {
		expectError(t, root, apierror.Unsupported, "a DECIMAL's scale is between 0 and its precision here", q)
	}
	expectError(t, root, apierror.InvalidSQL, "NUMERIC scale 1001 must be between -1000 and 1000", "SELECT 1::numeric(1,1001)")
	expectError(t, root, apierror.InvalidSQL, "NUMERIC scale -1001 must be between -1000 and 1000", "CREATE TABLE app.s (id INT PRIMARY KEY, a NUMERIC(3,-1001))")
}

// +'5' is PostgreSQL's unary plus of a double precision (the operator it
// picks for an unknown operand; it was a numeric here); -'5' and -NULL
// have no single candidate (-NULL was a NULL bigint).
func TestUnaryPlusOfUnknownIsDouble(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	res := root.must("SELECT +'5', +'5.5', +'5' + 1, +'1e300'")
	if got, want := root.rowsOf("", res), `[[5,5.5,6,1e+300]]`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	for i, c := range res[0].Schema {
		if c.DataType != "Double" {
			t.Errorf("column %d is %s, want Double", i+1, c.DataType)
		}
	}
	expectError(t, root, apierror.SQLExecutionError, `invalid input syntax for type double precision: "x"`, "SELECT +'x'")
	expectError(t, root, apierror.InvalidSQL, "operator is not unique: - unknown", "SELECT -'5'")
	expectError(t, root, apierror.InvalidSQL, "operator is not unique: - unknown", "SELECT -NULL")
	expectError(t, root, apierror.InvalidSQL, "operator is not unique: ~ unknown", "SELECT ~NULL")
	res = root.must("SELECT +NULL")
	if got := root.rowsOf("", res); got != `[[null]]` || res[0].Schema[0].DataType != "Double" {
		t.Errorf("+NULL = %s of %s, want a NULL double", got, res[0].Schema[0].DataType)
	}
}

// PostgreSQL converts a string literal to the type it is cast to when it
// reads the statement, so a literal the type cannot read fails the
// statement whether or not a row is ever read, in a branch never taken
// too. Here the cast ran per row: over no row it answered 0 or NULL.
// Each error is PostgreSQL 15's; a TRY_CAST and a cast of a computed
// text still wait for a row.
func TestLiteralCastFailsWithoutRows(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must("CREATE NAMESPACE app; CREATE TABLE app.e (id INT PRIMARY KEY, a INT)")
	for q, msg := range map[string]string{
		"SELECT count(CAST('x' AS INT)) FROM app.e":                 `invalid input syntax for type integer: "x"`,
		"SELECT count(CAST('x' AS INT)) FROM app.e WHERE false":     `invalid input syntax for type integer: "x"`,
		"SELECT CASE WHEN false THEN 'x'::int END":                  `invalid input syntax for type integer: "x"`,
		"SELECT CASE WHEN id > 0 THEN 'x'::int END FROM app.e":      `invalid input syntax for type integer: "x"`,
		"SELECT 1 WHERE false AND 'x'::int = 1":                     `invalid input syntax for type integer: "x"`,
		"SELECT count(*) FROM app.e WHERE a = 'x'::bigint":          `invalid input syntax for type bigint: "x"`,
		"SELECT count('99999999999'::int) FROM app.e":               `value "99999999999" is out of range for type integer`,
		"SELECT count('12.5'::numeric(2,1)) FROM app.e":             "numeric field overflow",
		"SELECT count('x'::boolean) FROM app.e":                     `invalid input syntax for type boolean: "x"`,
		"SELECT count('x'::date) FROM app.e":                        `invalid input syntax for type date: "x"`,
		"SELECT count('x'::uuid) FROM app.e":                        `invalid input syntax for type uuid: "x"`,
		"SELECT count('x'::float8) FROM app.e":                      `invalid input syntax for type double precision: "x"`,
		"SELECT count(int4 'x') FROM app.e":                         `invalid input syntax for type integer: "x"`,
		"SELECT count(x) FROM (SELECT 'x'::int AS x) s WHERE false": `invalid input syntax for type integer: "x"`,
		"SELECT count(*) FROM app.e WHERE EXISTS (SELECT 'x'::int)": `invalid input syntax for type integer: "x"`,
		"SELECT count(*) FROM app.e WHERE id IN (SELECT 'x'::int)":  `invalid input syntax for type integer: "x"`,
		"UPDATE app.e SET a = 'x'::int WHERE false":                 `invalid input syntax for type integer: "x"`,
		"DELETE FROM app.e WHERE a = 'x'::int":                      `invalid input syntax for type integer: "x"`,
	} {
		expectError(t, root, apierror.SQLExecutionError, msg, q)
	}
	for q, want := range map[string]string{
		"SELECT count(TRY_CAST('x' AS INT)) FROM app.e":  `[[0]]`,
		"SELECT count(' 5 '::int) FROM app.e":            `[[0]]`,
		"SELECT count('abc'::varchar(2)) FROM app.e":     `[[0]]`,
		"SELECT CASE WHEN false THEN 'x'::text::int END": `[[null]]`,
		"SELECT CASE WHEN false THEN 1 / 0 END":          `[[null]]`,
		"SELECT count(('x' || '')::int) FROM app.e":      `[[0]]`,
		"SELECT count(NULL::int) FROM app.e":             `[[0]]`,
		"SELECT '5'::int + 1":                            `[[6]]`,
	} {
		if got := root.rows(q); got != want {
			t.Errorf("%s = %s, want %s", q, got, want)
		}
	}
}

// A computed decimal keeps digits its engine type (DECIMAL(65,30)) does
// not, and the engine's comparison converted it to that type: 1e-30 *
// 1e-30 > 0 was false and = 0 true (rounded to 30 places), 1e60 * 1e60 >
// 0 false (too wide to convert). Each answer is PostgreSQL 15's.
func TestComputedDecimalComparesExactly(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	const q = "SELECT 1e-30 * 1e-30 > 0, -(1e60 * 1e60) < 0, (1e60 * 1e60) > 0, 1e-30 * 1e-30 = 0, " +
		"1e-30 * 1e-30 IN (0, 1), 1e-30 * 1e-30 BETWEEN 0 AND 0, 1e60 * 1e60 > 1e60 * 1e60 - 1, 0 < 1e-30 * 1e-30"
	if got, want := root.rows(q), `[[true,true,true,false,false,false,true,true]]`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// A numeric converts to a double precision through its text, as in
// PostgreSQL: past the type's range it is out of range (it was an
// infinity, or zero), as a real already was.
func TestNumericToDoubleOutOfRange(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	big := strings.TrimSuffix(strings.Repeat("1e60 * ", 6), " * ")    // 1e360
	tiny := strings.TrimSuffix(strings.Repeat("1e-30 * ", 12), " * ") // 1e-360
	for _, q := range []string{"SELECT (" + big + ")::float8", "SELECT (-" + big + ")::float8", "SELECT (" + tiny + ")::float8"} {
		expectError(t, root, apierror.SQLExecutionError, "is out of range for type double precision", q)
	}
	if got, want := root.rows("SELECT ("+strings.Repeat("1e60 * ", 4)+"1e60)::float8, 0.1::float8, (1e-30 * 1e-30)::float8"), `[[1e+300,0.1,1e-60]]`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
