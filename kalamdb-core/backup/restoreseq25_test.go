package backup_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/ids"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// TestRestoreMovesTheGeneratorPastRowsAheadOfIt: a backup taken on a
// server whose clock is hours ahead (within what a restore accepts) holds
// rows, hot and in a Parquet file, whose _seq this server's generator has
// not reached. The restore makes the generator pass the newest of them,
// for good (across a restart), whether the backup is trusted or not: a
// restored row's _seq is never issued again, and a later UPDATE of a
// restored row wins over it (with an older _seq it would lose every
// read). The partition's restore horizon is its newest restored row's
// _seq.
func TestRestoreMovesTheGeneratorPastRowsAheadOfIt(t *testing.T) {
	root := t.TempDir()
	src := newServer(t, root)
	var b kv.Batch
	src.db.Txns.CoverSeq(&b, ids.FirstOfMillisecond(time.Now().Add(6*time.Hour)), 0)(false)
	src.must(`CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE user;
		CREATE NAMESPACE app;
		CREATE TABLE app.notes (id BIGINT PRIMARY KEY, body TEXT) WITH (TYPE = 'USER')`)
	src.must("EXECUTE AS USER 'alice' (INSERT INTO app.notes (id, body) VALUES (1, 'cold'))")
	src.mustJob("STORAGE FLUSH TABLE app.notes")
	src.must("EXECUTE AS USER 'alice' (INSERT INTO app.notes (id, body) VALUES (2, 'hot'))")
	newest := src.must("EXECUTE AS USER 'alice' (SELECT max(_seq) FROM app.notes)")[0].Rows[0][0].(int64)
	src.mustJob("BACKUP DATABASE app TO 'ahead'")

	for _, trusted := range []bool{true, false} {
		dst := newServer(t, root)
		if !trusted {
			dst = newServerKey(t, root, nil)
		}
		res := restoreResult(t, dst.job("RESTORE DATABASE app FROM 'ahead'"))
		if *res.Trusted != trusted {
			t.Fatalf("trusted %v: the restore says trusted %v", trusted, *res.Trusted)
		}
		tbl, _ := dst.db.Catalog.Snapshot().Table("app", "notes")
		if h, ok, err := txn.RestoreHorizon(dst.kv, "app", "notes", dst.user("alice").UserID, tbl.Meta.RestoredSeq); !ok || err != nil || h != newest {
			t.Fatalf("trusted %v: horizon %d %v %v, want the newest restored _seq %d", trusted, h, ok, err, newest)
		}
		for i, body := range []string{"changed", "changed after a restart"} {
			if i == 1 {
				dst.close()
				dst.open()
			}
			dst.must("EXECUTE AS USER 'alice' (UPDATE app.notes SET body = '" + body + "' WHERE id IN (1, 2))")
			want := body + " true\n" + body + " true\n"
			if got := dst.rows("EXECUTE AS USER 'alice' (SELECT body, _seq > " + strconv.FormatInt(newest, 10) + " FROM app.notes ORDER BY id)"); got != want {
				t.Fatalf("trusted %v: after an UPDATE of the restored rows (%s), alice reads\n%s\nwant\n%s", trusted, body, got, want)
			}
		}
	}
}

// TestUntrustedRestoreOfFilesAsWritten: an untrusted backup's Parquet
// file must hold rows spanning exactly the _seq range of its entry; a
// backup as the server wrote it always does, whatever its files hold:
// replaced and deleted versions, a delete as the newest row, a compacted
// file beside a flushed one. It restores, and the partition's horizon
// is its newest version's _seq, deleted ones included.
func TestUntrustedRestoreOfFilesAsWritten(t *testing.T) {
	root := t.TempDir()
	src := newServerKey(t, root, nil)
	src.must(`CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE user;
		CREATE NAMESPACE app;
		CREATE TABLE app.notes (id BIGINT PRIMARY KEY, body TEXT) WITH (TYPE = 'USER')`)
	alice := func(q string) { src.must("EXECUTE AS USER 'alice' (" + q + ")") }
	alice("INSERT INTO app.notes (id, body) VALUES (1, 'a'), (2, 'b'), (3, 'c')")
	alice("UPDATE app.notes SET body = 'a2' WHERE id = 1")
	alice("DELETE FROM app.notes WHERE id = 2")
	src.mustJob("STORAGE FLUSH TABLE app.notes")
	alice("INSERT INTO app.notes (id, body) VALUES (4, 'd')")
	alice("UPDATE app.notes SET body = 'c2' WHERE id = 3")
	alice("DELETE FROM app.notes WHERE id = 4")
	src.mustJob("STORAGE FLUSH TABLE app.notes")
	src.mustJob("STORAGE COMPACT TABLE app.notes")
	alice("INSERT INTO app.notes (id, body) VALUES (5, 'e')")
	alice("DELETE FROM app.notes WHERE id = 5")
	src.mustJob("STORAGE FLUSH TABLE app.notes")
	newest := src.must("EXECUTE AS USER 'alice' (SELECT max(_seq) FROM app.notes WHERE _deleted = true OR _deleted = false)")[0].Rows[0][0].(int64)
	want := src.rows("EXECUTE AS USER 'alice' (SELECT id, body FROM app.notes ORDER BY id)")
	src.mustJob("BACKUP DATABASE app TO 'asis'")

	dst := newServerKey(t, root, nil)
	if res := restoreResult(t, dst.job("RESTORE DATABASE app FROM 'asis'")); *res.Trusted || res.Files < 2 {
		t.Fatalf("restore: trusted %v, %d files; want an untrusted restore of two files or more", *res.Trusted, res.Files)
	}
	if got := dst.rows("EXECUTE AS USER 'alice' (SELECT id, body FROM app.notes ORDER BY id)"); got != want {
		t.Fatalf("restored:\n%s\nwant:\n%s", got, want)
	}
	tbl, _ := dst.db.Catalog.Snapshot().Table("app", "notes")
	if h, ok, err := txn.RestoreHorizon(dst.kv, "app", "notes", dst.user("alice").UserID, tbl.Meta.RestoredSeq); !ok || err != nil || h != newest {
		t.Fatalf("horizon %d %v %v, want the newest version's _seq %d", h, ok, err, newest)
	}
}
