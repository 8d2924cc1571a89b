package kv

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/linxGnu/grocksdb"
)

func openTest(t testing.TB) *DB {
	t.Helper()
	db, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func mustCF(t testing.TB, db *DB, name string) *ColumnFamily {
	t.Helper()
	cf, err := db.ColumnFamily(name)
	if err != nil {
		t.Fatalf("column family %s: %v", name, err)
	}
	return cf
}

func TestGetPutDelete(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "t")
	if _, err := cf.Get([]byte("k")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get missing: got %v, want ErrNotFound", err)
	}
	if err := cf.Put([]byte("k"), []byte("v1")); err != nil {
		t.Fatal(err)
	}
	got, err := cf.Get([]byte("k"))
	if err != nil || string(got) != "v1" {
		t.Fatalf("get: %q %v", got, err)
	}
	// The returned slice is a copy: overwriting the key must not change it.
	if err := cf.Put([]byte("k"), []byte("v2")); err != nil {
		t.Fatal(err)
	}
	if string(got) != "v1" {
		t.Fatalf("returned value aliased RocksDB memory: %q", got)
	}
	if err := cf.Delete([]byte("k")); err != nil {
		t.Fatal(err)
	}
	if _, err := cf.Get([]byte("k")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get deleted: %v", err)
	}
	if err := cf.Delete([]byte("missing")); err != nil {
		t.Fatalf("delete of a missing key must succeed: %v", err)
	}
}

