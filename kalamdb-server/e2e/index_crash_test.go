package e2e_test

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
)

// checkIndexAnswers compares, for every conversation, what alice reads
// through the index with what a scan gives (conv + 0 keeps the index out),
// and requires the index to be ready and used.
func checkIndexAnswers(t *testing.T, s *server, alice creds, convs int) {
	t.Helper()
	if got := s.ok(root, "SHOW INDEXES FROM crash.m").rows(t); !strings.Contains(got, `"m_conv","conv, id",false,"ready"`) {
		t.Fatalf("SHOW INDEXES: %s", got)
	}
	const q = "SELECT id, conv, content FROM crash.m WHERE %s = $1 ORDER BY id DESC LIMIT 50"
	if got := s.ok(alice, "EXPLAIN "+fmt.Sprintf(q, "conv"), 1).rows(t); !strings.Contains(got, "index: [m.conv,m.id]") &&
		!strings.Contains(got, "index: m_conv (") {
		t.Fatalf("the index is not used: %s", got)
	}
	for c := 0; c < convs; c++ {
		viaIndex := s.ok(alice, fmt.Sprintf(q, "conv"), c).rows(t)
		scanned := s.ok(alice, fmt.Sprintf(q, "conv + 0"), c).rows(t)
		if viaIndex != scanned {
			t.Fatalf("conversation %d:\n through the index %s\n scanned           %s", c, viaIndex, scanned)
		}
	}
}

// insertRows inserts rows [from, to] for alice, in conversations id % 4.
func insertRows(s *server, alice creds, from, to int) {
	var b strings.Builder
	b.WriteString("INSERT INTO crash.m (id, conv, content) VALUES ")
	for i := from; i <= to; i++ {
		if i > from {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "(%d, %d, 'row %d')", i, i%4, i)
	}
	s.ok(alice, b.String())
}

// TestIndexCrashes kills the real server with indexes in every state; one
// build of the binary serves both cases.
func TestIndexCrashes(t *testing.T) {
	bin := buildServer(t)
	t.Run("kill -9 after writes", func(t *testing.T) { indexSurvivesKill9(t, bin) })
	t.Run("crash during a build", func(t *testing.T) { crashDuringIndexBuild(t, bin) })
}

// indexSurvivesKill9: an index created and written through (by a build
// job and by commits: inserts, updates, deletes, some of them on rows in
// Parquet) answers the same after the server is killed with SIGKILL and
// restarted.
func indexSurvivesKill9(t *testing.T, bin string) {
	dir := t.TempDir()
	env := []string{"KALAMDB_STORAGE_FLUSH_ROWS=0", "KALAMDB_STORAGE_FLUSH_INTERVAL=0s"}
	p := startProcess(t, bin, dir, env...)
	s := &server{t: t, base: p.base}
	s.ok(root, `CREATE NAMESPACE crash; CREATE TABLE crash.m (id BIGINT PRIMARY KEY, conv BIGINT, content TEXT);
		CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE user`)
	alice := basic("alice", "alice-pw")
	insertRows(s, alice, 1, 200)
	jobOf(t, s, "STORAGE FLUSH TABLE crash.m")
	waitJobs(t, s)
	insertRows(s, alice, 201, 300)
	s.ok(root, "CREATE INDEX m_conv ON crash.m (conv, id)")
	waitJobs(t, s)
	// Acknowledged writes after the build, then no clean stop at all.
	insertRows(s, alice, 301, 350)
	s.ok(alice, "UPDATE crash.m SET conv = 9 WHERE id IN (5, 250, 320)")
	s.ok(alice, "DELETE FROM crash.m WHERE conv = 2 AND id < 100")
	checkIndexAnswers(t, s, alice, 10)
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done

	p = startProcess(t, bin, dir, env...)
	s = &server{t: t, base: p.base}
	checkIndexAnswers(t, s, alice, 10)
	if got := s.ok(alice, "SELECT id FROM crash.m WHERE conv = 9 ORDER BY id").rows(t); got != `[[5],[250],[320]]` {
		t.Fatalf("conv 9 after the restart: %s", got)
	}
	// An index created on an empty table is ready at once; the writes
	// acknowledged after it survive a kill too.
	s.ok(root, "CREATE TABLE crash.e (id BIGINT PRIMARY KEY, conv BIGINT); CREATE INDEX e_conv ON crash.e (conv)")
	s.ok(alice, "INSERT INTO crash.e VALUES (1, 7), (2, 7), (3, 8)")
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	p = startProcess(t, bin, dir, env...)
	s = &server{t: t, base: p.base}
	if got := s.ok(alice, "SELECT id FROM crash.e WHERE conv = 7 ORDER BY id DESC LIMIT 5").rows(t); got != `[[2],[1]]` {
		t.Fatalf("after the second kill: %s", got)
	}
}

// crashDuringIndexBuild kills the server inside a build (before it writes
// entries, and with every entry written but the index not yet ready): at
// the next start the build runs again and the index is exact.
func crashDuringIndexBuild(t *testing.T, bin string) {
	for _, point := range []string{"index_build.before_write", "index_build.before_ready"} {
		t.Run(point, func(t *testing.T) {
			dir := t.TempDir()
			env := []string{"KALAMDB_STORAGE_FLUSH_ROWS=0", "KALAMDB_STORAGE_FLUSH_INTERVAL=0s"}
			p := startProcess(t, bin, dir, append(env, "KALAMDB_FAILPOINT="+point)...)
			s := &server{t: t, base: p.base}
			s.ok(root, `CREATE NAMESPACE crash; CREATE TABLE crash.m (id BIGINT PRIMARY KEY, conv BIGINT, content TEXT);
				CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE user`)
			alice := basic("alice", "alice-pw")
			insertRows(s, alice, 1, 100)
			p.postDying(root, "CREATE INDEX m_conv ON crash.m (conv, id)")
			p.waitFailpointExit(t)
			p = startProcess(t, bin, dir, env...)
			s = &server{t: t, base: p.base}
			// Until the resumed build is done, reads do not use the index.
			insertRows(s, alice, 101, 120)
			waitJobs(t, s)
			checkIndexAnswers(t, s, alice, 4)
			got := s.ok(root, "SELECT status FROM system.jobs WHERE job_type = 'index_build' ORDER BY created_at").rows(t)
			if got != `[["failed"],["completed"]]` {
				t.Fatalf("index build jobs: %s", got)
			}
		})
	}
}
