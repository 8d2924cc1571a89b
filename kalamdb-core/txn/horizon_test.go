package txn_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// TestRestoreHorizonBelongsToItsRestore: a horizon is read back for the
// partition and restore that wrote it only; a partition without one, and
// an entry an earlier restore of the same name left, read as none (the
// caller then judges by the partition's versions).
func TestRestoreHorizonBelongsToItsRestore(t *testing.T) {
	db, err := kv.Open(t.TempDir(), kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, ok, err := txn.RestoreHorizon(db, "app", "t", "u1", 100); ok || err != nil {
		t.Fatalf("before any restore: %v %v", ok, err)
	}
	cf, err := db.ColumnFamily(txn.RestoreHorizonsFamily)
	if err != nil {
		t.Fatal(err)
	}
	var b kv.Batch
	txn.PutRestoreHorizon(&b, cf, "app", "t", "u1", 100, 42)
	txn.PutRestoreHorizon(&b, cf, "app", "t", "", 100, 7)
	if err := db.Write(&b); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		table, owner string
		restored     int64
		want         int64
		ok           bool
	}{
		{"t", "u1", 100, 42, true},
		{"t", "", 100, 7, true},
		{"t", "u2", 100, 0, false},
		{"t", "u1", 200, 0, false}, // another restore's table
		{"t2", "u1", 100, 0, false},
	} {
		got, ok, err := txn.RestoreHorizon(db, "app", c.table, c.owner, c.restored)
		if err != nil || ok != c.ok || got != c.want {
			t.Errorf("%+v: got %d %v %v", c, got, ok, err)
		}
	}
}
