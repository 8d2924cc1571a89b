package engine

import (
	"context"
	"math"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// PostgreSQL's real holds ±Infinity; the engine's REAL conversion, which
// INSERT and UPDATE run on every value they write, takes an infinity for
// a value past REAL's largest and refuses it (INSERT) or makes it
// 3.4028235e38 (UPDATE's SET). A value reaches it already typed
// (KalamDB's casts and assignment rules read 'Infinity' and round a
// double to a REAL, with PostgreSQL's range errors), so the writes are
// built with realColumnType for the REAL columns, whose conversion keeps
// infinities. The plan keeps the engine's own type everywhere else.

// realColumnType is the engine's REAL type with infinities in range.
type realColumnType struct{ sql.NumberType }

func (t realColumnType) Convert(ctx context.Context, v any) (any, sql.ConvertInRange, error) {
	switch x := v.(type) {
	case float32:
		if math.IsInf(float64(x), 0) {
			return x, sql.InRange, nil
		}
	case float64:
		if math.IsInf(x, 0) {
			return float32(x), sql.InRange, nil
		}
	}
	return t.NumberType.Convert(ctx, v)
}

// isRealType reports whether t is the engine's REAL.
func isRealType(t sql.Type) bool { return t == types.Float32 }

// realInsert is ii with its destination's REAL columns of realColumnType,
// or ii itself when it writes none.
func realInsert(ii *plan.InsertInto) *plan.InsertInto {
	sch := ii.Destination.Schema()
	var out sql.Schema
	for i, c := range sch {
		if !isRealType(c.Type) {
			continue
		}
		if out == nil {
			out = sch.Copy()
		}
		out[i].Type = realColumnType{types.Float32}
	}
	if out == nil {
		return ii
	}
	cp := *ii
	cp.Destination = plan.NewInsertDestination(out, ii.Destination)
	return &cp
}

// realUpdate is us with the REAL columns its SET writes of
// realColumnType, or us itself when it writes none.
func realUpdate(us *plan.UpdateSource) (*plan.UpdateSource, error) {
	var out []sql.Expression
	for i, e := range us.UpdateExprs {
		sf, ok := e.(*expression.SetField)
		if !ok {
			continue
		}
		gf, ok := sf.LeftChild.(*expression.GetField)
		if !ok || !isRealType(gf.Type()) {
			continue
		}
		if out == nil {
			out = append([]sql.Expression(nil), us.UpdateExprs...)
		}
		left := expression.NewGetFieldWithTable(gf.Index(), int(gf.TableId()), realColumnType{types.Float32},
			gf.Database(), gf.Table(), gf.Name(), gf.IsNullable()).WithId(gf.Id()).(*expression.GetField)
		out[i] = expression.NewSetField(left, sf.RightChild)
	}
	if out == nil {
		return us, nil
	}
	n, err := us.WithExpressions(out...)
	if err != nil {
		return nil, err
	}
	return n.(*plan.UpdateSource), nil
}
