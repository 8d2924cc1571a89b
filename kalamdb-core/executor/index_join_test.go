package executor_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// joinTables creates ns.msg (a USER table with indexes a_conv_id on
// (conv, id), b_conv_created on (conv, created_at) and c_parent on
// (parent_id)), ns.rmsg (the same rows, no indexes), ns.conv (a SHARED
// PUBLIC table of conversations 0..49) and ns.uconv (the same as alice's
// USER table), and writes n messages of alice in conversations 0..49:
// created_at a permutation of 0..n-1, every third message a reply to the
// one before, every tenth deleted_at set. The index names sort a_conv_id
// first: where two indexes bind the same columns by the engine's own
// count, it takes the first.
func joinTables(t *testing.T, e *env, n int) *caller {
	t.Helper()
	root := e.root()
	root.must("CREATE NAMESPACE ns")
	for _, tb := range []string{"ns.msg", "ns.rmsg"} {
		root.must("CREATE TABLE " + tb + " (id BIGINT PRIMARY KEY, conv BIGINT, created_at BIGINT, parent_id BIGINT, deleted_at BIGINT, body TEXT)")
	}
	root.must(`CREATE SHARED TABLE ns.conv (id BIGINT PRIMARY KEY, title TEXT) WITH (ACCESS_LEVEL = 'PUBLIC');
		CREATE TABLE ns.uconv (id BIGINT PRIMARY KEY, title TEXT)`)
	createIndex(t, e, "CREATE INDEX a_conv_id ON ns.msg (conv, id)")
	createIndex(t, e, "CREATE INDEX b_conv_created ON ns.msg (conv, created_at)")
	createIndex(t, e, "CREATE INDEX c_parent ON ns.msg (parent_id)")
	a := e.as("alice", systable.RoleUser)
	var msgs, convs []string
	for i := 1; i <= n; i++ {
		parent, deleted := "NULL", "NULL"
		if i%3 == 0 {
			parent = fmt.Sprint(i - 1)
		}
		if i%10 == 0 {
			deleted = fmt.Sprint(i)
		}
		msgs = append(msgs, fmt.Sprintf("(%d, %d, %d, %s, %s, 'b%d')", i, i%50, (i*7919)%n, parent, deleted, i))
	}
	for c := 0; c < 50; c++ {
		convs = append(convs, fmt.Sprintf("(%d, 't%d')", c, c))
	}
	for _, tb := range []string{"ns.msg", "ns.rmsg"} {
		a.must("INSERT INTO " + tb + " VALUES " + strings.Join(msgs, ", "))
	}
	e.as("svc", systable.RoleService).must("INSERT INTO ns.conv VALUES " + strings.Join(convs, ", "))
	a.must("INSERT INTO ns.uconv VALUES " + strings.Join(convs, ", "))
	return a
}

// joinQuery is a join over ns.msg ($T) with its parameters, the index
// the plan must look up per row (lookup) and the index its first side
// must read (first, "" for none checked), and the most rows it may fetch
// through secondary indexes.
type joinQuery struct {
	q             string
	params        []any
	lookup, first string
	fetched       int64
}

