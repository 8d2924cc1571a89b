package executor_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// flushTable runs STORAGE FLUSH TABLE and waits for its job.
func flushTable(t *testing.T, e *env, table string) *systable.Job {
	t.Helper()
	return runJob(t, e, "STORAGE FLUSH TABLE "+table)
}

func runJob(t *testing.T, e *env, stmt string) *systable.Job {
	t.Helper()
	return waitJobEnds(t, e, startJob(t, e, stmt), systable.JobCompleted)
}

// startJob runs a statement that starts a job and returns the job's id.
func startJob(t *testing.T, e *env, stmt string) string {
	t.Helper()
	res := e.root().must(stmt)
	if len(res[0].Rows) != 1 {
		t.Fatalf("%s: %+v", stmt, res[0])
	}
	return res[0].Rows[0][0].(string)
}

// hotRows counts a table's hot rows of one user, read below the engine.
func hotRows(t *testing.T, e *env, family, user string) int {
	t.Helper()
	cf, ok := e.kv.LookupColumnFamily(family)
	if !ok {
		t.Fatalf("no family %s", family)
	}
	opts := kv.IterOptions{}
	if user != "" {
		opts = kv.PrefixOptions(keyenc.AppendUserPrefix(nil, user))
	}
	it, err := cf.NewIter(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		n++
	}
	return n
}

func TestFlushAndHybridReads(t *testing.T) {
	e, alice, bob := chatEnv(t)
	for i := 1; i <= 30; i++ {
		alice.must("INSERT INTO chat.messages (id, conversation_id, content) VALUES ($1, $2, $3)", i, i%3, fmt.Sprintf("a%02d", i))
	}
	bob.must("INSERT INTO chat.messages (id, conversation_id, content) VALUES (1, 1, 'b01'), (2, 1, 'b02')")
	alice.must("DELETE FROM chat.messages WHERE id = 30")
	queries := []string{
		"SELECT id, content FROM chat.messages ORDER BY id",
		"SELECT id FROM chat.messages WHERE id = 7",
		"SELECT id FROM chat.messages WHERE id BETWEEN 10 AND 13",
		"SELECT id FROM chat.messages WHERE conversation_id = 1 ORDER BY id DESC LIMIT 3",
		"SELECT conversation_id, count(*) FROM chat.messages GROUP BY conversation_id ORDER BY 1",
		"SELECT id, _deleted FROM chat.messages WHERE _deleted = true",
	}
	before := map[string]string{}
	for _, q := range queries {
		before[q] = alice.rows(q)
	}
	j := flushTable(t, e, "chat.messages")
	if j.RowsProcessed != 32 || !strings.Contains(string(j.Result), `"partitions":2`) {
		t.Fatalf("flush job: rows %d result %s", j.RowsProcessed, j.Result)
	}
	if n := hotRows(t, e, "user_table:chat:messages", ""); n != 0 {
		t.Fatalf("%d hot rows left after flush", n)
	}
	// Every query returns the same rows from the cold tier.
	for _, q := range queries {
		if got := alice.rows(q); got != before[q] {
			t.Fatalf("%s\n hot:  %s\n cold: %s", q, before[q], got)
		}
	}
	if got := bob.rows("SELECT id, content FROM chat.messages ORDER BY id"); got != `[[1,"b01"],[2,"b02"]]` {
		t.Fatalf("bob after flush: %s", got)
	}
	got := e.root().rows("SELECT user_id = $1, user_id = $2, file_count FROM system.manifest ORDER BY user_id = $1 DESC", alice.user, bob.user)
	if got != `[[true,false,1],[false,true,1]]` {
		t.Fatalf("system.manifest: %s", got)
	}
	// Split across tiers: new hot rows, updates and deletes of cold rows.
	alice.must("INSERT INTO chat.messages (id, conversation_id, content) VALUES (31, 1, 'hot')")
	alice.must("UPDATE chat.messages SET content = 'edited' WHERE id = 5")
	alice.must("DELETE FROM chat.messages WHERE id = 6")
	alice.fails(apierror.InvalidInput, "INSERT INTO chat.messages (id, conversation_id) VALUES (7, 1)")
	alice.must("INSERT INTO chat.messages (id, conversation_id, content) VALUES (30, 2, 'revived')")
	got = alice.rows("SELECT id, content FROM chat.messages WHERE id IN (5, 6, 7, 30, 31) ORDER BY id")
	if got != `[[5,"edited"],[7,"a07"],[30,"revived"],[31,"hot"]]` {
		t.Fatalf("split tiers: %s", got)
	}
	if got := alice.rows("SELECT count(*) FROM chat.messages"); got != `[[30]]` {
		t.Fatalf("count across tiers: %s", got)
	}
	// A second flush adds a file; a compaction merges them.
	flushTable(t, e, "chat.messages")
	if got := e.root().rows("SELECT file_count FROM system.manifest WHERE user_id = $1", alice.user); got != `[[2]]` {
		t.Fatalf("files after second flush: %s", got)
	}
	want := alice.rows("SELECT id, content, _deleted FROM chat.messages WHERE _deleted = false OR _deleted = true ORDER BY id")
	runJob(t, e, "STORAGE COMPACT TABLE chat.messages")
	if got := e.root().rows("SELECT file_count FROM system.manifest WHERE user_id = $1", alice.user); got != `[[1]]` {
		t.Fatalf("files after compaction: %s", got)
	}
	if got := alice.rows("SELECT id, content, _deleted FROM chat.messages WHERE _deleted = false OR _deleted = true ORDER BY id"); got != want {
		t.Fatalf("after compaction:\n got %s\nwant %s", got, want)
	}
	if got := alice.rows("SELECT content FROM chat.messages WHERE id = 5"); got != `[["edited"]]` {
		t.Fatalf("cold point lookup after compaction: %s", got)
	}
	// Data survives a restart.
	e.reopen()
	if again := e.user("alice"); again.user != alice.user {
		t.Fatalf("alice's user id changed across a restart: %s, then %s", alice.user, again.user)
	}
	if got := alice.rows("SELECT count(*) FROM chat.messages"); got != `[[30]]` {
		t.Fatalf("after restart: %s", got)
	}
}

