package app

import (
	"context"
	"net"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"go.uber.org/fx"
	"go.uber.org/zap"
	"golang.org/x/crypto/bcrypt"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/database"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/jobs"
	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/httpapi"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// TestAttack15SlowJobIsMarkedWhenTheHTTPDrainTakesTheDeadline: the
// database's stop hook (database.CloseContext) ends the jobs' wait 2 s
// before the whole shutdown's deadline, so that a job still running then
// has its row marked stopped while the process lives. But it runs after
// the HTTP and WebSocket hooks, each of which may drain up to
// server.shutdown_timeout (30 s each by default, 60 s together: the
// whole app.DefaultStopTimeout), and fx neither waits for a hook past
// the deadline nor starts the next one: a stuck client (a slow reader of
// a large result, a half-sent request) at a deploy leaves the database
// hook never called, the slow job's row running with no mark, and the
// next start counts a crash (three such deploys give the job up). Here
// a half-sent request holds the HTTP drain for the whole (short)
// deadline.
func TestAttack15SlowJobIsMarkedWhenTheHTTPDrainTakesTheDeadline(t *testing.T) {
	if row, stopErr := stopWithASlowJob(t, true); row.Status == systable.JobRunning && !row.Stopped {
		t.Fatalf("after a graceful stop (%v) that a stuck HTTP client drained to its deadline, the slow job's row is running with no stop mark: the next start counts a crash", stopErr)
	}
}

// TestStopWithASlowJobMarksItsRow is the control of the test above: with
// no client holding the HTTP drain, the database's hook marks the row.
func TestStopWithASlowJobMarksItsRow(t *testing.T) {
	if row, stopErr := stopWithASlowJob(t, false); row.Status != systable.JobRunning || !row.Stopped {
		t.Fatalf("after a graceful stop (%v), the slow job's row: %s, stopped %v; want running, marked", stopErr, row.Status, row.Stopped)
	}
}

// stopWithASlowJob starts a server, runs a job slow to notice a stop,
// opens a client stuck in its request (stuck), stops the server within
// a deadline, and returns the job's row as the process leaves it, and Stop's
// error.
func stopWithASlowJob(t *testing.T, stuck bool) (*systable.Job, error) {
	cfg := config.Default()
	cfg.Server.Port = 0
	cfg.Storage.DataDir = t.TempDir()
	cfg.Auth.BcryptCost = bcrypt.MinCost
	cfg.Logging.Level = "error"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := config.EnsureJWTSecret(&cfg); err != nil {
		t.Fatal(err)
	}
	la := &listenAddr{}
	var db *database.Database
	var store *kv.DB
	var api *httpapi.Server
	a := fx.New(fx.Supply(&cfg, zap.NewNop(), la), fx.NopLogger,
		fx.Provide(storeConfig, coreConfig, newMemoryAccount), kv.Module, database.Module, Module,
		fx.Populate(&db, &store, &api))
	srv := &Server{app: a, addr: la}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	running, release := make(chan struct{}), make(chan struct{})
	id, err := db.Jobs.Submit(jobs.Spec{Type: jobs.TypeCleanup, NamespaceID: "app", TableName: "t", Key: "k"},
		func(context.Context, *jobs.Progress) (any, error) {
			close(running)
			<-release // slow to notice the stop (a cleanup on a slow object store)
			return nil, context.Canceled
		})
	if err != nil {
		t.Fatal(err)
	}
	<-running
	if stuck {
		conn, err := net.Dial("tcp", srv.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		req := "POST /v1/api/sql HTTP/1.1\r\nHost: x\r\nAuthorization: Basic cm9vdDo=\r\n" +
			"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"sql\": "
		if _, err := conn.Write([]byte(req)); err != nil { // and no more of the body
			t.Fatal(err)
		}
		for inFlight(t, api) == 0 { // until the server is reading its body
			runtime.Gosched()
		}
	}
	// Stuck, the HTTP drain takes all of it; else the hooks all end
	// within it (the jobs' wait, then the store's close), so that
	// Stop returns with the store closed.
	deadline := 10 * time.Second
	if stuck {
		deadline = 3 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	stopErr := srv.Stop(ctx) // the process exits when this returns (main)
	tbl, err := systable.Open(store, systable.Jobs)
	closed := err != nil // the database's hook ran and closed the store ("kv: db closed")
	if closed {
		reopened, oerr := kv.Open(filepath.Join(cfg.Storage.DataDir, "rocksdb"), kv.Options{})
		if oerr != nil {
			t.Fatal(oerr)
		}
		defer reopened.Close()
		tbl, err = systable.Open(reopened, systable.Jobs)
	}
	if err != nil {
		t.Fatal(err)
	}
	row, err := tbl.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	// What the process would not do: end the test's goroutines.
	close(release)
	if !closed {
		_ = db.CloseContext(context.Background())
		_ = store.Close()
	} else {
		_, _ = db.Jobs.Wait(context.Background(), id)
	}
	return row, stopErr
}

// inFlight is the server's kalamdb_http_requests_in_flight.
func inFlight(t *testing.T, api *httpapi.Server) float64 {
	t.Helper()
	mfs, err := api.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "kalamdb_http_requests_in_flight" {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatal("no kalamdb_http_requests_in_flight")
	return 0
}
