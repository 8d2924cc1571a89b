package cold

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// stallingS3 is an object store whose ranged GETs, once armed, hang
// until released or until the client gives up on them: a store that
// accepted a request and does not answer.
type stallingS3 struct {
	srv     *httptest.Server
	mu      sync.Mutex
	armed   bool
	release chan struct{}
	arrived chan struct{} // a stalled GET arrived (one token per GET)
	aborted chan struct{} // a stalled GET was given up by the client
}

func newStallingS3(t *testing.T) *stallingS3 {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket("stall"); err != nil {
		t.Fatal(err)
	}
	h := gofakes3.New(backend).Server()
	s := &stallingS3{release: make(chan struct{}), arrived: make(chan struct{}, 64), aborted: make(chan struct{}, 64)}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		armed := s.armed
		s.mu.Unlock()
		if armed && r.Method == http.MethodGet && r.Header.Get("Range") != "" {
			s.arrived <- struct{}{}
			select {
			case <-s.release:
			case <-r.Context().Done():
				s.aborted <- struct{}{}
				return
			}
		}
		h.ServeHTTP(w, r)
	}))
	return s
}

func (s *stallingS3) arm() {
	s.mu.Lock()
	s.armed = true
	s.mu.Unlock()
}

func (s *stallingS3) storage(t *testing.T, cache *RangeCache) *S3 {
	t.Helper()
	st, err := NewS3(S3Options{Endpoint: strings.TrimPrefix(s.srv.URL, "http://"), Insecure: true, PathStyle: true,
		Region: "us-east-1", Bucket: "stall", AccessKeyID: fakeAccessKey, SecretAccessKey: fakeSecretKey,
		PartSize: minS3PartSize, MaxRetries: 1, Cache: cache, CacheID: "stall"})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// wait receives from ch, failing the test if nothing comes in a long
// while (a hang, not a slow machine).
func wait(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(time.Minute):
		t.Fatalf("no %s", what)
	}
}

// noLeak waits for the goroutine count to come back to before, with a
// generous overall deadline.
func noLeak(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// deadlineCtx is a context whose deadline the test decides: Stop ends it
// with context.DeadlineExceeded, as a statement timeout does.
type deadlineCtx struct {
	context.Context
	done chan struct{}
	once sync.Once
}

func newDeadlineCtx() *deadlineCtx {
	return &deadlineCtx{Context: context.Background(), done: make(chan struct{})}
}

func (c *deadlineCtx) Done() <-chan struct{} { return c.done }
func (c *deadlineCtx) Stop()                 { c.once.Do(func() { close(c.done) }) }
func (c *deadlineCtx) Err() error {
	select {
	case <-c.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

// A cold read from S3 carries its statement's context to the store: when
// the context ends while a GET hangs, the read returns at once with the
// context's error (a deadline is the reader's, not the store being
// unreachable), the GET is abandoned, the range cache keeps nothing of
// it, and the same read succeeds afterwards.
func TestS3ReadEndsWithItsContext(t *testing.T) {
	for _, tc := range []struct {
		name string
		read func(ctx context.Context, f *File) error
	}{
		{"lookup", func(ctx context.Context, f *File) error {
			_, found, err := f.Lookup(ctx, chatSchema(), nil, bigintKey(t, 0))
			if err == nil && !found {
				err = errors.New("row 0 not found")
			}
			return err
		}},
		{"scan", func(ctx context.Context, f *File) error {
			n := 0
			err := f.ScanRows(ctx, chatSchema(), nil, Range{}, func(Row) error { n++; return nil })
			if err == nil && n != 20000 {
				err = errors.New("scan missed rows")
			}
			return err
		}},
	} {
		for _, deadline := range []bool{false, true} {
			name := tc.name + "/cancel"
			if deadline {
				name = tc.name + "/deadline"
			}
			t.Run(name, func(t *testing.T) {
				before := runtime.NumGoroutine()
				srv := newStallingS3(t)
				cache := NewRangeCache(64 << 20)
				st := srv.storage(t, cache)
				if _, err := WriteFile(context.Background(), st, "p.parquet", chatSchema(), chatSource(t, 20000), WriteOptions{}); err != nil {
					t.Fatal(err)
				}
				pages, err := NewCache(CacheOptions{})
				if err != nil {
					t.Fatal(err)
				}
				f, err := OpenFileWith(context.Background(), st, "p.parquet", OpenOptions{Cache: pages, StorageID: "stall"})
				if err != nil {
					t.Fatal(err)
				}
				cached := cache.Stats().Bytes
				srv.arm()

				var ctx context.Context
				var stop func()
				if deadline {
					dc := newDeadlineCtx()
					ctx, stop = dc, dc.Stop
				} else {
					ctx, stop = context.WithCancel(context.Background())
				}
				done := make(chan error, 1)
				go func() { done <- tc.read(ctx, f) }()
				wait(t, srv.arrived, "GET reached the store")
				stop()
				var rerr error
				select {
				case rerr = <-done:
				case <-time.After(time.Minute):
					t.Fatal("the read did not return when its context ended")
				}
				want := context.Canceled
				if deadline {
					want = context.DeadlineExceeded
				}
				if !errors.Is(rerr, want) || errors.Is(rerr, ErrUnreachable) || errors.Is(rerr, ErrCorrupt) {
					t.Fatalf("read error %v, want %v alone", rerr, want)
				}
				wait(t, srv.aborted, "abandoned GET")
				if got := cache.Stats().Bytes; got != cached {
					t.Fatalf("range cache holds %d bytes after the failed read, %d before", got, cached)
				}

				// Nothing of the failed read stays: the same read, with a
				// live context, gets the data once the store answers.
				close(srv.release)
				if err := tc.read(context.Background(), f); err != nil {
					t.Fatalf("read after the cancelled one: %v", err)
				}
				if err := f.Close(); err != nil {
					t.Fatal(err)
				}
				_ = st.Close()
				srv.srv.Close()
				noLeak(t, before)
			})
		}
	}
}
