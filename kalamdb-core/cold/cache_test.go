package cold

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

func newTestCache(t testing.TB, bytes int64) *Cache {
	t.Helper()
	c, err := NewCache(CacheOptions{Bytes: bytes})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func pageKey(rec *fileRec, p int) cacheKey {
	return cacheKey{file: rec.num, page: int32(p), kind: kindPage}
}

// load returns a loader of a value of size bytes that counts its calls.
func load(calls *atomic.Int64, v any, size int64) func() (any, int64, error) {
	return func() (any, int64, error) {
		calls.Add(1)
		return v, size, nil
	}
}

func TestCacheEvictsLeastRecentlyUsedWithinBudget(t *testing.T) {
	if _, err := NewCache(CacheOptions{Bytes: -1}); err == nil {
		t.Fatal("negative budget accepted")
	}
	if st := newTestCache(t, 0).Stats(); st.Budget != DefaultCacheBytes {
		t.Fatalf("default budget %d, want %d", st.Budget, DefaultCacheBytes)
	}
	// One shard: 10 entries of 1000 bytes (plus overhead) fit in 12 KiB.
	c := newTestCache(t, 12<<10)
	if len(c.shards) != 1 {
		t.Fatalf("%d shards for a 12 KiB cache", len(c.shards))
	}
	rec := c.open(fileIdentity{storage: "s", path: "a"})
	var calls atomic.Int64
	get := func(p int) {
		t.Helper()
		v, err := c.getOrLoad(context.Background(), rec, pageKey(rec, p), load(&calls, p, 1000))
		if err != nil || v != p {
			t.Fatalf("page %d: %v, %v", p, v, err)
		}
	}
	for p := range 10 {
		get(p)
	}
	if st := c.Stats(); st.Entries != 10 || st.Evictions != 0 || st.Misses != 10 || st.Bytes > st.Budget {
		t.Fatalf("after 10 loads: %+v", st)
	}
	// Page 0 is used again, so page 1 is the least recently used when
	// page 10 needs room.
	get(0)
	get(10)
	st := c.Stats()
	if st.Evictions != 1 || st.Hits != 1 || st.Bytes > st.Budget {
		t.Fatalf("after an eviction: %+v", st)
	}
	if _, ok := c.get(pageKey(rec, 1)); ok {
		t.Fatal("page 1, the least recently used, was kept")
	}
	for _, p := range []int{0, 2, 10} {
		if _, ok := c.get(pageKey(rec, p)); !ok {
			t.Fatalf("page %d was evicted", p)
		}
	}
	// An entry larger than the budget is returned but not kept.
	calls.Store(0)
	for range 2 {
		if v, err := c.getOrLoad(context.Background(), rec, pageKey(rec, 99), load(&calls, "big", 20<<10)); err != nil || v != "big" {
			t.Fatal(v, err)
		}
	}
	if calls.Load() != 2 || c.Stats().Rejected != 2 {
		t.Fatalf("oversized entry: %d loads, %+v", calls.Load(), c.Stats())
	}
	// A large budget is split into shards, each within its share.
	if n := len(newTestCache(t, 256<<20).shards); n != 16 {
		t.Fatalf("%d shards for 256 MiB", n)
	}
}

func TestCacheLoadsOnceForConcurrentMisses(t *testing.T) {
	c := newTestCache(t, 1<<20)
	rec := c.open(fileIdentity{storage: "s", path: "a"})
	var calls atomic.Int64
	release := make(chan struct{})
	slow := func() (any, int64, error) {
		calls.Add(1)
		<-release
		return "v", 10, nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := c.getOrLoad(context.Background(), rec, pageKey(rec, 1), slow)
			if err != nil || v != "v" {
				errs <- fmt.Errorf("got %v, %v", v, err)
			}
		}()
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Whether a goroutine waited for the load or came after it, the
	// value was loaded once.
	if calls.Load() != 1 {
		t.Fatalf("loaded %d times", calls.Load())
	}
}

func TestCacheDoesNotKeepFailures(t *testing.T) {
	c := newTestCache(t, 1<<20)
	rec := c.open(fileIdentity{storage: "s", path: "a"})
	boom := errors.New("boom")
	var calls atomic.Int64
	failing := func() (any, int64, error) { calls.Add(1); return nil, 0, boom }
	for range 2 {
		if _, err := c.getOrLoad(context.Background(), rec, pageKey(rec, 1), failing); !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
	}
	if calls.Load() != 2 || c.Stats().Entries != 0 {
		t.Fatalf("a failed load was cached: %d calls, %+v", calls.Load(), c.Stats())
	}
	// A panicking load (the Parquet library on a damaged file) frees the
	// entry for the next caller and goes on to the caller's recover.
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("panic swallowed")
			}
		}()
		c.getOrLoad(context.Background(), rec, pageKey(rec, 2), func() (any, int64, error) { panic("bad page") })
	}()
	if v, err := c.getOrLoad(context.Background(), rec, pageKey(rec, 2), load(&calls, "ok", 1)); err != nil || v != "ok" {
		t.Fatalf("after a panicking load: %v, %v", v, err)
	}
}

