package backup_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/backup"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/jobs"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// leftovers is what a backup location holds: the files under a local
// directory, or the objects under an s3 prefix.
type leftoverCase struct {
	name     string
	location string
	// setup prepares s (an s3 storage for an s3 location).
	setup func(t *testing.T, s *server)
	// left lists what is at the location.
	left func(t *testing.T, s *server) []string
	// opener opens locations of the case's kind on s.
	opener func(s *server) backup.Opener
}

func leftoverCases(t *testing.T) []leftoverCase {
	store := newObjectStore(t)
	return []leftoverCase{
		{
			name:     "filesystem",
			location: "partial",
			setup:    func(*testing.T, *server) {},
			left:     func(t *testing.T, s *server) []string { return files(t, filepath.Join(s.backupRoot, "partial")) },
			opener: func(s *server) backup.Opener {
				return &backup.LocalOpener{Catalog: s.db.Catalog, Roots: []string{s.backupRoot}}
			},
		},
		{
			name:     "s3",
			location: "s3://kalam-backups/backups/partial",
			setup:    func(t *testing.T, s *server) { s.must(store.createStorage("s3data", "tables")) },
			left: func(t *testing.T, s *server) []string {
				var out []string
				var walk func(dir string)
				st := store.storage(t, "backups/partial")
				walk = func(dir string) {
					ents, err := st.List(context.Background(), dir)
					if errors.Is(err, os.ErrNotExist) {
						return
					}
					if err != nil {
						t.Fatal(err)
					}
					for _, e := range ents {
						p := filepath.ToSlash(filepath.Join(dir, e.Name))
						if e.IsDir {
							walk(p)
						} else {
							out = append(out, p)
						}
					}
				}
				walk(".")
				return out
			},
			opener: func(s *server) backup.Opener { return &backup.S3Opener{Catalog: s.db.Catalog, Tier: s.db.Tier} },
		},
	}
}

// waitBackupJobs waits for every backup job in system.jobs to end and
// returns them, oldest first.
func waitBackupJobs(t *testing.T, s *server) []*systable.Job {
	t.Helper()
	res := s.must("SELECT job_id FROM system.jobs WHERE job_type = 'backup' ORDER BY created_at")
	var out []*systable.Job
	for _, r := range res[0].Rows {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		j, err := s.db.Jobs.Wait(ctx, r[0].(string))
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, j)
	}
	return out
}

// A backup cancelled midway (KILL JOB, a cancelled context) removes what
// it wrote, on a directory and on an s3 prefix, and leaves nothing for
// the next start to clean up; SHOW BACKUPS does not list it.
func TestCancelledBackupLeavesNothing(t *testing.T) {
	for _, tc := range leftoverCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, t.TempDir())
			fill(s)
			tc.setup(t, s)
			ctx, cancel := context.WithCancel(context.Background())
			wrote := 0
			svc, err := backup.New(backup.Options{DB: s.kv, Catalog: s.db.Catalog, Tier: s.db.Tier, Jobs: s.db.Jobs, Txns: s.db.Txns,
				Opener: tc.opener(s), Failpoint: func(p string) {
					if p == backup.FailBackupBeforeFiles {
						wrote = len(tc.left(t, s)) // hot and index files are written
						cancel()
					}
				}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = svc.Backup(ctx, "app", tc.location, rootCaller, &jobs.Progress{})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled backup: %v", err)
			}
			if wrote == 0 {
				t.Fatal("the backup had written nothing when it was cancelled: the test proves nothing")
			}
			if got := tc.left(t, s); len(got) != 0 {
				t.Fatalf("a cancelled backup left %v", got)
			}
			if got := s.rows("SHOW BACKUPS FOR DATABASE app"); got != "" {
				t.Fatalf("SHOW BACKUPS lists a cancelled backup: %s", got)
			}
			// Nothing is pending: a restart starts no recovery.
			s.close()
			s.open()
			if js := waitBackupJobs(t, s); len(js) != 0 {
				t.Fatalf("a restart after a cancelled backup ran %d backup jobs", len(js))
			}
			s.mustJob("BACKUP DATABASE app TO '" + tc.location + "'")
		})
	}
}

