package executor_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// Attacks on the keyset top-N (sortByIndex over several ranges sharing
// their leading columns, preferOrderIndex): every query runs on a table
// with indexes and on one holding the same rows without (a scan and a
// sort), and must answer the same, hot, cold and in both tiers.

// attackTables creates ns.x (indexed) and ns.r (no index) with the same
// rows for two users, and returns the callers.
func attackTables(t *testing.T, e *env, kind string) []*caller {
	t.Helper()
	e.root().must("CREATE NAMESPACE ns")
	for _, tbl := range []string{"ns.x", "ns.r"} {
		e.root().must("CREATE " + kind + " TABLE " + tbl + ` (id BIGINT PRIMARY KEY, a BIGINT, b INT, c TEXT, d DOUBLE, ts TIMESTAMP, body TEXT)`)
	}
	for _, ix := range []string{
		"CREATE INDEX x_abc ON ns.x (a, b, c)",
		"CREATE INDEX x_ad ON ns.x (a, d)",
		"CREATE INDEX x_ats ON ns.x (a, ts)",
		"CREATE INDEX x_ac ON ns.x (a, c)",
		"CREATE INDEX x_cb ON ns.x (c, b)",
	} {
		createIndex(t, e, ix)
	}
	for _, v := range []string{"x", "r"} {
		e.root().must(fmt.Sprintf(`CREATE VIEW ns.v%s AS SELECT id, a, b, c FROM ns.%s WHERE a = 1;
			CREATE VIEW ns.w%s AS SELECT id, b, c FROM ns.%s WHERE a = 1 AND b IN (2, 5) ORDER BY b DESC, c DESC, id DESC LIMIT 6`, v, v, v, v))
	}
	var users []*caller
	if kind == "SHARED" {
		users = []*caller{e.as("svc", systable.RoleService)}
	} else {
		users = []*caller{e.as("alice", systable.RoleUser), e.as("bob", systable.RoleUser)}
	}
	long := strings.Repeat("z", 3000)
	as := []string{"1", "2", "NULL"}
	bs := []string{"NULL", "1", "2", "3", "5", "6"}
	cs := []string{"NULL", "''", "'a'", "'ab'", "'b'", "'" + long + "a'", "'" + long + "b'", "'" + long + "'"}
	ds := []string{"'NaN'", "-0.0", "0", "1.5", "'-Infinity'", "'Infinity'", "NULL", "-2.5"}
	tss := []string{"NULL", "TIMESTAMP '2024-01-01 00:00:00'", "TIMESTAMP '2024-01-01 00:00:01'", "TIMESTAMP '2024-01-01 00:00:00.5'"}
	for ui, u := range users {
		var rows []string
		id := 1
		// A deterministic spread of every combination's neighbourhood.
		for i := 0; i < 240; i++ {
			k := i*7 + ui*3
			rows = append(rows, fmt.Sprintf("(%d, %s, %s, %s, %s, %s, 'u%d')", id, as[k%len(as)], bs[(k/3)%len(bs)],
				cs[(k/5+i)%len(cs)], ds[(k/2+i/3)%len(ds)], tss[(k/11+i)%len(tss)], ui))
			id += 1 + (i % 3)
		}
		for _, tbl := range []string{"ns.x", "ns.r"} {
			u.must("INSERT INTO " + tbl + " VALUES " + strings.Join(rows, ", "))
		}
	}
	return users
}

// pairTables creates ns.x, with the indexes given, and ns.r (none) with
// the same columns, and returns alice.
func pairTables(t *testing.T, e *env, cols string, indexes ...string) *caller {
	t.Helper()
	e.root().must("CREATE NAMESPACE ns")
	for _, tb := range []string{"ns.x", "ns.r"} {
		e.root().must("CREATE TABLE " + tb + " (" + cols + ")")
	}
	for _, ix := range indexes {
		createIndex(t, e, ix)
	}
	return e.as("alice", systable.RoleUser)
}

