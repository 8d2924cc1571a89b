package executor_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// loadColdRows inserts rows 1..200,000 of table (columns cols, row i's
// values row(i)) as alice, 500 a statement, flushing every 10,000.
func loadColdRows(d *benchDB, table, cols string, row func(i int) string) {
	var sb strings.Builder
	for f := range 20 {
		for i := f*10_000 + 1; i <= (f+1)*10_000; {
			sb.Reset()
			sb.WriteString("INSERT INTO " + table + " (" + cols + ") VALUES ")
			for j := 0; j < 500 && i <= (f+1)*10_000; j, i = j+1, i+1 {
				if j > 0 {
					sb.WriteString(", ")
				}
				sb.WriteString("(" + row(i) + ")")
			}
			d.exec("alice", systable.RoleUser, sb.String())
		}
		d.flushTable(table)
	}
}

// benchColdStatement is one statement of a cold read benchmark, and the
// check of its result.
type benchColdStatement struct {
	name, q string
	ok      func(res []executor.Result) bool
}

// benchColdStatements runs each statement as alice in a sub-benchmark,
// after one warm-up (files opened, pages cached), and reports the row
// groups read and the rows decoded per statement.
func benchColdStatements(b *testing.B, d *benchDB, stmts []benchColdStatement) {
	for _, c := range stmts {
		b.Run(c.name, func(b *testing.B) {
			d.exec("alice", systable.RoleUser, c.q)
			before := d.db.Tier.ColdReadStats()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if res := d.exec("alice", systable.RoleUser, c.q); !c.ok(res) {
					b.Fatalf("%s: %v", c.q, res[0].Rows)
				}
			}
			b.StopTimer()
			after := d.db.Tier.ColdReadStats()
			b.ReportMetric(float64(after.RowGroupsRead-before.RowGroupsRead)/float64(b.N), "rowgroups/op")
			b.ReportMetric(float64(after.RowsDecoded-before.RowsDecoded)/float64(b.N), "rows-decoded/op")
		})
	}
}

// BenchmarkColdPrune reads 200,000 cold rows flushed 10,000 at a time
// (so also compacted: about 8 row groups in the end; seq = 3 id and tag =
// 'tag-' and the id grow with the key) through a WHERE the scan pushes to
// the files: an IN list of two values at both ends, and a text equality.
// It reports, per statement, the row groups read and the rows decoded.
func BenchmarkColdPrune(b *testing.B) {
	d := openBenchDB(b)
	d.exec("root", systable.RoleSystem, "CREATE TABLE chat.events (id BIGINT PRIMARY KEY, seq BIGINT, tag TEXT, body TEXT)")
	loadColdRows(d, "chat.events", "id, seq, tag, body", func(i int) string {
		return fmt.Sprintf("%d, %d, 'tag-%07d', 'event %d with a body of some typical length'", i, 3*i, i, i)
	})
	rows := func(n int) func([]executor.Result) bool {
		return func(res []executor.Result) bool { return len(res[0].Rows) == n }
	}
	benchColdStatements(b, d, []benchColdStatement{
		{"in-list", "SELECT id, body FROM chat.events WHERE seq IN (30, 599970)", rows(2)},
		{"text-eq", "SELECT id, body FROM chat.events WHERE tag = 'tag-0150000'", rows(1)},
	})
}

// BenchmarkColdPruneNot reads 200,000 cold rows flushed 10,000 at a time
// and compacted into one file (row groups of 65,536 rows), whose first
// 131,072 are imported history (kind = 'import', never edited: edited_at
// NULL) and the rest chat (kind = 'chat', edited_at set), through a NOT
// IN or <> the scan pushes to the files: the two row groups of history
// are skipped. It reports, per statement, the row groups read and the
// rows decoded.
func BenchmarkColdPruneNot(b *testing.B) {
	d := openBenchDB(b)
	d.exec("root", systable.RoleSystem, "CREATE TABLE chat.log (id BIGINT PRIMARY KEY, kind TEXT, edited_at TIMESTAMP, body TEXT)")
	loadColdRows(d, "chat.log", "id, kind, edited_at, body", func(i int) string {
		kind, at := "import", "NULL"
		if i > 131_072 {
			kind, at = "chat", fmt.Sprintf("TIMESTAMP '2025-01-01' + interval '%d seconds'", i)
		}
		return fmt.Sprintf("%d, '%s', %s, 'event %d with a body of some typical length'", i, kind, at, i)
	})
	d.runJob("STORAGE COMPACT TABLE chat.log")
	chat := func(res []executor.Result) bool { return fmt.Sprint(res[0].Rows[0][0]) == "68928" }
	benchColdStatements(b, d, []benchColdStatement{
		{"text-ne", "SELECT count(*), max(body) FROM chat.log WHERE kind <> 'import'", chat},
		{"text-not-in", "SELECT count(*), max(body) FROM chat.log WHERE kind NOT IN ('import', 'system')", chat},
		{"time-ne", "SELECT count(*), max(body) FROM chat.log WHERE edited_at <> '2020-01-01'", chat},
	})
}
