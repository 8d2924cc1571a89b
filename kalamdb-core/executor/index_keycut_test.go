package executor_test

import (
	"testing"
)

// TestIndexKeyPastColumnType: a key an INT, SMALLINT or VARCHAR(3)
// column cannot hold (2147483648, 4294967297, 32768, 'abcd') looked up in
// an index on the column or in its primary key, by a WHERE's literal or
// parameter, IN, a range's bound, a join or EXISTS, finds what the same
// statement finds without indexes. The lookup converted the key to the
// column's type, which clamps an integer (2147483648 found 2147483647) and
// fails for a longer text, after which the engine looked up the empty
// text instead.
func TestIndexKeyPastColumnType(t *testing.T) {
	e := newEnv(t)
	a := j15Tables(t, e, "id BIGINT PRIMARY KEY, i INT, s SMALLINT, v VARCHAR(3), t TEXT", "k INT PRIMARY KEY, n BIGINT",
		[]string{"CREATE INDEX xi ON $X (i)", "CREATE INDEX xs ON $X (s)", "CREATE INDEX xv ON $X (v)"},
		"(1, 1, 1, 'ab', 'abcd'), (2, 2147483647, 32767, 'abc', 'abc'), (2147483648, -2147483648, -32768, '', 'ab'), "+
			"(4294967297, NULL, 1, 'abd', ''), (2147483647, 5, 2, 'x', 'abcdef'), (32768, 1, -1, NULL, 'ab ')",
		"(1, 10), (2147483647, 20), (-2147483648, 30), (5, 40), (32767, 50)")
	for _, q := range []struct {
		q      string
		params [][]any
	}{
		{"SELECT id FROM $X WHERE i = 2147483648", nil},
		{"SELECT id FROM $X WHERE i = -2147483649", nil},
		{"SELECT id FROM $X WHERE i IN (2147483648, 4294967297, 5)", nil},
		{"SELECT id FROM $X WHERE i = $1", [][]any{{int64(2147483648)}, {int64(4294967297)}, {int64(-2147483649)}, {int64(5)}}},
		{"SELECT id FROM $X WHERE i IN ($1, $2)", [][]any{{int64(2147483648), int64(1)}, {int64(4294967297), int64(-4294967297)}}},
		{"SELECT id FROM $X WHERE i >= $1", [][]any{{int64(2147483648)}, {int64(-2147483649)}}},
		{"SELECT id FROM $X WHERE i < $1 AND i > -2147483649", [][]any{{int64(2147483648)}, {int64(4294967297)}}},
		{"SELECT id FROM $X WHERE s = 32768", nil},
		{"SELECT id FROM $X WHERE s = $1", [][]any{{int64(32768)}, {int64(65537)}, {int64(-32769)}, {int64(2)}}},
		{"SELECT id FROM $X WHERE s <= $1", [][]any{{int64(65537)}, {int64(-32769)}}},
		{"SELECT id FROM $X WHERE v = 'abcd'", nil},
		{"SELECT id FROM $X WHERE v = $1", [][]any{{"abcd"}, {"abc"}, {""}, {"abc "}}},
		{"SELECT id FROM $X WHERE v IN ('abcd', 'ab', 'abcdef')", nil},
		{"SELECT id FROM $X WHERE v > 'abcd'", nil},
		{"SELECT id FROM $X WHERE v < 'abcd' AND v >= 'ab'", nil},
		{"SELECT n FROM $Y WHERE k = 4294967297", nil},
		{"SELECT n FROM $Y WHERE k = $1", [][]any{{int64(4294967297)}, {int64(2147483648)}, {int64(-2147483649)}, {int64(5)}}},
		{"SELECT n FROM $Y WHERE k IN (4294967297, 2147483648, 1)", nil},
		{"SELECT n FROM $Y WHERE k > $1", [][]any{{int64(-4294967297)}, {int64(2147483648)}}},
		{"SELECT x.id, y.n FROM $X x JOIN $Y y ON y.k = x.id", nil},
		{"SELECT x.id, y.n FROM $X x LEFT JOIN $Y y ON y.k = x.id WHERE x.id > $1", [][]any{{int64(0)}}},
		{"SELECT x.id FROM $X x WHERE EXISTS (SELECT 1 FROM $Y y WHERE y.k = x.id)", nil},
		{"SELECT a.id, b.id FROM $X a JOIN $X b ON b.i = a.id WHERE a.id IN (1, 2, 2147483648, 4294967297, 2147483647, 32768)", nil},
		{"SELECT a.id, b.id FROM $X a LEFT JOIN $X b ON b.s = a.id WHERE a.id IN (1, 2, 2147483648, 4294967297, 2147483647, 32768)", nil},
		{"SELECT a.id FROM $X a WHERE a.id IN (1, 2, 2147483648, 4294967297, 32768) AND EXISTS (SELECT 1 FROM $X b WHERE b.i = a.id)", nil},
		{"SELECT a.id, b.id FROM $X a JOIN $X b ON b.v = a.t WHERE a.id IN (1, 2, 2147483648, 4294967297, 2147483647, 32768)", nil},
		{"SELECT a.id, b.id FROM $X a LEFT JOIN $X b ON b.v = a.t WHERE a.id IN (1, 2, 2147483648, 4294967297, 2147483647, 32768)", nil},
		{"SELECT a.id FROM $X a WHERE a.id IN (1, 2, 2147483648, 4294967297, 2147483647) AND a.t IN (SELECT b.v FROM $X b)", nil},
	} {
		if q.params == nil {
			q.params = [][]any{nil}
		}
		for _, ps := range q.params {
			diffJoin(t, a, q.q, ps...)
		}
	}
}
