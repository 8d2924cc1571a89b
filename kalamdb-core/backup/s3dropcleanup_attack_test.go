package backup_test

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
)

// TestDroppedTablesCleanupOnS3SparesAliasedStorage: two s3 storages may
// name the same bucket and prefix through two addresses of one store. A
// spelling of the same endpoint (127.0.0.1 and localhost here) is refused
// by the storages' overlap check, but another address (a DNS alias, a
// proxy; a second port here) cannot be told apart. With templates that
// put another table's partition where the dropped table's was, the
// dropped table's cleanup walks a live table's partition, which may also
// hold what no table of the catalog names: a file written before names
// carried tags, and one tagged with an incarnation the catalog does not
// have yet (a restore under way in another namespace). None of them is
// provably the dropped table's, so the cleanup keeps them all.
func TestDroppedTablesCleanupOnS3SparesAliasedStorage(t *testing.T) {
	store := newObjectStore(t)
	s := newServer(t, t.TempDir())
	s.must(store.createStorage("s3a", "tables"))
	_, err := s.exec(strings.Replace(store.createStorage("s3b", "tables"), "127.0.0.1", "localhost", 1) + swappedTemplates)
	wantCode(t, err, "INVALID_INPUT", "overlaps storage s3a")
	bucket := aliasedPartition(t, s, store)
	before := s3Files(t, bucket, "b/a")
	s.must("DROP TABLE b.a")
	droppedTablesCleanup(t, s, "b", "a")
	if got := s3Files(t, bucket, "b/a"); len(got) != len(before) {
		t.Fatalf("the cleanup of the dropped b.a removed files it cannot prove its own: left %v of %v", got, before)
	}
	const query = "SELECT k, v FROM a.b"
	if got := s.rows(query); got != "live 1\n" {
		t.Fatalf("a.b reads %q", got)
	}
}

// TestFlushOnS3SparesAliasedStorage: the same aliasing as above, seen
// from a flush: a flush removes the orphans of the partition it writes,
// and on an object store that partition may be another table's too. It
// removes only files naming its own table's incarnation there: a name
// written before tags and a file of an incarnation the catalog does not
// have yet stay, as do the other table's files.
func TestFlushOnS3SparesAliasedStorage(t *testing.T) {
	store := newObjectStore(t)
	s := newServer(t, t.TempDir())
	s.must(store.createStorage("s3a", "tables"))
	bucket := aliasedPartition(t, s, store)
	before := s3Files(t, bucket, "b/a")
	// b.a's own orphan (a flush of it that died before its commit) goes.
	ba, ok := s.db.Catalog.Snapshot().Table("b", "a")
	if !ok {
		t.Fatal("no table b.a")
	}
	ownOrphan := "batch-1-" + ba.Incarnation() + "beef.parquet"
	writeObject(t, bucket, "b/a/"+ownOrphan, []byte("orphan"))
	s.must("INSERT INTO b.a (k, v) VALUES ('other', '2')")
	s.mustJob("STORAGE FLUSH TABLE b.a")
	after := s3Files(t, bucket, "b/a")
	for name := range before {
		if _, ok := after[name]; !ok && name != "manifest.json" {
			t.Errorf("the flush of b.a removed %s, which is not its own: left %v", name, after)
		}
	}
	if _, ok := after[ownOrphan]; ok {
		t.Errorf("the flush of b.a kept its own orphan %s", ownOrphan)
	}
	for query, want := range map[string]string{"SELECT k, v FROM a.b": "live 1\n", "SELECT k, v FROM b.a": "other 2\n"} {
		if got := s.rows(query); got != want {
			t.Fatalf("%s reads %q", query, got)
		}
	}
}

// swappedTemplates put {tableName} before {namespace}.
const swappedTemplates = ` SHARED_TABLES_TEMPLATE '{tableName}/{namespace}' USER_TABLES_TEMPLATE '{tableName}/{namespace}/{userId}'`

// aliasedPartition creates storage s3b with the prefix of s3a (which s
// has) at the store's other address, with swappedTemplates, and the
// tables a.b on s3b and b.a on s3a, whose partitions are then both
// tables/b/a: a.b has a row flushed there. It plants, older than what
// follows and numbered within any table's first batch, an untagged name
// and a file tagged with an incarnation no table has (a restore under
// way elsewhere), and returns the store's client at tables.
func aliasedPartition(t *testing.T, s *server, store *objectStore) *cold.S3 {
	t.Helper()
	s.must(strings.Replace(store.createStorage("s3b", "tables"), store.url, store.aliasURL, 1) + swappedTemplates)
	s.must(`CREATE NAMESPACE a; CREATE NAMESPACE b;
		CREATE TABLE a.b (k TEXT PRIMARY KEY, v TEXT) WITH (TYPE = 'SHARED', ACCESS_LEVEL = 'PUBLIC', STORAGE_ID = 's3b');
		CREATE TABLE b.a (k TEXT PRIMARY KEY, v TEXT) WITH (TYPE = 'SHARED', ACCESS_LEVEL = 'PUBLIC', STORAGE_ID = 's3a');
		INSERT INTO a.b (k, v) VALUES ('live', '1')`)
	s.mustJob("STORAGE FLUSH TABLE a.b")
	bucket := store.storage(t, "tables")
	writeObject(t, bucket, "b/a/batch-1.parquet", []byte("legacy"))
	writeObject(t, bucket, "b/a/batch-1-0123456789ab0000.parquet", []byte("restoring"))
	if got := s3Files(t, bucket, "b/a"); len(got) != 4 { // a.b's batch file and mirror, and the two planted
		t.Fatalf("tables/b/a holds %v", got)
	}
	return bucket
}
