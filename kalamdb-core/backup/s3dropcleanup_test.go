package backup_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// s3Files lists the objects under directory dir of st, recursively (none
// when it does not exist), relative to dir, with their LastModified.
func s3Files(t *testing.T, st *cold.S3, dir string) map[string]time.Time {
	t.Helper()
	ents, err := st.List(t.Context(), dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]time.Time{}
	for _, e := range ents {
		if !e.IsDir {
			out[e.Name] = e.ModTime
			continue
		}
		for name, at := range s3Files(t, st, path.Join(dir, e.Name)) {
			out[path.Join(e.Name, name)] = at
		}
	}
	return out
}

// startUpload leaves an unfinished multipart upload of p in st, as a
// writer that died after sending a part does.
func startUpload(t *testing.T, st *cold.S3, p string) {
	t.Helper()
	w, err := st.Create(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(bytes.Repeat([]byte{'x'}, cold.DefaultS3PartSize+1)); err != nil {
		t.Fatal(err)
	}
}

// withoutLayout is job j as a drop recorded it before the cleanup walked
// s3 storages: no layout, base directory or endpoint.
func withoutLayout(t *testing.T, j *systable.Job) *systable.Job {
	t.Helper()
	var params map[string]json.RawMessage
	if err := json.Unmarshal(j.Parameters, &params); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"layout", "base_directory", "endpoint"} {
		delete(params, k)
	}
	raw, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	cp := *j
	cp.Parameters = raw
	return &cp
}

// TestDroppedTablesCleanupOnS3: on an s3 storage, a dropped table's
// cleanup removes what its writers left that no manifest listed (a batch
// file of a flush that failed at the drop, an unfinished multipart
// upload), and keeps the files of the table created again under its name,
// even those the store dated before the drop (its clock is not the
// server's). A job recorded before the cleanup walked s3 storages removes
// only the listed files, as it did.
func TestDroppedTablesCleanupOnS3(t *testing.T) {
	store := newObjectStore(t)
	s := newServer(t, t.TempDir())
	s.must(store.createStorage("s3data", "tables"))
	const create = `CREATE TABLE app.cfg (k TEXT PRIMARY KEY, v TEXT) WITH (TYPE = 'SHARED', ACCESS_LEVEL = 'PUBLIC', STORAGE_ID = 's3data')`
	s.must("CREATE NAMESPACE app; " + create + "; INSERT INTO app.cfg (k, v) VALUES ('a', '1'), ('b', '2')")
	s.mustJob("STORAGE FLUSH TABLE app.cfg")
	bucket := store.storage(t, "tables")
	const dir = "app/cfg"
	if got := s3Files(t, bucket, dir); len(got) != 2 { // a batch file and manifest.json
		t.Fatalf("the table's objects: %v", got)
	}
	s.must("DROP TABLE app.cfg")
	cleanup := droppedTablesCleanup(t, s, "app", "cfg")
	if left := s3Files(t, bucket, dir); len(left) != 0 {
		t.Fatalf("the cleanup left %v", left)
	}

	// The table created again; the store's clock lags the server's by an
	// hour, so its objects are dated before the drop.
	store.clock.set(-time.Hour)
	s.must(create + "; INSERT INTO app.cfg (k, v) VALUES ('c', 'new'), ('d', 'new')")
	s.mustJob("STORAGE FLUSH TABLE app.cfg")
	const query = "SELECT k, v FROM app.cfg ORDER BY k"
	want := s.rows(query)
	if want != "c new\nd new\n" {
		t.Fatalf("the new table reads %q", want)
	}
	newFiles := s3Files(t, bucket, dir)
	if len(newFiles) != 2 {
		t.Fatalf("the new table's objects: %v", newFiles)
	}
	for name, at := range newFiles {
		if !at.Before(cleanup.params.DroppedAt) {
			t.Fatalf("%s is dated %v, not before the drop at %v", name, at, cleanup.params.DroppedAt)
		}
	}
	keep := slices.Sorted(maps.Keys(newFiles))

	// What the dropped table's writers left: a batch file of its next
	// batch, never committed, and an upload of the one after.
	inc := cleanup.params.Incarnation
	if len(inc) < 12 {
		t.Fatalf("the cleanup job does not know the dropped table's incarnation: %q", inc)
	}
	orphan := "batch-2-" + inc[:12] + "0f0f.parquet"
	writeObject(t, bucket, path.Join(dir, orphan), []byte("not parquet"))
	startUpload(t, bucket, path.Join(dir, "batch-3-"+inc[:12]+"0f0f.parquet"))
	// An upload of manifest.json, dated before the drop: its name tells
	// no incarnation, and the store's date may be the new table's mirror
	// being written.
	startUpload(t, bucket, path.Join(dir, "manifest.json"))

	run := func(j *systable.Job) []string {
		t.Helper()
		if err := s.db.Tier.Retry([]*systable.Job{j}); err != nil {
			t.Fatal(err)
		}
		waitAllJobs(t, s)
		if got := s.rows(query); got != want {
			t.Fatalf("the table reads:\n%s\nwant:\n%s", got, want)
		}
		return slices.Sorted(maps.Keys(s3Files(t, bucket, dir)))
	}
	// A job recorded before: the orphan stays.
	if got, want := run(withoutLayout(t, cleanup.job)), slices.Sorted(slices.Values(append([]string{orphan}, keep...))); !slices.Equal(got, want) {
		t.Fatalf("after an old cleanup job the prefix holds %v, want %v", got, want)
	}
	// The storage reached at another address: the job does not know the
	// store is the one the table wrote into, and removes only the listed
	// files.
	s.must(strings.Replace(store.alterEndpoint("s3data"), "127.0.0.1", "localhost", 1))
	if got, want := run(cleanup.job), slices.Sorted(slices.Values(append([]string{orphan}, keep...))); !slices.Equal(got, want) {
		t.Fatalf("after the cleanup at another endpoint the prefix holds %v, want %v", got, want)
	}
	s.must(store.alterEndpoint("s3data"))
	if got := run(cleanup.job); !slices.Equal(got, keep) {
		t.Fatalf("after the dropped table's cleanup the prefix holds %v, want %v", got, keep)
	}
	// The dropped table's upload is gone, the mirror's stays.
	if n, err := bucket.CleanupTemp(context.Background(), dir, time.Time{}, func(final string) bool { return final != "manifest.json" }); err != nil || n != 0 {
		t.Fatalf("unfinished uploads left by the cleanup: %d (%v)", n, err)
	}
	if n, err := bucket.CleanupTemp(context.Background(), dir, time.Time{}, nil); err != nil || n != 1 {
		t.Fatalf("unfinished uploads of manifest.json left by the cleanup: %d (%v), want 1", n, err)
	}

	// Once no table uses it the storage may move to another prefix: the
	// job then removes nothing, and says where the files stay.
	s.must("DROP TABLE app.cfg")
	waitAllJobs(t, s)
	s.must(fmt.Sprintf("ALTER STORAGE s3data SET BUCKET = 's3://%s/elsewhere'", store.bucket))
	writeObject(t, bucket, path.Join(dir, orphan), []byte("not parquet"))
	if err := s.db.Tier.Retry([]*systable.Job{cleanup.job}); err != nil {
		t.Fatal(err)
	}
	waitAllJobs(t, s)
	res := s.must("SELECT status, error_message FROM system.jobs WHERE job_type = 'cleanup' AND status = 'failed'")
	if rows := res[0].Rows; len(rows) != 1 || !strings.Contains(fmt.Sprint(rows[0][1]), "has moved since the drop") {
		t.Fatalf("failed cleanup jobs after the storage moved: %v", rows)
	}
	if got := s3Files(t, bucket, dir); len(got) != 1 {
		t.Fatalf("after the cleanup of a moved storage the old prefix holds %v, want the orphan", got)
	}
}