// attackQueries are the shapes sortByIndex now serves over several ranges,
// and their neighbours; $T is the table.
var attackQueries = []struct {
	q      string
	params []any
}{
	{"SELECT id, b, c FROM $T WHERE a = 1 AND (b = 2 OR b = 5) ORDER BY b, c, id LIMIT 7", nil},
	{"SELECT id, b, c FROM $T WHERE a = 1 AND (b = 2 OR b = 5) ORDER BY b DESC, c DESC, id DESC LIMIT 7", nil},
	{"SELECT id, b, c FROM $T WHERE a = 1 AND b IN (5, 2, 3) ORDER BY b DESC, c DESC, id DESC LIMIT 11", nil},
	{"SELECT id, b, c FROM $T WHERE a = 1 AND b IN (5, 2, 3) ORDER BY b, c, id LIMIT 11 OFFSET 4", nil},
	{"SELECT id, b, c FROM $T WHERE a = 1 AND (b < 2 OR b > 4) ORDER BY b, c, id LIMIT 9", nil},
	{"SELECT id, b, c FROM $T WHERE a = 1 AND (b IS NULL OR b > 4) ORDER BY b DESC, c DESC, id DESC LIMIT 15", nil},
	{"SELECT id, b, c FROM $T WHERE a = 1 AND (b IS NULL OR b > 4) ORDER BY b, c, id LIMIT 40", nil},
	{"SELECT id, b, c FROM $T WHERE a = 1 AND (b IS NULL OR b > 4) ORDER BY b NULLS FIRST, c, id LIMIT 15", nil},
	{"SELECT id, b, c FROM $T WHERE a = 1 AND (b IS NULL OR b > 4) ORDER BY b DESC NULLS LAST, c DESC, id DESC LIMIT 15", nil},
	{"SELECT id, b, c FROM $T WHERE a = 1 AND (b IS NULL OR b = 2) ORDER BY b DESC, c DESC NULLS LAST, id DESC LIMIT 15", nil},
	{"SELECT id, b, c FROM $T WHERE (a = 1 AND b = 2) OR (a = 1 AND b = 5 AND c > 'a') ORDER BY b, c, id LIMIT 10", nil},
	{"SELECT id, b, c FROM $T WHERE (a = 1 AND b = 2 AND c < 'b') OR (a = 1 AND b = 2 AND c > 'a') ORDER BY b, c, id LIMIT 30", nil},
	{"SELECT id, b, c FROM $T WHERE a = 1 AND (b, c) > (2, 'a') ORDER BY b, c, id LIMIT 10", nil},
	{"SELECT id, b, c FROM $T WHERE a = 1 AND (b, c, id) <= (5, 'b', 300) ORDER BY b DESC, c DESC, id DESC LIMIT 10", nil},
	{"SELECT id, b, c FROM $T WHERE a = 1 AND b = 3 AND c IN ('a', 'ab', '', 'zzz') ORDER BY c DESC, id DESC LIMIT 10", nil},
	{"SELECT id, b, c FROM $T WHERE a IS NULL AND (b = 1 OR b = 6) ORDER BY b DESC, c DESC, id DESC LIMIT 10", nil},
	{"SELECT id, b, c FROM $T WHERE a IS NULL AND (b IS NULL OR b = 6) ORDER BY b DESC, c DESC, id DESC LIMIT 10", nil},
	{"SELECT id, ts FROM $T WHERE a IS NULL AND (ts, id) < (TIMESTAMP '2024-01-01 00:00:01', 200) ORDER BY ts DESC, id DESC LIMIT 10", nil},
	{"SELECT id, ts FROM $T WHERE a = $1 AND (ts, id) < ($2, $3) ORDER BY ts DESC, id DESC LIMIT 10", []any{int64(1), "2024-01-01 00:00:00.5", int64(100)}},
	{"SELECT id, ts FROM $T WHERE a = $1 AND (ts, id) > ($2, $3) ORDER BY ts, id LIMIT 10", []any{int64(2), "2024-01-01 00:00:00", int64(100)}},
	{"SELECT id, ts FROM $T WHERE a = $1 AND (ts, id) < ($2, $3) ORDER BY ts DESC, id DESC LIMIT 10", []any{int64(1), nil, int64(100)}},
	{"SELECT id, ts FROM $T WHERE a = $1 AND (ts, id) < ($2, $3) ORDER BY ts DESC, id DESC LIMIT 10", []any{int64(1), "2024-01-01 00:00:00.5", nil}},
	{"SELECT id, ts FROM $T WHERE a = $1 AND (ts, id) < ($2, $3) ORDER BY ts DESC, id DESC LIMIT 10", []any{int64(1), "2024-01-01 00:00:00.5", 100.5}},
	{"SELECT id, ts FROM $T WHERE a = $1 AND (ts, id) < ($2, $3) ORDER BY ts DESC, id DESC LIMIT 10", []any{int64(1), "2024-01-01 00:00:00.5", "100"}},
	{"SELECT id, ts FROM $T WHERE a = $1 AND (ts, id) < ($2, $3) ORDER BY ts DESC, id DESC LIMIT 10", []any{1.5, "2024-01-01 00:00:00.5", int64(100)}},
	{"SELECT id, ts FROM $T WHERE a = $1 AND (ts, id) >= ($2, $3) ORDER BY ts, id LIMIT 10", []any{int64(1), "2024-01-01 00:00:00.25", int64(100)}},
	{"SELECT id, ts FROM $T WHERE a = $1 AND (ts, id) < ($2, $3) ORDER BY ts DESC, id DESC LIMIT 10", []any{int64(1), "garbage", int64(100)}},
	{"SELECT id, ts FROM $T WHERE a = $1 AND (ts, id) < ($2, $3) ORDER BY ts DESC, id DESC LIMIT 10", []any{int64(1), int64(5), int64(100)}},
	{"SELECT id, ts FROM $T WHERE a = $1 AND (ts, id) < ($2, $3) ORDER BY ts DESC, id DESC LIMIT 10", []any{int64(1), "10000-01-01 00:00:00", int64(100)}},
	{"SELECT id, ts FROM $T WHERE a = $1 AND (ts, id) > ($2, $3) ORDER BY ts, id LIMIT 10", []any{int64(1), "0001-01-01 00:00:00", int64(-100)}},
	{"SELECT id, ts FROM $T WHERE a = $1 AND (ts, id) < ($2, $3) ORDER BY ts DESC, id DESC LIMIT 10", []any{int64(1), "2024-01-01 00:00:00.5", "1e400"}},
	{"SELECT id, ts FROM $T WHERE a = $1 AND (ts, id) < ($2, $3) ORDER BY ts DESC, id DESC LIMIT 10", []any{int64(1), "2024-01-01 00:00:00.5", 9.3e18}},
	{"SELECT id, b FROM $T WHERE a = 1 AND (b, id) < ($1, $2) ORDER BY b DESC, id DESC LIMIT 10", []any{int64(1) << 40, int64(100)}},
	{"SELECT id, b FROM $T WHERE a = 1 AND (b, id) > ($1, $2) ORDER BY b, id LIMIT 10", []any{-(int64(1) << 40), int64(100)}},
	{"SELECT id, b FROM $T WHERE a = 1 AND (b, id) < ($1, $2) ORDER BY b DESC, id DESC LIMIT 10", []any{2.5, int64(100)}},
	{"SELECT id, ts FROM $T WHERE a = 1 AND (ts, id) < (TIMESTAMP '2024-01-01 00:00:01', 300) ORDER BY ts DESC, id DESC LIMIT 0", nil},
	{"SELECT id, d FROM $T WHERE a = 1 AND (d = 'NaN' OR d < 0) ORDER BY d DESC, id DESC LIMIT 20", nil},
	{"SELECT id, d FROM $T WHERE a = 1 AND (d = 'NaN' OR d < 0) ORDER BY d, id LIMIT 20", nil},
	{"SELECT id, d FROM $T WHERE a = 1 AND (d = 0 OR d > 1) ORDER BY d, id LIMIT 20", nil},
	{"SELECT id, d FROM $T WHERE a = 1 AND d IN (-0.0, 'Infinity', 'NaN', '-Infinity') ORDER BY d DESC, id DESC LIMIT 20", nil},
	{"SELECT id, d FROM $T WHERE a = 1 AND (d, id) < (0, 200) ORDER BY d DESC, id DESC LIMIT 20", nil},
	{"SELECT id, d FROM $T WHERE a = 1 AND (d, id) > ('-0', 100) ORDER BY d, id LIMIT 20", nil},
	{"SELECT id, d FROM $T WHERE a = 1 AND (d, id) > (1.5, 100) ORDER BY d, id LIMIT 20", nil},
	{"SELECT id, d FROM $T WHERE a = 1 AND (d IS NULL OR d = 'NaN') ORDER BY d DESC, id DESC LIMIT 20", nil},
	{"SELECT id, c FROM $T WHERE a = 2 AND (c < 'ab' OR c > 'zzz') ORDER BY c, id LIMIT 20", nil},
	{"SELECT id, c FROM $T WHERE a = 2 AND (c, id) < ($1, $2) ORDER BY c DESC, id DESC LIMIT 20", []any{strings.Repeat("z", 3000) + "a", int64(400)}},
	{"SELECT id, c FROM $T WHERE a = 2 AND (c, id) > ($1, $2) ORDER BY c, id LIMIT 20", []any{strings.Repeat("z", 3000), int64(100)}},
	{"SELECT id, c FROM $T WHERE a = 2 AND c IN ($1, $2, 'a') ORDER BY c DESC, id DESC LIMIT 20", []any{strings.Repeat("z", 3000), strings.Repeat("z", 3000) + "b"}},
	{"SELECT id, c FROM $T WHERE a = 2 AND (c LIKE 'a%' OR c LIKE 'zz%') ORDER BY c DESC, id DESC LIMIT 20", nil},
	{"SELECT id, b FROM $T WHERE c = 'ab' AND (b = 1 OR b = 6 OR b IS NULL) ORDER BY b DESC, id DESC LIMIT 20", nil},
	{"SELECT id, b FROM $T WHERE c IS NULL AND (b, id) < (5, 300) ORDER BY b DESC, id DESC LIMIT 20", nil},
	{"SELECT id, b FROM $T WHERE c = '' AND b IN (1, 2) AND id > 50 ORDER BY b, id LIMIT 20", nil},
	// Leading columns the same only after the engine converts them.
	{"SELECT id, b, c FROM $T WHERE (a = 1 AND b = 2) OR (a = 1.0 AND b = 5) ORDER BY b, c, id LIMIT 30", nil},
	{"SELECT id, b, c FROM $T WHERE (a = 1 AND b = 2) OR (a = 1.5 AND b = 5) ORDER BY b, c, id LIMIT 30", nil},
	{"SELECT id, b, c FROM $T WHERE (a = 1 AND b = 2) OR (a = '1' AND b = 5) ORDER BY b, c, id LIMIT 30", nil},
	{"SELECT id, b, c FROM $T WHERE a = 1 AND (b = 2 OR b = 2.5 OR b = 5) ORDER BY b, c, id LIMIT 30", nil},
	// Sort keys that are not plain columns, aliases.
	{"SELECT id, b, c FROM $T WHERE a = 1 AND (b = 2 OR b = 5) ORDER BY -b, c, id LIMIT 7", nil},
	{"SELECT id, c AS b, b AS c FROM $T WHERE a = 1 AND (b = 2 OR b = 5) ORDER BY b, c, id LIMIT 7", nil},
	{"SELECT id AS b, b AS id, c FROM $T WHERE a = 1 AND (b = 2 OR b = 5) ORDER BY b DESC LIMIT 7", nil},
	{"SELECT id, b, c FROM $T t WHERE t.a = 1 AND (t.b = 2 OR t.b = 5) ORDER BY t.b, t.c, t.id LIMIT 7", nil},
	{"SELECT id, b, c FROM $T WHERE a = 1 AND (b = 2 OR b = 5) ORDER BY a, b, a, c, id LIMIT 7", nil},
	{"SELECT id, b, c FROM $T WHERE a = 1 AND (b = 2 OR b = 5) ORDER BY b, c DESC, id LIMIT 7", nil},
	{"SELECT id, b, c FROM $T WHERE a = 1 AND (b = 2 OR b = 5) ORDER BY 2, 3, 1 LIMIT 7", nil},
	{"SELECT * FROM (SELECT id, c AS b, b AS c FROM $T WHERE a = 1 AND b IN (2, 5)) s ORDER BY s.b, s.c, s.id LIMIT 7", nil},
	{"SELECT * FROM (SELECT id, c AS b, b AS c FROM $T WHERE a = 1) s ORDER BY b DESC, c DESC, id DESC LIMIT 7", nil},
	{"WITH s AS (SELECT id, c AS b, b AS c FROM $T WHERE a = 1) SELECT * FROM s WHERE c IN (2, 5) ORDER BY b, c, id LIMIT 7", nil},
	{"SELECT id, b FROM (SELECT id, 0 - b AS b FROM $T WHERE a = 1) s ORDER BY b, id LIMIT 7", nil},
	{"SELECT id, c AS b FROM $T t WHERE t.a = 1 AND t.b IN (2, 5) ORDER BY b, id LIMIT 7", nil},
	{"SELECT t.id, t.c AS b, t.b AS c FROM $T t WHERE t.a = 1 ORDER BY t.b, t.c, t.id LIMIT 7", nil},
	// Around the top-N.
	{"WITH w AS (SELECT id, b, c FROM $T WHERE a = 1 AND b IN (2, 5) ORDER BY b DESC, c DESC, id DESC LIMIT 6) SELECT p.id, q.id FROM w p JOIN w q ON q.b = p.b AND q.id < p.id ORDER BY p.id, q.id", nil},
	{"SELECT p.id, q.id FROM (SELECT id, b FROM $T WHERE a = 1 AND b IN (2, 5) ORDER BY b, c, id LIMIT 5) p, (SELECT id, b FROM $T WHERE a = 2 AND b IN (1, 6) ORDER BY b DESC, c DESC, id DESC LIMIT 5) q WHERE p.id < q.id ORDER BY p.id, q.id", nil},
	{"SELECT * FROM (SELECT id, b, c FROM $T WHERE a = 1 AND b IN (2, 5) ORDER BY b DESC, c DESC, id DESC LIMIT 5) s ORDER BY id", nil},
	{"WITH w AS (SELECT id, b, c FROM $T WHERE a = 1 AND b IN (2, 5) ORDER BY b, c, id LIMIT 5) SELECT id FROM w ORDER BY id DESC", nil},
	{"(SELECT id FROM $T WHERE a = 1 AND b IN (2, 5) ORDER BY b, c, id LIMIT 3) UNION ALL (SELECT id FROM $T WHERE a = 2 AND b IN (1, 6) ORDER BY b DESC, c DESC, id DESC LIMIT 3)", nil},
	{"SELECT x.id, y.id FROM $T x JOIN $T y ON y.id = x.id + 1 WHERE x.a = 1 AND x.b IN (2, 5) ORDER BY x.b, x.c, x.id LIMIT 5", nil},
	{"SELECT id, (SELECT max(y.id) FROM $T y WHERE y.a = 1 AND y.b = 2) AS m FROM $T WHERE a = 1 AND b IN (2, 5) ORDER BY b, c, id LIMIT 5", nil},
	{"SELECT DISTINCT b, c FROM $T WHERE a = 1 AND b IN (2, 5) ORDER BY b, c LIMIT 5", nil},
	{"SELECT b, count(*) FROM $T WHERE a = 1 AND b IN (2, 5) GROUP BY b ORDER BY b LIMIT 5", nil},
	{"SELECT id, row_number() OVER (ORDER BY id) FROM $T WHERE a = 1 AND b IN (2, 5) ORDER BY b, c, id LIMIT 5", nil},
	{"SELECT id, b, c FROM $V WHERE b IN (2, 5) ORDER BY b, c, id LIMIT 7", nil},
	{"SELECT id, b, c FROM $V WHERE (b, c) < (5, 'b') ORDER BY b DESC, c DESC, id DESC LIMIT 7", nil},
	{"SELECT id, b, c FROM $W ORDER BY id LIMIT 4", nil},
	{"SELECT id, b, c FROM $W WHERE c IS NOT NULL ORDER BY c, id LIMIT 4", nil},
	{"SELECT v.id, w.id FROM $V v JOIN $W w ON w.id = v.id WHERE v.b = 5 ORDER BY v.c DESC, v.id LIMIT 4", nil},
	{"SELECT o.id, (SELECT x.id FROM $T x WHERE x.a = 1 AND x.b = o.b ORDER BY x.c DESC, x.id DESC LIMIT 1) AS top FROM $T o WHERE o.a = 2 ORDER BY o.id LIMIT 12", nil},
	{"SELECT o.id, (SELECT x.id FROM $T x WHERE x.a = o.a AND x.b IN (2, 5) AND (x.c, x.id) < (o.c, o.id) ORDER BY x.b DESC, x.c DESC, x.id DESC LIMIT 1) AS top FROM $T o WHERE o.b = 6 ORDER BY o.id LIMIT 12", nil},
	{"SELECT o.id FROM $T o WHERE EXISTS (SELECT 1 FROM $T x WHERE x.a = 1 AND x.b = o.b AND x.c > o.c ORDER BY x.c LIMIT 1) ORDER BY o.id LIMIT 12", nil},
	{"SELECT id, b, c FROM $T WHERE a = 1 AND (b = 2 OR b = 5) AND id BETWEEN 30 AND 400 ORDER BY b, c, id LIMIT 7", nil},
	{"SELECT id, b, c FROM $T WHERE a = 1 AND (b = 2 OR b = 5) AND id IN (3, 40, 77, 300, 301, 302) ORDER BY b, c, id LIMIT 7", nil},
}

