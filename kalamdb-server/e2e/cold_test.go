package e2e_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
)

func noPolicyFlush(c *config.Config) {
	c.Storage.FlushRows = 0
	c.Storage.FlushInterval = 0
}

// TestConcurrentWritesAndQueriesDuringFlush inserts and queries from several
// users while flushes and compactions run, and checks that every
// acknowledged row is there exactly once, in every tier split.
func TestConcurrentWritesAndQueriesDuringFlush(t *testing.T) {
	s := startServer(t, t.TempDir(), noPolicyFlush)
	s.ok(root, `CREATE NAMESPACE live; CREATE TABLE live.m (id BIGINT PRIMARY KEY, who TEXT, n INT)`)
	users := []string{"u1", "u2", "u3"}
	for _, u := range users {
		s.ok(root, fmt.Sprintf("CREATE USER '%s' WITH PASSWORD 'pw' ROLE user", u))
	}
	const perUser = 300
	var wg sync.WaitGroup
	var failures atomic.Int64
	stop := make(chan struct{})
	for _, u := range users {
		wg.Add(2)
		go func(u string) { // writer: inserts, then updates its even ids
			defer wg.Done()
			for i := 1; i <= perUser; i++ {
				r := s.sql(basic(u, "pw"), "INSERT INTO live.m (id, who, n) VALUES ($1, $2, 0)", i, u)
				if r.httpStatus != 200 {
					failures.Add(1)
					t.Errorf("%s insert %d: %s", u, i, r)
					return
				}
				if i%2 == 0 {
					// A concurrent flush may make an update a write
					// conflict, which the client retries; any other
					// error fails the test.
					for attempt := 0; ; attempt++ {
						r = s.sql(basic(u, "pw"), "UPDATE live.m SET n = n + 1 WHERE id = $1", i)
						if r.httpStatus == 200 {
							break
						}
						if !isWriteConflict(r) || attempt > 20 {
							failures.Add(1)
							t.Errorf("%s update %d: %s", u, i, r)
							return
						}
					}
				}
			}
		}(u)
		go func(u string) { // reader: counts never go down, rows never duplicate
			defer wg.Done()
			last := 0
			for {
				select {
				case <-stop:
					return
				default:
				}
				r := s.sql(basic(u, "pw"), "SELECT count(*), count(DISTINCT id), max(who) FROM live.m")
				if r.httpStatus != 200 {
					t.Errorf("%s read: %s", u, r)
					return
				}
				row := r.Results[0].Rows[0]
				n, distinct := toInt(row[0]), toInt(row[1])
				if n != distinct || n < last || (n > 0 && row[2] != u) {
					t.Errorf("%s read %v after %d", u, row, last)
					return
				}
				last = n
			}
		}(u)
	}
	flusher := make(chan struct{})
	go func() {
		defer close(flusher)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			stmt := "STORAGE FLUSH TABLE live.m"
			if i%4 == 3 {
				stmt = "STORAGE COMPACT TABLE live.m"
			}
			s.ok(root, stmt)
			waitJobs(t, s)
		}
	}()
	// Writers end on their own; then stop readers and the flusher.
	writersDone := make(chan struct{})
	go func() {
		for {
			done := true
			for _, u := range users {
				if s.ok(basic(u, "pw"), "SELECT count(*) FROM live.m WHERE n >= 0").rows(t) != fmt.Sprintf("[[%d]]", perUser) {
					done = false
				}
			}
			if done || failures.Load() > 0 {
				close(writersDone)
				return
			}
		}
	}()
	<-writersDone
	close(stop)
	wg.Wait()
	<-flusher
	s.ok(root, "STORAGE FLUSH TABLE live.m")
	waitJobs(t, s)
	for _, u := range users {
		got := s.ok(basic(u, "pw"), "SELECT count(*), count(DISTINCT id), sum(n), min(who), max(who) FROM live.m").rows(t)
		want := fmt.Sprintf(`[[%d,%d,%d,"%s","%s"]]`, perUser, perUser, perUser/2, u, u)
		if got != want {
			t.Fatalf("%s after the run: %s, want %s", u, got, want)
		}
	}
}

