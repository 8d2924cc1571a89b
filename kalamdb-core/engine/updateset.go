package engine

import (
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// An UPDATE's SET list, read as PostgreSQL reads it. Every expression of
// the list sees the row as it was before the UPDATE (the SQL standard), so
// SET a = b, b = a swaps the two columns. The engine applies the list's
// SetFields one after another, each over the row the ones before it built
// (MySQL's rule: the swap writes b into both). oldRowAssignments keeps the
// SetFields, with their conversions and errors, and evaluates every one of
// them over the old row; the positions after the first become keepRow, so
// the engine's loop (which wants as many expressions as it had) applies
// the whole list once. A column assigned twice is refused, as PostgreSQL
// refuses it, before anything runs.

// setList returns the SET list to run for exprs, the engine's SetFields
// after checkUpdate typed them: exprs itself for one assignment, and
// otherwise one oldRowAssignments followed by keepRows. (Keeping the
// engine's list where no assignment reads a column an earlier one writes
// would need to see through subqueries, which read the outer row through
// fields of their own plans; the old row costs one more copy of it.)
func setList(exprs []sql.Expression) ([]sql.Expression, error) {
	if len(exprs) < 2 {
		return exprs, nil
	}
	if _, done := exprs[0].(*oldRowAssignments); done {
		return exprs, nil
	}
	sets := make([]*expression.SetField, 0, len(exprs))
	written := make(map[int]bool, len(exprs))
	for _, e := range exprs {
		sf, ok := e.(*expression.SetField)
		if !ok {
			return nil, apierror.New(apierror.InternalError, "an UPDATE's assignment is %T", e)
		}
		gf, ok := sf.LeftChild.(*expression.GetField)
		if !ok {
			return nil, apierror.New(apierror.InternalError, "an UPDATE assigns to %T", sf.LeftChild)
		}
		if written[gf.Index()] {
			return nil, apierror.New(apierror.InvalidSQL, "multiple assignments to same column %q", strings.ToLower(gf.Name()))
		}
		written[gf.Index()] = true
		sets = append(sets, sf)
	}
	out := make([]sql.Expression, len(exprs))
	out[0] = &oldRowAssignments{sets: sets}
	for i := 1; i < len(out); i++ {
		out[i] = keepRow{}
	}
	return out, nil
}

// oldRowAssignments applies every assignment of a SET list over the row as
// it was: each SetField runs over the old row (its conversion and range
// checks included) and gives its column's value to the new one.
type oldRowAssignments struct {
	sets []*expression.SetField
}

var _ sql.Expression = (*oldRowAssignments)(nil)

func (a *oldRowAssignments) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	out := row.Copy()
	for _, sf := range a.sets {
		v, err := sf.Eval(ctx, row)
		if err != nil {
			return nil, err
		}
		i := sf.LeftChild.(*expression.GetField).Index()
		out[i] = v.(sql.Row)[i]
	}
	return out, nil
}

func (a *oldRowAssignments) Resolved() bool {
	for _, sf := range a.sets {
		if !sf.Resolved() {
			return false
		}
	}
	return true
}

func (a *oldRowAssignments) String() string {
	parts := make([]string, len(a.sets))
	for i, sf := range a.sets {
		parts[i] = sf.String()
	}
	return strings.Join(parts, ", ")
}

func (a *oldRowAssignments) Type() sql.Type   { return a.sets[0].Type() }
func (a *oldRowAssignments) IsNullable() bool { return false }

func (a *oldRowAssignments) Children() []sql.Expression {
	out := make([]sql.Expression, len(a.sets))
	for i, sf := range a.sets {
		out[i] = sf
	}
	return out
}

func (a *oldRowAssignments) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != len(a.sets) {
		return nil, sql.ErrInvalidChildrenNumber.New(a, len(children), len(a.sets))
	}
	sets := make([]*expression.SetField, len(children))
	for i, c := range children {
		sf, ok := c.(*expression.SetField)
		if !ok {
			return nil, apierror.New(apierror.InternalError, "an UPDATE's assignment became %T", c)
		}
		sets[i] = sf
	}
	return &oldRowAssignments{sets: sets}, nil
}

// keepRow stands in the SET list's later positions once oldRowAssignments
// applied them all: it gives the row on unchanged.
type keepRow struct{}

var _ sql.Expression = keepRow{}

func (keepRow) Eval(_ *sql.Context, row sql.Row) (any, error) { return row, nil }
func (keepRow) Resolved() bool                                { return true }
func (keepRow) String() string                                { return "(applied above)" }
func (keepRow) Type() sql.Type                                { return types.Null }
func (keepRow) IsNullable() bool                              { return false }
func (keepRow) Children() []sql.Expression                    { return nil }
func (k keepRow) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 0 {
		return nil, sql.ErrInvalidChildrenNumber.New(k, len(children), 0)
	}
	return k, nil
}
