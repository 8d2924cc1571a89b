package cold

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	pq "github.com/parquet-go/parquet-go"
)

// TestMetadataRotAfterCheckFailsReads (the attackcold18 finding): the
// tail is verified when the footer first enters the cache, once per file
// identity, but the bloom filters and page indexes are read later, when a
// read first needs them and again once the cache let them go. Damage at
// rest in between (bit rot keeps the size, the modification time and the
// footer, so the identity) must still be seen: a lookup of a key the file
// holds fails with a checksum mismatch (never "absent", never another
// row), the cache drops its footer so that the next open verifies it
// again (and fails while it is damaged), and the repaired file reads.
func TestMetadataRotAfterCheckFailsReads(t *testing.T) {
	const n = 300 // keys 0, 2, ... 598; row group 0 holds 0..198
	for _, tc := range []struct {
		column, what string
		loaded       bool // lookups ran before the damage, and the cache then let their entries go
	}{
		{"_key", "bloom filter", false},
		{"_key", "bloom filter", true},
		{"_key", "column index", false},
		{"_key", "offset index", true},
		{"content", "offset index", false},
		{"content", "offset index", true},
	} {
		name := tc.column + " " + tc.what
		if tc.loaded {
			name += " after eviction"
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := newFS(t)
			info, full, good := writeChatFile(t, st, n, 100)
			from, to := metaSpan(t, good, 0, tc.column, tc.what)
			cache, err := NewCache(CacheOptions{})
			if err != nil {
				t.Fatal(err)
			}
			o := OpenOptions{Cache: cache, Checksum: info.Meta}
			lookupAll := func(f *File) error {
				for i := 0; i < 200; i += 2 {
					r, found, err := f.Lookup(ctx, chatSchema(), nil, bigintKey(t, int64(i)))
					if err != nil {
						return err
					}
					if !found || r.Values[0] != int64(i) {
						t.Fatalf("key %d: found %v, row %v, and no error", i, found, r.Values)
					}
				}
				return nil
			}
			// The first open verifies the tail.
			f1, err := OpenFileWith(ctx, st, "f.parquet", o)
			if err != nil {
				t.Fatal(err)
			}
			defer f1.Close()
			if tc.loaded {
				if err := lookupAll(f1); err != nil {
					t.Fatal(err)
				}
			}
			damage := bytes.Clone(good)
			if tc.what == "bloom filter" {
				// The header intact, every bit clear: every key absent
				// (unchecked, the lookups answered "not found").
				clear(damage[from+16 : to])
			} else {
				for i := from; i < to; i++ {
					damage[i] ^= 0xff
				}
			}
			rewriteInPlace(t, full, damage)
			f := f1
			if tc.loaded {
				// What the lookups loaded leaves the cache; the open File
				// keeps its footer.
				cache.Invalidate("", "f.parquet")
			} else {
				// Another open of the same identity finds the footer cached.
				if f, err = OpenFileWith(ctx, st, "f.parquet", o); err != nil {
					t.Fatalf("open of the same identity: %v", err)
				}
				defer f.Close()
			}
			err = lookupAll(f)
			if !errors.Is(err, ErrCorrupt) || !errors.Is(err, ErrChecksum) || !IsReadFailure(err) {
				t.Fatalf("lookups after the %s rotted: %v, want a checksum mismatch", name, err)
			}
			// The mismatch made the cache forget the file: an open verifies
			// the tail again, and fails while the file is damaged.
			if g, err := OpenFileWith(ctx, st, "f.parquet", o); !errors.Is(err, ErrChecksum) {
				if err == nil {
					_ = g.Close()
				}
				t.Fatalf("open after the mismatch: %v, want a checksum mismatch", err)
			}
			// Repaired in place, the file reads again, through the open
			// File as through a new one.
			rewriteInPlace(t, full, good)
			if err := lookupAll(f); err != nil {
				t.Fatalf("lookups of the repaired file through the open File: %v", err)
			}
			g, err := OpenFileWith(ctx, st, "f.parquet", o)
			if err != nil {
				t.Fatalf("open of the repaired file: %v", err)
			}
			defer g.Close()
			if err := lookupAll(g); err != nil {
				t.Fatalf("lookups of the repaired file: %v", err)
			}
		})
	}
}

// metaSpan is where the file b keeps the bloom filter, column index or
// offset index (what) of column of row group rg.
func metaSpan(t *testing.T, b []byte, rg int, column, what string) (from, to int64) {
	t.Helper()
	pf, err := pq.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range pf.Metadata().RowGroups[rg].Columns {
		if c.MetaData.PathInSchema[0] != column {
			continue
		}
		switch what {
		case "bloom filter":
			from, to = c.MetaData.BloomFilterOffset, c.MetaData.BloomFilterOffset+int64(c.MetaData.BloomFilterLength)
		case "column index":
			from, to = c.ColumnIndexOffset, c.ColumnIndexOffset+int64(c.ColumnIndexLength)
		case "offset index":
			from, to = c.OffsetIndexOffset, c.OffsetIndexOffset+int64(c.OffsetIndexLength)
		}
	}
	if from <= 0 || to <= from {
		t.Fatalf("no %s of %s in row group %d", what, column, rg)
	}
	return from, to
}

// rewriteInPlace writes b over the file at full, keeping its inode, size
// and modification time, as bit rot (or a repair that restores the
// bytes and the time) does.
func rewriteInPlace(t *testing.T, full string, b []byte) {
	t.Helper()
	fi, err := os.Stat(full)
	if err != nil {
		t.Fatal(err)
	}
	w, err := os.OpenFile(full, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteAt(b, 0); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	mt := fi.ModTime()
	if err := os.Chtimes(full, time.Time{}, mt); err != nil {
		t.Fatal(err)
	}
}

// writeChatFile writes n chat rows to f.parquet of st, rgRows a row
// group, and returns its info, its path on disk and its bytes (what the
// damage tests rot and restore).
func writeChatFile(t *testing.T, st *FS, n, rgRows int) (info FileInfo, full string, good []byte) {
	t.Helper()
	info, err := WriteFile(context.Background(), st, "f.parquet", chatSchema(), chatSource(t, n), WriteOptions{RowGroupRows: rgRows})
	if err != nil {
		t.Fatal(err)
	}
	full = filepath.Join(st.Base(), "f.parquet")
	if good, err = os.ReadFile(full); err != nil {
		t.Fatal(err)
	}
	return info, full, good
}