// shortZ shortens the long text values of attackTables in an answer.
func shortZ(s string) string { return strings.ReplaceAll(s, strings.Repeat("z", 3000), "Z…") }

func TestIndexKeysetAttackMatchesSort(t *testing.T) {
	slowParallel(t)
	for _, kind := range []string{"USER", "SHARED", "USER-fast"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel() // each kind has its own environment
			// USER-fast: with the fast path and the plan cache.
			e := newEnvWith(t, kind != "USER-fast")
			kind, _, _ = strings.Cut(kind, "-")
			users := attackTables(t, e, kind)
			check := func(phase string) {
				for _, u := range users {
					for _, q := range attackQueries {
						want := shortZ(describeAll(u.exec(strings.NewReplacer("$T", "ns.r", "$V", "ns.vr", "$W", "ns.wr").Replace(q.q), q.params...)))
						got := shortZ(describeAll(u.exec(strings.NewReplacer("$T", "ns.x", "$V", "ns.vx", "$W", "ns.wx").Replace(q.q), q.params...)))
						if got != want {
							t.Errorf("%s as %s: %s %v\n indexed: %s\n sorted:  %s", phase, u.user, q.q, q.params, got, want)
						}
					}
				}
			}
			check("hot")
			flushTable(t, e, "ns.x")
			flushTable(t, e, "ns.r")
			check("cold")
			for _, u := range users {
				for _, tbl := range []string{"ns.x", "ns.r"} {
					u.must("UPDATE " + tbl + " SET b = 5, c = 'ab' WHERE id % 7 = 1")
					u.must("UPDATE " + tbl + " SET b = NULL WHERE id % 11 = 2")
					u.must("DELETE FROM " + tbl + " WHERE id % 13 = 3")
					u.must("UPDATE " + tbl + " SET a = NULL, ts = NULL WHERE id % 17 = 4")
				}
			}
			check("hot and cold")
		})
	}
}

