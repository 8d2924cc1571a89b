package executor_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/tier"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// A dba must never read a system user's partition, but may CREATE STORAGE
// of type s3 with a bucket (and credentials) of their own, or ALTER one to
// an endpoint of their own: the Parquet files flushed there, system users'
// partitions included, were then theirs to read out of band. These tests
// hold the rule: a storage records whether a system account placed it,
// no system user's partition is written to an s3 storage a non-system
// account placed (its rows stay hot, readable), and an ALTER that sends
// the stored credentials elsewhere must restate them.

// placerStore is an in-memory S3 server (gofakes3) with one bucket,
// reachable at two addresses (url and aliasURL), as a store behind two
// names is.
type placerStore struct {
	backend       *s3mem.Backend
	url, aliasURL string
}

const placerBucket = "placed"

func newPlacerStore(t *testing.T) *placerStore {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(placerBucket); err != nil {
		t.Fatal(err)
	}
	h := gofakes3.New(backend).Server()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	alias := httptest.NewServer(h)
	t.Cleanup(alias.Close)
	return &placerStore{backend: backend, url: srv.URL, aliasURL: alias.URL}
}

// keys lists every object of the bucket.
func (s *placerStore) keys(t *testing.T) []string {
	t.Helper()
	list, err := s.backend.ListBucket(placerBucket, nil, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range list.Contents {
		out = append(out, c.Key)
	}
	return out
}

// parquetOf lists the Parquet files of user's partitions in the bucket.
func (s *placerStore) parquetOf(t *testing.T, user string) []string {
	t.Helper()
	var out []string
	for _, k := range s.keys(t) {
		if strings.Contains(k, "/"+user+"/") && strings.HasSuffix(k, ".parquet") {
			out = append(out, k)
		}
	}
	return out
}

// anyOf lists every object of user's partitions (Parquet files and
// manifest mirrors).
func (s *placerStore) anyOf(t *testing.T, user string) []string {
	t.Helper()
	var out []string
	for _, k := range s.keys(t) {
		if strings.Contains(k, "/"+user+"/") {
			out = append(out, k)
		}
	}
	return out
}

const placerCreds = `CREDENTIALS '{"access_key_id":"k","secret_access_key":"s"}'`

// config is CONFIG naming endpoint (an http test server).
func placerConfig(endpoint string) string {
	return fmt.Sprintf(`CONFIG '{"endpoint":"%s","allow_http":true,"force_path_style":true}'`, endpoint)
}

// keptRecorder records what the database reports of kept partitions.
type keptRecorder struct {
	mu   sync.Mutex
	seen []string
}

func (r *keptRecorder) record(job, table, storage string, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, fmt.Sprintf("%s %s %s %d", job, table, storage, n))
}

func (r *keptRecorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.seen)
}

// placerEnv is a database with a dba (ops), a system user (sysop) and a
// user (alice), recording what it reports of kept partitions.
func placerEnv(t *testing.T) (*env, *keptRecorder) {
	t.Helper()
	rec := &keptRecorder{}
	e := &env{t: t, dir: t.TempDir(), changes: &recordingSink{}, systemPartitionsKept: rec.record}
	e.open()
	t.Cleanup(e.close)
	e.root().must(`CREATE USER 'ops' WITH PASSWORD 'pw' ROLE dba;
		CREATE USER 'sysop' WITH PASSWORD 'pw' ROLE system;
		CREATE USER 'alice' WITH PASSWORD 'pw' ROLE user`)
	return e, rec
}

// placedBy is the placer system.storages shows for storage id.
func placedBy(t *testing.T, e *env, id string) string {
	t.Helper()
	return e.root().rows(fmt.Sprintf("SELECT placed_by_role FROM system.storages WHERE storage_id = '%s'", id))
}

// jobResult decodes a job's result JSON.
func jobResult(t *testing.T, j *systable.Job) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal(j.Result, &out); err != nil {
		t.Fatalf("job %s result %s: %v", j.JobID, j.Result, err)
	}
	return out
}

