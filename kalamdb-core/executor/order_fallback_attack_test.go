package executor_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/memory"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// attackFallbackTables: ns.m with an order index (conv, score) and two
// others, ns.r the same rows without indexes; a budget of 2 entries so
// that almost every top-N switches.
func attackFallbackTables(t *testing.T, e *env, a, b *caller) {
	t.Helper()
	e.root().must("CREATE NAMESPACE ns")
	for _, tb := range []string{"ns.m", "ns.r"} {
		e.root().must("CREATE TABLE " + tb + " (id BIGINT PRIMARY KEY, conv BIGINT, created_at BIGINT, score INT, tag TEXT)")
	}
	createIndex(t, e, "CREATE INDEX a_conv_score ON ns.m (conv, score)")
	createIndex(t, e, "CREATE INDEX b_conv_created ON ns.m (conv, created_at)")
	createIndex(t, e, "CREATE INDEX c_conv_tag ON ns.m (conv, tag)")
	for u, c := range []*caller{a, b} {
		var vals []string
		for i := 1; i <= 80; i++ {
			score := "NULL"
			if i%7 != 0 {
				score = fmt.Sprint(i % 4)
			}
			tag := "NULL"
			if i%5 != 0 {
				tag = fmt.Sprintf("'%c'", "aAbB"[i%4])
			}
			created := "NULL"
			if i%11 != 0 {
				created = fmt.Sprint((i*37)%80 + u*1000)
			}
			vals = append(vals, fmt.Sprintf("(%d, %d, %s, %s, %s)", i+u*100, 1+i%2, created, score, tag))
		}
		for _, tb := range []string{"ns.m", "ns.r"} {
			c.must("INSERT INTO " + tb + " VALUES " + strings.Join(vals, ", "))
		}
	}
}

func TestOrderFallbackAttackMatchesSort(t *testing.T) {
	e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{OrderIndexBudget: 2})
	a, b := e.as("alice", systable.RoleUser), e.as("bob", systable.RoleUser)
	attackFallbackTables(t, e, a, b)
	qs := []string{
		"SELECT id, score FROM $T WHERE conv = 1 AND created_at > 40 ORDER BY score, id LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND created_at > 40 ORDER BY score DESC, id DESC LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND created_at > 40 ORDER BY score DESC, id DESC LIMIT 5 OFFSET 100",
		"SELECT id, score FROM $T WHERE conv = 1 AND created_at > 40 ORDER BY score, id LIMIT 0",
		"SELECT id, score FROM $T WHERE conv = 1 AND created_at > 40.5 ORDER BY score, id LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND created_at > '40' ORDER BY score, id LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND created_at > ' 40' ORDER BY score, id LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND created_at > '40abc' ORDER BY score, id LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND created_at < 99999999999999999999 ORDER BY score, id LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND created_at > -99999999999999999999 ORDER BY score, id LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND created_at BETWEEN 10 AND 50 ORDER BY score, id LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND NOT (created_at <= 40) ORDER BY score, id LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND created_at > 40 AND tag IS NULL ORDER BY score, id LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND created_at > 40 AND (tag = 'a' OR score IS NULL) ORDER BY score, id LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND tag = 'a' ORDER BY score, id LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND tag = 'A' ORDER BY score DESC, id DESC LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND tag > 'a' ORDER BY score, id LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND tag >= 'b' ORDER BY score, id LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND tag = 'a ' ORDER BY score, id LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND CAST(created_at AS CHAR) > '5' AND created_at > 3 ORDER BY score, id LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND created_at > 40 AND created_at > 70 ORDER BY score, id LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND created_at > 40 AND created_at = 77 ORDER BY score, id LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND created_at = 77 AND created_at = 78 ORDER BY score, id LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND created_at = NULL ORDER BY score, id LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND created_at > 40 ORDER BY score, id LIMIT 1000000",
		"SELECT id, score FROM $T WHERE conv = 1 AND created_at >= 1000 ORDER BY score, id LIMIT 5",
		"SELECT id, score FROM $T WHERE score > 1 AND conv = 1 AND created_at > 40 ORDER BY score, id LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND score = 2 AND created_at > 40 ORDER BY score, id LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND score IS NULL AND created_at > 20 ORDER BY score, id LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND created_at > 40 ORDER BY score, id LIMIT 2 OFFSET 3",
		"SELECT id FROM (SELECT id, score FROM $T WHERE conv = 1 AND created_at > 40 ORDER BY score, id LIMIT 5) s",
		"SELECT id, score FROM $T WHERE conv = 1 AND created_at > 40 ORDER BY score, id LIMIT 5 FOR UPDATE",
	}
	check := func(stage string) {
		t.Helper()
		for _, c := range []*caller{a, b} {
			for _, q := range qs {
				got, gerr := c.exec(strings.ReplaceAll(q, "$T", "ns.m"))
				want, werr := c.exec(strings.ReplaceAll(q, "$T", "ns.r"))
				gs, ws := fmt.Sprint(gerr), fmt.Sprint(werr)
				if gerr == nil {
					gs = c.rows(strings.ReplaceAll(q, "$T", "ns.m"))
				}
				if werr == nil {
					ws = c.rows(strings.ReplaceAll(q, "$T", "ns.r"))
				}
				_ = got
				_ = want
				if gs != ws {
					t.Errorf("%s %s: %s\n got  %s\n want %s\n%s", stage, c.user, q, gs, ws, explain(c, strings.ReplaceAll(q, "$T", "ns.m")))
				}
			}
		}
	}
	check("hot")
	runJob(t, e, "STORAGE FLUSH TABLE ns.m")
	runJob(t, e, "STORAGE FLUSH TABLE ns.r")
	check("cold")
	for _, tb := range []string{"ns.m", "ns.r"} {
		a.must("UPDATE " + tb + " SET created_at = created_at + 3 WHERE created_at > 40")
		a.must("UPDATE " + tb + " SET score = 3 - score WHERE id % 3 = 0")
		a.must("DELETE FROM " + tb + " WHERE id % 9 = 0")
	}
	check("both tiers")
	t.Logf("fallbacks: %d", e.db.Engine.OrderIndexFallbacks())
}