// TestIndexSortThroughAliases: an ORDER BY naming an output column whose
// alias is a table column's name (SELECT c AS b, b AS c ... ORDER BY b)
// orders by the output column, as in PostgreSQL, and not by the table
// column the index holds: one conversation (one range) and two values of
// b (two ranges sharing a).
func TestIndexSortThroughAliases(t *testing.T) {
	e := newEnvWith(t, true)
	u := pairTables(t, e, "id BIGINT PRIMARY KEY, a BIGINT, b INT, c TEXT", "CREATE INDEX x_abc ON ns.x (a, b, c)")
	for _, tc := range []struct{ q, want string }{
		{"SELECT id, c AS b, b AS c FROM $T WHERE a = 1 ORDER BY b, c, id LIMIT 7", `[[2,"a",2],[4,"a",5],[3,"m",3],[6,"q",0],[1,"z",1]]`},
		{"SELECT id, c AS b, b AS c FROM $T WHERE a = 1 AND (b = 2 OR b = 5) ORDER BY b, c, id LIMIT 7", `[[2,"a",2],[4,"a",5]]`},
		{"SELECT id, c AS b, b AS c FROM $T WHERE a = 1 AND (b = 1 OR b = 3) ORDER BY b DESC, c DESC LIMIT 7", `[[1,"z",1],[3,"m",3]]`},
		{"SELECT id AS b, b AS id FROM $T WHERE a = 1 AND (b = 2 OR b = 3) ORDER BY b DESC LIMIT 1", `[[3,3]]`},
		{"SELECT id AS b, b AS id FROM $T WHERE a = 1 AND b IN (0, 5) ORDER BY b DESC LIMIT 1", `[[6,0]]`},
		{"SELECT id AS b, b AS id FROM $T WHERE a = 1 ORDER BY b DESC LIMIT 1", `[[6,0]]`},
	} {
		for _, tb := range []string{"ns.x", "ns.r"} {
			u.must("DELETE FROM " + tb)
			u.must("INSERT INTO " + tb + " VALUES (1, 1, 1, 'z'), (2, 1, 2, 'a'), (3, 1, 3, 'm'), (4, 1, 5, 'a'), (5, 2, 2, 'b'), (6, 1, 0, 'q')")
			q := strings.ReplaceAll(tc.q, "$T", tb)
			if got := u.rows(q); got != tc.want {
				t.Errorf("%s: %s, want %s\n%s", q, got, tc.want, explain(u, q))
			}
		}
	}
}

