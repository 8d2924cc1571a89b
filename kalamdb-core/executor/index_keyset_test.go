package executor_test

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// Keyset pagination on two columns: WHERE conv = $1 AND (created_at, id)
// < ($2, $3) ORDER BY created_at DESC, id DESC LIMIT n reads an index on
// (conv, created_at[, id]) in order and stops, without a sort.

// keysetQuery is the keyset page query on table tbl: the rows after
// (op: <, <=, >, >=) the cursor in conversation $1, ordered by cols and
// then id in direction dir; op "" is the first page (no cursor). The
// cursor is created_at $2, id $3 and seq $4.
func keysetQuery(tbl string, cols []string, op, dir string, limit int) string {
	where := "conv = $1"
	params := map[string]string{"created_at": "$2", "seq": "$4"}
	var cursor, order []string
	for _, c := range cols {
		cursor = append(cursor, params[c])
		order = append(order, c+" "+dir)
	}
	if op != "" {
		where += fmt.Sprintf(" AND (%s, id) %s (%s, $3)", strings.Join(cols, ", "), op, strings.Join(cursor, ", "))
	}
	return fmt.Sprintf("SELECT id, conv, created_at, seq FROM %s WHERE %s ORDER BY %s, id %s LIMIT %d", tbl, where, strings.Join(order, ", "), dir, limit)
}

// TestIndexKeysetPlans: the keyset queries read the index in the sort's
// order, backwards for DESC, without a sort: every comparison, both
// directions, with the primary key as the index's implicit last column or
// as its explicit one; and with several indexes on the conversation, the
// one in the ORDER BY's order is read.
func TestIndexKeysetPlans(t *testing.T) {
	e := newEnvWith(t, true)
	e.root().must(`CREATE NAMESPACE ns;
		CREATE TABLE ns.m1 (id BIGINT PRIMARY KEY, conv BIGINT, created_at TIMESTAMP, seq INT, body TEXT);
		CREATE TABLE ns.m2 (id BIGINT PRIMARY KEY, conv BIGINT, created_at TIMESTAMP, seq INT, body TEXT);
		CREATE TABLE ns.m3 (id BIGINT PRIMARY KEY, conv BIGINT, created_at TIMESTAMP, seq INT, body TEXT)`)
	createIndex(t, e, "CREATE INDEX m1_conv_created ON ns.m1 (conv, created_at)")
	createIndex(t, e, "CREATE INDEX m2_conv_created_id ON ns.m2 (conv, created_at, id)")
	// The engine alone would pick a_conv_id, whose name sorts first, and
	// sort the conversation.
	createIndex(t, e, "CREATE INDEX a_conv_id ON ns.m3 (conv, id)")
	createIndex(t, e, "CREATE INDEX b_conv_created_id ON ns.m3 (conv, created_at, id)")
	a := e.as("alice", systable.RoleUser)
	for _, tc := range []struct{ table, index, exprs string }{
		{"ns.m1", "m1_conv_created", "m1.conv,m1.created_at,m1.id"},
		{"ns.m2", "m2_conv_created_id", "m2.conv,m2.created_at,m2.id"},
		{"ns.m3", "b_conv_created_id", "m3.conv,m3.created_at,m3.id"},
	} {
		for _, op := range []string{"<", "<=", ">", ">=", ""} {
			for _, dir := range []string{"ASC", "DESC"} {
				q := keysetQuery(tc.table, []string{"created_at"}, op, dir, 50)
				params := []any{int64(1), "2024-01-01 00:00:00", int64(5)}
				if op == "" {
					params = params[:1]
				}
				plan := explain(a, q, params...)
				if !planUsesIndex(plan, tc.index, tc.exprs) || planSorts(plan) || planReadsBackwards(plan) != (dir == "DESC") {
					t.Errorf("%s: want %s read %s without a sort:\n%s", q, tc.index, dir, plan)
				}
			}
		}
	}
	for _, tc := range []struct {
		q, index, exprs string
		sorted          bool
	}{
		// Written with constants and an alias.
		{"SELECT x.id FROM ns.m3 x WHERE x.conv = 1 AND (x.created_at, x.id) < ('2024-01-01', 5) ORDER BY x.created_at DESC, x.id DESC LIMIT 5",
			"b_conv_created_id", "m3.conv,m3.created_at,m3.id", false},
		// The other order has its own index.
		{"SELECT id FROM ns.m3 WHERE conv = 1 AND (created_at, id) < ('2024-01-01', 5) ORDER BY id DESC LIMIT 5",
			"a_conv_id", "m3.conv,m3.id", false},
		// Mixed directions are no index's order: the sort stays.
		{"SELECT id FROM ns.m2 WHERE conv = 1 AND (created_at, id) < ('2024-01-01', 5) ORDER BY created_at DESC, id ASC LIMIT 5",
			"m2_conv_created_id", "m2.conv,m2.created_at,m2.id", true},
		// NULLs where the index does not keep them: the sort stays.
		{"SELECT id FROM ns.m2 WHERE conv = 1 ORDER BY created_at DESC NULLS LAST, id DESC LIMIT 5",
			"m2_conv_created_id", "m2.conv,m2.created_at,m2.id", true},
		// Several conversations: the ranges do not share the prefix.
		{"SELECT id FROM ns.m2 WHERE conv IN (1, 2) AND (created_at, id) < ('2024-01-01', 5) ORDER BY created_at DESC, id DESC LIMIT 5",
			"m2_conv_created_id", "m2.conv,m2.created_at,m2.id", true},
	} {
		plan := explain(a, tc.q)
		if !planUsesIndex(plan, tc.index, tc.exprs) || planSorts(plan) != tc.sorted {
			t.Errorf("%s: want %s, sorted %v:\n%s", tc.q, tc.index, tc.sorted, plan)
		}
	}
}

