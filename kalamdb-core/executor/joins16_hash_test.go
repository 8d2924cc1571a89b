package executor_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// Tests of hashReadOnce (engine/joinhash.go): a nested loop whose inner
// side is an index range its WHERE binds becomes a hash join, each side
// read once.

// TestJoins16HashReadOnceCosts: joins whose sides' WHERE both bind an
// index, the engine's nested loop made a hash join, read at most what
// main read (main's counts in the cases) and at most each side's range
// once; the worst cases for the hash join are a wide range hashed for one
// row, and no row on the outer side.
func TestJoins16HashReadOnceCosts(t *testing.T) {
	const n = 3000
	e := newEnv(t)
	a := costTables(t, e, n)
	for _, tc := range []struct {
		q     string
		param any
		// main is what main read (fetched + hot); most, what each side's
		// range read once comes to, or main's when the join is left as
		// it was.
		main, most int64
	}{
		// The conversations of owner 2 read again for each message of
		// flag 1 (10 each).
		{"SELECT c.title, m.id FROM ns.c c JOIN ns.m m ON m.conv = c.id WHERE c.owner = 2 AND m.flag = $1", int64(1), 16500, 1510},
		// The same with a condition beside the equality.
		{"SELECT c.title, m.id FROM ns.c c JOIN ns.m m ON m.conv = c.id AND m.id > c.id * 10 WHERE c.owner = 2 AND m.flag = $1", int64(1), 16500, 1510},
		// A key that is an expression: left as it is (hashableKeys).
		{"SELECT c.title, m.id FROM ns.c c JOIN ns.m m ON m.conv = c.id + 0 WHERE c.owner = 2 AND m.flag = $1", int64(1), 16500, 16500},
		// A LEFT JOIN the engine looks up through c's primary key: left
		// as it is.
		{"SELECT m.id, c.title FROM ns.m m LEFT JOIN ns.c c ON c.id = m.conv AND c.owner = 2 WHERE m.flag = $1", int64(1), 1800, 1800},
		// A LEFT JOIN on a column without an index: the engine looks up
		// the messages of flag 1 (the ON's condition on the right side)
		// by that constant for each conversation of owner 2 (main); the
		// same range every time, hashed once (TestAttackJoin17LeftJoinsReadOnce).
		{"SELECT c.id, m.id FROM ns.c c LEFT JOIN ns.m m ON m.body = c.title AND m.flag = $1 WHERE c.owner = 2", int64(1), 15010, 1510},
		// The same with a range: the ON's conditions stay in the join and
		// the whole partition was read for each conversation of owner 2;
		// hashed once.
		{"SELECT c.id, m.id FROM ns.c c LEFT JOIN ns.m m ON m.body = c.title AND m.created_at > $1 WHERE c.owner = 2", int64(n - 1000), 30010, n + 10},
		// No conversation of owner 99: the engine reads the messages of
		// flag 1 first, and the empty range of owner 99 once (main: once
		// for each message, 0 rows each).
		{"SELECT c.title, m.id FROM ns.c c JOIN ns.m m ON m.conv = c.id WHERE c.owner = 99 AND m.flag = $1", int64(1), 1500, 1500},
		// A wide range hashed (every message, created_at > 0) for the one
		// conversation of title t7: read once (main: once for each of
		// the 10 conversations of owner 2, the title checked after).
		{"SELECT c.title, m.id FROM ns.c c JOIN ns.m m ON m.conv = c.id WHERE c.owner = 2 AND c.title = 't7' AND m.created_at > $1", int64(0), 33000, n + 10},
	} {
		want := rowSet(a, tc.q, tc.param)
		f, h := readCost(e, a, tc.q, tc.param)
		t.Logf("%s: %d fetched through indexes, %d hot rows read (%d rows)", tc.q, f, h, strings.Count(want, "\n")+1)
		if os.Getenv("J16_PLAN") != "" {
			t.Logf("%s", strings.ReplaceAll(explain(a, tc.q, tc.param), "\\n", "\n"))
		}
		if f+h > tc.most || f+h > tc.main {
			t.Errorf("%s: %d fetched through indexes and %d hot rows read, want at most %d (main %d):\n%.2500s", tc.q, f, h, tc.most, tc.main, explain(a, tc.q, tc.param))
		}
	}
}

