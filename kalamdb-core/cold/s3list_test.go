package cold

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// listingS3 is an object store that counts its listing requests and,
// once stallFrom is set, holds the listing requests from that one on
// until the client gives up on them.
type listingS3 struct {
	srv       *httptest.Server
	lists     atomic.Int64
	stallFrom atomic.Int64
	// delay slows every listing request by that many nanoseconds.
	delay atomic.Int64
}

func newListingS3(t *testing.T) *listingS3 {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket("pages"); err != nil {
		t.Fatal(err)
	}
	h := gofakes3.New(backend).Server()
	l := &listingS3{}
	l.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "2" {
			time.Sleep(time.Duration(l.delay.Load()))
			if n := l.lists.Add(1); l.stallFrom.Load() > 0 && n >= l.stallFrom.Load() {
				<-r.Context().Done()
				return
			}
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(l.srv.Close)
	return l
}

func (l *listingS3) storage(t *testing.T, timeout time.Duration) *S3 {
	t.Helper()
	st, err := NewS3(S3Options{Endpoint: strings.TrimPrefix(l.srv.URL, "http://"), Insecure: true, PathStyle: true,
		Region: "us-east-1", Bucket: "pages", Prefix: "base", AccessKeyID: fakeAccessKey, SecretAccessKey: fakeSecretKey,
		MaxRetries: 1, ListPageSize: 2, RequestTimeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// listKeys lists dir of st after after with ListEach.
func listKeys(t *testing.T, ctx context.Context, st Storage, dir, after string) []string {
	t.Helper()
	var keys []string
	if err := ListEach(ctx, st, dir, after, func(e Entry) error {
		keys = append(keys, ListKey(e))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestS3ListIsPaged: a listing asks for ListPageSize keys a request and
// goes on with the continuation token to the end; ListEach resumes
// after a key (one of a directory too, which S3 hands back when the
// start is within it), stops when its function says so, and hands out
// no entry, nor asks for further pages, once its context ends.
func TestS3ListIsPaged(t *testing.T) {
	l := newListingS3(t)
	st := l.storage(t, 0)
	ctx := context.Background()
	for _, p := range []string{"d/a", "d/b", "d/c", "d/u1/x", "d/u1/y", "d/u1-x", "d/u2/x", "d/u3/y", "other/z"} {
		put(t, st, p, []byte(p))
	}
	all := []string{"a", "b", "c", "u1-x", "u1/", "u2/", "u3/"} // S3's key order
	l.lists.Store(0)
	ents, err := st.List(ctx, "d")
	if err != nil || len(ents) != len(all) {
		t.Fatalf("List: %v, %v", ents, err)
	}
	if n := l.lists.Load(); n < 4 { // 7 keys, 2 a page
		t.Fatalf("the listing of 7 keys took %d requests, want pages of 2", n)
	}
	for _, tc := range []struct {
		after string
		want  []string
	}{
		{"", all},
		{"b", all[2:]},
		{"u1/", all[5:]},
		{"u1-x", all[4:]},
		{"u3/", nil},
		{"zz", nil},
	} {
		if got := listKeys(t, ctx, st, "d", tc.after); strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("after %q: %v, want %v", tc.after, got, tc.want)
		}
	}
	if got := listKeys(t, ctx, st, "missing", ""); len(got) != 0 {
		t.Fatalf("a missing directory lists %v", got)
	}

	stop := errors.New("enough")
	l.lists.Store(0)
	seen := 0
	if err := st.ListEach(ctx, "d", "", func(Entry) error {
		if seen++; seen == 3 {
			return stop
		}
		return nil
	}); !errors.Is(err, stop) || seen != 3 {
		t.Fatalf("stopped listing: %v after %d entries", err, seen)
	}
	// Files wait for the page after theirs (a directory of their page
	// could sort before them): three files of pages of 2 take 3 pages,
	// and the client may have asked for one more meanwhile (it fetches
	// the next page while the caller handles one).
	if n := l.lists.Load(); n < 3 || n > 4 {
		t.Fatalf("three entries took %d pages, want 3 (4 with the client's read-ahead)", n)
	}

	// A cancelled listing stops: of a directory of 40 pages, one
	// cancelled at its first entry reads a few. (The 7 keys above were too
	// few to tell: the client fetches the next page while the caller
	// handles one, and a file waits for the page after its own, so under
	// load its read-ahead reached the 4th and last page, and the bound of
	// 3 failed a CI run.)
	for i := range 80 {
		put(t, st, fmt.Sprintf("big/k%02d", i), []byte("x"))
	}
	cctx, cancel := context.WithCancel(ctx)
	l.lists.Store(0)
	seen = 0
	err = st.ListEach(cctx, "big", "", func(Entry) error {
		seen++
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) || seen != 1 {
		t.Fatalf("cancelled listing: %v after %d entries", err, seen)
	}
	if n := l.lists.Load(); n > 8 {
		t.Fatalf("a listing of 40 pages cancelled at its first entry asked for %d pages", n)
	}
}

// TestS3ListTimeoutIsPerPage: the request timeout bounds each page, not
// the listing: one that takes many timeouts in all, the caller working
// between pages or the store slow to answer each, ends; a page the store does not send fails it as
// unreachable.
func TestS3ListTimeoutIsPerPage(t *testing.T) {
	l := newListingS3(t)
	const timeout = 500 * time.Millisecond
	st := l.storage(t, timeout)
	ctx := context.Background()
	for _, p := range []string{"d/a", "d/b", "d/c", "d/d", "d/e", "d/f"} {
		put(t, st, p, []byte(p))
	}
	start := time.Now()
	seen := 0
	if err := st.ListEach(ctx, "d", "", func(Entry) error {
		seen++
		time.Sleep(timeout / 2)
		return nil
	}); err != nil || seen != 6 {
		t.Fatalf("slow listing: %v after %d entries", err, seen)
	}
	if el := time.Since(start); el < 2*timeout {
		t.Fatalf("the listing took %v, under the two timeouts this test needs", el)
	}
	// A store slow to send each page: List takes three timeouts in all.
	l.delay.Store(int64(timeout / 2))
	if ents, err := st.List(ctx, "d"); err != nil || len(ents) != 6 {
		t.Fatalf("List from a slow store: %v, %v", ents, err)
	}
	l.delay.Store(0)
	l.lists.Store(0)
	l.stallFrom.Store(2)
	seen = 0
	err := st.ListEach(ctx, "d", "", func(Entry) error { seen++; return nil })
	// The first page's files wait for the second (ListEach): none is seen.
	if !errors.Is(err, ErrUnreachable) || seen != 0 {
		t.Fatalf("listing with a stalled second page: %v after %d entries", err, seen)
	}
}

// TestListEachOfAFilesystem: a storage that lists a directory whole is
// listed in the order an object store's keys have (a directory's name
// with a trailing "/"), so a walk resumes after a ListKey alike on both.
func TestListEachOfAFilesystem(t *testing.T) {
	st, err := NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, p := range []string{"d/a", "d/u1/x", "d/u1-x", "d/u2/x"} {
		put(t, st, p, []byte(p))
	}
	for _, tc := range []struct {
		after string
		want  string
	}{
		{"", "a,u1-x,u1/,u2/"},
		{"u1-x", "u1/,u2/"},
		{"u1/", "u2/"},
	} {
		if got := strings.Join(listKeys(t, ctx, st, "d", tc.after), ","); got != tc.want {
			t.Errorf("after %q: %s, want %s", tc.after, got, tc.want)
		}
	}
	if got := listKeys(t, ctx, st, "missing", ""); len(got) != 0 {
		t.Fatalf("a missing directory lists %v", got)
	}
}
