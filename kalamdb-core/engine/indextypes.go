package engine

import (
	"context"
	"time"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
)

// plannerType is the type the engine's index planner is given for an
// index column: the column's own type, except that a DATE or TIMESTAMP
// column's accepts a time outside the years 0001..9999 (boundTime).
func plannerType(t sql.Type) sql.Type {
	if dt, ok := t.(sql.DatetimeType); ok {
		return boundTime{dt}
	}
	return t
}

// boundTime is a DATE or TIMESTAMP column's type in the index planner.
// The planner converts each compared value to the column's type before it
// builds ranges, and failed the statement on a time the type cannot hold
// (d < CURRENT_DATE + 3000000 in an UPDATE, where nothing folded the bound
// first), while the same comparison without an index answered. Such a
// time is kept as it is: the ranges still order it against the column's
// values, and a range bound that does not convert to the column's type
// leaves that side of the index range open (indexCut, cutKey), so the
// lookup reads a superset of the rows and the filter, which stays over
// every lookup, decides. Constants are rewritten before planning
// (timeBeyondRange), so this path only serves bounds computed at planning.
type boundTime struct {
	sql.DatetimeType
}

func (t boundTime) Convert(ctx context.Context, v any) (any, sql.ConvertInRange, error) {
	if tm, ok := v.(time.Time); ok && !row.InTimeRange(tm) {
		return tm, sql.InRange, nil
	}
	return t.DatetimeType.Convert(ctx, v)
}

// Equals compares the column types: the planner checks that a range's
// type is its index's.
func (t boundTime) Equals(o sql.Type) bool {
	if b, ok := o.(boundTime); ok {
		o = b.DatetimeType
	}
	return t.DatetimeType.Equals(o)
}
