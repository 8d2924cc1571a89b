package cold

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
)

// writeChat writes n chat rows (ids 0, 2, 4, ...) with small row groups
// and returns the open file.
func writeChat(t testing.TB, n, rowGroupRows int) (*File, FileInfo) {
	t.Helper()
	st := newFS(t)
	info, err := WriteFile(context.Background(), st, "app/messages/u1/batch-1.parquet", chatSchema(), chatSource(t, n),
		WriteOptions{RowGroupRows: rowGroupRows, BatchRows: 700, ExpectedRows: int64(n)})
	if err != nil {
		t.Fatal(err)
	}
	return openFile(t, st, "app/messages/u1/batch-1.parquet"), info
}

func statsDelta(a, b Stats) Stats {
	return Stats{
		RowGroupsRead: b.RowGroupsRead - a.RowGroupsRead, RowGroupsPruned: b.RowGroupsPruned - a.RowGroupsPruned,
		BloomChecks: b.BloomChecks - a.BloomChecks, BloomNegatives: b.BloomNegatives - a.BloomNegatives,
		PagesPruned: b.PagesPruned - a.PagesPruned, PagesFiltered: b.PagesFiltered - a.PagesFiltered,
		PagesDecoded: b.PagesDecoded - a.PagesDecoded, PagesCached: b.PagesCached - a.PagesCached,
		RowsDecoded: b.RowsDecoded - a.RowsDecoded, ScansPruned: b.ScansPruned - a.ScansPruned,
		BytesRead: b.BytesRead - a.BytesRead, ReadCalls: b.ReadCalls - a.ReadCalls,
	}
}