// TestOrderFallbackAttackTypes: the order index on a column of each
// type; the fallback encodes rows' values to compare them with the last
// row returned.
func TestOrderFallbackAttackTypes(t *testing.T) {
	slowParallel(t)
	types := []struct{ typ, vals string }{
		{"DOUBLE", "0.1|-0.0|0.0|1e30|-2.5|NULL|3.25"},
		{"REAL", "0.1|-0.0|0.0|1.5|-2.5|NULL|3.3"},
		{"DECIMAL(10,2)", "0.1|-0.00|0|1.5|-2.5|NULL|3.33"},
		{"NUMERIC", "0.1|-0.00|0|1.5|-2.5|NULL|3.333333"},
		{"TIMESTAMP", "'2024-01-01 00:00:00'|'2024-01-01 00:00:00.123456'|NULL|'1999-12-31 23:59:59'"},
		{"TIMESTAMPTZ", "'2024-01-01 00:00:00+02'|'2024-01-01 00:00:00.5+00'|NULL|'1999-12-31 23:59:59-05'"},
		{"DATE", "'2024-01-01'|'1970-01-01'|NULL|'1969-12-31'"},
		{"BOOLEAN", "true|false|NULL"},
		{"TEXT", "'a'|'A'|'b'|''|NULL|'" + strings.Repeat("q", 3000) + "1'|'" + strings.Repeat("q", 3000) + "0'|'é'|'e'"},
		{"VARCHAR(10)", "'a'|'A'|'b '|'b'|NULL|'é'"},
		{"SMALLINT", "1|-1|0|32767|NULL"},
		{"INT", "1|-1|0|2147483647|NULL"},
		{"BIGINT", "1|-1|0|9223372036854775807|-9223372036854775808|NULL"},
		{"UUID", "'00000000-0000-0000-0000-000000000001'|'ffffffff-0000-0000-0000-000000000001'|NULL"},
		{"BYTEA", "'\\x00'|'\\xff'|'\\x'|NULL"},
		{"TIME", "'10:00:00'|'00:00:00.5'|NULL"},
		{"CHAR(5)", "'a'|'a '|'A'|''|NULL|'ab'"},
		{"TIMESTAMP WITH TIME ZONE", "'2024-01-01 00:00:00+02'|'2024-01-01 00:00:00.5+00'|NULL|'1999-12-31 23:59:59-05'"},
		{"DOUBLE", "'NaN'|'Infinity'|'-Infinity'|0|NULL|-1"},
		{"REAL", "'NaN'|0.1|NULL|16777217|3.4e38|0.3|1.1"},
		{"TEXT COLLATE \"C\"", "'a'|'A'|'b'"},
		{"BIGINT", "0|NULL"},
	}
	for ti, tc := range types {
		t.Run(tc.typ, func(t *testing.T) {
			e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{OrderIndexBudget: 2})
			root := e.root()
			root.must("CREATE NAMESPACE ns")
			for _, tb := range []string{"ns.m", "ns.r"} {
				if _, err := root.exec("CREATE SHARED TABLE " + tb + " (id BIGINT PRIMARY KEY, conv BIGINT, created_at BIGINT, c " + tc.typ + ")"); err != nil {
					t.Skipf("%s: %v", tc.typ, err)
				}
			}
			if _, err := root.exec("CREATE INDEX a_conv_c ON ns.m (conv, c)"); err != nil {
				t.Skipf("index on %s: %v", tc.typ, err)
			}
			createIndex(t, e, "CREATE INDEX b_conv_created ON ns.m (conv, created_at)")
			vals := strings.Split(tc.vals, "|")
			var rows []string
			for i := 1; i <= 60; i++ {
				rows = append(rows, fmt.Sprintf("(%d, 1, %d, %s)", i, (i*7)%60, vals[i%len(vals)]))
			}
			for _, tb := range []string{"ns.m", "ns.r"} {
				root.must("INSERT INTO " + tb + " VALUES " + strings.Join(rows, ", "))
			}
			_ = ti
			for _, q := range []string{
				"SELECT id, c FROM $T WHERE conv = 1 AND created_at > 20 ORDER BY c, id LIMIT 7",
				"SELECT id, c FROM $T WHERE conv = 1 AND created_at > 20 ORDER BY c DESC, id DESC LIMIT 7",
				"SELECT id, c FROM $T WHERE conv = 1 AND created_at > 20 ORDER BY c, id LIMIT 7 OFFSET 5",
			} {
				got, gerr := root.exec(strings.ReplaceAll(q, "$T", "ns.m"))
				_ = got
				want := root.rows(strings.ReplaceAll(q, "$T", "ns.r"))
				if gerr != nil {
					t.Errorf("%s: %v, want %s", q, gerr, shortK(strings.ReplaceAll(want, strings.Repeat("q", 3000), "Q…")))
					continue
				}
				if g := root.rows(strings.ReplaceAll(q, "$T", "ns.m")); g != want {
					t.Errorf("%s:\n got  %s\n want %s\n%s", q, strings.ReplaceAll(g, strings.Repeat("q", 3000), "Q…"), strings.ReplaceAll(want, strings.Repeat("q", 3000), "Q…"), explain(root, strings.ReplaceAll(q, "$T", "ns.m")))
				}
			}
		})
	}
}

