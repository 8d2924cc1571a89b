package cold

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// A reverse read stopped after 50 rows decodes the pages those rows are
// in, not the range: ORDER BY pk DESC LIMIT 50 costs what it returns.
func TestReverseCursorStreams(t *testing.T) {
	const n = 20000
	f, _ := writeChat(t, n, 5000)
	sch := chatSchema()
	all := scanAll(t, f, sch, nil)
	for _, hi := range []int{n, 12345} { // open end, and ending inside a row group
		var rng Range
		rng.Reverse = true
		if hi < n {
			rng.Hi = all[hi].Key
		}
		before := f.Stats()
		c, err := f.Rows(context.Background(), sch, nil, rng)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 50 {
			r, ok, err := c.Next()
			if err != nil || !ok {
				t.Fatalf("row %d: %v %v", i, ok, err)
			}
			rowEqual(t, "reverse", r, all[hi-1-i])
		}
		c.Close()
		if _, ok, err := c.Next(); ok || err != nil {
			t.Fatalf("closed cursor: %v %v", ok, err)
		}
		d := statsDelta(before, f.Stats())
		// 9 columns read (3 system, 6 user); 50 rows of ~100-byte content
		// span at most two content pages, fewer of the others, plus at
		// most one _key page for the seek of hi.
		if d.RowsDecoded != 50 || d.PagesDecoded > 9*2+1 || d.RowGroupsRead != 1 {
			t.Fatalf("reverse LIMIT 50 below %d: %+v", hi, d)
		}
	}
	// A cancelled statement stops a cursor.
	ctx, cancel := context.WithCancel(context.Background())
	c, err := f.Rows(ctx, sch, nil, Range{Reverse: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, ok, err := c.Next(); !ok || err != nil {
		t.Fatal(ok, err)
	}
	cancel()
	var err2 error
	for i := 0; i < n && err2 == nil; i++ {
		_, _, err2 = c.Next()
	}
	if !errors.Is(err2, context.Canceled) {
		t.Fatalf("cancelled cursor: %v", err2)
	}
}

// chatByConv writes chat rows whose conversation id grows with the key
// (conv = i / 1000), so that its statistics can prune.
func chatByConv(t *testing.T, st Storage, p string, n int) []Row {
	t.Helper()
	rows := chatRows(t, n)
	for i := range rows {
		rows[i].Values[1] = int64(i / 1000)
	}
	writeRows(t, st, p, chatSchema(), rows, WriteOptions{RowGroupRows: 4000, PageBytes: 2 << 10})
	return rows
}

func TestFiltersPruneRowGroupsAndPages(t *testing.T) {
	st := newFS(t)
	const n = 20000
	rows := chatByConv(t, st, "c.parquet", n)
	f := openFile(t, st, "c.parquet")
	sch := chatSchema()
	ctx := context.Background()
	read := func(rng Range) ([]Row, Stats) {
		t.Helper()
		before := f.Stats()
		var got []Row
		if err := f.ScanRows(ctx, sch, []int{0, 1}, rng, func(r Row) error {
			got = append(got, r)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return got, statsDelta(before, f.Stats())
	}
	// conversation 7: rows 7000..7999, inside row group 1 (4000..7999).
	got, d := read(Range{Filters: []Filter{{Column: 1, Min: int64(7), Max: int64(7)}}})
	if len(got) != 1000 || got[0].Values[0] != rows[7000].Values[0] || got[999].Values[0] != rows[7999].Values[0] {
		t.Fatalf("conversation 7: %d rows", len(got))
	}
	if d.RowGroupsPruned != 4 || d.RowGroupsRead != 1 || d.PagesFiltered == 0 {
		t.Fatalf("conversation 7: %+v", d)
	}
	// The same, reversed and as batches, with a strict bound.
	got, _ = read(Range{Reverse: true, Filters: []Filter{{Column: 1, Min: int64(6), MinExclusive: true, Max: int64(7)}}})
	if len(got) != 1000 || got[0].Values[0] != rows[7999].Values[0] {
		t.Fatalf("reverse conversation 7: %d rows", len(got))
	}
	nb := 0
	if err := f.ScanBatches(ctx, sch, []int{1}, Range{Filters: []Filter{{Column: 1, Min: int64(7), Max: int64(7)}}}, func(b *Batch) error {
		ids := b.Cols[0].Int64s(b.Len)
		for j := 0; j < b.Len; j++ {
			if (b.Sel == nil || contains(b.Sel, j)) && ids[j] == 7 {
				nb++
			} else if b.Sel == nil || contains(b.Sel, j) {
				t.Fatalf("batch row %d of conversation %d selected", j, ids[j])
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if nb != 1000 {
		t.Fatalf("batches selected %d rows", nb)
	}
	// KeepFiltered: every row of the range comes back, the others marked,
	// so nothing is skipped by statistics.
	got, d = read(Range{Lo: rows[6990].Key, Hi: rows[7010].Key, KeepFiltered: true,
		Filters: []Filter{{Column: 1, Min: int64(7), Max: int64(7)}}})
	if len(got) != 20 || d.PagesFiltered != 0 {
		t.Fatalf("kept rows: %d, %+v", len(got), d)
	}
	for i, r := range got {
		if r.Filtered != (i < 10) || (r.Filtered && r.Values != nil) || !bytes.Equal(r.Key, rows[6990+i].Key) || r.Seq != rows[6990+i].Seq {
			t.Fatalf("kept row %d: %+v", i, r)
		}
	}
	// A filter nothing passes reads no data page.
	got, d = read(Range{Filters: []Filter{{Column: 1, Min: int64(100)}}})
	if len(got) != 0 || d.PagesDecoded != 0 || d.RowGroupsRead != 0 {
		t.Fatalf("conversation >= 100: %d rows, %+v", len(got), d)
	}
	// An empty bound pair.
	if got, _ = read(Range{Filters: []Filter{{Column: 1, Min: int64(5), Max: int64(5), MaxExclusive: true}}}); len(got) != 0 {
		t.Fatalf("empty interval: %d rows", len(got))
	}
	// Text bytewise, and IS NOT NULL.
	got, _ = read(Range{Hi: rows[100].Key, Filters: []Filter{{Column: 2, Min: "user_10", Max: "user_10"}, {Column: 3}}})
	want := 0
	for _, r := range rows[:100] {
		if r.Values[2] == "user_10" {
			want++
		}
	}
	if len(got) != want || want == 0 {
		t.Fatalf("sender = user_10: %d rows, want %d", len(got), want)
	}
}

func contains(sel []int32, j int) bool {
	for _, s := range sel {
		if int(s) == j {
			return true
		}
	}
	return false
}

func TestFilterErrorsAndOldFiles(t *testing.T) {
	st := newFS(t)
	ctx := context.Background()
	v1 := &systable.TableSchema{TableID: "app:f", Version: 1, Columns: []systable.ColumnSchema{
		pkCol(1, "id", dialect.TypeBigInt), col(2, "d", dialect.TypeDouble), col(3, "at", dialect.TypeTimestamp)}}
	var rows []Row
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 10 {
		rows = append(rows, Row{Key: bigintKey(t, int64(i)), Seq: int64(i), Values: []any{int64(i), float64(i), base.Add(time.Duration(i) * time.Microsecond)}})
	}
	writeRows(t, st, "f.parquet", v1, rows, WriteOptions{})
	f := openFile(t, st, "f.parquet")
	count := func(sch *systable.TableSchema, fl ...Filter) (int, error) {
		n := 0
		err := f.ScanRows(ctx, sch, nil, Range{Filters: fl}, func(Row) error { n++; return nil })
		return n, err
	}
	for _, fl := range []Filter{
		{Column: 1, Min: 1.0},                // DOUBLE: not supported
		{Column: 0, Min: "x"},                // wrong bound type
		{Column: 2, Max: int64(3)},           // a timestamp bound must be a time
		{Column: 9},                          // no such column
		{Column: 0, Min: 1.5, Max: int64(3)}, // float bound of an integer
	} {
		if _, err := count(v1, fl); !errors.Is(err, ErrFilter) {
			t.Errorf("filter %+v: %v, want ErrFilter", fl, err)
		}
	}
	if !FilterSupported(dialect.DataType{Name: dialect.TypeText}) || FilterSupported(dialect.DataType{Name: dialect.TypeDouble}) {
		t.Fatal("FilterSupported")
	}
	// Timestamps: a sub-microsecond bound keeps every row that passes.
	at3 := base.Add(3*time.Microsecond + 500*time.Nanosecond)
	if n, err := count(v1, Filter{Column: 2, Min: at3, MinExclusive: true}); err != nil || n < 6 {
		t.Fatalf("at > 3.5µs: %d rows, %v (rows 4..9 pass)", n, err)
	}
	if n, err := count(v1, Filter{Column: 2, Max: at3, MaxExclusive: true}); err != nil || n != 4 {
		t.Fatalf("at < 3.5µs: %d rows, %v", n, err)
	}
	// A column added after the file was written (NULL here, its DEFAULT
	// for the caller) is not filtered on: the read returns every row.
	v2 := &systable.TableSchema{TableID: "app:f", Version: 2, Columns: append(append([]systable.ColumnSchema(nil), v1.Columns...),
		col(4, "added", dialect.TypeInt))}
	if n, err := count(v2, Filter{Column: 3, Min: int32(1)}); err != nil || n != 10 {
		t.Fatalf("filter on a column the file predates: %d rows, %v", n, err)
	}
	// Nor is a re-typed column (here d, INT64 since).
	v3 := &systable.TableSchema{TableID: "app:f", Version: 3, Columns: []systable.ColumnSchema{
		pkCol(1, "id", dialect.TypeBigInt), col(2, "d", dialect.TypeBigInt)}}
	if n, err := count(v3, Filter{Column: 1, Min: int64(100)}); err != nil || n != 10 {
		t.Fatalf("filter on a re-typed column: %d rows, %v", n, err)
	}
}
