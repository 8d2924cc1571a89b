package executor_test

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// explain returns the physical plan of an EXPLAIN, checking the shape of
// the answer: DataFusion's columns plan_type and plan, a logical and a
// physical plan.
func (c *caller) explain(sqlText string, params ...any) string {
	c.e.t.Helper()
	res := c.must("EXPLAIN "+sqlText, params...)[0]
	if len(res.Schema) != 2 || res.Schema[0].Name != "plan_type" || res.Schema[1].Name != "plan" ||
		res.Schema[0].DataType != "Text" || res.Schema[1].DataType != "Text" || len(res.Rows) != 2 ||
		res.Rows[0][0] != "logical_plan" || res.Rows[1][0] != "physical_plan" {
		c.e.t.Fatalf("EXPLAIN %s: %+v", sqlText, res)
	}
	return res.Rows[1][1].(string)
}

func wantPlan(t *testing.T, plan string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(plan, l) {
			t.Fatalf("plan lacks %q:\n%s", l, plan)
		}
	}
}

// EXPLAIN shows what a query reads: the partition, the index and its
// ranges, the hot tier and the cold files in range.
func TestExplainShowsTiersRangesAndShape(t *testing.T) {
	e := viewsEnv(t)
	alice, bob := e.user("alice"), e.user("bob")
	wantPlan(t, alice.explain(`SELECT body FROM app.msgs WHERE id = 2`),
		"IndexScan: app.msgs (USER table, partition of alice)", "index: PRIMARY (id)", "ranges: [{[2, 2]}]",
		"access: point lookup of 1 key", "hot: RocksDB user_table:app:msgs, the keys in range", "cold: no Parquet files")
	flushTable(t, e, "app.msgs")
	wantPlan(t, alice.explain(`SELECT body FROM app.msgs WHERE id = $1`, 2),
		"ranges: [{[2, 2]}]", "cold: 1 Parquet file, 3 row versions, 1 with keys in range (read only for keys with no hot version)")
	wantPlan(t, alice.explain(`SELECT body FROM app.msgs WHERE id = 100`), "cold: 1 Parquet file, 3 row versions, 0 with keys in range")
	wantPlan(t, bob.explain(`SELECT body FROM app.msgs WHERE id > 1 ORDER BY id DESC LIMIT 1`),
		"Limit(1)", "IndexScan: app.msgs (USER table, partition of bob)", "access: 1 key range, read in reverse key order",
		"cold: 1 Parquet file, 2 row versions, 1 with keys in range")
	wantPlan(t, bob.explain(`SELECT owner, count(*) FROM app.msgs WHERE body LIKE 'b%' GROUP BY owner ORDER BY 2`),
		"Sort(", "GroupBy", "TableScan: app.msgs (USER table, partition of bob)", "hot: RocksDB user_table:app:msgs, the partition's keys",
		"cold: 1 Parquet file, 2 row versions")
	wantPlan(t, e.user("svc").must(`EXECUTE AS USER 'alice' (EXPLAIN SELECT * FROM app.msgs m JOIN app.config c ON c.key = m.body)`)[0].Rows[1][1].(string),
		"LookupJoin", "TableScan: app.msgs (USER table, partition of alice)", "IndexScan: app.config (SHARED table, ACCESS_LEVEL PUBLIC)",
		"lookup: one per row of the other side, by [m.body]", "hot: RocksDB shared_table:app:config, the keys looked up")
	wantPlan(t, alice.explain(`SELECT * FROM app.config`), "TableScan: app.config (SHARED table, ACCESS_LEVEL PUBLIC)", "hot: RocksDB shared_table:app:config, every key")
	e.root().must(`CREATE STREAM TABLE app.typing (who TEXT) WITH (TTL_SECONDS = 30)`)
	wantPlan(t, alice.explain(`SELECT who FROM app.typing`), "STREAM table, partition of alice", "events of the last 30 s",
		"cold: none (STREAM tables stay in the hot tier)")
	// Views are expanded in the plan, in the reader's partition.
	e.root().must(`CREATE VIEW app.recent AS SELECT id, body FROM app.msgs WHERE id < 10`)
	wantPlan(t, bob.explain(`SELECT body FROM app.recent WHERE id = 3`), "SubqueryAlias(recent)",
		"IndexScan: app.msgs (USER table, partition of bob)", "access: point lookup of 1 key")
}

// EXPLAIN plans as the caller, with the caller's permissions, and runs
// nothing.
func TestExplainChecksPermissionsAndRunsNothing(t *testing.T) {
	e := viewsEnv(t)
	alice := e.user("alice")
	alice.fails(apierror.SQLExecutionError, `SELECT 1 / (id - id) FROM app.msgs`)
	wantPlan(t, alice.explain(`SELECT 1 / (id - id) FROM app.msgs`), "TableScan: app.msgs")
	for _, q := range []string{`EXPLAIN SELECT * FROM app.secrets`, `EXPLAIN SELECT * FROM system.users u JOIN system.jobs j ON true`,
		`EXPLAIN SELECT key FROM app.config WHERE key IN (SELECT key FROM app.secrets)`} {
		alice.fails(apierror.PermissionDenied, q)
	}
	alice.fails(apierror.TableNotFound, `EXPLAIN SELECT * FROM app.nowhere`)
	if ae := alice.fails(apierror.TableNotFound, `EXPLAIN SELECT * FROM msgs`); !strings.Contains(ae.Message, "no namespace is selected") {
		t.Fatalf("EXPLAIN of an unqualified table without a namespace: %s", ae.Message)
	}
	alice.fails(apierror.Unsupported, `EXPLAIN ANALYZE SELECT * FROM app.msgs`)
	alice.fails(apierror.Unsupported, `EXPLAIN DELETE FROM app.msgs`)
	alice.fails(apierror.Unsupported, `EXPLAIN (FORMAT JSON) SELECT 1`)
	// Inside a transaction EXPLAIN neither commits nor ends it.
	alice.must(`BEGIN; INSERT INTO app.msgs VALUES (40, 'pending', 'alice'); EXPLAIN SELECT * FROM app.msgs; ROLLBACK`)
	if got := alice.rows(`SELECT count(*) FROM app.msgs WHERE id = 40`); got != `[[0]]` {
		t.Fatalf("EXPLAIN committed a transaction: %s", got)
	}
	if got := alice.rows(`SELECT count(*) FROM app.msgs`); got != `[[3]]` {
		t.Fatalf("alice's rows: %s", got)
	}
}
