package executor_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// createIndex runs CREATE INDEX and waits for its build job, if it has
// one; it returns the job (nil when the index was ready at once).
func createIndex(t *testing.T, e *env, stmt string) *systable.Job {
	t.Helper()
	res := e.root().must(stmt)
	if len(res[0].Rows) != 1 {
		t.Fatalf("%s: %+v", stmt, res[0])
	}
	id, _ := res[0].Rows[0][4].(string)
	if id == "" {
		if res[0].Rows[0][3] != systable.IndexReady {
			t.Fatalf("%s: no job and not ready: %v", stmt, res[0].Rows[0])
		}
		return nil
	}
	return waitJobEnds(t, e, id, systable.JobCompleted)
}

// waitJobEnds waits for a job to end with the given status.
func waitJobEnds(t *testing.T, e *env, id, status string) *systable.Job {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	j, err := e.db.Jobs.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != status {
		t.Fatalf("job %s %s (%s), want %s", j.JobID, j.Status, j.ErrorMessage, status)
	}
	return j
}

// indexState is the state SHOW INDEXES gives an index, or "" when it has
// none.
func indexState(t *testing.T, e *env, table, index string) string {
	t.Helper()
	for _, r := range e.root().must("SHOW INDEXES FROM " + table)[0].Rows {
		if r[2] == index {
			return r[5].(string)
		}
	}
	return ""
}

// indexKeys lists the keys of one index's entries (hex, sorted), read
// below the engine, with the _seq each names.
func indexKeys(t *testing.T, e *env, ns, table, index string) map[string]int64 {
	t.Helper()
	tb, ok := e.db.Catalog.Snapshot().Table(ns, table)
	if !ok {
		t.Fatalf("no table %s.%s", ns, table)
	}
	d, ok := tb.Meta.Index(index)
	if !ok {
		t.Fatalf("no index %s", index)
	}
	out := map[string]int64{}
	cf, ok := e.kv.LookupColumnFamily(schema.IndexFamilyName(ns, table))
	if !ok {
		return out
	}
	it, err := cf.NewIter(kv.PrefixOptions(binary.BigEndian.AppendUint32(nil, d.IndexID)))
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		out[hex.EncodeToString(it.Key())] = int64(binary.BigEndian.Uint64(it.Value()))
	}
	return out
}

// expectedIndexKeys computes the entries an index must have from the rows
// each user sees through SQL, following the documented layout: index id,
// partition prefix, one tagged value per column, the row's local key.
func expectedIndexKeys(t *testing.T, e *env, ns, table, index string, users []string) map[string]int64 {
	t.Helper()
	tb, _ := e.db.Catalog.Snapshot().Table(ns, table)
	d, _ := tb.Meta.Index(index)
	var cols []systable.ColumnSchema
	for _, id := range d.ColumnIDs {
		for _, c := range tb.Schema.Columns {
			if c.ColumnID == id {
				cols = append(cols, c)
			}
		}
	}
	pk, _ := tb.Column(tb.Meta.PrimaryKey)
	var sel []string
	for _, c := range cols {
		sel = append(sel, c.Name)
	}
	q := fmt.Sprintf("SELECT %s, %s, _seq FROM %s.%s", strings.Join(sel, ", "), pk.Name, ns, table)
	out := map[string]int64{}
	for _, u := range users {
		owner := u
		if tb.Meta.TableType != dialect.TableTypeUser {
			owner = ""
		}
		for _, r := range e.as(u, systable.RoleService).must(q)[0].Rows {
			k := binary.BigEndian.AppendUint32(nil, d.IndexID)
			if owner != "" {
				k = keyenc.AppendUserPrefix(k, owner)
			}
			for i, c := range cols {
				v, err := row.Normalize(c.Type, r[i])
				if err != nil {
					t.Fatal(err)
				}
				if k, err = row.AppendIndexValue(k, c.Type, v); err != nil {
					t.Fatal(err)
				}
			}
			pv, err := row.Normalize(pk.Type, r[len(cols)])
			if err != nil {
				t.Fatal(err)
			}
			if k, err = row.AppendKey(k, pk.Type, pv); err != nil {
				t.Fatal(err)
			}
			out[hex.EncodeToString(k)] = r[len(cols)+1].(int64)
		}
	}
	return out
}

// checkIndexExact requires exactly one entry per visible row, for that
// row's current version, and nothing else.
func checkIndexExact(t *testing.T, e *env, ns, table, index string, users ...string) {
	t.Helper()
	got := indexKeys(t, e, ns, table, index)
	want := expectedIndexKeys(t, e, ns, table, index, users)
	if len(got) != len(want) {
		t.Fatalf("index %s has %d entries, the visible rows need %d", index, len(got), len(want))
	}
	for k, seq := range want {
		if g, ok := got[k]; !ok || g != seq {
			t.Fatalf("index %s: entry %s has _seq %d (present %v), want %d", index, k, g, ok, seq)
		}
	}
}

// explain is the plan of a query as one string.
func explain(c *caller, q string, params ...any) string {
	c.e.t.Helper()
	plan := c.rows("EXPLAIN "+q, params...)
	// What runs is the physical plan; the logical one still has the
	// query's ORDER BY.
	if i := strings.Index(plan, "physical_plan"); i >= 0 {
		plan = plan[i:]
	}
	return plan
}

// The index tests read plans only through these, so that a change of
// EXPLAIN's text changes them in one place.

// planUsesIndex reports whether a plan reads the secondary index name,
// whose expressions (table.column, comma-separated, without spaces) are
// exprs.
func planUsesIndex(plan, name, exprs string) bool {
	return strings.Contains(plan, "index: ["+exprs+"]") || strings.Contains(plan, "index: "+name+" (")
}

// planReadsBackwards reports an index read in reverse order.
func planReadsBackwards(plan string) bool {
	return strings.Contains(plan, "reverse: true") || strings.Contains(plan, "reverse key order") ||
		strings.Contains(plan, "direction: reverse")
}

// planSorts reports a sort left in a plan.
func planSorts(plan string) bool {
	return strings.Contains(plan, "Sort") || strings.Contains(plan, "TopN")
}

