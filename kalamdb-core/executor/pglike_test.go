package executor_test

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"
)

// The answers of this file are PostgreSQL 15's (a UTF8 database) for the
// same rows and conditions.

// likeCorpus holds texts at the edges of the text order: the characters
// around a prefix's successor, the largest code points (U+FFFF,
// U+10FFFF, around the surrogates), wildcards and escapes as data, case
// and non-ASCII. Row i+1 holds likeCorpus[i].
var likeCorpus = []string{"", "a", "a%", "a_", "a\\", "ab", "abc", "aB", "A", "Ab", "a€", "aĀ", "a😀x", "a😀", "aÿ", "aÿz", "a\uffff", "a\uffffz", "a\U0010ffff", "\U0010ffff", "\U0010ffffx", "\U0010ffff\U0010ffff", "北京", "北海道", "北", "匘", "b", "a\\%x", "a_b", "a%b", "\\", "%", "_", "a\ud7ff", "a\ue000", "a\x7f", "a ", "a\x01", "é", "éa", "e", "😀", "😁", "a!%", "a!x", "ß", "SS"}

type likeCase struct {
	op, pattern string
	escape      *string
	want        []int64
}

func ptr(s string) *string { return &s }

var likeCases = []likeCase{
	{"LIKE", "a%", nil, []int64{2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 14, 15, 16, 17, 18, 19, 28, 29, 30, 34, 35, 36, 37, 38, 44, 45}},
	{"LIKE", "a😀%", nil, []int64{13, 14}},
	{"LIKE", "北%", nil, []int64{23, 24, 25}},
	{"LIKE", "%", nil, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47}},
	{"LIKE", "", nil, []int64{1}},
	{"LIKE", "a", nil, []int64{2}},
	{"LIKE", "a\\%%", nil, []int64{3, 30}},
	{"LIKE", "a\\_%", nil, []int64{4, 29}},
	{"LIKE", "a_%", nil, []int64{3, 4, 5, 6, 7, 8, 11, 12, 13, 14, 15, 16, 17, 18, 19, 28, 29, 30, 34, 35, 36, 37, 38, 44, 45}},
	{"LIKE", "ab%", nil, []int64{6, 7}},
	{"LIKE", "a!%%", ptr("!"), []int64{3, 30}},
	{"LIKE", "a!!%", ptr("!"), []int64{44, 45}},
	{"LIKE", "a\U0010ffff%", nil, []int64{19}},
	{"LIKE", "\U0010ffff%", nil, []int64{20, 21, 22}},
	{"LIKE", "\U0010ffff\U0010ffff%", nil, []int64{22}},
	{"LIKE", "a\uffff%", nil, []int64{17, 18}},
	{"LIKE", "aB%", nil, []int64{8}},
	{"LIKE", "A%", nil, []int64{9, 10}},
	{"ILIKE", "a%", nil, []int64{2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 28, 29, 30, 34, 35, 36, 37, 38, 44, 45}},
	{"NOT LIKE", "a%", nil, []int64{1, 9, 10, 20, 21, 22, 23, 24, 25, 26, 27, 31, 32, 33, 39, 40, 41, 42, 43, 46, 47}},
	{"LIKE", "a\\\\%", nil, []int64{5, 28}},
	{"LIKE", "é%", nil, []int64{39, 40}},
	{"LIKE", "a\ud7ff%", nil, []int64{34}},
	{"LIKE", "😀%", nil, []int64{42}},
	{"LIKE", "a%x", nil, []int64{13, 28, 45}},
	{"LIKE", "\\a%", nil, []int64{2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 14, 15, 16, 17, 18, 19, 28, 29, 30, 34, 35, 36, 37, 38, 44, 45}},
	{"LIKE", "aÿ%", nil, []int64{15, 16}},
	{"LIKE", "a\\%", nil, []int64{3}},
	{"ILIKE", "ss%", nil, []int64{47}},
	{"LIKE", "a#%%", ptr("#"), []int64{3, 30}},
	{"LIKE", "a%", ptr(""), []int64{2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 14, 15, 16, 17, 18, 19, 28, 29, 30, 34, 35, 36, 37, 38, 44, 45}},
}