func TestPlacerSystemPartitionStaysHotOnDBAPlacedS3(t *testing.T) {
	e, rec := placerEnv(t)
	store := newPlacerStore(t)
	ops, sysop, alice := e.user("ops"), e.user("sysop"), e.user("alice")
	ops.must(fmt.Sprintf("CREATE STORAGE dbas3 TYPE 's3' BUCKET 's3://%s/data' REGION 'us-east-1' %s %s",
		placerBucket, placerCreds, placerConfig(store.url)))
	if got := placedBy(t, e, "dbas3"); got != `[["not_system"]]` {
		t.Fatalf("a dba's storage is placed by %s, want not_system", got)
	}
	if got := e.root().rows("SHOW STORAGES"); !strings.Contains(got, `"dbas3"`) || !strings.Contains(got, `"not_system"]`) ||
		!strings.Contains(got, `"system"]`) {
		t.Fatalf("SHOW STORAGES does not show the placers: %s", got)
	}
	ops.must(`CREATE NAMESPACE app;
		CREATE TABLE app.notes (id INT PRIMARY KEY, body TEXT) WITH (TYPE = 'USER', STORAGE_ID = 'dbas3')`)
	sysop.must("INSERT INTO app.notes VALUES (1, 'root secret'), (2, 'more'), (3, 'and more')")
	alice.must("INSERT INTO app.notes VALUES (1, 'alice one'), (2, 'alice two')")

	j := flushTable(t, e, "app.notes")
	res := jobResult(t, j)
	if res["partitions"] != float64(1) || res["system_partitions_kept_hot"] != float64(1) || res["kept_hot_reason"] != tier.KeptHotReason {
		t.Fatalf("flush result %s, want alice's partition flushed and sysop's kept hot, with the reason", j.Result)
	}
	if got := store.parquetOf(t, alice.user); len(got) != 1 {
		t.Fatalf("alice's Parquet files on the dba's storage: %v, want 1", got)
	}
	if got := store.anyOf(t, sysop.user); len(got) != 0 {
		t.Fatalf("the system user's partition was written to the dba's storage: %v", got)
	}
	tbl, _ := e.db.Catalog.Snapshot().Table("app", "notes")
	if n := hotRows(t, e, tbl.Family, sysop.user); n != 3 {
		t.Fatalf("sysop's hot rows: %d, want 3", n)
	}
	if n := hotRows(t, e, tbl.Family, alice.user); n != 0 {
		t.Fatalf("alice's hot rows after the flush: %d, want 0", n)
	}
	if got := sysop.rows("SELECT id, body FROM app.notes ORDER BY id"); got != `[[1,"root secret"],[2,"more"],[3,"and more"]]` {
		t.Fatalf("sysop reads %s", got)
	}
	if got := alice.rows("SELECT id, body FROM app.notes ORDER BY id"); got != `[[1,"alice one"],[2,"alice two"]]` {
		t.Fatalf("alice reads %s", got)
	}
	if got, want := rec.all(), []string{"flush app:notes dbas3 1"}; !slices.Equal(got, want) {
		t.Fatalf("reported %v, want %v", got, want)
	}
	// Again: still kept, still readable, updates and all.
	sysop.must("UPDATE app.notes SET body = 'changed' WHERE id = 2")
	j = flushTable(t, e, "app.notes")
	if res := jobResult(t, j); res["system_partitions_kept_hot"] != float64(1) {
		t.Fatalf("second flush result %s", j.Result)
	}
	if got := store.anyOf(t, sysop.user); len(got) != 0 {
		t.Fatalf("the system user's partition was written on the second flush: %v", got)
	}
	if got := sysop.rows("SELECT id, body FROM app.notes ORDER BY id"); got != `[[1,"root secret"],[2,"changed"],[3,"and more"]]` {
		t.Fatalf("sysop reads %s", got)
	}
}

