package executor_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// An untyped literal or text parameter meeting a BYTES column is read as
// bytea input ('\x00ff' is the bytes 00 ff), in =, <>, <, > as in IN and
// INSERT; the planner compared the bytes of its text instead, and a range
// on a BYTES primary key started at the wrong key. Hot and cold.
func TestByteaLiteralComparisons(t *testing.T) {
	for _, slow := range []bool{false, true} {
		e := newEnvWith(t, slow)
		root := e.root()
		root.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.by (id BIGINT PRIMARY KEY, bt BYTES);
			INSERT INTO app.by VALUES (1, 'abc'), (2, '\x00ff'), (3, '\x'), (4, '\x41'), (5, '\x5c78');
			CREATE SHARED TABLE app.bk (k BYTES PRIMARY KEY, n INT); INSERT INTO app.bk VALUES ('\x00ff', 1), ('abc', 2), ('\x5c78', 3)`)
		createIndex(t, e, "CREATE INDEX by_bt ON app.by (bt)")
		name := map[bool]string{false: "fast", true: "slow"}[slow]
		cases := []cmpCase{
			{`SELECT id FROM app.by WHERE bt = '\x00ff'`, `[[2]]`},
			{`SELECT id FROM app.by WHERE '\x00ff' = bt`, `[[2]]`},
			{`SELECT id FROM app.by WHERE bt = '\x616263'`, `[[1]]`},
			{`SELECT id FROM app.by WHERE bt = '\x'`, `[[3]]`},
			{`SELECT id FROM app.by WHERE bt = '\\x'`, `[[5]]`},
			{`SELECT id FROM app.by WHERE bt > '\x00' ORDER BY id`, `[[1],[2],[4],[5]]`},
			{`SELECT id FROM app.by WHERE bt <> '\x00ff' ORDER BY id`, `[[1],[3],[4],[5]]`},
			{`SELECT id, bt = '\x00ff' FROM app.by ORDER BY id`, `[[1,false],[2,true],[3,false],[4,false],[5,false]]`},
			{`SELECT id FROM app.by WHERE bt IN ('\x00ff', '\x41') ORDER BY id`, `[[2],[4]]`},
			{`SELECT id FROM app.by WHERE bt = '\x00ff'::bytea`, `[[2]]`},
			{`SELECT id FROM app.by WHERE bt = 'abc'`, `[[1]]`},
			{`SELECT id FROM app.by WHERE id IN (SELECT id FROM app.by WHERE bt = '\x41')`, `[[4]]`},
			{`SELECT n FROM app.bk WHERE k = '\x00ff'`, `[[1]]`},
			{`SELECT n FROM app.bk WHERE k > '\x00' ORDER BY n`, `[[1],[2],[3]]`},
			{`SELECT n FROM app.bk WHERE k >= '\x5c78' ORDER BY n`, `[[2],[3]]`},
			{`SELECT n FROM app.bk WHERE k = '\\x'`, `[[3]]`},
		}
		checkCases(t, root, name+"/hot", cases)
		checkCases(t, root, name+"/param", []cmpCase{
			{`SELECT id FROM app.by WHERE bt = $1`, `[[2]]`},
			{`SELECT n FROM app.bk WHERE k >= $1 ORDER BY n`, `[[1],[2],[3]]`},
		}, `\x00ff`)
		root.fails(apierror.InvalidInput, `SELECT id FROM app.by WHERE bt = '\q'`)
		flushTable(t, e, "app.by")
		flushTable(t, e, "app.bk")
		checkCases(t, root, name+"/cold", cases)
		if r := root.must(`DELETE FROM app.by WHERE bt = '\x00ff'`); r[0].RowCount != 1 {
			t.Errorf(`%s: DELETE ... WHERE bt = '\x00ff' deleted %d rows, want 1`, name, r[0].RowCount)
		}
		if r := root.must(`UPDATE app.bk SET n = 9 WHERE k < '\x01'`); r[0].RowCount != 1 {
			t.Errorf(`%s: UPDATE ... WHERE k < '\x01' changed %d rows, want 1`, name, r[0].RowCount)
		}
	}
}
