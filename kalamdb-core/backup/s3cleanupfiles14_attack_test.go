package backup_test

import (
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// Attacks on the files lists of dropped tables' cleanup chains (branch
// s3spell14, tier/cleanupfiles.go): the lists of system_cleanup_files,
// written with a chain's first hand-on and deleted when it ends.

// cleanupLists returns the keys of the rows of system_cleanup_files.
func cleanupLists(t *testing.T, s *server) []string {
	t.Helper()
	cf, err := s.kv.ColumnFamily("system_cleanup_files")
	if err != nil {
		t.Fatal(err)
	}
	it, err := cf.NewIter(kv.IterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var keys []string
	for ok := it.First(); ok; ok = it.Next() {
		keys = append(keys, string(it.Key()))
	}
	if err := it.Error(); err != nil {
		t.Fatal(err)
	}
	return keys
}

// putCleanupList writes raw as the only row of list ref, as a crash or a
// corruption could leave it.
func putCleanupList(t *testing.T, s *server, ref string, raw []byte) {
	t.Helper()
	cf, err := s.kv.ColumnFamily("system_cleanup_files")
	if err != nil {
		t.Fatal(err)
	}
	if err := cf.Put([]byte(ref+"/0000000000"), raw); err != nil {
		t.Fatal(err)
	}
}

// holdCleanupAtPartition runs drop, whose cleanup it lets read the
// manifest.json heads of the first n partitions it visits (one ranged
// GET each), and holds the read of the next one, returning once it is
// held; the returned function lets it (and every later read) go. The
// reads are held from before drop: its cleanup job starts at once, and a
// head it read before the hold was set would not be counted, so the hold
// would land on a later partition, or on none (the test then hung for a
// minute and failed, under load).
func holdCleanupAtPartition(t *testing.T, s *server, store *objectStore, n int, drop string) (release func()) {
	t.Helper()
	first := make(chan struct{})
	store.stallGets.Store(&first)
	s.must(drop)
	arrived := func() {
		select {
		case <-store.arrived:
		case <-time.After(time.Minute): // a guard against a hang, not a timed assertion
			t.Fatal("the cleanup read no more manifest.json heads")
		}
	}
	for range n {
		arrived()
		next := make(chan struct{})
		close(*store.stallGets.Swap(&next))
	}
	arrived()
	return func() {
		if held := store.stallGets.Swap(nil); held != nil {
			close(*held)
		}
	}
}

// runningCleanup returns the cleanup job of app.msgs that is running.
func runningCleanup(t *testing.T, s *server) (id string, params map[string]any) {
	t.Helper()
	for _, r := range s.must("SELECT job_id, status, parameters FROM system.jobs WHERE job_type = 'cleanup' AND table_name = 'msgs'")[0].Rows {
		if r[1] != systable.JobRunning {
			continue
		}
		var raw []byte
		switch v := r[2].(type) {
		case json.RawMessage:
			raw = v
		case []byte:
			raw = v
		default:
			raw = []byte(fmt.Sprint(v))
		}
		if err := json.Unmarshal(raw, &params); err != nil {
			t.Fatal(err)
		}
		return r[0].(string), params
	}
	t.Fatalf("no cleanup job of app.msgs running: %s", s.rows("SELECT job_id, status FROM system.jobs"))
	return "", nil
}

// TestAttackCleanupListOfAKilledContinuationIsNotSwept: the docs say a
// KILL JOB of a continuation leaves its list behind. Nothing ever removes
// it: a restart sweeps only the lists of interrupted (queued or running)
// jobs, and a killed job is cancelled, not interrupted; dropping the
// table again (created again under its name) starts a chain of its own
// list. Each drop whose chain is killed leaks a list as long as the
// table's files (its manifests' paths: for a big USER table, millions of
// paths, hundreds of MB of RocksDB rows), for good, with no statement to
// find or remove it.
func TestAttackCleanupListOfAKilledContinuationIsNotSwept(t *testing.T) {
	store, s, bucket := boundedCleanupOnS3(t)
	userTableOnS3(t, s, bucket, "u1", "u2", "u3", "u4", "u5")
	release := holdCleanupAtPartition(t, s, store, 2, "DROP TABLE app.msgs") // the second run, at its first partition
	id, params := runningCleanup(t, s)
	ref, _ := params["files_ref"].(string)
	if ref == "" {
		t.Fatalf("the held run %s is not a continuation: %v", id, params)
	}
	s.must(fmt.Sprintf("KILL JOB '%s'", id))
	release()
	if j := waitJob(t, s, id); j.Status != systable.JobCancelled {
		t.Fatalf("the killed continuation: %s %s", j.Status, j.ErrorMessage)
	}
	if len(cleanupLists(t, s)) == 0 {
		t.Fatal("the killed continuation's list is gone already: the test proves nothing")
	}
	// A restart, and the table created again and dropped again.
	s.close()
	s.open()
	userTableOnS3Again(t, s)
	s.must("DROP TABLE app.msgs")
	for range 4 {
		waitAllJobs(t, s)
	}
	var left []string
	for _, k := range cleanupLists(t, s) {
		if strings.HasPrefix(k, ref+"/") {
			left = append(left, k)
		}
	}
	if len(left) != 0 {
		t.Fatalf("after a restart and another drop of the table, the killed chain's list %s stays: %q", ref, left)
	}
}

// userTableOnS3Again creates app.msgs again (its namespace and users
// there already) with a row of u1 flushed.
func userTableOnS3Again(t *testing.T, s *server) {
	t.Helper()
	s.must(`CREATE TABLE app.msgs (id BIGINT PRIMARY KEY, body TEXT) WITH (TYPE = 'USER', STORAGE_ID = 's3data')`)
	s.must("EXECUTE AS USER 'u1' (INSERT INTO app.msgs (id, body) VALUES (2, 'again'))")
	s.mustJob("STORAGE FLUSH TABLE app.msgs")
}

// TestAttackCleanupListSurvivesARestartInAContinuation: a graceful stop
// in the middle of a continuation (a deploy) keeps its list (a cancelled
// run does not end its chain), the restart retries the run, and the chain
// completes, removing every file of the dropped table and then its list.
func TestAttackCleanupListSurvivesARestartInAContinuation(t *testing.T) {
	store, s, bucket := boundedCleanupOnS3(t)
	userTableOnS3(t, s, bucket, "u1", "u2", "u3", "u4", "u5")
	release := holdCleanupAtPartition(t, s, store, 3, "DROP TABLE app.msgs") // the second run, at its second partition
	if _, params := runningCleanup(t, s); params["files_ref"] == nil {
		t.Fatalf("the held run is not a continuation: %v", params)
	}
	s.close() // graceful: the held run is cancelled, its row stays running
	release()
	s.open()
	for range 4 {
		waitAllJobs(t, s)
	}
	if left := s3Files(t, bucket, "."); len(left) != 0 {
		t.Fatalf("the chain retried after a restart left %v", left)
	}
	if left := cleanupLists(t, s); len(left) != 0 {
		t.Fatalf("the chain retried after a restart ended and left its list: %q", left)
	}
}

// listRef is the files_ref of a continuation job.
func listRef(t *testing.T, j *systable.Job) string {
	t.Helper()
	var p struct {
		FilesRef string `json:"files_ref"`
	}
	if err := json.Unmarshal(j.Parameters, &p); err != nil || p.FilesRef == "" {
		t.Fatalf("job %s carries no files_ref: %s (%v)", j.JobID, j.Parameters, err)
	}
	return p.FilesRef
}

// TestAttackCleanupCorruptListDoesNotEndTheChain: a continuation whose
// list is gone walks on without it (the list only adds untagged files to
// remove). One whose list row does not decode (a torn or corrupt row)
// fails instead, and a failed run ends its chain for good and deletes
// the list: the partitions after it are never visited, the dropped
// table's files there stay, and no job is left to remove them (a failed
// job is not retried). Walking on without the list, as for a missing
// one, would be as safe.
func TestAttackCleanupCorruptListDoesNotEndTheChain(t *testing.T) {
	_, s, bucket := boundedCleanupOnS3(t)
	partitions := userTableOnS3(t, s, bucket, "u1", "u2", "u3", "u4", "u5")
	s.must("DROP TABLE app.msgs")
	_, chain := cleanupChain(t, s)
	var first struct {
		Incarnation string `json:"incarnation"`
	}
	if err := json.Unmarshal(chain[0].Parameters, &first); err != nil {
		t.Fatal(err)
	}
	// Orphans of the dropped table in every partition, and the second
	// run's list torn, as a restart retries the second run.
	orphan := "batch-2-" + first.Incarnation[:12] + "0f0f.parquet"
	for _, dir := range partitions {
		writeObject(t, bucket, dir+"/"+orphan, []byte("not parquet"))
	}
	putCleanupList(t, s, listRef(t, chain[1]), []byte(`["app/msgs/u1/batch-1.parq`))
	if err := s.db.Tier.Retry([]*systable.Job{chain[1]}); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		waitAllJobs(t, s)
	}
	// The retried second run starts after u2: the orphans of u3, u4, u5
	// are its chain's to remove.
	if left := s3Files(t, bucket, "."); len(left) != 2 {
		t.Fatalf("with its list row torn, the retried chain left %d files: %v (jobs: %s)", len(left), left,
			strings.TrimSpace(s.rows("SELECT job_id, status, error_message FROM system.jobs WHERE job_type = 'cleanup'")))
	}
}

// TestAttackCleanupListPathOutsideTheDroppedTable: a continuation whose
// storage's endpoint changed since the drop does not walk (only the store
// the table wrote into may be walked): it removes the listed files where
// the storage now is, each judged by its name alone (a tagged name that
// is listed is removed whatever its incarnation), with no check that the
// path is in the dropped table's directories, nor that no live table
// owns it. A list row holding the path of a live table's file (a corrupt
// or crafted row; the lists are no longer in the job's own parameters)
// deletes that table's file. The walk checks neither, but only visits
// the dropped table's layout, so it never reaches such a path.
func TestAttackCleanupListPathOutsideTheDroppedTable(t *testing.T) {
	store, s, bucket := boundedCleanupOnS3(t)
	userTableOnS3(t, s, bucket, "u1", "u2", "u3", "u4", "u5")
	s.must(`CREATE TABLE app.keep (k TEXT PRIMARY KEY, v TEXT) WITH (TYPE = 'SHARED', STORAGE_ID = 's3data', ACCESS_LEVEL = 'PUBLIC');
		INSERT INTO app.keep (k, v) VALUES ('a', '1')`)
	s.mustJob("STORAGE FLUSH TABLE app.keep")
	var keep []string
	for p := range s3Files(t, bucket, "app/keep") {
		if strings.HasSuffix(p, ".parquet") {
			keep = append(keep, "app/keep/"+p)
		}
	}
	if len(keep) != 1 {
		t.Fatalf("app.keep's batch files: %v", keep)
	}
	s.must("DROP TABLE app.msgs")
	_, chain := cleanupChain(t, s)
	// The same store at another address (as after a move behind a new
	// name), and the second run's list naming app.keep's file.
	s.must(fmt.Sprintf(`ALTER STORAGE s3data SET CONFIG = '{"endpoint":"%s","allow_http":true,"force_path_style":true,"list_page_size":2}', %s`, store.aliasURL, storeCredentials))
	raw, err := json.Marshal(keep)
	if err != nil {
		t.Fatal(err)
	}
	putCleanupList(t, s, listRef(t, chain[1]), raw)
	if err := s.db.Tier.Retry([]*systable.Job{chain[1]}); err != nil {
		t.Fatal(err)
	}
	waitAllJobs(t, s)
	if _, ok := s3Files(t, bucket, ".")[keep[0]]; !ok {
		t.Fatalf("the dropped table's cleanup deleted %s of the live table app.keep (jobs: %s)", keep[0],
			strings.TrimSpace(s.rows("SELECT job_id, status, error_message FROM system.jobs WHERE job_type = 'cleanup'")))
	}
}

// TestAttackCleanupListsAfterACrashAtEveryStep: a crash can leave any
// run of a chain interrupted, with the run it handed on to (queued) when
// it crashed after the hand-on: {A}, {A, B}, {B}, {B, C}, {C} of the chain
// A, B, C of a table of five users (two partitions a run), the list
// written as the first hand-on left it. Each restart (Retry with those
// jobs) must walk on from the earliest of them, remove the dropped
// table's files there, and leave no list behind.
func TestAttackCleanupListsAfterACrashAtEveryStep(t *testing.T) {
	_, s, bucket := boundedCleanupOnS3(t)
	partitions := userTableOnS3(t, s, bucket, "u1", "u2", "u3", "u4", "u5")
	slices.Sort(partitions)
	s.must("DROP TABLE app.msgs")
	_, chain := cleanupChain(t, s)
	var first struct {
		Incarnation string   `json:"incarnation"`
		Files       []string `json:"files"`
	}
	if err := json.Unmarshal(chain[0].Parameters, &first); err != nil || len(first.Files) == 0 {
		t.Fatalf("the drop's job: %s (%v)", chain[0].Parameters, err)
	}
	ref := listRef(t, chain[1])
	raw, err := json.Marshal(first.Files)
	if err != nil {
		t.Fatal(err)
	}
	orphan := "batch-2-" + first.Incarnation[:12] + "0f0f.parquet"
	for _, step := range []struct {
		name string
		jobs []int // indexes in the chain
		from int   // the first partition the restart walks
	}{
		{"A", []int{0}, 0}, {"A+B", []int{0, 1}, 0}, {"B", []int{1}, 2}, {"B+C", []int{1, 2}, 2}, {"C", []int{2}, 4},
	} {
		for _, dir := range partitions {
			writeObject(t, bucket, path.Join(dir, orphan), []byte("not parquet"))
		}
		if step.jobs[len(step.jobs)-1] > 0 { // the first hand-on was written
			putCleanupList(t, s, ref, raw)
		}
		var interrupted []*systable.Job
		for _, i := range step.jobs {
			interrupted = append(interrupted, chain[i])
		}
		if err := s.db.Tier.Retry(interrupted); err != nil {
			t.Fatal(err)
		}
		for range 4 {
			waitAllJobs(t, s)
		}
		left := s3Files(t, bucket, ".")
		for i, dir := range partitions {
			_, ok := left[path.Join(dir, orphan)]
			if ok != (i < step.from) {
				t.Errorf("crash at %s: the orphan of partition %d is there: %v, want %v", step.name, i, ok, i < step.from)
			}
		}
		if keys := cleanupLists(t, s); len(keys) != 0 {
			t.Errorf("crash at %s: the chain ended and left its list: %q", step.name, keys)
		}
		for p := range left { // a clean slate for the next step
			if err := bucket.Remove(t.Context(), p); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestAttackStoragesAtTwoSpellingsOfOnePort: through SQL, with the
// storage probed as CREATE STORAGE does, a second s3 storage over the
// same bucket and prefix of the same store is created when its endpoint
// writes the port with a leading zero (http://127.0.0.1:0PORT): Go's
// dialer reads the port as the same number, the probe reaches the store,
// and the overlap check compares the port as written. Both storages then
// write into the same objects; that their files do not delete each
// other's rests on the s3 delete paths judging files by incarnation tag
// alone.
func TestAttackStoragesAtTwoSpellingsOfOnePort(t *testing.T) {
	store := newObjectStore(t)
	s := newServer(t, t.TempDir())
	s.must(store.createStorage("s3data", "tables"))
	host, port, ok := strings.Cut(strings.TrimPrefix(store.url, "http://"), ":")
	if !ok {
		t.Fatalf("store url %s", store.url)
	}
	_, err := s.exec(strings.Replace(store.createStorage("s3twin", "tables"), store.url, "http://"+host+":0"+port, 1))
	if err == nil {
		t.Fatalf("storage s3twin at http://%s:0%s was created over storage s3data's objects: %s", host, port,
			strings.TrimSpace(s.rows("SELECT storage_id, endpoint, base_directory FROM system.storages")))
	}
	if !strings.Contains(err.Error(), "overlaps storage s3data") {
		t.Fatalf("storage s3twin refused for another reason: %v", err)
	}
}
