package engine_test

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/database"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/memory"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// hashNullRows inserts n rows into app.<table> (id, k1, k2, t, d, w) as
// alice, each key NULL with probability nulls, the others drawn from a
// few values so that keys repeat.
func hashNullRows(d nullTwins, rnd *rand.Rand, table string, n int, nulls float64) {
	d.t.Helper()
	val := func(f func() string) string {
		if rnd.Float64() < nulls {
			return "NULL"
		}
		return f()
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "INSERT INTO app.%s (id, k1, k2, t, d, w) VALUES ", table)
	for i := 1; i <= n; i++ {
		if i > 1 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "(%d, %s, %s, %s, %s, %d)", i,
			val(func() string { return fmt.Sprint(rnd.Intn(4)) }),
			val(func() string { return fmt.Sprint(rnd.Intn(3)) }),
			val(func() string { return fmt.Sprintf("'t%d'", rnd.Intn(3)) }),
			val(func() string { return fmt.Sprintf("%d.%d0", rnd.Intn(3), rnd.Intn(2)) }),
			rnd.Intn(3))
	}
	d.must("alice", systable.RoleUser, sb.String())
}

// TestNullFreeHashJoinTwins: over random keys that are mostly NULL, every
// join (inner, LEFT, RIGHT, FULL; one key, two keys, text and decimal
// keys, a computed key, more conditions, IS NOT DISTINCT FROM), semi and
// anti join (IN, NOT IN, EXISTS, NOT EXISTS, with and without a NULL in
// the subquery) and hashReadOnce's join of two bound sides answers the
// same with nullFreeHashJoins and FULL JOINs hashed as without either
// (KeepingNullHashKeys, WithFullJoinsNested), hot and cold, a side whose
// keys are all NULL too, and EXPLAIN prints the same plan with
// nullFreeHashJoins as without it. The hash joins of the queries marked
// so leave NULL keys out (the twins would pass without the rule
// otherwise); IS NOT DISTINCT FROM, which matches NULLs, never does (with
// an equality of other columns, the rows those leave out).
func TestNullFreeHashJoinTwins(t *testing.T) {
	d := nullTwins{t: t, db: openDatabase(t)}
	d.must("root", systable.RoleSystem, `CREATE NAMESPACE app`)
	for _, name := range []string{"x", "y", "z"} {
		d.must("root", systable.RoleSystem, fmt.Sprintf(`CREATE TABLE app.%s (id BIGINT PRIMARY KEY, k1 BIGINT, k2 BIGINT, t TEXT, d NUMERIC(6, 2), w BIGINT)`, name))
		d.must("root", systable.RoleSystem, fmt.Sprintf(`CREATE INDEX %s_w ON app.%[1]s (w)`, name))
	}
	rnd := rand.New(rand.NewSource(25))
	hashNullRows(d, rnd, "x", 120, 0.8)
	hashNullRows(d, rnd, "y", 60, 0.7)
	hashNullRows(d, rnd, "z", 12, 1) // every key NULL: a hashed side left empty
	type query struct {
		q      string
		hashed bool // a hash join leaves NULL keys out
	}
	var queries []query
	for _, j := range []string{"JOIN", "LEFT JOIN", "RIGHT JOIN", "FULL JOIN"} {
		for _, on := range []struct {
			on           string
			hashed, full bool
		}{
			{"x.k1 = y.k1", true, true},
			{"y.k1 = x.k1", true, true},
			{"x.k1 = y.k1 AND x.k2 = y.k2", true, true},
			{"x.k1 = y.k1 AND y.t = x.t", true, true},
			{"x.t = y.t", true, true},
			{"x.d = y.d", true, false},
			{"x.k1 = y.k1 AND x.k2 < y.k2", false, true},
			{"x.k1 + 1 = y.k1", true, false},
			{"x.k1 IS NOT DISTINCT FROM y.k1", false, false},
			{"x.k1 IS NOT DISTINCT FROM y.k1 AND x.k2 = y.k2", false, true},
			{"x.k1 = y.k1 OR x.k2 = y.k2", false, false},
		} {
			// The engine hashes no condition that is not all
			// equalities; a FULL JOIN is hashed on equalities of columns
			// of one hashable type (not decimals), other conditions
			// evaluated on the pairs.
			hashed := on.hashed
			if j == "FULL JOIN" {
				hashed = on.full
			}
			queries = append(queries, query{fmt.Sprintf("SELECT x.id, y.id FROM app.x x %s app.y y ON %s ORDER BY 1, 2", j, on.on), hashed})
		}
	}
	for _, j := range []string{"JOIN", "LEFT JOIN", "RIGHT JOIN", "FULL JOIN"} {
		queries = append(queries,
			query{fmt.Sprintf("SELECT x.id, z.id FROM app.x x %s app.z z ON x.k1 = z.k1 ORDER BY 1, 2", j), true},
			query{fmt.Sprintf("SELECT z.id, x.id FROM app.z z %s app.x x ON x.k1 = z.k1 AND x.t = z.t ORDER BY 1, 2", j), true})
	}
	queries = append(queries,
		// hashReadOnce: both sides bound by an index.
		query{"SELECT x.id, y.id FROM app.x x JOIN app.y y ON x.k1 = y.k1 WHERE x.w = 1 AND y.w = 2 ORDER BY 1, 2", true},
		query{"SELECT x.id, y.id FROM app.x x LEFT JOIN app.y y ON x.k1 = y.k1 AND x.k2 = y.k2 WHERE x.w = 1 AND y.w = 2 ORDER BY 1, 2", false},
		query{"SELECT x.id, y.id FROM app.x x LEFT JOIN app.y y ON x.k1 = y.k1 AND y.w = 2 WHERE x.w = 1 ORDER BY 1, 2", true},
		query{"SELECT count(*), count(y.id) FROM app.x x LEFT JOIN app.y y ON x.k1 = y.k1", true},
		query{"SELECT x.id FROM app.x x WHERE x.k1 IN (SELECT k1 FROM app.y) ORDER BY 1", false},
		query{"SELECT x.id FROM app.x x WHERE x.k1 NOT IN (SELECT k1 FROM app.y) ORDER BY 1", false},
		query{"SELECT x.id FROM app.x x WHERE x.k1 NOT IN (SELECT k1 FROM app.y WHERE k1 IS NOT NULL) ORDER BY 1", false},
		query{"SELECT x.id FROM app.x x WHERE (x.k1, x.k2) IN (SELECT k1, k2 FROM app.y) ORDER BY 1", false},
		query{"SELECT x.id FROM app.x x WHERE (x.k1, x.k2) NOT IN (SELECT k1, k2 FROM app.y WHERE k1 IS NOT NULL) ORDER BY 1", false},
		query{"SELECT x.id FROM app.x x WHERE EXISTS (SELECT 1 FROM app.y y WHERE y.k1 = x.k1 AND y.k2 = x.k2) ORDER BY 1", false},
		query{"SELECT x.id FROM app.x x WHERE NOT EXISTS (SELECT 1 FROM app.y y WHERE y.k1 = x.k1) ORDER BY 1", false},
		query{"SELECT x.id FROM app.x x WHERE EXISTS (SELECT 1 FROM app.y y WHERE y.t = x.t AND y.id > 0) ORDER BY 1", false},
		query{"SELECT x.id, (SELECT count(*) FROM app.x x2 JOIN app.y y ON x2.k1 = y.k1 WHERE x2.id = x.id) FROM app.x x ORDER BY 1", false},
		query{"SELECT s.xid, s.yid FROM (SELECT x.id AS xid, y.id AS yid FROM app.x x LEFT JOIN app.y y ON x.t = y.t) s ORDER BY 1, 2", true},
		query{"SELECT x.id FROM app.x x WHERE x.id IN (SELECT x2.id FROM app.x x2 JOIN app.y y ON x2.k1 = y.k1 AND x2.k2 = y.k2) ORDER BY 1", true},
	)
	for _, q := range queries {
		n, err := engine.NullFreeHashSides(context.Background(), d.db.Engine, "app", q.q)
		if err != nil {
			t.Fatalf("%s: %v", q.q, err)
		}
		if q.hashed && n == 0 {
			t.Errorf("%s: no hash join leaves NULL keys out", q.q)
		}
		if strings.Contains(q.q, "DISTINCT FROM y.k1 ORDER") && n > 0 {
			t.Errorf("%s: a hash join leaves NULL keys out of IS NOT DISTINCT FROM", q.q)
		}
	}
	twin := func(label, q string, off context.Context) {
		t.Helper()
		got, gotErr := d.run("alice", systable.RoleUser, q)
		want, wantErr := d.runIn(off, "alice", systable.RoleUser, q)
		if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || got != want {
			t.Errorf("%s: %s\n got  %s (%v)\n want %s (%v)", label, q, got, gotErr, want, wantErr)
		}
	}
	for _, tier := range []string{"hot", "cold"} {
		if tier == "cold" {
			d.flush("app.x")
			d.flush("app.y")
		}
		for _, q := range queries {
			twin(tier, q.q, engine.WithFullJoinsNested(engine.KeepingNullHashKeys(context.Background())))
			twin(tier+" explain", "EXPLAIN "+q.q, engine.KeepingNullHashKeys(context.Background()))
		}
	}
}

