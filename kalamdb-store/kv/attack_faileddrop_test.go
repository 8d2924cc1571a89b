package kv

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/linxGnu/grocksdb"
)

// TestFailedDropsUnderLoad: readers, writers, iterators and lookups run
// on a family while drops RocksDB refuses come and go, then one that
// succeeds, then the DB closes. Every operation either works or reports
// ErrDropped; between failed drops the family keeps what was written; the
// family is known again after each failed drop; and closing the DB with
// the family (reopened by a failed drop, or dropped) frees every handle
// (Debian's RocksDB asserts on a family handle alive at close).
func TestFailedDropsUnderLoad(t *testing.T) {
	db, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	cf := mustCF(t, db, "t")
	fill(t, cf, "seed")
	errRefused := errors.New("refused")
	var refuse atomic.Bool
	refuse.Store(true)
	db.dropFamily = func(h *grocksdb.ColumnFamilyHandle) error {
		if refuse.Load() {
			return errRefused
		}
		return db.db.DropColumnFamily(h)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var bad atomic.Value
	fail := func(err error) { bad.CompareAndSwap(nil, err) }
	ok := func(err error) bool { return err == nil || errors.Is(err, ErrDropped) || errors.Is(err, ErrNotFound) }
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := []byte(fmt.Sprintf("k%d-%d", g, i%50))
				if err := cf.Put(k, k); !ok(err) {
					fail(err)
				}
				if _, err := cf.Get([]byte("seed")); !ok(err) {
					fail(err)
				}
				it, err := cf.NewIter(IterOptions{})
				if err != nil {
					if !ok(err) {
						fail(err)
					}
				} else {
					for n, more := 0, it.First(); n < 5 && more; n++ {
						more = it.Next()
					}
					it.Close()
				}
				if got, found := db.LookupColumnFamily("t"); found && got != cf {
					fail(fmt.Errorf("lookup found another family"))
				}
			}
		}(g)
	}
	for i := 0; i < 200; i++ {
		if err := db.DropColumnFamily("t"); !errors.Is(err, errRefused) {
			t.Fatalf("drop %d: %v", i, err)
		}
		if got, found := db.LookupColumnFamily("t"); !found || got != cf {
			t.Fatalf("after failed drop %d: %v %v", i, got, found)
		}
		if v, err := cf.Get([]byte("seed")); err != nil && !errors.Is(err, ErrDropped) || err == nil && string(v) != "v:seed" {
			t.Fatalf("after failed drop %d: %q %v", i, v, err)
		}
	}
	refuse.Store(false)
	if err := db.DropColumnFamily("t"); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	if err, _ := bad.Load().(error); err != nil {
		t.Fatal(err)
	}
	if _, err := cf.Get([]byte("seed")); !errors.Is(err, ErrDropped) {
		t.Fatalf("after the drop: %v", err)
	}
	// Refused once more on a new family, then the DB closes with it open.
	refuse.Store(true)
	cf2 := mustCF(t, db, "t")
	if err := db.DropColumnFamily("t"); !errors.Is(err, errRefused) {
		t.Fatal(err)
	}
	fill(t, cf2, "x")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := cf2.Get([]byte("x")); err == nil {
		t.Fatal("a family read after the DB closed")
	}
}

// TestDropDuringARefusedDropDoesNotReportSuccess: a drop of a family
// whose drop is already under way must not report success before that
// drop has succeeded. It returned nil at once (the family was no longer
// in the map); the first drop, refused by RocksDB, then put the family
// back with its data, so the caller, told the family was gone, got the
// old rows from ColumnFamily of the name (a table created again under a
// dropped table's name would have read the dropped table's hot rows).
func TestDropDuringARefusedDropDoesNotReportSuccess(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "t")
	fill(t, cf, "old")
	entered, release := make(chan struct{}), make(chan struct{})
	errRefused := errors.New("refused")
	db.dropFamily = func(*grocksdb.ColumnFamilyHandle) error {
		close(entered)
		<-release
		return errRefused
	}
	first := make(chan error, 1)
	go func() { first <- db.DropColumnFamily("t") }()
	<-entered
	// The second drop, while the first is in RocksDB, waits for it: the
	// first is released once the second waits (or has returned).
	db.dropWaits = func(string) { close(release) }
	secondErr := db.DropColumnFamily("t")
	select {
	case <-release:
	default:
		close(release)
	}
	if err := <-first; !errors.Is(err, errRefused) {
		t.Fatalf("first drop: %v", err)
	}
	if secondErr != nil && !errors.Is(secondErr, errRefused) {
		t.Fatalf("second drop: %v, want the first's outcome (%v)", secondErr, errRefused)
	}
	if secondErr == nil {
		again, err := db.ColumnFamily("t")
		if err != nil {
			t.Fatal(err)
		}
		if v, err := again.Get([]byte("old")); err == nil {
			t.Fatalf("the second drop reported success, yet the family holds %q", v)
		}
	}
}
