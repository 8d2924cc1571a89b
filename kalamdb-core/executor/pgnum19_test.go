package executor_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// TestFloatNegativeZeroShownAsStored: PostgreSQL prints a float8 or real
// -0 as -0 wherever it appears. The engine's projections (MySQL's display
// rule) made it 0 in every select list that computes something, so
// SELECT d, d::text ... ORDER BY d showed 0 beside "-0"; DISTINCT made it
// 0 too. Expected answers are PostgreSQL 15's.
func TestFloatNegativeZeroShownAsStored(t *testing.T) {
	for _, slow := range []bool{false, true} {
		e := newEnvWith(t, slow)
		r := e.root()
		r.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.nz (id INT PRIMARY KEY, d DOUBLE PRECISION, f REAL, g INT);
			INSERT INTO app.nz VALUES (1, '-0', '-0', 1), (2, 0, 0, 1), (3, 1.5, 2.5, 2)`)
		for _, phase := range []string{"hot", "cold"} {
			if phase == "cold" {
				flushTable(t, e, "app.nz")
			}
			checkCases(t, r, map[bool]string{false: "fast", true: "slow"}[slow]+" "+phase, []cmpCase{
				{"SELECT d FROM app.nz WHERE id = 1", `[[-0]]`},
				{"SELECT d, d::text FROM app.nz WHERE id = 1", `[[-0,"-0"]]`},
				{"SELECT id, d, d::text, f, f::text FROM app.nz ORDER BY 2, 1", `[[1,-0,"-0",-0,"-0"],[2,0,"0",0,"0"],[3,1.5,"1.5",2.5,"2.5"]]`},
				{"SELECT d * 1, -f, d - 0 FROM app.nz WHERE id = 2 OR id = 1 ORDER BY id", `[[-0,0,-0],[0,-0,0]]`},
				{"SELECT x FROM (SELECT d AS x, id FROM app.nz) q WHERE id = 1", `[[-0]]`},
				{"SELECT CASE WHEN id = 1 THEN d END FROM app.nz WHERE id = 1", `[[-0]]`},
				{"SELECT coalesce(d, 1), id FROM app.nz WHERE id = 1", `[[-0,1]]`},
				{"SELECT DISTINCT d FROM app.nz WHERE id = 1", `[[-0]]`},
				{"SELECT DISTINCT f, g FROM app.nz WHERE id = 1", `[[-0,1]]`},
				{"SELECT count(*) FROM (SELECT DISTINCT d FROM app.nz WHERE id < 3) q", `[[1]]`},
				{"SELECT d, count(*) FROM app.nz WHERE id = 1 GROUP BY d", `[[-0,1]]`},
				{"SELECT min(d), max(f) FROM app.nz WHERE id = 1", `[[-0,-0]]`},
				{"SELECT g, min(d) FROM app.nz WHERE id = 1 GROUP BY g", `[[1,-0]]`},
				// Of equal values, the last one met (rows in key order).
				{"SELECT g, min(d), max(f) FROM app.nz WHERE id < 3 GROUP BY g", `[[1,0,0]]`},
				{"SELECT g, min(d), max(f) FROM app.nz WHERE id IN (2, 1) GROUP BY g", `[[1,0,0]]`},
				{"SELECT d, row_number() OVER (ORDER BY id) FROM app.nz WHERE id = 1", `[[-0,1]]`},
				{"SELECT d FROM app.nz WHERE id = 1 UNION ALL SELECT 1.5::float8", `[[-0],[1.5]]`},
				{"SELECT '-0'::float8, 1", `[[-0,1]]`},
				{"SELECT x, x::text FROM (VALUES ('-0'::float8)) v(x)", `[[-0,"-0"]]`},
			})
		}
	}
}

// TestNumericPowerIsNumeric: power and ^ of numeric arguments are numeric
// in PostgreSQL, with at least 16 significant digits (numeric.c's scale
// rules), and sqrt of a numeric too; KalamDB computed them as DOUBLE.
// Expected answers are PostgreSQL 15's.
func TestNumericPowerIsNumeric(t *testing.T) {
	e := newEnv(t)
	r := e.root()
	r.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.pn (id INT PRIMARY KEY, n NUMERIC(20,4), d DOUBLE PRECISION);
		INSERT INTO app.pn VALUES (1, 1.5, 2), (2, NULL, NULL)`)
	checkCases(t, r, "numeric power", []cmpCase{
		{"SELECT power(2::numeric, 10)", `[["1024.0000000000000000"]]`},
		{"SELECT 2.0 ^ 3, 2.5 ^ 3", `[["8.0000000000000000","15.6250000000000000"]]`},
		{"SELECT power(2.5, 3), pow(2::numeric, -2)", `[["15.6250000000000000","0.2500000000000000"]]`},
		{"SELECT power(-2::numeric, 3), power(0::numeric, 0), power(0::numeric, 3)", `[["-8.0000000000000000","1.0000000000000000","0.0000000000000000"]]`},
		{"SELECT power(10::numeric, 20)", `[["100000000000000000000.0000000000000000"]]`},
		{"SELECT power(3::numeric, -1), power(7::numeric, -3)", `[["0.3333333333333333","0.0029154518950437"]]`},
		{"SELECT power(0.12345678901234567890, 2)", `[["0.01524157875323883675"]]`},
		{"SELECT power(n, 2), n ^ 3 FROM app.pn ORDER BY id", `[["2.2500000000000000","3.3750000000000000"],[null,null]]`},
		{"SELECT power(4::numeric, 0.5), power(2, 10), 2 ^ 3, power(d, 3::numeric) FROM app.pn WHERE id = 1", `[["2.0000000000000000",1024,8,8]]`},
		{"SELECT sqrt(2::numeric), sqrt(100::numeric), sqrt(0::numeric)", `[["1.414213562373095","10.000000000000000","0.000000000000000"]]`},
		{"SELECT sqrt(2.0000000000000000000000), sqrt(12345678::numeric), sqrt(0.0001::numeric), sqrt(4)", `[["1.4142135623730950488017","3513.6417005722140","0.01000000000000000",2]]`},
		{"SELECT power(1.1, 30), power(0.5, -40), power(1.0000000001, 1000000000)", `[["17.4494022688864073","1099511627776.0000000000000000","1.1051709180701218"]]`},
		{"SELECT power(2::numeric, 0.5), power(10::numeric, 0.3), power(123.456, -7.89)", `[["1.4142135623730950","1.9952623149688796","0.00000000000000003147521672492617"]]`},
		{"SELECT power(1.5, 1.5), power(2.00000000000000000000, 0.5)", `[["1.8371173070873836","1.41421356237309504880"]]`},
	})
	for _, q := range []string{
		"SELECT power(0::numeric, -1)",
		"SELECT power(-8::numeric, 0.5)",
		"SELECT sqrt(-1::numeric)",
		"SELECT power(10::numeric, 200000)",
	} {
		r.fails(apierror.SQLExecutionError, q)
	}
}
