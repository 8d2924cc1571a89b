package executor_test

import (
	"slices"
	"testing"
)

// The expected answers of this file are PostgreSQL 15's.

// TestBetweenSymmetric: x BETWEEN SYMMETRIC a AND b is x between the
// smaller and the larger bound, with PostgreSQL's NULLs (the expansion's:
// (x BETWEEN a AND b) OR (x BETWEEN b AND a)), on constants, columns,
// float columns with an index, and parameters.
func TestBetweenSymmetric(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	if got, want := root.rows(`SELECT 2 BETWEEN SYMMETRIC 3 AND 1, 2 NOT BETWEEN SYMMETRIC 3 AND 1,
		NULL BETWEEN SYMMETRIC 1 AND 2, 2 BETWEEN SYMMETRIC NULL AND 1, 0 BETWEEN SYMMETRIC NULL AND 1,
		5 NOT BETWEEN SYMMETRIC NULL AND 1, 1 BETWEEN SYMMETRIC 1 AND 1, 'b' BETWEEN SYMMETRIC 'c' AND 'a',
		'NaN'::float8 BETWEEN SYMMETRIC 1 AND 'NaN', 1 BETWEEN SYMMETRIC 2 AND 3`),
		`[[true,false,null,null,null,null,true,true,true,false]]`; got != want {
		t.Errorf("constants: %s, want %s", got, want)
	}
	root.must(`CREATE NAMESPACE app; CREATE TABLE app.f (id BIGINT PRIMARY KEY, d DOUBLE, r REAL);
		CREATE INDEX f_r ON app.f (r); CREATE INDEX f_d ON app.f (d)`)
	root.must("INSERT INTO app.f VALUES " + floatRows)
	for _, c := range []struct {
		cond   string
		params []any
		want   []int64
	}{
		{"r BETWEEN SYMMETRIC 0.5 AND 0.1", nil, []int64{1, 2, 5, 16, 17}},
		{"d NOT BETWEEN SYMMETRIC 2 AND -2", nil, []int64{3, 4, 6, 7, 8, 13}},
		{"d BETWEEN SYMMETRIC $1 AND $2", []any{2, -2}, []int64{1, 2, 5, 9, 10, 12, 14, 15, 16, 17}},
		{"id BETWEEN SYMMETRIC 3 AND 1", nil, []int64{1, 2, 3}},
	} {
		q := "SELECT id FROM app.f WHERE " + c.cond
		if got := sortedIDs(t, root.rows(q, c.params...)); !slices.Equal(got, c.want) {
			t.Errorf("%s %v: got %v, want %v", q, c.params, got, c.want)
		}
	}
}
