package e2e_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
)

// The s3 storage tests run the server against gofakes3, a real S3
// protocol server (in memory), on a loopback port: one for the package,
// a bucket per test.

const (
	s3AccessKey = "e2e-access-key"
	s3SecretKey = "e2e-secret-key-do-not-leak"
)

type fakeS3 struct {
	srv     *httptest.Server
	backend *s3mem.Backend
	h       http.Handler
	n       atomic.Int64
	// down answers every request 503, as an unreachable store.
	down atomic.Bool
	// slow, when set, holds object reads (GET and HEAD) until it is closed
	// or the client gives up; stalled counts those the client abandoned.
	mu      sync.Mutex
	slow    chan struct{}
	stalled atomic.Int64
	// rangesOnly narrows slow to ranged GETs (file reads, not stats).
	rangesOnly atomic.Bool
}

var (
	s3Once sync.Once
	s3Fake *fakeS3
)

// sharedS3 starts the package's fake object store on first use; it lives
// as long as the test binary.
func sharedS3() *fakeS3 {
	s3Once.Do(func() {
		f := &fakeS3{backend: s3mem.New()}
		f.h = gofakes3.New(f.backend).Server()
		f.srv = httptest.NewServer(f.handler(&f.down))
		s3Fake = f
	})
	return s3Fake
}