// userTableOnS3 creates users and the USER table app.msgs on storage
// s3data, whose prefix bucket is, with a row of each user flushed, and
// returns the table's partitions, one a user.
func userTableOnS3(t *testing.T, s *server, bucket *cold.S3, users ...string) []string {
	t.Helper()
	s.must(`CREATE NAMESPACE app;
		CREATE TABLE app.msgs (id BIGINT PRIMARY KEY, body TEXT) WITH (TYPE = 'USER', STORAGE_ID = 's3data')`)
	for _, u := range users {
		s.must(fmt.Sprintf("CREATE USER '%s' WITH PASSWORD '%s-pw' ROLE user", u, u))
		s.must(fmt.Sprintf("EXECUTE AS USER '%s' (INSERT INTO app.msgs (id, body) VALUES (1, 'hi'))", u))
	}
	s.mustJob("STORAGE FLUSH TABLE app.msgs")
	var partitions []string
	for p := range s3Files(t, bucket, ".") {
		if path.Base(p) == "manifest.json" {
			partitions = append(partitions, path.Dir(p))
		}
	}
	if len(partitions) != len(users) {
		t.Fatalf("the table's partitions: %v", s3Files(t, bucket, "."))
	}
	return partitions
}

// TestDroppedUserTablesCleanupOnS3: the cleanup of a USER table on an s3
// storage finds its users' partitions by listing, and removes what each
// holds of the dropped table, listed or not.
func TestDroppedUserTablesCleanupOnS3(t *testing.T) {
	store := newObjectStore(t)
	s := newServer(t, t.TempDir())
	s.must(store.createStorage("s3data", "tables"))
	bucket := store.storage(t, "tables")
	partitions := userTableOnS3(t, s, bucket, "alice", "bob")
	s.must("DROP TABLE app.msgs")
	cleanup := droppedTablesCleanup(t, s, "app", "msgs")
	if left := s3Files(t, bucket, "."); len(left) != 0 {
		t.Fatalf("the cleanup left %v", left)
	}
	// Orphans of the dropped table in both partitions, the job run again.
	for _, dir := range partitions {
		writeObject(t, bucket, path.Join(dir, "batch-2-"+cleanup.params.Incarnation[:12]+"0f0f.parquet"), []byte("not parquet"))
	}
	if err := s.db.Tier.Retry([]*systable.Job{cleanup.job}); err != nil {
		t.Fatal(err)
	}
	waitAllJobs(t, s)
	if left := s3Files(t, bucket, "."); len(left) != 0 {
		t.Fatalf("the cleanup run again left %v", left)
	}
}

