package executor_test

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// TestNumericExpLnLogAreNumeric: exp, ln, log and log10 of a numeric are
// numeric in PostgreSQL, with numeric.c's result scales (at least 16
// significant digits, at least the argument's scale), and log(b, x)
// exists for numerics only (integers and untyped literals become
// numerics there); KalamDB computed them all as DOUBLE. Of an integer or
// an untyped literal they stay double precision. Expected answers are
// PostgreSQL 15's.
func TestNumericExpLnLogAreNumeric(t *testing.T) {
	e := newEnv(t)
	r := e.root()
	r.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.pm (id INT PRIMARY KEY, n NUMERIC(20,4), d DOUBLE PRECISION);
		INSERT INTO app.pm VALUES (1, 1.5, 2), (2, NULL, NULL), (3, 1000, 0.5)`)
	tiny := "0." + strings.Repeat("0", 868) + "2576535872961150" // exp(-2000): 1000 digits after the point
	checkCases(t, r, "numeric exp, ln, log", []cmpCase{
		{"SELECT exp(1.0), exp(-1.0), exp(0.0), exp(2.5)", `[["2.7182818284590452","0.3678794411714423","1.0000000000000000","12.182493960703473"]]`},
		{"SELECT exp(100::numeric(38,0)), exp(-100::numeric(38,0))", `[["26881171418161354484126255515800135873611119","0.00000000000000000000000000000000000000000003720075976020836"]]`},
		{"SELECT exp(0.000000000000000000000000000001), exp(-0.011), exp(33.3333)", `[["1.000000000000000000000000000001","0.9890602787753687","299549261772371.3464"]]`},
		{"SELECT exp(-2000::numeric(38,0))", `[["` + tiny + `"]]`},
		{"SELECT ln(2.0), ln(10.0), ln(0.5), ln(1.0), ln(123.456)", `[["0.6931471805599453","2.3025850929940457","-0.6931471805599453","0.0000000000000000","4.8158848172832639"]]`},
		{"SELECT ln(1.0000000001), ln(0.9999999999), ln(0.9), ln(1.1)", `[["0.00000000009999999999500000","-0.00000000010000000000500000","-0.10536051565782630","0.09531017980432486"]]`},
		{"SELECT ln(12345678901234567890::numeric(38,0)), ln(10.0^100), ln(0.000000000000000000000000000001)", `[["43.959837789202521","230.2585092994045684","-69.077552789821370520539743640531"]]`},
		{"SELECT log(100.0), log10(1000.0), log(0.001), log10(2.50), log(1.00000000000000000000000001)", `[["2.0000000000000000","3.0000000000000000","-3.0000000000000000","0.3979400086720376","0.000000000000000000000000004342944819032518"]]`},
		{"SELECT log(2, 8), log(2.0, 1024), log(0.5, 8), log(3, 81), log(1.5, 2.25), log(10, 0.5)", `[["3.0000000000000000","10.0000000000000000","-3.0000000000000000","4.0000000000000000","2.0000000000000000","-0.3010299956639812"]]`},
		{"SELECT log(123.456, 789.012), log(1.0000001, 2), log(0.0000000001, 10.0^1000)", `[["1.3851621836792210","6931472.152173038","-100.0000000000000000"]]`},
		{"SELECT ln(n), exp(n), log(n), log(2, n) FROM app.pm WHERE id < 3 ORDER BY id", `[["0.4054651081081644","4.4816890703380648","0.1760912590556812","0.5849625007211562"],[null,null,null,null]]`},
		{"SELECT exp(1), ln(2), log(100), log10(1000), exp('1'), ln('2'), ln(d) FROM app.pm WHERE id = 1", `[[2.718281828459045,0.6931471805599453,2,3,2.718281828459045,0.6931471805599453,0.6931471805599453]]`},
	})
	for _, c := range []struct {
		code      apierror.Code
		sql, want string
	}{
		{apierror.SQLExecutionError, "SELECT ln(0::numeric)", "cannot take logarithm of zero"},
		{apierror.SQLExecutionError, "SELECT ln(-0.5)", "cannot take logarithm of a negative number"},
		{apierror.SQLExecutionError, "SELECT log10(0.000)", "cannot take logarithm of zero"},
		{apierror.SQLExecutionError, "SELECT log(0, -1)", "cannot take logarithm of zero"},
		{apierror.SQLExecutionError, "SELECT log(-1, 0)", "cannot take logarithm of a negative number"},
		{apierror.SQLExecutionError, "SELECT log(1, 2)", "division by zero"},
		{apierror.SQLExecutionError, "SELECT log(1.000, 0)", "cannot take logarithm of zero"},
		{apierror.SQLExecutionError, "SELECT exp(6000.0)", "value overflows numeric format"},
		{apierror.InvalidSQL, "SELECT log(2::float8, 8)", "function log(DOUBLE, BIGINT) does not exist"},
		{apierror.InvalidSQL, "SELECT log(2, 8::real)", "function log(BIGINT, FLOAT) does not exist"},
	} {
		r.failsNaming(c.code, c.want, c.sql)
	}
}

// TestSetOperationsKeepNegativeZero: UNION, INTERSECT and EXCEPT take a
// float -0 for 0, as PostgreSQL does, and show the first of equal rows as
// it came (PostgreSQL's hashing); they showed a stored -0 as 0. A set
// operation's ORDER BY comes before its OFFSET. Expected answers are
// PostgreSQL 15's.
func TestSetOperationsKeepNegativeZero(t *testing.T) {
	e := newEnv(t)
	r := e.root()
	r.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.nz (id INT PRIMARY KEY, d DOUBLE PRECISION, f REAL, g INT);
		INSERT INTO app.nz VALUES (1, '-0', '-0', 1), (2, 0, 0, 1), (3, 1.5, 2.5, 2);
		CREATE SHARED TABLE app.ins (id INT PRIMARY KEY, d DOUBLE PRECISION)`)
	checkCases(t, r, "set operations", []cmpCase{
		{"SELECT d FROM app.nz WHERE id = 1 UNION SELECT d FROM app.nz WHERE id = 2", `[[-0]]`},
		{"SELECT d FROM app.nz WHERE id = 2 UNION SELECT d FROM app.nz WHERE id = 1", `[[0]]`},
		{"SELECT '-0'::float8 UNION SELECT '0'::float8", `[[-0]]`},
		{"SELECT f, g FROM app.nz WHERE id = 1 UNION SELECT f, g FROM app.nz WHERE id = 2", `[[-0,1]]`},
		{"SELECT d FROM app.nz WHERE id = 1 INTERSECT SELECT d FROM app.nz WHERE id = 2", `[[-0]]`},
		{"SELECT d FROM app.nz WHERE id = 2 INTERSECT SELECT d FROM app.nz WHERE id = 1", `[[0]]`},
		{"SELECT d FROM app.nz WHERE id = 1 INTERSECT ALL SELECT 0::float8", `[[-0]]`},
		{"SELECT d FROM app.nz WHERE id = 1 EXCEPT SELECT 1::float8", `[[-0]]`},
		{"SELECT d FROM app.nz WHERE id = 1 EXCEPT ALL SELECT 1::float8", `[[-0]]`},
		{"SELECT d FROM app.nz WHERE id = 1 EXCEPT SELECT 0::float8", `[]`},
		{"SELECT count(*) FROM (SELECT d FROM app.nz UNION SELECT d FROM app.nz) q", `[[2]]`},
		{"SELECT d FROM app.nz WHERE id = 1 UNION SELECT 2::float8 ORDER BY 1", `[[-0],[2]]`},
		{"SELECT d FROM app.nz WHERE id <> 2 UNION SELECT 7::float8 ORDER BY 1 DESC OFFSET 1", `[[1.5],[-0]]`},
		{"SELECT d FROM app.nz WHERE id <> 2 UNION ALL SELECT 7::float8 ORDER BY 1 DESC OFFSET 1", `[[1.5],[-0]]`},
		{"SELECT d FROM app.nz UNION SELECT 7::float8 ORDER BY 1 DESC LIMIT 2 OFFSET 1", `[[1.5],[-0]]`},
		{"SELECT g FROM app.nz EXCEPT ALL SELECT 1 ORDER BY 1", `[[1],[2]]`},
	})
	r.must(`INSERT INTO app.ins SELECT 1, '-0'::float8 UNION SELECT 1, 0; INSERT INTO app.ins SELECT 2, 0 UNION SELECT 2, '-0'::float8`)
	checkCases(t, r, "insert ... union", []cmpCase{{"SELECT id, d FROM app.ins ORDER BY id", `[[1,-0],[2,0]]`}})
}

// TestWindowKeyErrorFailsTheStatement: a window's ORDER BY or PARTITION
// BY key that fails (1 / 0) fails the statement, as in PostgreSQL; the
// engine's window dropped its sort's error and numbered the rows in the
// order they came.
func TestWindowKeyErrorFailsTheStatement(t *testing.T) {
	e := newEnv(t)
	r := e.root()
	for _, q := range []string{
		"SELECT x, row_number() OVER (ORDER BY 1 / (x - 2)) FROM (VALUES (1), (2), (3)) v(x)",
		"SELECT x, rank() OVER (ORDER BY 1 / (x - 2)) FROM (VALUES (1), (2), (3)) v(x)",
		"SELECT x, sum(x) OVER (ORDER BY 10 / (x - 1)) FROM (VALUES (1), (2), (3)) v(x)",
		"SELECT x, row_number() OVER (PARTITION BY 1 / (x - 2) ORDER BY x) FROM (VALUES (1), (2), (3)) v(x)",
	} {
		r.failsNaming(apierror.SQLExecutionError, "division by zero", q)
	}
}
