package cold

import (
	"fmt"
	"testing"
	"time"
)

// A row group (or page) whose filtered column is NULL in every row has no
// min/max statistics, only a null count; no comparison passes NULL, so a
// filter skips it rather than reading it as "unknown". Row groups 1 and 3
// of five (4,000 rows each) and the first 1,000 rows of row group 0 have
// no conversation, sender or time. (No page holds only NULLs: the writer
// cuts a page by the bytes of its values, and NULLs have none.)
func TestAllNullRowGroupsSkipped(t *testing.T) {
	st := newFS(t)
	rows := chatRows(t, 20000)
	base := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range rows {
		rows[i].Values[1] = int64(i / 1000)
		rows[i].Values[2] = fmt.Sprintf("s%05d", i/1000)
		rows[i].Values[4] = base.Add(time.Duration(i) * time.Minute)
		if g := i / 4000; g == 1 || g == 3 || i < 1000 {
			rows[i].Values[1], rows[i].Values[2], rows[i].Values[4] = nil, nil, nil
		}
	}
	writeRows(t, st, "n.parquet", chatSchema(), rows, WriteOptions{RowGroupRows: 4000, PageBytes: 2 << 10})
	f := openFile(t, st, "n.parquet")
	nonNull := func(col int, pass func(v any) bool) int {
		n := 0
		for _, r := range rows {
			if v := r.Values[col]; v != nil && pass(v) {
				n++
			}
		}
		return n
	}
	all := func(any) bool { return true }
	for _, c := range []struct {
		name       string
		fl         Filter
		want, read int
	}{
		{"conv IS NOT NULL", Filter{Column: 1}, nonNull(1, all), 3},
		{"conv >= 0", Filter{Column: 1, Min: int64(0)}, nonNull(1, all), 3},
		{"conv IN (0, 19)", Filter{Column: 1, Spans: []Span{Point(int64(0)), Point(int64(19))}}, 1000, 1},
		{"conv IN (0, 4)", Filter{Column: 1, Spans: []Span{Point(int64(0)), Point(int64(4))}}, 0, 0},
		{"conv BETWEEN 0 AND 100", Filter{Column: 1, Min: int64(0), Max: int64(100)}, nonNull(1, all), 3},
		{"sender >= ''", Filter{Column: 2, Min: ""}, nonNull(2, all), 3},
		{"sender IN ('s00000', 's00002')", Filter{Column: 2, Spans: []Span{Point("s00000"), Point("s00002")}}, 1000, 1},
		{"created_at < +1y", Filter{Column: 4, Max: base.AddDate(1, 0, 0), MaxExclusive: true}, nonNull(4, all), 3},
	} {
		for _, rev := range []bool{false, true} {
			got, d := readFiltered(t, f, Range{Reverse: rev, Filters: []Filter{c.fl}})
			if len(got) != c.want {
				t.Errorf("%s, reverse %v: %d rows, want %d", c.name, rev, len(got), c.want)
			}
			if d.RowGroupsRead != int64(c.read) || d.RowGroupsPruned != 5-int64(c.read) {
				t.Errorf("%s, reverse %v: read %d row groups, pruned %d, want %d read", c.name, rev, d.RowGroupsRead, d.RowGroupsPruned, c.read)
			}
		}
	}
	// Reads that pass NULL are not filtered, and read every row group.
	got, d := readFiltered(t, f, Range{})
	if len(got) != len(rows) || d.RowGroupsRead != 5 {
		t.Fatalf("unfiltered: %d rows, %+v", len(got), d)
	}
	// KeepFiltered prunes nothing: the NULL rows come back, marked.
	got, d = readFiltered(t, f, Range{KeepFiltered: true, Filters: []Filter{{Column: 1, Min: int64(0)}}})
	if len(got) != len(rows) || d.RowGroupsPruned != 0 {
		t.Fatalf("kept: %d rows, %+v", len(got), d)
	}
}