// TestDroppedUserTablesCleanupOnS3IsBoundedPerRun: the users' partitions
// of a dropped USER table are listed a page at a time (pages of 2 keys
// here), and one run of the cleanup visits a bounded number of them (2
// here), then hands the rest to a new job that starts after the last user
// it finished, each run's result saying so; the chain removes everything.
// A continuing job run again (as a restart does) walks only its part.
func TestDroppedUserTablesCleanupOnS3IsBoundedPerRun(t *testing.T) {
	_, s, bucket := boundedCleanupOnS3(t)
	partitions := userTableOnS3(t, s, bucket, "u1", "u2", "u3", "u4", "u5")
	slices.Sort(partitions) // the walk's order: user ids of one shape
	s.must("DROP TABLE app.msgs")
	runs, jobs := cleanupChain(t, s)
	var first struct {
		Incarnation string `json:"incarnation"`
	}
	if err := json.Unmarshal(jobs[0].Parameters, &first); err != nil {
		t.Fatal(err)
	}
	if want := path.Base(partitions[3]) + "/"; runs[1].ResumeAfter != want {
		t.Fatalf("the second run stopped after %q, want %q", runs[1].ResumeAfter, want)
	}
	if left := s3Files(t, bucket, "."); len(left) != 0 {
		t.Fatalf("the cleanup left %v", left)
	}
	// Orphans of the dropped table in the first and last partitions; the
	// last run, run again, starts after the fourth user: it removes only
	// the last partition's.
	orphan := "batch-2-" + first.Incarnation[:12] + "0f0f.parquet"
	for _, dir := range []string{partitions[0], partitions[4]} {
		writeObject(t, bucket, path.Join(dir, orphan), []byte("not parquet"))
	}
	if err := s.db.Tier.Retry([]*systable.Job{jobs[2]}); err != nil {
		t.Fatal(err)
	}
	waitAllJobs(t, s)
	if left := s3Files(t, bucket, "."); len(left) != 1 || left[path.Join(partitions[0], orphan)].IsZero() {
		t.Fatalf("the last run, again, left %v", left)
	}
	// A restart that finds a run and the one it handed on to both
	// interrupted retries only the earlier (it walks the later one's part
	// too): one chain, two jobs (the retried second run and the third it
	// hands on to), not two chains.
	count := func() int {
		return len(s.must("SELECT job_id FROM system.jobs WHERE job_type = 'cleanup' AND table_name = 'msgs'")[0].Rows)
	}
	for _, dir := range partitions[2:] {
		writeObject(t, bucket, path.Join(dir, orphan), []byte("not parquet"))
	}
	before := count()
	if err := s.db.Tier.Retry([]*systable.Job{jobs[1], jobs[2]}); err != nil {
		t.Fatal(err)
	}
	waitAllJobs(t, s)
	for range 2 { // the hand-on is queued by a job the first wait saw
		waitAllJobs(t, s)
	}
	if got := count() - before; got != 2 {
		t.Fatalf("retrying two runs of one chain queued %d cleanup jobs, want 2", got)
	}
	if left := s3Files(t, bucket, "."); len(left) != 1 {
		t.Fatalf("the retried chain left %v", left)
	}
}

// boundedCleanupOnS3 is a server whose dropped tables' cleanup runs
// visit 2 partitions each, with s3 storage s3data on a store listing 2
// keys a page, and a client of the storage's prefix.
func boundedCleanupOnS3(t *testing.T) (*objectStore, *server, *cold.S3) {
	t.Helper()
	store := newObjectStore(t)
	s := &server{t: t, dir: t.TempDir(), backupRoot: t.TempDir(), cleanupPartitions: 2}
	s.open()
	t.Cleanup(s.close)
	s.must(strings.Replace(store.createStorage("s3data", "tables"), `"force_path_style":true}`, `"force_path_style":true,"list_page_size":2}`, 1))
	return store, s, store.storage(t, "tables")
}