// TestOrderFallbackAttackMixedTypes: the other index's bound compares a
// column with a value of another type.
func TestOrderFallbackAttackMixedTypes(t *testing.T) {
	e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{OrderIndexBudget: 2})
	root := e.root()
	root.must("CREATE NAMESPACE ns")
	for _, tb := range []string{"ns.m", "ns.r"} {
		root.must("CREATE SHARED TABLE " + tb + " (id BIGINT PRIMARY KEY, conv BIGINT, score INT, tag TEXT, f DOUBLE, n INT)")
	}
	createIndex(t, e, "CREATE INDEX a_conv_score ON ns.m (conv, score)")
	createIndex(t, e, "CREATE INDEX b_conv_tag ON ns.m (conv, tag)")
	createIndex(t, e, "CREATE INDEX c_conv_f ON ns.m (conv, f)")
	createIndex(t, e, "CREATE INDEX d_conv_n ON ns.m (conv, n)")
	tags := []string{"'10'", "'7'", "'50'", "'a'", "'0'", "' 7'", "'7 '", "'7.0'", "NULL", "'1e1'"}
	var rows []string
	for i := 1; i <= 60; i++ {
		rows = append(rows, fmt.Sprintf("(%d, 1, %d, %s, %d.5, %d)", i, i%6, tags[i%len(tags)], i%9, i%9))
	}
	for _, tb := range []string{"ns.m", "ns.r"} {
		root.must("INSERT INTO " + tb + " VALUES " + strings.Join(rows, ", "))
	}
	for _, q := range []string{
		"SELECT id, tag FROM $T WHERE conv = 1 AND tag > 5 ORDER BY score, id LIMIT 6",
		"SELECT id, tag FROM $T WHERE conv = 1 AND tag = 7 ORDER BY score, id LIMIT 6",
		"SELECT id, tag FROM $T WHERE conv = 1 AND tag = 0 ORDER BY score, id LIMIT 6",
		"SELECT id, tag FROM $T WHERE conv = 1 AND tag < 8 ORDER BY score DESC, id DESC LIMIT 6",
		"SELECT id, f FROM $T WHERE conv = 1 AND f > 3 ORDER BY score, id LIMIT 6",
		"SELECT id, f FROM $T WHERE conv = 1 AND f = 3.5 ORDER BY score, id LIMIT 6",
		"SELECT id, f FROM $T WHERE conv = 1 AND f > '3.4' ORDER BY score, id LIMIT 6",
		"SELECT id, f FROM $T WHERE conv = 1 AND f < 3 ORDER BY score, id LIMIT 6",
		"SELECT id, n FROM $T WHERE conv = 1 AND n = 3.0 ORDER BY score, id LIMIT 6",
		"SELECT id, n FROM $T WHERE conv = 1 AND n = '3' ORDER BY score, id LIMIT 6",
		"SELECT id, n FROM $T WHERE conv = 1 AND n = ' 3' ORDER BY score, id LIMIT 6",
		"SELECT id, n FROM $T WHERE conv = 1 AND n > 2.5 AND n < 4.5 ORDER BY score, id LIMIT 6",
		"SELECT id, n FROM $T WHERE conv = 1 AND n = true ORDER BY score, id LIMIT 6",
		"SELECT id, n FROM $T WHERE conv = '1' AND n = 3 ORDER BY score, id LIMIT 6",
		"SELECT id, n FROM $T WHERE conv = 1.0 AND n > 7 ORDER BY score, id LIMIT 6",
		"SELECT id, n FROM $T WHERE conv = 1 AND n > 99999999999 ORDER BY score, id LIMIT 6",
		"SELECT id, n FROM $T WHERE conv = 1 AND n < 99999999999 ORDER BY score, id LIMIT 6",
		"SELECT id, n FROM $T WHERE conv = 1 AND n > -99999999999 ORDER BY score, id LIMIT 6",
		"SELECT id, n FROM $T WHERE conv = 1 AND n >= 3 AND n <= 3 ORDER BY score, id LIMIT 6",
		// BETWEEN, IN, NOT BETWEEN, an OR and a row comparison on the other
		// index's column, with values of other types.
		"SELECT id, tag FROM $T WHERE conv = 1 AND tag IN ('7', ' 7', 'a', '7.0') ORDER BY score, id LIMIT 6",
		"SELECT id, tag FROM $T WHERE conv = 1 AND tag BETWEEN '1' AND '7' ORDER BY score DESC, id DESC LIMIT 6",
		"SELECT id, tag FROM $T WHERE conv = 1 AND tag NOT BETWEEN '1' AND '7' ORDER BY score, id LIMIT 6",
		"SELECT id, f FROM $T WHERE conv = 1 AND f IN (3.5, 4, 7.5) ORDER BY score, id LIMIT 6",
		"SELECT id, f FROM $T WHERE conv = 1 AND f BETWEEN 2 AND 4.5 ORDER BY score DESC, id DESC LIMIT 6",
		"SELECT id, f FROM $T WHERE conv = 1 AND f NOT BETWEEN 1 AND 7 ORDER BY score, id LIMIT 6",
		"SELECT id, f FROM $T WHERE conv = 1 AND (f < 1 OR f = 5.5) ORDER BY score, id LIMIT 6",
		"SELECT id, n FROM $T WHERE conv = 1 AND n IN (3.0, '4', 99999999999) ORDER BY score, id LIMIT 6",
		"SELECT id, n FROM $T WHERE conv = 1 AND n IN (2.5, 3) ORDER BY score, id LIMIT 6",
		"SELECT id, n FROM $T WHERE conv = 1 AND n BETWEEN 2.5 AND '5' ORDER BY score, id LIMIT 6",
		"SELECT id, n FROM $T WHERE conv = 1 AND n BETWEEN 6 AND 2 ORDER BY score, id LIMIT 6",
		"SELECT id, n FROM $T WHERE conv = 1 AND n NOT BETWEEN -99999999999 AND 6 ORDER BY score DESC, id DESC LIMIT 6",
		"SELECT id, n FROM $T WHERE conv = 1 AND (n, id) > (6, 30) ORDER BY score, id LIMIT 6",
		"SELECT id, n FROM $T WHERE conv = 1 AND (n, id) <= (2.5, 30) ORDER BY score, id LIMIT 6",
	} {
		gs, ws := "", ""
		if _, err := root.exec(strings.ReplaceAll(q, "$T", "ns.m")); err != nil {
			gs = err.Error()
		} else {
			gs = root.rows(strings.ReplaceAll(q, "$T", "ns.m"))
		}
		if _, err := root.exec(strings.ReplaceAll(q, "$T", "ns.r")); err != nil {
			ws = err.Error()
		} else {
			ws = root.rows(strings.ReplaceAll(q, "$T", "ns.r"))
		}
		if gs != ws {
			t.Errorf("%s:\n got  %s\n want %s\n%s", q, gs, ws, explain(root, strings.ReplaceAll(q, "$T", "ns.m")))
		}
	}
}