func TestScanRangeSkipsRowGroups(t *testing.T) {
	const n, rg = 10000, 1000
	f, info := writeChat(t, n, rg)
	if info.RowGroups != n/rg {
		t.Fatalf("%d row groups, want %d", info.RowGroups, n/rg)
	}
	sch := chatSchema()

	// The whole file, in key order, with the values the source produced.
	all := scanAll(t, f, sch, nil)
	src := chatSource(t, n)
	for i := range n {
		want, _, _ := src.Next()
		want.Key = bytes.Clone(want.Key)
		rowEqual(t, fmt.Sprintf("row %d", i), all[i], want)
	}

	cases := []struct {
		lo, hi       int64 // ids; -1 = open
		first, count int   // expected rows (index into all)
		groups       int64 // row groups read
	}{
		{2 * 2500, 2 * 4200, 2500, 1700, 3},     // rows 2500..4199: groups 2, 3, 4
		{2 * 2500, 2*2500 + 1, 2500, 1, 1},      // one key
		{2*2500 + 1, 2*2500 + 2, 0, 0, 1},       // between two keys
		{-1, 2 * 1000, 0, 1000, 1},              // open start, ends at a group boundary
		{2 * 9999, -1, 9999, 1, 1},              // last key, open end
		{2 * n, -1, 0, 0, 0},                    // past the end
		{-1, 0, 0, 0, 0},                        // before the start
		{2 * 3000, 2 * 3000, 0, 0, 0},           // empty range
		{-1, -1, 0, n, n / rg},                  // everything
		{2*999 + 1, 2*1000 + 1, 1000, 1, 1},     // lo inside the gap before group 1
		{2*1999 + 1, 2*3000 + 1, 2000, 1001, 2}, // groups 2 and 3 (3000 is in group 3)
	}
	for _, c := range cases {
		var lo, hi []byte
		if c.lo >= 0 {
			lo = bigintKey(t, c.lo)
		}
		if c.hi >= 0 {
			hi = bigintKey(t, c.hi)
		}
		before := f.Stats()
		var got []Row
		// Two of six columns: sender and is_read.
		err := f.ScanRange(context.Background(), sch, []int{5, 2}, lo, hi, func(r Row) error {
			got = append(got, r)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		d := statsDelta(before, f.Stats())
		name := fmt.Sprintf("[%d, %d)", c.lo, c.hi)
		if len(got) != c.count {
			t.Fatalf("%s: %d rows, want %d", name, len(got), c.count)
		}
		for i, r := range got {
			w := all[c.first+i]
			rowEqual(t, name, r, Row{Key: w.Key, Seq: w.Seq, Values: []any{w.Values[5], w.Values[2]}})
		}
		if d.RowGroupsRead != c.groups || (c.lo != 2*3000 && d.RowGroupsRead+d.RowGroupsPruned != int64(info.RowGroups)) {
			t.Fatalf("%s: read %d row groups and pruned %d, want %d read of %d", name, d.RowGroupsRead, d.RowGroupsPruned, c.groups, info.RowGroups)
		}
	}

	// A scan stops when fn returns an error, and returns it as is.
	stop := fmt.Errorf("stop")
	seen := 0
	err := f.Scan(context.Background(), sch, nil, func(Row) error {
		seen++
		if seen == 10 {
			return stop
		}
		return nil
	})
	if err != stop || seen != 10 {
		t.Fatalf("err = %v after %d rows", err, seen)
	}

	// A cancelled context stops a scan.
	ctx, cancel := context.WithCancel(context.Background())
	seen = 0
	err = f.Scan(ctx, sch, nil, func(Row) error {
		seen++
		cancel()
		return nil
	})
	if err != context.Canceled || seen >= n {
		t.Fatalf("cancelled scan: err = %v after %d rows", err, seen)
	}
}

func TestLookupReadsAtMostOneRowGroup(t *testing.T) {
	const n, rg = 20000, 2000
	f, info := writeChat(t, n, rg)
	sch := chatSchema()
	all := scanAll(t, f, sch, nil)
	ctx := context.Background()

	// Present keys: found with the right values, one row group read, and
	// a small part of the file.
	for i := 0; i < n; i += 997 {
		before := f.Stats()
		r, found, err := f.Lookup(ctx, sch, nil, all[i].Key)
		if err != nil || !found {
			t.Fatalf("lookup row %d: found %v, %v", i, found, err)
		}
		d := statsDelta(before, f.Stats())
		rowEqual(t, fmt.Sprintf("lookup row %d", i), r, all[i])
		if d.RowGroupsRead != 1 || d.BloomChecks != 1 || d.BloomNegatives != 0 || d.RowsDecoded != 1 {
			t.Fatalf("lookup row %d: %+v", i, d)
		}
		// The row groups before the key's are pruned by their key range;
		// the search stops at the key's.
		if d.RowGroupsPruned != int64(i/rg) {
			t.Fatalf("lookup row %d pruned %d row groups, want %d", i, d.RowGroupsPruned, i/rg)
		}
		// Bloom filters and page indexes are cached after the first use
		// of a row group; what is left is a page per column.
		if d.BytesRead > info.Bytes/10 {
			t.Fatalf("lookup row %d read %d bytes of a %d-byte file", i, d.BytesRead, info.Bytes)
		}
	}
	// The second lookup in a row group reads only data pages.
	f.Lookup(ctx, sch, nil, all[4000].Key)
	before := f.Stats()
	if _, found, err := f.Lookup(ctx, sch, []int{3}, all[4001].Key); err != nil || !found {
		t.Fatal(found, err)
	}
	d := statsDelta(before, f.Stats())
	// _key, _seq, _deleted and content: a page each (arrow-go fetches at
	// least 16 KiB per page read).
	if d.BytesRead > 4*2*16<<10 || d.BytesRead > info.Bytes/8 {
		t.Fatalf("warm lookup of one column read %d bytes (%d calls)", d.BytesRead, d.ReadCalls)
	}
	t.Logf("warm lookup: %d bytes in %d reads; file %d bytes", d.BytesRead, d.ReadCalls, info.Bytes)

	// Absent keys inside the file's range (odd ids): the bloom filter or
	// the page index answers without reading data, except for the odd
	// false positive of a 1% filter.
	before = f.Stats()
	const probes = 2000
	for i := range probes {
		id := int64(2*(i*9)%(2*n-2) + 1)
		if _, found, err := f.Lookup(ctx, sch, nil, bigintKey(t, id)); err != nil || found {
			t.Fatalf("absent id %d: found %v, %v", id, found, err)
		}
	}
	d = statsDelta(before, f.Stats())
	// A key in the gap between two row groups' ranges is pruned by
	// statistics without a bloom check.
	if d.BloomChecks < probes*99/100 || d.BloomNegatives < d.BloomChecks*95/100 || d.RowGroupsRead != d.BloomChecks-d.BloomNegatives {
		t.Fatalf("absent keys: %+v", d)
	}
	if d.RowsDecoded != 0 {
		t.Fatalf("absent keys decoded rows: %+v", d)
	}
	t.Logf("%d absent keys: %d bloom negatives, %d false positives (%d answered by the page index)",
		probes, d.BloomNegatives, d.RowGroupsRead, d.PagesPruned)

	// Keys outside the file's range: pruned by statistics alone.
	before = f.Stats()
	for _, k := range [][]byte{bigintKey(t, -5), bigintKey(t, 2*n+2), {0x00}, {0xff, 0xff}} {
		if _, found, err := f.Lookup(ctx, sch, nil, k); err != nil || found {
			t.Fatalf("key %x: found %v, %v", k, found, err)
		}
	}
	d = statsDelta(before, f.Stats())
	if d.BloomChecks != 0 || d.RowGroupsRead != 0 || d.BytesRead != 0 {
		t.Fatalf("out-of-range keys: %+v", d)
	}
	if _, found, err := f.Lookup(ctx, sch, nil, nil); err != nil || found {
		t.Fatalf("empty key: %v %v", found, err)
	}
}

func TestConcurrentReads(t *testing.T) {
	const n = 6000
	f, _ := writeChat(t, n, 1000)
	sch := chatSchema()
	all := scanAll(t, f, sch, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := g; i < n; i += 131 {
				r, found, err := f.Lookup(context.Background(), sch, []int{0, 3}, all[i].Key)
				if err != nil || !found || r.Values[0] != all[i].Values[0] || r.Values[1] != all[i].Values[3] {
					errs <- fmt.Errorf("lookup %d: %v %v %v", i, found, err, r.Values)
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			cnt := 0
			err := f.ScanRange(context.Background(), sch, []int{1}, all[g*1000].Key, all[g*1000+1500].Key, func(r Row) error {
				cnt++
				return nil
			})
			if err != nil || cnt != 1500 {
				errs <- fmt.Errorf("scan %d: %d rows, %v", g, cnt, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// Keys longer than the 4 KiB statistics limit leave row groups without
// _key statistics or page index: nothing can be pruned by range, but
// scans and lookups must still be right.
func TestLongKeysWithoutStatistics(t *testing.T) {
	st := newFS(t)
	sch := &systable.TableSchema{TableID: "ns:long", Version: 1, Columns: []systable.ColumnSchema{
		pkCol(1, "k", dialect.TypeText), col(2, "v", dialect.TypeInt)}}
	var rows []Row
	for i := range 40 {
		k := fmt.Sprintf("%03d", i) + strings.Repeat("x", 5000)
		key, err := row.AppendKey(nil, dialect.DataType{Name: dialect.TypeText}, k)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, Row{Key: key, Seq: int64(i), Values: []any{k, int32(i)}})
	}
	writeRows(t, st, "long.parquet", sch, rows, WriteOptions{RowGroupRows: 10})
	f := openFile(t, st, "long.parquet")
	rowsEqual(t, scanAll(t, f, sch, nil), rows)

	before := f.Stats()
	var got []Row
	if err := f.ScanRange(context.Background(), sch, nil, rows[15].Key, rows[25].Key, func(r Row) error {
		got = append(got, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	rowsEqual(t, got, rows[15:25])
	// Groups 0-3 cannot be ruled out by statistics; group 0 is dropped
	// after its keys were read and none reached lo, 1 and 2 are scanned,
	// and 3 is not touched: the range ended inside 2, and files are
	// sorted.
	if d := statsDelta(before, f.Stats()); d.RowGroupsRead != 2 || d.RowGroupsPruned != 1 {
		t.Fatalf("range scan without statistics: %+v", d)
	}
	for _, i := range []int{0, 9, 10, 27, 39} {
		r, found, err := f.Lookup(context.Background(), sch, nil, rows[i].Key)
		if err != nil || !found {
			t.Fatalf("lookup %d: %v %v", i, found, err)
		}
		rowEqual(t, "lookup", r, rows[i])
	}
	absent, _ := row.AppendKey(nil, dialect.DataType{Name: dialect.TypeText}, "zzz")
	if _, found, err := f.Lookup(context.Background(), sch, nil, absent); err != nil || found {
		t.Fatalf("absent: %v %v", found, err)
	}
}

// A key between two pages of a row group is answered by the _key page
// index without reading a data page (here forced past the bloom filter by
// calling the row group search directly).
func TestPageIndexAnswersGaps(t *testing.T) {
	st := newFS(t)
	sch := chatSchema()
	if _, err := WriteFile(context.Background(), st, "p.parquet", sch, chatSource(t, 50000),
		WriteOptions{PageBytes: 4 << 10}); err != nil {
		t.Fatal(err)
	}
	f := openFile(t, st, "p.parquet")
	sc := newScope(context.Background(), f)
	cp, err := f.chunkPages(&sc, 0, keyLeaf)
	if err != nil || len(cp.first) < 3 {
		t.Fatalf("key pages: %v, %v", cp, err)
	}
	kp, err := f.pageStats(&sc, 0, keyLeaf)
	if err != nil || len(kp.max) != len(cp.first) {
		t.Fatalf("key page statistics: %v, %v", kp, err)
	}
	pl, err := f.plan(sch, nil)
	if err != nil {
		t.Fatal(err)
	}
	lastOfPage1, _, err := keyenc.DecodeInt64(kp.max[1])
	if err != nil {
		t.Fatal(err)
	}
	before := f.Stats()
	if _, found, err := f.lookupInRowGroup(&sc, pl, 0, bigintKey(t, lastOfPage1+1), nil); err != nil || found {
		t.Fatalf("gap key: %v %v", found, err)
	}
	if d := statsDelta(before, f.Stats()); d.PagesPruned != 1 || d.BytesRead != 0 {
		t.Fatalf("gap key: %+v", d)
	}
	// Keys at page boundaries are found.
	for p := range cp.first {
		for _, k := range [][]byte{kp.min[p], kp.max[p]} {
			r, found, err := f.lookupInRowGroup(&sc, pl, 0, k, nil)
			if err != nil || !found || !bytes.Equal(r.Key, k) {
				t.Fatalf("page %d key %x: %v %v", p, k, found, err)
			}
		}
	}
}

// Random ranges read exactly the rows a full scan filters to, whatever
// row group and page boundaries they cross.
func TestRandomRangesMatchFullScan(t *testing.T) {
	st := newFS(t)
	sch := chatSchema()
	const n = 7000
	src := chatSource(t, n)
	var rows []Row
	for i := 0; ; i++ {
		r, ok, _ := src.Next()
		if !ok {
			break
		}
		r.Key = bytes.Clone(r.Key)
		r.Values = append([]any(nil), r.Values...)
		if i%7 == 3 {
			r.Values[2], r.Values[3] = nil, nil // NULLs in dictionary and plain text columns
		}
		if i%11 == 5 {
			r.Deleted, r.Values = true, nil
		}
		rows = append(rows, r)
	}
	writeRows(t, st, "r.parquet", sch, rows, WriteOptions{RowGroupRows: 1500, PageBytes: 2 << 10, BatchRows: 333})
	f := openFile(t, st, "r.parquet")
	want := func(lo, hi []byte) []Row {
		var out []Row
		for _, r := range rows {
			if (lo == nil || bytes.Compare(r.Key, lo) >= 0) && (hi == nil || bytes.Compare(r.Key, hi) < 0) {
				w := r
				if w.Values == nil {
					w.Values = make([]any, 6)
				}
				w.Values = []any{w.Values[3], w.Values[0]}
				out = append(out, w)
			}
		}
		return out
	}
	x := uint64(42)
	rnd := func(m int) int {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		return int(x % uint64(m))
	}
	for iter := range 150 {
		var lo, hi []byte
		a, b := rnd(2*n+10)-5, rnd(2*n+10)-5
		if a > b {
			a, b = b, a
		}
		if iter%5 != 0 {
			lo = bigintKey(t, int64(a))
		}
		if iter%7 != 0 {
			hi = bigintKey(t, int64(b+rnd(40)))
		}
		var got []Row
		if err := f.ScanRange(context.Background(), sch, []int{3, 0}, lo, hi, func(r Row) error {
			got = append(got, r)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		w := want(lo, hi)
		if len(got) != len(w) {
			t.Fatalf("range %d [%x, %x): %d rows, want %d", iter, lo, hi, len(got), len(w))
		}
		for i := range w {
			rowEqual(t, fmt.Sprintf("range %d row %d", iter, i), got[i], w[i])
		}
		// And a lookup of a random present key.
		k := rows[rnd(len(rows))]
		r, found, err := f.Lookup(context.Background(), sch, []int{3, 0}, k.Key)
		if err != nil || !found {
			t.Fatalf("lookup %x: %v %v", k.Key, found, err)
		}
		rowEqual(t, "lookup", r, want(k.Key, append(bytes.Clone(k.Key), 0))[0])
	}
}
