package executor_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// BenchmarkColdPrune reads 200,000 cold rows flushed 10,000 at a time
// (so also compacted: about 8 row groups in the end; seq = 3 id and tag =
// 'tag-' and the id grow with the key) through a WHERE the scan pushes to
// the files: an IN list of two values at both ends, and a text equality.
// It reports, per statement, the row groups read and the rows decoded.
func BenchmarkColdPrune(b *testing.B) {
	d := openBenchDB(b)
	d.exec("root", systable.RoleSystem, "CREATE TABLE chat.events (id BIGINT PRIMARY KEY, seq BIGINT, tag TEXT, body TEXT)")
	var sb strings.Builder
	for f := range 20 {
		for i := f*10_000 + 1; i <= (f+1)*10_000; {
			sb.Reset()
			sb.WriteString("INSERT INTO chat.events (id, seq, tag, body) VALUES ")
			for j := 0; j < 500 && i <= (f+1)*10_000; j, i = j+1, i+1 {
				if j > 0 {
					sb.WriteString(", ")
				}
				fmt.Fprintf(&sb, "(%d, %d, 'tag-%07d', 'event %d with a body of some typical length')", i, 3*i, i, i)
			}
			d.exec("alice", systable.RoleUser, sb.String())
		}
		d.flushTable("chat.events")
	}
	for _, c := range []struct{ name, q string }{
		{"in-list", "SELECT id, body FROM chat.events WHERE seq IN (30, 599970)"},
		{"text-eq", "SELECT id, body FROM chat.events WHERE tag = 'tag-0150000'"},
	} {
		b.Run(c.name, func(b *testing.B) {
			d.exec("alice", systable.RoleUser, c.q) // files opened, pages cached
			before := d.db.Tier.ColdReadStats()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				res := d.exec("alice", systable.RoleUser, c.q)
				if n := len(res[0].Rows); (c.name == "in-list" && n != 2) || (c.name == "text-eq" && n != 1) {
					b.Fatalf("%s: %d rows", c.q, n)
				}
			}
			b.StopTimer()
			after := d.db.Tier.ColdReadStats()
			b.ReportMetric(float64(after.RowGroupsRead-before.RowGroupsRead)/float64(b.N), "rowgroups/op")
			b.ReportMetric(float64(after.RowsDecoded-before.RowsDecoded)/float64(b.N), "rows-decoded/op")
		})
	}
}