// TestIndexKeysetChoiceYields: the index in the ORDER BY's order is not
// preferred over one that binds more columns with equalities, nor over a
// primary-key equality, nor without a LIMIT.
func TestIndexKeysetChoiceYields(t *testing.T) {
	e := newEnvWith(t, true)
	e.root().must(`CREATE NAMESPACE ns;
		CREATE TABLE ns.m (id BIGINT PRIMARY KEY, conv BIGINT, created_at TIMESTAMP, body TEXT)`)
	createIndex(t, e, "CREATE INDEX a_conv_body ON ns.m (conv, body)")
	createIndex(t, e, "CREATE INDEX b_conv_created ON ns.m (conv, created_at)")
	a := e.as("alice", systable.RoleUser)
	for _, tc := range []struct {
		q     string
		index bool // reads b_conv_created
	}{
		{"SELECT id FROM ns.m WHERE conv = 1 ORDER BY created_at DESC, id DESC LIMIT 5", true},
		{"SELECT id FROM ns.m WHERE conv = 1 AND body = 'x' ORDER BY created_at DESC, id DESC LIMIT 5", false},
		{"SELECT id FROM ns.m WHERE conv = 1 AND id = 7 ORDER BY created_at DESC, id DESC LIMIT 5", false},
		{"SELECT id FROM ns.m WHERE conv = 1 ORDER BY created_at DESC, id DESC", false},
	} {
		plan := explain(a, tc.q)
		if got := planUsesIndex(plan, "b_conv_created", "m.conv,m.created_at,m.id"); got != tc.index {
			t.Errorf("%s: reads b_conv_created %v, want %v:\n%s", tc.q, got, tc.index, plan)
		}
	}
}

// TestIndexKeysetTopNStops: a keyset page of a large conversation fetches
// one first batch of rows, not the conversation.
func TestIndexKeysetTopNStops(t *testing.T) {
	e := newEnvWith(t, true)
	e.root().must(`CREATE NAMESPACE ns; CREATE TABLE ns.m (id BIGINT PRIMARY KEY, conv BIGINT, created_at TIMESTAMP)`)
	a := e.as("alice", systable.RoleUser)
	var sb strings.Builder
	for i := 1; i <= 2000; i++ {
		if sb.Len() > 0 {
			sb.WriteString(", ")
		}
		// Ten rows per second: the cursor's second has rows on both
		// sides of its id.
		fmt.Fprintf(&sb, "(%d, 1, TIMESTAMP '2024-01-01 00:00:00' + INTERVAL '%d seconds')", i, i/10)
	}
	a.must("INSERT INTO ns.m VALUES " + sb.String())
	createIndex(t, e, "CREATE INDEX m_conv_created ON ns.m (conv, created_at)")
	for _, tc := range []struct{ op, dir, want string }{
		{"<", "DESC", "[[1504],[1503],[1502]]"},
		{"<=", "DESC", "[[1505],[1504],[1503]]"},
		{">", "ASC", "[[1506],[1507],[1508]]"},
		{">=", "ASC", "[[1505],[1506],[1507]]"},
	} {
		q := fmt.Sprintf("SELECT id FROM ns.m WHERE conv = $1 AND (created_at, id) %s ($2, $3) ORDER BY created_at %s, id %s LIMIT 3", tc.op, tc.dir, tc.dir)
		before := e.db.Engine.IndexRowsFetched()
		if got := a.rows(q, int64(1), "2024-01-01 00:02:30", int64(1505)); got != tc.want {
			t.Fatalf("%s: %s, want %s", q, got, tc.want)
		}
		// The planner's index read fetches a first batch of 8.
		if fetched := e.db.Engine.IndexRowsFetched() - before; fetched > 8 {
			t.Fatalf("%s: %d rows fetched for LIMIT 3", q, fetched)
		}
	}
}

