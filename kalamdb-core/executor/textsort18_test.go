package executor_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// textSortCorpus is n random texts for the ordering tests: ASCII, Latin,
// Greek, CJK and emoji (one- to four-byte UTF-8), empty texts, NULLs
// (nil), and texts sharing long prefixes, with duplicates. Quotes are
// left out so that the texts can be SQL literals.
func textSortCorpus(n int) []any {
	r := rand.New(rand.NewPCG(18, 18))
	alphabet := []rune("aAbBzZ09 ~-_éÉßøλΩ中文字😀🙂\u007f\u0080\u07ff\u0800\uffff")
	prefixes := []string{"", "", strings.Repeat("p", 300), strings.Repeat("é", 200) + "x", strings.Repeat("中", 100)}
	out := make([]any, n)
	for i := range out {
		switch r.IntN(12) {
		case 0:
			out[i] = nil
		case 1:
			out[i] = ""
		case 2:
			if i > 0 {
				out[i] = out[r.IntN(i)] // a duplicate
				continue
			}
			fallthrough
		default:
			var sb strings.Builder
			sb.WriteString(prefixes[r.IntN(len(prefixes))])
			for k := r.IntN(6); k > 0; k-- {
				sb.WriteRune(alphabet[r.IntN(len(alphabet))])
			}
			out[i] = sb.String()
		}
	}
	return out
}

