package backup_test

import (
	"strings"
	"testing"
)

// TestDroppedTablesCleanupOnS3SparesAliasedStorage: two s3 storages may
// name the same bucket and prefix through two spellings of one endpoint
// (127.0.0.1 and localhost here; "" and s3.amazonaws.com on AWS): the
// overlap check compares endpoints as written. With templates that put
// another table's partition where the dropped table's was, the dropped
// table's cleanup walks a live table's partition: its files carry another
// incarnation and no table of the dropped table's id exists, so the
// cleanup must still keep them (they are a live table's).
func TestDroppedTablesCleanupOnS3SparesAliasedStorage(t *testing.T) {
	store := newObjectStore(t)
	s := newServer(t, t.TempDir())
	s.must(store.createStorage("s3a", "tables"))
	// The same bucket and prefix, reached at another spelling of the
	// endpoint, with {tableName} before {namespace}.
	s.must(strings.Replace(store.createStorage("s3b", "tables"), "127.0.0.1", "localhost", 1) +
		` SHARED_TABLES_TEMPLATE '{tableName}/{namespace}' USER_TABLES_TEMPLATE '{tableName}/{namespace}/{userId}'`)
	// a.b on s3b and b.a on s3a both have their partition at tables/b/a.
	s.must(`CREATE NAMESPACE a; CREATE NAMESPACE b;
		CREATE TABLE a.b (k TEXT PRIMARY KEY, v TEXT) WITH (TYPE = 'SHARED', ACCESS_LEVEL = 'PUBLIC', STORAGE_ID = 's3b');
		CREATE TABLE b.a (k TEXT PRIMARY KEY, v TEXT) WITH (TYPE = 'SHARED', ACCESS_LEVEL = 'PUBLIC', STORAGE_ID = 's3a');
		INSERT INTO a.b (k, v) VALUES ('live', '1')`)
	s.mustJob("STORAGE FLUSH TABLE a.b")
	bucket := store.storage(t, "tables")
	before := s3Files(t, bucket, "b/a")
	if len(before) != 2 { // a.b's batch file and mirror
		t.Fatalf("tables/b/a holds %v", before)
	}
	s.must("DROP TABLE b.a")
	droppedTablesCleanup(t, s, "b", "a")
	if got := s3Files(t, bucket, "b/a"); len(got) != len(before) {
		t.Fatalf("the cleanup of the dropped b.a removed files of the live a.b: left %v of %v", got, before)
	}
	const query = "SELECT k, v FROM a.b"
	if got := s.rows(query); got != "live 1\n" {
		t.Fatalf("a.b reads %q", got)
	}
}