// hashed reports whether q's plan holds a hash join.
func hashed(c *caller, q string, params ...any) bool {
	return strings.Contains(explain(c, q, params...), "HashJoin")
}

// TestJoins16HashAnswers: joins with both sides bound, inner and LEFT,
// with NULL keys, conditions beside the equalities, keys of two types,
// hot, cold and hot over cold, answer as the same statements on tables
// without indexes; several are hash joins that main ran as nested loops.
func TestJoins16HashAnswers(t *testing.T) {
	e := newEnv(t)
	a := j15Tables(t, e, "id BIGINT PRIMARY KEY, k BIGINT, p BIGINT, v TEXT", "id BIGINT PRIMARY KEY, k BIGINT, p BIGINT, v TEXT",
		[]string{"CREATE INDEX xk ON $X (k)", "CREATE INDEX xp ON $X (p)", "CREATE INDEX yk ON $Y (k)", "CREATE INDEX ypk ON $Y (p, k)", "CREATE INDEX yp ON $Y (p)"},
		nullRows(60, 7), nullRows(90, 9))
	qs := []string{
		"SELECT x.id, y.id FROM $X x JOIN $Y y ON y.k = x.k WHERE x.p = 1 AND y.p = 2",
		"SELECT x.id, y.id FROM $X x JOIN $Y y ON y.k = x.k WHERE x.p IS NULL AND y.p IS NULL",
		"SELECT x.id, y.id FROM $X x LEFT JOIN $Y y ON y.k = x.k AND y.p = 2 WHERE x.p = 1",
		"SELECT x.id, y.id FROM $X x LEFT JOIN $Y y ON y.k = x.k AND y.p IS NULL WHERE x.p IS NULL",
		"SELECT x.id, y.id FROM $X x LEFT JOIN $Y y ON y.k = x.k AND y.p = 2 AND y.id > x.id WHERE x.p = 1",
		"SELECT x.id, y.id FROM $X x LEFT JOIN $Y y ON y.k = x.k AND y.p = 2 WHERE x.p = 1 AND y.id IS NULL",
		"SELECT x.id, y.id FROM $X x JOIN $Y y ON y.k = x.k AND y.id <> x.id WHERE x.p = 1 AND y.p > 2",
		"SELECT x.id, y.id FROM $X x JOIN $Y y ON y.k = x.p WHERE x.k = 3 AND y.p = 4",
		"SELECT x.id, y.id FROM $X x JOIN $Y y ON y.k = x.k AND y.p = x.p WHERE x.p = 1 AND y.p IN (1, 2)",
		"SELECT x.id, y.id FROM $X x JOIN $Y y ON y.k IS NOT DISTINCT FROM x.k WHERE x.p = 1 AND y.p = 2",
		"SELECT x.id, y.id FROM $X x JOIN $Y y ON y.k + 1 = x.k WHERE x.p = 1 AND y.p = 2",
		"SELECT x.id, y.id FROM $X x JOIN $Y y ON y.k = x.k OR y.p = x.p WHERE x.p = 1 AND y.p = 2",
		"SELECT x.id, y.id FROM $X x JOIN $Y y ON y.k = x.k WHERE x.k > 2 AND y.k < 5",
		"SELECT x.id, y.id FROM $X x JOIN $Y y ON y.k = x.k WHERE x.id IN (1, 2, 3, 5, 8) AND y.p = 1",
		"SELECT x.id, count(y.id) FROM $X x LEFT JOIN $Y y ON y.k = x.k AND y.p = 3 WHERE x.p = 2 GROUP BY x.id",
		"SELECT x.id, y.id FROM $X x JOIN $Y y ON y.k = x.k WHERE x.p = 1 AND y.p = 2 ORDER BY y.id DESC, x.id LIMIT 3",
		"SELECT a.id, b.id FROM $X a JOIN $X b ON b.k = a.p WHERE a.p = 2 AND b.k > 0",
		"SELECT a.id, b.id FROM $X a LEFT JOIN $X b ON b.k = a.k AND b.p = 3 WHERE a.p = 2",
		"SELECT x.id, y.id, z.id FROM $X x JOIN $Y y ON y.k = x.k JOIN $X z ON z.k = y.p WHERE x.p = 1 AND y.p = 2 AND z.p = 3",
		"SELECT x.id, y.id, z.id FROM $X x JOIN $Y y ON y.k = x.k LEFT JOIN $Y z ON z.p = x.p AND z.k = 4 WHERE x.p = 1 AND y.p = 2",
		"SELECT * FROM (SELECT x.id AS a, y.id AS b FROM $X x JOIN $Y y ON y.k = x.k WHERE x.p = 1 AND y.p = 2) s WHERE s.b > 10",
		"WITH s AS (SELECT x.id AS a, y.id AS b FROM $X x JOIN $Y y ON y.k = x.k WHERE x.p = 1 AND y.p = 2) SELECT a, count(*) FROM s GROUP BY a",
		"SELECT x.id FROM $X x WHERE x.p = 2 AND EXISTS (SELECT 1 FROM $Y y JOIN $X z ON z.k = y.k WHERE y.p = 2 AND z.p = 1 AND y.k = x.k)",
		"SELECT x.id, y.id FROM $X x JOIN $Y y ON y.k = x.k WHERE x.p = 1 AND y.p = 2 UNION ALL SELECT x.id, y.id FROM $X x JOIN $Y y ON y.p = x.p WHERE x.k = 3 AND y.k = 4",
		"SELECT x.id, (SELECT count(*) FROM $Y y JOIN $X z ON z.k = y.k WHERE y.p = x.p AND z.p = 1) FROM $X x WHERE x.id < 10",
		"SELECT x.id, y.id FROM $X x LEFT JOIN $Y y ON y.v = x.v AND y.k > 3 WHERE x.p = 1",
		"SELECT x.id, y.id FROM $X x LEFT JOIN $Y y ON y.p = x.p AND y.k > 3 WHERE x.p = 1",
		"SELECT x.id, y.id FROM $X x LEFT JOIN $Y y ON y.p = x.p AND y.k > 3 AND y.id > x.id WHERE x.k IS NULL",
		"SELECT x.id, y.id FROM $X x LEFT JOIN $Y y ON y.v = x.v AND y.k > 3 WHERE x.p = 1 AND y.id IS NULL",
	}
	check := func(stage string) {
		t.Helper()
		hash := 0
		for _, ps := range [][]any{{int64(1)}, {nil}, {int64(3)}} {
			// The same text with several values: the plan cache's.
			diffJoin(t, a, "SELECT x.id, y.id FROM $X x JOIN $Y y ON y.k = x.k WHERE x.p = $1 AND y.p = 2", ps...)
		}
		for _, q := range qs {
			diffJoin(t, a, q)
			if hashed(a, strings.NewReplacer("$X", "ns.x", "$Y", "ns.y").Replace(q)) {
				hash++
				if os.Getenv("J16_PLAN") != "" {
					t.Logf("hashed: %s", q)
				}
			}
		}
		t.Logf("%s: %d of %d hash joins", stage, hash, len(qs))
		if hash == 0 {
			t.Errorf("%s: no hash join: the test no longer tests hashReadOnce", stage)
		}
	}
	check("hot")
	for _, tb := range []string{"x", "y", "rx", "ry"} {
		runJob(t, e, "STORAGE FLUSH TABLE ns."+tb)
	}
	check("cold")
	for _, w := range []string{"UPDATE $Y SET k = k + 1 WHERE id % 4 = 1", "DELETE FROM $Y WHERE id % 5 = 2", "UPDATE $X SET p = NULL WHERE id % 6 = 0", "INSERT INTO $Y VALUES (500, 3, 2, 'n')"} {
		a.must(strings.NewReplacer("$X", "ns.x", "$Y", "ns.y").Replace(w))
		a.must(strings.NewReplacer("$X", "ns.rx", "$Y", "ns.ry").Replace(w))
	}
	check("hot over cold")
}