func TestIndexDDL(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE ns; CREATE TABLE ns.m (id BIGINT PRIMARY KEY, conv BIGINT, body TEXT, price DECIMAL(6,2), doc JSON);
		CREATE STREAM TABLE ns.ev (id BIGINT, v TEXT) WITH (TTL_SECONDS = 60); CREATE TABLE ns.other (id INT PRIMARY KEY, conv BIGINT);
		CREATE NAMESPACE ns2; CREATE TABLE ns2.m (id INT PRIMARY KEY, conv BIGINT)`)
	// An empty table: ready at once, no job.
	if j := createIndex(t, e, "CREATE INDEX m_conv ON ns.m (conv, id)"); j != nil {
		t.Fatalf("an index of an empty table needs no job: %+v", j)
	}
	if got := root.rows("SHOW INDEXES FROM ns.m"); !strings.HasPrefix(got, `[["ns","m","m_conv","conv, id",false,"ready",`) {
		t.Fatalf("SHOW INDEXES: %s", got)
	}
	if got := root.rows("DESCRIBE TABLE ns.m"); !strings.Contains(got, `["conv","BIGINT",true,false,null,2,"m_conv",1]`) ||
		!strings.Contains(got, `["body","TEXT",true,false,null,3,null,1]`) {
		t.Fatalf("DESCRIBE: %s", got)
	}
	// IF NOT EXISTS, and names are per namespace: the same name in another
	// namespace is another index.
	if res := root.must("CREATE INDEX IF NOT EXISTS m_conv ON ns.m (body)"); res[0].RowCount != 0 || !strings.Contains(res[0].Message, "already exists") {
		t.Fatalf("IF NOT EXISTS: %+v", res[0])
	}
	createIndex(t, e, "CREATE INDEX m_conv ON ns2.m (conv)")
	root.ns = "ns"
	root.must("CREATE INDEX m_body ON m (body)")
	if got := root.rows("SHOW INDEXES"); strings.Count(got, `"ns"`) != 2 || strings.Contains(got, "ns2") {
		t.Fatalf("SHOW INDEXES of the current namespace: %s", got)
	}
	root.ns = ""

	before := root.rows("SHOW INDEXES")
	families := e.kv.ColumnFamilyNames()
	for _, tc := range []struct {
		code apierror.Code
		sql  string
		msg  string
	}{
		{apierror.InvalidSQL, "CREATE INDEX x ON ns.m (nope)", `column "nope" does not exist`},
		{apierror.AlreadyExists, "CREATE INDEX m_conv ON ns.other (conv)", "index m_conv already exists in namespace ns"},
		{apierror.InvalidSQL, "CREATE INDEX x ON ns.ev (v)", "STREAM table ns.ev cannot be indexed"},
		{apierror.InvalidSQL, "CREATE INDEX x ON ns.m (id, conv, body, a, b, c, d, e, f)", "at most 8 columns"},
		{apierror.InvalidSQL, "CREATE INDEX x ON ns.m (price)", "column price of type DECIMAL(6,2) cannot be indexed"},
		{apierror.InvalidSQL, "CREATE INDEX x ON ns.m (doc)", "of type JSON cannot be indexed"},
		{apierror.PermissionDenied, "CREATE INDEX x ON system.users (username)", "system tables cannot be indexed"},
		{apierror.TableNotFound, "CREATE INDEX x ON ns.nope (a)", "table ns.nope does not exist"},
		{apierror.NamespaceNotFound, "CREATE INDEX x ON nope.m (a)", "namespace nope does not exist"},
		{apierror.InvalidSQL, "CREATE INDEX x ON m (conv)", "not qualified"},
		{apierror.NotFound, "DROP INDEX ns.nope", `index "nope" does not exist`},
		{apierror.InvalidSQL, "DROP INDEX m_conv", "not qualified"},
		{apierror.InvalidInput, "ALTER TABLE ns.m DROP COLUMN conv", "column conv is part of index m_conv"},
		{apierror.SQLExecutionError, "BEGIN; CREATE INDEX x ON ns.m (body); COMMIT", "cannot run inside a transaction"},
	} {
		if ae := root.fails(tc.code, tc.sql); !strings.Contains(ae.Message, tc.msg) {
			t.Errorf("%s: %q does not say %q", tc.sql, ae.Message, tc.msg)
		}
	}
	// DDL needs the dba role; nobody below may create or drop an index.
	for _, role := range []systable.Role{systable.RoleUser, systable.RoleService} {
		e.as("someone", role).fails(apierror.PermissionDenied, "CREATE INDEX x ON ns.m (body)")
		e.as("someone", role).fails(apierror.PermissionDenied, "DROP INDEX ns.m_conv")
		e.as("someone", role).fails(apierror.PermissionDenied, "EXECUTE AS USER 'root' (CREATE INDEX x ON ns.m (body))")
	}
	if after := root.rows("SHOW INDEXES"); after != before {
		t.Fatalf("refused statements changed the indexes:\n%s\n%s", before, after)
	}
	if got := e.kv.ColumnFamilyNames(); !slices.Equal(got, families) {
		t.Fatalf("refused statements changed the column families:\n%v\n%v", families, got)
	}
	createIndex(t, e, "CREATE INDEX by_dba ON ns.other (conv)")
	e.as("admin", systable.RoleDBA).must("DROP INDEX ns.by_dba")
	// Too many indexes on one table.
	for i := 0; i < 14; i++ {
		createIndex(t, e, fmt.Sprintf("CREATE INDEX extra%d ON ns.m (body)", i))
	}
	root.fails(apierror.InvalidSQL, "CREATE INDEX one_too_many ON ns.m (body)")

	// DROP INDEX removes the entries; the name is free again.
	root.must("INSERT INTO ns.m (id, conv, body) VALUES (1, 1, 'a')")
	if len(indexKeys(t, e, "ns", "m", "m_body")) != 1 {
		t.Fatal("the insert wrote no m_body entry")
	}
	tb, _ := e.db.Catalog.Snapshot().Table("ns", "m")
	d, _ := tb.Meta.Index("m_body")
	if res := root.must("DROP INDEX ns.m_body"); res[0].RowCount != 1 {
		t.Fatalf("DROP INDEX: %+v", res[0])
	}
	if res := root.must("DROP INDEX IF EXISTS ns.m_body"); res[0].RowCount != 0 {
		t.Fatalf("DROP INDEX IF EXISTS: %+v", res[0])
	}
	cf, _ := e.kv.LookupColumnFamily(schema.IndexFamilyName("ns", "m"))
	it, _ := cf.NewIter(kv.PrefixOptions(binary.BigEndian.AppendUint32(nil, d.IndexID)))
	if it.First() {
		t.Fatal("entries of a dropped index are left")
	}
	it.Close()
	createIndex(t, e, "CREATE INDEX m_body ON ns.m (body)")
	tb, _ = e.db.Catalog.Snapshot().Table("ns", "m")
	if d2, _ := tb.Meta.Index("m_body"); d2.IndexID <= d.IndexID {
		t.Fatalf("index id %d reused (was %d)", d2.IndexID, d.IndexID)
	}
	checkIndexExact(t, e, "ns", "m", "m_body", "root")

	// DROP TABLE drops the index family; a family without a table is
	// removed at start.
	root.must("DROP TABLE ns.m")
	if _, ok := e.kv.LookupColumnFamily(schema.IndexFamilyName("ns", "m")); ok {
		t.Fatal("DROP TABLE left the index family")
	}
	if _, err := e.kv.ColumnFamily(schema.IndexFamilyName("ns", "gone")); err != nil {
		t.Fatal(err)
	}
	e.reopen()
	if _, ok := e.kv.LookupColumnFamily(schema.IndexFamilyName("ns", "gone")); ok {
		t.Fatal("an orphan index family survived a restart")
	}
	if _, ok := e.kv.LookupColumnFamily(schema.IndexFamilyName("ns", "other")); !ok {
		t.Fatal("a table's index family was dropped at start")
	}
}

// TestIndexIsolation: an index of a USER table is per partition; a user's
// lookup, by any role and through EXECUTE AS, reads only the effective
// user's entries, and every entry key starts with its owner's prefix.
func TestIndexIsolation(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE ns; CREATE TABLE ns.msg (id BIGINT PRIMARY KEY, conv BIGINT, body TEXT);
		CREATE USER 'alice' WITH PASSWORD 'pw-alice' ROLE user; CREATE USER 'bob' WITH PASSWORD 'pw-bob' ROLE user;
		CREATE USER 'svc' WITH PASSWORD 'pw-svc' ROLE service; CREATE USER 'adm' WITH PASSWORD 'pw-adm' ROLE dba`)
	alice, bob, svc, adm := e.user("alice"), e.user("bob"), e.user("svc"), e.user("adm")
	for i := 1; i <= 30; i++ {
		alice.must(fmt.Sprintf("INSERT INTO ns.msg VALUES (%d, %d, 'alice %d')", i, i%3, i))
		bob.must(fmt.Sprintf("INSERT INTO ns.msg VALUES (%d, %d, 'bob %d')", i, i%3, i))
	}
	createIndex(t, e, "CREATE INDEX msg_conv ON ns.msg (conv, id)")
	// Flush bob's rows: cold rows are reached through the same entries.
	flushTable(t, e, "ns.msg")
	for i := 31; i <= 33; i++ {
		alice.must(fmt.Sprintf("INSERT INTO ns.msg VALUES (%d, 1, 'alice %d')", i, i))
	}
	checkIndexExact(t, e, "ns", "msg", "msg_conv", alice.user, bob.user)

	q := "SELECT body FROM ns.msg WHERE conv = 1 ORDER BY id DESC LIMIT 50"
	if plan := explain(alice, q); !planUsesIndex(plan, "msg_conv", "msg.conv,msg.id") {
		t.Fatalf("the lookup does not use the index: %s", plan)
	}
	want := func(who string, ids ...int) string {
		var parts []string
		for _, id := range ids {
			parts = append(parts, fmt.Sprintf(`["%s %d"]`, who, id))
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	aliceRows := want("alice", 33, 32, 31, 28, 25, 22, 19, 16, 13, 10, 7, 4, 1)
	bobRows := want("bob", 28, 25, 22, 19, 16, 13, 10, 7, 4, 1)
	check := func(c *caller, sqlText, wantRows string) {
		t.Helper()
		if got := c.rows(sqlText); got != wantRows {
			t.Fatalf("%s as %s:\n got %s\nwant %s", sqlText, c.user, got, wantRows)
		}
	}
	check(alice, q, aliceRows)
	check(bob, q, bobRows)
	for _, c := range []*caller{svc, adm, root} {
		// Their own partitions are empty: an index gives them nothing of
		// anyone else's, whatever their role.
		check(c, q, "[]")
		check(c, "SELECT body FROM ns.msg WHERE conv IN (0, 1, 2) AND id > 0", "[]")
		check(c, fmt.Sprintf("EXECUTE AS USER 'alice' (%s)", q), aliceRows)
		check(c, fmt.Sprintf("EXECUTE AS USER 'bob' (%s)", q), bobRows)
	}
	alice.fails(apierror.PermissionDenied, fmt.Sprintf("EXECUTE AS USER 'bob' (%s)", q))
	// Writes through the index stay in the partition too.
	if res := alice.must("UPDATE ns.msg SET body = 'edited' WHERE conv = 2"); res[0].RowCount != 10 {
		t.Fatalf("alice updated %d rows", res[0].RowCount)
	}
	if got := bob.rows("SELECT count(*) FROM ns.msg WHERE body = 'edited'"); got != "[[0]]" {
		t.Fatalf("bob's rows were edited: %s", got)
	}
	checkIndexExact(t, e, "ns", "msg", "msg_conv", alice.user, bob.user)
	// Every entry lies in its owner's prefix.
	tb, _ := e.db.Catalog.Snapshot().Table("ns", "msg")
	d, _ := tb.Meta.Index("msg_conv")
	for k := range indexKeys(t, e, "ns", "msg", "msg_conv") {
		raw, _ := hex.DecodeString(k)
		rest := raw[4:]
		if !bytes.HasPrefix(rest, keyenc.AppendUserPrefix(nil, alice.user)) && !bytes.HasPrefix(rest, keyenc.AppendUserPrefix(nil, bob.user)) {
			t.Fatalf("entry %s of index %d is in no user's partition", k, d.IndexID)
		}
	}
}

// TestIndexMaintenance: INSERT, UPDATE (of indexed and other columns),
// soft DELETE and re-insert keep exactly one entry per visible row, on a
// USER and a SHARED table, in the hot and the cold tier; flush and
// compaction leave the index untouched.
func TestIndexMaintenance(t *testing.T) {
	for _, kind := range []string{"USER", "SHARED"} {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t)
			root := e.root()
			root.must(fmt.Sprintf(`CREATE NAMESPACE ns; CREATE %s TABLE ns.t (id BIGINT PRIMARY KEY, conv BIGINT, tag TEXT, n INT)`, kind))
			c := e.as("writer", systable.RoleService)
			createIndex(t, e, "CREATE INDEX t_conv ON ns.t (conv)")
			createIndex(t, e, "CREATE INDEX t_tag_n ON ns.t (tag, n)")
			exact := func() {
				t.Helper()
				checkIndexExact(t, e, "ns", "t", "t_conv", c.user)
				checkIndexExact(t, e, "ns", "t", "t_tag_n", c.user)
			}
			for i := 1; i <= 40; i++ {
				var conv any = i % 4
				if i%10 == 0 {
					conv = nil
				}
				c.must("INSERT INTO ns.t (id, conv, tag, n) VALUES ($1, $2, $3, $4)", i, conv, fmt.Sprintf("tag%d", i%5), i)
			}
			exact()
			c.must("UPDATE ns.t SET conv = 9 WHERE id <= 5")         // indexed column changes
			c.must("UPDATE ns.t SET n = n + 100 WHERE tag = 'tag1'") // through an index
			c.must("UPDATE ns.t SET conv = conv WHERE id = 6")       // same values, new version
			c.must("DELETE FROM ns.t WHERE conv = 2")
			exact()
			flushTable(t, e, "ns.t")
			exact()
			// Rows that live only in Parquet: updated, deleted, re-inserted.
			c.must("UPDATE ns.t SET tag = 'moved' WHERE id = 7")
			c.must("DELETE FROM ns.t WHERE id = 8")
			c.must("INSERT INTO ns.t (id, conv, tag, n) VALUES (6, 77, 'back', 0)")
			exact()
			flushTable(t, e, "ns.t")
			c.must("UPDATE ns.t SET conv = NULL WHERE id = 9")
			flushTable(t, e, "ns.t")
			exact()
			before := indexKeys(t, e, "ns", "t", "t_conv")
			runJob(t, e, "STORAGE COMPACT TABLE ns.t")
			flushTable(t, e, "ns.t")
			if after := indexKeys(t, e, "ns", "t", "t_conv"); len(after) != len(before) {
				t.Fatalf("compaction changed the index: %d -> %d entries", len(before), len(after))
			} else {
				for k, v := range before {
					if after[k] != v {
						t.Fatalf("compaction changed entry %s", k)
					}
				}
			}
			exact()
			want := c.rows("SELECT id FROM ns.t WHERE conv = 9 ORDER BY id")
			if want != "[[1],[2],[3],[4],[5]]" {
				t.Fatalf("conv = 9: %s", want)
			}
			// Deleted rows have no entries: a statement that reads them
			// does not use the index.
			deleted := c.rows("SELECT id FROM ns.t WHERE conv = 2 AND _deleted = true ORDER BY id")
			if want := c.rows("SELECT id FROM ns.t WHERE conv + 0 = 2 AND _deleted = true ORDER BY id"); deleted != want || deleted == "[]" {
				t.Fatalf("deleted rows: %s, want %s", deleted, want)
			}
			// A rolled-back transaction leaves no entry.
			c.fails(apierror.SQLExecutionError, "BEGIN; INSERT INTO ns.t (id, conv) VALUES (500, 5); SELECT 1/0; COMMIT")
			exact()
		})
	}
}