// joinQueries are joins whose one side its WHERE binds to a few rows and
// whose other side an index looks up: each reads a few conversations'
// entries of a partition of n messages (n/50 a conversation).
func joinQueries(n int) []joinQuery {
	conv := int64(n / 50)
	late := fmt.Sprint(n - 100)
	return []joinQuery{
		// The conversations first, then their messages through an index
		// on conv: not the whole partition, each conversation row again
		// for each message.
		{"SELECT c.title, m.id, m.body FROM ns.conv c JOIN $T m ON m.conv = c.id WHERE c.id IN (3, 4)", nil, "a_conv_id", "", 2 * conv},
		{"SELECT c.title, m.id FROM ns.uconv c JOIN $T m ON m.conv = c.id WHERE c.id = $1", []any{int64(7)}, "a_conv_id", "", conv},
		{"SELECT c.title, m.id FROM $T m JOIN ns.uconv c ON c.id = m.conv WHERE c.id = $1", []any{int64(7)}, "a_conv_id", "", conv},
		{"SELECT c.title, m.id FROM ns.conv c JOIN $T m ON m.conv = c.id AND m.deleted_at IS NULL WHERE c.id IN ($1, $2)", []any{int64(1), int64(2)}, "a_conv_id", "", 2 * conv},
		{"SELECT c.title, m.id FROM ns.conv c JOIN $T m ON m.conv = c.id + 1 WHERE c.id = 8", nil, "a_conv_id", "", conv},
		{"SELECT c.id, c.title, m.id FROM ns.conv c LEFT JOIN $T m ON m.conv = c.id WHERE c.id IN (5, 77)", nil, "a_conv_id", "", conv},
		// The messages first, through the index their WHERE binds the
		// most (conv and created_at, not conv alone), then the other side
		// by its primary key or an index.
		{"SELECT c.title, m.id FROM ns.conv c JOIN $T m ON m.conv = c.id WHERE m.conv = $1 AND m.created_at > $2", []any{int64(3), int64(n - 100)}, "PRIMARY", "b_conv_created", 12},
		{"SELECT m.id, p.id, p.body FROM $T m JOIN $T p ON p.id = m.parent_id WHERE m.conv = 3 AND m.created_at > " + late, nil, "PRIMARY", "b_conv_created", 12},
		{"SELECT m.id, r.id, r.body FROM $T m JOIN $T r ON r.parent_id = m.id WHERE m.conv = 4 AND m.created_at > " + late, nil, "c_parent", "b_conv_created", 24},
		{"SELECT m.id, r.id FROM $T m LEFT JOIN $T r ON r.parent_id = m.id WHERE m.conv = $1 AND m.created_at >= $2", []any{int64(5), int64(n - 300)}, "c_parent", "b_conv_created", 40},
		// The thread of a message: its replies, by the looked-up side's
		// constant equality on conv and the join's on parent_id.
		{"SELECT m.id, r.id FROM $T m JOIN $T r ON r.parent_id = m.id WHERE m.id IN (2, 5, 8, 11)", nil, "c_parent", "", 8},
		// A key of NULL matches nothing, though the index holds the NULLs
		// of parent_id (messages 1 and 2 have none).
		{"SELECT m.id, r.id FROM $T m LEFT JOIN $T r ON r.parent_id = m.parent_id WHERE m.id IN (1, 2, 3)", nil, "c_parent", "", 8},
		{"SELECT m.id, r.id FROM $T m JOIN $T r ON r.parent_id = m.parent_id AND r.conv = m.conv WHERE m.id IN (1, 2, 3, 6)", nil, "c_parent", "", 8},
	}
}

// TestIndexJoinLookup: a join whose one side its WHERE binds (the
// primary key to points, or an index's leading columns) reads that side
// first, through the index binding the most, and looks the other side up
// through an index for each of its rows: only the few rows of the
// conversations concerned are fetched, none scanned (before, the
// partition was read, and the bound side read again for each of its
// rows), with the plan cache and the fast path on and off, hot and cold;
// the answers are those of the table without indexes.
func TestIndexJoinLookup(t *testing.T) {
	slowParallel(t)
	const n = 3000
	for _, slow := range []bool{true, false} {
		t.Run(fmt.Sprint("slow ", slow), func(t *testing.T) {
			t.Parallel() // each has its own environment
			e := newEnvWith(t, slow)
			a := joinTables(t, e, n)
			check := func(stage string) {
				t.Helper()
				for _, jq := range joinQueries(n) {
					src := jq.q
					q := strings.ReplaceAll(src, "$T", "ns.msg")
					plan := explain(a, q, jq.params...)
					if !strings.Contains(plan, "LookupJoin") || !lookupThrough(plan, jq.lookup) || (jq.first != "" && !planUsesIndex(plan, jq.first, "")) {
						t.Fatalf("%s: %s %v: not read through %s with lookups through %s:\n%s", stage, q, jq.params, jq.first, jq.lookup, plan)
					}
					want := rowSet(a, strings.ReplaceAll(src, "$T", "ns.rmsg"), jq.params...)
					fetched, hot := e.db.Engine.IndexRowsFetched(), e.db.Engine.HotRowsRead()
					if got := rowSet(a, q, jq.params...); got != want {
						t.Fatalf("%s: %s %v:\n%s\nwant\n%s", stage, q, jq.params, got, want)
					}
					if f := e.db.Engine.IndexRowsFetched() - fetched; f > jq.fetched {
						t.Fatalf("%s: %s %v: %d rows fetched through indexes, want at most %d", stage, q, jq.params, f, jq.fetched)
					}
					// No range scan of the partition: the looked-up rows are
					// read by key.
					if h := e.db.Engine.HotRowsRead() - hot; h > 100 {
						t.Fatalf("%s: %s %v: %d hot rows scanned, want at most 100", stage, q, jq.params, h)
					}
				}
			}
			check("hot")
			runJob(t, e, "STORAGE FLUSH TABLE ns.msg")
			runJob(t, e, "STORAGE FLUSH TABLE ns.rmsg")
			check("cold")
		})
	}
}

