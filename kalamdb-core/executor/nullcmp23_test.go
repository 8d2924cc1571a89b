package executor_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestNullComparisonFilters: a WHERE comparing a nullable column, hot and
// cold, gives the rows the same comparison of a computed operand gives
// (n + 0 is not a column read: its comparison is answered from its value,
// evaluated once), NULL operands included: in the comparison, under NOT
// and IS NULL, against a NULL literal and a NULL parameter, and through
// IS [NOT] DISTINCT FROM, where NULL is a value. The engine's tests
// compare both with the engine's comparison unwrapped
// (TestNullComparisonTwins).
func TestNullComparisonFilters(t *testing.T) {
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE c; CREATE TABLE c.t (id BIGINT PRIMARY KEY, n BIGINT, tag TEXT, ts TIMESTAMP)")
	alice := e.as("alice", systable.RoleUser)
	var sb strings.Builder
	sb.WriteString("INSERT INTO c.t (id, n, tag, ts) VALUES ")
	for i := 1; i <= 60; i++ {
		if i > 1 {
			sb.WriteString(", ")
		}
		if i%3 == 0 {
			fmt.Fprintf(&sb, "(%d, %d, 't%02d', TIMESTAMP '2020-01-01 00:00:00' + INTERVAL '%d days')", i, i%10, i%10, i%10)
		} else {
			fmt.Fprintf(&sb, "(%d, NULL, NULL, NULL)", i)
		}
	}
	alice.must(sb.String())
	type q struct {
		where  string // $C is the column, or the computed operand
		col    string
		params []any
	}
	num, text, ts := "n", "tag", "ts"
	computed := map[string]string{num: "(n + 0)", text: "(tag || '')", ts: "(ts + INTERVAL '0 seconds')"}
	cases := []q{
		{"$C = 3", num, nil}, {"$C <> 3", num, nil}, {"$C < 5", num, nil}, {"$C <= 5", num, nil},
		{"$C > 5", num, nil}, {"$C >= 5", num, nil}, {"NOT ($C > 5)", num, nil}, {"($C > 5) IS NULL", num, nil},
		{"$C = NULL", num, nil}, {"NULL <> $C", num, nil}, {"$C = $1", num, []any{nil}}, {"$C >= $1", num, []any{int64(4)}},
		{"$C IS NOT DISTINCT FROM NULL", num, nil}, {"$C IS DISTINCT FROM 3", num, nil},
		{"$C IS NOT DISTINCT FROM $1", num, []any{nil}}, {"($C = 3) IS NOT TRUE", num, nil},
		{"$C <> 't03'", text, nil}, {"$C > 't05'", text, nil}, {"$C = $1", text, []any{"t06"}},
		{"$C <> '2020-01-04'", ts, nil}, {"$C < TIMESTAMP '2020-01-05 00:00:00'", ts, nil},
		{"id IN (SELECT id FROM c.t WHERE $C <> 3)", num, nil},
		{"id IN (SELECT id FROM (SELECT id, n FROM c.t) s WHERE $C < 7)", num, nil},
		{"$C <> '2020-01-04' OR id < 3", ts, nil}, {"id > 50 AND $C >= '2020-01-02'", ts, nil},
	}
	for _, tier := range []string{"hot", "cold"} {
		if tier == "cold" {
			flushTable(t, e, "c.t")
		}
		for _, c := range cases {
			got := alice.rows("SELECT id FROM c.t WHERE "+strings.ReplaceAll(c.where, "$C", c.col)+" ORDER BY id", c.params...)
			want := alice.rows("SELECT id FROM c.t WHERE "+strings.ReplaceAll(c.where, "$C", computed[c.col])+" ORDER BY id", c.params...)
			if got != want {
				t.Errorf("%s %s (%s): got %s, want %s", tier, c.where, c.col, got, want)
			}
		}
		// The NULL rows count in IS NULL and IS NOT DISTINCT FROM, and
		// nowhere else.
		if got := alice.rows("SELECT count(*) FROM c.t WHERE (n <> 3) IS NULL"); got != "[[40]]" {
			t.Errorf("%s: (n <> 3) IS NULL: %s rows, want 40", tier, got)
		}
		if got := alice.rows("SELECT count(*) FROM c.t WHERE n <> 3"); got != "[[18]]" {
			t.Errorf("%s: n <> 3: %s rows, want 18", tier, got)
		}
		if got := alice.rows("SELECT count(*) FROM c.t WHERE n IS NOT DISTINCT FROM NULL"); got != "[[40]]" {
			t.Errorf("%s: n IS NOT DISTINCT FROM NULL: %s rows, want 40", tier, got)
		}
	}
	// UPDATE and DELETE, which the engine plans with its short rule list.
	alice.must("UPDATE c.t SET tag = 'x' WHERE n <> 3")
	if got := alice.rows("SELECT count(*) FROM c.t WHERE tag = 'x'"); got != "[[18]]" {
		t.Errorf("UPDATE ... WHERE n <> 3 changed %s rows, want 18", got)
	}
	alice.must("DELETE FROM c.t WHERE n < 5")
	if got := alice.rows("SELECT count(*) FROM c.t"); got != "[[50]]" {
		t.Errorf("DELETE ... WHERE n < 5 left %s rows, want 50", got)
	}
}