// TestIndexKeysetMatchesSort pages through random conversations of
// several users, with NULLs and duplicates in created_at and seq, on
// tables holding the same rows with keyset indexes (the primary key
// implicit; explicit, next to a decoy index on (conv, id); after a
// nullable column) and without indexes (a scan and a sort): every answer
// is the same, hot, after a flush to the cold tier, and with rows in both
// tiers. Users see only their own rows through the index, whose ranges
// stay in their partition.
func TestIndexKeysetMatchesSort(t *testing.T) {
	slowParallel(t)
	seed := envInt("KALAMDB_INDEX_SEED", 1)
	t.Logf("seed %d (KALAMDB_INDEX_SEED)", seed)
	r := rand.New(rand.NewSource(int64(seed)))
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE ns")
	// The keyset columns each indexed table's index serves; ns.kr has no
	// index.
	served := map[string][]string{"ns.ki": {"created_at"}, "ns.ke": {"created_at"}, "ns.kn": {"created_at", "seq"}}
	tables := []string{"ns.ki", "ns.ke", "ns.kn", "ns.kr"}
	for _, tbl := range tables {
		e.root().must("CREATE TABLE " + tbl + " (id BIGINT PRIMARY KEY, conv BIGINT, created_at TIMESTAMP, seq INT, body TEXT)")
	}
	createIndex(t, e, "CREATE INDEX ki_conv_created ON ns.ki (conv, created_at)")
	createIndex(t, e, "CREATE INDEX ke_conv_id ON ns.ke (conv, id)")
	createIndex(t, e, "CREATE INDEX ke_conv_created_id ON ns.ke (conv, created_at, id)")
	createIndex(t, e, "CREATE INDEX kn_conv_created_seq ON ns.kn (conv, created_at, seq)")
	users := []*caller{e.as("alice", systable.RoleUser), e.as("bob", systable.RoleUser), e.as("carol", systable.RoleUser)}
	stamp := func() any {
		if r.Intn(6) == 0 {
			return nil
		}
		return fmt.Sprintf("2024-01-01 00:00:%02d", r.Intn(8))
	}
	seq := func() any {
		if r.Intn(4) == 0 {
			return nil
		}
		return int64(r.Intn(3))
	}
	sqlValue := func(v any) string {
		switch x := v.(type) {
		case nil:
			return "NULL"
		case string:
			return "TIMESTAMP '" + x + "'"
		}
		return fmt.Sprint(v)
	}
	nextID := 1
	insert := func(rows int) {
		for _, u := range users {
			var sb strings.Builder
			// Half the ids of a span, many the same in every partition.
			for _, k := range r.Perm(rows * 2)[:rows] {
				if sb.Len() > 0 {
					sb.WriteString(", ")
				}
				fmt.Fprintf(&sb, "(%d, %d, %s, %s, 'b')", nextID+k, r.Intn(3), sqlValue(stamp()), sqlValue(seq()))
			}
			for _, tbl := range tables {
				u.must("INSERT INTO " + tbl + " VALUES " + sb.String())
			}
		}
		nextID += rows * 2
	}
	check := func(phase string, n int) {
		planned := map[string]bool{}
		for i := range n {
			u := users[r.Intn(len(users))]
			cols := [][]string{{"created_at"}, {"created_at", "seq"}}[r.Intn(2)]
			op := []string{"<", "<=", ">", ">=", ""}[r.Intn(5)]
			dir := []string{"ASC", "DESC"}[r.Intn(2)]
			params := []any{int64(r.Intn(4)), stamp(), int64(r.Intn(nextID + 2)), seq()}
			switch {
			case op == "":
				params = params[:1]
			case len(cols) == 1:
				params = params[:3]
			}
			limit := 1 + r.Intn(25)
			want := describeAll(u.exec(keysetQuery("ns.kr", cols, op, dir, limit), params...))
			for _, tbl := range tables[:3] {
				q := keysetQuery(tbl, cols, op, dir, limit)
				if got := describeAll(u.exec(q, params...)); got != want {
					t.Fatalf("%s, query %d (seed %d) as %s:\n%s %v\n indexed: %s\n sorted:  %s", phase, i, seed, u.user, q, params, got, want)
				}
				// A NULL in the cursor is an empty lookup, whose sort is
				// left.
				if !planned[tbl] && slices.Equal(cols, served[tbl]) && !slices.Contains(params, nil) {
					planned[tbl] = true
					if plan := explain(u, q, params...); planSorts(plan) {
						t.Fatalf("%s: %s sorts:\n%s", phase, q, plan)
					}
				}
			}
		}
		for tbl := range served {
			if !planned[tbl] {
				t.Fatalf("%s: no plan of %s checked", phase, tbl)
			}
		}
	}
	insert(60)
	check("hot", 200)
	for _, tbl := range tables {
		flushTable(t, e, tbl)
	}
	check("cold", 200)
	insert(30)
	for _, u := range users {
		// Moves rows between conversations and seconds, and drops some,
		// in both tiers.
		nulls, moved, deleted := int64(r.Intn(7)), int64(r.Intn(11)), int64(r.Intn(13))
		for _, tbl := range tables {
			u.must("UPDATE "+tbl+" SET created_at = NULL WHERE id % 7 = $1", nulls)
			u.must("UPDATE "+tbl+" SET conv = 2, created_at = TIMESTAMP '2024-01-01 00:00:03', seq = NULL WHERE id % 11 = $1", moved)
			u.must("DELETE FROM "+tbl+" WHERE id % 13 = $1", deleted)
		}
	}
	check("hot and cold", 200)
}
