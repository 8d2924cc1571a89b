package cold

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

// TestAttackrot19RepairedFileCachesAgain (attackrot19): a metadata
// mismatch made the cache forget the file identity, and with it marked
// the record every open File of the identity holds as gone, so nothing
// read through those Files was ever cached again. The tiers keep a File
// open for as long as its partition is read (tier/files.go): after a
// rot was seen and the file repaired, every lookup through it read the
// bloom filter, the page indexes and the pages from storage again (a GET
// each on S3) until the tiers let the File go. What a File reads is
// checked against the CRCs of its verification whether or not it is
// cached, so once the file reads right again, it is cached again, and a
// new open still verifies the whole tail.
func TestAttackrot19RepairedFileCachesAgain(t *testing.T) {
	for _, private := range []bool{false, true} {
		name := "shared cache"
		if private {
			name = "private cache"
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := newFS(t)
			info, full, good := writeChatFile(t, st, 300, 100)
			o := OpenOptions{Checksum: info.Meta}
			var err error
			if !private {
				if o.Cache, err = NewCache(CacheOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			f, err := OpenFileWith(ctx, st, "f.parquet", o)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			lookupIn := func(f *File) error {
				r, found, err := f.Lookup(ctx, chatSchema(), nil, bigintKey(t, 4))
				if err == nil && (!found || r.Values[0] != int64(4)) {
					t.Fatalf("key 4: found %v, row %v, and no error", found, r.Values)
				}
				return err
			}
			lookup := func() error { return lookupIn(f) }
			// steady is what 5 lookups of one key read from storage once
			// a first one ran (pages are not cached in a private cache).
			steady := func(f *File) int64 {
				if err := lookupIn(f); err != nil {
					t.Fatal(err)
				}
				before := f.Stats().ReadCalls
				for range 5 {
					if err := lookupIn(f); err != nil {
						t.Fatal(err)
					}
				}
				return f.Stats().ReadCalls - before
			}
			// The bloom filter rots before a lookup first loads it.
			from, to := metaSpan(t, good, 0, "_key", "bloom filter")
			damage := bytes.Clone(good)
			clear(damage[from+16 : to])
			rewriteInPlace(t, full, damage)
			if err := lookup(); !errors.Is(err, ErrChecksum) {
				t.Fatalf("lookup of the rotted file: %v, want a checksum mismatch", err)
			}
			if o.Cache != nil {
				if g, err := OpenFileWith(ctx, st, "f.parquet", o); !errors.Is(err, ErrChecksum) {
					if err == nil {
						_ = g.Close()
					}
					t.Fatalf("open after the mismatch: %v, want a checksum mismatch", err)
				}
			}
			rewriteInPlace(t, full, good)
			if err := lookup(); err != nil {
				t.Fatalf("lookup of the repaired file: %v", err)
			}
			og := OpenOptions{Checksum: info.Meta} // a File that never saw the rot
			if !private {
				if og.Cache, err = NewCache(CacheOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			g, err := OpenFileWith(ctx, st, "f.parquet", og)
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			if got, want := steady(f), steady(g); got != want {
				t.Fatalf("5 lookups of one key of the repaired file read storage %d times, %d through a File that never saw the rot: nothing is cached for the File any more", got, want)
			}
			if o.Cache != nil { // a new open verifies the tail (and passes)
				h, err := OpenFileWith(ctx, st, "f.parquet", o)
				if err != nil {
					t.Fatalf("open of the repaired file: %v", err)
				}
				_ = h.Close()
			}
		})
	}
}
