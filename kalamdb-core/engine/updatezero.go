package engine

import (
	"math"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/plan"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
)

// The engine writes only the rows of an UPDATE whose new values differ
// from the old (rowexec.updateIter compares them), and it compares floats
// by value: -0 equals 0, so UPDATE t SET f = '-0'::float8 over a 0 wrote
// nothing, while PostgreSQL stores -0 (and RETURNING, evaluated over the
// new row, answered -0 that SELECT did not read). zeroSignIter marks such
// a row changed the way DELETE ... RETURNING does (withReturning): its
// new _seq is NULL, which the editor never reads (it assigns the
// version's _seq itself).

// zeroSignIter passes on the old and new rows of an UPDATE (the rows of
// plan.UpdateSource: the old row, then the new) and marks changed a new
// row whose only changes are the signs of float zeros.
type zeroSignIter struct {
	child sql.RowIter
	// width is the table's row width, seq its _seq column.
	width, seq int
}

// zeroSigned wraps the iterator of us, when its rows are one table's
// with a _seq column.
func zeroSigned(us *plan.UpdateSource, it sql.RowIter) sql.RowIter {
	sch, err := us.GetChildSchema()
	if err != nil || it == nil {
		return it
	}
	seq := -1
	for i, c := range sch {
		if c.Name != schema.SeqColumn {
			continue
		}
		if seq >= 0 {
			// A join update's rows hold several tables: which _seq
			// marks the changed one is not worked out here.
			return it
		}
		seq = i
	}
	if seq < 0 {
		return it
	}
	return &zeroSignIter{child: it, width: len(sch), seq: seq}
}

func (it *zeroSignIter) Next(ctx *sql.Context) (sql.Row, error) {
	row, err := it.child.Next(ctx)
	if err != nil || len(row) != 2*it.width {
		return row, err
	}
	old, next := row[:it.width], row[it.width:]
	for i := range old {
		if zeroSignChanged(old[i], next[i]) {
			next[it.seq] = nil
			break
		}
	}
	return row, nil
}

// zeroSignChanged reports whether a and b are float zeros of opposite
// signs.
func zeroSignChanged(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && x == 0 && y == 0 && math.Signbit(x) != math.Signbit(y)
	case float32:
		y, ok := b.(float32)
		return ok && x == 0 && y == 0 && math.Signbit(float64(x)) != math.Signbit(float64(y))
	}
	return false
}

func (it *zeroSignIter) Close(ctx *sql.Context) error { return it.child.Close(ctx) }