// TestNullFreeHashJoinHoldsNoNullRows: a hash join's table held every
// row of its hashed side, those whose key is NULL too, against the
// statement's memory: 400 rows of 2 KB with a NULL key held 800 KB that
// no probe row could match. Without them, the table holds the 4 rows
// with a key. The server's account, read as the join's only row comes
// out (the table is complete and still held), holds less than 40 of the
// NULL rows' bytes; without nullFreeHashJoins it held all of them. Inner
// and LEFT joins, and hashReadOnce's table of a bound side.
func TestNullFreeHashJoinHoldsNoNullRows(t *testing.T) {
	dir := t.TempDir()
	store, err := kv.Open(dir+"/rocksdb", kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	acct := memory.NewAccount(1 << 30)
	db, err := database.Open(store, database.Config{BcryptCost: bcrypt.MinCost, StorageDir: dir + "/storage", DataDir: dir, Memory: acct})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(); store.Close() })
	d := nullTwins{t: t, db: db}
	d.must("root", systable.RoleSystem, `CREATE NAMESPACE app`)
	const rows, payload = 400, 2_000
	for _, name := range []string{"a", "b"} {
		d.must("root", systable.RoleSystem, fmt.Sprintf(`CREATE TABLE app.%s (id BIGINT PRIMARY KEY, k BIGINT, w BIGINT, p TEXT)`, name))
		d.must("root", systable.RoleSystem, fmt.Sprintf(`CREATE INDEX %s_w ON app.%[1]s (w)`, name))
		d.must("alice", systable.RoleUser, fmt.Sprintf(`INSERT INTO app.%s (id, k, w, p)
			SELECT g, CASE WHEN g %% 100 = 0 THEN g / 100 END, 1, repeat('x', %d) FROM generate_series(1, %d) g`, name, payload, rows))
	}
	nullBytes := int64(rows-rows/100) * payload
	heldAt := func(ctx context.Context, q string) int64 {
		t.Helper()
		var held int64 = -1
		_, err := db.Engine.Query(ctx, engine.QueryRequest{UserID: "alice", Role: systable.RoleUser,
			Statement: dialect.NewStandardSQL(dialect.KindSelect, q), OnRow: func([]any, int64) error {
				held = acct.Used()
				return nil
			}})
		if err != nil || held < 0 {
			t.Fatalf("%s: %v (%d)", q, err, held)
		}
		return held
	}
	for _, q := range []string{
		"SELECT count(*), max(length(a.p)), max(length(b.p)) FROM app.a a JOIN app.b b ON a.k = b.k",
		"SELECT count(*), max(length(a.p)), max(length(b.p)) FROM app.a a LEFT JOIN app.b b ON a.k = b.k",
		"SELECT count(*), max(length(a.p)), max(length(b.p)) FROM app.a a JOIN app.b b ON a.k = b.k WHERE a.w = 1 AND b.w = 1",
	} {
		n, err := engine.NullFreeHashSides(context.Background(), db.Engine, "app", q)
		if err != nil || n == 0 {
			t.Fatalf("%s: %d hashed sides leave NULL keys out (%v)", q, n, err)
		}
		got := heldAt(context.Background(), q)
		kept := heldAt(engine.KeepingNullHashKeys(context.Background()), q)
		t.Logf("%s: held %d, keeping NULL keys %d, NULL rows %d", q, got, kept, nullBytes)
		if got >= nullBytes/10 || kept < nullBytes {
			t.Errorf("%s: held %d bytes, %d keeping NULL keys; the NULL-keyed rows are %d bytes", q, got, kept, nullBytes)
		}
	}
}
