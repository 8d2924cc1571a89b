package executor_test

import "testing"

// A join (or correlated EXISTS) of a VARCHAR(n) column with a TEXT column
// holding texts longer than n compares the texts, as in PostgreSQL: the
// engine's hash lookup converted the TEXT side to VARCHAR(3) and failed
// the statement ("string ... is too large for column 'varchar(3)'").
func TestVarcharJoinsText(t *testing.T) {
	for _, slow := range []bool{false, true} {
		for _, indexed := range []bool{false, true} {
			e := newEnvWith(t, slow)
			root := e.root()
			root.must(`CREATE NAMESPACE app;
				CREATE SHARED TABLE app.cc (id BIGINT PRIMARY KEY, v VARCHAR(3), txt TEXT);
				INSERT INTO app.cc VALUES (1, 'abc', 'abcd'), (2, 'xy', 'xy'), (3, 'a', 'A'), (4, NULL, NULL)`)
			if indexed {
				createIndex(t, e, "CREATE INDEX cc_v ON app.cc (v)")
				createIndex(t, e, "CREATE INDEX cc_txt ON app.cc (txt)")
			}
			name := map[bool]string{false: "fast", true: "slow"}[slow] + map[bool]string{false: "", true: "/indexed"}[indexed]
			checkCases(t, root, name, []cmpCase{
				{"SELECT id FROM app.cc WHERE v = txt ORDER BY id", `[[2]]`},
				{"SELECT a.id, c.id FROM app.cc a JOIN app.cc c ON a.v = c.txt ORDER BY 1, 2", `[[2,2]]`},
				{"SELECT a.id, c.id FROM app.cc a JOIN app.cc c ON c.txt = a.v ORDER BY 1, 2", `[[2,2]]`},
				{"SELECT a.id, c.id FROM app.cc a LEFT JOIN app.cc c ON a.v = c.txt ORDER BY 1, 2", `[[1,null],[2,2],[3,null],[4,null]]`},
				{"SELECT a.id, c.id FROM app.cc a, app.cc c WHERE a.v = c.txt ORDER BY 1, 2", `[[2,2]]`},
				{"SELECT a.id FROM app.cc a WHERE EXISTS (SELECT 1 FROM app.cc c WHERE c.txt = a.v) ORDER BY 1", `[[2]]`},
				{"SELECT a.id FROM app.cc a WHERE a.v IN (SELECT txt FROM app.cc) ORDER BY 1", `[[2]]`},
				{"SELECT c.id FROM app.cc c WHERE c.txt IN (SELECT v FROM app.cc) ORDER BY 1", `[[2]]`},
				{"SELECT a.id, c.id FROM app.cc a JOIN app.cc c ON a.v = c.v ORDER BY 1, 2", `[[1,1],[2,2],[3,3]]`},
			})
		}
	}
}