// TestSemiJoinOverTopNSubquery: id IN (a top-N subquery ordered by
// another column) keeps every row of the subquery, as in PostgreSQL.
// Pre-existing on main, with no secondary index: the engine plans a merge
// join on id whose right side is the subquery's Limit(Sort(c DESC)) over
// a primary-key scan, and go-mysql-server's merge-join candidate search
// (dfsLookupCandidates) looks through the limit and the sort to the scan
// in id order, so the join walks rows that are not in id order and drops
// matches.
func TestSemiJoinOverTopNSubquery(t *testing.T) {
	e := newEnvWith(t, true)
	e.root().must("CREATE NAMESPACE ns; CREATE TABLE ns.r (id BIGINT PRIMARY KEY, a BIGINT, c TEXT)")
	u := e.as("alice", systable.RoleUser)
	u.must("INSERT INTO ns.r VALUES (1, 1, 'm'), (2, 1, 'z'), (3, 1, 'a'), (4, 1, 'y')")
	for _, tc := range []struct{ q, want string }{
		{"SELECT id FROM ns.r WHERE a = 1 ORDER BY c DESC LIMIT 3", "[[2],[4],[1]]"},
		{"SELECT id FROM ns.r WHERE id IN (SELECT id FROM ns.r WHERE a = 1 ORDER BY c DESC LIMIT 3) ORDER BY id", "[[1],[2],[4]]"},
		{"SELECT id FROM ns.r WHERE id IN (SELECT id FROM ns.r ORDER BY c DESC LIMIT 3) ORDER BY id", "[[1],[2],[4]]"},
	} {
		if got := u.rows(tc.q); got != tc.want {
			t.Errorf("%s: %s, want %s\n%s", tc.q, got, tc.want, explain(u, tc.q))
		}
	}
}

