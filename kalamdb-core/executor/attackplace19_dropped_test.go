package executor_test

import (
	"fmt"
	"testing"
)

// A dropped system user's rows stay where they were, unreachable by any
// statement; a dba's backup leaves dropped users' rows out for that very
// reason (their role is gone, and may have been system). A flush of a
// USER table on an s3 storage a dba placed must not write them there
// either: the dba would read a (former) system user's partition out of
// band in their own bucket.
func TestAttackplace19DroppedSystemUserStaysHotOnDBAPlacedS3(t *testing.T) {
	e, _ := placerEnv(t)
	store := newPlacerStore(t)
	ops, sysop := e.user("ops"), e.user("sysop")
	ops.must(fmt.Sprintf("CREATE STORAGE dbas3 TYPE 's3' BUCKET 's3://%s/data' REGION 'us-east-1' %s %s",
		placerBucket, placerCreds, placerConfig(store.url)))
	ops.must(`CREATE NAMESPACE app;
		CREATE TABLE app.notes (id INT PRIMARY KEY, body TEXT) WITH (TYPE = 'USER', STORAGE_ID = 'dbas3')`)
	sysop.must("INSERT INTO app.notes VALUES (1, 'root secret')")
	e.root().must("DROP USER sysop")

	j := flushTable(t, e, "app.notes")
	if got := store.anyOf(t, sysop.user); len(got) != 0 {
		t.Fatalf("the dropped system user's partition was written to the dba's storage: %v (job result %s)", got, j.Result)
	}
	tbl, _ := e.db.Catalog.Snapshot().Table("app", "notes")
	if n := hotRows(t, e, tbl.Family, sysop.user); n != 1 {
		t.Fatalf("the dropped system user's hot rows: %d, want 1 (kept hot)", n)
	}
	if res := jobResult(t, j); res["system_partitions_kept_hot"] != float64(1) {
		t.Fatalf("flush result %s, want the dropped owner's partition counted as kept", j.Result)
	}
}
