package cold

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"go.uber.org/goleak"
)

// The S3 tests run against gofakes3, a real S3 protocol server (in
// memory), on a loopback port: one server for the package, a bucket per
// test.

const (
	fakeAccessKey = "kalam-test-key"
	fakeSecretKey = "kalam-test-secret"
)

// fakeS3 is the shared object store of the package's tests.
type fakeS3 struct {
	srv     *httptest.Server
	backend *s3mem.Backend
	buckets atomic.Int64
	// down makes every request fail with 503 (an unreachable store).
	down atomic.Bool
	// gets counts GET requests for objects.
	gets atomic.Int64
}

var (
	fakeOnce sync.Once
	fake     *fakeS3
)

// TestMain closes the shared fake store, then fails the package's tests
// when any of them left a goroutine running.
func TestMain(m *testing.M) {
	code := m.Run()
	if fake != nil {
		fake.srv.Close()
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goroutines left running after the tests: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

func sharedFakeS3() *fakeS3 {
	fakeOnce.Do(func() {
		f := &fakeS3{backend: s3mem.New()}
		faker := gofakes3.New(f.backend)
		h := faker.Server()
		f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if f.down.Load() {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			// gofakes3 does not check credentials; a real store refuses an
			// unknown access key, which the tests of wrong credentials need.
			auth := r.Header.Get("Authorization")
			if _, rest, ok := strings.Cut(auth, "Credential="); !ok || !strings.HasPrefix(rest, fakeAccessKey+"/") {
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(http.StatusForbidden)
				fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidAccessKeyId</Code><Message>The access key id does not exist.</Message></Error>`)
				return
			}
			if r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "" && strings.Count(strings.Trim(r.URL.Path, "/"), "/") >= 1 &&
				!r.URL.Query().Has("uploads") && !r.URL.Query().Has("uploadId") {
				f.gets.Add(1)
			}
			h.ServeHTTP(w, r)
		}))
		fake = f
	})
	return fake
}

// newBucket makes a fresh bucket on the shared store.
func (f *fakeS3) newBucket(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("bucket-%d", f.buckets.Add(1))
	if err := f.backend.CreateBucket(name); err != nil {
		t.Fatal(err)
	}
	return name
}

func (f *fakeS3) options(bucket, prefix string) S3Options {
	return S3Options{Endpoint: strings.TrimPrefix(f.srv.URL, "http://"), Insecure: true, PathStyle: true, Region: "us-east-1",
		Bucket: bucket, Prefix: prefix, AccessKeyID: fakeAccessKey, SecretAccessKey: fakeSecretKey, PartSize: minS3PartSize, MaxRetries: 1}
}

// newS3 returns an S3 storage on a fresh bucket of the shared store.
func newS3(t testing.TB, mutate ...func(*S3Options)) *S3 {
	t.Helper()
	f := sharedFakeS3()
	o := f.options(f.newBucket(t), "base/dir")
	for _, m := range mutate {
		m(&o)
	}
	st, err := NewS3(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}