// handler serves the store; down, when set, makes it answer 503.
func (f *fakeS3) handler(down *atomic.Bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		// gofakes3 does not check credentials; a real store refuses
		// an unknown access key.
		if _, rest, _ := strings.Cut(r.Header.Get("Authorization"), "Credential="); !strings.HasPrefix(rest, s3AccessKey+"/") {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidAccessKeyId</Code><Message>The access key id does not exist.</Message></Error>`)
			return
		}
		f.mu.Lock()
		slow := f.slow
		f.mu.Unlock()
		if slow != nil && (r.Method == http.MethodGet || r.Method == http.MethodHead) && strings.Count(strings.Trim(r.URL.Path, "/"), "/") >= 1 &&
			(!f.rangesOnly.Load() || r.Header.Get("Range") != "") {
			select {
			case <-slow:
			case <-r.Context().Done():
				f.stalled.Add(1)
				return
			}
		}
		f.h.ServeHTTP(w, r)
	})
}

// front is a second address of the same store, with its own down switch.
func (f *fakeS3) front(t *testing.T) (string, *atomic.Bool) {
	down := new(atomic.Bool)
	srv := httptest.NewServer(f.handler(down))
	t.Cleanup(srv.Close)
	return srv.URL, down
}

func (f *fakeS3) bucket(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("e2e-%d", f.n.Add(1))
	if err := f.backend.CreateBucket(name); err != nil {
		t.Fatal(err)
	}
	return name
}

func (f *fakeS3) setSlow(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if on && f.slow == nil {
		f.slow = make(chan struct{})
	}
	if !on && f.slow != nil {
		close(f.slow)
		f.slow = nil
	}
}

// keys lists the object keys of a bucket under prefix, sorted.
func (f *fakeS3) keys(t *testing.T, bucket, prefix string) []string {
	t.Helper()
	p := gofakes3.Prefix{Prefix: prefix, HasPrefix: true}
	list, err := f.backend.ListBucket(bucket, &p, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range list.Contents {
		out = append(out, c.Key)
	}
	sort.Strings(out)
	return out
}

// createS3Storage is CREATE STORAGE of an s3 storage on bucket/prefix of
// the fake store, with extra CONFIG entries.
func (f *fakeS3) createStorage(id, bucket, prefix, accessKey, extraConfig string) string {
	return fmt.Sprintf(`CREATE STORAGE %s TYPE 's3' NAME 'S3 %s' BUCKET 's3://%s/%s' REGION 'us-east-1'
		CREDENTIALS '{"access_key_id":"%s","secret_access_key":"%s"}'
		CONFIG '{"endpoint":"%s","allow_http":true,"force_path_style":true%s}'`,
		id, id, bucket, prefix, accessKey, s3SecretKey, f.srv.URL, extraConfig)
}

func withStorageKey(c *config.Config) {
	c.Storage.SecretKey = "e2e-storage-secret-key-0123456789"
	noPolicyFlush(c)
}

func batchFiles(keys []string) []string {
	var out []string
	for _, k := range keys {
		if strings.HasSuffix(k, ".parquet") {
			out = append(out, k)
		}
	}
	return out
}

// TestS3StorageLifecycle runs a USER table on an s3 storage through
// everything the cold tier does: flush, hybrid reads, compaction, a
// restart that reads the manifest back, DROP TABLE's cleanup; and checks
// that the credentials are neither shown nor stored in clear.
func TestS3StorageLifecycle(t *testing.T) {
	f := sharedS3()
	bucket := f.bucket(t)
	dir := t.TempDir()
	s := startServer(t, dir, withStorageKey)
	s.ok(root, f.createStorage("s3a", bucket, "kalam", s3AccessKey, ""))

	got := s.ok(root, "SELECT storage_type, bucket, base_directory, credentials FROM system.storages WHERE storage_id = 's3a'")
	if rows := got.rows(t); rows != fmt.Sprintf(`[["s3","%s","s3://%s/kalam","[redacted]"]]`, bucket, bucket) {
		t.Fatalf("system.storages: %s", rows)
	}
	if all := s.ok(root, "SELECT * FROM system.storages").raw; strings.Contains(all, s3SecretKey) {
		t.Fatal("system.storages shows the secret key")
	}
	if rows := s.ok(root, "STORAGE CHECK s3a EXTENDED").rows(t); strings.Contains(rows, "false") || !strings.Contains(rows, `"large write",true`) {
		t.Fatalf("STORAGE CHECK: %s", rows)
	}

	s.ok(root, "CREATE USER 'alice' WITH PASSWORD 'pw' ROLE user")
	alice := basic("alice", "pw")
	s.ok(root, `CREATE NAMESPACE chat; CREATE TABLE chat.m (id BIGINT PRIMARY KEY, body TEXT) WITH (TYPE = 'USER', STORAGE_ID = 's3a')`)
	for i := 1; i <= 50; i++ {
		s.ok(alice, "INSERT INTO chat.m VALUES ($1, $2)", i, fmt.Sprintf("msg %d", i))
	}
	s.ok(root, "STORAGE FLUSH TABLE chat.m")
	waitJobs(t, s)
	if n := len(batchFiles(f.keys(t, bucket, "kalam/"))); n != 1 {
		t.Fatalf("after a flush the bucket holds %d batch files: %v", n, f.keys(t, bucket, ""))
	}
	if hot := s.ok(root, "SELECT count(*) FROM system.jobs WHERE status = 'failed'").rows(t); hot != "[[0]]" {
		t.Fatalf("failed jobs: %s", s.ok(root, "SELECT job_type, error_message FROM system.jobs").raw)
	}
	// Hybrid: cold rows, a cold row updated (its new version hot), new hot rows.
	s.ok(alice, "UPDATE chat.m SET body = 'edited' WHERE id = 7")
	for i := 51; i <= 60; i++ {
		s.ok(alice, "INSERT INTO chat.m VALUES ($1, $2)", i, fmt.Sprintf("msg %d", i))
	}
	check := func(s *server) {
		t.Helper()
		if got := s.ok(alice, "SELECT count(*), count(DISTINCT id), min(id), max(id) FROM chat.m").rows(t); got != "[[60,60,1,60]]" {
			t.Fatalf("counts: %s", got)
		}
		if got := s.ok(alice, "SELECT body FROM chat.m WHERE id = 7").rows(t); got != `[["edited"]]` {
			t.Fatalf("row 7: %s", got)
		}
		if got := s.ok(alice, "SELECT body FROM chat.m WHERE id = 33").rows(t); got != `[["msg 33"]]` {
			t.Fatalf("row 33: %s", got)
		}
	}
	check(s)
	s.ok(root, "STORAGE FLUSH TABLE chat.m")
	waitJobs(t, s)
	s.ok(root, "STORAGE COMPACT TABLE chat.m")
	waitJobs(t, s)
	check(s)
	if got := s.ok(root, "SELECT count(*) FROM system.manifest WHERE table_name = 'm'").rows(t); got != "[[1]]" {
		t.Fatalf("manifest after compaction: %s", got)
	}

	// A restart reads the manifest and the files back from the store.
	s = s.restart()
	check(s)

	// Nothing in the data directory spells the secret key.
	if found := grepTree(t, dir, s3SecretKey); found != "" {
		t.Fatalf("the secret key is stored in clear in %s", found)
	}

	// DROP TABLE removes the table's objects.
	s.ok(root, "DROP TABLE chat.m")
	waitJobs(t, s)
	if left := f.keys(t, bucket, "kalam/"); len(batchFiles(left)) != 0 {
		t.Fatalf("after DROP TABLE the bucket still holds %v", left)
	}
	// The storage, unused now, can be dropped.
	s.ok(root, "DROP STORAGE s3a")
}

func grepTree(t *testing.T, dir, s string) string {
	t.Helper()
	found := ""
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err == nil && bytes.Contains(b, []byte(s)) {
			found = p
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestS3StorageErrors: wrong credentials, a missing bucket and a store
// that does not answer are refused at CREATE (and ALTER) with a clear
// error and its code, and nothing is saved.
func TestS3StorageErrors(t *testing.T) {
	f := sharedS3()
	bucket := f.bucket(t)
	s := startServer(t, t.TempDir(), withStorageKey)
	r := s.fail(root, http.StatusBadRequest, "INVALID_INPUT", f.createStorage("wrongkey", bucket, "", "not-the-key", ""))
	if !strings.Contains(r.Error.Message, "refused the credentials") || strings.Contains(r.raw, s3SecretKey) {
		t.Fatalf("wrong credentials: %s", r.raw)
	}
	r = s.fail(root, http.StatusNotFound, "NOT_FOUND", f.createStorage("nobucket", "no-such-bucket", "", s3AccessKey, ""))
	if !strings.Contains(r.Error.Message, "bucket does not exist") {
		t.Fatalf("missing bucket: %s", r.raw)
	}
	// A port nothing listens on.
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	stmt := strings.Replace(f.createStorage("unreachable", bucket, "", s3AccessKey, `,"request_timeout_ms":2000`), f.srv.URL, closedURL, 1)
	r = s.fail(root, http.StatusBadRequest, "SQL_EXECUTION_ERROR", stmt)
	if !strings.Contains(r.Error.Message, "did not answer") {
		t.Fatalf("unreachable store: %s", r.raw)
	}
	if got := s.ok(root, "SELECT count(*) FROM system.storages WHERE storage_type = 's3'").rows(t); got != "[[0]]" {
		t.Fatalf("refused storages were saved: %s", got)
	}
	s.fail(root, http.StatusBadRequest, "INVALID_INPUT", `CREATE STORAGE bad TYPE 's3' BUCKET 'b' CONFIG '{"endpoint":"http://h:1"}'`)

	// ALTER to wrong credentials is refused the same way and changes nothing.
	s.ok(root, f.createStorage("good", bucket, "p", s3AccessKey, ""))
	s.fail(root, http.StatusBadRequest, "INVALID_INPUT", `ALTER STORAGE good SET CREDENTIALS = '{"access_key_id":"nope","secret_access_key":"x"}'`)
	if rows := s.ok(root, "STORAGE CHECK good").rows(t); strings.Contains(rows, "false") {
		t.Fatalf("STORAGE CHECK after a refused ALTER: %s", rows)
	}
	s.ok(root, `ALTER STORAGE good SET DESCRIPTION = 'still good', NAME = 'Good'`)
	// Its location cannot move once a table uses it.
	s.ok(root, `CREATE NAMESPACE e; CREATE TABLE e.t (id INT PRIMARY KEY) WITH (TYPE = 'SHARED', STORAGE_ID = 'good')`)
	s.fail(root, http.StatusBadRequest, "SQL_EXECUTION_ERROR", fmt.Sprintf("ALTER STORAGE good SET BUCKET = 's3://%s/elsewhere'", bucket))
	// STORAGE CHECK reports a failing step once the store refuses.
	f.down.Store(true)
	rows := s.ok(root, "STORAGE CHECK good").rows(t)
	f.down.Store(false)
	if !strings.Contains(rows, `["good","write",false,"SQL_EXECUTION_ERROR: storage good: the object store did not answer`) {
		t.Fatalf("STORAGE CHECK of a store that is down: %s", rows)
	}
}

// TestS3StoreDownDuringFlush: a flush while the store is down fails its
// job and keeps the rows hot; a retry once it is back moves them, nothing
// lost or duplicated.
func TestS3StoreDownDuringFlush(t *testing.T) {
	f := sharedS3()
	bucket := f.bucket(t)
	s := startServer(t, t.TempDir(), withStorageKey)
	s.ok(root, f.createStorage("flaky", bucket, "", s3AccessKey, ""))
	s.ok(root, `CREATE NAMESPACE d; CREATE TABLE d.t (id INT PRIMARY KEY, v TEXT) WITH (TYPE = 'SHARED', STORAGE_ID = 'flaky')`)
	for i := 1; i <= 40; i++ {
		s.ok(root, "INSERT INTO d.t VALUES ($1, 'v')", i)
	}
	f.down.Store(true)
	job := jobOf(t, s, "STORAGE FLUSH TABLE d.t")
	waitJobs(t, s)
	f.down.Store(false)
	if got := s.ok(root, "SELECT status FROM system.jobs WHERE job_id = $1", job).rows(t); got != `[["failed"]]` {
		t.Fatalf("flush while the store is down: %s", got)
	}
	if got := s.ok(root, "SELECT count(*), count(DISTINCT id) FROM d.t").rows(t); got != "[[40,40]]" {
		t.Fatalf("rows after the failed flush: %s", got)
	}
	if files := batchFiles(f.keys(t, bucket, "")); len(files) != 0 {
		t.Fatalf("a failed flush left %v", files)
	}
	job = jobOf(t, s, "STORAGE FLUSH TABLE d.t")
	waitJobs(t, s)
	if got := s.ok(root, "SELECT status FROM system.jobs WHERE job_id = $1", job).rows(t); got != `[["completed"]]` {
		t.Fatalf("retried flush: %s %s", got, s.ok(root, "SELECT error_message FROM system.jobs WHERE job_id = $1", job).raw)
	}
	if files := batchFiles(f.keys(t, bucket, "")); len(files) != 1 {
		t.Fatalf("after the retry the bucket holds %v", files)
	}
	s.ok(root, "INSERT INTO d.t VALUES (41, 'hot')")
	if got := s.ok(root, "SELECT count(*), count(DISTINCT id), sum(id) FROM d.t").rows(t); got != "[[41,41,861]]" {
		t.Fatalf("rows after the retry: %s", got)
	}
}

// TestS3SlowStore: a store that stops answering reads does not hold a
// statement forever: the storage's request timeout ends the GET, the
// statement fails, and reads work again once the store answers.
func TestS3SlowStore(t *testing.T) {
	f := sharedS3()
	s := flushedS3Table(t, f, `,"request_timeout_ms":300`, withStorageKey)
	f.setSlow(true)
	before := f.stalled.Load()
	r := s.sql(root, "SELECT v FROM w.t WHERE id = 2")
	// The server gave up on the request (the fake sees its connection
	// go) before the store answers again.
	deadline := time.Now().Add(time.Minute)
	for f.stalled.Load() == before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	abandoned := f.stalled.Load() > before
	f.setSlow(false)
	checkError(t, r, http.StatusBadRequest, "SQL_EXECUTION_ERROR", "read from a stalled store")
	if !strings.Contains(r.Error.Message, "the object store did not answer") {
		t.Fatalf("read from a stalled store: %s", r.raw)
	}
	if !abandoned {
		t.Fatal("the stalled request was never abandoned by the server")
	}
	if got := s.ok(root, "SELECT v FROM w.t WHERE id = 2").rows(t); got != `[["b"]]` {
		t.Fatalf("after the store recovered: %s", got)
	}
}

// flushedS3Table starts a server (configured by mutate) with table w.t,
// rows (1, 'a') and (2, 'b'), flushed to an s3 storage on a fresh bucket
// with the extra CONFIG entries, and restarts it, so that nothing of the
// table is cached: the next read must reach the store.
func flushedS3Table(t *testing.T, f *fakeS3, extraConfig string, mutate ...func(*config.Config)) *server {
	t.Helper()
	s := startServer(t, t.TempDir(), mutate...)
	s.ok(root, f.createStorage("st", f.bucket(t), "", s3AccessKey, extraConfig))
	s.ok(root, `CREATE NAMESPACE w; CREATE TABLE w.t (id INT PRIMARY KEY, v TEXT) WITH (TYPE = 'SHARED', STORAGE_ID = 'st')`)
	s.ok(root, "INSERT INTO w.t VALUES (1, 'a'), (2, 'b')")
	s.ok(root, "STORAGE FLUSH TABLE w.t")
	waitJobs(t, s)
	return s.restart()
}

// TestS3StalledReadEndsWithTheStatement: a cold read whose ranged GET
// hangs ends when its statement times out, with the usual QUERY_TIMEOUT,
// and the server abandons the GET then, not at the storage's request
// timeout (set to its 10-minute maximum here, so only the statement can
// end it while the test waits).
func TestS3StalledReadEndsWithTheStatement(t *testing.T) {
	f := sharedS3()
	s := flushedS3Table(t, f, `,"request_timeout_ms":600000`, withStorageKey,
		func(c *config.Config) { c.Limits.StatementTimeout = time.Second })
	f.rangesOnly.Store(true)
	defer f.rangesOnly.Store(false)
	f.setSlow(true)
	defer f.setSlow(false)
	before := f.stalled.Load()
	answer := make(chan *response, 1)
	go func() { answer <- s.sql(root, "SELECT v FROM w.t WHERE id = 2") }()
	// The store stays stalled: only the statement's end can make the
	// server give the GET up.
	deadline := time.Now().Add(time.Minute)
	for f.stalled.Load() == before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if f.stalled.Load() == before {
		t.Fatal("the stalled GET outlived its statement")
	}
	r := <-answer
	f.setSlow(false)
	checkError(t, r, http.StatusBadRequest, "QUERY_TIMEOUT", "read from a stalled store")
	if got := s.ok(root, "SELECT v FROM w.t WHERE id = 2").rows(t); got != `[["b"]]` {
		t.Fatalf("after the store recovered: %s", got)
	}
}

// TestS3AlterStorageMovesOpenFiles: after ALTER STORAGE points a storage
// at another address of its store, files already open are read through
// the new address: the old one may be gone (or its keys revoked).
func TestS3AlterStorageMovesOpenFiles(t *testing.T) {
	f := sharedS3()
	bucket := f.bucket(t)
	s := startServer(t, t.TempDir(), withStorageKey, func(c *config.Config) { c.Storage.S3CacheBytes = 0 })
	oldURL, oldDown := f.front(t)
	newURL, _ := f.front(t)
	stmt := strings.Replace(f.createStorage("moving", bucket, "", s3AccessKey, ""), f.srv.URL, oldURL, 1)
	s.ok(root, stmt)
	s.ok(root, `CREATE NAMESPACE mv; CREATE TABLE mv.t (id INT PRIMARY KEY, v TEXT) WITH (TYPE = 'SHARED', STORAGE_ID = 'moving')`)
	var sb strings.Builder
	sb.WriteString("INSERT INTO mv.t VALUES ")
	for i := 1; i <= 3000; i++ {
		if i > 1 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "(%d, 'value %d %s')", i, i, strings.Repeat("x", 40))
	}
	s.ok(root, sb.String())
	s.ok(root, "STORAGE FLUSH TABLE mv.t")
	waitJobs(t, s)
	// The file is open now, through the old address.
	if got := s.ok(root, "SELECT id FROM mv.t WHERE id = 1").rows(t); got != "[[1]]" {
		t.Fatalf("first read: %s", got)
	}
	// A new endpoint needs the credentials restated.
	s.ok(root, fmt.Sprintf(`ALTER STORAGE moving SET CONFIG = '{"endpoint":"%s","allow_http":true,"force_path_style":true}',
		CREDENTIALS = '{"access_key_id":"%s","secret_access_key":"%s"}'`, newURL, s3AccessKey, s3SecretKey))
	oldDown.Store(true)
	// A row on another page: read from the store, through the new address.
	if got := s.ok(root, "SELECT id FROM mv.t WHERE id = 2999").rows(t); got != "[[2999]]" {
		t.Fatalf("read after the move: %s", got)
	}
	if got := s.ok(root, "SELECT count(*) FROM mv.t").rows(t); got != "[[3000]]" {
		t.Fatalf("count after the move: %s", got)
	}
}
