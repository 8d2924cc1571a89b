package executor_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

func createStorage(id, p string, extra ...string) string {
	return fmt.Sprintf("CREATE STORAGE %s TYPE 'filesystem' PATH '%s' %s", id, p, strings.Join(extra, " "))
}

// refuses runs a statement that must fail with code and a message
// containing why.
func (c *caller) refuses(code apierror.Code, why, sqlText string) {
	c.e.t.Helper()
	ae := c.fails(code, sqlText)
	if !strings.Contains(ae.Message, why) {
		c.e.t.Fatalf("%s: message %q does not say %q", sqlText, ae.Message, why)
	}
}

// TestStoragePathRulesRefuseServerDirectoriesAndOverlaps is finding 2: a
// dba pointed a storage at the data directory's parent, created a SHARED
// table data.rocksdb on it and flushed it, and the flush deleted RocksDB's
// files. Such a storage is refused now, whatever the allowed roots, as is
// every storage overlapping the server's directories or another storage;
// a refusal changes nothing.
func TestStoragePathRulesRefuseServerDirectoriesAndOverlaps(t *testing.T) {
	for _, wide := range []bool{false, true} {
		t.Run(fmt.Sprintf("roots_include_slash=%v", wide), func(t *testing.T) {
			e := &env{t: t, dir: t.TempDir()}
			if wide {
				// An operator who allows storages anywhere still cannot
				// have one over the server's own directories.
				e.roots = []string{"/"}
			}
			e.open()
			t.Cleanup(e.close)
			root := e.root()
			storages := filepath.Join(e.dir, "storages")
			root.must(createStorage("a", filepath.Join(storages, "a")))
			root.must(createStorage("spare", filepath.Join(storages, "spare")))
			before := root.rows("SELECT storage_id, base_directory, user_tables_template FROM system.storages ORDER BY storage_id")

			elsewhere := t.TempDir()
			if err := os.MkdirAll(storages, 0o755); err != nil {
				t.Fatal(err)
			}
			for name, target := range map[string]string{"to_data": e.dir, "to_elsewhere": elsewhere,
				"dangling": filepath.Join(e.dir, "later")} {
				if err := os.Symlink(target, filepath.Join(storages, name)); err != nil {
					t.Fatal(err)
				}
			}
			outside := apierror.PermissionDenied
			if wide {
				outside = ""
			}
			for _, c := range []struct {
				path string
				code apierror.Code
				why  string
			}{
				{filepath.Dir(e.dir), apierror.InvalidInput, "data directory"}, // the reproducer
				{"/", apierror.InvalidInput, "data directory"},
				{e.dir, apierror.InvalidInput, "data directory"},
				{e.dir + "/", apierror.InvalidInput, "data directory"},
				{storages + "/..", apierror.InvalidInput, "data directory"},
				{filepath.Join(e.dir, "rocksdb"), apierror.InvalidInput, "RocksDB"},
				{filepath.Join(e.dir, "rocksdb", "sub"), apierror.InvalidInput, "RocksDB"},
				{"../rocksdb", apierror.InvalidInput, "RocksDB"},
				{filepath.Join(e.dir, "storage"), apierror.InvalidInput, "overlaps storage local"},
				{filepath.Join(e.dir, "storage", "n"), apierror.InvalidInput, "overlaps storage local"},
				{filepath.Join(storages, "a"), apierror.InvalidInput, "overlaps storage a"},
				{filepath.Join(storages, "a", "inner"), apierror.InvalidInput, "overlaps storage a"},
				{"a/inner", apierror.InvalidInput, "overlaps storage a"},
				{storages, apierror.InvalidInput, "overlaps storage a"},
				// Symbolic links are followed where they exist.
				{filepath.Join(storages, "to_data"), apierror.InvalidInput, "data directory"},
				{filepath.Join(storages, "to_data", "rocksdb", "x"), apierror.InvalidInput, "RocksDB"},
				{filepath.Join(storages, "dangling", "x"), apierror.InvalidInput, "missing target"},
				{filepath.Join(storages, "to_elsewhere", "x"), outside, "allowed_roots"},
				{elsewhere, outside, "allowed_roots"},
				{"../../elsewhere", outside, "allowed_roots"},
			} {
				stmt := createStorage("wipe", c.path)
				if c.code == "" {
					root.must(stmt)
					root.must("DROP STORAGE wipe")
					continue
				}
				root.refuses(c.code, c.why, stmt)
				// ALTER STORAGE with a new path is held to the same rules.
				root.refuses(c.code, c.why, fmt.Sprintf("ALTER STORAGE spare SET PATH '%s'", c.path))
			}
			if got := root.rows("SELECT storage_id, base_directory, user_tables_template FROM system.storages ORDER BY storage_id"); got != before {
				t.Fatalf("refused statements changed the storages:\n%s\nwas\n%s", got, before)
			}
			// The attack of finding 2 goes no further: the table cannot be
			// put on the refused storage.
			root.must("CREATE NAMESPACE data")
			root.fails(apierror.NotFound, "CREATE SHARED TABLE data.rocksdb (id INT PRIMARY KEY) WITH (STORAGE_ID = 'wipe')")
			// A legitimate storage next to the others, relative or not.
			root.must(createStorage("b", "b"))
			root.must(fmt.Sprintf("ALTER STORAGE b SET PATH '%s'", filepath.Join(storages, "b2")))
			if got := root.rows("SELECT base_directory FROM system.storages WHERE storage_id = 'b'"); got != fmt.Sprintf(`[[%q]]`, filepath.Join(storages, "b2")) {
				t.Fatalf("altered path: %s", got)
			}
		})
	}
}