// TestOrderFallbackAttackSpans: the order index read over several spans.
func TestOrderFallbackAttackSpans(t *testing.T) {
	e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{OrderIndexBudget: 2})
	a, b := e.as("alice", systable.RoleUser), e.as("bob", systable.RoleUser)
	attackFallbackTables(t, e, a, b)
	qs := []string{
		"SELECT id, score FROM $T WHERE conv = 1 AND score IN (1, 3) AND created_at > 30 ORDER BY score, id LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND score IN (1, 3) AND created_at > 30 ORDER BY score DESC, id DESC LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND score <> 2 AND created_at > 30 ORDER BY score, id LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND score <> 2 AND created_at > 30 ORDER BY score DESC, id DESC LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND (score IS NULL OR score > 2) AND created_at > 30 ORDER BY score, id LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND (score IS NULL OR score > 2) AND created_at > 30 ORDER BY score DESC, id DESC LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND (score < 1 OR score > 2) AND created_at > 30 ORDER BY score, id LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND (score < 1 OR score > 2) AND created_at > 30 ORDER BY score DESC, id DESC LIMIT 5 OFFSET 1",
		"SELECT id, score FROM $T WHERE conv IN (1) AND created_at > 30 ORDER BY score, id LIMIT 5",
		"SELECT id, score FROM $T WHERE (conv = 1 OR conv = 2) AND created_at > 30 ORDER BY conv, score, id LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND created_at > 30 AND id > 20 ORDER BY score, id LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND created_at > 30 AND id IN (2,4,6,8,10,12,40,60,62,64,66,68,70,72) ORDER BY score, id LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND created_at > 30 ORDER BY conv, score, id LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND created_at > 30 ORDER BY conv DESC, score DESC, id DESC LIMIT 5",
		"SELECT id, score FROM $T WHERE conv = 1 AND created_at > 30 ORDER BY score, id LIMIT 5 OFFSET 0",
		"SELECT id, score FROM $T WHERE created_at > 30 AND conv = 1 AND score >= 1 AND score <= 2 ORDER BY score DESC, id DESC LIMIT 3",
	}
	for _, c := range []*caller{a, b} {
		for _, q := range qs {
			gs, ws := "", ""
			if _, err := c.exec(strings.ReplaceAll(q, "$T", "ns.m")); err != nil {
				gs = err.Error()
			} else {
				gs = c.rows(strings.ReplaceAll(q, "$T", "ns.m"))
			}
			ws = c.rows(strings.ReplaceAll(q, "$T", "ns.r"))
			if gs != ws {
				t.Errorf("%s: %s:\n got  %s\n want %s\n%s", c.user, q, gs, ws, explain(c, strings.ReplaceAll(q, "$T", "ns.m")))
			}
		}
	}
}