// TestIndexInTransactionSeesOwnWrites: inside BEGIN ... COMMIT with writes
// pending on the table, reads do not use its indexes (entries are
// committed rows only) and see the transaction's own writes.
func TestIndexInTransactionSeesOwnWrites(t *testing.T) {
	for _, slow := range []bool{false, true} {
		e := newEnvWith(t, slow)
		e.root().must(`CREATE NAMESPACE ns; CREATE TABLE ns.t (id BIGINT PRIMARY KEY, conv BIGINT)`)
		a := e.as("alice", systable.RoleUser)
		a.must("INSERT INTO ns.t VALUES (1, 1), (2, 1), (3, 2)")
		createIndex(t, e, "CREATE INDEX t_conv ON ns.t (conv)")
		res := a.must(`BEGIN; INSERT INTO ns.t VALUES (4, 1); UPDATE ns.t SET conv = 2 WHERE id = 1;
			SELECT id FROM ns.t WHERE conv = 1 ORDER BY id; SELECT id FROM ns.t WHERE conv = 2 ORDER BY id DESC LIMIT 5; COMMIT`)
		if got := fmt.Sprint(res[3].Rows, res[4].Rows); got != "[[2] [4]] [[3] [1]]" {
			t.Fatalf("slow=%v: reads inside the transaction: %s", slow, got)
		}
		if got := a.rows("SELECT id FROM ns.t WHERE conv = 1 ORDER BY id"); got != "[[2],[4]]" {
			t.Fatalf("after commit: %s", got)
		}
		checkIndexExact(t, e, "ns", "t", "t_conv", "alice")
	}
}

