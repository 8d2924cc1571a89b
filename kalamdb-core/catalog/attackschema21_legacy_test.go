package catalog

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestAttackschema21LegacyPgCatalogNamespace: before pg_catalog became a
// reserved name, CREATE NAMESPACE pg_catalog succeeded. A data directory
// holding such a namespace keeps it as a namespace (LegacyPGCatalog):
// its tables can be created, altered, indexed and dropped, and so can the
// namespace, after which pg_catalog is the engine's schema again and the
// name stays reserved. Before, every DDL naming it was PERMISSION_DENIED
// as a system schema's, leaving only DROP NAMESPACE (which deletes the
// data). The engine's side (the stored namespace served under the name)
// is executor's TestLegacyPgCatalogNamespaceIsServed.
func TestAttackschema21LegacyPgCatalogNamespace(t *testing.T) {
	dir := t.TempDir()
	storeRows(t, dir, systable.Namespaces, &systable.Namespace{NamespaceID: PGCatalog})
	db, c := open(t, dir, Options{})
	defer db.Close()
	snap := c.Snapshot()
	if !snap.LegacyPGCatalog() || snap.SystemSchema(PGCatalog) {
		t.Fatalf("stored pg_catalog: legacy %v, system schema %v", snap.LegacyPGCatalog(), snap.SystemSchema(PGCatalog))
	}
	if !snap.SystemSchema(SystemNamespace) || !snap.SystemSchema(InformationSchema) {
		t.Fatal("system and information_schema stay system schemas")
	}
	st := &dialect.CreateTable{Table: dialect.TableName{Namespace: PGCatalog, Name: "t"},
		Columns: []dialect.ColumnDef{{Name: "id", Type: dialect.DataType{Name: dialect.TypeInt}}, {Name: "v", Type: dialect.DataType{Name: dialect.TypeInt}}}}
	if _, err := c.CreateTable(st, nil); err != nil {
		t.Fatalf("CREATE TABLE pg_catalog.t in the stored namespace: %v", err)
	}
	ix := &dialect.CreateIndex{Name: "t_id", Table: dialect.TableName{Namespace: PGCatalog, Name: "t"}, Columns: []string{"v"}}
	if _, _, _, err := c.CreateIndex(ix); err != nil {
		t.Fatalf("CREATE INDEX on pg_catalog.t: %v", err)
	}
	if _, _, err := c.DropIndex(PGCatalog, "t_id", false); err != nil {
		t.Fatalf("DROP INDEX of pg_catalog.t: %v", err)
	}
	if _, err := c.CreateNamespace(PGCatalog, true); !apierror.Is(err, apierror.InvalidSQL) {
		t.Fatalf("CREATE NAMESPACE IF NOT EXISTS pg_catalog: %v, want the name reserved", err)
	}
	if _, err := c.ReserveNamespace(PGCatalog); !apierror.Is(err, apierror.InvalidSQL) {
		t.Fatalf("RESTORE into pg_catalog: %v, want the name reserved", err)
	}
	db.Close()

	// A restart keeps it so; its tables are dropped as any other.
	db, c = open(t, dir, Options{})
	if _, ok := c.Snapshot().Table(PGCatalog, "t"); !ok {
		t.Fatal("pg_catalog.t lost at restart")
	}
	if tbl, _, err := c.DropTable(PGCatalog, "t", "", false, nil); err != nil || tbl == nil {
		t.Fatalf("DROP TABLE pg_catalog.t: %v", err)
	}
	if _, ok, _, err := c.DropNamespace(PGCatalog, false, false, nil, nil); err != nil || !ok {
		t.Fatalf("DROP NAMESPACE pg_catalog: %v", err)
	}
	snap = c.Snapshot()
	if snap.LegacyPGCatalog() || !snap.SystemSchema(PGCatalog) {
		t.Fatal("after the drop, pg_catalog is the system schema again")
	}
	if _, err := c.CreateTable(st, nil); !apierror.Is(err, apierror.PermissionDenied) {
		t.Fatalf("CREATE TABLE pg_catalog.t after the drop: %v, want PERMISSION_DENIED", err)
	}
	if _, err := c.CreateNamespace(PGCatalog, false); !apierror.Is(err, apierror.InvalidSQL) {
		t.Fatalf("CREATE NAMESPACE pg_catalog after the drop: %v, want the name reserved", err)
	}
}