func TestColumnFamiliesAreIsolated(t *testing.T) {
	db := openTest(t)
	a, b := mustCF(t, db, "a"), mustCF(t, db, "b")
	if err := a.Put([]byte("k"), []byte("in-a")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get([]byte("k")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("key leaked across families: %v", err)
	}
	again := mustCF(t, db, "a")
	if again != a {
		t.Fatal("ColumnFamily must return the existing handle")
	}
	if _, err := db.ColumnFamily("default"); !errors.Is(err, ErrInvalidName) {
		t.Fatalf("default family must not be handed out: %v", err)
	}
	if _, err := db.ColumnFamily(""); !errors.Is(err, ErrInvalidName) {
		t.Fatalf("empty name: %v", err)
	}
}

func TestReopenDiscoversFamilies(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{Sync: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"system_users", "user_table:chat:messages"} {
		cf := mustCF(t, db, name)
		if err := cf.Put([]byte("k"), []byte(name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	names := db.ColumnFamilyNames()
	if fmt.Sprint(names) != "[system_users user_table:chat:messages]" {
		t.Fatalf("families after reopen: %v", names)
	}
	cf, ok := db.LookupColumnFamily("user_table:chat:messages")
	if !ok {
		t.Fatal("family not discovered")
	}
	v, err := cf.Get([]byte("k"))
	if err != nil || string(v) != "user_table:chat:messages" {
		t.Fatalf("data after reopen: %q %v", v, err)
	}
}

func TestBatchIsAtomicAcrossFamilies(t *testing.T) {
	db := openTest(t)
	rows, counters := mustCF(t, db, "rows"), mustCF(t, db, "counters")
	var b Batch
	b.Put(rows, []byte("r1"), []byte("x"))
	b.Put(rows, []byte("r2"), []byte("y"))
	b.AddCounter(counters, []byte("c"), 2)
	if b.Len() != 3 {
		t.Fatalf("len %d", b.Len())
	}
	if err := db.Write(&b); err != nil {
		t.Fatal(err)
	}
	n, err := counters.Counter([]byte("c"))
	if err != nil || n != 2 {
		t.Fatalf("counter %d %v", n, err)
	}
	// A batch touching a dropped family fails as a whole: nothing of it lands.
	var b2 Batch
	b2.Put(rows, []byte("r3"), []byte("z"))
	b2.Put(counters, []byte("x"), []byte("z"))
	if err := db.DropColumnFamily("counters"); err != nil {
		t.Fatal(err)
	}
	if err := db.Write(&b2); !errors.Is(err, ErrDropped) {
		t.Fatalf("write to dropped family: %v", err)
	}
	if _, err := rows.Get([]byte("r3")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("partial batch applied: %v", err)
	}
}

func TestBatchMarkRollback(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "t")
	var b Batch
	b.Put(cf, []byte("a"), []byte("1"))
	m := b.Mark()
	b.Put(cf, []byte("b"), []byte("2"))
	b.Rollback(m)
	if err := db.Write(&b); err != nil {
		t.Fatal(err)
	}
	if _, err := cf.Get([]byte("b")); !errors.Is(err, ErrNotFound) {
		t.Fatal("rolled back op was written")
	}
	if _, err := cf.Get([]byte("a")); err != nil {
		t.Fatal("op before mark lost")
	}
}

func TestCountersMergeConcurrently(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "counters")
	const writers, each = 8, 200
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				var b Batch
				b.AddCounter(cf, []byte("k"), 1)
				if err := db.Write(&b); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	n, err := cf.Counter([]byte("k"))
	if err != nil || n != writers*each {
		t.Fatalf("counter %d, want %d (%v)", n, writers*each, err)
	}
	var reset Batch
	reset.SetCounter(cf, []byte("k"), 0)
	reset.AddCounter(cf, []byte("k"), -3)
	if err := db.Write(&reset); err != nil {
		t.Fatal(err)
	}
	if n, _ := cf.Counter([]byte("k")); n != -3 {
		t.Fatalf("after reset and add: %d", n)
	}
	if n, _ := cf.Counter([]byte("missing")); n != 0 {
		t.Fatalf("missing counter: %d", n)
	}
}

func fill(t testing.TB, cf *ColumnFamily, keys ...string) {
	t.Helper()
	var b Batch
	for _, k := range keys {
		b.Put(cf, []byte(k), []byte("v:"+k))
	}
	if err := cf.DB().Write(&b); err != nil {
		t.Fatal(err)
	}
}

func collect(t testing.TB, it *Iterator, forward bool) []string {
	t.Helper()
	var out []string
	ok := it.First()
	if !forward {
		ok = it.Last()
	}
	for ; ok; ok = map[bool]func() bool{true: it.Next, false: it.Prev}[forward]() {
		if !bytes.Equal(it.Value(), append([]byte("v:"), it.Key()...)) {
			t.Fatalf("value mismatch at %q", it.Key())
		}
		out = append(out, string(it.Key()))
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPrefixAndRangeIteration(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "t")
	fill(t, cf, "alice\x00a", "alice\x00b", "alice2\x00a", "bob\x00a", "al")

	it, err := cf.NewIter(PrefixOptions([]byte("alice\x00")))
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%q", collect(t, it, true)); got != `["alice\x00a" "alice\x00b"]` {
		t.Fatalf("prefix scan: %s", got)
	}
	it, _ = cf.NewIter(PrefixOptions([]byte("alice\x00")))
	if got := fmt.Sprintf("%q", collect(t, it, false)); got != `["alice\x00b" "alice\x00a"]` {
		t.Fatalf("reverse prefix scan: %s", got)
	}
	it, _ = cf.NewIter(IterOptions{LowerBound: []byte("alice2"), UpperBound: []byte("bob\x00a")})
	if got := fmt.Sprintf("%q", collect(t, it, true)); got != `["alice2\x00a"]` {
		t.Fatalf("range scan: %s", got)
	}
	it, _ = cf.NewIter(IterOptions{})
	defer it.Close()
	if !it.SeekGE([]byte("b")) || string(it.Key()) != "bob\x00a" {
		t.Fatal("SeekGE")
	}
	if !it.SeekLE([]byte("alice\x00z")) || string(it.Key()) != "alice\x00b" {
		t.Fatalf("SeekLE landed on %q", it.Key())
	}
}

func TestPrefixEnd(t *testing.T) {
	cases := map[string]string{"a": "b", "a\xff": "b", "": "", "\xff\xff": "", "ab\x00": "ab\x01"}
	for in, want := range cases {
		got := PrefixEnd([]byte(in))
		if string(got) != want || (want == "" && got != nil) {
			t.Errorf("PrefixEnd(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSnapshotIsolation(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "t")
	fill(t, cf, "a", "b")
	snap, err := db.NewSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	fill(t, cf, "c")
	if err := cf.Delete([]byte("a")); err != nil {
		t.Fatal(err)
	}
	if v, err := snap.Get(cf, []byte("a")); err != nil || string(v) != "v:a" {
		t.Fatalf("snapshot get: %q %v", v, err)
	}
	if _, err := snap.Get(cf, []byte("c")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("snapshot saw a later write: %v", err)
	}
	it, err := cf.NewIter(IterOptions{Snapshot: snap})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(collect(t, it, true)); got != "[a b]" {
		t.Fatalf("snapshot scan: %s", got)
	}
	if err := snap.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := snap.Get(cf, []byte("a")); err == nil {
		t.Fatal("closed snapshot still readable")
	}
	if _, err := cf.NewIter(IterOptions{Snapshot: snap}); err == nil {
		t.Fatal("iterator on closed snapshot")
	}
}

func TestDropColumnFamily(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cf := mustCF(t, db, "gone")
	fill(t, cf, "a")
	if err := db.DropColumnFamily("gone"); err != nil {
		t.Fatal(err)
	}
	if _, err := cf.Get([]byte("a")); !errors.Is(err, ErrDropped) {
		t.Fatalf("get on dropped family: %v", err)
	}
	if _, err := cf.NewIter(IterOptions{}); !errors.Is(err, ErrDropped) {
		t.Fatalf("iter on dropped family: %v", err)
	}
	if err := db.DropColumnFamily("gone"); err != nil {
		t.Fatalf("second drop must be a no-op: %v", err)
	}
	// Re-creating the name gives an empty family, also after reopen.
	cf2 := mustCF(t, db, "gone")
	if _, err := cf2.Get([]byte("a")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("recreated family has old data: %v", err)
	}
	db.Close()
	db, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cf3, ok := db.LookupColumnFamily("gone")
	if !ok {
		t.Fatal("recreated family lost on reopen")
	}
	if _, err := cf3.Get([]byte("a")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("dropped data resurrected: %v", err)
	}
}

// TestFailedDropKeepsTheFamily: a drop RocksDB refuses leaves the family
// there (RocksDB still has it). Forgotten by the DB, it could neither be
// dropped again (a no-op) nor created (RocksDB: "already exists") until a
// restart, so a table dropped, then created again under its name, could
// not be. The failed drop must change nothing: the family is still known,
// open and holds its data, and a retry drops it.
func TestFailedDropKeepsTheFamily(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "t")
	fill(t, cf, "a")
	errDisk := errors.New("disk full")
	db.dropFamily = func(*grocksdb.ColumnFamilyHandle) error { return errDisk }
	if err := db.DropColumnFamily("t"); !errors.Is(err, errDisk) {
		t.Fatalf("failed drop: %v, want %v", err, errDisk)
	}
	if got, ok := db.LookupColumnFamily("t"); !ok || got != cf {
		t.Fatalf("after a failed drop the DB has %v, %v, want the family", got, ok)
	}
	if got, err := db.ColumnFamily("t"); err != nil || got != cf {
		t.Fatalf("create after a failed drop: %v, %v, want the family", got, err)
	}
	if names := db.ColumnFamilyNames(); !slices.Contains(names, "t") {
		t.Fatalf("families %v", names)
	}
	if v, err := cf.Get([]byte("a")); err != nil || string(v) != "v:a" {
		t.Fatalf("the family's data after a failed drop: %q, %v", v, err)
	}
	fill(t, cf, "b") // still writable through the handle callers hold

	db.dropFamily = nil
	if err := db.DropColumnFamily("t"); err != nil {
		t.Fatalf("drop again: %v", err)
	}
	if _, err := cf.Get([]byte("a")); !errors.Is(err, ErrDropped) {
		t.Fatalf("get after the retried drop: %v", err)
	}
	again := mustCF(t, db, "t")
	if _, err := again.Get([]byte("a")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("created again after the drop: %v, want empty", err)
	}
}

func TestDropWaitsForOpenIterator(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "t")
	fill(t, cf, "a", "b")
	it, err := cf.NewIter(IterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dropped := make(chan error, 1)
	go func() { dropped <- db.DropColumnFamily("t") }()
	// The iterator stays readable until it is closed, whatever Drop does.
	var keys []string
	for ok := it.First(); ok; ok = it.Next() {
		keys = append(keys, string(it.Key()))
	}
	if fmt.Sprint(keys) != "[a b]" {
		t.Fatalf("iterator during drop: %v", keys)
	}
	select {
	case err := <-dropped:
		t.Fatalf("drop returned (%v) while an iterator was open", err)
	default:
	}
	it.Close()
	if err := <-dropped; err != nil {
		t.Fatal(err)
	}
}

func TestClosedDB(t *testing.T) {
	db, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	cf := mustCF(t, db, "t")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if _, err := cf.Get([]byte("a")); !errors.Is(err, ErrClosed) {
		t.Fatalf("get after close: %v", err)
	}
	if err := cf.Put([]byte("a"), nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("put after close: %v", err)
	}
	if _, err := db.ColumnFamily("x"); !errors.Is(err, ErrClosed) {
		t.Fatalf("create after close: %v", err)
	}
	if _, err := db.NewSnapshot(); !errors.Is(err, ErrClosed) {
		t.Fatalf("snapshot after close: %v", err)
	}
}

func TestConcurrentReadersWriters(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "t")
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if err := cf.Put(fmt.Appendf(nil, "w%d-%04d", w, i), []byte("v")); err != nil {
					t.Error(err)
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				it, err := cf.NewIter(IterOptions{})
				if err != nil {
					t.Error(err)
					return
				}
				prev := []byte(nil)
				for ok := it.First(); ok; ok = it.Next() {
					if prev != nil && bytes.Compare(prev, it.Key()) >= 0 {
						t.Error("keys out of order")
					}
					prev = append(prev[:0], it.Key()...)
				}
				it.Close()
			}
		}()
	}
	wg.Wait()
	it, _ := cf.NewIter(IterOptions{})
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		n++
	}
	it.Close()
	if n != 800 {
		t.Fatalf("rows: %d", n)
	}
}

