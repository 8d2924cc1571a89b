package cold

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestS3ListEachOrderWithFilesAndDirsInOnePage: ListEach promises its
// entries in ListKey order, the order a walk resumes in (the drop's
// cleanup records the ListKey of the last entry it finished and the next
// run starts after it). A page holding both files and directories must
// not hand out its files first: the minio client yields a page's objects
// before its common prefixes, so a resume key taken after a file can lie
// beyond a directory not yet visited, which the next run then skips.
func TestS3ListEachOrderWithFilesAndDirsInOnePage(t *testing.T) {
	l := newListingS3(t)
	st := l.storage(t, 0) // pages of 2 keys
	ctx := context.Background()
	for _, p := range []string{"d/a/x", "d/b", "d/c/x", "d/e", "d/f/x"} {
		put(t, st, p, []byte(p))
	}
	want := "a/,b,c/,e,f/"
	if got := strings.Join(listKeys(t, ctx, st, "d", ""), ","); got != want {
		t.Fatalf("ListEach order %s, want %s (ListKey order)", got, want)
	}
	if got := strings.Join(listKeys(t, ctx, st, "d", "b"), ","); got != "c/,e,f/" {
		t.Fatalf("ListEach after b: %s, want c/,e,f/", got)
	}
}

// TestS3ListEachOrderOfMixedDirectories: files and directories mixed
// every way across pages of 2 list in ListKey order, from the start and
// resumed after each key.
func TestS3ListEachOrderOfMixedDirectories(t *testing.T) {
	l := newListingS3(t)
	st := l.storage(t, 0)
	ctx := context.Background()
	var want []string
	for i, n := range []string{"a", "a-", "a0", "b", "b_", "c", "c.", "d", "e", "e~", "f", "g"} {
		if i%3 == 1 {
			put(t, st, "d/"+n, []byte(n))
			want = append(want, n)
			continue
		}
		for j := range i%2 + 1 { // directories of one object and of two
			put(t, st, fmt.Sprintf("d/%s/x%d", n, j), []byte(n))
		}
		want = append(want, n+"/")
	}
	slices.Sort(want)
	for i := -1; i < len(want); i++ {
		after := ""
		if i >= 0 {
			after = want[i]
		}
		if got := listKeys(t, ctx, st, "d", after); strings.Join(got, ",") != strings.Join(want[i+1:], ",") {
			t.Errorf("after %q: %v, want %v", after, got, want[i+1:])
		}
	}
}

// TestS3ListEachStoppedEarlyLeavesNoGoroutine: a walk stops a listing
// early at every bound of a bounded cleanup run (and at KILL JOB). The
// minio client's listing goroutine, finding the context ended while it
// waits to hand over an entry, sends the error into its channel of one,
// which is full: unless the channel is drained, it waits there for ever,
// and every early stop leaks a goroutine.
func TestS3ListEachStoppedEarlyLeavesNoGoroutine(t *testing.T) {
	l := newListingS3(t)
	st := l.storage(t, 0)
	ctx := context.Background()
	for _, p := range []string{"d/a", "d/b", "d/c", "d/d", "d/e"} {
		put(t, st, p, []byte(p))
	}
	stop := errors.New("enough")
	for range 20 {
		if err := st.ListEach(ctx, "d", "", func(e Entry) error {
			// Let the client fill its channel and wait to send the next
			// (a bounded wait: the stop is early either way).
			for i := 0; i < 500 && !listerWaiting(); i++ {
				time.Sleep(time.Millisecond)
			}
			return stop
		}); !errors.Is(err, stop) {
			t.Fatal(err)
		}
	}
	// The goroutines end soon after the listing returns; leaked ones never do.
	for i := 0; strings.Contains(goroutines(), "(*Client).ListObjects.func1"); i++ {
		if i == 1000 {
			t.Fatalf("listing goroutines left after the listings stopped:\n%s", goroutines())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestS3StatOfADirectoryLeavesNoGoroutine: Stat, Open and RemoveDir ask
// whether a path is a directory by listing one key under it and stopping
// there. Under a directory of more than two objects the client's listing
// goroutine has the next entry waiting in its channel of one when the
// listing is given up, and, unless the channel is drained, waits for ever
// to send the error after it: a goroutine leaked per Stat of a directory.
func TestS3StatOfADirectoryLeavesNoGoroutine(t *testing.T) {
	l := newListingS3(t)
	st := l.storage(t, 0)
	ctx := context.Background()
	for i := range 6 {
		put(t, st, fmt.Sprintf("d/x%d", i), []byte("x"))
	}
	// Whether the next entry is in the channel when the caller gives up
	// is a race with the client's next page; many callers at once lose
	// it often enough to show a leak in a run of the test.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for range 25 {
				if e, err := st.Stat(ctx, "d"); err != nil || !e.IsDir {
					errs <- fmt.Errorf("Stat(d) = %+v, %v; want a directory", e, err)
					return
				}
				if err := st.RemoveDir(ctx, "d"); !errors.Is(err, ErrDirNotEmpty) {
					errs <- fmt.Errorf("RemoveDir(d) = %v, want ErrDirNotEmpty", err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// The goroutines end soon after the listing returns; leaked ones never do.
	for i := 0; strings.Contains(goroutines(), "(*Client).ListObjects.func1"); i++ {
		if i == 1000 {
			t.Fatalf("listing goroutines left after Stat of a directory:\n%s", goroutines())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// listerWaiting reports whether a client's listing goroutine waits to
// hand over an entry.
func listerWaiting() bool {
	for _, g := range strings.Split(goroutines(), "\n\n") {
		if strings.Contains(g, "(*Client).ListObjects.func1") && strings.Contains(strings.SplitN(g, "\n", 2)[0], "[select") {
			return true
		}
	}
	return false
}

func goroutines() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}
