package cold

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/file"
)

// TestPageSizeRule pins the page size rule that WriteOptions.PageBytes
// and the package documentation state: a page ends at the first multiple
// of writeBatchValues values whose size reaches PageBytes, so a BIGINT
// column has 1,024 values a page (8 KiB) and a column of texts longer
// than PageBytes/256 bytes has 256 (chat content: ~57 KB a page, not
// 8 KiB).
func TestPageSizeRule(t *testing.T) {
	st := newFS(t)
	rows := workloadRowsOf(t, 3000)
	writeRows(t, st, "w.parquet", workloadSchema(), rows, WriteOptions{})
	fh, err := os.Open(filepath.Join(st.Base(), "w.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		t.Fatal(err)
	}
	rdr, err := file.NewParquetReader(io.NewSectionReader(fh, 0, fi.Size()))
	if err != nil {
		t.Fatal(err)
	}
	md := rdr.MetaData()
	rgi, err := rdr.GetPageIndexReader().RowGroup(0)
	if err != nil {
		t.Fatal(err)
	}
	n := md.RowGroup(0).NumRows()
	want := map[string]int64{"id": 1024, "created_at": 1024, "content": 256}
	for c := range md.Schema.NumColumns() {
		name := md.Schema.Column(c).Name()
		oi, err := rgi.GetOffsetIndex(c)
		if err != nil || oi == nil {
			t.Fatalf("%s: offset index %v, %v", name, oi, err)
		}
		locs := oi.GetPageLocations()
		for p := 0; p+1 < len(locs); p++ { // the last page ends with the rows
			k := locs[p+1].FirstRowIndex - locs[p].FirstRowIndex
			if k%writeBatchValues != 0 {
				t.Errorf("%s: page %d holds %d values, not a multiple of %d", name, p, k, writeBatchValues)
			}
			if w, ok := want[name]; ok && k != w {
				t.Errorf("%s: page %d holds %d values, want %d", name, p, k, w)
			}
		}
		if w, ok := want[name]; ok && int64(len(locs)) != (n+w-1)/w {
			t.Errorf("%s: %d pages for %d rows, want %d", name, len(locs), n, (n+w-1)/w)
		}
	}
}
