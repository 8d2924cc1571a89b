package e2e_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	pq "github.com/parquet-go/parquet-go"
)

// waitJobs polls system.jobs until no job is queued or running.
func waitJobs(t *testing.T, s *server) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if s.ok(root, "SELECT count(*) FROM system.jobs WHERE status IN ('queued', 'running')").rows(t) == `[[0]]` {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("jobs still running after two minutes")
}

// jobOf runs a STORAGE statement and returns the id of the job it started.
func jobOf(t *testing.T, s *server, stmt string) string {
	t.Helper()
	r := s.ok(root, stmt)
	if len(r.Results[0].Rows) == 0 {
		t.Fatalf("%s started no job: %s", stmt, r)
	}
	return fmt.Sprint(r.Results[0].Rows[0][0])
}

// checkExactlyOnce asserts that alice sees exactly the given ids, once each.
func checkExactlyOnce(t *testing.T, s *server, alice creds, want int) {
	t.Helper()
	r := s.ok(alice, "SELECT id, content FROM crash.m ORDER BY id")
	rows := r.Results[0].Rows
	if len(rows) != want {
		t.Fatalf("alice sees %d rows, want %d", len(rows), want)
	}
	for i, row := range rows {
		if fmt.Sprint(row[0]) != fmt.Sprint(i+1) || row[1] != fmt.Sprintf("row %d", i+1) {
			t.Fatalf("row %d is %v", i, row)
		}
	}
	if got := s.ok(alice, "SELECT count(*), count(DISTINCT id) FROM crash.m").rows(t); got != fmt.Sprintf("[[%d,%d]]", want, want) {
		t.Fatalf("count: %s", got)
	}
}

// TestCrashDuringFlushAndCompaction kills the real server at each step of
// a flush and of a compaction and proves, after a restart, that every
// acknowledged row is there exactly once, and that the Parquet files left
// behind are readable by an independent Parquet reader.
func TestCrashDuringFlushAndCompaction(t *testing.T) {
	bin := buildServer(t)
	points := []struct {
		point, stmt string
		// prep runs before the statement that crashes.
		compact bool
	}{
		{"flush.before_write", "STORAGE FLUSH TABLE crash.m", false},
		{"flush.after_write", "STORAGE FLUSH TABLE crash.m", false},
		{"flush.after_commit", "STORAGE FLUSH TABLE crash.m", false},
		{"compact.before_write", "STORAGE COMPACT TABLE crash.m", true},
		{"compact.after_write", "STORAGE COMPACT TABLE crash.m", true},
		{"compact.after_swap", "STORAGE COMPACT TABLE crash.m", true},
	}
	for _, pt := range points {
		t.Run(pt.point, func(t *testing.T) {
			dir := t.TempDir()
			env := []string{"KALAMDB_STORAGE_FLUSH_ROWS=0", "KALAMDB_STORAGE_FLUSH_INTERVAL=0s"}
			p := startProcess(t, bin, dir, env...)
			s := &server{t: t, base: p.base}
			s.ok(root, `CREATE NAMESPACE crash; CREATE TABLE crash.m (id BIGINT PRIMARY KEY, content TEXT);
				CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE user`)
			alice := basic("alice", "alice-pw")
			insert := func(from, to int) {
				var b strings.Builder
				b.WriteString("INSERT INTO crash.m (id, content) VALUES ")
				for i := from; i <= to; i++ {
					if i > from {
						b.WriteString(", ")
					}
					fmt.Fprintf(&b, "(%d, 'row %d')", i, i)
				}
				s.ok(alice, b.String())
			}
			insert(1, 100)
			if pt.compact {
				// Two files to merge.
				jobOf(t, s, "STORAGE FLUSH TABLE crash.m")
				waitJobs(t, s)
				insert(101, 150)
				jobOf(t, s, "STORAGE FLUSH TABLE crash.m")
				waitJobs(t, s)
			}
			total := 150
			if !pt.compact {
				total = 100
			}
			_ = p.cmd.Process.Signal(syscall.SIGTERM) // stop cleanly, then restart with the failpoint armed
			<-p.done
			p = startProcess(t, bin, dir, append(env, "KALAMDB_FAILPOINT="+pt.point)...)
			s = &server{t: t, base: p.base}
			checkExactlyOnce(t, s, alice, total)
			// The job runs in the background and kills the server, maybe
			// before it has answered.
			p.postDying(root, pt.stmt)
			p.waitFailpointExit(t)
			// Restart: every acknowledged row exactly once, before and after
			// the interrupted job is retried.
			p = startProcess(t, bin, dir, env...)
			s = &server{t: t, base: p.base}
			checkExactlyOnce(t, s, alice, total)
			waitJobs(t, s)
			checkExactlyOnce(t, s, alice, total)
			got := s.ok(root, "SELECT status, count(*) FROM system.jobs WHERE job_type IN ('flush', 'compact') GROUP BY status ORDER BY status").rows(t)
			if !strings.Contains(got, `"failed",1`) {
				t.Fatalf("the interrupted job must be recorded as failed: %s", got)
			}
			// Once more through the cold tier only.
			jobOf(t, s, "STORAGE FLUSH TABLE crash.m")
			waitJobs(t, s)
			checkExactlyOnce(t, s, alice, total)
			checkParquetFiles(t, filepath.Join(dir, "storage"), total)
		})
	}
}

