package executor_test

import "testing"

// -0 equals 0, so GROUP BY puts them in one group and count(DISTINCT)
// counts them once, as in PostgreSQL; the engine hashed them apart:
// round(-0.4) and round(0.4) made two groups, both printed 0.
func TestNegativeZeroGroupsWithZero(t *testing.T) {
	for _, slow := range []bool{false, true} {
		e := newEnvWith(t, slow)
		root := e.root()
		root.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.rz (id BIGINT PRIMARY KEY, f DOUBLE, r REAL, g INT);
			INSERT INTO app.rz VALUES (1, 0.4, 0, 1), (2, -0.4, '-0', 1), (3, 1.6, 2, 2), (4, '-0', '-0', 2), (5, 'NaN', 'NaN', 1), (6, 'NaN', NULL, 1)`)
		checkCases(t, root, map[bool]string{false: "fast", true: "slow"}[slow], []cmpCase{
			{"SELECT round(f) AS r, count(*) FROM app.rz WHERE id < 5 GROUP BY round(f) ORDER BY 1, 2", `[[0,3],[2,1]]`},
			{"SELECT count(DISTINCT round(f)) FROM app.rz WHERE id < 5", `[[2]]`},
			{"SELECT count(*) FROM (SELECT round(f) FROM app.rz WHERE id < 5 GROUP BY 1) q", `[[2]]`},
			{"SELECT x, count(*) FROM (VALUES (0.0::float8), ('-0'::float8)) v(x) GROUP BY x", `[[0,2]]`},
			{"SELECT count(DISTINCT x) FROM (VALUES (0.0::real), ('-0'::real)) v(x)", `[[1]]`},
			{"SELECT DISTINCT round(f) FROM app.rz WHERE id < 5 ORDER BY 1", `[[0],[2]]`},
			{"SELECT r, count(*) FROM app.rz WHERE id < 5 GROUP BY r ORDER BY 1", `[[0,3],[2,1]]`},
			{"SELECT count(DISTINCT r), count(DISTINCT f) FROM app.rz", `[[3,5]]`},
			{"SELECT g, count(DISTINCT round(f)) FROM app.rz GROUP BY g ORDER BY g", `[[1,2],[2,2]]`},
			{"SELECT sum(DISTINCT round(f)) FROM app.rz WHERE id < 5", `[[2]]`},
			{"SELECT count(*) FROM app.rz GROUP BY f ORDER BY 1", `[[1],[1],[1],[1],[2]]`},
		})
	}
}
