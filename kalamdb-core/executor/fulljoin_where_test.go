package executor_test

import (
	"strings"
	"testing"
)

// TestFullJoinWhereAboveJoin: a WHERE over a FULL JOIN is evaluated on
// the joined rows, with and without indexes, in the shapes below, as
// PostgreSQL 15 answers them (the wants). The engine pushed a condition
// on one side below the join, which then returned the rows it rejected as
// the other side's unmatched rows.
func TestFullJoinWhereAboveJoin(t *testing.T) {
	e := newEnv(t)
	a := j15Tables(t, e, "id BIGINT PRIMARY KEY, k BIGINT, p BIGINT, v TEXT", "id BIGINT PRIMARY KEY, k BIGINT, p BIGINT, v TEXT",
		[]string{"CREATE INDEX xk ON $X (k)", "CREATE INDEX xp ON $X (p)", "CREATE INDEX yk ON $Y (k)"}, nullRows(20, 7), nullRows(24, 9))
	for _, q := range []struct {
		q      string
		params []any
		want   string
	}{
		{"SELECT x.id, y.id FROM $X x FULL JOIN $Y y ON y.k = x.k WHERE x.id IN (1, 2, 4, 8)", nil, "[1,10] [1,19] [1,1] [2,11] [2,2] [4,null] [8,null]"},
		{"SELECT x.id, y.id FROM $X x FULL JOIN $Y y ON y.k = x.k WHERE y.id IN (1, 2, 4, 8)", nil, "[1,1] [15,1] [2,2] [9,2] [null,4] [null,8]"},
		{"SELECT x.id, y.id FROM $X x FULL JOIN $Y y ON y.k = x.k WHERE x.id = $1", []any{int64(3)}, "[3,21] [3,3]"},
		{"SELECT x.id, y.id FROM $X x FULL JOIN $Y y ON y.k = x.k WHERE y.id IS NULL", nil, "[12,null] [16,null] [20,null] [4,null] [8,null]"},
		{"SELECT x.id, y.id FROM $X x FULL JOIN $Y y ON y.k = x.k WHERE x.id IS NULL", nil, "[null,12] [null,16] [null,17] [null,20] [null,24] [null,4] [null,7] [null,8]"},
		{"SELECT x.id, y.id FROM $X x FULL JOIN $Y y ON y.k = x.k WHERE x.p = 1 AND y.p = 2", nil, "[11,22]"},
		{"SELECT x.id, y.id FROM $X x FULL JOIN $Y y ON y.k = x.k WHERE x.p = 1 OR y.p = 2", nil, "[1,10] [1,19] [1,1] [11,13] [11,22] [16,null] [18,22] [2,2] [9,2] [null,17] [null,7]"},
		{"SELECT x.id, y.id FROM $X x FULL JOIN $Y y ON y.k = x.k WHERE COALESCE(x.k, y.k) = 3", nil, "[10,21] [10,3] [17,21] [17,3] [3,21] [3,3]"},
		{"SELECT x.id, y.id FROM $X x FULL JOIN $Y y ON y.k = x.k WHERE x.k IS NULL AND y.id < 10", nil, "[null,4] [null,7] [null,8]"},
		{"SELECT x.id, y.id FROM $X x FULL JOIN $Y y ON y.k = x.k AND x.p = 1 WHERE y.id IN (3, 4, 10)", nil, "[1,10] [null,3] [null,4]"},
		{"SELECT x.id, y.id FROM $X x FULL JOIN $Y y ON y.k = x.k WHERE x.v = 'v4'", nil, "[4,null]"},
		{"SELECT count(*) FROM $X x FULL JOIN $Y y ON y.k = x.k WHERE x.p = 2", nil, "[6]"},
		{"SELECT x.id, y.id FROM $X x FULL JOIN $Y y ON y.k = x.k WHERE x.id IN (SELECT id FROM $Y WHERE p = 1)", nil, "[1,10] [1,19] [1,1] [11,13] [11,22] [16,null]"},
		{"SELECT s.id, y.id FROM (SELECT id, k FROM $X WHERE p = 1) s FULL JOIN $Y y ON y.k = s.k WHERE s.id < 12", nil, "[1,10] [1,19] [1,1] [11,13] [11,22]"},
		{"SELECT s.id, y.id FROM (SELECT id, k FROM $X WHERE p = 1) s FULL JOIN $Y y ON y.k = s.k WHERE y.id < 12", nil, "[1,10] [1,1] [null,11] [null,2] [null,3] [null,4] [null,5] [null,6] [null,7] [null,8] [null,9]"},
		{"SELECT x.id, y.id FROM $X x FULL JOIN (SELECT id, k FROM $Y WHERE p IS NULL) y ON y.k = x.k WHERE x.id < 5", nil, "[1,null] [2,null] [3,21] [3,3] [4,null]"},
		{"SELECT x.id, y.id, z.id FROM $X x JOIN $Y z ON z.id = x.id FULL JOIN $Y y ON y.k = x.k WHERE z.p = 1", nil, "[1,1,1] [1,10,1] [1,19,1] [11,13,11] [11,22,11] [16,null,16]"},
		{"SELECT x.id, y.id, z.id FROM $X x FULL JOIN $Y y ON y.k = x.k JOIN $X z ON z.id = y.id WHERE x.p = 2", nil, "[17,3,3] [2,11,11] [2,2,2] [7,18,18] [7,9,9]"},
		{"SELECT x.id, y.id, z.id FROM $X x FULL JOIN $Y y ON y.k = x.k LEFT JOIN $X z ON z.id = x.id WHERE y.p = 1", nil, "[1,1,1] [15,1,15] [2,11,2] [9,11,9] [null,16,null]"},
		{"SELECT s.xid, s.yid FROM (SELECT x.id AS xid, y.id AS yid FROM $X x FULL JOIN $Y y ON y.k = x.k) s WHERE s.xid IN (1, 2, 4, 8)", nil, "[1,10] [1,19] [1,1] [2,11] [2,2] [4,null] [8,null]"},
		{"WITH s AS (SELECT x.id AS xid, y.id AS yid, y.p AS yp FROM $X x FULL JOIN $Y y ON y.k = x.k) SELECT xid, yid FROM s WHERE yp = 1", nil, "[1,1] [15,1] [2,11] [9,11] [null,16]"},
		{"SELECT x.id, y.id FROM $X x FULL JOIN $Y y ON y.k = x.k WHERE x.id IN (1, 2, 4, 8) ORDER BY x.id, y.id LIMIT 3", nil, "[1,10] [1,19] [1,1]"},
	} {
		qi := strings.NewReplacer("$X", "ns.x", "$Y", "ns.y").Replace(q.q)
		if got := strings.ReplaceAll(rowSet(a, qi, q.params...), "\n", " "); got != q.want {
			t.Errorf("%s %v: %s, want %s (PostgreSQL 15)", qi, q.params, got, q.want)
		}
		diffJoin(t, a, q.q, q.params...)
	}
}
