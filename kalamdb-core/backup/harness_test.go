package backup_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/backup"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/database"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// server is a database core on a temp dir whose backups go under
// backupRoot.
type server struct {
	t          *testing.T
	dir        string
	backupRoot string
	faults     *cold.Faults
	// storageFaults inject failures into the tables' storages.
	storageFaults *cold.Faults
	// failpoint is the database's crash point hook.
	failpoint func(string)
	// cleanupPartitions bounds the partitions of one run of a dropped
	// table's cleanup (0: the default).
	cleanupPartitions int
	// maxStartRetries is the database's JobMaxStartRetries (0: the
	// default).
	maxStartRetries int
	// key signs its backups and checks their signatures: testSigningKey
	// unless set, none when noKey (a server without a storage secret
	// key). onUnsigned is told of each backup written unsigned.
	key        []byte
	noKey      bool
	onUnsigned func(ns, location string)
	kv         *kv.DB
	db         *database.Database
}

// testSigningKey is the backup signing key of the servers of these tests:
// they share a storage secret key, so they trust each other's backups.
var testSigningKey = backup.SigningKey("the test servers' storage secret key")

func newServer(t *testing.T, backupRoot string) *server {
	t.Helper()
	return newServerKey(t, backupRoot, testSigningKey)
}

// newServerKey is newServer with backup signing key key (nil: none).
func newServerKey(t *testing.T, backupRoot string, key []byte) *server {
	t.Helper()
	s := &server{t: t, dir: t.TempDir(), backupRoot: backupRoot, key: key, noKey: key == nil}
	s.open()
	t.Cleanup(s.close)
	return s
}

func (s *server) open() {
	s.t.Helper()
	store, db := s.openUnstarted()
	if err := db.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.kv, s.db = store, db
}

// openUnstarted opens the store and the database over it, and starts
// nothing: the caller starts it (or not: a start that failed) and closes
// both.
func (s *server) openUnstarted() (*kv.DB, *database.Database) {
	s.t.Helper()
	if s.key == nil && !s.noKey {
		s.key = testSigningKey
	}
	store, err := kv.Open(s.dir+"/rocksdb", kv.Options{})
	if err != nil {
		s.t.Fatal(err)
	}
	db, err := database.Open(store, database.Config{BcryptCost: bcrypt.MinCost, StorageDir: s.dir + "/storage",
		DataDir: s.dir, StorageRoots: []string{s.dir + "/storages"}, BackupRoots: []string{s.backupRoot},
		BackupFaults: s.faults, StorageFaults: s.storageFaults, ObsoleteFileGrace: time.Nanosecond, Failpoint: s.failpoint,
		CleanupPartitionsPerRun: s.cleanupPartitions, JobMaxStartRetries: s.maxStartRetries,
		BackupSigningKey: s.key, OnUnsignedBackup: s.onUnsigned})
	if err != nil {
		_ = store.Close()
		s.t.Fatal(err)
	}
	return store, db
}

func (s *server) close() {
	if s.db != nil {
		_ = s.db.Close()
		_ = s.kv.Close()
		s.db, s.kv = nil, nil
	}
}

// exec runs SQL as root.
func (s *server) exec(sql string) ([]executor.Result, error) {
	return s.execAs("root", systable.RoleSystem, sql)
}

func (s *server) execAs(user string, role systable.Role, sql string) ([]executor.Result, error) {
	return s.db.Executor.Execute(context.Background(), executor.Request{UserID: user, Role: role, SQL: sql})
}

func (s *server) must(sql string) []executor.Result {
	s.t.Helper()
	res, err := s.exec(sql)
	if err != nil {
		s.t.Fatalf("%s: %v", sql, err)
	}
	return res
}

// rows runs one query and returns its rows rendered as text.
func (s *server) rows(sql string) string {
	s.t.Helper()
	res := s.must(sql)
	var b strings.Builder
	for _, r := range res[len(res)-1].Rows {
		fmt.Fprintln(&b, r...)
	}
	return b.String()
}

// job runs a statement that starts one job and waits for it.
func (s *server) job(sql string) *systable.Job {
	s.t.Helper()
	res := s.must(sql)
	id, ok := res[0].Rows[0][0].(string)
	if !ok {
		s.t.Fatalf("%s: no job id in %+v", sql, res)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	j, err := s.db.Jobs.Wait(ctx, id)
	if err != nil {
		s.t.Fatal(err)
	}
	return j
}

// mustJob is job for a job that must complete.
// jobEnded delivers job id's row once it ends. A test whose job never
// ends (its goroutine was made to die, as a process would) stops the
// wait when it ends, so the waiter does not outlive it. The jobs manager
// is taken now: the test may restart s (writing s.db) before the waiter
// runs, and a job that died stays active in the old manager, which never
// reads the closed store for it.
func (s *server) jobEnded(id string) <-chan *systable.Job {
	ctx, stop := context.WithCancel(context.Background())
	s.t.Cleanup(stop)
	ended := make(chan *systable.Job, 1)
	jm := s.db.Jobs
	go func() {
		j, _ := jm.Wait(ctx, id)
		ended <- j
	}()
	return ended
}

// obsoleteRemoved waits until the files compactions replaced are gone:
// their removal runs on a goroutine of its own after the compaction's
// job has ended (tier's obsoleteFiles, a grace of 1 ns here), so a test
// that lists a table's directory after a compaction waits here first.
func (s *server) obsoleteRemoved() {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := s.db.Tier.WaitObsoleteRemoved(ctx); err != nil {
		s.t.Fatalf("the files compactions replaced are not removed: %v", err)
	}
}

func (s *server) mustJob(sql string) *systable.Job {
	s.t.Helper()
	j := s.job(sql)
	if j.Status != systable.JobCompleted {
		s.t.Fatalf("%s: job %s: %s", sql, j.Status, j.ErrorMessage)
	}
	return j
}

func wantCode(t *testing.T, err error, code apierror.Code, contains string) {
	t.Helper()
	ae, ok := apierror.As(err)
	if !ok || ae.Code != code {
		t.Fatalf("error = %v, want %s", err, code)
	}
	if !strings.Contains(ae.Message, contains) {
		t.Fatalf("error %q does not say %q", ae.Message, contains)
	}
}

// service is a second backup service over s's database, with a hook
// after the snapshot.
func (s *server) service(afterSnapshot func()) *backup.Service {
	s.t.Helper()
	svc, err := backup.New(backup.Options{DB: s.kv, Catalog: s.db.Catalog, Tier: s.db.Tier, Jobs: s.db.Jobs, Txns: s.db.Txns,
		Opener: &backup.LocalOpener{Catalog: s.db.Catalog, Roots: []string{s.backupRoot}}, AfterSnapshot: afterSnapshot,
		SigningKey: s.key})
	if err != nil {
		s.t.Fatal(err)
	}
	return svc
}

// files lists the regular files under dir, relative to it.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if !info.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// rootCaller is root asking for a backup (Service.Backup called directly).
var rootCaller = backup.Caller{UserID: "root", Role: systable.RoleSystem}
