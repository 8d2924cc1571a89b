package executor_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// BenchmarkNullJoin joins 2,000 rows whose key is NULL in 99 rows of 100
// with 200 rows keyed alike, hot and then cold: a join evaluates its
// condition on the pairs it considers, and the engine's comparison made
// an error with a stack trace for each NULL key. Inner and outer joins on
// the key, a computed key (n + 1, evaluated once per pair), and a
// correlated subquery comparing the key.
func BenchmarkNullJoin(b *testing.B) {
	d := openBenchDB(b)
	d.exec("root", systable.RoleSystem, "CREATE TABLE chat.notes (id BIGINT PRIMARY KEY, n BIGINT); CREATE TABLE chat.tags (id BIGINT PRIMARY KEY, n BIGINT)")
	key := func(i int) string {
		if i%100 == 0 {
			return fmt.Sprintf("(%d, %d)", i, i/100)
		}
		return fmt.Sprintf("(%d, NULL)", i)
	}
	d.insertRows("chat.notes (id, n)", 2_000, key)
	d.insertRows("chat.tags (id, n)", 200, key)
	for _, tier := range []string{"hot", "cold"} {
		if tier == "cold" {
			d.flushTable("chat.notes")
			d.flushTable("chat.tags")
		}
		for _, c := range []struct {
			name, q string
			want    int64
		}{
			{"inner", "SELECT count(*) FROM chat.notes a JOIN chat.tags b ON a.n = b.n", 2},
			{"left", "SELECT count(*) FROM chat.notes a LEFT JOIN chat.tags b ON a.n = b.n", 2_000},
			{"full", "SELECT count(*) FROM chat.notes a FULL JOIN chat.tags b ON a.n = b.n", 2_198},
			{"left-computed", "SELECT count(*) FROM chat.notes a LEFT JOIN chat.tags b ON a.n + 1 = b.n", 2_000},
			{"correlated", "SELECT count(*) FROM chat.notes a WHERE EXISTS (SELECT 1 FROM chat.tags b WHERE b.n = a.n AND b.id > 0)", 2},
		} {
			b.Run(tier+"/"+c.name, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					res := d.exec("alice", systable.RoleUser, c.q)
					if got := fmt.Sprint(res[0].Rows[0][0]); got != fmt.Sprint(c.want) {
						b.Fatalf("%s: %s", c.q, got)
					}
				}
			})
		}
	}
}

// insertRows inserts rows 1..n into into ("table (columns)") as alice, 500
// a statement, row(i) being the i-th row's parenthesised values.
func (d *benchDB) insertRows(into string, n int, row func(i int) string) {
	var sb strings.Builder
	for i := 1; i <= n; {
		sb.Reset()
		sb.WriteString("INSERT INTO " + into + " VALUES ")
		for j := 0; j < 500 && i <= n; j, i = j+1, i+1 {
			if j > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(row(i))
		}
		d.exec("alice", systable.RoleUser, sb.String())
	}
}
