package executor_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// BenchmarkTextSort sorts texts through the executor: long, 100 rows of
// 100 KB that share all but their last bytes (every comparison reads the
// whole text), and short, 10,000 rows of about 60 bytes (the common
// case, whose cost must not grow), each in a full sort and a top-N
// (ORDER BY ... LIMIT 10). Only the ids are returned.
func BenchmarkTextSort(b *testing.B) {
	for _, c := range []struct {
		name string
		rows int
		body string // the body of row n, an expression of n
	}{
		{"long", 100, "repeat('x', 100000) || ((n * 7919) % 100)"},
		{"short", 10_000, "'message ' || ((n * 7919) % 10000) || ' with some typical chat text'"},
	} {
		d := openBenchDB(b)
		d.exec("root", systable.RoleSystem, "CREATE NAMESPACE app; CREATE SHARED TABLE app.t (id BIGINT PRIMARY KEY, body TEXT)")
		for from := 1; from <= c.rows; from += 500 {
			to := min(from+499, c.rows)
			d.exec("root", systable.RoleSystem, fmt.Sprintf(
				"INSERT INTO app.t SELECT n, %s FROM generate_series(%d, %d) n", c.body, from, to))
		}
		for _, q := range []struct{ name, sql string }{
			{"sort", "SELECT id FROM app.t ORDER BY body, id"},
			{"topn", "SELECT id FROM app.t ORDER BY body DESC, id LIMIT 10"},
			// Not sorts: min and max compare each row with the value
			// kept, a window's min with every row of its frame.
			{"minmax", "SELECT length(min(body)), length(max(body)) FROM app.t"},
			{"window-min", "SELECT count(*) FROM (SELECT min(body) OVER (ORDER BY id) m FROM app.t) s"},
			// Hashed, not compared: DISTINCT and GROUP BY of texts.
			{"distinct", "SELECT count(*) FROM (SELECT DISTINCT body FROM app.t) s"},
			{"groupby", "SELECT count(*) FROM (SELECT body, count(*) FROM app.t GROUP BY body) s"},
		} {
			b.Run(c.name+"/"+q.name, func(b *testing.B) {
				req := executor.Request{UserID: "root", Role: systable.RoleSystem, SQL: q.sql}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					res, err := d.db.Executor.Execute(context.Background(), req)
					if err != nil || len(res[0].Rows) != min(c.rows, map[string]int{"sort": c.rows, "topn": 10, "minmax": 1, "window-min": 1, "distinct": 1, "groupby": 1}[q.name]) {
						b.Fatalf("%v", err)
					}
				}
			})
		}
	}
}