// TestOrderFallbackAttackMemoryGivenBack: whatever way a fallback's
// statement ends (all rows, the LIMIT met by an outer query, refused by
// the statement's memory, failed while evaluating the WHERE), the bytes
// its kept rows reserved on the server's account are given back.
func TestOrderFallbackAttackMemoryGivenBack(t *testing.T) {
	acct := memory.NewAccount(64 << 20)
	e := &env{t: t, dir: t.TempDir(), statementLimits: engine.Limits{StatementMemoryBytes: 1 << 20, OrderIndexBudget: 2}, memory: acct}
	e.open()
	t.Cleanup(e.close)
	a, b := e.as("alice", systable.RoleUser), e.as("bob", systable.RoleUser)
	attackFallbackTables(t, e, a, b)
	big := strings.Repeat("x", 64<<10)
	for i := 0; i < 30; i++ {
		a.must(fmt.Sprintf("UPDATE ns.m SET created_at = %d, tag = '%s' WHERE id = %d", 5000+i, big, 2+2*i))
	}
	before := e.db.Engine.OrderIndexFallbacks()
	for _, q := range []string{
		"SELECT id FROM ns.m WHERE conv = 1 AND created_at >= 5000 ORDER BY score, id LIMIT 3",
		"SELECT id FROM (SELECT id FROM ns.m WHERE conv = 1 AND created_at >= 5000 ORDER BY score, id LIMIT 10) s LIMIT 1",
		"SELECT id, tag FROM ns.m WHERE conv = 1 AND created_at >= 5000 ORDER BY score, id LIMIT 30",
		"SELECT id FROM ns.m WHERE conv = 1 AND created_at >= 5000 AND CAST(tag AS INT) > 0 ORDER BY score, id LIMIT 30",
		"SELECT id FROM ns.m WHERE conv = 1 AND created_at >= 5000 AND 1 / (created_at - 5020) > -5 ORDER BY score, id LIMIT 30",
	} {
		_, err := a.exec(q)
		t.Logf("%s: %v", q, err)
		if u := acct.Used(); u != 0 {
			t.Errorf("after %s (%v): %d bytes still reserved", q, err, u)
		}
	}
	if e.db.Engine.OrderIndexFallbacks() == before {
		t.Fatal("no fallback ran")
	}
}

