package cold

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// sortedChat writes n chat rows whose conversation id (conv = i / 1000)
// and sender ("s" and i / 1000 in five digits) grow with the key, in row
// groups of 4,000 rows, so that both columns' statistics can prune.
func sortedChat(t *testing.T, st Storage, p string, n int) []Row {
	t.Helper()
	rows := chatRows(t, n)
	for i := range rows {
		rows[i].Values[1] = int64(i / 1000)
		rows[i].Values[2] = fmt.Sprintf("s%05d", i/1000)
	}
	writeRows(t, st, p, chatSchema(), rows, WriteOptions{RowGroupRows: 4000, PageBytes: 2 << 10})
	return rows
}

// readFiltered scans f with rng, wanting columns id, conversation_id and
// sender, and returns the rows with the read's counters.
func readFiltered(t *testing.T, f *File, rng Range) ([]Row, Stats) {
	t.Helper()
	before := f.Stats()
	var got []Row
	if err := f.ScanRows(context.Background(), chatSchema(), []int{0, 1, 2}, rng, func(r Row) error {
		got = append(got, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return got, statsDelta(before, f.Stats())
}

// An IN list (or an OR) prunes by each of its values, not by the range
// from its first to its last: conversations 1 and 17 are in the first
// and last of five row groups, and the three between are not read, as
// they are by the hull [1, 17].
func TestFilterSpansPruneEachSpan(t *testing.T) {
	st := newFS(t)
	const n = 20000
	rows := sortedChat(t, st, "s.parquet", n)
	f := openFile(t, st, "s.parquet")

	hull, dh := readFiltered(t, f, Range{Filters: []Filter{{Column: 1, Min: int64(1), Max: int64(17)}}})
	if len(hull) != 17000 || dh.RowGroupsRead != 5 {
		t.Fatalf("hull [1, 17]: %d rows, %+v", len(hull), dh)
	}
	in := []Span{Point(int64(17)), Point(int64(1))} // any order
	for _, rev := range []bool{false, true} {
		got, d := readFiltered(t, f, Range{Reverse: rev, Filters: []Filter{{Column: 1, Min: int64(1), Max: int64(17), Spans: in}}})
		if len(got) != 2000 || d.RowGroupsRead != 2 || d.RowGroupsPruned != 3 || d.PagesFiltered == 0 {
			t.Fatalf("conv IN (1, 17), reverse %v: %d rows, %+v", rev, len(got), d)
		}
		first, last := got[0], got[len(got)-1]
		if rev {
			first, last = last, first
		}
		if !bytes.Equal(first.Key, rows[1000].Key) || !bytes.Equal(last.Key, rows[17999].Key) {
			t.Fatalf("conv IN (1, 17), reverse %v: rows %x .. %x", rev, first.Key, last.Key)
		}
		// Only the pages holding the two conversations are decoded.
		if d.RowsDecoded != 2000 {
			t.Fatalf("conv IN (1, 17): %d rows decoded", d.RowsDecoded)
		}
	}
	// Text: sender IN ('s00001', 's00017'), and a union of ranges.
	got, d := readFiltered(t, f, Range{Filters: []Filter{{Column: 2, Spans: []Span{Point("s00017"), Point("s00001")}}}})
	if len(got) != 2000 || d.RowGroupsRead != 2 || d.RowGroupsPruned != 3 {
		t.Fatalf("sender IN: %d rows, %+v", len(got), d)
	}
	got, d = readFiltered(t, f, Range{Filters: []Filter{{Column: 2, Spans: []Span{
		{Max: "s00001", MaxExclusive: true},                     // conversation 0
		{Min: "s00018", MinExclusive: true, Max: "s00019"},      // 19
		{Min: "s00018", Max: "s00018", MaxExclusive: true},      // nothing
		{Min: "s000185", Max: "s00019", MaxExclusive: true},     // nothing more
		{Min: "s00019", MinExclusive: true, Max: "s00020x"},     // nothing more
		{Min: "s00018", MinExclusive: true, MaxExclusive: true}, // from 19 on: 19
	}}}})
	if len(got) != 2000 || got[0].Values[1] != int64(0) || got[1999].Values[1] != int64(19) || d.RowGroupsRead != 2 {
		t.Fatalf("sender in ranges: %d rows, %+v", len(got), d)
	}
	// No span meets the file: no row group is read, and the read counts
	// as a file pruned.
	got, d = readFiltered(t, f, Range{Filters: []Filter{{Column: 1, Min: int64(-5), Max: int64(1_000_000),
		Spans: []Span{Point(int64(-5)), Point(int64(1_000_000))}}}})
	if len(got) != 0 || d.RowGroupsRead != 0 || d.PagesDecoded != 0 || d.ScansPruned != 1 {
		t.Fatalf("conv IN (-5, 1000000): %d rows, %+v", len(got), d)
	}
	// An empty union passes nothing.
	if got, d = readFiltered(t, f, Range{Filters: []Filter{{Column: 2, Spans: []Span{}}}}); len(got) != 0 || d.RowGroupsRead != 0 {
		t.Fatalf("empty union: %d rows, %+v", len(got), d)
	}
	// Spans are clipped by Min and Max.
	if got, _ = readFiltered(t, f, Range{Filters: []Filter{{Column: 1, Min: int64(3), Spans: []Span{Point(int64(1)), Point(int64(3))}}}}); len(got) != 1000 {
		t.Fatalf("conv >= 3 AND conv IN (1, 3): %d rows", len(got))
	}
	// KeepFiltered: nothing is skipped by statistics, failing rows come
	// back marked.
	got, d = readFiltered(t, f, Range{KeepFiltered: true, Filters: []Filter{{Column: 1, Spans: []Span{Point(int64(1)), Point(int64(17))}}}})
	if len(got) != n || d.PagesFiltered != 0 || d.RowGroupsPruned != 0 {
		t.Fatalf("kept: %d rows, %+v", len(got), d)
	}
	kept := 0
	for _, r := range got {
		if !r.Filtered {
			kept++
		}
	}
	if kept != 2000 {
		t.Fatalf("kept: %d rows pass", kept)
	}
	// A bound of the wrong type in a span is an error.
	if err := f.ScanRows(context.Background(), chatSchema(), nil, Range{Filters: []Filter{{Column: 2, Spans: []Span{Point(int64(1))}}}},
		func(Row) error { return nil }); err == nil || !strings.Contains(err.Error(), "unusable filter") {
		t.Fatalf("integer span of a TEXT column: %v", err)
	}
}

// textKeyChat writes n rows of a table whose primary key is TEXT ("k"
// and an even number, zero-padded), so that its column has a bloom filter
// per row group, and its statistics cover the odd numbers between.
func textKeyChat(t *testing.T, st Storage, p string, n int) *systable.TableSchema {
	t.Helper()
	sch := &systable.TableSchema{TableID: "app:named", Version: 1, Columns: []systable.ColumnSchema{
		pkCol(1, "name", dialect.TypeText), col(2, "v", dialect.TypeBigInt)}}
	rows := make([]Row, n)
	for i := range rows {
		name := fmt.Sprintf("k%06d", 2*i)
		k, err := row.AppendKey(nil, sch.Columns[0].Type, name)
		if err != nil {
			t.Fatal(err)
		}
		rows[i] = Row{Key: k, Seq: int64(i + 1), Values: []any{name, int64(i)}}
	}
	// A low false-positive rate: the test probes 25 times for absent
	// names, and expects every probe to say so.
	writeRows(t, st, p, sch, rows, WriteOptions{RowGroupRows: 1000, BloomFPP: 0.0001})
	return sch
}

// Equality and IN lists on a column with a bloom filter (the primary
// key's) skip the row groups whose bloom filter holds none of the values,
// where the statistics cannot tell.
func TestFilterPointsProbeBloomFilters(t *testing.T) {
	st := newFS(t)
	sch := textKeyChat(t, st, "k.parquet", 5000)
	f := openFile(t, st, "k.parquet")
	ctx := context.Background()
	read := func(fl Filter) (int, Stats) {
		t.Helper()
		before := f.Stats()
		n := 0
		if err := f.ScanRows(ctx, sch, []int{1}, Range{Filters: []Filter{fl}}, func(Row) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		return n, statsDelta(before, f.Stats())
	}
	// Absent names, one inside each row group's range.
	var absent []Span
	for g := range 5 {
		absent = append(absent, Point(fmt.Sprintf("k%06d", 2*(1000*g+500)+1)))
	}
	n, d := read(Filter{Column: 0, Spans: absent})
	if n != 0 || d.RowGroupsRead != 0 || d.BloomChecks != 5 || d.BloomNegatives != 5 || d.PagesDecoded != 0 {
		t.Fatalf("absent names: %d rows, %+v", n, d)
	}
	n, d = read(Filter{Column: 0, Min: "k000001", Max: "k000001"})
	if n != 0 || d.RowGroupsRead != 0 || d.BloomNegatives != 1 || d.RowGroupsPruned != 5 {
		t.Fatalf("name = k000001: %d rows, %+v", n, d)
	}
	// A present one is read from its row group only.
	n, d = read(Filter{Column: 0, Spans: append(absent, Point("k004000"))})
	if n != 1 || d.RowGroupsRead != 1 {
		t.Fatalf("present name: %d rows, %+v", n, d)
	}
	// A range is not probed.
	if _, d = read(Filter{Column: 0, Min: "k000001", Max: "k000002"}); d.BloomChecks != 0 {
		t.Fatalf("a range probed bloom filters: %+v", d)
	}
}

// Over random files (NULLs, row groups of NULLs, duplicates, texts that share prefixes,
// multi-byte characters, values long enough to have no statistics, a
// tombstone or two) and random filters of spans on integer and text
// columns, a read returns exactly the rows a scan of every row picks by
// hand, in both directions and with KeepFiltered.
func TestRandomSpanFiltersMatchBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 7))
	sch := &systable.TableSchema{TableID: "app:r", Version: 1, Columns: []systable.ColumnSchema{
		pkCol(1, "id", dialect.TypeBigInt), col(2, "n", dialect.TypeInt), col(3, "tag", dialect.TypeText)}}
	words := []string{"", "a", "a ", "ab", "abc", "b", "é", "éa", "日本", "日本語", "z", "zz\x7f", "😀", strings.Repeat("x", 5000)}
	randText := func() any {
		if rng.IntN(8) == 0 {
			return nil
		}
		return words[rng.IntN(len(words))] + []string{"", "", "a", "é", " ", "\x00"}[rng.IntN(6)]
	}
	randInt := func() any {
		if rng.IntN(8) == 0 {
			return nil
		}
		return int32(rng.IntN(60) - 10)
	}
	for round := range 8 {
		st := newFS(t)
		n := 200 + rng.IntN(2000)
		rows := make([]Row, 0, n)
		id := int64(0)
		for range n {
			id += int64(1 + rng.IntN(3))
			r := Row{Key: bigintKey(t, id), Seq: id, Values: []any{id, randInt(), randText()}}
			if round%2 == 0 {
				// Sorted-ish columns, so that statistics prune.
				if r.Values[1] != nil {
					r.Values[1] = int32(int(id) * 50 / (3 * n))
				}
			}
			if round%4 == 1 && len(rows)/600%2 == 1 {
				// Runs of NULLs: row groups with no value, only a null
				// count.
				r.Values[1], r.Values[2] = nil, nil
			}
			if rng.IntN(20) == 0 {
				r.Deleted, r.Values = true, []any{nil, nil, nil}
			}
			rows = append(rows, r)
		}
		p := fmt.Sprintf("r%d.parquet", round)
		writeRows(t, st, p, sch, rows, WriteOptions{RowGroupRows: 100 + rng.IntN(400), PageBytes: 512})
		f := openFile(t, st, p)
		for q := range 30 {
			var fl Filter
			var pass func(v any) bool
			if q%2 == 0 {
				fl, pass = randIntFilter(rng)
				fl.Column = 1
			} else {
				fl, pass = randTextFilter(rng, words)
				fl.Column = 2
			}
			for _, keep := range []bool{false, true} {
				for _, rev := range []bool{false, true} {
					name := fmt.Sprintf("round %d query %d %+v keep %v reverse %v", round, q, fl, keep, rev)
					var got []Row
					if err := f.ScanRows(context.Background(), sch, nil, Range{Reverse: rev, KeepFiltered: keep, Filters: []Filter{fl}}, func(r Row) error {
						got = append(got, r)
						return nil
					}); err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					var want []Row
					for _, r := range rows {
						ok := !r.Deleted && pass(r.Values[fl.Column])
						if ok || keep {
							want = append(want, r)
						}
					}
					if rev {
						slices.Reverse(want)
					}
					if len(got) != len(want) {
						t.Fatalf("%s: %d rows, want %d", name, len(got), len(want))
					}
					for i := range got {
						passes := !want[i].Deleted && pass(want[i].Values[fl.Column])
						if !bytes.Equal(got[i].Key, want[i].Key) || got[i].Filtered != !passes {
							t.Fatalf("%s: row %d: %x filtered %v, want %x filtered %v", name, i, got[i].Key, got[i].Filtered, want[i].Key, !passes)
						}
					}
				}
			}
		}
	}
}

// randIntFilter is a random filter on an INT column: a range, an IN
// list, or a union of ranges with strict and open bounds, and the
// predicate it stands for.
func randIntFilter(rng *rand.Rand) (Filter, func(any) bool) {
	return randFilter(rng, func() any { return int64(rng.IntN(70) - 15) }, func(x any, b any) int {
		return cmp.Compare(int64(x.(int32)), b.(int64))
	})
}

// randTextFilter is randIntFilter for a TEXT column, bounds drawn from
// words and their prefixes (compared as bytes).
func randTextFilter(rng *rand.Rand, words []string) (Filter, func(any) bool) {
	return randFilter(rng, func() any {
		w := words[rng.IntN(len(words))]
		return w[:rng.IntN(len(w)+1)]
	}, func(x any, b any) int { return strings.Compare(x.(string), b.(string)) })
}

// randFilter is a random filter of bounds drawn by v, and the predicate
// it stands for, comparing a stored value with a bound by compare.
func randFilter(rng *rand.Rand, v func() any, compare func(x, bound any) int) (Filter, func(any) bool) {
	span := func() Span {
		s := Span{}
		if rng.IntN(6) != 0 {
			s.Min, s.MinExclusive = v(), rng.IntN(2) == 0
		}
		if rng.IntN(6) != 0 {
			s.Max, s.MaxExclusive = v(), rng.IntN(2) == 0
		}
		if rng.IntN(2) == 0 {
			s = Point(v())
		}
		return s
	}
	var fl Filter
	if rng.IntN(4) == 0 {
		s := span()
		fl = Filter{Min: s.Min, Max: s.Max, MinExclusive: s.MinExclusive, MaxExclusive: s.MaxExclusive}
	}
	if rng.IntN(5) != 0 {
		fl.Spans = []Span{}
		for range rng.IntN(8) {
			fl.Spans = append(fl.Spans, span())
		}
	}
	return fl, filterPass(fl, compare)
}

// filterPass is the predicate filter fl stands for, comparing a stored
// value with a bound by compare.
func filterPass(fl Filter, compare func(x, bound any) int) func(any) bool {
	in := func(s Span, x any) bool {
		if s.Min != nil {
			if c := compare(x, s.Min); c < 0 || (c == 0 && s.MinExclusive) {
				return false
			}
		}
		if s.Max != nil {
			if c := compare(x, s.Max); c > 0 || (c == 0 && s.MaxExclusive) {
				return false
			}
		}
		return true
	}
	return func(x any) bool {
		if x == nil || !in(Span{fl.Min, fl.Max, fl.MinExclusive, fl.MaxExclusive}, x) {
			return false
		}
		return fl.Spans == nil || slices.ContainsFunc(fl.Spans, func(s Span) bool { return in(s, x) })
	}
}
