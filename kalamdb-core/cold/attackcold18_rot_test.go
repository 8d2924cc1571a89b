//go:build attackcold18

package cold

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	pq "github.com/parquet-go/parquet-go"
)

// TestAttackcold18RotAfterFirstCheck: the tail is verified when the
// footer first enters the shared cache, once per file identity (path,
// size, mtime, footer hash). The bloom filters and page indexes are read
// later, lazily, and again after each eviction, from the storage, without
// a check. Damage at rest after the first check (bit rot keeps size and
// mtime; the footer is intact) is then never seen: a later open of the
// same identity takes the cached footer, and a point lookup trusts the
// damaged _key bloom filter and reports a key the file holds as absent,
// without an error, until the process restarts.
func TestAttackcold18RotAfterFirstCheck(t *testing.T) {
	ctx := context.Background()
	st := newFS(t)
	info, err := WriteFile(ctx, st, "f.parquet", chatSchema(), chatSource(t, 300), WriteOptions{RowGroupRows: 100})
	if err != nil {
		t.Fatal(err)
	}
	full := filepath.Join(st.Base(), "f.parquet")
	good, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(full)
	if err != nil {
		t.Fatal(err)
	}
	pf, err := pq.OpenFile(bytes.NewReader(good), int64(len(good)))
	if err != nil {
		t.Fatal(err)
	}
	var from, to int64
	for _, c := range pf.Metadata().RowGroups[0].Columns {
		if c.MetaData.PathInSchema[0] == "_key" && c.MetaData.BloomFilterOffset > 0 {
			from, to = c.MetaData.BloomFilterOffset, c.MetaData.BloomFilterOffset+int64(c.MetaData.BloomFilterLength)
		}
	}
	if to == 0 {
		t.Fatal("no _key bloom filter")
	}
	cache, err := NewCache(CacheOptions{})
	if err != nil {
		t.Fatal(err)
	}
	o := OpenOptions{Cache: cache, Checksum: info.Meta}
	// The first open verifies the tail; no lookup yet.
	f1, err := OpenFileWith(ctx, st, "f.parquet", o)
	if err != nil {
		t.Fatal(err)
	}
	defer f1.Close()
	// Bit rot in the bloom filter of row group 0: zero every bit, in
	// place, keeping size and mtime.
	w, err := os.OpenFile(full, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteAt(make([]byte, to-from-16), from+16); err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
	if err := os.Chtimes(full, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	f2, err := OpenFileWith(ctx, st, "f.parquet", o)
	if err != nil {
		return // the damage was seen: fine
	}
	defer f2.Close()
	for i := 0; i < 200; i += 2 {
		_, found, err := f2.Lookup(ctx, chatSchema(), nil, bigintKey(t, int64(i)))
		if err == nil && !found {
			t.Fatalf("key %d, which the file holds, is absent after its bloom filter rotted, and no error", i)
		}
	}
}