func TestBatchEncodingAllOperations(t *testing.T) {
	db := openTest(t)
	a, c := mustCF(t, db, "a"), mustCF(t, db, "c")
	fill(t, a, "k1", "k2", "k3", "k4")
	var b Batch
	b.Put(a, []byte("new"), make([]byte, 300)) // a value longer than one varint byte
	b.Delete(a, []byte("k1"))
	b.DeleteRange(a, []byte("k2"), []byte("k4"))
	b.AddCounter(c, []byte("n"), 5)
	b.AddCounter(c, []byte("n"), 2)
	b.Put(a, []byte{}, []byte("empty key"))
	if err := db.Write(&b); err != nil {
		t.Fatal(err)
	}
	it, _ := a.NewIter(IterOptions{})
	var keys []string
	for ok := it.First(); ok; ok = it.Next() {
		keys = append(keys, fmt.Sprintf("%q:%d", it.Key(), len(it.Value())))
	}
	it.Close()
	if got := fmt.Sprint(keys); got != `["":9 "k4":4 "new":300]` {
		t.Fatalf("after batch: %s", got)
	}
	if n, _ := c.Counter([]byte("n")); n != 7 {
		t.Fatalf("counter %d", n)
	}
}

// TestOnCommit: a family's commit hooks run after every batch that wrote
// to it has been applied (the write is visible to them), once per batch
// however many operations it held, and not for other families, failed
// writes or removed hooks.
func TestOnCommit(t *testing.T) {
	db := openTest(t)
	a, b := mustCF(t, db, "a"), mustCF(t, db, "b")
	var seen []string
	removeA := a.OnCommit(func() {
		v, err := a.Get([]byte("k"))
		seen = append(seen, fmt.Sprintf("a:%s:%v", v, err))
	})
	b.OnCommit(func() { seen = append(seen, "b") })
	if err := a.Put([]byte("k"), []byte("1")); err != nil {
		t.Fatal(err)
	}
	var batch Batch
	batch.Put(a, []byte("k"), []byte("2"))
	batch.Put(a, []byte("x"), []byte("x"))
	batch.Delete(b, []byte("y"))
	if err := db.Write(&batch); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(seen); got != "[a:1:<nil> a:2:<nil> b]" {
		t.Fatalf("hooks ran: %s", got)
	}
	removeA()
	removeA() // idempotent
	seen = nil
	if err := a.Put([]byte("k"), []byte("3")); err != nil {
		t.Fatal(err)
	}
	if err := db.DropColumnFamily("b"); err != nil {
		t.Fatal(err)
	}
	if err := b.Put([]byte("k"), []byte("v")); !errors.Is(err, ErrDropped) {
		t.Fatalf("write to a dropped family: %v", err)
	}
	if len(seen) != 0 {
		t.Fatalf("hooks ran after removal or for a failed write: %v", seen)
	}
}