// TestIndexPlans: which statements the index answers, and that a sort the
// index order gives is gone (the scan stops after LIMIT rows) while one it
// does not give stays.
func TestIndexPlans(t *testing.T) {
	e := newEnvWith(t, true)
	e.root().must(`CREATE NAMESPACE ns; CREATE TABLE ns.t (id BIGINT PRIMARY KEY, conv BIGINT, n INT, tag TEXT NOT NULL DEFAULT 'x')`)
	createIndex(t, e, "CREATE INDEX t_conv_n ON ns.t (conv, n)")
	a := e.as("alice", systable.RoleUser)
	for _, tc := range []struct {
		q         string
		index     bool
		sorted    bool // a sort stays in the plan
		backwards bool
	}{
		{"SELECT id FROM ns.t WHERE conv = 1", true, false, false},
		{"SELECT id FROM ns.t WHERE conv IN (1, 2)", true, false, false},
		{"SELECT id FROM ns.t WHERE conv > 1 AND conv < 5", true, false, false},
		{"SELECT id FROM ns.t WHERE conv = 1 AND n BETWEEN 2 AND 3", true, false, false},
		{"SELECT id FROM ns.t WHERE conv = 1 ORDER BY n, id LIMIT 5", true, false, false},
		{"SELECT id FROM ns.t WHERE conv = 1 ORDER BY n DESC, id DESC LIMIT 5", true, false, true},
		{"SELECT id FROM ns.t WHERE conv = 1 AND n = 2 ORDER BY id DESC LIMIT 5", true, false, true},
		{"SELECT id FROM ns.t t WHERE t.conv = 1 ORDER BY t.conv, t.n LIMIT 5", true, false, false},
		{"SELECT x.id FROM ns.t x WHERE x.conv = 1 ORDER BY x.n DESC LIMIT 5", true, false, true},
		{"SELECT id FROM ns.t WHERE conv = 1 ORDER BY conv DESC", true, false, false},
		// Not the index's order: NULLS FIRST ascending (the sort's keys
		// are guarded from the engine's own rule), mixed directions, keys
		// out of order, several values of the leading column.
		{"SELECT id FROM ns.t WHERE conv = 1 ORDER BY n NULLS FIRST LIMIT 5", true, true, false},
		{"SELECT id FROM ns.t WHERE conv = 1 ORDER BY n, id DESC LIMIT 5", true, true, false},
		{"SELECT id FROM ns.t WHERE conv = 1 ORDER BY id LIMIT 5", true, true, false},
		{"SELECT id FROM ns.t WHERE conv IN (1, 2) ORDER BY n LIMIT 5", true, true, false},
		// Not the leading column, or reading deleted rows (which have no
		// entries).
		{"SELECT id FROM ns.t WHERE conv = 1 AND _deleted = true", false, false, false},
		{"SELECT id FROM ns.t WHERE n = 1", false, false, false},
		{"SELECT id FROM ns.t WHERE id = 1", false, false, false},
	} {
		plan := explain(a, tc.q)
		if got := planUsesIndex(plan, "t_conv_n", "t.conv,t.n,t.id"); got != tc.index {
			t.Errorf("%s: uses the index %v, want %v\n%s", tc.q, got, tc.index, plan)
		}
		if got := planSorts(plan); got != tc.sorted {
			t.Errorf("%s: sorts %v, want %v\n%s", tc.q, got, tc.sorted, plan)
		}
		if got := planReadsBackwards(plan); got != tc.backwards {
			t.Errorf("%s: reads backwards %v, want %v\n%s", tc.q, got, tc.backwards, plan)
		}
	}
	// A sort the index cannot give stays, whatever the engine's own rules
	// would do: its answer is in the sort's order.
	a.must("INSERT INTO ns.t (id, conv, n) VALUES (1, 1, NULL), (2, 1, 2), (3, 1, 1)")
	if got := a.rows("SELECT id FROM ns.t WHERE conv = 1 ORDER BY n NULLS FIRST LIMIT 5"); got != "[[1],[3],[2]]" {
		t.Fatalf("NULLS FIRST: %s", got)
	}
	if got := a.rows("SELECT id FROM ns.t WHERE conv = 1 ORDER BY n LIMIT 5"); got != "[[3],[2],[1]]" {
		t.Fatalf("NULLS LAST: %s", got)
	}
}

