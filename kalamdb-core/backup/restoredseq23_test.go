package backup_test

import (
	"testing"
)

// TestRestoreRecordsRestoredSeq: a restored table records a _seq issued
// as the restore commits, above every restored version and below every
// later write (live subscriptions resume across the restore only from the
// backup's history, docs/live.md); a restore of a backup of a restored
// table records its own, whatever the backup's catalog says.
func TestRestoreRecordsRestoredSeq(t *testing.T) {
	s := newServer(t, t.TempDir())
	s.must(`CREATE NAMESPACE app;
		CREATE TABLE app.t (id BIGINT PRIMARY KEY, body TEXT) WITH (TYPE = 'SHARED');
		INSERT INTO app.t VALUES (1, 'a'), (2, 'b');
		DELETE FROM app.t WHERE id = 2`)
	if ct, _ := s.db.Catalog.Snapshot().Table("app", "t"); ct.Meta.RestoredSeq != 0 {
		t.Fatalf("a created table's restored_seq: %d", ct.Meta.RestoredSeq)
	}
	newest := s.must("SELECT max(_seq) FROM app.t WHERE _deleted = true OR _deleted = false")[0].Rows[0][0].(int64)
	s.mustJob("BACKUP DATABASE app TO 'b1'")
	s.must("DROP NAMESPACE app CASCADE")
	s.mustJob("RESTORE DATABASE app FROM 'b1'")
	ct, _ := s.db.Catalog.Snapshot().Table("app", "t")
	first := ct.Meta.RestoredSeq
	if first <= newest {
		t.Fatalf("restored_seq %d, not above the restored versions' (%d)", first, newest)
	}
	s.must("INSERT INTO app.t VALUES (3, 'c')")
	later := s.must("SELECT _seq FROM app.t WHERE id = 3")[0].Rows[0][0].(int64)
	if later <= first {
		t.Fatalf("a write after the restore has _seq %d, not above restored_seq %d", later, first)
	}

	s.mustJob("BACKUP DATABASE app TO 'b2'")
	s.must("DROP NAMESPACE app CASCADE")
	s.mustJob("RESTORE DATABASE app FROM 'b2'")
	ct, _ = s.db.Catalog.Snapshot().Table("app", "t")
	if ct.Meta.RestoredSeq <= later {
		t.Fatalf("restored again: restored_seq %d, not above the backup's newest _seq %d (the first restore's was %d)", ct.Meta.RestoredSeq, later, first)
	}
	// It survives a restart.
	want := ct.Meta.RestoredSeq
	s.close()
	s.open()
	if ct, _ = s.db.Catalog.Snapshot().Table("app", "t"); ct.Meta.RestoredSeq != want {
		t.Fatalf("after a restart: restored_seq %d, want %d", ct.Meta.RestoredSeq, want)
	}
}
