package cold

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pq "github.com/parquet-go/parquet-go"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// readEverything opens p and reads all of it every way, returning the
// first error.
func readEverything(st Storage, p string, sch *systable.TableSchema, keys [][]byte) error {
	ctx := context.Background()
	f, err := OpenFile(ctx, st, p)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Scan(ctx, sch, nil, func(Row) error { return nil }); err != nil {
		return err
	}
	for _, k := range keys {
		if _, _, err := f.Lookup(ctx, sch, nil, k); err != nil {
			return err
		}
	}
	return nil
}

func TestCorruptAndMissingFiles(t *testing.T) {
	st := newFS(t)
	sch := chatSchema()
	const n = 3000
	if _, err := WriteFile(context.Background(), st, "good.parquet", sch, chatSource(t, n), WriteOptions{RowGroupRows: 1000}); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(st.Base(), "good.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	var keys [][]byte
	for i := 0; i < n; i += 101 {
		keys = append(keys, bigintKey(t, int64(2*i)))
	}
	if err := readEverything(st, "good.parquet", sch, keys); err != nil {
		t.Fatal(err)
	}

	put := func(name string, b []byte) string {
		if err := os.WriteFile(filepath.Join(st.Base(), name), b, 0o644); err != nil {
			t.Fatal(err)
		}
		return name
	}
	expectErr := func(what, p string) {
		t.Helper()
		err := readEverything(st, p, sch, keys)
		t.Logf("%s: %.200v", what, err)
		if err == nil {
			t.Errorf("%s: read without error", what)
			return
		}
		if !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %q does not name the file", what, err)
		}
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: error %q does not match ErrCorrupt", what, err)
		}
	}

	// Missing.
	if _, err := OpenFile(context.Background(), st, "missing.parquet"); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "missing.parquet") {
		t.Errorf("missing file: %v", err)
	}
	// Empty, tiny, not Parquet.
	expectErr("empty", put("empty.parquet", nil))
	expectErr("tiny", put("tiny.parquet", []byte("PAR1")))
	expectErr("text", put("text.parquet", bytes.Repeat([]byte("not parquet "), 100)))
	// Truncated at many points, including inside the footer.
	for _, cut := range []int{1, 8, 100, len(good) / 3, len(good) / 2, len(good) - 1000, len(good) - 100, len(good) - 9, len(good) - 1} {
		expectErr(fmt.Sprintf("truncated to %d", cut), put(fmt.Sprintf("cut%d.parquet", cut), good[:cut]))
	}
	// Damaged footer length and magic.
	b := bytes.Clone(good)
	b[len(b)-5] ^= 0xff
	expectErr("footer length", put("footlen.parquet", b))
	b = bytes.Clone(good)
	b[len(b)-1] = 'X'
	expectErr("magic", put("magic.parquet", b))
	// Damaged data pages: Zstd frames carry checksums, so flipped bits
	// inside compressed pages fail the read instead of yielding wrong
	// values.
	for _, at := range []int{len(good) / 10, len(good) / 4, len(good) / 2, len(good) * 3 / 4} {
		b = bytes.Clone(good)
		for i := at; i < at+16; i++ {
			b[i] ^= 0x5a
		}
		expectErr(fmt.Sprintf("garbage at %d", at), put(fmt.Sprintf("flip%d.parquet", at), b))
	}
	// Garbage everywhere: whatever happens, an error, never a panic.
	for seed := range 20 {
		b = bytes.Clone(good)
		x := uint32(seed*2654435761 + 1)
		for range 40 {
			x ^= x << 13
			x ^= x >> 17
			x ^= x << 5
			b[int(x%uint32(len(b)-8))] = byte(x >> 24)
		}
		p := put(fmt.Sprintf("rand%d.parquet", seed), b)
		err := readEverything(st, p, sch, keys)
		t.Logf("random %d: %.160v", seed, err)
		if err != nil && !strings.Contains(err.Error(), p) {
			t.Errorf("random damage %d: error %q does not name the file", seed, err)
		}
	}

	// A valid Parquet file that this package did not write.
	var buf bytes.Buffer
	type other struct {
		A int64  `parquet:"a"`
		B string `parquet:"b"`
	}
	if err := pq.Write(&buf, []other{{1, "x"}}); err != nil {
		t.Fatal(err)
	}
	expectErr("foreign parquet", put("foreign.parquet", buf.Bytes()))

	// A file of ours whose schema metadata disagrees with its columns.
	other2 := &systable.TableSchema{TableID: "app:messages", Version: 1, Columns: []systable.ColumnSchema{
		pkCol(1, "id", dialect.TypeBigInt)}}
	if _, err := WriteFile(context.Background(), st, "small.parquet", other2, SliceSource([]Row{{Key: bigintKey(t, 1), Values: []any{int64(1)}}}), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	small, _ := os.ReadFile(filepath.Join(st.Base(), "small.parquet"))
	// Swap the column's type in the footer's schema JSON (same length).
	mangled := bytes.Replace(small, []byte(`"type":"BIGINT"`), []byte(`"type":"DOUBLE"`), 1)
	if bytes.Equal(mangled, small) {
		t.Fatal("schema JSON not found in footer")
	}
	expectErr("schema mismatch", put("mismatch.parquet", mangled))
}
