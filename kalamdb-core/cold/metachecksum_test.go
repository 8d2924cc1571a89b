package cold

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pq "github.com/parquet-go/parquet-go"
)

// TestDamagedLookupMetadataFailsLookups (the crash17 finding): the _key
// bloom filter of a row group and the _key column index (page min/max)
// carry no checksum of their own (nor does the Parquet format give them
// one), and File.Lookup trusts both before reading any page. Damaged,
// they made a point lookup of a key the file holds report it absent,
// without an error. Opened with the checksum its manifest entry records,
// such a file fails to open (ErrCorrupt, ErrChecksum): every flipped byte
// of those regions is an error, never a missing row.
func TestDamagedLookupMetadataFailsLookups(t *testing.T) {
	st := newFS(t)
	const n = 300
	info, err := WriteFile(context.Background(), st, "good.parquet", chatSchema(), chatSource(t, n), WriteOptions{RowGroupRows: 100})
	if err != nil {
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
	opened := 0
	for _, sp := range spans {
		for pos := sp.from; pos < sp.to && silent[sp.what] < 3; pos++ {
			b := bytes.Clone(good)
			b[pos] ^= 0x81
			name := fmt.Sprintf("bloom%d.parquet", pos)
			if err := os.WriteFile(filepath.Join(st.Base(), name), b, 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := OpenFileWith(context.Background(), st, name, OpenOptions{Checksum: info.Meta})
			if err != nil {
				if !errors.Is(err, ErrCorrupt) || !errors.Is(err, ErrChecksum) {
					t.Errorf("byte %d of a _key %s damaged: %v, want a checksum mismatch", pos, sp.what, err)
				}
				continue
			}
			opened++
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
	if opened > 0 {
		t.Errorf("%d files with damaged metadata opened despite the checksum", opened)
	}
}

// TestDamagedFooterFailsScans (the crash17 finding): the Parquet footer
// carries no checksum either. A flipped bit in a column's schema element
// or in a row group's metadata opened and scanned without an error, yet
// the scan gave other values (every row's id) or skipped rows (the rest
// of a row group). With the manifest's checksum every such file fails to
// open.
func TestDamagedFooterFailsScans(t *testing.T) {
	st := newFS(t)
	info, err := WriteFile(context.Background(), st, "good.parquet", chatSchema(), chatSource(t, 300), WriteOptions{RowGroupRows: 100})
	if err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(st.Base(), "good.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := scanText(st, "good.parquet", info.Meta)
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
		got, err := scanText(st, name, info.Meta)
		if err == nil {
			t.Errorf("footer byte %d damaged: scanned without an error", pos)
		} else if !errors.Is(err, ErrChecksum) {
			t.Errorf("footer byte %d damaged: %v, want a checksum mismatch", pos, err)
		}
		if err == nil && got != want {
			missing := strings.Count(got, "\n") != strings.Count(want, "\n")
			if silent[missing]++; silent[missing] > 2 {
				continue
			}
			t.Errorf("bit 0 of footer byte %d flipped: the scan answers %d rows (want %d), other values, and no error",
				pos, strings.Count(got, "\n"), strings.Count(want, "\n"))
		}
	}
}

// TestMetaChecksum: the checksum a write records is the CRC-32C of the
// file's tail from the end of its last column chunk, which holds every
// bloom filter, page index and the footer; a file opened without one (a
// manifest entry older than checksums) reads as before, damaged or not;
// a shared cache keeps files opened with and without a checksum apart.
func TestMetaChecksum(t *testing.T) {
	st := newFS(t)
	info, err := WriteFile(context.Background(), st, "good.parquet", chatSchema(), chatSource(t, 1000), WriteOptions{RowGroupRows: 300})
	if err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(st.Base(), "good.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if !info.Meta.Known() || info.Meta.Bytes >= int64(len(good)) {
		t.Fatalf("checksum %+v of a %d-byte file", info.Meta, len(good))
	}
	tail := good[int64(len(good))-info.Meta.Bytes:]
	if got := crc32.Checksum(tail, crc32.MakeTable(crc32.Castagnoli)); got != info.Meta.CRC32C {
		t.Errorf("recorded crc32c %08x, the tail's is %08x", info.Meta.CRC32C, got)
	}
	pf, err := pq.OpenFile(bytes.NewReader(good), int64(len(good)))
	if err != nil {
		t.Fatal(err)
	}
	start := int64(len(good)) - info.Meta.Bytes
	for _, rg := range pf.Metadata().RowGroups {
		for _, c := range rg.Columns {
			for _, off := range []int64{c.MetaData.BloomFilterOffset, c.ColumnIndexOffset, c.OffsetIndexOffset} {
				if off != 0 && off < start {
					t.Errorf("column %v: metadata at %d, before the checksummed tail at %d", c.MetaData.PathInSchema, off, start)
				}
			}
			first := c.MetaData.DataPageOffset
			if d := c.MetaData.DictionaryPageOffset; d > 0 && d < first {
				first = d
			}
			if end := first + c.MetaData.TotalCompressedSize; end > start {
				t.Errorf("column %v: data up to %d, inside the tail at %d", c.MetaData.PathInSchema, end, start)
			}
		}
	}
	if info.ManifestFile().MetaBytes != info.Meta.Bytes || ManifestChecksum(info.ManifestFile()) != info.Meta {
		t.Errorf("manifest entry %+v does not carry %+v", info.ManifestFile(), info.Meta)
	}

	// A bloom filter byte flipped: with the checksum, the open fails;
	// without (an old manifest entry), it opens as before.
	bad := bytes.Clone(good)
	bad[start+20] ^= 0x10
	if err := os.WriteFile(filepath.Join(st.Base(), "bad.parquet"), bad, 0o644); err != nil {
		t.Fatal(err)
	}
	cache, err := NewCache(CacheOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	f, err := OpenFileWith(ctx, st, "bad.parquet", OpenOptions{Cache: cache})
	if err != nil {
		t.Fatalf("unchecked open: %v", err)
	}
	defer f.Close()
	if _, err := OpenFileWith(ctx, st, "bad.parquet", OpenOptions{Cache: cache, Checksum: info.Meta}); !errors.Is(err, ErrChecksum) || !errors.Is(err, ErrCorrupt) {
		t.Errorf("checked open of a damaged file after an unchecked one: %v", err)
	}
	// Verified once per identity: a second open finds the footer cached.
	g, err := OpenFileWith(ctx, st, "good.parquet", OpenOptions{Cache: cache, Checksum: info.Meta})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	before := cache.Stats().Misses
	h, err := OpenFileWith(ctx, st, "good.parquet", OpenOptions{Cache: cache, Checksum: info.Meta})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if m := cache.Stats().Misses; m != before {
		t.Errorf("second open missed the cache %d times", m-before)
	}
	// A manifest recording more metadata than the file has.
	if _, err := OpenFileWith(ctx, st, "good.parquet", OpenOptions{Checksum: MetaChecksum{Bytes: int64(len(good)) + 1}}); !errors.Is(err, ErrChecksum) {
		t.Errorf("checksum longer than the file: %v", err)
	}
}

func TestCRC32Combine(t *testing.T) {
	tab := crc32.MakeTable(crc32.Castagnoli)
	data := make([]byte, 5000)
	for i := range data {
		data[i] = byte(i*7 + i>>5)
	}
	for _, cut := range []int{0, 1, 7, 8, 100, 4096, 4999, 5000} {
		a, b := data[:cut], data[cut:]
		if got, want := crc32Combine(crc32.Checksum(a, tab), crc32.Checksum(b, tab), int64(len(b))), crc32.Checksum(data, tab); got != want {
			t.Errorf("cut %d: %08x, want %08x", cut, got, want)
		}
	}
}

// TestMetaChecksumS3: a file written to an object store records the
// checksum of what the store holds, and the open's ranged read of its
// tail verifies it; a damaged object fails as on a disk.
func TestMetaChecksumS3(t *testing.T) {
	ctx := context.Background()
	st := newS3(t)
	info, err := WriteFile(ctx, st, "t/u/good.parquet", chatSchema(), chatSource(t, 500), WriteOptions{RowGroupRows: 200})
	if err != nil {
		t.Fatal(err)
	}
	f, err := OpenFileWith(ctx, st, "t/u/good.parquet", OpenOptions{Checksum: info.Meta})
	if err != nil {
		t.Fatal(err)
	}
	if _, found, err := f.Lookup(ctx, chatSchema(), nil, bigintKey(t, 2)); err != nil || !found {
		t.Fatalf("lookup: %v %v", found, err)
	}
	_ = f.Close()
	h, err := st.Open(ctx, "t/u/good.parquet")
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, h.Size())
	if _, err := h.ReadAt(b, 0); err != nil {
		t.Fatal(err)
	}
	_ = h.Close()
	b[len(b)-int(info.Meta.Bytes)+3] ^= 1
	put(t, st, "t/u/bad.parquet", b)
	if _, err := OpenFileWith(ctx, st, "t/u/bad.parquet", OpenOptions{Checksum: info.Meta}); !errors.Is(err, ErrChecksum) {
		t.Fatalf("damaged object: %v", err)
	}
}

// BenchmarkFirstLookup is the first point lookup of a file not yet in
// the cache (a fresh cache each time): open, footer, bloom filter, page
// index, pages. "checked" verifies the metadata checksum as the tiers
// do; "whole-file" adds what verifying a checksum of the whole file
// would cost instead (reading it and its CRC-32C), the alternative
// considered.
func BenchmarkFirstLookup(b *testing.B) {
	st := newFS(b)
	rows := chatRows(b, benchRows)
	info, err := WriteFile(context.Background(), st, "f.parquet", chatSchema(), SliceSource(rows), WriteOptions{ExpectedRows: benchRows})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("file %d bytes, metadata tail %d bytes", info.Bytes, info.Meta.Bytes)
	ctx := context.Background()
	sch := chatSchema()
	tab := crc32.MakeTable(crc32.Castagnoli)
	run := func(b *testing.B, sum MetaChecksum, whole bool) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			cache, err := NewCache(CacheOptions{Bytes: 64 << 20})
			if err != nil {
				b.Fatal(err)
			}
			if whole {
				h, err := st.Open(ctx, "f.parquet")
				if err != nil {
					b.Fatal(err)
				}
				buf := make([]byte, h.Size())
				if _, err := h.ReadAt(buf, 0); err != nil {
					b.Fatal(err)
				}
				_ = crc32.Checksum(buf, tab)
				_ = h.Close()
			}
			f, err := OpenFileWith(ctx, st, "f.parquet", OpenOptions{Cache: cache, Checksum: sum})
			if err != nil {
				b.Fatal(err)
			}
			if _, found, err := f.Lookup(ctx, sch, nil, rows[(i*7919)%len(rows)].Key); err != nil || !found {
				b.Fatal(found, err)
			}
			_ = f.Close()
		}
	}
	b.Run("unchecked", func(b *testing.B) { run(b, MetaChecksum{}, false) })
	b.Run("checked", func(b *testing.B) { run(b, info.Meta, false) })
	b.Run("whole-file", func(b *testing.B) { run(b, MetaChecksum{}, true) })
}
