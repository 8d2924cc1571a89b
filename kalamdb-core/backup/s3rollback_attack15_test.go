package backup_test

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/backup"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// proxyOf is a proxy in front of store; intercept, when it answers
// true, has handled the request itself (or only held it: then it returns
// false and the request goes on).
func proxyOf(t *testing.T, store *objectStore, intercept func(w http.ResponseWriter, r *http.Request) bool) string {
	t.Helper()
	target, err := url.Parse(store.url)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !intercept(w, r) {
			rp.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// abortRefusingProxy is a proxy in front of store that, while refuse is
// set, answers the upload of a second part of a multipart upload and the
// abort of the upload (DELETE ?uploadId) with an error, as a store that
// blinks at that moment does.
func abortRefusingProxy(t *testing.T, store *objectStore) (endpoint string, refuse *atomic.Bool, refused *atomic.Int32) {
	t.Helper()
	refuse, refused = &atomic.Bool{}, &atomic.Int32{}
	endpoint = proxyOf(t, store, func(w http.ResponseWriter, r *http.Request) bool {
		q := r.URL.Query()
		if refuse.Load() && q.Has("uploadId") && (r.Method == http.MethodDelete || r.Method == http.MethodPut && q.Get("partNumber") == "2") {
			refused.Add(1)
			// The body read first, and an error the client does not
			// retry: a retry seeks the part's reader while the
			// transport may still be sending it (a race in minio-go).
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>blink</Message></Error>`)
			return true
		}
		return false
	})
	return endpoint, refuse, refused
}

// uploadsIn are the unfinished multipart uploads of objects directly in
// dir of st, by object name.
func uploadsIn(t *testing.T, st *cold.S3, dir string) []string {
	t.Helper()
	var out []string
	if _, err := st.CleanupTemp(t.Context(), dir, time.Time{}, func(final string) bool {
		out = append(out, final)
		return false
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAttack15S3RollbackLeavesUploadWhenAbortFails: a restore into an s3
// storage fails while copying a file larger than a part (the store
// refuses its second part), after the copy's multipart upload began; the
// abort of that upload fails too (the store blinks). The docs say
// a failed restore whose rollback could not delete every file is
// finished at the next start. But the rollback judges only the final
// objects (not there: removed), clears the pending entry, and nothing
// ever aborts the upload, which costs storage for good.
func TestAttack15S3RollbackLeavesUploadWhenAbortFails(t *testing.T) {
	store := newObjectStore(t)
	root := t.TempDir()
	src := newServer(t, root)
	src.must(store.createStorage("s3data", "src"))
	src.must(`CREATE NAMESPACE app;
		CREATE TABLE app.big (id BIGINT PRIMARY KEY, v TEXT) WITH (TYPE = 'SHARED', STORAGE_ID = 's3data', ACCESS_LEVEL = 'PUBLIC')`)
	// Incompressible text: the flushed file is larger than a part.
	buf := make([]byte, 750)
	for batch := range 14 {
		var b strings.Builder
		b.WriteString("INSERT INTO app.big (id, v) VALUES ")
		for i := range 1000 {
			_, _ = rand.Read(buf)
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "(%d, '%s')", batch*1000+i, base64.RawURLEncoding.EncodeToString(buf))
		}
		src.must(b.String())
	}
	src.mustJob("STORAGE FLUSH TABLE app.big")
	src.mustJob("BACKUP DATABASE app TO 'app-1'")

	endpoint, refuse, refused := abortRefusingProxy(t, store)
	dst := &server{t: t, dir: t.TempDir(), backupRoot: root}
	dst.open()
	t.Cleanup(dst.close)
	dst.must(strings.Replace(store.createStorage("s3data", "dst"), store.url, endpoint, 1))
	refuse.Store(true)
	j := dst.job("RESTORE DATABASE app FROM 'app-1'")
	if j.Status != systable.JobFailed {
		t.Fatalf("the restore: %s %s", j.Status, j.ErrorMessage)
	}
	if refused.Load() == 0 {
		t.Fatal("no abort of an upload was refused: the copy never began a multipart upload (file under a part?)")
	}
	refuse.Store(false)
	tables := store.storage(t, "dst")
	dir := path.Join("app", "big")
	if got := uploadsIn(t, tables, dir); len(got) != 1 {
		t.Fatalf("unfinished uploads after the failed restore: %v, want the copy's one", got)
	}
	// The next start: a pending entry left would recover it.
	dst.close()
	dst.open()
	waitAllJobs(t, dst)
	if got := uploadsIn(t, tables, dir); len(got) > 0 {
		t.Fatalf("the failed restore's upload %v is never aborted: its rollback cleared the pending entry (recoveries run: %q)",
			got, dst.rows("SELECT count(*) FROM system.jobs WHERE job_type = 'backup'"))
	}
}

// countingProxy is a proxy in front of store that counts the requests it
// passes while counting is set.
func countingProxy(t *testing.T, store *objectStore) (endpoint string, counting *atomic.Bool, requests *atomic.Int32) {
	t.Helper()
	counting, requests = &atomic.Bool{}, &atomic.Int32{}
	endpoint = proxyOf(t, store, func(http.ResponseWriter, *http.Request) bool {
		if counting.Load() {
			requests.Add(1)
		}
		return false
	})
	return endpoint, counting, requests
}

// TestRestoreAttack15S3RecoveryRequests measures (and logs) the requests
// the recovery of a restore into an s3 storage makes when the restore died
// at its first copy of a USER table of many users: it visits every
// recorded partition directory, written or not.
func TestRestoreAttack15S3RecoveryRequests(t *testing.T) {
	const users = 70
	store := newObjectStore(t)
	root := backupOfManyUsers(t, users, func(src *server) { src.must(store.createStorage("s3data", "src")) },
		"TYPE = 'USER', STORAGE_ID = 's3data'")

	endpoint, counting, requests := countingProxy(t, store)
	dst := newServer(t, root)
	dst.must(strings.Replace(store.createStorage("s3data", "dst"), store.url, endpoint, 1))
	restoreDiesAt(t, dst, "app-1", backup.FailRestoreAfterFile, 1)
	counting.Store(true)
	dst.close()
	dst.open()
	waitAllJobs(t, dst)
	counting.Store(false)
	rec := restoreRecovery(t, dst)
	if rec.Removed != 1 || rec.Partitions != users {
		t.Fatalf("the recovery: %+v", rec)
	}
	t.Logf("recovery of a restore that died at its first of %d copies: %d partition directories visited, %d requests to the store (%.1f a directory)",
		users, rec.Partitions, requests.Load(), float64(requests.Load())/float64(users))
}

// stallingProxy is a proxy in front of store that, while armed, holds
// the first HEAD of a key not ending in .parquet (RemoveDir's look at a
// directory) until release is closed; arrived is closed when it holds
// it.
func stallingProxy(t *testing.T, store *objectStore) (endpoint string, armed *atomic.Bool, arrived, release chan struct{}) {
	t.Helper()
	armed = &atomic.Bool{}
	arrived, release = make(chan struct{}), make(chan struct{})
	endpoint = proxyOf(t, store, func(_ http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodHead && !strings.HasSuffix(r.URL.Path, ".parquet") && armed.CompareAndSwap(true, false) {
			close(arrived)
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		return false
	})
	return endpoint, armed, arrived, release
}

// TestAttack15CreateNamespaceRefusedWhileRecoveryRemovesDirectories: the
// recovery of a restore into an s3 storage reserves the namespace while
// it removes the directories it emptied, which on an object store are
// no directories (RemoveDir has nothing to remove): a request each, a
// user's CREATE NAMESPACE IF NOT EXISTS meanwhile fails, saying the
// namespace "is being restored from a backup", which no one does. With
// one partition a directory or two; with a USER table of many users,
// minutes of requests.
func TestAttack15CreateNamespaceRefusedWhileRecoveryRemovesDirectories(t *testing.T) {
	store := newObjectStore(t)
	root := t.TempDir()
	src := newServer(t, root)
	src.must(store.createStorage("s3data", "src"))
	src.must(`CREATE NAMESPACE app;
		CREATE TABLE app.cfg (k TEXT PRIMARY KEY, v TEXT) WITH (TYPE = 'SHARED', STORAGE_ID = 's3data', ACCESS_LEVEL = 'PUBLIC')`)
	src.must("INSERT INTO app.cfg (k, v) VALUES ('x', '1')")
	src.mustJob("STORAGE FLUSH TABLE app.cfg")
	src.mustJob("BACKUP DATABASE app TO 'app-1'")

	endpoint, armed, arrived, release := stallingProxy(t, store)
	dst := newServer(t, root)
	dst.must(strings.Replace(store.createStorage("s3data", "dst"), store.url, endpoint, 1))
	restoreDiesAt(t, dst, "app-1", backup.FailRestoreAfterFile, 1)
	armed.Store(true)
	dst.close()
	dst.open()
	recovery, _, _ := strings.Cut(dst.rows("SELECT job_id FROM system.jobs WHERE job_type = 'backup'"), "\n")
	ended := dst.jobEnded(recovery)
	select {
	case <-arrived: // the recovery removed the copy and looks at its directories
	case <-ended: // it never looked
	}
	_, err := dst.exec("CREATE NAMESPACE IF NOT EXISTS app")
	close(release)
	waitAllJobs(t, dst)
	if rec := restoreRecovery(t, dst); rec.Removed != 1 {
		t.Fatalf("the recovery: %+v", rec)
	}
	if err != nil {
		t.Fatalf("CREATE NAMESPACE IF NOT EXISTS app while the recovery removed (object store) directories: %v", err)
	}
	if !armed.Load() {
		t.Fatal("the recovery looked for (object store) directories to remove")
	}
}