// TestJoins16HashKeyTypes: joins on keys of two types with both sides
// bound (the hash join's keys are converted and hashed where the nested
// loop compared) answer as without indexes.
func TestJoins16HashKeyTypes(t *testing.T) {
	for _, tc := range []struct {
		name, xt, yt string
		xv, yv       []string
	}{
		{"bigint-bigint", "BIGINT", "BIGINT", []string{"1", "9223372036854775807", "-5", "NULL", "0"}, []string{"1", "9223372036854775807", "-5", "NULL", "-1"}},
		{"text-text", "TEXT", "TEXT", []string{"'abc'", "'ABC'", "''", "'ab '", "NULL", "'é'"}, []string{"'abc'", "'abC'", "''", "'ab'", "NULL", "'é'"}},
		{"uuid-uuid", "UUID", "UUID", []string{"'0190a6a2-0000-7000-8000-000000000001'", "'0190A6A2-0000-7000-8000-000000000002'", "NULL"}, []string{"'0190a6a2-0000-7000-8000-000000000001'", "'0190a6a2-0000-7000-8000-000000000002'", "NULL"}},
		{"char-char", "CHAR(3)", "CHAR(3)", []string{"'abc'", "'ab'", "'ab '"}, []string{"'abc'", "'ab '", "'a'"}},
		{"ts-ts", "TIMESTAMP", "TIMESTAMP", []string{"'2024-01-02 00:00:00.123456'", "'2024-01-02 00:00:00.123'"}, []string{"'2024-01-02 00:00:00.123456'", "'2024-01-02 00:00:00.123'", "'2024-01-02 00:00:00.123457'"}},
		{"int-bigint", "INT", "BIGINT", []string{"1", "2147483647", "-5", "NULL"}, []string{"1", "2147483647", "2147483648", "-5", "NULL"}},
		{"double-double", "DOUBLE", "DOUBLE", []string{"0", "'-0'", "'NaN'", "1.5", "'Infinity'"}, []string{"'-0'", "0", "'NaN'", "1.5", "'Infinity'"}},
		{"real-double", "REAL", "DOUBLE", []string{"0.1", "0.5", "'NaN'", "'-0'"}, []string{"0.1", "0.5", "'NaN'", "0", "0.10000000149011612"}},
		{"bigint-double", "BIGINT", "DOUBLE", []string{"1", "2", "9007199254740993"}, []string{"1", "1.5", "2", "9007199254740992"}},
		{"date-ts", "DATE", "TIMESTAMP", []string{"'2024-01-02'", "'2024-01-03'"}, []string{"'2024-01-02 00:00:00'", "'2024-01-02 10:00:00'", "'2024-01-03 00:00:00.000001'"}},
		{"text-varchar", "TEXT", "VARCHAR(3)", []string{"'abc'", "'abcd'", "'ab'", "'ab '", "'ABC'", "''"}, []string{"'abc'", "'ab'", "'ab '", "'abC'", "''"}},
		{"bytes-bytes", "BYTES", "BYTES", []string{"'\\x00'", "'\\x0000'", "'\\x'", "'\\x41'"}, []string{"'\\x00'", "'\\x0000'", "'\\x'", "'\\x61'"}},
		{"char-text", "CHAR(3)", "TEXT", []string{"'abc'", "'ab'", "'ab '"}, []string{"'abc'", "'abcd'", "'ab'", "'ab '"}},
		{"bool-bool", "BOOLEAN", "BOOLEAN", []string{"true", "false", "NULL"}, []string{"true", "false", "NULL", "true"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			rows := func(vs []string) string {
				var out []string
				for i, v := range vs {
					out = append(out, fmt.Sprintf("(%d, %s, %d)", i+1, v, i%2))
				}
				return strings.Join(out, ", ")
			}
			a := j15Tables(t, e, "id BIGINT PRIMARY KEY, k "+tc.xt+", p BIGINT", "id BIGINT PRIMARY KEY, k "+tc.yt+", p BIGINT",
				[]string{"CREATE INDEX xk ON $X (k)", "CREATE INDEX yk ON $Y (k)", "CREATE INDEX xp ON $X (p)", "CREATE INDEX yp ON $Y (p)"}, rows(tc.xv), rows(tc.yv))
			hash := 0
			for _, q := range []string{
				"SELECT x.id, y.id FROM $X x JOIN $Y y ON y.k = x.k WHERE x.p >= 0 AND y.p >= 0",
				"SELECT x.id, y.id FROM $X x JOIN $Y y ON x.k = y.k WHERE x.p >= 0 AND y.p >= 0",
				"SELECT x.id, y.id FROM $X x LEFT JOIN $Y y ON y.k = x.k AND y.p >= 0 WHERE x.p >= 0",
				"SELECT y.id, x.id FROM $Y y LEFT JOIN $X x ON x.k = y.k AND x.p >= 0 WHERE y.p >= 0",
			} {
				diffJoin(t, a, q)
				if hashed(a, strings.NewReplacer("$X", "ns.x", "$Y", "ns.y").Replace(q)) {
					hash++
				}
			}
			t.Logf("%d of 4 hash joins", hash)
			if slices.Contains([]string{"bigint-bigint", "text-text", "bytes-bytes", "bool-bool"}, tc.name) && hash == 0 {
				t.Errorf("no hash join: the test no longer tests hashReadOnce")
			}
		})
	}
}