func TestFlushSharedTableAndNoPrimaryKey(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE n; CREATE SHARED TABLE n.cfg (k TEXT PRIMARY KEY, v TEXT);
		CREATE TABLE n.log (msg TEXT, level INT);
		INSERT INTO n.cfg VALUES ('a', '1'), ('b', '2');
		INSERT INTO n.log VALUES ('x', 1), ('x', 1), ('y', 2)`)
	flushTable(t, e, "n.cfg")
	flushTable(t, e, "n.log")
	root.must("UPDATE n.cfg SET v = '3' WHERE k = 'b'")
	root.must("UPDATE n.log SET level = 9 WHERE msg = 'x'")
	if got := root.rows("SELECT k, v FROM n.cfg ORDER BY k"); got != `[["a","1"],["b","3"]]` {
		t.Fatalf("shared after flush: %s", got)
	}
	if got := root.rows("SELECT msg, level FROM n.log ORDER BY msg"); got != `[["x",9],["x",9],["y",2]]` {
		t.Fatalf("no-PK table after flush: %s", got)
	}
	root.fails(apierror.InvalidInput, "INSERT INTO n.cfg VALUES ('a', 'dup')")
}

func TestFlushPolicyRows(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must("CREATE NAMESPACE n; CREATE TABLE n.t (id INT PRIMARY KEY) WITH (FLUSH_POLICY = 'rows:5')")
	a, b := e.as("a", systable.RoleUser), e.as("b", systable.RoleUser)
	for i := 1; i <= 6; i++ {
		a.must("INSERT INTO n.t VALUES ($1)", i)
	}
	b.must("INSERT INTO n.t VALUES (1)")
	if err := e.db.Tier.RunFlushPolicies(time.Now()); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, e)
	if n := hotRows(t, e, "user_table:n:t", "a"); n != 0 {
		t.Fatalf("a's partition reached rows:5 but %d rows are hot", n)
	}
	if n := hotRows(t, e, "user_table:n:t", "b"); n != 1 {
		t.Fatalf("b's partition is under the threshold but has %d hot rows", n)
	}
	if got := a.rows("SELECT count(*) FROM n.t"); got != `[[6]]` {
		t.Fatalf("a's rows: %s", got)
	}
}

// waitIdle waits until no job is queued or running.
func waitIdle(t *testing.T, e *env) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if got := e.root().rows("SELECT count(*) FROM system.jobs WHERE status IN ('queued', 'running')"); got == `[[0]]` {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("jobs still running after a minute")
}

func TestDropTableRemovesColdDataAndNameIsReusable(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must("CREATE NAMESPACE n; CREATE TABLE n.t (id INT PRIMARY KEY, v TEXT)")
	a := e.as("a", systable.RoleUser)
	a.must("INSERT INTO n.t VALUES (1, 'old')")
	flushTable(t, e, "n.t")
	root.must("DROP TABLE n.t")
	if got := root.rows("SELECT count(*) FROM system.manifest"); got != `[[0]]` {
		t.Fatalf("manifests after drop: %s", got)
	}
	// The name is free at once, and the new table sees none of the old data.
	root.must("CREATE TABLE n.t (id INT PRIMARY KEY, v TEXT)")
	if got := a.rows("SELECT count(*) FROM n.t"); got != `[[0]]` {
		t.Fatalf("re-created table sees old rows: %s", got)
	}
	a.must("INSERT INTO n.t VALUES (1, 'new')")
	waitIdle(t, e)
	got := root.rows("SELECT job_type, status FROM system.jobs WHERE job_type = 'cleanup'")
	if got != `[["cleanup","completed"]]` {
		t.Fatalf("cleanup job: %s", got)
	}
	flushTable(t, e, "n.t")
	if got := a.rows("SELECT id, v FROM n.t"); got != `[[1,"new"]]` {
		t.Fatalf("new table after flush: %s", got)
	}
	// DROP NAMESPACE CASCADE drops every table the same way.
	root.must("DROP NAMESPACE n CASCADE")
	if got := root.rows("SELECT count(*) FROM system.manifest"); got != `[[0]]` {
		t.Fatalf("manifests after cascade: %s", got)
	}
	waitIdle(t, e)
}

func TestStorageStatementsAndStats(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	dir := filepath.Join(e.dir, "storages", "archive")
	root.must(fmt.Sprintf("CREATE STORAGE archive TYPE 'filesystem' NAME 'Archive' PATH '%s'", dir))
	root.fails(apierror.AlreadyExists, fmt.Sprintf("CREATE STORAGE archive TYPE 'filesystem' PATH '%s'", dir))
	// A relative PATH is resolved against the first allowed root.
	root.must("CREATE STORAGE rel TYPE 'filesystem' PATH 'relative/path'")
	if got := root.rows("SELECT base_directory FROM system.storages WHERE storage_id = 'rel'"); got != fmt.Sprintf(`[[%q]]`, filepath.Join(e.dir, "storages", "relative", "path")) {
		t.Fatalf("relative PATH stored as %s", got)
	}
	root.must("DROP STORAGE rel")
	root.fails(apierror.InvalidInput, "CREATE STORAGE s3one TYPE 's3'")
	root.fails(apierror.InvalidInput, "CREATE STORAGE s3one TYPE 's3' BUCKET 'Not_A_Bucket'")
	root.fails(apierror.InvalidInput, fmt.Sprintf("CREATE STORAGE bad TYPE 'filesystem' PATH '%s' USER_TABLES_TEMPLATE '{namespace}/{tableName}'", dir))
	if got := root.rows("STORAGE CHECK archive"); got != `[["archive","usable",true,"ok"],["archive","write",true,"ok"],["archive","read",true,"ok"],["archive","list",true,"ok"],["archive","delete",true,"ok"]]` {
		t.Fatalf("storage check: %s", got)
	}
	if got := root.rows("STORAGE CHECK archive EXTENDED"); !strings.Contains(got, `["archive","ranged read",true,"ok"],["archive","large write",true,"ok"],["archive","delete",true,"ok"]]`) {
		t.Fatalf("storage check: %s", got)
	}
	if got := root.rows("SHOW STORAGES"); !strings.Contains(got, `"archive","Archive","filesystem"`) || !strings.Contains(got, `"local"`) {
		t.Fatalf("show storages: %s", got)
	}
	root.must("CREATE NAMESPACE n; CREATE TABLE n.t (id INT PRIMARY KEY) WITH (STORAGE_ID = 'archive')")
	root.fails(apierror.SQLExecutionError, "DROP STORAGE archive")
	root.fails(apierror.PermissionDenied, "DROP STORAGE local")
	a := e.as("a", systable.RoleUser)
	a.must("INSERT INTO n.t VALUES (1), (2)")
	flushTable(t, e, "n.t")
	a.must("INSERT INTO n.t VALUES (3)")
	if got := root.rows("SHOW STATS FOR TABLE n.t"); !strings.HasPrefix(got, `[["n","t",1,2,1,`) {
		t.Fatalf("stats: %s", got)
	}
	if got := a.rows("SHOW STATS FOR TABLE n.t"); !strings.HasPrefix(got, `[["n","t",1,2,1,`) {
		t.Fatalf("a's stats: %s", got)
	}
	if got := e.as("b", systable.RoleUser).rows("SHOW STATS FOR TABLE n.t"); !strings.HasPrefix(got, `[["n","t",0,0,0,`) {
		t.Fatalf("b's stats: %s", got)
	}
	if got := root.rows("SHOW MANIFEST"); !regexp.MustCompile(`"n","t","a","n/t/a/batch-1-[0-9a-f]{16}\.parquet",2`).MatchString(got) {
		t.Fatalf("show manifest: %s", got)
	}
	a.fails(apierror.PermissionDenied, "STORAGE FLUSH TABLE n.t")
	a.fails(apierror.PermissionDenied, "SHOW MANIFEST")
	root.fails(apierror.TableNotFound, "STORAGE FLUSH TABLE n.missing")
	root.fails(apierror.NotFound, "KILL JOB 'nope'")
	root.must("DROP TABLE n.t")
	root.must("DROP STORAGE archive")
}

func TestFlushOnFullDiskFailsCleanly(t *testing.T) {
	var full atomic.Bool
	faults := &cold.Faults{Write: func(p string, n int) error {
		if full.Load() {
			return syscall.ENOSPC
		}
		return nil
	}}
	e := &env{t: t, dir: t.TempDir(), faults: faults}
	e.open()
	t.Cleanup(e.close)
	e.root().must("CREATE NAMESPACE n; CREATE TABLE n.t (id INT PRIMARY KEY, v TEXT)")
	a := e.as("a", systable.RoleUser)
	a.must("INSERT INTO n.t VALUES (1, 'x'), (2, 'y')")
	full.Store(true)
	res := e.root().must("STORAGE FLUSH TABLE n.t")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	j, err := e.db.Jobs.Wait(ctx, res[0].Rows[0][0].(string))
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != systable.JobFailed || !strings.Contains(j.ErrorMessage, "no space left on device") {
		t.Fatalf("flush on a full disk: %s %s", j.Status, j.ErrorMessage)
	}
	if n := hotRows(t, e, "user_table:n:t", "a"); n != 2 {
		t.Fatalf("hot rows after a failed flush: %d", n)
	}
	if got := e.root().rows("SELECT count(*) FROM system.manifest"); got != `[[0]]` {
		t.Fatalf("a failed flush changed the manifest: %s", got)
	}
	entries, _ := os.ReadDir(filepath.Join(e.dir, "storage", "n", "t", "a"))
	for _, en := range entries {
		t.Fatalf("a failed flush left %s behind", en.Name())
	}
	full.Store(false)
	flushTable(t, e, "n.t")
	if got := a.rows("SELECT id, v FROM n.t ORDER BY id"); got != `[[1,"x"],[2,"y"]]` {
		t.Fatalf("after the disk has room again: %s", got)
	}
}

// TestWritesDuringFlushSurvive changes the partition exactly between a
// flush's file write and its commit: an insert of a key inside the flushed
// range, an update and a delete of flushed rows. None may be lost, and the
// flushed file must not resurrect the old versions.
func TestWritesDuringFlushSurvive(t *testing.T) {
	var e *env
	var once sync.Once
	hook := func(point string) {
		if point != "flush.after_write" {
			return
		}
		once.Do(func() {
			a := e.as("a", systable.RoleUser)
			a.must("INSERT INTO n.t VALUES (5, 'inserted during flush')")
			a.must("UPDATE n.t SET v = 'updated during flush' WHERE id = 2")
			a.must("DELETE FROM n.t WHERE id = 8")
		})
	}
	e = &env{t: t, dir: t.TempDir(), failpoint: hook}
	e.open()
	t.Cleanup(e.close)
	e.root().must("CREATE NAMESPACE n; CREATE TABLE n.t (id INT PRIMARY KEY, v TEXT)")
	a := e.as("a", systable.RoleUser)
	a.must("INSERT INTO n.t VALUES (1, 'a'), (2, 'b'), (3, 'c'), (7, 'd'), (8, 'e'), (9, 'f')")
	flushTable(t, e, "n.t")
	want := `[[1,"a"],[2,"updated during flush"],[3,"c"],[5,"inserted during flush"],[7,"d"],[9,"f"]]`
	if got := a.rows("SELECT id, v FROM n.t ORDER BY id"); got != want {
		t.Fatalf("after a flush with concurrent writes:\n got %s\nwant %s", got, want)
	}
	// The three changed keys stayed hot; the others left the hot tier.
	if n := hotRows(t, e, "user_table:n:t", "a"); n != 3 {
		t.Fatalf("%d hot rows after the flush, want 3", n)
	}
	flushTable(t, e, "n.t")
	if got := a.rows("SELECT id, v FROM n.t ORDER BY id"); got != want {
		t.Fatalf("after a second flush:\n got %s\nwant %s", got, want)
	}
}

func TestFlushPolicyInterval(t *testing.T) {
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE n; CREATE TABLE n.t (id INT PRIMARY KEY) WITH (FLUSH_POLICY = 'interval:60'); CREATE TABLE n.idle (id INT PRIMARY KEY) WITH (FLUSH_POLICY = 'interval:60')")
	a := e.as("a", systable.RoleUser)
	a.must("INSERT INTO n.t VALUES (1), (2)")
	start := time.Now()
	if err := e.db.Tier.RunFlushPolicies(start); err != nil {
		t.Fatal(err)
	}
	if err := e.db.Tier.RunFlushPolicies(start.Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, e)
	if n := hotRows(t, e, "user_table:n:t", "a"); n != 2 {
		t.Fatalf("flushed before the interval: %d hot rows", n)
	}
	if err := e.db.Tier.RunFlushPolicies(start.Add(61 * time.Second)); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, e)
	if n := hotRows(t, e, "user_table:n:t", "a"); n != 0 {
		t.Fatalf("not flushed after the interval: %d hot rows", n)
	}
	// A table with nothing buffered starts no job.
	if got := e.root().rows("SELECT count(*) FROM system.jobs WHERE table_name = 'idle'"); got != `[[0]]` {
		t.Fatalf("jobs for an idle table: %s", got)
	}
}

// TestColdLookupReadsAtMostOneFile proves the pruning: with a partition in
// five files, a primary-key lookup reads data from at most one of them
// (key ranges and bloom filters rule out the others).
func TestColdLookupReadsAtMostOneFile(t *testing.T) {
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE n; CREATE TABLE n.t (id INT PRIMARY KEY, v TEXT)")
	a := e.as("a", systable.RoleUser)
	for f := 0; f < 5; f++ {
		for i := 1; i <= 20; i++ {
			// Interleaved ids, so key ranges overlap and only the bloom
			// filters can tell the files apart.
			a.must("INSERT INTO n.t VALUES ($1, 'x')", i*5+f)
		}
		flushTable(t, e, "n.t")
	}
	a.must("SELECT count(*) FROM n.t") // opens every file once
	for _, id := range []int{7, 53, 100, 104} {
		before := e.db.Tier.ColdReadStats()
		if got := a.rows("SELECT id FROM n.t WHERE id = $1", id); got != fmt.Sprintf("[[%d]]", id) {
			t.Fatalf("lookup %d: %s", id, got)
		}
		after := e.db.Tier.ColdReadStats()
		if read := after.RowGroupsRead - before.RowGroupsRead; read != 1 {
			t.Fatalf("lookup of %d read %d row groups, want exactly one file's one row group", id, read)
		}
	}
	before := e.db.Tier.ColdReadStats()
	if got := a.rows("SELECT id FROM n.t WHERE id = 1000"); got != `[]` {
		t.Fatalf("absent key: %s", got)
	}
	if read := e.db.Tier.ColdReadStats().RowGroupsRead - before.RowGroupsRead; read > 1 {
		t.Fatalf("lookup of an absent key read %d row groups", read)
	}
}

// TestInsertLooksUpTheColdTierOnce: a new key of a partition with cold
// files is checked against them once per INSERT: the statement's check
// and the commit's validation share the lookup. A key that lives only in
// a file is a duplicate.
func TestInsertLooksUpTheColdTierOnce(t *testing.T) {
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE n; CREATE TABLE n.t (id INT PRIMARY KEY, v TEXT)")
	a := e.as("a", systable.RoleUser)
	a.must("INSERT INTO n.t VALUES (1, 'cold'), (5, 'cold')")
	flushTable(t, e, "n.t")
	a.must("SELECT count(*) FROM n.t") // opens the file
	before := e.db.Tier.ColdReadStats()
	a.must("INSERT INTO n.t VALUES (2, 'new')") // inside the file's key range
	if n := e.db.Tier.ColdReadStats().BloomChecks - before.BloomChecks; n != 1 {
		t.Fatalf("an INSERT checked the file's bloom filter %d times, want 1", n)
	}
	a.fails(apierror.InvalidInput, "INSERT INTO n.t VALUES (1, 'again')")
	a.must("BEGIN; INSERT INTO n.t VALUES (3, 'x'); INSERT INTO n.t VALUES (4, 'y'); COMMIT")
	if got := a.rows("SELECT id, v FROM n.t ORDER BY id"); got != `[[1,"cold"],[2,"new"],[3,"x"],[4,"y"],[5,"cold"]]` {
		t.Fatalf("rows: %s", got)
	}
}