// TestLikePrefixIndexRange: LIKE with a literal prefix reads an index
// (secondary, or a TEXT primary key) over the prefix's range and answers
// as PostgreSQL does, with and without an index, with the pattern written
// or as a parameter, hot, cold after a flush, and with hot changes over
// the cold rows.
func TestLikePrefixIndexRange(t *testing.T) {
	e, root, tables := likeTables(t)
	insert := func(ids ...int) {
		for _, tb := range tables {
			for _, id := range ids {
				root.must("INSERT INTO "+tb+" (id, t) VALUES ($1, $2)", id, likeCorpus[id-1])
			}
		}
	}
	check := func(stage string) {
		t.Helper()
		for _, c := range likeCases {
			escape := ""
			if c.escape != nil {
				escape = " ESCAPE '" + *c.escape + "'"
			}
			lit := "'" + strings.ReplaceAll(c.pattern, "'", "''") + "'"
			for _, tb := range tables {
				for _, q := range []struct {
					sql    string
					params []any
				}{
					{"SELECT id FROM " + tb + " WHERE t " + c.op + " " + lit + escape, nil},
					{"SELECT id FROM " + tb + " WHERE t " + c.op + " $1" + escape, []any{c.pattern}},
				} {
					got := sortedIDs(t, root.rows(q.sql, q.params...))
					if !slices.Equal(got, c.want) {
						t.Errorf("%s: %s %v: got %v, want %v", stage, q.sql, q.params, got, c.want)
					}
				}
			}
		}
	}
	check("hot")

	for _, q := range []struct {
		sql, param, ranges string
	}{
		{"SELECT id FROM app.lkx WHERE t LIKE 'a%'", "", "ranges: [{[a, b), [NULL, ∞)}]"},
		{"SELECT id FROM app.lkx WHERE t LIKE $1", "北%", "ranges: [{[北, 匘), [NULL, ∞)}]"},
		{"SELECT id FROM app.lkp WHERE t LIKE $1 AND id > 0", "a\uffff%", "ranges: [{[a\uffff, a\U00010000)}]"},
		{"SELECT id FROM app.lkp WHERE t LIKE 'a\\%%'", "", "ranges: [{[a%, a&)}]"},
		{"SELECT id FROM app.lkp WHERE t LIKE 'a!_%' ESCAPE '!'", "", "ranges: [{[a_, a`)}]"},
		{"SELECT id FROM app.lkx WHERE t LIKE $1", "a\U0010ffff%", "ranges: [{[a\U0010ffff, b), [NULL, ∞)}]"},
		{"SELECT id FROM app.lkx WHERE t LIKE $1", "\U0010ffff%", "ranges: [{[\U0010ffff, ∞), [NULL, ∞)}]"},
	} {
		var params []any
		if q.param != "" {
			params = []any{q.param}
		}
		wantPlan(t, root.explain(q.sql, params...), "IndexScan", q.ranges)
	}
	// Without a literal prefix, or case-insensitive, there is no range.
	for _, q := range []string{"SELECT id FROM app.lkx WHERE t LIKE '%a'", "SELECT id FROM app.lkx WHERE t ILIKE 'a%'"} {
		if plan := root.explain(q); strings.Contains(plan, "IndexScan") {
			t.Errorf("%s reads an index range:\n%s", q, plan)
		}
	}

	for _, tb := range tables {
		flushTable(t, e, tb)
	}
	check("cold")
	// Hot changes over the cold rows: rows deleted and written again.
	for _, tb := range tables {
		root.must("DELETE FROM " + tb + " WHERE id IN (2, 13, 20, 23, 34)")
	}
	insert(2, 13, 20, 23, 34)
	check("hot over cold")
}

// sortedIDs reads the ids of rows' JSON (one BIGINT column) in order.
func sortedIDs(t *testing.T, rows string) []int64 {
	t.Helper()
	var rs [][]int64
	if err := json.Unmarshal([]byte(rows), &rs); err != nil {
		t.Fatalf("%s: %v", rows, err)
	}
	out := make([]int64, 0, len(rs))
	for _, r := range rs {
		out = append(out, r[0])
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