// TestIndexKeysetAttackTxAndDDL: a keyset page inside a transaction that
// wrote the table sees its writes (no index then); after DROP INDEX and
// CREATE INDEX of another order, with the plan cache on, the same page is
// read right.
func TestIndexKeysetAttackTxAndDDL(t *testing.T) {
	e := newEnv(t)
	e.root().must(`CREATE NAMESPACE ns;
		CREATE TABLE ns.m (id BIGINT PRIMARY KEY, conv BIGINT, created_at INT, body TEXT);
		CREATE TABLE ns.other (id BIGINT PRIMARY KEY)`)
	a := e.as("alice", systable.RoleUser)
	b := e.as("bob", systable.RoleUser)
	var vals []string
	for i := 1; i <= 40; i++ {
		vals = append(vals, fmt.Sprintf("(%d, %d, %d, 'x')", i, i%2, i/4))
	}
	a.must("INSERT INTO ns.m VALUES " + strings.Join(vals, ", "))
	b.must("INSERT INTO ns.m VALUES (1000, 1, 5, 'bob'), (1001, 1, 4, 'bob')")
	createIndex(t, e, "CREATE INDEX m_conv_created ON ns.m (conv, created_at)")
	q := "SELECT id FROM ns.m WHERE conv = $1 AND (created_at, id) < ($2, $3) ORDER BY created_at DESC, id DESC LIMIT 4"
	page := func(c *caller) string { return c.rows(q, int64(1), int64(5), int64(21)) }
	// conv 1 (odd ids) with created_at = i/4: (5, 21) is the cursor.
	const want = "[[19],[17],[15],[13]]"
	if got := page(a); got != want {
		t.Fatalf("indexed: %s, want %s", got, want)
	}
	if got := page(b); got != "[[1001]]" {
		t.Fatalf("bob: %s", got)
	}
	res := a.must(`BEGIN; INSERT INTO ns.m VALUES (41, 1, 4, 'tx'); UPDATE ns.m SET created_at = 1 WHERE id = 17;
		SELECT id FROM ns.m WHERE conv = 1 AND (created_at, id) < (5, 21) ORDER BY created_at DESC, id DESC LIMIT 4; ROLLBACK`)
	if got := fmt.Sprint(res[3].Rows); got != "[[41] [19] [15] [13]]" {
		t.Fatalf("inside the transaction: %s", got)
	}
	res = a.must(`BEGIN; INSERT INTO ns.other VALUES (1);
		SELECT id FROM ns.m WHERE conv = 1 AND (created_at, id) < (5, 21) ORDER BY created_at DESC, id DESC LIMIT 4; COMMIT`)
	if got := fmt.Sprint(res[2].Rows); got != "[[19] [17] [15] [13]]" {
		t.Fatalf("transaction on another table: %s", got)
	}
	e.root().must("DROP INDEX ns.m_conv_created")
	if got := page(a); got != want {
		t.Fatalf("after DROP INDEX: %s, want %s", got, want)
	}
	createIndex(t, e, "CREATE INDEX m_conv_id ON ns.m (conv, id)")
	if got := page(a); got != want {
		t.Fatalf("after CREATE INDEX (conv, id): %s, want %s", got, want)
	}
	createIndex(t, e, "CREATE INDEX m_conv_created ON ns.m (conv, created_at)")
	if got := page(a); got != want {
		t.Fatalf("after CREATE INDEX again: %s, want %s", got, want)
	}
	if plan := explain(a, q, int64(1), int64(5), int64(21)); !planUsesIndex(plan, "m_conv_created", "m.conv,m.created_at,m.id") || planSorts(plan) {
		t.Fatalf("the recreated index is not read in order:\n%s", plan)
	}
}