func TestPlacerAlterStorageByDBAFlipsItAndNeedsCredentials(t *testing.T) {
	e, rec := placerEnv(t)
	store := newPlacerStore(t)
	root, ops, sysop, alice := e.root(), e.user("ops"), e.user("sysop"), e.user("alice")
	root.must(fmt.Sprintf("CREATE STORAGE sys3 TYPE 's3' BUCKET 's3://%s/data' REGION 'us-east-1' %s %s",
		placerBucket, placerCreds, placerConfig(store.url)))
	if got := placedBy(t, e, "sys3"); got != `[["system"]]` {
		t.Fatalf("root's storage is placed by %s, want system", got)
	}
	root.must(`CREATE NAMESPACE app;
		CREATE TABLE app.notes (id INT PRIMARY KEY, body TEXT) WITH (TYPE = 'USER', STORAGE_ID = 'sys3')`)
	sysop.must("INSERT INTO app.notes VALUES (1, 'one'), (2, 'two')")
	alice.must("INSERT INTO app.notes VALUES (1, 'a')")
	// A storage a system account placed holds system users' partitions.
	if res := jobResult(t, flushTable(t, e, "app.notes")); res["partitions"] != float64(2) || res["system_partitions_kept_hot"] != nil {
		t.Fatalf("flush to a system-placed storage: %v", res)
	}
	if got := store.parquetOf(t, sysop.user); len(got) != 1 {
		t.Fatalf("sysop's files on the system-placed storage: %v", got)
	}

	before := root.rows("SELECT endpoint, region, config, updated_at, placed_by_role FROM system.storages WHERE storage_id = 'sys3'")
	// A new endpoint, or region, without the credentials: refused, as the
	// stored ones would be sent there (by the probe of the ALTER first).
	for _, stmt := range []string{
		fmt.Sprintf(`ALTER STORAGE sys3 SET %s`, placerConfig(store.aliasURL)),
		fmt.Sprintf(`ALTER STORAGE sys3 SET ENDPOINT '%s', %s`, store.aliasURL, placerConfig(store.aliasURL)),
		`ALTER STORAGE sys3 SET REGION 'eu-west-1'`,
	} {
		for _, c := range []*caller{ops, root} {
			ae := c.fails(apierror.InvalidInput, stmt)
			if !strings.Contains(ae.Message, "CREDENTIALS") || !strings.Contains(ae.Message, "credentials would go to a different server") {
				t.Fatalf("%s: message %q does not say why", stmt, ae.Message)
			}
		}
	}
	if got := root.rows("SELECT endpoint, region, config, updated_at, placed_by_role FROM system.storages WHERE storage_id = 'sys3'"); got != before {
		t.Fatalf("a refused ALTER changed the storage: %s, was %s", got, before)
	}
	// A new description places nothing.
	ops.must("ALTER STORAGE sys3 SET DESCRIPTION 'by ops'")
	if got := placedBy(t, e, "sys3"); got != `[["system"]]` {
		t.Fatalf("a dba's new description changed the placer: %s", got)
	}
	// The same endpoint restated (no credentials needed: they go nowhere
	// new) places nothing: the storage is where a system user put it.
	ops.must(fmt.Sprintf("ALTER STORAGE sys3 SET CONFIG '{\"force_path_style\":true,\"allow_http\":true,\"endpoint\":\"%s\"}'", store.url))
	if got := placedBy(t, e, "sys3"); got != `[["system"]]` {
		t.Fatalf("after a dba restated the endpoint the storage is placed by %s, want system", got)
	}
	root.must(fmt.Sprintf("ALTER STORAGE sys3 SET %s", placerConfig(store.url)))
	if got := placedBy(t, e, "sys3"); got != `[["system"]]` {
		t.Fatalf("after root restated the endpoint the storage is placed by %s, want system", got)
	}
	ops.must("ALTER STORAGE sys3 SET DESCRIPTION 'by ops again'")
	if got := placedBy(t, e, "sys3"); got != `[["system"]]` {
		t.Fatalf("a new description changed the placer: %s", got)
	}
	// The dba moves it, credentials restated: placed by a non-system
	// account now.
	ops.must(fmt.Sprintf("ALTER STORAGE sys3 SET %s, %s", placerConfig(store.aliasURL), placerCreds))
	if got := placedBy(t, e, "sys3"); got != `[["not_system"]]` {
		t.Fatalf("after the dba's move the storage is placed by %s, want not_system", got)
	}
	sysop.must("INSERT INTO app.notes VALUES (3, 'three')")
	alice.must("INSERT INTO app.notes VALUES (2, 'b')")
	j := flushTable(t, e, "app.notes")
	if res := jobResult(t, j); res["partitions"] != float64(1) || res["system_partitions_kept_hot"] != float64(1) {
		t.Fatalf("flush after the move: %s", j.Result)
	}
	if got := store.parquetOf(t, sysop.user); len(got) != 1 {
		t.Fatalf("sysop's files after the move: %v, want the one written before", got)
	}
	if got := store.parquetOf(t, alice.user); len(got) != 2 {
		t.Fatalf("alice's files after the move: %v, want 2", got)
	}
	// Compaction leaves the system user's files as they are.
	j = runJob(t, e, "STORAGE COMPACT TABLE app.notes")
	if res := jobResult(t, j); res["system_partitions_kept"] != float64(1) || res["partitions"] != float64(1) ||
		res["kept_reason"] != tier.KeptUncompactedReason {
		t.Fatalf("compaction after the move: %s", j.Result)
	}
	if got := store.parquetOf(t, sysop.user); len(got) != 1 {
		t.Fatalf("sysop's files after the compaction: %v", got)
	}
	if got := sysop.rows("SELECT id, body FROM app.notes ORDER BY id"); got != `[[1,"one"],[2,"two"],[3,"three"]]` {
		t.Fatalf("sysop reads %s", got)
	}
	if got := alice.rows("SELECT id, body FROM app.notes ORDER BY id"); got != `[[1,"a"],[2,"b"]]` {
		t.Fatalf("alice reads %s", got)
	}
	if got, want := rec.all(), []string{"flush app:notes sys3 1", "compact app:notes sys3 1"}; !slices.Equal(got, want) {
		t.Fatalf("reported %v, want %v", got, want)
	}
	// A system user places it again: system users' rows flush there.
	root.must(fmt.Sprintf("ALTER STORAGE sys3 SET %s, %s", placerConfig(store.url), placerCreds))
	if res := jobResult(t, flushTable(t, e, "app.notes")); res["partitions"] != float64(1) || res["system_partitions_kept_hot"] != nil {
		t.Fatalf("flush after root placed the storage again: %v", res)
	}
	if got := store.parquetOf(t, sysop.user); len(got) != 2 {
		t.Fatalf("sysop's files after root placed the storage: %v, want 2", got)
	}
	if got := sysop.rows("SELECT id, body FROM app.notes ORDER BY id"); got != `[[1,"one"],[2,"two"],[3,"three"]]` {
		t.Fatalf("sysop reads %s", got)
	}
}

