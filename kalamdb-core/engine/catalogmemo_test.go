package engine_test

import (
	"context"
	"fmt"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/database"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/memory"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// catalogRig is a database with tables app.t00 ... whose statements count
// the engine's listings of the catalog.
type catalogRig struct {
	t    *testing.T
	db   *database.Database
	acct *memory.Account
}

func newCatalogRig(t *testing.T, tables int, statementBytes int64) *catalogRig {
	t.Helper()
	dir := t.TempDir()
	store, err := kv.Open(dir+"/rocksdb", kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	acct := memory.NewAccount(1 << 30)
	db, err := database.Open(store, database.Config{BcryptCost: bcrypt.MinCost, StorageDir: dir + "/storage", DataDir: dir,
		Memory: acct, StatementLimits: engine.Limits{StatementMemoryBytes: statementBytes}})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(); store.Close() })
	r := &catalogRig{t: t, db: db, acct: acct}
	r.must("root", systable.RoleSystem, `CREATE NAMESPACE app`)
	for i := 0; i < tables; i++ {
		r.must("root", systable.RoleSystem, fmt.Sprintf(`CREATE USER TABLE app.t%02d (id BIGINT PRIMARY KEY, a TEXT, b INT)`, i))
	}
	return r
}

func (r *catalogRig) exec(user string, role systable.Role, q string) ([]executor.Result, error) {
	return r.db.Executor.Execute(context.Background(), executor.Request{UserID: user, Role: role, SQL: q})
}

// heldAtRows runs the query q as alice and returns what the server's
// account held as each of its rows came out.
func (r *catalogRig) heldAtRows(q string) []int64 {
	r.t.Helper()
	var held []int64
	_, err := r.db.Engine.Query(context.Background(), engine.QueryRequest{UserID: "alice", Role: systable.RoleUser,
		Statement: dialect.NewStandardSQL(dialect.KindSelect, q), OnRow: func([]any, int64) error {
			held = append(held, r.acct.Used())
			return nil
		}})
	if err != nil {
		r.t.Fatalf("%s: %v", q, err)
	}
	return held
}

func (r *catalogRig) must(user string, role systable.Role, q string) []executor.Result {
	r.t.Helper()
	res, err := r.exec(user, role, q)
	if err != nil {
		r.t.Fatalf("%s: %v", q, err)
	}
	return res
}

// listings runs q as alice and returns how many times it listed the
// catalog and how many rows it returned.
func (r *catalogRig) listings(q string) (int64, int) {
	r.t.Helper()
	before := engine.CatalogListings(r.db.Engine)
	res := r.must("alice", systable.RoleUser, q)
	return engine.CatalogListings(r.db.Engine) - before, len(res[0].Rows)
}

// A statement lists the catalog once, however often it scans the
// virtual schemas: a correlated subquery scans information_schema.columns
// once per table, a self-join scans a virtual table twice. Each statement
// lists it again, so the next one sees DDL committed in between.
// Failed before: the correlated subquery listed the catalog once per
// outer row (41 listings).
func TestCatalogIsListedOncePerStatement(t *testing.T) {
	r := newCatalogRig(t, 30, 0)
	for _, c := range []struct {
		q    string
		rows int
	}{
		{`SELECT count(*) FROM information_schema.tables`, 1},
		{`SELECT t.table_name, (SELECT count(*) FROM information_schema.columns c
			WHERE c.table_schema = t.table_schema AND c.table_name = t.table_name)
			FROM information_schema.tables t WHERE t.table_schema = 'app'`, 30},
		{`SELECT t.tablename FROM pg_catalog.pg_tables t WHERE EXISTS (SELECT 1 FROM information_schema.columns c
			WHERE c.table_name = t.tablename AND c.column_name = 'b')`, 30},
		{`SELECT count(*) FROM information_schema.tables a JOIN information_schema.tables b ON a.table_name = b.table_name`, 1},
	} {
		n, rows := r.listings(c.q)
		if n != 1 || rows != c.rows {
			t.Errorf("%s: %d listings, %d rows; want 1 listing, %d rows", c.q, n, rows, c.rows)
		}
	}
	r.must("root", systable.RoleSystem, `CREATE USER TABLE app.later (id BIGINT PRIMARY KEY)`)
	q := `SELECT count(*) FROM information_schema.tables WHERE table_name = 'later'`
	res := r.must("alice", systable.RoleUser, q)
	if got := fmt.Sprint(res[0].Rows); got != "[[1]]" {
		t.Errorf("a table created after the last statement: %s", got)
	}
}

// What a statement keeps of the catalog is bounded by the catalog, once:
// the listing and one copy of each virtual table's rows, charged to the
// statement's budget until it ends, however many times it scans them. A
// correlated subquery over information_schema.columns holds no more
// than a scan of columns and one of tables do on their own, and no more
// at its last row than at its first; with a budget too small for the
// columns of a large catalog it fails with RESOURCE_LIMIT_EXCEEDED after
// one listing, and holds nothing after.
func TestCatalogListingIsBoundedByTheCatalog(t *testing.T) {
	r := newCatalogRig(t, 60, 0)
	cols := r.heldAtRows(`SELECT count(*) FROM information_schema.columns`)
	tables := r.heldAtRows(`SELECT count(*) FROM information_schema.tables`)
	if len(cols) != 1 || len(tables) != 1 || cols[0] <= tables[0] || tables[0] <= 0 {
		t.Fatalf("held by one scan of columns %v, of tables %v", cols, tables)
	}
	held := r.heldAtRows(`SELECT t.table_name, (SELECT count(*) FROM information_schema.columns c
		WHERE c.table_schema = t.table_schema AND c.table_name = t.table_name)
		FROM information_schema.tables t WHERE t.table_schema = 'app'`)
	if len(held) != 60 {
		t.Fatalf("%d rows", len(held))
	}
	first, last := held[0], held[len(held)-1]
	t.Logf("held: a scan of columns %d, of tables %d; the correlated subquery %d at its first row, %d at its last", cols[0], tables[0], first, last)
	if bound := cols[0] + tables[0]; first > bound || last > first {
		t.Errorf("held %d at the first row, %d at the last; want at most %d (a scan of columns, %d, and of tables, %d), not growing",
			first, last, bound, cols[0], tables[0])
	}

	small := newCatalogRig(t, 60, 64<<10)
	before := engine.CatalogListings(small.db.Engine)
	_, err := small.exec("alice", systable.RoleUser, `SELECT t.table_name, (SELECT count(*) FROM information_schema.columns c
		WHERE c.table_name = t.table_name) FROM information_schema.tables t`)
	if ae, ok := apierror.As(err); !ok || ae.Code != apierror.ResourceLimitExceeded {
		t.Fatalf("columns of 60 tables in 64 KiB: %v, want RESOURCE_LIMIT_EXCEEDED", err)
	}
	if n := engine.CatalogListings(small.db.Engine) - before; n != 1 {
		t.Errorf("%d listings before the budget stopped the statement, want 1", n)
	}
	if u := small.acct.Used(); u != 0 {
		t.Errorf("%d bytes still reserved after the statement", u)
	}
}