// isWriteConflict reports the answer to a write that lost a race with
// another commit: 400 SQL_EXECUTION_ERROR, "write conflict on ..., retry".
func isWriteConflict(r *response) bool {
	return r.httpStatus == http.StatusBadRequest && r.Error != nil && r.Error.Code == "SQL_EXECUTION_ERROR" &&
		strings.HasPrefix(r.Error.Message, "write conflict on live.m: ")
}

func toInt(v any) int {
	var n int
	fmt.Sscan(fmt.Sprint(v), &n)
	return n
}

// TestColdTierBadInput: a storage that cannot be written fails the flush
// job with a clear message and keeps the hot rows; a missing or corrupt
// Parquet file makes queries that need it fail with a clear error, never
// a crash, and leaves the hot rows readable.
func TestColdTierBadInput(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir, noPolicyFlush)
	blocker := filepath.Join(dir, "storages", "not-a-dir")
	if err := os.MkdirAll(filepath.Dir(blocker), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blocker, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.ok(root, fmt.Sprintf("CREATE STORAGE broken TYPE 'filesystem' PATH '%s'", filepath.Join(blocker, "sub")))
	if got := s.ok(root, "STORAGE CHECK broken").rows(t); !strings.HasPrefix(got, `[["broken","usable",false,`) {
		t.Fatalf("storage check of an unusable path: %s", got)
	}
	s.ok(root, `CREATE NAMESPACE b; CREATE TABLE b.t (id INT PRIMARY KEY, v TEXT) WITH (STORAGE_ID = 'broken');
		CREATE TABLE b.ok (id INT PRIMARY KEY, v TEXT)`)
	s.ok(root, "INSERT INTO b.t VALUES (1, 'kept'); INSERT INTO b.ok VALUES (1, 'cold'), (2, 'cold')")
	s.ok(root, "STORAGE FLUSH TABLE b.t")
	waitJobs(t, s)
	got := s.ok(root, "SELECT status, error_message FROM system.jobs WHERE table_name = 't'").rows(t)
	if !strings.Contains(got, `"failed"`) || !strings.Contains(got, "storage broken is not usable") {
		t.Fatalf("flush to an unusable storage: %s", got)
	}
	if got := s.ok(root, "SELECT id, v FROM b.t").rows(t); got != `[[1,"kept"]]` {
		t.Fatalf("hot rows after a failed flush: %s", got)
	}
	// A listed file goes missing, then is corrupt.
	s.ok(root, "STORAGE FLUSH TABLE b.ok")
	waitJobs(t, s)
	s.ok(root, "INSERT INTO b.ok VALUES (3, 'hot')")
	// The flush's file: batch 1, its name tagged (batch-1-<16 hex>.parquet).
	written, err := filepath.Glob(filepath.Join(dir, "storage", "b", "ok", "root", "batch-1-*.parquet"))
	if err != nil || len(written) != 1 {
		t.Fatalf("the flush's file: %v %v", written, err)
	}
	file := written[0]
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// The server keeps files it has opened open; restart so it reads the
	// damaged one.
	for _, damage := range []func(){
		func() { _ = os.Remove(file) },
		func() { _ = os.WriteFile(file, append([]byte("garbage"), raw[7:len(raw)/2]...), 0o644) },
	} {
		s.stop()
		damage()
		s = startServer(t, dir, noPolicyFlush)
		r := s.fail(root, 400, "SQL_EXECUTION_ERROR", "SELECT id FROM b.ok ORDER BY id")
		if !strings.Contains(r.Error.Message, "unreadable") || strings.Contains(r.Error.Message, dir) {
			t.Fatalf("error for a damaged file must be clear and leak no path: %s", r.Error.Message)
		}
		if got := s.ok(root, "SELECT v FROM b.ok WHERE id = 3").rows(t); got != `[["hot"]]` {
			t.Fatalf("hot row behind a damaged file: %s", got)
		}
		if got := s.ok(root, "SELECT id FROM b.t").rows(t); got != `[[1]]` {
			t.Fatalf("other tables after a damaged file: %s", got)
		}
	}
}
