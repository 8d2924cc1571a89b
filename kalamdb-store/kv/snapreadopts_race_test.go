package kv

import (
	"fmt"
	"sync"
	"testing"
)

// TestSnapshotReadOptionsUnderConcurrentReuse: goroutines take, read and
// close snapshots at once, so the kept read options go from one
// goroutine's snapshot to another's; every read still answers at its own
// snapshot's point (run with -race), and a read racing its snapshot's
// Close either answers at that point or fails as closed, never at another
// snapshot's.
func TestSnapshotReadOptionsUnderConcurrentReuse(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "t")
	const workers, rounds = 8, 300
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for g := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := fmt.Appendf(nil, "k%d", g)
			for i := range rounds {
				want := fmt.Sprintf("v%d", i)
				if err := cf.Put(key, []byte(want)); err != nil {
					errs <- err
					return
				}
				s, err := db.NewSnapshot()
				if err != nil {
					errs <- err
					return
				}
				if err := cf.Put(key, []byte("later")); err != nil {
					errs <- err
					return
				}
				done := make(chan struct{})
				go func() {
					// A read racing Close.
					defer close(done)
					got, err := s.Get(cf, key)
					if err == nil && string(got) != want {
						errs <- fmt.Errorf("racing read %q, want %q", got, want)
					}
				}()
				got, err := s.Get(cf, key)
				if err != nil || string(got) != want {
					errs <- fmt.Errorf("worker %d round %d: read %q %v, want %q", g, i, got, err, want)
					return
				}
				if i%2 == 0 {
					<-done
				}
				if err := s.Close(); err != nil {
					errs <- err
					return
				}
				<-done
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := len(db.snapReadOptions.free); n > maxPooledReadOptions {
		t.Fatalf("%d read options kept, at most %d", n, maxPooledReadOptions)
	}
}
