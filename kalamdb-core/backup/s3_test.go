package backup_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/backup"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/jobs"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// objectStore is an in-memory S3 protocol server (gofakes3) on a loopback
// port, with one bucket, for the backups of a test.
type objectStore struct {
	url, bucket string
	// aliasURL reaches the same store at another port.
	aliasURL string
	// putsLeft, when not negative, is how many more object writes the
	// store accepts before it refuses them (AccessDenied).
	putsLeft atomic.Int64
	// stallGets, when set, holds ranged GETs until it is closed or the
	// client gives up; arrived gets a token per GET held, abandoned one
	// per GET the client gave up.
	stallGets          atomic.Pointer[chan struct{}]
	arrived, abandoned chan struct{}
	// clock is the store's own clock (the LastModified of objects, the
	// start of uploads), which a test may set apart from the server's.
	clock *storeClock
}

// storeClock is an object store's clock: the real time moved by an offset.
type storeClock struct{ offset atomic.Int64 }

func (c *storeClock) Now() time.Time                  { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *storeClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

// set moves the store's clock by d from the real time.
func (c *storeClock) set(d time.Duration) { c.offset.Store(int64(d)) }

func newObjectStore(t *testing.T) *objectStore {
	t.Helper()
	clock := &storeClock{}
	backend := s3mem.New(s3mem.WithTimeSource(clock))
	const bucket = "kalam-backups"
	if err := backend.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	o := &objectStore{bucket: bucket, arrived: make(chan struct{}, 64), abandoned: make(chan struct{}, 64), clock: clock}
	o.putsLeft.Store(-1)
	// No request is refused for the client's clock: a test may set the
	// store's apart.
	h := gofakes3.New(backend, gofakes3.WithTimeSource(clock), gofakes3.WithTimeSkewLimit(0)).Server()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if stall := o.stallGets.Load(); stall != nil && r.Method == http.MethodGet && r.Header.Get("Range") != "" {
			o.arrived <- struct{}{}
			select {
			case <-*stall:
			case <-r.Context().Done():
				o.abandoned <- struct{}{}
				return
			}
		}
		if r.Method == http.MethodPut && o.putsLeft.Load() >= 0 && o.putsLeft.Add(-1) < 0 {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	o.url = srv.URL
	// A second address of the same store, as a DNS alias or a proxy gives
	// one: nothing in its spelling says it is the same store.
	alias := httptest.NewServer(srv.Config.Handler)
	t.Cleanup(alias.Close)
	o.aliasURL = alias.URL
	return o
}

// createStorage is CREATE STORAGE of an s3 storage with table data under
// prefix of the store's bucket.
func (o *objectStore) createStorage(id, prefix string) string {
	return fmt.Sprintf(`CREATE STORAGE %s TYPE 's3' BUCKET 's3://%s/%s' REGION 'us-east-1'
		CREDENTIALS '{"access_key_id":"test-key","secret_access_key":"test-secret"}'
		CONFIG '{"endpoint":"%s","allow_http":true,"force_path_style":true}'`, id, o.bucket, prefix, o.url)
}

// alterEndpoint is ALTER STORAGE of s3 storage id to the store's
// endpoint, with the credentials (a new endpoint needs them restated).
func (o *objectStore) alterEndpoint(id string) string {
	return fmt.Sprintf(`ALTER STORAGE %s SET CONFIG = '{"endpoint":"%s","allow_http":true,"force_path_style":true}', %s`, id, o.url, storeCredentials)
}

// storeCredentials restates the store's credentials in an ALTER STORAGE.
const storeCredentials = `CREDENTIALS = '{"access_key_id":"test-key","secret_access_key":"test-secret"}'`

// storage is a client of the store rooted at prefix, for looking at and
// tampering with what a backup wrote.
func (o *objectStore) storage(t *testing.T, prefix string) *cold.S3 {
	t.Helper()
	st, err := cold.NewS3(cold.S3Options{Endpoint: strings.TrimPrefix(o.url, "http://"), Insecure: true, PathStyle: true,
		Region: "us-east-1", Bucket: o.bucket, Prefix: prefix, AccessKeyID: "test-key", SecretAccessKey: "test-secret"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func readObject(t *testing.T, st cold.Storage, p string) []byte {
	t.Helper()
	h, err := st.Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	raw, err := io.ReadAll(io.NewSectionReader(h, 0, h.Size()))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func writeObject(t *testing.T, st cold.Storage, p string, raw []byte) {
	t.Helper()
	f, err := st.Create(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
}

func TestS3BackupRestoreRoundTrip(t *testing.T) {
	store := newObjectStore(t)
	src := newServer(t, t.TempDir())
	fill(src)
	want := dump(src)
	src.must(store.createStorage("s3data", "tables"))
	const loc = "s3://kalam-backups/backups/app-1"
	j := src.mustJob("BACKUP DATABASE app TO '" + loc + "'")
	var res backup.Result
	if err := json.Unmarshal(j.Result, &res); err != nil || res.Tables != 3 || res.Rows == 0 || res.Location != loc {
		t.Fatalf("backup result %s: %v", j.Result, err)
	}
	// The files are objects under the location's prefix, the manifest
	// among them, and nothing reached the storage's table data prefix.
	got := readObject(t, store.storage(t, "backups/app-1"), backup.ManifestName)
	var man backup.Manifest
	if err := json.Unmarshal(got, &man); err != nil || man.Namespace != "app" || man.Format != backup.FormatVersion || len(man.Files) == 0 {
		t.Fatalf("manifest in the bucket: %s (%v)", got, err)
	}
	if ents, err := store.storage(t, "tables").List(t.Context(), "."); err != nil || len(ents) != 0 {
		t.Fatalf("table data prefix holds %v (%v)", ents, err)
	}
	if got := src.rows("SHOW BACKUPS FOR DATABASE app"); !strings.Contains(got, loc) || !strings.Contains(got, "available") {
		t.Fatalf("SHOW BACKUPS: %s", got)
	}
	// A location is used once: the job fails, and the backup there stays.
	if j := src.job("BACKUP DATABASE app TO '" + loc + "'"); j.Status != systable.JobFailed || !strings.Contains(j.ErrorMessage, "is not empty") {
		t.Fatalf("second backup to %s: %s %s", loc, j.Status, j.ErrorMessage)
	}
	if got := readObject(t, store.storage(t, "backups/app-1"), backup.ManifestName); !json.Valid(got) {
		t.Fatalf("manifest after a refused backup: %s", got)
	}

	// A fresh server reaches the bucket through its own storage
	// definition and restores everything.
	dst := newServer(t, t.TempDir())
	_, err := dst.exec("RESTORE DATABASE app FROM '" + loc + "'")
	wantCode(t, err, apierror.NotFound, "create an s3 storage for bucket kalam-backups first")
	dst.must(store.createStorage("s3data", "tables"))
	dst.mustJob("RESTORE DATABASE app FROM '" + loc + "'")
	if got := dump(dst); got != want {
		t.Fatalf("restored namespace differs:\n got:\n%s\nwant:\n%s", got, want)
	}
	// SHOW BACKUPS looks at the bucket: without its manifest the backup
	// is missing.
	if err := store.storage(t, "backups/app-1").Remove(t.Context(), backup.ManifestName); err != nil {
		t.Fatal(err)
	}
	if got := src.rows("SHOW BACKUPS FOR DATABASE app"); !strings.Contains(got, "missing") {
		t.Fatalf("SHOW BACKUPS after the manifest was deleted: %s", got)
	}
}

func TestS3BackupTamperedRestoresNothing(t *testing.T) {
	store := newObjectStore(t)
	src := newServer(t, t.TempDir())
	fill(src)
	src.must(store.createStorage("s3data", "tables"))
	src.mustJob("BACKUP DATABASE app TO 's3://kalam-backups/backups/good'")
	bk := store.storage(t, "backups/good")
	var man backup.Manifest
	if err := json.Unmarshal(readObject(t, bk, backup.ManifestName), &man); err != nil {
		t.Fatal(err)
	}
	// The last Parquet file: the restore has written others by the time
	// it reads it.
	var victim string
	for _, f := range man.Files {
		if strings.HasPrefix(f.Path, "files/") {
			victim = f.Path
		}
	}
	if victim == "" {
		t.Fatalf("no Parquet file in %+v", man.Files)
	}
	raw := readObject(t, bk, victim)
	raw[len(raw)/2] ^= 0xff // same size, other bytes
	writeObject(t, bk, victim, raw)

	dst := newServer(t, t.TempDir())
	dst.must(store.createStorage("s3data", "tables"))
	checkRestoreFails(t, dst, "s3://kalam-backups/backups/good", "SHA-256")
}

func TestS3BackupLocationRules(t *testing.T) {
	store := newObjectStore(t)
	s := newServer(t, t.TempDir())
	s.must("CREATE NAMESPACE app")
	for _, c := range []struct {
		loc, want string
		code      apierror.Code
	}{
		// No storage reaches the bucket: the SQL carries no credentials.
		{"s3://kalam-backups/backups/x", "create an s3 storage for bucket kalam-backups first", apierror.NotFound},
		{"s3://Bad_Bucket/x", "invalid bucket name", apierror.InvalidInput},
		{"gs://kalam-backups/x", "not supported", apierror.Unsupported},
	} {
		_, err := s.exec("BACKUP DATABASE app TO '" + c.loc + "'")
		wantCode(t, err, c.code, c.want)
		_, err = s.exec("RESTORE DATABASE other FROM '" + c.loc + "'")
		wantCode(t, err, c.code, c.want)
	}
	s.must(store.createStorage("s3data", "data/tables"))
	for _, c := range []struct {
		loc, want string
	}{
		{"s3://kalam-backups", "is a whole bucket"},
		{"s3://kalam-backups/data", "overlaps the table data of storage s3data"},
		{"s3://kalam-backups/data/tables", "overlaps the table data of storage s3data"},
		{"s3://kalam-backups/data/tables/app", "overlaps the table data of storage s3data"},
		{"s3://kalam-backups/../data/tables", "clean relative path"},
	} {
		_, err := s.exec("BACKUP DATABASE app TO '" + c.loc + "'")
		wantCode(t, err, apierror.InvalidInput, c.want)
	}
	// Beside the table data, in the same bucket, is fine.
	s.mustJob("BACKUP DATABASE app TO 's3://kalam-backups/data/backups/app-1'")
}

// A backup is refused a location that overlaps one being written, so that
// no backup's objects mix with, or are discarded with, another's.
func TestS3BackupRefusesLocationOfBackupInProgress(t *testing.T) {
	store := newObjectStore(t)
	s := newServer(t, t.TempDir())
	fill(s)
	s.must(store.createStorage("s3data", "tables"))
	var svc *backup.Service
	var during []error
	svc, err := backup.New(backup.Options{DB: s.kv, Catalog: s.db.Catalog, Tier: s.db.Tier, Jobs: s.db.Jobs, Txns: s.db.Txns,
		Opener: &backup.S3Opener{Catalog: s.db.Catalog, Tier: s.db.Tier},
		AfterSnapshot: func() {
			if len(during) > 0 {
				return // the nested backup below
			}
			for _, loc := range []string{"s3://kalam-backups/bk/a", "s3://kalam-backups/bk/a/inner", "s3://kalam-backups/bk", "s3://kalam-backups/bk/b"} {
				_, err := svc.Backup(t.Context(), "app", loc, rootCaller, &jobs.Progress{})
				during = append(during, err)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Backup(t.Context(), "app", "s3://kalam-backups/bk/a", rootCaller, &jobs.Progress{}); err != nil {
		t.Fatal(err)
	}
	for i, err := range during[:3] {
		if ae, ok := apierror.As(err); !ok || ae.Code != apierror.AlreadyExists || !strings.Contains(ae.Message, "being written") {
			t.Fatalf("backup %d during another: %v", i, err)
		}
	}
	if during[3] != nil {
		t.Fatalf("backup beside the one in progress: %v", during[3])
	}
	// Both backups are whole, and the location is free again (for a
	// location that is empty).
	for _, p := range []string{"bk/a", "bk/b"} {
		if raw := readObject(t, store.storage(t, p), backup.ManifestName); len(raw) == 0 {
			t.Fatalf("%s: empty manifest", p)
		}
	}
	if _, err := svc.Backup(t.Context(), "app", "s3://kalam-backups/bk/c", rootCaller, &jobs.Progress{}); err != nil {
		t.Fatal(err)
	}
}

// A backup the object store stops accepting midway fails and deletes the
// objects it had written: the prefix is free for the next attempt.
func TestS3BackupFailingMidwayLeavesNothing(t *testing.T) {
	store := newObjectStore(t)
	s := newServer(t, t.TempDir())
	fill(s)
	s.must(store.createStorage("s3data", "tables"))
	const loc = "s3://kalam-backups/backups/app-1"
	store.putsLeft.Store(3)
	j := s.job("BACKUP DATABASE app TO '" + loc + "'")
	if j.Status != systable.JobFailed || !strings.Contains(j.ErrorMessage, "denied") {
		t.Fatalf("backup with writes refused: %s %q", j.Status, j.ErrorMessage)
	}
	if ents, err := store.storage(t, "backups/app-1").List(t.Context(), "."); err != nil || len(ents) != 0 {
		t.Fatalf("a failed backup left %v (%v)", ents, err)
	}
	if got := s.rows("SHOW BACKUPS FOR DATABASE app"); got != "" {
		t.Fatalf("SHOW BACKUPS lists a failed backup: %s", got)
	}
	store.putsLeft.Store(-1)
	s.mustJob("BACKUP DATABASE app TO '" + loc + "'")
}

// A backup copying Parquet files from an s3 storage whose GET hangs ends
// when it is cancelled, abandoning the GET at once (the storage's request
// timeout is 10 minutes, so nothing else ends it while the test waits),
// and leaves nothing.
func TestS3BackupCancelledDuringAStalledCopy(t *testing.T) {
	store := newObjectStore(t)
	s := newServer(t, t.TempDir())
	fill(s)
	s.must(strings.Replace(store.createStorage("s3data", "tables"), `"force_path_style":true`, `"force_path_style":true,"request_timeout_ms":600000`, 1))
	s.must("CREATE TABLE app.remote (id BIGINT PRIMARY KEY, v TEXT) WITH (TYPE = 'SHARED', STORAGE_ID = 's3data')")
	s.must("INSERT INTO app.remote (id, v) VALUES (1, 'one'), (2, 'two')")
	s.mustJob("STORAGE FLUSH TABLE app.remote")
	stall := make(chan struct{})
	defer close(stall)
	store.stallGets.Store(&stall)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	svc := s.service(nil)
	done := make(chan error, 1)
	go func() {
		_, err := svc.Backup(ctx, "app", "stalled", rootCaller, &jobs.Progress{})
		done <- err
	}()
	wait := func(ch <-chan struct{}, what string) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(time.Minute):
			t.Fatalf("no %s", what)
		}
	}
	wait(store.arrived, "GET of the table's file")
	cancel()
	var err error
	select {
	case err = <-done:
	case <-time.After(time.Minute):
		t.Fatal("the cancelled backup did not return while the store hangs")
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled backup: %v", err)
	}
	wait(store.abandoned, "abandoned GET")
	if got := files(t, filepath.Join(s.backupRoot, "stalled")); len(got) != 0 {
		t.Fatalf("a cancelled backup left %v", got)
	}
}