// TestTextSortsByCodePoint: texts sort by code point (byte order of
// UTF-8, PostgreSQL's "C" collation) in every operator that orders them:
// a sort, a top-N, both directions and NULL placements, as a second key,
// a window's ORDER BY (peers: rank) and PARTITION BY, and a set
// operation's ORDER BY. The expected orders are computed here, from the
// texts' bytes.
func TestTextSortsByCodePoint(t *testing.T) {
	e := newEnvWith(t, true)
	root := e.root()
	root.must("CREATE NAMESPACE app; CREATE SHARED TABLE app.t (id BIGINT PRIMARY KEY, body TEXT, g BIGINT)")
	corpus := textSortCorpus(400)
	var vals []string
	for i, s := range corpus {
		lit := "NULL"
		if s != nil {
			lit = "'" + s.(string) + "'"
		}
		vals = append(vals, fmt.Sprintf("(%d, %s, %d)", i, lit, i%3))
	}
	root.must("INSERT INTO app.t VALUES " + strings.Join(vals, ", "))

	type row struct {
		id   int
		body any
		g    int
	}
	rows := make([]row, len(corpus))
	for i, s := range corpus {
		rows[i] = row{i, s, i % 3}
	}
	// cmpBody orders bodies by bytes, NULLs last (ascending) or first.
	cmpBody := func(a, b any, nullsFirst bool) int {
		switch {
		case a == nil && b == nil:
			return 0
		case a == nil:
			return map[bool]int{true: -1, false: 1}[nullsFirst]
		case b == nil:
			return map[bool]int{true: 1, false: -1}[nullsFirst]
		}
		return strings.Compare(a.(string), b.(string))
	}
	ids := func(rs []row) string {
		out := make([][]int, len(rs))
		for i, r := range rs {
			out[i] = []int{r.id}
		}
		raw, _ := json.Marshal(out)
		return string(raw)
	}
	sorted := func(cmp func(a, b row) int) []row {
		out := slices.Clone(rows)
		slices.SortStableFunc(out, cmp)
		return out
	}
	asc := sorted(func(a, b row) int {
		if c := cmpBody(a.body, b.body, false); c != 0 {
			return c
		}
		return a.id - b.id
	})
	descNullsLast := sorted(func(a, b row) int {
		if c := -cmpBody(a.body, b.body, true); c != 0 {
			return c
		}
		return a.id - b.id
	})
	ascNullsFirst := sorted(func(a, b row) int {
		if c := cmpBody(a.body, b.body, true); c != 0 {
			return c
		}
		return b.id - a.id
	})
	byGroup := sorted(func(a, b row) int {
		if a.g != b.g {
			return b.g - a.g
		}
		if c := -cmpBody(a.body, b.body, false); c != 0 {
			return c
		}
		return a.id - b.id
	})
	for _, tc := range []struct {
		q    string
		want []row
	}{
		{"SELECT id FROM app.t ORDER BY body, id", asc},
		{"SELECT id FROM app.t ORDER BY body DESC NULLS LAST, id", descNullsLast},
		{"SELECT id FROM app.t ORDER BY body NULLS FIRST, id DESC", ascNullsFirst},
		{"SELECT id FROM app.t ORDER BY g DESC, body DESC, id", byGroup},
		{"SELECT id FROM app.t ORDER BY body, id LIMIT 25", asc[:25]},
		{"SELECT id FROM app.t ORDER BY body DESC NULLS LAST, id LIMIT 25 OFFSET 10", descNullsLast[10:35]},
		{"SELECT id FROM (SELECT id, body FROM app.t ORDER BY body, id LIMIT 30) s ORDER BY body, id", asc[:30]},
		{"SELECT id FROM app.t WHERE g = 0 UNION ALL SELECT id FROM app.t WHERE g > 0 ORDER BY id", sorted(func(a, b row) int { return a.id - b.id })},
		{"SELECT id FROM (SELECT id, row_number() OVER (ORDER BY body, id) rn FROM app.t) s ORDER BY rn", asc},
	} {
		if got, want := root.rows(tc.q), ids(tc.want); got != want {
			t.Errorf("%s:\n got %.300s\nwant %.300s", tc.q, got, want)
		}
	}
	// A window's peers and partitions: rank() over ORDER BY body counts
	// the rows of smaller texts (NULLs last), and PARTITION BY body puts
	// equal texts, and only them, in one partition.
	got := root.rows("SELECT id, rank() OVER (ORDER BY body), count(*) OVER (PARTITION BY body) FROM app.t ORDER BY id")
	var want [][]int
	for _, r := range rows {
		rank, peers := 1, 0
		for _, o := range rows {
			c := cmpBody(o.body, r.body, false)
			if c < 0 {
				rank++
			}
			if c == 0 {
				peers++
			}
		}
		want = append(want, []int{r.id, rank, peers})
	}
	raw, _ := json.Marshal(want)
	if got != string(raw) {
		t.Errorf("rank and partitions:\n got %.300s\nwant %.300s", got, raw)
	}
	// min and max of texts, grouped and not.
	var lo, hi string
	first := true
	for _, s := range corpus {
		if s == nil {
			continue
		}
		if first || s.(string) < lo {
			lo = s.(string)
		}
		if first || s.(string) > hi {
			hi = s.(string)
		}
		first = false
	}
	raw, _ = json.Marshal([][]string{{lo, hi}})
	if got := root.rows("SELECT min(body), max(body) FROM app.t"); got != string(raw) {
		t.Errorf("min, max: %s, want %s", got, raw)
	}
	if got := root.rows("SELECT min(body), max(body) FROM app.t GROUP BY g ORDER BY 1 LIMIT 1"); got != string(raw) && !strings.HasPrefix(got, `[["`+lo) {
		t.Errorf("grouped min: %s, want the smallest %q first", got, lo)
	}
	// An ungrouped min and max of texts are KalamDB's aggregate (bytes),
	// not the engine's MIN and MAX (its collation, rune by rune).
	if plan := explain(root, "SELECT min(body), max(body) FROM app.t"); strings.Contains(plan, "MIN(") || strings.Contains(plan, "MAX(") {
		t.Errorf("min and max of texts are the engine's:\n%s", plan)
	}
	// The sort's keys are compared by kdb_text_order.
	if plan := explain(root, "SELECT id FROM app.t ORDER BY body LIMIT 3"); !strings.Contains(plan, "kdb_text_order") {
		t.Errorf("the top-N does not compare through kdb_text_order:\n%s", plan)
	}
}