// blockingFailpoint makes a failpoint wait until released, so a test can
// act while a job is stopped there.
type blockingFailpoint struct {
	point string
	// releaseOn, when reached, releases the job held at point.
	releaseOn   string
	reached     chan struct{}
	release     chan struct{}
	hitOnce     sync.Once
	releaseOnce sync.Once
}

func newBlockingFailpoint(point string) *blockingFailpoint {
	return &blockingFailpoint{point: point, reached: make(chan struct{}), release: make(chan struct{})}
}

func (b *blockingFailpoint) hit(point string) {
	if point == b.releaseOn {
		b.let()
	}
	if point != b.point {
		return
	}
	b.hitOnce.Do(func() {
		close(b.reached)
		<-b.release
	})
}

// let releases a job held at the failpoint; later hits pass.
func (b *blockingFailpoint) let() { b.releaseOnce.Do(func() { close(b.release) }) }

// openWithFailpoint opens an env whose failpoint hook is fp's; a failing
// test releases it before closing the database.
func openWithFailpoint(t *testing.T, fp *blockingFailpoint) *env {
	e := &env{t: t, dir: t.TempDir(), failpoint: fp.hit}
	e.open()
	t.Cleanup(e.close)
	t.Cleanup(fp.let)
	return e
}

func (b *blockingFailpoint) wait(t *testing.T) {
	t.Helper()
	select {
	case <-b.reached:
	case <-time.After(time.Minute):
		t.Fatalf("failpoint %s not reached", b.point)
	}
}

// TestIndexBuildWhileWriting: a build runs while commits change the rows
// it is reading; queries stay correct meanwhile (the building index is not
// used), and the built index is exact.
func TestIndexBuildWhileWriting(t *testing.T) {
	fp := newBlockingFailpoint("index_build.before_write")
	e := openWithFailpoint(t, fp)
	root := e.root()
	root.must(`CREATE NAMESPACE ns; CREATE TABLE ns.t (id BIGINT PRIMARY KEY, conv BIGINT, v TEXT)`)
	a, b := e.as("alice", systable.RoleUser), e.as("bob", systable.RoleUser)
	for i := 1; i <= 50; i++ {
		a.must(fmt.Sprintf("INSERT INTO ns.t VALUES (%d, %d, 'a')", i, i%5))
		b.must(fmt.Sprintf("INSERT INTO ns.t VALUES (%d, %d, 'b')", i, i%5))
	}
	flushTable(t, e, "ns.t")
	for i := 51; i <= 60; i++ {
		a.must(fmt.Sprintf("INSERT INTO ns.t VALUES (%d, %d, 'a')", i, i%5))
	}
	res := root.must("CREATE INDEX t_conv ON ns.t (conv)")
	job := res[0].Rows[0][4].(string)
	fp.wait(t)
	if s := indexState(t, e, "ns.t", "t_conv"); s != systable.IndexBuilding {
		t.Fatalf("state during the build: %q", s)
	}
	// Writes of every kind while the build has read its snapshot.
	a.must("UPDATE ns.t SET conv = 7 WHERE id IN (1, 2, 55)")
	a.must("DELETE FROM ns.t WHERE id IN (3, 56)")
	a.must("INSERT INTO ns.t VALUES (100, 7, 'new')")
	b.must("UPDATE ns.t SET conv = 7 WHERE id = 10")
	q := "SELECT id FROM ns.t WHERE conv = 7 ORDER BY id"
	if plan := explain(a, q); planUsesIndex(plan, "t_conv", "t.conv,t.id") {
		t.Fatalf("a building index is used: %s", plan)
	}
	if got := a.rows(q); got != "[[1],[2],[55],[100]]" {
		t.Fatalf("during the build: %s", got)
	}
	fp.let()
	waitJobEnds(t, e, job, systable.JobCompleted)
	if s := indexState(t, e, "ns.t", "t_conv"); s != systable.IndexReady {
		t.Fatalf("state after the build: %q", s)
	}
	checkIndexExact(t, e, "ns", "t", "t_conv", "alice", "bob")
	if got := a.rows(q); got != "[[1],[2],[55],[100]]" {
		t.Fatalf("after the build: %s", got)
	}
	if got := b.rows(q); got != "[[10]]" {
		t.Fatalf("bob after the build: %s", got)
	}
}

