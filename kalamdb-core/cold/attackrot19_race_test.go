package cold

import (
	"bytes"
	"context"
	"errors"
	"os"
	"sync"
	"testing"
)

// TestAttackrot19RotDuringConcurrentReads (attackrot19): Files sharing
// one identity read while the file's bloom filters and page indexes rot
// and are repaired under them, and the cache lets their entries go. Every
// lookup of a key the file holds finds its row or fails with the checksum
// mismatch, never "absent" nor another row; the cache's accounting stays
// whole (-race: the mismatch's footer drop against loads, evictions and
// other mismatches); and once the file is good again, every File and a
// new open read it.
func TestAttackrot19RotDuringConcurrentReads(t *testing.T) {
	ctx := context.Background()
	st := newFS(t)
	info, full, good := writeChatFile(t, st, 300, 100)
	damage := bytes.Clone(good)
	for rg := range 3 {
		for _, what := range []string{"bloom filter", "offset index", "column index"} {
			from, to := metaSpan(t, good, rg, "_key", what)
			for i := from; i < to; i++ {
				damage[i] ^= 0x5a
			}
		}
	}
	cache, err := NewCache(CacheOptions{})
	if err != nil {
		t.Fatal(err)
	}
	o := OpenOptions{Cache: cache, Checksum: info.Meta}
	var files []*File
	for range 3 {
		f, err := OpenFileWith(ctx, st, "f.parquet", o)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		files = append(files, f)
	}
	lookup := func(f *File, k int64) error {
		r, found, err := f.Lookup(ctx, chatSchema(), nil, bigintKey(t, k))
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				return err
			}
			return nil // a mismatch (or a torn read the checks refused)
		}
		if !found || r.Values[0] != k {
			return errors.New("a key the file holds came back absent or as another row, with no error")
		}
		return nil
	}
	stop := make(chan struct{})
	errs := make(chan error, 16)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := lookup(files[(w+i)%len(files)], int64(2*((w*37+i*11)%300))); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	write := func(b []byte) error {
		fi, err := os.Stat(full)
		if err != nil {
			return err
		}
		w, err := os.OpenFile(full, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		if _, err := w.WriteAt(b, 0); err != nil {
			_ = w.Close()
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
		return os.Chtimes(full, fi.ModTime(), fi.ModTime())
	}
	for i := range 40 {
		b := good
		if i%2 == 0 {
			b = damage
		}
		if err := write(b); err != nil {
			t.Fatal(err)
		}
		cache.Invalidate("", "f.parquet")
		if g, err := OpenFileWith(ctx, st, "f.parquet", o); err == nil {
			if err := lookup(g, 4); err != nil {
				t.Error(err)
			}
			_ = g.Close()
		} else if !errors.Is(err, ErrCorrupt) {
			t.Error(err)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := write(good); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		for k := int64(0); k < 600; k += 2 {
			if r, found, err := f.Lookup(ctx, chatSchema(), nil, bigintKey(t, k)); err != nil || !found || r.Values[0] != k {
				t.Fatalf("key %d of the good file: found %v, %v", k, found, err)
			}
		}
	}
	g, err := OpenFileWith(ctx, st, "f.parquet", o)
	if err != nil {
		t.Fatalf("open of the good file: %v", err)
	}
	_ = g.Close()
	st0 := cache.Stats()
	if st0.Entries < 0 || st0.Bytes < 0 {
		t.Fatalf("cache accounting: %+v", st0)
	}
}
