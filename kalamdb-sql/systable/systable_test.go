package systable

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

func openDB(t *testing.T) *kv.DB {
	t.Helper()
	db, err := kv.Open(t.TempDir(), kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestGenericTableCRUD(t *testing.T) {
	db := openDB(t)
	users, err := Open(db, Users)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, name := range []string{"bob", "alice", "carol"} {
		if err := users.Put(&User{UserID: name, Username: name, Role: RoleUser, PasswordHash: "h-" + name, CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	u, err := users.Get("alice")
	if err != nil || u.PasswordHash != "h-alice" || !u.CreatedAt.Equal(now) {
		t.Fatalf("get: %+v %v", u, err)
	}
	all, err := users.ScanAll()
	if err != nil || len(all) != 3 || all[0].UserID != "alice" || all[2].UserID != "carol" {
		t.Fatalf("scan order: %v %v", all, err)
	}
	if err := users.Delete("bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := users.Get("bob"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted row: %v", err)
	}
	// Rows for SQL never include the password hash.
	rows, err := users.Rows()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		for _, v := range r {
			if s, ok := v.(string); ok && len(s) > 2 && s[:2] == "h-" {
				t.Fatalf("password hash exposed in system.users rows: %v", r)
			}
		}
	}
	if cols := users.Columns(); cols[0].Name != "user_id" || len(cols) != len(rows[0]) {
		t.Fatalf("columns %v vs row width %d", cols, len(rows[0]))
	}
}

func TestBatchAcrossTablesAndPrefixScan(t *testing.T) {
	db := openDB(t)
	tables, _ := Open(db, Tables)
	schemas, _ := Open(db, TableSchemas)
	var b kv.Batch
	if err := tables.PutInBatch(&b, &TableMeta{TableID: TableID("chat", "messages"), CurrentSchemaVersion: 2}); err != nil {
		t.Fatal(err)
	}
	for _, v := range []int{1, 2, 10} {
		if err := schemas.PutInBatch(&b, &TableSchema{TableID: "chat:messages", Version: v}); err != nil {
			t.Fatal(err)
		}
	}
	if err := schemas.PutInBatch(&b, &TableSchema{TableID: "chat:messages2", Version: 1}); err != nil {
		t.Fatal(err)
	}
	if err := db.Write(&b); err != nil {
		t.Fatal(err)
	}
	hist, err := schemas.ScanPrefix(SchemaPrefix("chat:messages"))
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 3 || hist[0].Version != 1 || hist[1].Version != 2 || hist[2].Version != 10 {
		t.Fatalf("schema history must be the table's versions in numeric order: %+v", hist)
	}
}

func TestCorruptRowIsAnError(t *testing.T) {
	db := openDB(t)
	ns, _ := Open(db, Namespaces)
	cf, _ := db.ColumnFamily(Namespaces.Family)
	if err := cf.Put([]byte("bad"), []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	if _, err := ns.Get("bad"); err == nil {
		t.Fatal("corrupt row decoded")
	}
	if _, err := ns.ScanAll(); err == nil {
		t.Fatal("corrupt row scanned")
	}
}

func TestRoles(t *testing.T) {
	if !RoleSystem.AtLeast(RoleDBA) || !RoleDBA.AtLeast(RoleDBA) || RoleService.AtLeast(RoleDBA) || RoleUser.AtLeast(RoleService) {
		t.Fatal("role order broken")
	}
	if Role("root").AtLeast(RoleUser) {
		t.Fatal("an unknown role must grant nothing")
	}
	if _, err := ParseRole("admin"); err == nil {
		t.Fatal("unknown role parsed")
	}
}

func TestJobRowJSONColumns(t *testing.T) {
	rows := Jobs.RowsOf([]*Job{{JobID: "j1", Parameters: json.RawMessage(`{"a":1}`)}})
	if string(rows[0][6].(json.RawMessage)) != `{"a":1}` || rows[0][7] != nil {
		t.Fatalf("json columns: %v", rows[0])
	}
}

// TestKeyColumnsIdentifyRows: each system table names the columns that
// identify its rows (what Key encodes), and All lists every table once.
func TestKeyColumnsIdentifyRows(t *testing.T) {
	db := openDB(t)
	schemas, err := Open(db, TableSchemas)
	if err != nil {
		t.Fatal(err)
	}
	if got := schemas.KeyColumns(); len(got) != 2 || got[0] != "table_id" || got[1] != "version" {
		t.Fatalf("table_schemas key columns: %v", got)
	}
	jobs, err := Open(db, Jobs)
	if err != nil {
		t.Fatal(err)
	}
	if got := jobs.KeyColumns(); len(got) != 1 || got[0] != "job_id" {
		t.Fatalf("jobs key columns: %v", got)
	}
	families := map[string]bool{}
	for _, p := range All() {
		if families[p.Family] || p.Name == "" {
			t.Fatalf("All lists %+v twice or unnamed", p)
		}
		families[p.Family] = true
	}
	if len(families) != 9 {
		t.Fatalf("All lists %d tables, want the 9 system tables", len(families))
	}
}

// A missing row is ErrNotFound, named in its message, whether read at a
// snapshot or at the latest state.
func TestMissingRowIsErrNotFound(t *testing.T) {
	db := openDB(t)
	users, err := Open(db, Users)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := db.NewSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	for _, s := range []*kv.Snapshot{nil, snap} {
		_, err := users.GetRawAt(s, "nobody")
		if !errors.Is(err, ErrNotFound) || err.Error() != `system.users "nobody": system row not found` {
			t.Fatalf("missing row: %v", err)
		}
	}
}