// TestStorageTemplatesRefuseCollisions is finding 9: with
// '{namespace}/{tableName}{userId}' table t of bob and table tb of ob
// flushed to one file. Such templates are refused by CREATE and ALTER
// STORAGE; with a valid template both partitions keep their rows.
func TestStorageTemplatesRefuseCollisions(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	p := filepath.Join(e.dir, "storages", "cns")
	for _, c := range []struct{ props, why string }{
		{"USER_TABLES_TEMPLATE '{namespace}/{tableName}{userId}'", "whole path segment"},
		{"USER_TABLES_TEMPLATE '{namespace}/{tableName}/../{userId}'", "'..'"},
		{"USER_TABLES_TEMPLATE '/{namespace}/{tableName}/{userId}'", "not start with '/'"},
		{"USER_TABLES_TEMPLATE '{namespace}//{tableName}/{userId}'", "empty path segment"},
		{"USER_TABLES_TEMPLATE '{namespace}/{userId}'", "must contain {tableName}"},
		{"SHARED_TABLES_TEMPLATE '{tableName}'", "must contain {namespace}"},
		{"SHARED_TABLES_TEMPLATE 'shared/{namespace}/{tableName}'", "same path segments"},
	} {
		root.refuses(apierror.InvalidInput, c.why, createStorage("cns", p, c.props))
	}
	root.must(createStorage("cns", p))
	root.refuses(apierror.InvalidInput, "whole path segment", "ALTER STORAGE cns SET USER_TABLES_TEMPLATE '{namespace}/{tableName}{userId}'")
	root.refuses(apierror.InvalidInput, "same path segments", "ALTER STORAGE cns SET USER_TABLES_TEMPLATE 'users/{namespace}/{tableName}/{userId}'")
	// Both templates at once, as KalamDB's own example has them.
	root.must("ALTER STORAGE cns SET USER_TABLES_TEMPLATE 'users/{namespace}/{tableName}/{userId}', SHARED_TABLES_TEMPLATE 'shared/{namespace}/{tableName}'")
	if got := root.rows("SELECT user_tables_template, shared_tables_template FROM system.storages WHERE storage_id = 'cns'"); got != `[["users/{namespace}/{tableName}/{userId}","shared/{namespace}/{tableName}"]]` {
		t.Fatalf("templates: %s", got)
	}
	root.must(`CREATE NAMESPACE cns;
		CREATE TABLE cns.t (id INT PRIMARY KEY, v TEXT) WITH (STORAGE_ID = 'cns');
		CREATE TABLE cns.tb (id INT PRIMARY KEY, v TEXT) WITH (STORAGE_ID = 'cns')`)
	bob, ob := e.as("bob", systable.RoleUser), e.as("ob", systable.RoleUser)
	bob.must("INSERT INTO cns.t VALUES (1, 'bob')")
	ob.must("INSERT INTO cns.tb VALUES (1, 'ob')")
	flushTable(t, e, "cns.t")
	flushTable(t, e, "cns.tb")
	if got := bob.rows("SELECT v FROM cns.t"); got != `[["bob"]]` {
		t.Fatalf("bob's rows: %s", got)
	}
	if got := ob.rows("SELECT v FROM cns.tb"); got != `[["ob"]]` {
		t.Fatalf("ob's rows: %s", got)
	}
}

// foreign are files and a directory the server did not write, planted in
// a partition's and a table's directory.
var foreign = []string{"CURRENT", "MANIFEST-000001", "notes.txt", "batch-01.parquet", "batch-99.parquet", "batch-1.parquet.bak",
	"batch-1-notes.parquet", "batch-1-0123456789ABCDEF.parquet", "batch-1-0123456789abcdef0.parquet",
	".tmp-notes", "manifest.json.old", "sub/file"}