// TestPlacerOfStoragesStoredBeforeIt: storages stored before placers were
// recorded decode; a filesystem one (the local one too) counts as placed
// by system, an s3 one as not (the safe default), until a system user
// restates its location.
func TestPlacerOfStoragesStoredBeforeIt(t *testing.T) {
	e, _ := placerEnv(t)
	store := newPlacerStore(t)
	root, sysop := e.root(), e.user("sysop")
	root.must(fmt.Sprintf("CREATE STORAGE olds3 TYPE 's3' BUCKET 's3://%s/data' REGION 'us-east-1' %s %s",
		placerBucket, placerCreds, placerConfig(store.url)))
	root.must(fmt.Sprintf("CREATE STORAGE oldfs TYPE 'filesystem' PATH '%s/storages/oldfs'", e.dir))
	root.must(`CREATE NAMESPACE app;
		CREATE TABLE app.notes (id INT PRIMARY KEY, body TEXT) WITH (TYPE = 'USER', STORAGE_ID = 'olds3')`)
	e.close()
	// As an older version stored them: no placed_by.
	kvdb, err := kv.Open(e.dir+"/rocksdb", kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tab, err := systable.Open(kvdb, systable.Storages)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"olds3", "oldfs", "local"} {
		st, err := tab.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(st)
		var row map[string]any
		_ = json.Unmarshal(raw, &row)
		if row["placed_by"] != "system" {
			t.Fatalf("%s stored %s, want placed_by system", id, raw)
		}
		delete(row, "placed_by")
		raw, _ = json.Marshal(row)
		var old systable.Storage
		if err := json.Unmarshal(raw, &old); err != nil {
			t.Fatal(err)
		}
		if err := tab.Put(&old); err != nil {
			t.Fatal(err)
		}
	}
	kvdb.Close()
	e.open()
	for id, want := range map[string]string{"olds3": "not_system", "oldfs": "system", "local": "system"} {
		if got := placedBy(t, e, id); got != fmt.Sprintf(`[[%q]]`, want) {
			t.Errorf("old storage %s is placed by %s, want %s", id, got, want)
		}
	}
	sysop.must("INSERT INTO app.notes VALUES (1, 'one')")
	if res := jobResult(t, flushTable(t, e, "app.notes")); res["system_partitions_kept_hot"] != float64(1) {
		t.Fatalf("flush to an old s3 storage: %v", res)
	}
	// A system user restating its location marks it.
	root.must(fmt.Sprintf("ALTER STORAGE olds3 SET BUCKET 's3://%s/data'", placerBucket))
	if got := placedBy(t, e, "olds3"); got != `[["system"]]` {
		t.Fatalf("after root restated the location: %s", got)
	}
	if res := jobResult(t, flushTable(t, e, "app.notes")); res["partitions"] != float64(1) || res["system_partitions_kept_hot"] != nil {
		t.Fatalf("flush after root placed the old storage: %v", res)
	}
	if got := sysop.rows("SELECT id, body FROM app.notes"); got != `[[1,"one"]]` {
		t.Fatalf("sysop reads %s", got)
	}
}