// TestTextIndexTopNStillUsesIndex: a top-N in the order of an index on a
// text column, or of a text primary key, still reads the index in order
// and keeps no sort; a sort the index cannot give compares its texts
// through kdb_text_order and answers in code point order.
func TestTextIndexTopNStillUsesIndex(t *testing.T) {
	e := newEnvWith(t, true)
	e.root().must(`CREATE NAMESPACE ns; CREATE TABLE ns.t (id BIGINT PRIMARY KEY, conv BIGINT, tag TEXT);
		CREATE TABLE ns.k (name TEXT PRIMARY KEY, v BIGINT)`)
	createIndex(t, e, "CREATE INDEX t_conv_tag ON ns.t (conv, tag)")
	a := e.as("alice", systable.RoleUser)
	for _, tc := range []struct {
		q         string
		sorted    bool
		backwards bool
	}{
		{"SELECT id FROM ns.t WHERE conv = 1 ORDER BY tag, id LIMIT 5", false, false},
		{"SELECT id FROM ns.t WHERE conv = 1 ORDER BY tag DESC, id DESC LIMIT 5", false, true},
		{"SELECT id FROM ns.t WHERE conv = 1 ORDER BY tag NULLS FIRST, id LIMIT 5", true, false},
	} {
		plan := explain(a, tc.q)
		if !planUsesIndex(plan, "t_conv_tag", "t.conv,t.tag,t.id") {
			t.Errorf("%s: does not use the index\n%s", tc.q, plan)
		}
		if got := planSorts(plan); got != tc.sorted {
			t.Errorf("%s: sorts %v, want %v\n%s", tc.q, got, tc.sorted, plan)
		}
		if got := planReadsBackwards(plan); got != tc.backwards {
			t.Errorf("%s: reads backwards %v, want %v\n%s", tc.q, got, tc.backwards, plan)
		}
		if tc.sorted && !strings.Contains(plan, "kdb_text_order") {
			t.Errorf("%s: the sort does not compare through kdb_text_order\n%s", tc.q, plan)
		}
	}
	a.must("INSERT INTO ns.t (id, conv, tag) VALUES (1, 1, 'b'), (2, 1, NULL), (3, 1, 'é'), (4, 1, 'B'), (5, 1, 'b'), (6, 2, 'a')")
	for q, want := range map[string]string{
		"SELECT id FROM ns.t WHERE conv = 1 ORDER BY tag, id LIMIT 5":              "[[4],[1],[5],[3],[2]]",
		"SELECT id FROM ns.t WHERE conv = 1 ORDER BY tag DESC, id DESC LIMIT 5":    "[[2],[3],[5],[1],[4]]",
		"SELECT id FROM ns.t WHERE conv = 1 ORDER BY tag NULLS FIRST, id LIMIT 5":  "[[2],[4],[1],[5],[3]]",
		"SELECT id FROM ns.t WHERE conv = 1 ORDER BY tag DESC NULLS LAST, id DESC": "[[3],[5],[1],[4],[2]]",
	} {
		if got := a.rows(q); got != want {
			t.Errorf("%s: %s, want %s", q, got, want)
		}
	}
	// A text primary key: the plan is the one the planner chose before
	// text keys were compared by kdb_text_order, and the answer in order.
	a.must("INSERT INTO ns.k VALUES ('b', 1), ('a', 2), ('é', 3), ('B', 4)")
	if got := a.rows("SELECT name FROM ns.k ORDER BY name DESC LIMIT 3"); got != `[["é"],["b"],["a"]]` {
		t.Errorf("text primary key top-N: %s", got)
	}
	if got := a.rows("SELECT name FROM ns.k WHERE name > 'a' ORDER BY name LIMIT 2"); got != `[["b"],["é"]]` {
		t.Errorf("text primary key range top-N: %s", got)
	}
}

// TestLongTextSortStopsAtTimeLimit: a sort whose keys are long texts
// sharing a prefix ran long past the statement's time limit: the engine's
// sort never looks at the context, and compared the texts rune by rune
// (1,000 keys of 1 MB: about 40 ms a comparison, 10,000 comparisons).
// The keys here are computed, so that every comparison builds its two
// texts again and the sort stays long however fast it compares; the rows
// are few, so that reading them is quick. The sort, a top-N and a
// window's sort now stop with QUERY_TIMEOUT, and the database answers
// afterwards.
func TestLongTextSortStopsAtTimeLimit(t *testing.T) {
	_, _, alice := newEnvAliceLimited(t)
	tens := "(VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9))"
	from, n := fmt.Sprintf("%s a(x), %s b(x), %s c(x)", tens, tens, tens), "a.x * 100 + b.x * 10 + c.x"
	key := fmt.Sprintf("repeat('x', 1000000) || ((%s) * 7919 %% 1000)", n)
	withinMinutes(t, "sorts of long texts", func() {
		for _, q := range []string{
			fmt.Sprintf("SELECT count(*) FROM (SELECT %s AS k FROM %s ORDER BY %s) s", n, from, key),
			fmt.Sprintf("SELECT %s FROM %s ORDER BY %s DESC LIMIT 5", n, from, key),
			fmt.Sprintf("SELECT max(w) FROM (SELECT row_number() OVER (ORDER BY %s) w FROM %s) s", key, from),
		} {
			alice.failsNaming(apierror.QueryTimeout, "1s", q)
		}
	})
	if got := alice.rows("SELECT 1"); got != `[[1]]` {
		t.Fatalf("after the timeout: %s", got)
	}
}