// A backup whose process dies midway leaves a partial backup: the next
// start removes it (and only what a backup writes), and SHOW BACKUPS
// never lists it. One that dies after writing backup.json but before
// recording it is whole: the next start records it, and it restores.
// The process's death is the backup goroutine exiting at a crash point
// with none of its cleanup done, then the database closed and reopened.
func TestKilledBackupIsCleanedUpAtStart(t *testing.T) {
	for i, kind := range leftoverCases(t) {
		for _, point := range []string{backup.FailBackupBeforeFiles, backup.FailBackupBeforeRecord} {
			t.Run(kind.name+"/"+point, func(t *testing.T) {
				tc := leftoverCases(t)[i] // a fresh object store: nothing of another case there
				var armed atomic.Bool
				died := make(chan struct{})
				s := &server{t: t, dir: t.TempDir(), backupRoot: t.TempDir()}
				s.failpoint = func(p string) {
					if p == point && armed.CompareAndSwap(true, false) {
						close(died)
						runtime.Goexit() // the process is gone: nothing after this point runs
					}
				}
				s.open()
				t.Cleanup(s.close)
				fill(s)
				tc.setup(t, s)
				armed.Store(true)
				res := s.must("BACKUP DATABASE app TO '" + tc.location + "'")
				ended := s.jobEnded(res[0].Rows[0][0].(string))
				select {
				case <-died:
				case j := <-ended:
					t.Fatalf("the backup ended before its crash point: %s %s", j.Status, j.ErrorMessage)
				}
				partial := tc.left(t, s)
				if len(partial) == 0 {
					t.Fatal("the dead backup left nothing: the test proves nothing")
				}
				if got := s.rows("SHOW BACKUPS FOR DATABASE app"); got != "" {
					t.Fatalf("SHOW BACKUPS lists a backup that did not end: %s", got)
				}
				// A file of someone else's at the location is not the
				// backup's to remove.
				if tc.name == "filesystem" {
					if err := os.WriteFile(filepath.Join(s.backupRoot, "partial", "README"), []byte("mine"), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				s.close()
				s.open()
				js := waitBackupJobs(t, s)
				var states []string
				for _, j := range js {
					states = append(states, string(j.Status)+" "+j.ErrorMessage)
				}
				if len(js) != 2 || js[0].Status != systable.JobFailed || js[1].Status != systable.JobCompleted {
					t.Fatalf("backup jobs after the restart (want the dead one failed, a recovery completed): %q", states)
				}
				left := tc.left(t, s)
				listed := s.rows("SHOW BACKUPS FOR DATABASE app")
				if point == backup.FailBackupBeforeFiles {
					want := []string(nil)
					if tc.name == "filesystem" {
						want = []string{"README"}
					}
					if strings.Join(left, ",") != strings.Join(want, ",") {
						t.Fatalf("after recovery the location holds %v, want %v", left, want)
					}
					if listed != "" {
						t.Fatalf("SHOW BACKUPS lists a partial backup: %s", listed)
					}
					if !strings.Contains(string(js[1].Result), `"recorded":false`) {
						t.Fatalf("recovery result %s", js[1].Result)
					}
					return
				}
				if len(left) < len(partial) || !strings.HasSuffix(strings.TrimSpace(listed), " available") {
					t.Fatalf("a whole backup was not kept and recorded: %v\n%s", left, listed)
				}
				dst := newServer(t, s.backupRoot)
				if tc.name == "s3" {
					tc.setup(t, dst)
				}
				dst.mustJob("RESTORE DATABASE app FROM '" + tc.location + "'")
				if got, want := dump(dst), dump(s); got != want {
					t.Fatalf("restored:\n%s\nwant:\n%s", got, want)
				}
			})
		}
	}
}