// TestPlacerFlushPolicyIgnoresKeptPartitions: a system user's partition a
// flush would keep hot makes no flush due, or the policy would start one
// (and warn) at every check, for nothing.
func TestPlacerFlushPolicyIgnoresKeptPartitions(t *testing.T) {
	e, rec := placerEnv(t)
	store := newPlacerStore(t)
	ops, sysop, alice := e.user("ops"), e.user("sysop"), e.user("alice")
	ops.must(fmt.Sprintf("CREATE STORAGE dbas3 TYPE 's3' BUCKET 's3://%s/data' REGION 'us-east-1' %s %s",
		placerBucket, placerCreds, placerConfig(store.url)))
	ops.must(`CREATE NAMESPACE app;
		CREATE TABLE app.notes (id INT PRIMARY KEY, body TEXT) WITH (TYPE = 'USER', STORAGE_ID = 'dbas3', FLUSH_POLICY = 'rows:2')`)
	sysop.must("INSERT INTO app.notes VALUES (1, 'one'), (2, 'two'), (3, 'three')")
	for range 2 {
		if err := e.db.Tier.RunFlushPolicies(time.Now()); err != nil {
			t.Fatal(err)
		}
		waitIdle(t, e)
	}
	if got := e.root().rows("SELECT count(*) FROM system.jobs WHERE job_type = 'flush'"); got != `[[0]]` {
		t.Fatalf("flush jobs started for a partition kept hot: %s", got)
	}
	alice.must("INSERT INTO app.notes VALUES (1, 'a'), (2, 'b')")
	if err := e.db.Tier.RunFlushPolicies(time.Now()); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, e)
	if got := e.root().rows("SELECT count(*) FROM system.jobs WHERE job_type = 'flush'"); got != `[[1]]` {
		t.Fatalf("flush jobs once alice's partition is due: %s", got)
	}
	if got := store.parquetOf(t, alice.user); len(got) != 1 {
		t.Fatalf("alice's files after the policy flush: %v", got)
	}
	if got := store.anyOf(t, sysop.user); len(got) != 0 {
		t.Fatalf("sysop's partition written by the policy flush: %v", got)
	}
	if got := rec.all(); len(got) != 0 {
		t.Fatalf("a flush of alice's partition only reported kept partitions: %v", got)
	}
	if got := sysop.rows("SELECT count(*) FROM app.notes"); got != `[[3]]` {
		t.Fatalf("sysop's rows: %s", got)
	}
}