// TestIndexBuildCancelled: DROP INDEX and KILL JOB during a build cancel
// it cleanly (the job ends cancelled, the index and its entries are
// gone); a build interrupted by a shutdown resumes at the next start.
func TestIndexBuildCancelled(t *testing.T) {
	for _, how := range []string{"drop", "kill", "restart"} {
		t.Run(how, func(t *testing.T) {
			fp := newBlockingFailpoint("index_build.before_ready")
			// The build is held until DROP INDEX or KILL JOB has cancelled
			// it, so it always sees the cancellation.
			fp.releaseOn = "index_build.cancelled"
			e := openWithFailpoint(t, fp)
			root := e.root()
			root.must(`CREATE NAMESPACE ns; CREATE TABLE ns.t (id BIGINT PRIMARY KEY, conv BIGINT)`)
			a := e.as("alice", systable.RoleUser)
			a.must("INSERT INTO ns.t VALUES (1, 1), (2, 2), (3, 1)")
			job := root.must("CREATE INDEX t_conv ON ns.t (conv)")[0].Rows[0][4].(string)
			fp.wait(t)
			if n := len(indexKeys(t, e, "ns", "t", "t_conv")); n != 3 {
				t.Fatalf("%d entries written before the failpoint", n)
			}
			tb, _ := e.db.Catalog.Snapshot().Table("ns", "t")
			d, _ := tb.Meta.Index("t_conv")
			var err error
			switch how {
			case "drop":
				_, err = root.exec("DROP INDEX ns.t_conv")
			case "kill":
				_, err = root.exec(fmt.Sprintf("KILL JOB '%s'", job))
			case "restart":
				// What a shutdown does to a running job: cancel it, and
				// the index stays building.
				err = e.db.Jobs.Kill(job)
				fp.let()
				waitJobEnds(t, e, job, systable.JobCancelled)
			}
			if err != nil {
				t.Fatal(err)
			}
			if how == "restart" {
				if s := indexState(t, e, "ns.t", "t_conv"); s != systable.IndexBuilding {
					t.Fatalf("a cancelled build left the index %q", s)
				}
				e.reopen()
				waitIdle(t, e)
				if s := indexState(t, e, "ns.t", "t_conv"); s != systable.IndexReady {
					t.Fatalf("after restart: %q", s)
				}
				checkIndexExact(t, e, "ns", "t", "t_conv", "alice")
				if got := root.rows("SELECT status FROM system.jobs WHERE job_type = 'index_build' ORDER BY created_at"); got != `[["cancelled"],["completed"]]` {
					t.Fatalf("jobs: %s", got)
				}
				return
			}
			waitJobEnds(t, e, job, systable.JobCancelled)
			if s := indexState(t, e, "ns.t", "t_conv"); s != "" {
				t.Fatalf("the index is still there: %q", s)
			}
			cf, _ := e.kv.LookupColumnFamily(schema.IndexFamilyName("ns", "t"))
			it, _ := cf.NewIter(kv.PrefixOptions(binary.BigEndian.AppendUint32(nil, d.IndexID)))
			if it.First() {
				t.Fatal("entries of the cancelled build are left")
			}
			it.Close()
			if got := a.rows("SELECT id FROM ns.t WHERE conv = 1 ORDER BY id"); got != "[[1],[3]]" {
				t.Fatalf("reads after the cancelled build: %s", got)
			}
			// The name can be used again.
			createIndex(t, e, "CREATE INDEX t_conv ON ns.t (conv)")
			checkIndexExact(t, e, "ns", "t", "t_conv", "alice")
		})
	}
}