// TestCompactRangeDropsDeletedVersions: after a range deletion the deleted
// versions stay in the memtable, where iterators step over them;
// CompactRange removes them.
func TestCompactRangeDropsDeletedVersions(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "t")
	var b Batch
	for i := 0; i < 2000; i++ {
		b.Put(cf, []byte(fmt.Sprintf("k%05d", i)), []byte("value"))
	}
	if err := db.Write(&b); err != nil {
		t.Fatal(err)
	}
	b.Reset()
	b.DeleteRange(cf, []byte("k"), []byte("l"))
	if err := db.Write(&b); err != nil {
		t.Fatal(err)
	}
	entries := func() string {
		return db.db.GetPropertyCF("rocksdb.num-entries-active-mem-table", cf.h) + " in the memtable, " +
			db.db.GetPropertyCF("rocksdb.estimate-num-keys", cf.h) + " estimated"
	}
	if got := db.db.GetPropertyCF("rocksdb.num-entries-active-mem-table", cf.h); got == "0" {
		t.Fatalf("before: %s", entries())
	}
	if err := cf.CompactRange(nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := entries(); got != "0 in the memtable, 0 estimated" {
		t.Fatalf("after CompactRange: %s", got)
	}
	it, err := cf.NewIter(IterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	if it.Last() || it.First() {
		t.Fatal("deleted keys are visible")
	}
}

// TestIteratorBuffersAreRecycledSafely: long scans reuse the largest
// read-ahead buffers of closed iterators; every scan still reads exactly
// what is stored, whichever buffer it gets.
func TestIteratorBuffersAreRecycledSafely(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "t")
	var b Batch
	val := func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, 100+i%200) }
	const n = 4000 // ~800 KB: read-ahead grows to its largest buffer
	for i := 0; i < n; i++ {
		b.Put(cf, []byte(fmt.Sprintf("k%05d", i)), val(i))
	}
	if err := db.Write(&b); err != nil {
		t.Fatal(err)
	}
	scan := func(reverse bool) {
		it, err := cf.NewIter(IterOptions{})
		if err != nil {
			t.Error(err)
			return
		}
		defer it.Close()
		i, ok, step := 0, it.First(), it.Next
		if reverse {
			i, ok, step = n-1, it.Last(), it.Prev
		}
		for ; ok; ok = step() {
			if string(it.Key()) != fmt.Sprintf("k%05d", i) || !bytes.Equal(it.Value(), val(i)) {
				t.Errorf("entry %d: %q", i, it.Key())
				return
			}
			if reverse {
				i--
			} else {
				i++
			}
		}
		if (!reverse && i != n) || (reverse && i != -1) {
			t.Errorf("scan stopped at %d", i)
		}
	}
	for round := 0; round < 3; round++ {
		scan(false)
		scan(true)
	}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			scan(w%2 == 0)
		}(w)
	}
	wg.Wait()
}
