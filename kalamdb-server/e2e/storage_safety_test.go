package e2e_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStorageSafetyOverHTTP replays the storage findings against the real
// server as a dba would: storages over the data directory, its parent,
// '/', RocksDB's directory or another storage are refused with
// INVALID_INPUT, one outside the allowed roots with PERMISSION_DENIED, a
// template that lets partitions collide with INVALID_INPUT; the database
// survives a restart intact; DROP TABLE and DROP NAMESPACE CASCADE leave no
// directory behind.
func TestStorageSafetyOverHTTP(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir, noPolicyFlush)
	s.ok(root, "CREATE USER 'ops' WITH PASSWORD 'pw' ROLE dba")
	ops := basic("ops", "pw")
	s.ok(ops, `CREATE NAMESPACE app; CREATE SHARED TABLE app.kept (id INT PRIMARY KEY, v TEXT);
		INSERT INTO app.kept VALUES (1, 'before'), (2, 'the attack')`)
	s.ok(ops, "STORAGE FLUSH TABLE app.kept")
	waitJobs(t, s)
	s.ok(ops, "INSERT INTO app.kept VALUES (3, 'hot')")

	for _, p := range []string{filepath.Dir(dir), "/", dir, filepath.Join(dir, "rocksdb"), filepath.Join(dir, "rocksdb", "x"),
		filepath.Join(dir, "storage"), filepath.Join(dir, "storage", "app"), "..", "../rocksdb"} {
		r := s.fail(ops, http.StatusBadRequest, "INVALID_INPUT", fmt.Sprintf("CREATE STORAGE wipe TYPE 'filesystem' PATH '%s'", p))
		if !strings.Contains(r.Error.Message, "data directory") && !strings.Contains(r.Error.Message, "RocksDB") &&
			!strings.Contains(r.Error.Message, "storage local") {
			t.Fatalf("PATH %s: the refusal does not name the rule: %s", p, r.Error.Message)
		}
	}
	s.fail(ops, http.StatusForbidden, "PERMISSION_DENIED", fmt.Sprintf("CREATE STORAGE wipe TYPE 'filesystem' PATH '%s'", t.TempDir()))
	s.fail(ops, http.StatusBadRequest, "INVALID_INPUT",
		"CREATE STORAGE cns TYPE 'filesystem' PATH 'cns' USER_TABLES_TEMPLATE '{namespace}/{tableName}{userId}'")
	s.ok(ops, "CREATE STORAGE archive TYPE 'filesystem' PATH 'archive'")
	if got := s.ok(ops, "SELECT base_directory FROM system.storages WHERE storage_id = 'archive'").rows(t); got != fmt.Sprintf(`[[%q]]`, filepath.Join(dir, "storages", "archive")) {
		t.Fatalf("archive's path: %s", got)
	}
	s.fail(ops, http.StatusBadRequest, "INVALID_INPUT", "CREATE STORAGE inner TYPE 'filesystem' PATH 'archive/inner'")
	s.fail(ops, http.StatusBadRequest, "INVALID_INPUT", fmt.Sprintf("ALTER STORAGE archive SET PATH '%s'", filepath.Dir(dir)))
	s.fail(ops, http.StatusBadRequest, "INVALID_INPUT", "ALTER STORAGE archive SET USER_TABLES_TEMPLATE '{namespace}/{tableName}{userId}'")
	if got := s.ok(ops, "SELECT count(*) FROM system.storages").rows(t); got != `[[2]]` {
		t.Fatalf("storages after the refusals: %s", got)
	}

	// Nothing was lost: after a restart every row is there.
	s = s.restart()
	if got := s.ok(ops, "SELECT id, v FROM app.kept ORDER BY id").rows(t); got != `[[1,"before"],[2,"the attack"],[3,"hot"]]` {
		t.Fatalf("rows after the attempts and a restart: %s", got)
	}

	// DROP TABLE and DROP NAMESPACE CASCADE remove the directories.
	s.ok(root, "CREATE USER 'alice' WITH PASSWORD 'pw' ROLE user")
	s.ok(ops, `CREATE TABLE app.msgs (id INT PRIMARY KEY) WITH (STORAGE_ID = 'archive');
		INSERT INTO app.msgs VALUES (1); EXECUTE AS USER 'alice' (INSERT INTO app.msgs VALUES (2))`)
	s.ok(ops, "STORAGE FLUSH TABLE app.msgs")
	waitJobs(t, s)
	archiveApp := filepath.Join(dir, "storages", "archive", "app")
	if ents, err := os.ReadDir(filepath.Join(archiveApp, "msgs")); err != nil || len(ents) != 2 {
		t.Fatalf("partitions of app.msgs: %v %v", ents, err)
	}
	s.ok(ops, "DROP TABLE app.msgs")
	waitJobs(t, s)
	if _, err := os.Stat(filepath.Join(archiveApp, "msgs")); !os.IsNotExist(err) {
		t.Fatalf("DROP TABLE left the table's directory: %v", err)
	}
	s.ok(ops, "DROP NAMESPACE app CASCADE")
	waitJobs(t, s)
	for _, d := range []string{archiveApp, filepath.Join(dir, "storage", "app")} {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Fatalf("DROP NAMESPACE CASCADE left %s: %v", d, err)
		}
	}
	if got := s.ok(root, "SELECT count(*) FROM system.jobs WHERE status <> 'completed'").rows(t); got != `[[0]]` {
		t.Fatalf("jobs: %s", s.ok(root, "SELECT job_type, status, error_message FROM system.jobs").rows(t))
	}

	// The operator widens the roots in the configuration.
	extra := t.TempDir()
	s.cfg.Storage.AllowedRoots = []string{extra}
	s = s.restart()
	s.ok(ops, "CREATE STORAGE wide TYPE 'filesystem' PATH 'wide'")
	if got := s.ok(ops, "SELECT base_directory FROM system.storages WHERE storage_id = 'wide'").rows(t); got != fmt.Sprintf(`[[%q]]`, filepath.Join(extra, "wide")) {
		t.Fatalf("relative PATH under a configured root: %s", got)
	}
	s.fail(ops, http.StatusForbidden, "PERMISSION_DENIED", "CREATE STORAGE old_default TYPE 'filesystem' PATH '"+filepath.Join(dir, "storages", "x")+"'")
	s.fail(ops, http.StatusBadRequest, "INVALID_INPUT", "CREATE STORAGE wipe TYPE 'filesystem' PATH '"+filepath.Dir(dir)+"'")
}