// chatFile writes n chat rows at p.
func chatFile(t *testing.T, st Storage, p string, n int) {
	t.Helper()
	if _, err := WriteFile(context.Background(), st, p, chatSchema(), chatSource(t, n), WriteOptions{RowGroupRows: 1000}); err != nil {
		t.Fatal(err)
	}
}

func TestCacheSurvivesReopenAndInvalidate(t *testing.T) {
	st := newFS(t)
	sch := chatSchema()
	ctx := context.Background()
	const p = "app/messages/u1/batch-1.parquet"
	chatFile(t, st, p, 3000)
	c := newTestCache(t, 64<<20)
	open := func() *File {
		t.Helper()
		f, err := OpenFileWith(ctx, st, p, OpenOptions{Cache: c, StorageID: "local"})
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	lookups := func(f *File) {
		t.Helper()
		for i := 0; i < 3000; i += 37 {
			r, found, err := f.Lookup(ctx, sch, nil, bigintKey(t, int64(2*i)))
			if err != nil || !found || r.Values[0] != int64(2*i) {
				t.Fatalf("lookup %d: %v %v %v", i, found, err, r.Values)
			}
		}
	}
	f := open()
	lookups(f)
	first := f.Stats()
	if first.PagesDecoded == 0 {
		t.Fatalf("first lookups decoded nothing: %+v", first)
	}
	f.Close()
	if st := c.Stats(); st.Files != 1 || st.Entries == 0 {
		t.Fatalf("closed file forgotten: %+v", st)
	}

	// Opened again: footer, indexes and pages are all cached; the open
	// reads only the footer's bytes (to check it is the same file).
	f = open()
	lookups(f)
	again := f.Stats()
	if again.PagesDecoded != 0 || again.PagesCached == 0 || again.ReadCalls > 2 {
		t.Fatalf("reopened file: %+v", again)
	}
	// Two Files open on one identity share it.
	g := open()
	if g.rec != f.rec || c.Stats().Files != 1 {
		t.Fatalf("second open got its own identity: %+v", c.Stats())
	}
	g.Close()

	// Invalidate drops everything of the path; the open File still reads
	// correctly, decoding again and caching nothing more.
	if n := c.Invalidate("other", p); n != 0 {
		t.Fatalf("invalidated %d entries of another storage", n)
	}
	if n := c.Invalidate("local", p); n == 0 {
		t.Fatal("nothing invalidated")
	}
	if st := c.Stats(); st.Entries != 0 || st.Files != 0 || st.Invalidated == 0 {
		t.Fatalf("after Invalidate: %+v", st)
	}
	before := f.Stats()
	lookups(f)
	if d := statsDelta(before, f.Stats()); d.PagesDecoded == 0 || c.Stats().Entries != 0 {
		t.Fatalf("reads after Invalidate: %+v, cache %+v", d, c.Stats())
	}
	f.Close()
	if st := c.Stats(); st.Files != 0 {
		t.Fatalf("invalidated identity kept: %+v", st)
	}
}

// A table dropped and re-created writes its files under the same names;
// what was cached for the old file must never be read for the new one,
// even when the deletion was not reported (no Invalidate).
func TestCacheTellsRewrittenFileApart(t *testing.T) {
	st := newFS(t)
	ctx := context.Background()
	sch := &systable.TableSchema{TableID: "app:t", Version: 1, Columns: []systable.ColumnSchema{
		pkCol(1, "id", dialect.TypeBigInt), col(2, "v", dialect.TypeBigInt)}}
	// The two files differ only in one value (among random ones, which do
	// not compress): the same size, a different footer (statistics).
	write := func(v int64) {
		t.Helper()
		var rows []Row
		x := uint64(88172645463325252)
		for i := range 100 {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			rows = append(rows, Row{Key: bigintKey(t, int64(i)), Seq: int64(x >> 2), Values: []any{int64(i), int64(x >> 1)}})
		}
		rows[42].Values[1] = v
		writeRows(t, st, "app/t/batch-1.parquet", sch, rows, WriteOptions{ExpectedRows: 100})
	}
	c := newTestCache(t, 1<<20)
	read := func() int64 {
		t.Helper()
		f, err := OpenFileWith(ctx, st, "app/t/batch-1.parquet", OpenOptions{Cache: c, StorageID: "local"})
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		r, found, err := f.Lookup(ctx, sch, []int{1}, bigintKey(t, 42))
		if err != nil || !found {
			t.Fatal(found, err)
		}
		return r.Values[0].(int64)
	}
	fp := filepath.Join(st.Base(), "app/t/batch-1.parquet")
	write(-7)
	if v := read(); v != -7 {
		t.Fatalf("read %d", v)
	}
	info1, err := os.Stat(fp)
	if err != nil {
		t.Fatal(err)
	}
	write(-8)
	// Same size and modification time: only the footer tells them apart.
	info2, err := os.Stat(fp)
	if err != nil {
		t.Fatal(err)
	}
	if info1.Size() != info2.Size() {
		t.Fatalf("sizes differ (%d, %d): the test needs files of one size", info1.Size(), info2.Size())
	}
	if err := os.Chtimes(fp, info1.ModTime(), info1.ModTime()); err != nil {
		t.Fatal(err)
	}
	if v := read(); v != -8 {
		t.Fatalf("read %d from the rewritten file, want -8 (a stale cached page)", v)
	}
}

// A damaged page fails its read every time; nothing of it is cached.
func TestCacheKeepsNoCorruptPage(t *testing.T) {
	st := newFS(t)
	sch := chatSchema()
	chatFile(t, st, "good.parquet", 3000)
	good, err := os.ReadFile(filepath.Join(st.Base(), "good.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	b := append([]byte(nil), good...)
	for i := len(b) / 3; i < len(b)/3+16; i++ {
		b[i] ^= 0x5a
	}
	if err := os.WriteFile(filepath.Join(st.Base(), "bad.parquet"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	c := newTestCache(t, 64<<20)
	f, err := OpenFileWith(context.Background(), st, "bad.parquet", OpenOptions{Cache: c})
	if err != nil {
		t.Fatal(err) // the footer is intact
	}
	defer f.Close()
	for range 2 {
		err := f.Scan(context.Background(), sch, nil, func(Row) error { return nil })
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("scan of a damaged file: %v", err)
		}
	}
}

// Reads stay right while their entries are evicted and invalidated under
// them, and files opened and closed (run with -race).
func TestCacheInvalidateDuringReads(t *testing.T) {
	st := newFS(t)
	sch := chatSchema()
	ctx := context.Background()
	const p, n = "app/messages/u1/batch-1.parquet", 4000
	chatFile(t, st, p, n)
	c := newTestCache(t, 256<<10)
	stop := make(chan struct{})
	invalidated := make(chan int)
	go func() {
		total := 0
		for {
			select {
			case <-stop:
				invalidated <- total
				return
			default:
				total += c.Invalidate("local", p)
			}
		}
	}()
	// Each reader opens the file for every few reads: an open after an
	// invalidation caches again, for the next invalidation to drop.
	read := func(g int) error {
		for i := g; i < n; i += 150 {
			f, err := OpenFileWith(ctx, st, p, OpenOptions{Cache: c, StorageID: "local"})
			if err != nil {
				return err
			}
			for j := i; j < i+5 && j < n; j++ {
				r, found, err := f.Lookup(ctx, sch, []int{0, 3}, bigintKey(t, int64(2*j)))
				if err != nil || !found || r.Values[0] != int64(2*j) {
					f.Close()
					return fmt.Errorf("lookup %d: %v %v %v", j, found, err, r.Values)
				}
			}
			rc, err := f.Rows(ctx, sch, []int{0}, Range{Hi: bigintKey(t, int64(2*i+1)), Reverse: true})
			if err != nil {
				f.Close()
				return err
			}
			for j := i; j > i-30 && j >= 0; j-- {
				r, ok, err := rc.Next()
				if err != nil || !ok || r.Values[0] != int64(2*j) {
					rc.Close()
					f.Close()
					return fmt.Errorf("reverse row %d: %v %v %v", j, ok, err, r.Values)
				}
			}
			rc.Close()
			if err := f.Close(); err != nil {
				return err
			}
		}
		return nil
	}
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for g := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[g] = read(g * 7)
		}()
	}
	wg.Wait()
	close(stop)
	total := <-invalidated
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	st2 := c.Stats()
	t.Logf("invalidated %d entries during the reads; %+v", total, st2)
	if st2.Bytes > st2.Budget || st2.Entries < 0 {
		t.Fatalf("cache after the reads: %+v", st2)
	}
}

// watchedCtx tells when its Done channel is asked for: a caller about to
// wait on it.
type watchedCtx struct {
	context.Context
	asked chan struct{}
	once  sync.Once
}

func (c *watchedCtx) Done() <-chan struct{} {
	c.once.Do(func() { close(c.asked) })
	return c.Context.Done()
}

// A caller waiting for another's load of an entry stops waiting when its
// own context ends, and loads the entry itself when the load it waited
// for was abandoned because the loader's context ended: one statement's
// cancellation is not another's error.
func TestCacheWaitersKeepTheirOwnContext(t *testing.T) {
	c := newTestCache(t, 1<<20)
	rec := c.open(fileIdentity{storage: "s", path: "a"})
	k := pageKey(rec, 1)
	loaderCtx, cancelLoader := context.WithCancel(context.Background())
	release := make(chan struct{})
	loaded := make(chan error, 1)
	go func() {
		_, err := c.getOrLoad(loaderCtx, rec, k, func() (any, int64, error) {
			<-release
			return nil, 0, fmt.Errorf("read: %w", loaderCtx.Err())
		})
		loaded <- err
	}()
	// The loader is in its load once the entry is loading.
	for {
		s := c.shard(k)
		s.mu.Lock()
		_, busy := s.loading[k]
		s.mu.Unlock()
		if busy {
			break
		}
		runtime.Gosched()
	}

	gone, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.getOrLoad(gone, rec, k, func() (any, int64, error) { return "x", 1, nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("waiter with an ended context: %v", err)
	}

	live := &watchedCtx{Context: context.Background(), asked: make(chan struct{})}
	got := make(chan any, 1)
	go func() {
		v, err := c.getOrLoad(live, rec, k, func() (any, int64, error) { return "v", 1, nil })
		if err != nil {
			v = err
		}
		got <- v
	}()
	<-live.asked // the waiter waits for the loader
	cancelLoader()
	close(release)
	if err := <-loaded; !errors.Is(err, context.Canceled) {
		t.Fatalf("loader: %v", err)
	}
	if v := <-got; v != "v" {
		t.Fatalf("waiter got %v after the loader's context ended, want its own load", v)
	}
}
