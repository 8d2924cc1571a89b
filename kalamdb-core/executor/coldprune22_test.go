package executor_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// inListOf is "v0, v1, ..." of k values from first, step apart.
func inListOf(first, step, k int) string {
	var sb strings.Builder
	for i := range k {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprint(&sb, first+i*step)
	}
	return sb.String()
}

// coldPruneEnv is a table c.t of ids, n and tags 't%05d' 1000..2000 and
// 5000..6000, one file each, and alice, who owns them.
func coldPruneEnv(t *testing.T) (*env, *caller) {
	t.Helper()
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE c; CREATE TABLE c.t (id BIGINT PRIMARY KEY, n BIGINT, tag TEXT)")
	alice := e.as("alice", systable.RoleUser)
	for _, r := range [][2]int{{1000, 2000}, {5000, 6000}} {
		var sb strings.Builder
		sb.WriteString("INSERT INTO c.t (id, n, tag) VALUES ")
		for i := r[0]; i <= r[1]; i++ {
			if i > r[0] {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "(%d, %d, 't%05d')", i, i, i)
		}
		alice.must(sb.String())
		flushTable(t, e, "c.t")
	}
	return e, alice
}

// An IN list longer than the index planner takes (engine.MaxIndexRanges)
// still prunes cold files: the engine hid its column from the index
// planner, and with it from the scan filters, so every file was read.
func TestColdPruneByLargeInList(t *testing.T) {
	e, alice := coldPruneEnv(t)
	quoted := func(first, k int) string {
		out := make([]string, k)
		for i := range out {
			out[i] = fmt.Sprintf("'t%05d'", first+i)
		}
		return strings.Join(out, ", ")
	}
	cases := []struct {
		q, want     string
		read, files int64 // row groups read (one a file here), files pruned
	}{
		// 3000..4499 and 1000000: neither file holds one.
		{"SELECT count(*) FROM c.t WHERE n IN (" + inListOf(3000, 1, 1500) + ", 1000000)", `[[0]]`, 0, 2},
		// Spread over both gaps, and into the second file.
		{"SELECT count(*) FROM c.t WHERE n IN (" + inListOf(2001, 2, 1499) + ", 1000000)", `[[0]]`, 0, 2},
		{"SELECT count(*) FROM c.t WHERE n IN (" + inListOf(2001, 2, 1600) + ")", `[[100]]`, 1, 1},
		{"SELECT count(*) FROM c.t WHERE n NOT IN (" + inListOf(1000, 1, 1001) + ") AND n < 3000", `[[0]]`, 0, 2},
		// More spans than a cold filter keeps (4500 points, each a span
		// of its own): merged where they are closest, the gaps that
		// hold the files stay.
		{"SELECT count(*) FROM c.t WHERE n IN (" + inListOf(-2999, 2, 1500) + ", " + inListOf(2001, 2, 1500) + ", " + inListOf(6001, 2, 1500) + ")", `[[0]]`, 0, 2},
		{"SELECT count(*) FROM c.t WHERE n IN (" + inListOf(-2999, 2, 1500) + ", " + inListOf(2001, 2, 1500) + ", 5000, " + inListOf(6001, 2, 1500) + ")", `[[1]]`, 1, 1},
		{"SELECT count(*) FROM c.t WHERE tag IN (" + quoted(3000, 1200) + ")", `[[0]]`, 0, 2},
		{"SELECT count(*) FROM c.t WHERE tag IN (" + quoted(5990, 1200) + ")", `[[11]]`, 1, 1},
		{"SELECT id FROM c.t WHERE id IN (" + inListOf(2001, 1, 1200) + ") ORDER BY id DESC", `[]`, 0, 2},
	}
	for _, c := range cases {
		before := e.db.Tier.ColdReadStats()
		got := alice.rows(c.q)
		d := coldDelta(before, e.db.Tier.ColdReadStats())
		q := c.q[:min(len(c.q), 70)] + "..."
		if got != c.want {
			t.Fatalf("%s: %s, want %s", q, got, c.want)
		}
		if d.RowGroupsRead != c.read || d.ScansPruned != c.files {
			t.Errorf("%s: read %d row groups and pruned %d files, want %d and %d (%+v)", q, d.RowGroupsRead, d.ScansPruned, c.read, c.files, d)
		}
	}
}

// The longest IN list a statement's size limit (1 MiB of SQL text) lets
// through, 115,000 values around both files, each a span of its own, is
// answered and prunes a file still: its cold filter is cut to
// maxColdSpans spans, not dropped.
func TestColdPruneLongestInList(t *testing.T) {
	e, alice := coldPruneEnv(t)
	var sb strings.Builder
	sb.WriteString("SELECT count(*), min(n), max(n) FROM c.t WHERE n IN (1, 5000")
	for v := 100_001; sb.Len() < 1<<20-20; v += 2 {
		fmt.Fprintf(&sb, ",%d", v)
	}
	sb.WriteString(")")
	before := e.db.Tier.ColdReadStats()
	got := alice.rows(sb.String())
	d := coldDelta(before, e.db.Tier.ColdReadStats())
	if got != `[[1,5000,5000]]` || d.RowGroupsRead != 1 || d.ScansPruned != 1 {
		t.Errorf("%d bytes of IN list: %s, %+v (want one file pruned)", sb.Len(), got, d)
	}
}