// TestOrderFallbackAttackWritesDuringRead: rows change (and are flushed)
// while the order index is read, before the switch: the fallback must
// read the same snapshot as the order index, so the answer is the one
// before the writes or after them, never a mix with a row twice.
func TestOrderFallbackAttackWritesDuringRead(t *testing.T) {
	for _, flush := range []bool{false, true} {
		e, _, onRead := newEnvWatchingColdReads(t, engine.Limits{OrderIndexBudget: 2})
		a, b := e.as("alice", systable.RoleUser), e.as("bob", systable.RoleUser)
		attackFallbackTables(t, e, a, b)
		flushTable(t, e, "ns.m")
		q := "SELECT id, score FROM ns.m WHERE conv = 1 AND created_at > 30 ORDER BY score, id LIMIT 12"
		w := "UPDATE $T SET score = 3, created_at = created_at + 1 WHERE conv = 1 AND score = 0"
		before := a.rows(strings.ReplaceAll(q, "ns.m", "ns.r"))
		a.must(strings.ReplaceAll(w, "$T", "ns.r"))
		after := a.rows(strings.ReplaceAll(q, "ns.m", "ns.r"))
		done := false
		fallbacks := e.db.Engine.OrderIndexFallbacks()
		onRead.Store(func() {
			if done || e.db.Engine.OrderIndexFallbacks() != fallbacks {
				return
			}
			done = true
			ch := make(chan struct{})
			go func() {
				defer close(ch)
				a.must(strings.ReplaceAll(w, "$T", "ns.m"))
				if flush {
					flushTable(t, e, "ns.m")
				}
			}()
			<-ch
		})
		got := a.rows(q)
		onRead.Store(func() {})
		if !done || e.db.Engine.OrderIndexFallbacks() == fallbacks {
			t.Fatalf("flush %v: the writes ran %v, fallbacks %d", flush, done, e.db.Engine.OrderIndexFallbacks()-fallbacks)
		}
		if got != before && got != after {
			t.Errorf("flush %v: %s\n got    %s\n before %s\n after  %s", flush, q, got, before, after)
		}
	}
}

