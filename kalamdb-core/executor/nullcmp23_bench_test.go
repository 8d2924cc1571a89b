package executor_test

import (
	"fmt"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// BenchmarkNullFilter reads 20,000 rows, hot and then cold, through a WHERE on a nullable
// column that is NULL in 99 rows of 100: the engine's comparisons made
// an error with a stack trace for every NULL operand. n > 5 is the
// control: the scan's bounds on integer columns drop the NULL rows before
// any comparison sees them; n + 1 > 5 has no bounds, and a computed
// operand.
func BenchmarkNullFilter(b *testing.B) {
	d := openBenchDB(b)
	d.exec("root", systable.RoleSystem, "CREATE TABLE chat.notes (id BIGINT PRIMARY KEY, n BIGINT, edited_at TIMESTAMP)")
	d.insertRows("chat.notes (id, n, edited_at)", 20_000, func(i int) string {
		if i%100 == 0 {
			return fmt.Sprintf("(%d, %d, TIMESTAMP '2021-01-01 00:00:00')", i, i)
		}
		return fmt.Sprintf("(%d, NULL, NULL)", i)
	})
	for _, tier := range []string{"hot", "cold"} {
		if tier == "cold" {
			d.flushTable("chat.notes")
		}
		for _, c := range []struct{ name, q string }{
			{"timestamp-ne", "SELECT id FROM chat.notes WHERE edited_at <> '2020-01-01'"},
			{"bigint-gt", "SELECT id FROM chat.notes WHERE n > 5"},
			{"bigint-sum-gt", "SELECT id FROM chat.notes WHERE n + 1 > 5"},
		} {
			b.Run(tier+"/"+c.name, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if res := d.exec("alice", systable.RoleUser, c.q); len(res[0].Rows) != 200 {
						b.Fatalf("%s: %d rows", c.q, len(res[0].Rows))
					}
				}
			})
		}
	}
}