// TestIndexValueTypes: lookups and ordered scans through indexes on every
// indexable type, NULLs included, give what a scan gives.
func TestIndexValueTypes(t *testing.T) {
	e := newEnvWith(t, true)
	root := e.root()
	root.must(`CREATE NAMESPACE ns;
		CREATE TABLE ns.a (id INT PRIMARY KEY, b BOOLEAN, s SMALLINT, f FLOAT, d DOUBLE, tx TEXT, by BYTES, ts TIMESTAMP, dt DATE, tm TIME, u UUID, dtm DATETIME);
		CREATE TABLE ns.b (id INT PRIMARY KEY, b BOOLEAN, s SMALLINT, f FLOAT, d DOUBLE, tx TEXT, by BYTES, ts TIMESTAMP, dt DATE, tm TIME, u UUID, dtm DATETIME)`)
	cols := []string{"b", "s", "f", "d", "tx", "by", "ts", "dt", "tm", "u", "dtm"}
	vals := [][]string{
		{"true", "-3", "1.5", "-2.25", "'abc'", "'\\x00ff'", "'2024-01-02 03:04:05.123456'", "'2024-01-02'", "'10:11:12.5'", "'0190c1a2-1111-7000-8000-0000000000ab'", "'2024-01-02 03:04:05+02'"},
		{"false", "7", "-0.5", "1e10", "'ab'", "'\\x00'", "'1999-12-31 23:59:59'", "'1999-12-31'", "'00:00:00'", "'0190c1a2-1111-7000-8000-0000000000aa'", "'1999-12-31 23:59:59'"},
		{"NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL"},
		{"true", "-3", "0", "-0", "''", "''", "'2024-01-02 03:04:05.123456'", "'2024-01-02'", "'23:59:59.999999'", "'ffffffff-1111-7000-8000-0000000000aa'", "'2030-01-01 00:00:00'"},
	}
	for i, v := range vals {
		for _, tb := range []string{"a", "b"} {
			root.must(fmt.Sprintf("INSERT INTO ns.%s VALUES (%d, %s)", tb, i+1, strings.Join(v, ", ")))
			root.must(fmt.Sprintf("INSERT INTO ns.%s VALUES (%d, %s)", tb, i+11, strings.Join(v, ", ")))
		}
	}
	for _, c := range cols {
		createIndex(t, e, fmt.Sprintf("CREATE INDEX a_%s ON ns.a (%s)", c, c))
	}
	flushTable(t, e, "ns.a")
	for i, c := range cols {
		v0, v1 := vals[0][i], vals[1][i]
		for _, q := range []func(tb string) string{
			func(tb string) string {
				return fmt.Sprintf("SELECT id FROM ns.%s WHERE %s = %s ORDER BY id", tb, c, v0)
			},
			func(tb string) string {
				return fmt.Sprintf("SELECT id FROM ns.%s WHERE %s > %s ORDER BY id", tb, c, v1)
			},
			func(tb string) string {
				return fmt.Sprintf("SELECT id FROM ns.%s WHERE %s <= %s ORDER BY id", tb, c, v0)
			},
			func(tb string) string { return fmt.Sprintf("SELECT id FROM ns.%s WHERE %s IS NULL ORDER BY id", tb, c) },
			func(tb string) string {
				return fmt.Sprintf("SELECT id, %s FROM ns.%s WHERE %s IS NOT NULL ORDER BY %s, id LIMIT 3", c, tb, c, c)
			},
			func(tb string) string {
				return fmt.Sprintf("SELECT id, %s FROM ns.%s WHERE %s = %s ORDER BY id DESC LIMIT 1", c, tb, c, v0)
			},
			func(tb string) string {
				return fmt.Sprintf("SELECT id FROM ns.%s WHERE %s IN (%s, %s) ORDER BY id", tb, c, v0, v1)
			},
		} {
			qa, qb := q("a"), q("b")
			ga, erra := root.exec(qa)
			gb, errb := root.exec(qb)
			if apierror.CodeOf(erra) != apierror.CodeOf(errb) {
				t.Fatalf("%s: %v / %v", qa, erra, errb)
			}
			if erra == nil && fmt.Sprint(ga[0].Rows) != fmt.Sprint(gb[0].Rows) {
				t.Fatalf("%s\n with index: %v\n without:    %v", qa, ga[0].Rows, gb[0].Rows)
			}
		}
		if !planUsesIndex(explain(root, fmt.Sprintf("SELECT id FROM ns.a WHERE %s = %s", c, v0)), "a_"+c, "a."+c+",a.id") {
			t.Errorf("index a_%s is not used", c)
		}
		if c == "s" || c == "tx" || c == "u" {
			// Wire values of these types convert back to stored ones.
			checkIndexExact(t, e, "ns", "a", "a_"+c, "root")
		}
	}
}

// TestFloatIndexKeepsPostgreSQLOrder: comparisons of a float column with a
// constant stay index lookups, and answer as PostgreSQL does with NaN,
// infinities and -0 in the column, the constant on either side.
func TestFloatIndexKeepsPostgreSQLOrder(t *testing.T) {
	e := newEnvWith(t, true)
	root := e.root()
	root.must(`CREATE NAMESPACE ns;
		CREATE TABLE ns.a (id INT PRIMARY KEY, d DOUBLE, f FLOAT);
		CREATE TABLE ns.b (id INT PRIMARY KEY, d DOUBLE, f FLOAT)`)
	vals := []string{"'NaN'", "'Infinity'", "'-Infinity'", "-0.0", "0", "1.5", "-2.5", "NULL", "'NaN'", "'1e300'"}
	for i, v := range vals {
		f := v
		switch v {
		case "'1e300'":
			f = "'3e38'"
		case "'Infinity'", "'-Infinity'":
			f = "NULL" // the engine's FLOAT conversion refuses infinities
		}
		for _, tb := range []string{"a", "b"} {
			root.must(fmt.Sprintf("INSERT INTO ns.%s VALUES (%d, %s, %s)", tb, i+1, v, f))
		}
	}
	createIndex(t, e, "CREATE INDEX a_d ON ns.a (d)")
	createIndex(t, e, "CREATE INDEX a_f ON ns.a (f)")
	want := map[string]string{
		"d = 0":                   "[[4],[5]]",
		"d = -0.0":                "[[4],[5]]",
		"d > 1.5":                 "[[1],[2],[9],[10]]",
		"1.5 < d":                 "[[1],[2],[9],[10]]",
		"d < 0":                   "[[3],[7]]",
		"0 > d":                   "[[3],[7]]",
		"d >= 'Infinity'":         "[[1],[2],[9]]",
		"d <= '-Infinity'":        "[[3]]",
		"d = 'NaN'":               "[[1],[9]]",
		"'NaN' > d":               "[[2],[3],[4],[5],[6],[7],[10]]",
		"d IN (1.5, -2.5, 7)":     "[[6],[7]]",
		"d IN (0, 'NaN')":         "[[1],[4],[5],[9]]",
		"d BETWEEN -3 AND 1.5":    "[[4],[5],[6],[7]]",
		"f = 1.5":                 "[[6]]",
		"f = 0.1":                 "[]",
		"f > 1":                   "[[1],[6],[9],[10]]",
		"f < 9223372036854775807": "[[4],[5],[6],[7]]",
		"d = 9007199254740993":    "[]",
		"d < 9007199254740993":    "[[3],[4],[5],[6],[7]]",
	}
	for cond, rows := range want {
		for _, tb := range []string{"a", "b"} {
			q := fmt.Sprintf("SELECT id FROM ns.%s WHERE %s ORDER BY id", tb, cond)
			if got := root.rows(q); got != rows {
				t.Errorf("%s: got %s, want %s", q, got, rows)
			}
		}
	}
	for _, tb := range []string{"a", "b"} {
		q := fmt.Sprintf("SELECT id FROM ns.%s WHERE d IS NOT NULL ORDER BY d DESC, id LIMIT 4", tb)
		if got := root.rows(q); got != "[[1],[9],[2],[10]]" {
			t.Errorf("%s: got %s", q, got)
		}
	}
	if p := explain(root, "SELECT id FROM ns.a WHERE d > 0 ORDER BY d LIMIT 2"); strings.Contains(p, "TopN") || strings.Contains(p, "Sort(") {
		t.Errorf("ORDER BY a float column sorts instead of reading its index in order:\n%s", p)
	}
	for _, c := range []string{"d = 1.5", "1.5 < d", "d IN (1.5, -2.5)", "f = 1.5"} {
		col := strings.Fields(strings.NewReplacer("1.5 < ", "").Replace(c))[0]
		if !planUsesIndex(explain(root, "SELECT id FROM ns.a WHERE "+c), "a_"+col, "a."+col+",a.id") {
			t.Errorf("%s: the index a_%s is not used", c, col)
		}
	}
}

