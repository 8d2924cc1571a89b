package e2e_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestBackupToS3AndRestoreOnFreshServer: tables on an s3 storage are
// backed up to another prefix of the same bucket, reached through that
// storage (no credentials in the SQL), listed by SHOW BACKUPS, and
// restored by a second, fresh server that has its own storage for the
// bucket, row by row the same.
func TestBackupToS3AndRestoreOnFreshServer(t *testing.T) {
	f := sharedS3()
	bucket := f.bucket(t)
	loc := fmt.Sprintf("s3://%s/backups/chat-1", bucket)
	src := startServer(t, t.TempDir(), withStorageKey)
	alice := basic("alice", "alice-pw")
	src.ok(root, f.createStorage("s3a", bucket, "tables", s3AccessKey, ""))
	fillChat(t, src, "s3a")
	if n := len(batchFiles(f.keys(t, bucket, "tables/"))); n == 0 {
		t.Fatalf("no Parquet file in the bucket after the flush: %v", f.keys(t, bucket, ""))
	}
	src.ok(alice, "UPDATE chat.messages SET body = 'edited' WHERE id = 2")
	src.ok(alice, "DELETE FROM chat.messages WHERE id = 3")
	src.ok(root, "DELETE FROM chat.rooms WHERE id = 2")
	want := partitions(t, src, func(int64) bool { return true })

	// Refused: the table data's prefix, and a bucket no storage uses.
	src.fail(root, http.StatusBadRequest, "INVALID_INPUT", fmt.Sprintf("BACKUP DATABASE chat TO 's3://%s/tables/bk'", bucket))
	src.fail(root, http.StatusNotFound, "NOT_FOUND", "BACKUP DATABASE chat TO 's3://no-storage-here/bk'")

	if status, msg := waitJob(t, src, jobOf(t, src, "BACKUP DATABASE chat TO '"+loc+"'")); status != "completed" {
		t.Fatalf("backup: %s %s", status, msg)
	}
	if keys := f.keys(t, bucket, "backups/chat-1/"); !slices.Contains(keys, "backups/chat-1/backup.json") || len(batchFiles(keys)) == 0 {
		t.Fatalf("objects of the backup: %v", keys)
	}
	if got := src.ok(root, "SHOW BACKUPS FOR DATABASE chat").Results[0].Rows; len(got) != 1 || got[0][1] != loc || got[0][9] != "available" {
		t.Fatalf("SHOW BACKUPS: %v", got)
	}
	if all := src.ok(root, "SELECT * FROM system.jobs").raw; strings.Contains(all, s3SecretKey) {
		t.Fatal("system.jobs shows the secret key")
	}

	// A fresh server: no storage for the bucket yet, then one with its
	// own table data prefix.
	dst := startServer(t, t.TempDir(), withStorageKey)
	r := dst.fail(root, http.StatusNotFound, "NOT_FOUND", "RESTORE DATABASE chat FROM '"+loc+"'")
	if !strings.Contains(r.raw, "create an s3 storage for bucket "+bucket+" first") {
		t.Fatalf("restore without a storage: %s", r.raw)
	}
	dst.ok(root, f.createStorage("s3a", bucket, "tables-dst", s3AccessKey, ""))
	dst.ok(root, "CREATE USER 'bob' WITH PASSWORD 'bob-pw' ROLE user") // exists here already
	if status, msg := waitJob(t, dst, jobOf(t, dst, "RESTORE DATABASE chat FROM '"+loc+"'")); status != "completed" {
		t.Fatalf("restore: %s %s", status, msg)
	}
	if got := partitions(t, dst, func(int64) bool { return true }); got != want {
		t.Fatalf("restored partitions differ:\n got: %s\nwant: %s", got, want)
	}
	if len(batchFiles(f.keys(t, bucket, "tables-dst/"))) == 0 {
		t.Fatalf("the restore put no Parquet file in its storage: %v", f.keys(t, bucket, ""))
	}
	// The restored files are the tables' own: a flush and a compaction go on.
	dst.ok(alice, "INSERT INTO chat.messages (id, conv, body) VALUES (100, 1, 'after restore')")
	waitJob(t, dst, jobOf(t, dst, "STORAGE FLUSH TABLE chat.messages"))
	waitJob(t, dst, jobOf(t, dst, "STORAGE COMPACT TABLE chat.messages"))
	if got := dst.ok(alice, "SELECT count(*), max(id) FROM chat.messages").rows(t); got != "[[20,100]]" {
		t.Fatalf("alice's rows after flush and compaction: %s", got)
	}
}