// TestOrderFallbackAttackDeleted: soft-deleted rows, read with and
// without _deleted, and inside a transaction.
func TestOrderFallbackAttackDeleted(t *testing.T) {
	e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{OrderIndexBudget: 2})
	a, b := e.as("alice", systable.RoleUser), e.as("bob", systable.RoleUser)
	attackFallbackTables(t, e, a, b)
	for _, tb := range []string{"ns.m", "ns.r"} {
		a.must("DELETE FROM " + tb + " WHERE id % 3 = 0")
	}
	runJob(t, e, "STORAGE FLUSH TABLE ns.m")
	for _, tb := range []string{"ns.m", "ns.r"} {
		a.must("DELETE FROM " + tb + " WHERE id % 4 = 0")
		a.must("UPDATE " + tb + " SET created_at = 70 WHERE id % 5 = 1")
	}
	for _, q := range []string{
		"SELECT id, score FROM $T WHERE conv = 1 AND created_at > 30 ORDER BY score, id LIMIT 5",
		"SELECT id, score, _deleted FROM $T WHERE conv = 1 AND created_at > 30 AND _deleted = true ORDER BY score, id LIMIT 5",
		"SELECT id, score, _deleted FROM $T WHERE conv = 1 AND created_at > 30 AND (_deleted = true OR _deleted = false) ORDER BY score DESC, id DESC LIMIT 8",
		"SELECT id, score FROM $T WHERE conv = 1 AND created_at > 30 AND _deleted = false ORDER BY score, id LIMIT 5",
		"SELECT id, score, _seq > 0 FROM $T WHERE conv = 1 AND created_at > 30 ORDER BY score, id LIMIT 5",
	} {
		gs, ws := "", ""
		if _, err := a.exec(strings.ReplaceAll(q, "$T", "ns.m")); err != nil {
			gs = err.Error()
		} else {
			gs = a.rows(strings.ReplaceAll(q, "$T", "ns.m"))
		}
		if _, err := a.exec(strings.ReplaceAll(q, "$T", "ns.r")); err != nil {
			ws = err.Error()
		} else {
			ws = a.rows(strings.ReplaceAll(q, "$T", "ns.r"))
		}
		if gs != ws {
			t.Errorf("%s:\n got  %s\n want %s\n%s", q, gs, ws, explain(a, strings.ReplaceAll(q, "$T", "ns.m")))
		}
		tx := "BEGIN; " + strings.ReplaceAll(q, "$T", "ns.m") + "; COMMIT"
		res, err := a.exec(tx)
		if err != nil {
			t.Errorf("%s: %v", tx, err)
			continue
		}
		_ = res
	}
}

// TestOrderFallbackAttackParams: one statement text run with different
// parameters (the plan cache keeps its translation).
func TestOrderFallbackAttackParams(t *testing.T) {
	e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{OrderIndexBudget: 2})
	a, b := e.as("alice", systable.RoleUser), e.as("bob", systable.RoleUser)
	attackFallbackTables(t, e, a, b)
	q := "SELECT id, score FROM $T WHERE conv = $1 AND created_at > $2 AND created_at <= $2 + $3 ORDER BY score DESC, id DESC LIMIT $4 OFFSET $5"
	params := [][]any{
		{int64(1), int64(30), int64(20), int64(5), int64(0)},
		{int64(1), int64(30), int64(20), int64(0), int64(0)},
		{int64(1), int64(0), int64(100), int64(3), int64(50)},
		{int64(2), int64(10), int64(5), int64(2), int64(1)},
		{int64(1), nil, int64(5), int64(2), int64(1)},
		{int64(1), "30", int64(20), int64(5), int64(0)},
		{int64(1), 30.5, int64(20), int64(5), int64(0)},
		{int64(1), int64(30), int64(20), int64(1000000), int64(2)},
		{int64(1), int64(1030), int64(20), int64(5), int64(0)},
	}
	for _, c := range []*caller{a, b} {
		for _, p := range params {
			gs, ws := "", ""
			if _, err := c.exec(strings.ReplaceAll(q, "$T", "ns.m"), p...); err != nil {
				gs = err.Error()
			} else {
				gs = c.rows(strings.ReplaceAll(q, "$T", "ns.m"), p...)
			}
			if _, err := c.exec(strings.ReplaceAll(q, "$T", "ns.r"), p...); err != nil {
				ws = err.Error()
			} else {
				ws = c.rows(strings.ReplaceAll(q, "$T", "ns.r"), p...)
			}
			if gs != ws {
				t.Errorf("%s %v:\n got  %s\n want %s", c.user, p, gs, ws)
			}
		}
	}
}