func plant(t *testing.T, dir string) {
	t.Helper()
	for _, f := range foreign {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("not kalamdb's"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func checkPlanted(t *testing.T, when, dir string) {
	t.Helper()
	for _, f := range foreign {
		raw, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil || string(raw) != "not kalamdb's" {
			t.Errorf("%s: foreign %s in %s: %q, %v", when, f, dir, raw, err)
		}
	}
}

// ls lists a directory's names, sorted ("" for a missing directory).
func ls(t *testing.T, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return "<missing>"
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

// TestFlushCompactionAndDropKeepForeignFiles: flush, compaction and the
// cleanup of DROP TABLE and DROP NAMESPACE CASCADE delete only files the
// server wrote for the partition. Files planted in a partition's directory
// and in the table's directory (RocksDB's own names among them) survive,
// and so do their directories; the server's own leftovers go.
func TestFlushCompactionAndDropKeepForeignFiles(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE n; CREATE TABLE n.t (id INT PRIMARY KEY, v TEXT);
		CREATE SHARED TABLE n.s (id INT PRIMARY KEY, v TEXT)`)
	a := e.as("a", systable.RoleUser)
	a.must("INSERT INTO n.t VALUES (1, 'x')")
	root.must("INSERT INTO n.s VALUES (1, 'x')")
	flushTable(t, e, "n.t")
	flushTable(t, e, "n.s")
	base := filepath.Join(e.dir, "storage")
	dirs := []string{filepath.Join(base, "n", "t", "a"), filepath.Join(base, "n", "t"), filepath.Join(base, "n", "s"), filepath.Join(base, "n")}
	for _, d := range dirs {
		plant(t, d)
	}
	// A leftover of the server's own (a write that never committed) goes.
	ownTemp := filepath.Join(base, "n", "t", "a", ".tmp-0123456789abcdef-batch-2.parquet")
	if err := os.WriteFile(ownTemp, []byte("partial"), 0o644); err != nil {
		t.Fatal(err)
	}
	a.must("INSERT INTO n.t VALUES (2, 'y')")
	root.must("INSERT INTO n.s VALUES (2, 'y')")
	flushTable(t, e, "n.t")
	flushTable(t, e, "n.s")
	for _, d := range dirs {
		checkPlanted(t, "after flush", d)
	}
	if _, err := os.Stat(ownTemp); !os.IsNotExist(err) {
		t.Fatalf("the server's own temporary file survived a flush: %v", err)
	}
	runJob(t, e, "STORAGE COMPACT TABLE n.t")
	runJob(t, e, "STORAGE COMPACT TABLE n.s")
	for _, d := range dirs {
		checkPlanted(t, "after compaction", d)
	}
	if got := a.rows("SELECT id, v FROM n.t ORDER BY id"); got != `[[1,"x"],[2,"y"]]` {
		t.Fatalf("rows after compaction: %s", got)
	}
	root.must("DROP TABLE n.t")
	waitIdle(t, e)
	for _, d := range dirs {
		checkPlanted(t, "after DROP TABLE", d)
	}
	// Only the foreign files are left in the partition's directory.
	if got := ls(t, dirs[0]); got != ".tmp-notes,CURRENT,MANIFEST-000001,batch-01.parquet,batch-1-0123456789ABCDEF.parquet,"+
		"batch-1-0123456789abcdef0.parquet,batch-1-notes.parquet,batch-1.parquet.bak,batch-99.parquet,manifest.json.old,notes.txt,sub" {
		t.Fatalf("partition directory after the drop: %s", got)
	}
	root.must("DROP NAMESPACE n CASCADE")
	waitIdle(t, e)
	for _, d := range dirs {
		checkPlanted(t, "after DROP NAMESPACE", d)
	}
	if got := ls(t, dirs[2]); regexp.MustCompile(`(^|,)batch-\d+-[0-9a-f]{16}\.parquet(,|$)`).MatchString(got) || strings.Contains(got, "manifest.json,") {
		t.Fatalf("the shared table's own files survived its drop: %s", got)
	}
	failed := root.rows("SELECT count(*) FROM system.jobs WHERE status <> 'completed'")
	if failed != `[[0]]` {
		t.Fatalf("jobs not completed: %s", root.rows("SELECT job_type, status, error_message FROM system.jobs"))
	}
}

// TestDropTableRemovesItsFolders is finding 14: DROP TABLE left the
// table's directory behind. Now the cleanup removes each directory the
// table owned once empty, bottom-up; DROP NAMESPACE CASCADE removes the
// namespace's too. The storage's base and directories other tables use
// stay.
func TestDropTableRemovesItsFolders(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	archive := filepath.Join(e.dir, "storages", "archive")
	root.must(createStorage("archive", archive, "SHARED_TABLES_TEMPLATE 'shared/{namespace}/{tableName}'",
		"USER_TABLES_TEMPLATE 'users/{namespace}/{tableName}/{userId}'"))
	for _, storage := range []string{"local", "archive"} {
		root.must(fmt.Sprintf(`CREATE NAMESPACE n_%[1]s; CREATE NAMESPACE keep_%[1]s;
			CREATE TABLE n_%[1]s.t (id INT PRIMARY KEY) WITH (STORAGE_ID = '%[1]s');
			CREATE TABLE n_%[1]s.other (id INT PRIMARY KEY) WITH (STORAGE_ID = '%[1]s');
			CREATE SHARED TABLE n_%[1]s.s (id INT PRIMARY KEY) WITH (STORAGE_ID = '%[1]s');
			CREATE TABLE keep_%[1]s.t (id INT PRIMARY KEY) WITH (STORAGE_ID = '%[1]s')`, storage))
		for _, u := range []string{"a", "b.c", "d@e"} {
			for _, tbl := range []string{"t", "other"} {
				e.as(u, systable.RoleUser).must(fmt.Sprintf("INSERT INTO n_%s.%s VALUES (1)", storage, tbl))
			}
			e.as(u, systable.RoleUser).must(fmt.Sprintf("INSERT INTO keep_%s.t VALUES (1)", storage))
		}
		root.must(fmt.Sprintf("INSERT INTO n_%s.s VALUES (1)", storage))
		root.must(fmt.Sprintf("STORAGE FLUSH ALL IN n_%s", storage))
		root.must(fmt.Sprintf("STORAGE FLUSH ALL IN keep_%s", storage))
	}
	waitIdle(t, e)
	local := filepath.Join(e.dir, "storage")
	if got := ls(t, filepath.Join(local, "n_local", "t")); got != "a,b.c,d@e" {
		t.Fatalf("partitions before the drop: %s", got)
	}
	root.must("DROP TABLE n_local.t; DROP TABLE n_archive.t")
	waitIdle(t, e)
	for _, c := range [][2]string{
		{filepath.Join(local, "n_local"), "other,s"},
		{filepath.Join(archive, "users", "n_archive"), "other"},
		{filepath.Join(archive, "shared", "n_archive"), "s"},
		{filepath.Join(local, "keep_local", "t"), "a,b.c,d@e"},
	} {
		if got := ls(t, c[0]); got != c[1] {
			t.Errorf("%s after DROP TABLE: %s, want %s", c[0], got, c[1])
		}
	}
	root.must("DROP NAMESPACE n_local CASCADE; DROP NAMESPACE n_archive CASCADE")
	waitIdle(t, e)
	for _, c := range [][2]string{
		{local, "keep_local"},
		{filepath.Join(archive, "users"), "keep_archive"},
		{filepath.Join(archive, "shared"), ""},
	} {
		if got := ls(t, c[0]); got != c[1] {
			t.Errorf("%s after DROP NAMESPACE: %s, want %s", c[0], got, c[1])
		}
	}
	// A namespace dropped after its tables loses its directories too.
	root.must("DROP TABLE keep_local.t; DROP TABLE keep_archive.t")
	waitIdle(t, e)
	if got := ls(t, filepath.Join(archive, "users")); got != "keep_archive" {
		t.Errorf("namespace directory while the namespace exists: %s", got)
	}
	root.must("DROP NAMESPACE keep_local; DROP NAMESPACE keep_archive")
	waitIdle(t, e)
	if got := ls(t, local); got != "" {
		t.Errorf("local storage after every drop: %s", got)
	}
	if got := ls(t, archive); got != "shared,users" {
		t.Errorf("archive storage after every drop: %s (its template's literal directories stay)", got)
	}
	if got := root.rows("SELECT count(*) FROM system.jobs WHERE status <> 'completed'"); got != `[[0]]` {
		t.Fatalf("jobs not completed: %s", root.rows("SELECT job_type, status, error_message FROM system.jobs"))
	}
}

// rewriteStorage changes a storage's stored definition below the catalog,
// as a data directory from before the storage rules may have it.
func rewriteStorage(t *testing.T, e *env, id string, change func(*systable.Storage)) {
	t.Helper()
	rewriteSystemRow(t, e, systable.Storages, id, change)
}

// rewriteSystemRow changes a row of a system table while the database is
// closed, below the catalog's checks, as an older version may have left
// it, and opens the database again.
func rewriteSystemRow[T any](t *testing.T, e *env, def *systable.Def[T], id string, change func(*T)) {
	t.Helper()
	e.close()
	store, err := kv.Open(e.dir+"/rocksdb", kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := systable.Open(store, def)
	if err == nil {
		var row *T
		if row, err = tbl.Get(id); err == nil {
			change(row)
			err = tbl.Put(row)
		}
	}
	store.Close()
	if err != nil {
		t.Fatalf("%s %s: %v", def.Name, id, err)
	}
	e.open()
}

// TestStorageBreakingRulesIsNotWrittenTo: a storage defined before the
// rules existed that breaks one is reported at start and refused by flush
// (and STORAGE CHECK): its rows stay in the hot tier, readable, and
// nothing is written where it points. One merely outside the allowed
// roots keeps working.
func TestStorageBreakingRulesIsNotWrittenTo(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(createStorage("old", filepath.Join(e.dir, "storages", "old")))
	root.must(createStorage("legacy", filepath.Join(e.dir, "storages", "legacy")))
	root.must(createStorage("moved", filepath.Join(e.dir, "storages", "moved")))
	root.must(`CREATE NAMESPACE n;
		CREATE TABLE n.old (id INT PRIMARY KEY) WITH (STORAGE_ID = 'old');
		CREATE TABLE n.legacy (id INT PRIMARY KEY) WITH (STORAGE_ID = 'legacy');
		CREATE TABLE n.moved (id INT PRIMARY KEY) WITH (STORAGE_ID = 'moved')`)
	a := e.as("a", systable.RoleUser)
	a.must("INSERT INTO n.old VALUES (1); INSERT INTO n.legacy VALUES (1); INSERT INTO n.moved VALUES (1)")
	elsewhere := t.TempDir()
	rewriteStorage(t, e, "old", func(st *systable.Storage) { st.BaseDirectory = filepath.Join(e.dir, "rocksdb") })
	rewriteStorage(t, e, "legacy", func(st *systable.Storage) { st.UserTablesTemplate = "{namespace}/{tableName}{userId}" })
	rewriteStorage(t, e, "moved", func(st *systable.Storage) { st.BaseDirectory = elsewhere })

	problems := map[string]string{}
	for _, p := range e.db.Catalog.StorageProblems() {
		problems[p.StorageID] = fmt.Sprintf("%v %v", p.Unusable, p.Err)
	}
	if len(problems) != 3 || !strings.HasPrefix(problems["old"], "true") || !strings.Contains(problems["old"], "RocksDB") ||
		!strings.HasPrefix(problems["legacy"], "true") || !strings.Contains(problems["legacy"], "whole path segment") ||
		!strings.HasPrefix(problems["moved"], "false") || !strings.Contains(problems["moved"], "allowed_roots") {
		t.Fatalf("problems at start: %v", problems)
	}
	for table, why := range map[string]string{"n.old": "RocksDB", "n.legacy": "whole path segment"} {
		res := root.must("STORAGE FLUSH TABLE " + table)
		j := waitJob(t, e, res)
		if j.Status != systable.JobFailed || !strings.Contains(j.ErrorMessage, "is not written to") || !strings.Contains(j.ErrorMessage, why) {
			t.Fatalf("flush of %s: %s %s", table, j.Status, j.ErrorMessage)
		}
		if got := a.rows("SELECT id FROM " + table); got != `[[1]]` {
			t.Fatalf("%s after the refused flush: %s", table, got)
		}
	}
	if _, err := os.Stat(filepath.Join(e.dir, "rocksdb", "n")); !os.IsNotExist(err) {
		t.Fatalf("a refused flush wrote into the RocksDB directory: %v", err)
	}
	if got := root.rows("STORAGE CHECK old"); !strings.HasPrefix(got, `[["old","usable",false,`) || !strings.Contains(got, "RocksDB") {
		t.Fatalf("storage check: %s", got)
	}
	flushTable(t, e, "n.moved")
	if got := ls(t, filepath.Join(elsewhere, "n", "moved", "a")); !regexp.MustCompile(`^batch-1-[0-9a-f]{16}\.parquet,manifest\.json$`).MatchString(got) {
		t.Fatalf("storage outside the roots after a flush: %s", got)
	}
}

func waitJob(t *testing.T, e *env, res []executor.Result) *systable.Job {
	t.Helper()
	id := res[0].Rows[0][0].(string)
	j, err := e.db.Jobs.Wait(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}