// TestIndexWithoutPrimaryKey: on a table keyed by its hidden identity, an
// index names rows by that identity; updates and deletes through the index
// find their rows, hot and cold.
func TestIndexWithoutPrimaryKey(t *testing.T) {
	e := newEnv(t)
	e.root().must(`CREATE NAMESPACE ns; CREATE TABLE ns.log (conv BIGINT, v TEXT)`)
	a := e.as("alice", systable.RoleUser)
	for i := 0; i < 30; i++ {
		a.must(fmt.Sprintf("INSERT INTO ns.log VALUES (%d, 'v%d')", i%3, i))
	}
	createIndex(t, e, "CREATE INDEX log_conv ON ns.log (conv)")
	flushTable(t, e, "ns.log")
	a.must("UPDATE ns.log SET conv = 7 WHERE conv = 1 AND v < 'v2'")
	a.must("DELETE FROM ns.log WHERE conv = 2")
	a.must("INSERT INTO ns.log VALUES (7, 'new')")
	for c := 0; c < 8; c++ {
		got := a.rows(fmt.Sprintf("SELECT v FROM ns.log WHERE conv = %d ORDER BY v", c))
		want := a.rows(fmt.Sprintf("SELECT v FROM ns.log WHERE conv + 0 = %d ORDER BY v", c))
		if got != want {
			t.Fatalf("conv %d: %s, want %s", c, got, want)
		}
	}
	if got := a.rows("SELECT count(*) FROM ns.log WHERE conv = 7"); got != "[[6]]" {
		t.Fatalf("conv 7: %s", got)
	}
	visible := a.rows("SELECT count(*) FROM ns.log")
	if n := len(indexKeys(t, e, "ns", "log", "log_conv")); fmt.Sprintf("[[%d]]", n) != visible {
		t.Fatalf("%d entries for %s rows", n, visible)
	}
}

// TestIndexAndSchemaChanges: an index on a column added after rows were
// written indexes their DEFAULT, as reads give it; widening an indexed
// column keeps its entries; DROP NAMESPACE removes index families.
func TestIndexAndSchemaChanges(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE ns; CREATE TABLE ns.t (id BIGINT PRIMARY KEY, n INT)`)
	a := e.as("alice", systable.RoleUser)
	a.must("INSERT INTO ns.t VALUES (1, 10), (2, 20), (3, 30)")
	flushTable(t, e, "ns.t")
	a.must("INSERT INTO ns.t VALUES (4, 40)")
	root.must("ALTER TABLE ns.t ADD COLUMN grp INT DEFAULT 5")
	a.must("INSERT INTO ns.t (id, n, grp) VALUES (5, 50, 6)")
	createIndex(t, e, "CREATE INDEX t_grp ON ns.t (grp, n)")
	createIndex(t, e, "CREATE INDEX t_n ON ns.t (n)")
	if got := a.rows("SELECT id FROM ns.t WHERE grp = 5 ORDER BY n DESC LIMIT 10"); got != "[[4],[3],[2],[1]]" {
		t.Fatalf("rows written before the column: %s", got)
	}
	checkIndexExact(t, e, "ns", "t", "t_grp", "alice")
	root.must("ALTER TABLE ns.t MODIFY COLUMN n BIGINT")
	a.must("INSERT INTO ns.t (id, n) VALUES (6, 5000000000)")
	if got := a.rows("SELECT id FROM ns.t WHERE n >= 30 ORDER BY n"); got != "[[3],[4],[5],[6]]" {
		t.Fatalf("after widening: %s", got)
	}
	checkIndexExact(t, e, "ns", "t", "t_n", "alice")
	checkIndexExact(t, e, "ns", "t", "t_grp", "alice")
	root.must("DROP NAMESPACE ns CASCADE")
	if _, ok := e.kv.LookupColumnFamily(schema.IndexFamilyName("ns", "t")); ok {
		t.Fatal("DROP NAMESPACE left the index family")
	}
}

// TestIndexTopNStops: the newest n rows of a large conversation fetch n
// rows through the fast path, and at most a first batch through the
// planner, whose LIMIT stops the scan: neither reads the conversation.
func TestIndexTopNStops(t *testing.T) {
	for _, slow := range []bool{false, true} {
		e := newEnvWith(t, slow)
		e.root().must(`CREATE NAMESPACE ns; CREATE TABLE ns.m (id BIGINT PRIMARY KEY, conv BIGINT, body TEXT)`)
		a := e.as("alice", systable.RoleUser)
		var sb strings.Builder
		for i := 1; i <= 2000; i++ {
			if sb.Len() > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "(%d, %d, 'b')", i, i%2)
		}
		a.must("INSERT INTO ns.m VALUES " + sb.String())
		createIndex(t, e, "CREATE INDEX m_conv ON ns.m (conv, id)")
		before := e.db.Engine.IndexRowsFetched()
		if got := a.rows("SELECT id FROM ns.m WHERE conv = $1 ORDER BY id DESC LIMIT 3", 1); got != "[[1999],[1997],[1995]]" {
			t.Fatalf("slow=%v: %s", slow, got)
		}
		fetched := e.db.Engine.IndexRowsFetched() - before
		if want := map[bool]int64{false: 3, true: 8}[slow]; fetched != want {
			t.Fatalf("slow=%v: %d rows fetched for LIMIT 3, want %d", slow, fetched, want)
		}
	}
}