// checkParquetFiles reads every file listed in the manifests with
// parquet-go and checks the column layout and that the live rows add up.
func checkParquetFiles(t *testing.T, storage string, wantLive int) {
	t.Helper()
	var manifests []string
	_ = filepath.Walk(storage, func(path string, info os.FileInfo, err error) error {
		if err == nil && info.Name() == "manifest.json" {
			manifests = append(manifests, path)
		}
		return nil
	})
	if len(manifests) == 0 {
		t.Fatal("no manifest.json written")
	}
	latest := map[int64]bool{} // id -> deleted, newest version
	seqOf := map[int64]int64{}
	for _, mp := range manifests {
		raw, err := os.ReadFile(mp)
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			Files []struct {
				Path string `json:"path"`
				Rows int64  `json:"rows"`
			} `json:"files"`
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		for _, f := range m.Files {
			fh, err := os.Open(filepath.Join(storage, f.Path))
			if err != nil {
				t.Fatalf("manifest lists a missing file: %v", err)
			}
			st, _ := fh.Stat()
			pf, err := pq.OpenFile(fh, st.Size())
			if err != nil {
				t.Fatalf("parquet-go cannot open %s: %v", f.Path, err)
			}
			var cols []string
			for _, fld := range pf.Schema().Fields() {
				cols = append(cols, fld.Name())
			}
			sort.Strings(cols)
			if strings.Join(cols, ",") != "_deleted,_key,_seq,content,id" {
				t.Fatalf("%s columns: %v", f.Path, cols)
			}
			if pf.NumRows() != f.Rows {
				t.Fatalf("%s has %d rows, manifest says %d", f.Path, pf.NumRows(), f.Rows)
			}
			type rec struct {
				ID      int64 `parquet:"id"`
				Seq     int64 `parquet:"_seq"`
				Deleted bool  `parquet:"_deleted"`
			}
			rd := pq.NewGenericReader[rec](pf)
			buf := make([]rec, 64)
			for {
				n, err := rd.Read(buf)
				for _, r := range buf[:n] {
					if r.Seq > seqOf[r.ID] {
						seqOf[r.ID], latest[r.ID] = r.Seq, r.Deleted
					}
				}
				if err != nil {
					break
				}
			}
			rd.Close()
			fh.Close()
		}
	}
	live := 0
	for _, del := range latest {
		if !del {
			live++
		}
	}
	if live != wantLive {
		t.Fatalf("the Parquet files hold %d live rows, want %d", live, wantLive)
	}
}
