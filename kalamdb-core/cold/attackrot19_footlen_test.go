package cold

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestAttackrot19RottedFooterLengthReadsNoMore (attackrot19): an open
// reads the footer (for the file's identity, and for a checked open to
// parse) as long as the 4 bytes before the magic say, up to the whole
// file. For a file whose manifest entry records its metadata's length
// (meta_bytes), a footer longer than that is damage: a rotted length must
// not make every open of the file read (a GET of it on S3) and hold all
// of it before the checksum fails the open.
func TestAttackrot19RottedFooterLengthReadsNoMore(t *testing.T) {
	ctx := context.Background()
	st := newFS(t)
	info, err := WriteFile(ctx, st, "f.parquet", chatSchema(), chatSource(t, 12000), WriteOptions{RowGroupRows: 4000})
	if err != nil {
		t.Fatal(err)
	}
	full := filepath.Join(st.Base(), "f.parquet")
	good, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	damage := bytes.Clone(good)
	binary.LittleEndian.PutUint32(damage[len(damage)-8:], uint32(len(damage)-8-4)) // the footer "starts" after PAR1
	rewriteInPlace(t, full, damage)
	cache, err := NewCache(CacheOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f, err := OpenFileWith(ctx, st, "f.parquet", OpenOptions{Cache: cache, Checksum: info.Meta})
	runtime.ReadMemStats(&after)
	if err == nil {
		_ = f.Close()
	}
	if !errors.Is(err, ErrChecksum) {
		t.Fatalf("open of a file whose footer length rotted: %v, want a checksum mismatch", err)
	}
	got := after.TotalAlloc - before.TotalAlloc
	t.Logf("file %d bytes, metadata %d bytes: the open allocated %d bytes", len(good), info.Meta.Bytes, got)
	if limit := uint64(info.Meta.Bytes) + verifyChunk + footerTail + 64<<10; got > limit {
		t.Fatalf("the open of a %d-byte file whose metadata is %d bytes allocated %d bytes (more than %d)", len(good), info.Meta.Bytes, got, limit)
	}
}