// TestOrderFallbackAttackNoPrimaryKey: a table without a declared
// primary key, many rows with equal order keys.
func TestOrderFallbackAttackNoPrimaryKey(t *testing.T) {
	for _, budget := range []int{1 << 30, 2} {
		t.Run(fmt.Sprint("budget ", budget), func(t *testing.T) { noPrimaryKeyTopN(t, budget) })
	}
}

func noPrimaryKeyTopN(t *testing.T, budget int) {
	e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{OrderIndexBudget: budget})
	before := e.db.Engine.OrderIndexFallbacks()
	defer func() { t.Logf("fallbacks: %d", e.db.Engine.OrderIndexFallbacks()-before) }()
	root := e.root()
	root.must("CREATE NAMESPACE ns")
	for _, tb := range []string{"ns.m", "ns.r"} {
		if _, err := root.exec("CREATE SHARED TABLE " + tb + " (conv BIGINT, created_at BIGINT, score INT, tag TEXT)"); err != nil {
			t.Skipf("no primary key: %v", err)
		}
	}
	createIndex(t, e, "CREATE INDEX a_conv_score ON ns.m (conv, score)")
	createIndex(t, e, "CREATE INDEX b_conv_created ON ns.m (conv, created_at)")
	var rows []string
	for i := 1; i <= 60; i++ {
		rows = append(rows, fmt.Sprintf("(1, %d, %d, 't%d')", i%7+30, i%3, i%4))
	}
	for _, tb := range []string{"ns.m", "ns.r"} {
		root.must("INSERT INTO " + tb + " VALUES " + strings.Join(rows, ", "))
	}
	for _, q := range []string{
		"SELECT score, count(*) FROM (SELECT score, tag FROM $T WHERE conv = 1 AND created_at > 32 ORDER BY score LIMIT 20) s GROUP BY score ORDER BY score",
		"SELECT count(*) FROM (SELECT score FROM $T WHERE conv = 1 AND created_at > 32 ORDER BY score DESC LIMIT 30 OFFSET 3) s",
	} {
		g := root.rows(strings.ReplaceAll(q, "$T", "ns.m"))
		w := root.rows(strings.ReplaceAll(q, "$T", "ns.r"))
		if g != w {
			t.Errorf("%s:\n got  %s\n want %s\n%s", q, g, w, explain(root, strings.ReplaceAll(q, "$T", "ns.m")))
		}
	}
}

// TestOrderFallbackAttackNoPrimaryKeyDefaultBudget: the same with the
// default budget (1024 entries for LIMIT 20): a table without a primary
// key, 3000 rows of a conversation, 60 of them in the created_at range,
// 30 of them with score 0 (as all the others), 30 with score 1. The order index's entries of equal score have
// equal keys (no primary key appended), so the fallback drops every row
// whose score equals the last row returned.
func TestOrderFallbackAttackNoPrimaryKeyDefaultBudget(t *testing.T) {
	e := newEnvWith(t, false)
	root := e.root()
	root.must("CREATE NAMESPACE ns")
	for _, tb := range []string{"ns.m", "ns.r"} {
		root.must("CREATE SHARED TABLE " + tb + " (conv BIGINT, created_at BIGINT, score INT)")
	}
	createIndex(t, e, "CREATE INDEX a_conv_score ON ns.m (conv, score)")
	createIndex(t, e, "CREATE INDEX b_conv_created ON ns.m (conv, created_at)")
	var rows []string
	for i := 1; i <= 3000; i++ {
		created, score := i, 0
		if i%50 == 0 {
			created, score = 10000+i, (i/50)%2
		}
		rows = append(rows, fmt.Sprintf("(1, %d, %d)", created, score))
	}
	for _, tb := range []string{"ns.m", "ns.r"} {
		root.must("INSERT INTO " + tb + " VALUES " + strings.Join(rows, ", "))
	}
	before := e.db.Engine.OrderIndexFallbacks()
	q := "SELECT count(*), sum(score) FROM (SELECT score FROM $T WHERE conv = 1 AND created_at > 10000 ORDER BY score LIMIT 20) s"
	g := root.rows(strings.ReplaceAll(q, "$T", "ns.m"))
	w := root.rows(strings.ReplaceAll(q, "$T", "ns.r"))
	if g != w {
		t.Errorf("%s (fallbacks %d):\n got  %s\n want %s", q, e.db.Engine.OrderIndexFallbacks()-before, g, w)
	}
}
