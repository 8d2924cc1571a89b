//go:build crash17

package cold

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pq "github.com/parquet-go/parquet-go"
)

// TestCrash17DamagedLookupMetadataHidesRows (crash17, fails on main): the
// _key bloom filter of a row group and the _key column index (page
// min/max) carry no checksum (nor does the Parquet format give them one),
// and File.Lookup trusts both before reading any page. A file whose bloom filter or column index bytes are damaged (a flipped bit, a
// zeroed block) reads whole and right through Scan, yet a point lookup
// of a key it holds reports the key absent, without an error: a SELECT
// by primary key answers no row, silently. The same damage to any page
// fails the read (Zstd frames carry checksums, TestCorruptAndMissingFiles).
func TestCrash17DamagedLookupMetadataHidesRows(t *testing.T) {
	st := newFS(t)
	const n = 300
	if _, err := WriteFile(context.Background(), st, "good.parquet", chatSchema(), chatSource(t, n), WriteOptions{RowGroupRows: 100}); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(st.Base(), "good.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	pf, err := pq.OpenFile(bytes.NewReader(good), int64(len(good)))
	if err != nil {
		t.Fatal(err)
	}
	// The byte ranges of the _key bloom filters and column indexes.
	type span struct {
		what     string
		from, to int64
	}
	var spans []span
	for _, rg := range pf.Metadata().RowGroups {
		for _, c := range rg.Columns {
			if c.MetaData.PathInSchema[0] != "_key" {
				continue
			}
			if c.MetaData.BloomFilterOffset > 0 {
				spans = append(spans, span{"bloom filter", c.MetaData.BloomFilterOffset, c.MetaData.BloomFilterOffset + int64(c.MetaData.BloomFilterLength)})
			}
			if c.ColumnIndexOffset > 0 {
				spans = append(spans, span{"column index", c.ColumnIndexOffset, c.ColumnIndexOffset + int64(c.ColumnIndexLength)})
			}
		}
	}
	if len(spans) == 0 {
		t.Fatal("no _key bloom filter or column index in the file")
	}
	sch := chatSchema()
	silent := map[string]int{}
	for _, sp := range spans {
		for pos := sp.from; pos < sp.to && silent[sp.what] < 3; pos++ {
			b := bytes.Clone(good)
			b[pos] ^= 0x81
			name := fmt.Sprintf("bloom%d.parquet", pos)
			if err := os.WriteFile(filepath.Join(st.Base(), name), b, 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := OpenFile(context.Background(), st, name)
			if err != nil {
				continue
			}
			for i := 0; i < 2*n; i += 2 {
				_, found, err := f.Lookup(context.Background(), sch, nil, bigintKey(t, int64(i)))
				if err == nil && !found {
					silent[sp.what]++
					t.Errorf("byte %d of a _key %s damaged: Lookup of key %d, which the file holds, finds nothing and no error", pos, sp.what, i)
					break
				}
			}
			_ = f.Close()
		}
	}
}

// TestCrash17DamagedFooterChangesScans (crash17, fails on main): the
// Parquet footer carries no checksum either. A flipped bit in a column's
// schema element or in a row group's metadata opens and scans without
// an error, yet the scan gives other values (every row's id) or skips
// rows (the rest of a row group): a SELECT answers wrongly, silently.
func TestCrash17DamagedFooterChangesScans(t *testing.T) {
	st := newFS(t)
	if _, err := WriteFile(context.Background(), st, "good.parquet", chatSchema(), chatSource(t, 300), WriteOptions{RowGroupRows: 100}); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(st.Base(), "good.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	scan := func(name string) (string, error) {
		f, err := OpenFile(context.Background(), st, name)
		if err != nil {
			return "", err
		}
		defer f.Close()
		var b strings.Builder
		err = f.Scan(context.Background(), chatSchema(), nil, func(r Row) error {
			fmt.Fprintf(&b, "%x %d %v %v\n", r.Key, r.Seq, r.Deleted, r.Values)
			return nil
		})
		return b.String(), err
	}
	want, err := scan("good.parquet")
	if err != nil {
		t.Fatal(err)
	}
	footerLen := int(binary.LittleEndian.Uint32(good[len(good)-8:]))
	silent := map[bool]int{} // by whether rows went missing
	for pos := len(good) - 8 - footerLen; pos < len(good)-8 && (silent[false] < 2 || silent[true] < 2); pos++ {
		b := bytes.Clone(good)
		b[pos] ^= 0x01
		name := fmt.Sprintf("footer%d.parquet", pos)
		if err := os.WriteFile(filepath.Join(st.Base(), name), b, 0o644); err != nil {
			t.Fatal(err)
		}
		if got, err := scan(name); err == nil && got != want {
			missing := strings.Count(got, "\n") != strings.Count(want, "\n")
			if silent[missing]++; silent[missing] > 2 {
				continue
			}
			t.Errorf("bit 0 of footer byte %d flipped: the scan answers %d rows (want %d), other values, and no error",
				pos, strings.Count(got, "\n"), strings.Count(want, "\n"))
		}
	}
}
