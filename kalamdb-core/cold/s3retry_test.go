package cold

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// sheddingS3 is an object store that answers uploads (a PUT of an object
// or of a part) with 503 Service Unavailable before reading their
// bodies, as a store shedding load does: each upload's first refuse
// tries (by object and part), or every try while always is set.
type sheddingS3 struct {
	srv     *httptest.Server
	refuse  int
	always  atomic.Bool
	mu      sync.Mutex
	tries   map[string]int // by object key and part number
	refused atomic.Int32
	// onRefuse, when set, runs as a try is refused.
	onRefuse func()
}

func newSheddingS3(t *testing.T, refuse int) *sheddingS3 {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket("shed"); err != nil {
		t.Fatal(err)
	}
	h := gofakes3.New(backend).Server()
	s := &sheddingS3{refuse: refuse, tries: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && r.Header.Get("X-Amz-Copy-Source") == "" {
			id := r.URL.Path + "#" + r.URL.Query().Get("partNumber")
			s.mu.Lock()
			s.tries[id]++
			n := s.tries[id]
			s.mu.Unlock()
			if s.always.Load() || n <= s.refuse {
				s.refused.Add(1)
				if s.onRefuse != nil {
					s.onRefuse()
				}
				// Not a byte of the body read: the client may still be
				// sending it when the answer comes.
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(http.StatusServiceUnavailable)
				fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>ServiceUnavailable</Code><Message>slow down</Message></Error>`)
				return
			}
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *sheddingS3) storage(t *testing.T, retries int) *S3 {
	t.Helper()
	st, err := NewS3(S3Options{Endpoint: strings.TrimPrefix(s.srv.URL, "http://"), Insecure: true, PathStyle: true,
		Region: "us-east-1", Bucket: "shed", AccessKeyID: fakeAccessKey, SecretAccessKey: fakeSecretKey,
		PartSize: minS3PartSize, MaxRetries: retries})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// writeS3 writes data to p of st in pieces (as a flush does), and commits.
func writeS3(ctx context.Context, st *S3, p string, data []byte) error {
	w, err := st.Create(ctx, p)
	if err != nil {
		return err
	}
	for rest := data; len(rest) > 0; {
		n := min(len(rest), 1<<20)
		if _, err := w.Write(rest[:n]); err != nil {
			_ = w.Abort()
			return err
		}
		rest = rest[n:]
	}
	return w.Commit()
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestS3UploadRetriedAfterEarlyRefusal: a store that refuses each upload
// once, answering before it read the body, gets each part and the small
// object again, whole (run with -race: a retry must not rewind or reuse
// the bytes the transport may still be sending for the refused try).
func TestS3UploadRetriedAfterEarlyRefusal(t *testing.T) {
	s := newSheddingS3(t, 1)
	st := s.storage(t, 3)
	big := randomBytes(t, 2*minS3PartSize+1<<20) // three parts
	small := randomBytes(t, 64<<10)              // one PUT
	if err := writeS3(t.Context(), st, "t/big.parquet", big); err != nil {
		t.Fatal(err)
	}
	if err := writeS3(t.Context(), st, "t/small.parquet", small); err != nil {
		t.Fatal(err)
	}
	if got := s.refused.Load(); got != 4 {
		t.Fatalf("the store refused %d tries, want one of each of the 3 parts and of the small object", got)
	}
	if !bytes.Equal(readAll(t, st, "t/big.parquet"), big) {
		t.Fatal("the multipart object differs from what was written")
	}
	if !bytes.Equal(readAll(t, st, "t/small.parquet"), small) {
		t.Fatal("the small object differs from what was written")
	}
}

// TestS3UploadRetriesBounded: a store that refuses every try of an
// upload gets MaxRetries of each, and the write fails as the store being
// unreachable, leaving nothing under the name.
func TestS3UploadRetriesBounded(t *testing.T) {
	s := newSheddingS3(t, 0)
	s.always.Store(true)
	st := s.storage(t, 3)
	err := writeS3(t.Context(), st, "t/small.parquet", randomBytes(t, 64<<10))
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("a small upload the store always refuses: %v, want ErrUnreachable", err)
	}
	if got := s.refused.Load(); got != 3 {
		t.Fatalf("the store saw %d tries, want 3 (MaxRetries)", got)
	}
	s.refused.Store(0)
	err = writeS3(t.Context(), st, "t/big.parquet", randomBytes(t, minS3PartSize+1))
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("a part the store always refuses: %v, want ErrUnreachable", err)
	}
	if got := s.refused.Load(); got != 3 {
		t.Fatalf("the store saw %d tries of the part, want 3 (MaxRetries)", got)
	}
	for _, p := range []string{"t/small.parquet", "t/big.parquet"} {
		if _, err := st.Stat(t.Context(), p); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%s after the failed upload: %v", p, err)
		}
	}
}

// TestS3UploadRetryEndsWithContext: a write whose context ends while it
// waits to try again returns the context's error, without another try.
func TestS3UploadRetryEndsWithContext(t *testing.T) {
	s := newSheddingS3(t, 0)
	s.always.Store(true)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	s.onRefuse = cancel
	st := s.storage(t, 10)
	err := writeS3(ctx, st, "t/small.parquet", randomBytes(t, 64<<10))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("a write whose context ended during its retries: %v", err)
	}
	if got := s.refused.Load(); got != 1 {
		t.Fatalf("the store saw %d tries, want 1: none after the context ended", got)
	}
}
