package cold

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
)

// TestAttackcold18ChecksumShapes: the tail's start is found from the
// footer's column chunk offsets (dataEnd) and must be where a write
// started; a file of any shape must get a checksum its own read accepts:
// one row, a last row group of one row, an all-NULL dictionary column
// last, a text column that falls back from its dictionary mid-chunk,
// a value of a megabyte, tombstones.
func TestAttackcold18ChecksumShapes(t *testing.T) {
	sch := &systable.TableSchema{TableID: "app:t", Version: 1, Columns: []systable.ColumnSchema{
		pkCol(1, "id", dialect.TypeBigInt),
		col(2, "body", dialect.TypeText),
		col(3, "tag", dialect.TypeText),
	}}
	big := strings.Repeat("x", 1<<20)
	for _, c := range []struct {
		name   string
		n, rg  int
		values func(i int) []any
	}{
		{"one row", 1, 100, func(int) []any { return []any{nil, nil} }},
		{"last row group of one", 201, 100, func(i int) []any { return []any{fmt.Sprint(i), "a"} }},
		{"all null last column", 300, 128, func(i int) []any { return []any{fmt.Sprint(i % 3), nil} }},
		{"dictionary fallback", 3000, 5000, func(i int) []any { return []any{strings.Repeat(fmt.Sprint(i), 40), "t"} }},
		{"a megabyte value last", 3, 100, func(i int) []any { return []any{"s", big} }},
		{"tombstones", 50, 100, func(i int) []any { return []any{nil, nil} }},
	} {
		t.Run(c.name, func(t *testing.T) {
			i := 0
			var r Row
			src := SourceFunc(func() (Row, bool, error) {
				if i >= c.n {
					return Row{}, false, nil
				}
				r.Key = keyenc.AppendInt64(r.Key[:0], int64(i))
				r.Seq = int64(i + 1)
				r.Deleted = c.name == "tombstones" && i%2 == 0
				r.Values = append([]any{int64(i)}, c.values(i)...)
				i++
				return r, true, nil
			})
			st := newFS(t)
			info, err := WriteFile(context.Background(), st, "f.parquet", sch, src, WriteOptions{RowGroupRows: c.rg})
			if err != nil {
				t.Fatal(err)
			}
			if !info.Meta.Known() || info.Meta.Bytes >= info.Bytes {
				t.Fatalf("checksum %+v of a %d-byte file", info.Meta, info.Bytes)
			}
			f, err := OpenFileWith(context.Background(), st, "f.parquet", OpenOptions{Checksum: info.Meta})
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rows := 0
			if err := f.Scan(context.Background(), sch, nil, func(Row) error { rows++; return nil }); err != nil || rows != c.n {
				t.Fatalf("scan: %d rows, %v", rows, err)
			}
		})
	}
}

// TestAttackcold18HostileMetaBytes: a damaged or hostile manifest entry
// (meta_bytes of 2^62, of the whole file plus one, or of the whole file
// with a wrong CRC) fails the open with a checksum mismatch, without
// reading or allocating past the file.
func TestAttackcold18HostileMetaBytes(t *testing.T) {
	st := newFS(t)
	info, err := WriteFile(context.Background(), st, "f.parquet", chatSchema(), chatSource(t, 50), WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, sum := range []MetaChecksum{{Bytes: 1 << 62, CRC32C: 1}, {Bytes: info.Bytes + 1, CRC32C: info.Meta.CRC32C}, {Bytes: info.Bytes, CRC32C: info.Meta.CRC32C}} {
		_, err := OpenFileWith(context.Background(), st, "f.parquet", OpenOptions{Checksum: sum})
		if !errors.Is(err, ErrChecksum) || !errors.Is(err, ErrCorrupt) {
			t.Errorf("meta_bytes %d: %v, want a checksum mismatch", sum.Bytes, err)
		}
	}
}
