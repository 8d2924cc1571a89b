package cold

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
)

func TestS3RangeCacheServesRepeatedReads(t *testing.T) {
	ctx := context.Background()
	cache := NewRangeCache(4 * DefaultRangeBlock)
	st := newS3(t, func(o *S3Options) { o.Cache, o.CacheID = cache, "s3test" })
	data := bigPayload()[:3*DefaultRangeBlock+100]
	put(t, st, "f.bin", data)
	h, err := st.Open(ctx, "f.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	f := sharedFakeS3()
	read := func(off, n int64) {
		t.Helper()
		buf := make([]byte, n)
		got, err := h.ReadAt(buf, off)
		if err != nil && !errors.Is(err, io.EOF) || !bytes.Equal(buf[:got], data[off:off+int64(got)]) {
			t.Fatalf("ReadAt(%d, %d) = %d, %v", off, n, got, err)
		}
	}
	before := f.gets.Load()
	read(DefaultRangeBlock-10, 20) // spans two blocks: one request
	if d := f.gets.Load() - before; d != 1 {
		t.Fatalf("%d GETs for two missing blocks, want 1", d)
	}
	read(DefaultRangeBlock, 50)
	read(DefaultRangeBlock-5, 10)
	if d := f.gets.Load() - before; d != 1 {
		t.Fatalf("cached reads went to the store: %d GETs", d)
	}
	read(int64(len(data))-30, 60) // the last, partial block: the footer
	if s := cache.Stats(); s.Fetches != 2 || s.Bytes > 4*DefaultRangeBlock {
		t.Fatalf("stats %+v", s)
	}
	// Reading all of it evicts down to the bound.
	read(0, int64(len(data)))
	if s := cache.Stats(); s.Bytes > 4*DefaultRangeBlock {
		t.Fatalf("cache holds %d bytes over its bound", s.Bytes)
	}

	// A rewritten object is a new identity: its old bytes are not served.
	put(t, st, "f.bin", bytes.Repeat([]byte{'z'}, 100))
	h2, err := st.Open(ctx, "f.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer h2.Close()
	buf := make([]byte, 10)
	if _, err := h2.ReadAt(buf, 0); err != nil || string(buf) != "zzzzzzzzzz" {
		t.Fatalf("rewritten object read %q, %v", buf, err)
	}
}

func TestS3Errors(t *testing.T) {
	ctx := context.Background()
	f := sharedFakeS3()
	wrongKey, err := NewS3(func() S3Options { o := f.options(f.newBucket(t), ""); o.AccessKeyID = "nobody"; return o }())
	if err != nil {
		t.Fatal(err)
	}
	defer wrongKey.Close()
	if err := wrongKey.Probe(ctx); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("probe with a wrong key: %v", err)
	}
	if _, err := wrongKey.List(ctx, "."); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("list with a wrong key: %v", err)
	}
	noBucket, err := NewS3(f.options("no-such-bucket", ""))
	if err != nil {
		t.Fatal(err)
	}
	defer noBucket.Close()
	if err := noBucket.Probe(ctx); !errors.Is(err, ErrNoSuchBucket) {
		t.Fatalf("probe of a missing bucket: %v", err)
	}
	ok := newS3(t)
	if err := ok.Probe(ctx); err != nil {
		t.Fatal(err)
	}
	put(t, ok, "x/y.bin", []byte("data"))
	f.down.Store(true)
	w, err := ok.Create(ctx, "x/z.bin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("abc")); err != nil {
		t.Fatal(err)
	}
	err = w.Commit()
	h, oerr := ok.Open(ctx, "x/y.bin")
	f.down.Store(false)
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("commit while the store is down: %v", err)
	}
	if !errors.Is(oerr, ErrUnreachable) || h != nil {
		t.Fatalf("open while the store is down: %v", oerr)
	}
	if _, err := ok.Stat(ctx, "x/z.bin"); err == nil {
		t.Fatal("a failed commit left a file")
	}
	// Files opened before Close stay readable.
	h, err = ok.Open(ctx, "x/y.bin")
	if err != nil {
		t.Fatal(err)
	}
	_ = ok.Close()
	buf := make([]byte, 4)
	if _, err := h.ReadAt(buf, 0); err != nil || string(buf) != "data" {
		t.Fatalf("read after Close: %q %v", buf, err)
	}
}