// lookupThrough reports whether a plan looks rows up through the index
// name for each row of a join's other side.
func lookupThrough(plan, name string) bool {
	at := strings.Index(plan, "lookup: one per row")
	if at < 0 {
		return false
	}
	start := strings.LastIndex(plan[:at], "index: ")
	return start >= 0 && strings.HasPrefix(plan[start:], "index: "+name+" (")
}

// TestIndexJoinLeftAlone: joins the rule leaves to the engine (no side
// bound more than the other, more than two tables, a LEFT JOIN whose
// right side is bound) answer as without indexes.
func TestIndexJoinLeftAlone(t *testing.T) {
	const n = 600
	e := newEnv(t)
	a := joinTables(t, e, n)
	for _, q := range []string{
		"SELECT c.title, m.id FROM ns.conv c JOIN $T m ON m.conv = c.id",
		"SELECT c.title, m.id FROM ns.conv c JOIN $T m ON m.conv = c.id WHERE c.id = 3 AND m.conv = 3",
		"SELECT c.title, m.id FROM ns.conv c LEFT JOIN $T m ON m.conv = c.id AND m.created_at > 590 WHERE c.title <> 'x'",
		"SELECT c.title, m.id, r.id FROM ns.conv c JOIN $T m ON m.conv = c.id JOIN $T r ON r.parent_id = m.id WHERE c.id = 4",
		"SELECT m.id, r.id FROM $T m JOIN $T r ON r.conv = m.conv AND r.id < m.id WHERE m.id = 77",
		"SELECT m.id FROM $T m WHERE EXISTS (SELECT 1 FROM $T r WHERE r.parent_id = m.id) AND m.conv = 2",
	} {
		got, want := rowSet(a, strings.ReplaceAll(q, "$T", "ns.msg")), rowSet(a, strings.ReplaceAll(q, "$T", "ns.rmsg"))
		if got != want {
			t.Fatalf("%s:\n%s\nwant\n%s", q, got, want)
		}
	}
}

// TestIndexJoinLookupSnapshot: a join's lookups read an index only if it
// was ready before the statement's snapshot (Session.usableIndex), as a
// single table's reads do: while ib, the index its lookups prefer, is
// built and dropped again and again, the join returns all its rows.
func TestIndexJoinLookupSnapshot(t *testing.T) {
	slowParallel(t)
	const q = "SELECT y.id FROM ns.t x JOIN ns.t y ON y.b = x.b AND y.a = x.a WHERE x.id = 4001 LIMIT $1"
	e := newEnv(t)
	r := e.root()
	r.must("CREATE NAMESPACE ns; CREATE SHARED TABLE ns.t (id BIGINT PRIMARY KEY, a BIGINT, b BIGINT, c BIGINT)")
	createIndex(t, e, "CREATE INDEX ia ON ns.t (a, b, c)")
	createIndex(t, e, "CREATE INDEX ib ON ns.t (b, a)")
	if plan := explain(e.as("root", systable.RoleSystem), q, 10); !strings.Contains(plan, "LookupJoin") || !lookupThrough(plan, "ib") {
		t.Fatalf("%s: not looked up through ib:\n%s", q, plan)
	}
	r.must("DROP TABLE ns.t; DROP NAMESPACE ns")
	fastFallbackRace(t, q, 20)
}