// TestJoins16OnePointOuterStreams: an outer side its primary key binds to
// one value has at most one row, for which the nested loop reads the
// inner range once, as a hash join would, but streams it: hashing it held
// the whole range against the statement's memory budget (80 KB of bodies
// over a 64 KB budget: refused, where main answered), so such a join is
// left a nested loop.
func TestJoins16OnePointOuterStreams(t *testing.T) {
	a := budgetJoinTables(t)
	for i := 1; i <= 400; i += 10 {
		var rows, mrows []string
		for j := i; j < i+10; j++ {
			rows = append(rows, fmt.Sprintf("(%d, %d, 't')", j, j%2))
			mrows = append(mrows, fmt.Sprintf("(%d, %d, %d, '%s')", j, j%3, j%2, strings.Repeat("b", 400)))
		}
		a.must("INSERT INTO ns.c VALUES " + strings.Join(rows, ", "))
		a.must("INSERT INTO ns.m VALUES " + strings.Join(mrows, ", "))
	}
	for q, params := range map[string][]any{
		"SELECT c.id, length(m.body) FROM ns.m m JOIN ns.c c ON m.conv = c.owner WHERE c.id = 1 AND m.flag = 1":  nil,
		"SELECT c.id, length(m.body) FROM ns.m m JOIN ns.c c ON m.conv = c.owner WHERE c.id = $1 AND m.flag = 1": {int64(1)},
	} {
		rows, err := a.exec(q, params...)
		if err != nil {
			t.Fatalf("%s: %v:\n%.2500s", q, err, explain(a, q, params...))
		}
		// m's rows of flag 1 (odd ids) with conv = 1 (id % 3 = 1): 67.
		if n := strings.Count(fmt.Sprint(rows), " 400"); n != 67 {
			t.Errorf("%s: %d rows, want 67: %.300v", q, n, rows)
		}
	}
}

// budgetJoinTables creates ns.c (conversations, indexed on owner) and ns.m
// (messages, indexed on flag) under a 64 KB statement memory budget, and
// returns alice, whose partitions the tests fill.
func budgetJoinTables(t *testing.T) *caller {
	t.Helper()
	e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{StatementMemoryBytes: 64 << 10})
	root := e.root()
	root.must("CREATE NAMESPACE ns")
	root.must("CREATE TABLE ns.c (id BIGINT PRIMARY KEY, owner BIGINT, title TEXT)")
	root.must("CREATE TABLE ns.m (id BIGINT PRIMARY KEY, conv BIGINT, flag BIGINT, body TEXT)")
	createIndex(t, e, "CREATE INDEX c_owner ON ns.c (owner)")
	createIndex(t, e, "CREATE INDEX m_flag ON ns.m (flag)")
	return e.as("alice", systable.RoleUser)
}
