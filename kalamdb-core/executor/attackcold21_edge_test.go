package executor_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestAttackcold21Edges: WHEREs at the edges of what is pushed to cold
// files answer as the same WHERE over an expression nothing is pushed
// for (n + 0, tag || ”): NOT and IS forms
// (never pushed), LIKE escapes, the empty text, U+10FFFF, case, NULLs in
// IN lists, numeric literals that are not integers or out of range, in
// three shapes (ORDER BY, DESC LIMIT, count). Checked once against
// PostgreSQL 15 (text COLLATE "C"): the same rows for all of them.
func TestAttackcold21Edges(t *testing.T) {
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE c; CREATE TABLE c.t (id BIGINT PRIMARY KEY, n BIGINT, s SMALLINT, tag TEXT, v VARCHAR(3))")
	e.root().must("CREATE INDEX t_tag ON c.t (tag)")
	alice := e.as("alice", systable.RoleUser)
	alice.must(`INSERT INTO c.t (id, n, s, tag, v) VALUES
		(1, 1, 1, 'a', 'a'), (2, 2, 2, 'a ', 'ab'), (3, 3, -32768, '', ''), (4, -9223372036854775808, 32767, NULL, NULL),
		(5, 9223372036854775807, 0, 'abc', 'abc'), (6, 0, NULL, 'ab%', 'a%'), (7, NULL, 7, 'a_c', 'a_'), (8, 8, 8, 'a\c', 'a\'),
		(9, 9, 9, U&'\+10FFFF', 'z'), (10, 10, 10, 'ÿ', 'ÿ'), (11, 11, 11, 'Ā', 'Ā'), (12, -1, -1, 'A', 'A')`)
	flushTable(t, e, "c.t")
	alice.must("UPDATE c.t SET tag = 'moved', n = 100 WHERE id IN (1, 5)")
	alice.must("DELETE FROM c.t WHERE id = 2")
	flushTable(t, e, "c.t")
	alice.must("UPDATE c.t SET tag = 'hot' WHERE id = 3")
	qs := []string{
		"%n IN (1.5, 2)", "%n IN (1.0, 3)", "%n = '3'", "%n IN ('3', 8)", "%n = 3.0", "%n > 2.5 AND %n < 9.5",
		"%n IN (9223372036854775807, -9223372036854775808)", "%n = 9223372036854775808", "%n < -9223372036854775808.5",
		"%n > -9223372036854775809", "%n >= 9223372036854775807 OR %n <= -9223372036854775808", "%n NOT IN (1, NULL)",
		"%n NOT IN (1, 2)", "%n <> 0", "%n = -0", "%n IN (NULL)", "%n IN (NULL, 8)", "%n = 8 OR %n IS NULL",
		"%s IN (-32768, 32767, 40000)", "%s = 40000 OR %s = -40000", "%s > 32766", "%s NOT IN (0)", "%s IN (7.0, 8.5)",
		"%tag = ''", "%tag > ''", "%tag >= ''", "%tag < ''", "%tag <= ''", "%tag IN ('', 'a')", "%tag = 'a'", "%tag = 'a '",
		"%tag LIKE 'a%'", "%tag LIKE 'a\\%%'", "%tag LIKE 'ab\\%%'", "%tag LIKE 'a\\_%'", "%tag LIKE 'a_c'", "%tag LIKE 'a\\\\c'",
		"%tag LIKE 'a%' ESCAPE ''", "%tag LIKE 'ab!%' ESCAPE '!'", "%tag ILIKE 'A%'", "%tag ILIKE 'm%'",
		"%tag > 'ÿ'", "%tag >= U&'\\+10FFFF'", "%tag LIKE U&'\\+10FFFF%'", "%tag < 'Ā'", "%tag IN ('A', 'ÿ', 'hot', 'moved')",
		"%tag = 'moved' OR %tag = 'abc'", "%tag = 'a' OR %tag IN ('abc', NULL)", "%tag NOT IN ('a', NULL)", "%tag <> 'a'",
		"%tag BETWEEN 'a' AND 'ab'", "%tag BETWEEN SYMMETRIC 'b' AND 'a'", "%tag IN ('abc') AND %tag IN ('a')",
		"%tag = 'A' COLLATE \"C\"", "lower(%tag) = 'a'", "%tag = 'abc'::varchar(2)", "%v = 'abcd'", "%v IN ('ab', 'a%')",
		"%v < 'a_'", "%tag = CAST(3 AS TEXT)", "%tag > 'a' AND %tag < 'a'", "%tag IN ('a', 'A') OR %tag > 'zz'",
		"%tag NOT LIKE 'a%'", "NOT (%tag LIKE 'a%')", "NOT (%tag = 'a' OR %tag = 'b')", "NOT (%tag IN ('a'))",
		"(%tag = 'a') IS NOT TRUE", "(%tag = 'a') = false", "CASE WHEN %tag = 'a' THEN false ELSE true END",
		"(%tag = 'a') IS NULL", "coalesce(%tag = 'a', true)", "NOT (%tag > 'a')", "NOT (%n IN (1, 2))", "(%n = 8) IS NOT TRUE",
		"(%tag > 'a' OR %n = 1) AND %tag < 'b'", "%tag = ANY(ARRAY['a', 'abc'])", "%tag IN (SELECT 'a')",
		"%tag = (SELECT 'abc')", "%tag = 'a' AND %tag = 'b'", "%tag NOT BETWEEN 'a' AND 'b'", "%tag IS DISTINCT FROM 'a'",
		"%tag IS NOT DISTINCT FROM 'abc'", "%tag >= ALL(ARRAY['a'])",
	}
	repl := func(q, n, s, tag, v string) string {
		q = strings.ReplaceAll(q, "%n", n)
		q = strings.ReplaceAll(q, "%s", s)
		q = strings.ReplaceAll(q, "%tag", tag)
		return strings.ReplaceAll(q, "%v", v)
	}
	for _, w := range qs {
		for _, shape := range []string{"SELECT id FROM c.t WHERE %W ORDER BY id", "SELECT id FROM c.t WHERE %W ORDER BY id DESC LIMIT 2", "SELECT count(*) FROM c.t WHERE %W"} {
			q := strings.ReplaceAll(shape, "%W", w)
			pushed := repl(q, "n", "s", "tag", "v")
			ref := repl(q, "(n + 0)", "(s + 0)", "(tag || '')", "(v || '')")
			ra, errA := alice.exec(pushed)
			rb, errB := alice.exec(ref)
			if (errA == nil) != (errB == nil) {
				t.Errorf("%s: %v; not pushed: %v", pushed, errA, errB)
				continue
			}
			if errA != nil {
				t.Logf("both fail: %s: %v", pushed, errA)
				continue
			}
			if a, b := jsonRows(t, ra), jsonRows(t, rb); a != b {
				t.Errorf("%s: %s; not pushed: %s", pushed, a, b)
			}
		}
	}
}

func jsonRows(t *testing.T, res []executor.Result) string {
	t.Helper()
	if len(res) != 1 {
		t.Fatalf("%d results", len(res))
	}
	raw, err := json.Marshal(res[0].Rows)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}