// TestIndexKeysetChoiceOtherColumn: preferOrderIndex does not take the
// order index over one that binds a column it does not: with conv = 1
// AND body = 'rare', an index on body binds as many columns as one on
// (conv, created_at), but not the same one, and reading the conversation
// in order to find the two rare rows reads all of it. Before
// preferOrderIndex the engine read the two entries of a_body.
func TestIndexKeysetChoiceOtherColumn(t *testing.T) {
	e := newEnvWith(t, true)
	e.root().must(`CREATE NAMESPACE ns; CREATE TABLE ns.m (id BIGINT PRIMARY KEY, conv BIGINT, created_at INT, body TEXT)`)
	a := e.as("alice", systable.RoleUser)
	var vals []string
	for i := 1; i <= 3000; i++ {
		body := "common"
		if i == 7 || i == 9 {
			body = "rare"
		}
		vals = append(vals, fmt.Sprintf("(%d, 1, %d, '%s')", i, i, body))
	}
	a.must("INSERT INTO ns.m VALUES " + strings.Join(vals, ", "))
	createIndex(t, e, "CREATE INDEX a_body ON ns.m (body)")
	createIndex(t, e, "CREATE INDEX b_conv_created ON ns.m (conv, created_at)")
	q := "SELECT id FROM ns.m WHERE conv = 1 AND body = 'rare' ORDER BY created_at DESC LIMIT 10"
	before := e.db.Engine.IndexRowsFetched()
	if got := a.rows(q); got != "[[9],[7]]" {
		t.Fatalf("%s: %s", q, got)
	}
	if fetched := e.db.Engine.IndexRowsFetched() - before; fetched > 2 {
		t.Errorf("%s: %d rows fetched through an index for 2 matches:\n%s", q, fetched, explain(a, q))
	}
	// The same column bound by both: the order index is still preferred.
	createIndex(t, e, "CREATE INDEX a_conv_id ON ns.m (conv, id)")
	q = "SELECT id FROM ns.m WHERE conv = 1 ORDER BY created_at DESC LIMIT 10"
	if plan := explain(a, q); !planUsesIndex(plan, "b_conv_created", "m.conv,m.created_at,m.id") || planSorts(plan) {
		t.Errorf("%s: not read through b_conv_created in order:\n%s", q, plan)
	}
}

