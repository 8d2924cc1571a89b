package tier

import (
	"context"
	"errors"
	"io/fs"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestWaitObsoleteRemoved: the files a compaction replaced are removed on
// a goroutine of their own, after the grace and once no older pin is
// held. WaitObsoleteRemoved returns only once they are gone, so a caller
// that then lists the directory sees no file the manifest dropped; while a
// pin holds them it waits, until its context ends.
func TestWaitObsoleteRemoved(t *testing.T) {
	r := newManifestRig(t)
	m := r.m
	m.files = newFileCache(16, nil)
	m.closing = make(chan struct{})
	m.obsolete = newObsoleteFiles()
	m.opts.ObsoleteFileGrace = time.Nanosecond
	t.Cleanup(func() {
		m.closeOnce.Do(func() { close(m.closing) })
		m.obsoleteWG.Wait()
	})
	fsys, err := cold.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := m.WaitObsoleteRemoved(ctx); err != nil {
		t.Fatalf("nothing replaced: %v", err)
	}
	exists := func(p string) bool {
		_, err := fsys.Stat(ctx, p)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		return err == nil
	}
	replace := func(paths ...string) {
		var files []systable.ManifestFile
		for _, p := range paths {
			if err := writeAll(ctx, fsys, p, []byte("x")); err != nil {
				t.Fatal(err)
			}
			files = append(files, systable.ManifestFile{Path: p})
		}
		m.removeObsolete("local", fsys, "a", files)
	}

	replace("a/batch-1.parquet", "a/batch-2.parquet")
	if err := m.WaitObsoleteRemoved(ctx); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"a/batch-1.parquet", "a/batch-2.parquet"} {
		if exists(p) {
			t.Fatalf("%s is still there after WaitObsoleteRemoved", p)
		}
	}

	// A reader's pin from before the compaction keeps the file, and the
	// wait with it.
	release := m.obsolete.pin()
	replace("a/batch-3.parquet")
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := m.WaitObsoleteRemoved(cancelled); !errors.Is(err, context.Canceled) {
		t.Fatalf("with the file pinned: %v, want the context's error", err)
	}
	if !exists("a/batch-3.parquet") {
		t.Fatal("a pinned file was removed")
	}
	release()
	if err := m.WaitObsoleteRemoved(ctx); err != nil {
		t.Fatal(err)
	}
	if exists("a/batch-3.parquet") {
		t.Fatal("a/batch-3.parquet is still there after its pin was released and WaitObsoleteRemoved")
	}
}