// cleanupRun is what a run of a table's cleanup job reports.
type cleanupRun struct {
	FilesRemoved int    `json:"files_removed"`
	Partitions   int    `json:"partitions"`
	Complete     *bool  `json:"complete"`
	ResumeAfter  string `json:"resume_after"`
	ContinuedBy  string `json:"continued_by"`
	Note         string `json:"note"`
}

// cleanupChain follows the cleanup of dropped table app.msgs from the
// job its drop recorded (no resume_after) through the jobs each run that
// stopped at its bound handed on to, and returns their results and jobs.
// With 5 partitions and a bound of 2, there must be three runs, of 2, 2
// and 1 partitions.
func cleanupChain(t *testing.T, s *server) ([]cleanupRun, []*systable.Job) {
	t.Helper()
	var j *systable.Job
	for _, r := range s.must("SELECT job_id, parameters FROM system.jobs WHERE job_type = 'cleanup' AND namespace_id = 'app' AND table_name = 'msgs'")[0].Rows {
		// A JSON object comes as its encoded bytes, which fmt would
		// print as numbers: then every job looked like the first, and
		// the test failed whenever the first run had handed on before
		// this query.
		params := fmt.Sprint(r[1])
		if raw, ok := r[1].(json.RawMessage); ok {
			params = string(raw)
		}
		if !strings.Contains(params, "resume_after") {
			if j != nil {
				t.Fatalf("two cleanup jobs of app.msgs start the walk: %s, %s", j.JobID, r[0])
			}
			j = waitJob(t, s, r[0].(string))
		}
	}
	if j == nil {
		t.Fatal("no cleanup job of app.msgs")
	}
	var runs []cleanupRun
	var jobs []*systable.Job
	for {
		var r cleanupRun
		if err := json.Unmarshal(j.Result, &r); err != nil || r.Complete == nil {
			t.Fatalf("run %d of the cleanup: %s %s (%v)", len(runs)+1, j.Status, j.Result, err)
		}
		runs, jobs = append(runs, r), append(jobs, j)
		if *r.Complete {
			break
		}
		if r.ContinuedBy == "" || !strings.Contains(r.Note, r.ContinuedBy) || len(runs) > 5 {
			t.Fatalf("run %d stopped early without a follow-up: %s", len(runs), j.Result)
		}
		if j = waitJob(t, s, r.ContinuedBy); j.Status != systable.JobCompleted {
			t.Fatalf("run %d of the cleanup: %s %s", len(runs)+1, j.Status, j.ErrorMessage)
		}
	}
	if len(runs) != 3 || runs[0].Partitions != 2 || runs[1].Partitions != 2 || runs[2].Partitions != 1 {
		t.Fatalf("runs of the cleanup: %+v, want partitions 2, 2, 1", runs)
	}
	return runs, jobs
}

// TestDroppedUserTablesCleanupIsBoundedPerRun: on a filesystem storage
// too, one run visits a bounded number of the users' partitions and hands
// on; the chain removes the files and the directories.
func TestDroppedUserTablesCleanupIsBoundedPerRun(t *testing.T) {
	s := &server{t: t, dir: t.TempDir(), backupRoot: t.TempDir(), cleanupPartitions: 2}
	s.open()
	t.Cleanup(s.close)
	s.must(`CREATE NAMESPACE app;
		CREATE TABLE app.msgs (id BIGINT PRIMARY KEY, body TEXT) WITH (TYPE = 'USER')`)
	for _, u := range []string{"u1", "u2", "u3", "u4", "u5"} {
		s.must(fmt.Sprintf("CREATE USER '%s' WITH PASSWORD '%s-pw' ROLE user", u, u))
		s.must(fmt.Sprintf("EXECUTE AS USER '%s' (INSERT INTO app.msgs (id, body) VALUES (1, 'hi'))", u))
	}
	s.mustJob("STORAGE FLUSH TABLE app.msgs")
	mirrors := func() []string {
		var out []string
		_ = filepath.WalkDir(s.dir+"/storage", func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Name() == "manifest.json" {
				out = append(out, p)
			}
			return nil
		})
		return out
	}
	if got := mirrors(); len(got) != 5 {
		t.Fatalf("the table's partitions: %v", got)
	}
	s.must("DROP TABLE app.msgs")
	cleanupChain(t, s)
	if got := mirrors(); len(got) != 0 {
		t.Fatalf("the cleanup left %v", got)
	}
}