// TestIndexKeysetFloatLeading: ranges on a leading float column whose
// values the engine may compare as equal (NaN, -0 and 0) are one value
// to sortByIndex only when they are: NaN and 5 are two.
func TestIndexKeysetFloatLeading(t *testing.T) {
	e := newEnvWith(t, true)
	u := pairTables(t, e, "id BIGINT PRIMARY KEY, d DOUBLE, f REAL, b INT", "CREATE INDEX x_db ON ns.x (d, b)", "CREATE INDEX x_fb ON ns.x (f, b)")
	for _, tb := range []string{"ns.x", "ns.r"} {
		u.must("INSERT INTO " + tb + " VALUES (1, 'NaN', 'NaN', 5), (2, 5, 5, 1), (3, 'NaN', 'NaN', 2), (4, 5, 5, 9), (5, 'Infinity', 3e38, 3), (6, -0.0, -0.0, 4), (7, 0, 0, 3)")
	}
	for _, q := range []string{
		"SELECT id, b FROM $T WHERE d = 'NaN' OR d = 5 ORDER BY b LIMIT 10",
		"SELECT id, b FROM $T WHERE d IN ('NaN', 5) ORDER BY b DESC LIMIT 10",
		"SELECT id, b FROM $T WHERE (d = 'NaN' AND b > 1) OR (d = 5 AND b < 5) ORDER BY b LIMIT 10",
		"SELECT id, b FROM $T WHERE d IN ('NaN', 'Infinity') ORDER BY b LIMIT 10",
		"SELECT id, b FROM $T WHERE d IN (0, -0.0) ORDER BY b DESC LIMIT 10",
		"SELECT id, b FROM $T WHERE f = 'NaN' OR f = 5 ORDER BY b LIMIT 10",
		"SELECT id, b FROM $T WHERE f IN ('NaN', 'Infinity') ORDER BY b LIMIT 10",
		"SELECT id, b FROM $T WHERE (d, b) > ('NaN', 1) ORDER BY d, b LIMIT 10",
		"SELECT id, b FROM $T WHERE (d, b) < (5, 3) ORDER BY d DESC, b DESC LIMIT 10",
	} {
		want := u.rows(strings.ReplaceAll(q, "$T", "ns.r"))
		got := u.rows(strings.ReplaceAll(q, "$T", "ns.x"))
		if got != want {
			t.Errorf("%s: indexed %s, sorted %s\n%s", q, got, want, explain(u, strings.ReplaceAll(q, "$T", "ns.x")))
		}
	}
}

// TestIndexKeysetTextKey: keyset pages on (ts, id) with a TEXT primary
// key, the index's implicit last column (its raw key encoding), with
// empty, prefix-sharing and long ids, match a scan and a sort.
func TestIndexKeysetTextKey(t *testing.T) {
	e := newEnvWith(t, true)
	u := pairTables(t, e, "id TEXT PRIMARY KEY, conv BIGINT, ts INT", "CREATE INDEX x_conv_ts ON ns.x (conv, ts)")
	long := strings.Repeat("k", 2000)
	ids := []string{"", "a", "aa", "a b", "ab", "b", long, long + "a", long + "b", "k", "kk", "z"}
	var vals []string
	for i, id := range ids {
		vals = append(vals, fmt.Sprintf("('%s', 1, %d)", id, i%3), fmt.Sprintf("('%s-2', 2, %d)", id, i%2))
	}
	for _, tb := range []string{"ns.x", "ns.r"} {
		u.must("INSERT INTO " + tb + " VALUES " + strings.Join(vals, ", "))
	}
	for _, op := range []string{"<", "<=", ">", ">="} {
		for _, dir := range []string{"ASC", "DESC"} {
			for _, ts := range []int64{0, 1, 2} {
				for _, id := range append(ids, long+"aa", "a\x01") {
					q := fmt.Sprintf("SELECT id FROM $T WHERE conv = $1 AND (ts, id) %s ($2, $3) ORDER BY ts %s, id %s LIMIT 5", op, dir, dir)
					want := shortK(u.rows(strings.ReplaceAll(q, "$T", "ns.r"), int64(1), ts, id))
					if got := shortK(u.rows(strings.ReplaceAll(q, "$T", "ns.x"), int64(1), ts, id)); got != want {
						t.Errorf("%s [1 %d %q]: indexed %s, sorted %s", q, ts, shortK(id), got, want)
					}
				}
			}
		}
	}
}

// shortK shortens TestIndexKeysetTextKey's long ids.
func shortK(s string) string { return strings.ReplaceAll(s, strings.Repeat("k", 2000), "K…") }
