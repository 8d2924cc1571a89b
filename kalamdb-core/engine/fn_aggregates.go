package engine

import (
	"encoding/json"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// GROUP_CONCAT, JSON_ARRAYAGG and JSON_OBJECTAGG keep something of every
// row of their group until the group ends: GROUP_CONCAT the whole input
// row (its result is capped at group_concat_max_len, its state is not),
// the JSON aggregates every value. Over a cross join that is any number of
// rows. holdAggregates puts each of them behind heldAggregation, which
// charges every row it keeps to the statement's memory budget before the
// engine's buffer takes it. The engine builds GROUP_CONCAT itself while
// planning, so the swap happens when a grouping is built for execution
// (checkedBuilder), which also covers subqueries.

// holdAggregates returns n with its row-keeping aggregates held, or n.
func holdAggregates(n sql.Node) (sql.Node, error) {
	if _, ok := n.(*plan.GroupBy); !ok {
		return n, nil
	}
	out, _, err := transform.OneNodeExpressions(n, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		return transform.Expr(e, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
			if h := holdAggregate(e); h != nil {
				return h, transform.NewTree, nil
			}
			return e, transform.SameTree, nil
		})
	})
	return out, err
}

func holdAggregate(e sql.Expression) sql.Expression {
	switch a := e.(type) {
	case *aggregation.GroupConcat:
		return &heldAggregation{Aggregation: a, name: "GROUP_CONCAT()"}
	case *aggregation.JsonArray:
		return &heldAggregation{Aggregation: a, name: "JSON_ARRAYAGG()"}
	case *aggregation.JSONObjectAgg:
		return &heldAggregation{Aggregation: a, name: "JSON_OBJECTAGG()"}
	}
	return nil
}

// heldAggregation is an aggregation whose buffer charges each row.
type heldAggregation struct {
	sql.Aggregation
	name string
}

func (a *heldAggregation) NewBuffer() (sql.AggregationBuffer, error) {
	b, err := a.Aggregation.NewBuffer()
	if err != nil {
		return nil, err
	}
	return &heldBuffer{AggregationBuffer: b, name: a.name}, nil
}

func (a *heldAggregation) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	e, err := a.Aggregation.WithChildren(children...)
	if err != nil {
		return nil, err
	}
	if agg, ok := e.(sql.Aggregation); ok {
		return &heldAggregation{Aggregation: agg, name: a.name}, nil
	}
	return e, nil
}

func (a *heldAggregation) WithId(id sql.ColumnId) sql.IdExpression {
	if agg, ok := a.Aggregation.WithId(id).(sql.Aggregation); ok {
		return &heldAggregation{Aggregation: agg, name: a.name}
	}
	return a.Aggregation.WithId(id)
}

// heldBuffer charges each row before the engine's buffer keeps it.
type heldBuffer struct {
	sql.AggregationBuffer
	name string
}

func (b *heldBuffer) Update(ctx *sql.Context, row sql.Row) error {
	if err := hold(ctx, b.name, rowSize(row)); err != nil {
		return err
	}
	return b.AggregationBuffer.Update(ctx, row)
}

// rowSize is about the memory a row's values hold.
func rowSize(row sql.Row) int64 {
	n := int64(24 + 16*len(row))
	for _, v := range row {
		n = addSize(n, valueSize(v))
	}
	return n
}

// valueSize is about the memory one engine value holds beyond its slot.
func valueSize(v any) int64 {
	switch x := v.(type) {
	case string:
		return int64(len(x))
	case []byte:
		return int64(len(x))
	case json.RawMessage:
		return int64(len(x))
	case types.JSONDocument:
		if n, ok := jsonSize(x.Val, DefaultMaxValueBytes); ok {
			return n
		}
		return DefaultMaxValueBytes
	}
	return 0
}
