package engine

import (
	"context"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// Text sorts by code point (PostgreSQL's "C" collation, DataFusion's
// order), which for UTF-8 is the order of the bytes. The engine's text
// comparison walks both texts rune by rune through its collation's weight
// table (about 40 ns a rune), and its sorts never look at the statement's
// context: 100 rows of 100 KB sharing a long prefix took 3.3 s to sort,
// and 1,000 ran past the time limit unnoticed. So every text key of a
// sort, a top-N and a window (ORDER BY and PARTITION BY) is read through
// kdb_text_order, whose type compares the bytes (memcmp) and fails once
// the statement has ended.
//
// The keys are wrapped after the planner has finished with the plan
// (textSortKeys is a post-analysis rule), not where float and JSON keys
// are: the planner matches sort keys with index expressions by their
// text, and a primary key or an index on a text column must still be
// able to return rows in the sort's order (sortByIndex, and the engine's
// own replaceIdxSort, see ORDER BY <index columns> LIMIT n). The same
// rule makes min and max of texts without GROUP BY KalamDB's aggregate
// (textExtremes). Groupings and DISTINCT hash their texts, once per row;
// they are left as they are.

// textOrderRuleID identifies textSortKeys in the engine's traces.
const textOrderRuleID analyzer.RuleId = 10_010

// The engine analyzes an INSERT of constants and a single-table UPDATE or
// DELETE with a short rule list of its own (see pgTypes), which skips the
// post-analyze rules: SET same = a IN (b, b, ...) over texts of 16 MiB
// compared runes for minutes past the time limit. That list ends with the
// engine's once-after-all rules, so textSortKeys runs there too (rules.go
// registers it). The analyzer of the full path (newAnalyzer) copies that
// list when it is built and leaves the rule out of its copy: there it
// runs once, as a post-analyze rule, instead of walking the whole plan a
// second time to find every key wrapped already.

// textCheckBytes is how many equal bytes a text comparison reads between
// two looks at the statement's context: each comparison looks once
// first, and texts sharing a long prefix again every textCheckBytes, so
// no comparison runs longer than a memcmp of 64 KiB (a few µs) after the
// statement ended.
const textCheckBytes = 64 << 10

// textOrderType is the type of kdb_text_order: text ordered by its bytes.
// It is not a text type to familyOf, so a key is never wrapped twice.
type textOrderType struct{ sql.StringType }

// Equals implements sql.Type: the engine compares two operands through
// their common type only when their types are equal (types.TypesEqual),
// so two kdb_text_order keys must be equal types for a comparison of
// them to compare bytes (textComparison).
func (textOrderType) Equals(other sql.Type) bool {
	_, ok := other.(textOrderType)
	return ok
}

// Promote implements sql.Type: an IN list compares its items through
// the promoted type of its left operand, which must stay this one.
func (t textOrderType) Promote() sql.Type { return t }

// Compare implements sql.Type: NULLs as the engine's types do, texts by
// their bytes. It fails with the statement's error once its context has
// ended (statementEnded); the engine's sort keeps the first error,
// stops comparing and returns it.
func (textOrderType) Compare(ctx context.Context, a, b any) (int, error) {
	if err := statementEnded(ctx); err != nil {
		return 0, err
	}
	if hasNulls, res := types.CompareNulls(a, b); hasNulls {
		return res, nil
	}
	x, ok := a.(string)
	if !ok {
		x, _ = toText(a)
	}
	y, ok := b.(string)
	if !ok {
		y, _ = toText(b)
	}
	return compareTextChecked(ctx, x, y)
}

// compareTextChecked is strings.Compare(a, b), looking at ctx after every
// textCheckBytes equal bytes.
func compareTextChecked(ctx context.Context, a, b string) (int, error) {
	for len(a) > textCheckBytes && len(b) > textCheckBytes {
		if c := strings.Compare(a[:textCheckBytes], b[:textCheckBytes]); c != 0 {
			return c, nil
		}
		if err := statementEnded(ctx); err != nil {
			return 0, err
		}
		a, b = a[textCheckBytes:], b[textCheckBytes:]
	}
	return strings.Compare(a, b), nil
}

// compareValuesChecked is compareValues(fam, a, b), for two texts
// looking at ctx first and between chunks of a long shared prefix
// (compareTextChecked): KalamDB's own comparisons of values (ordered
// aggregates, GREATEST and LEAST, a simple CASE, NULLIF) can compare any
// number of long texts in one evaluation, which no operator's look at
// the context between rows or evaluations interrupts.
func compareValuesChecked(ctx context.Context, fam family, a, b any) (int, error) {
	switch fam {
	case famText, famUUID, famUnknown:
		if x, ok := a.(string); ok {
			if y, ok := b.(string); ok {
				if err := statementEnded(ctx); err != nil {
					return 0, err
				}
				return compareTextChecked(ctx, x, y)
			}
		}
	}
	return compareValues(fam, a, b)
}

// statementEnded is the cause of ctx's end, nil while it is live (or
// when there is no context: a nil one, or a nil *sql.Context). A look is
// a non-blocking receive from ctx.Done(), a few ns: cheap enough for
// every comparison of a sort.
func statementEnded(ctx context.Context) error {
	if ctx == nil {
		return nil
	}
	if sc, isSQL := ctx.(*sql.Context); isSQL && sc == nil {
		return nil
	}
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	default:
		return nil
	}
}

// textOrderKey is a text sort key (kdb_text_order): the text itself, of
// textOrderType. It evaluates its argument straight from the row (lazy):
// the engine's sort evaluates its keys at every comparison, and a call
// through pgFunc's eval would allocate its argument list each time.
func textOrderKey(args []sql.Expression) (*pgFunc, error) {
	if len(args) != 1 {
		return nil, sqlError("kdb_text_order takes one argument")
	}
	f := newFuncOfType(args, textOrderType{types.LongText}, nil)
	f.lazy = evalTextOrderKey
	f.name, f.build = "kdb_text_order", textOrderKey
	return f, nil
}

func evalTextOrderKey(f *pgFunc, ctx *sql.Context, row sql.Row) (any, error) {
	return f.args[0].Eval(ctx, row)
}

// textKey is e read through kdb_text_order when e is text; ok is false
// for other families (and for a key already wrapped).
func textKey(e sql.Expression) (sql.Expression, bool, error) {
	if familyOf(e) != famText {
		return e, false, nil
	}
	k, err := textOrderKey([]sql.Expression{e})
	if err != nil {
		return nil, false, err
	}
	return k, true, nil
}

// textSortFields reads the text keys of fields through kdb_text_order.
func textSortFields(fields sql.SortFields) (sql.SortFields, bool, error) {
	return replaceSortKeys(fields, textKey)
}

// textSortKeys reads the text keys of every sort, top-N, ordered set
// operation and window of a plan, and the text comparisons its operators
// evaluate per row, through kdb_text_order, and makes the min and max of
// texts of a grouping without keys KalamDB's.
func textSortKeys(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.Node(n, func(node sql.Node) (sql.Node, transform.TreeIdentity, error) {
		out, same, err := textSortNode(node)
		if err != nil {
			return nil, transform.SameTree, err
		}
		out, cmpSame, err := textComparisonsOf(out)
		if err != nil {
			return nil, transform.SameTree, err
		}
		return out, same && cmpSame, nil
	})
}

// textExtremes makes the min and max of texts of a grouping without keys
// KalamDB's aggregate, which compares bytes: the engine's compares every
// row's text with the value kept through its collation (min and max of
// 100 texts of 100 KB sharing a prefix took 2.3 s). A grouping by keys
// has KalamDB's already (groupedExtremes); this runs after the planner,
// which may have answered the min or max of an indexed text from its
// index, leaving no grouping.
func textExtremes(gb *plan.GroupBy) (sql.Node, transform.TreeIdentity, error) {
	if len(gb.GroupByExprs) > 0 {
		return gb, transform.SameTree, nil
	}
	exprs, same, err := transform.Exprs(gb.SelectedExprs, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		return pgExtreme(e, func(f family) bool { return f == famText })
	})
	if err != nil || same {
		return gb, transform.SameTree, err
	}
	n, err := gb.WithExpressions(exprs...)
	if err != nil {
		return nil, transform.SameTree, err
	}
	return n, transform.NewTree, nil
}

// textComparisonsOf reads the text comparisons of node's expressions
// through kdb_text_order (textComparisons): every operator that evaluates
// expressions per row or per comparison (a sort key such as ORDER BY x IN
// (...) is evaluated at every comparison of the sort), conditions through
// textCondition. Index lookups and other nodes are left as they are.
func textComparisonsOf(node sql.Node) (sql.Node, transform.TreeIdentity, error) {
	switch node.(type) {
	case *plan.Project, *plan.GroupBy, *plan.Sort, *plan.TopN, *plan.Window, *plan.UpdateSource, *plan.Update, *plan.InsertInto:
		// An UPDATE's and an INSERT's expressions are their RETURNING
		// list (and ON CONFLICT assignments), evaluated per row written.
		return rootExpressions(node, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
			return textComparisons(e, false)
		})
	case *plan.Filter, *plan.Having, *plan.JoinNode:
		return rootExpressions(node, textCondition)
	}
	return node, transform.SameTree, nil
}

// rootExpressions applies f once to each of node's own expressions.
// textComparisons and textCondition walk the whole expression
// themselves: transform.OneNodeExpressions would apply them to every
// subexpression again, walking an OR chain of n terms n times (planning
// allocated gigabytes for 8,000 terms).
func rootExpressions(node sql.Node, f func(sql.Expression) (sql.Expression, transform.TreeIdentity, error)) (sql.Node, transform.TreeIdentity, error) {
	ne, ok := node.(sql.Expressioner)
	if !ok {
		return node, transform.SameTree, nil
	}
	exprs := ne.Expressions()
	var out []sql.Expression
	for i, e := range exprs {
		r, same, err := f(e)
		if err != nil {
			return nil, transform.SameTree, err
		}
		if same == transform.NewTree {
			if out == nil {
				out = append([]sql.Expression(nil), exprs...)
			}
			out[i] = r
		}
	}
	if out == nil {
		return node, transform.SameTree, nil
	}
	n, err := ne.WithExpressions(out...)
	if err != nil {
		return nil, transform.SameTree, err
	}
	return n, transform.NewTree, nil
}

// textSortNode reads the text keys of node, when it is a sort, a top-N,
// an ordered set operation or a window, through kdb_text_order.
func textSortNode(node sql.Node) (sql.Node, transform.TreeIdentity, error) {
	switch x := node.(type) {
	case *plan.Sort:
		fields, changed, err := textSortFields(x.SortFields)
		if err != nil || !changed {
			return node, transform.SameTree, err
		}
		return plan.NewSort(fields, x.Child), transform.NewTree, nil
	case *plan.TopN:
		fields, changed, err := textSortFields(x.Fields)
		if err != nil || !changed {
			return node, transform.SameTree, err
		}
		c := *x
		c.Fields = fields
		return &c, transform.NewTree, nil
	case *plan.SetOp:
		fields, changed, err := textSortFields(x.SortFields)
		if err != nil || !changed {
			return node, transform.SameTree, err
		}
		c := *x
		c.SortFields = fields
		return &c, transform.NewTree, nil
	case *plan.Window:
		return textWindowKeys(x)
	case *plan.GroupBy:
		return textExtremes(x)
	}
	return node, transform.SameTree, nil
}

// textWindowKeys reads the text keys of w's window definitions, ORDER BY
// and PARTITION BY (the engine sorts a window's rows by both, and splits
// partitions comparing their keys), and the text comparisons inside those
// keys, through kdb_text_order (textWindowKey).
func textWindowKeys(w *plan.Window) (sql.Node, transform.TreeIdentity, error) {
	exprs, same, err := transform.Exprs(w.SelectExprs, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		wa, ok := e.(sql.WindowAdaptableExpression)
		if !ok || wa.Window() == nil {
			return e, transform.SameTree, nil
		}
		def := *wa.Window()
		order, orderChanged, err := replaceSortKeys(def.OrderBy, textWindowKey)
		if err != nil {
			return nil, transform.SameTree, err
		}
		parts, partsChanged, err := replaceKeys(def.PartitionBy, textWindowKey)
		if err != nil {
			return nil, transform.SameTree, err
		}
		if !orderChanged && !partsChanged {
			return e, transform.SameTree, nil
		}
		def.OrderBy, def.PartitionBy = order, parts
		return wa.WithWindow(&def), transform.NewTree, nil
	})
	if err != nil || same {
		return w, transform.SameTree, err
	}
	n, err := w.WithExpressions(exprs...)
	if err != nil {
		return nil, transform.SameTree, err
	}
	return n, transform.NewTree, nil
}

// textWindowKey is a window's ORDER BY or PARTITION BY key e with its
// text comparisons read through kdb_text_order (textComparisons), then e
// itself when it is text (textKey). A window's keys are not among its
// node's expressions (textComparisonsOf never sees them), and the window
// evaluates them at every comparison of its sort: ORDER BY a IN (b, b,
// ...) over texts of 16 MiB compared runes for minutes in one evaluation,
// which the window's own look at the context (stopKey) only precedes.
func textWindowKey(e sql.Expression) (sql.Expression, bool, error) {
	c, same, err := textComparisons(e, false)
	if err != nil {
		return nil, false, err
	}
	k, wrapped, err := textKey(c)
	if err != nil {
		return nil, false, err
	}
	return k, wrapped || same == transform.NewTree, nil
}

// textComparisons reads the text operands of the comparisons and IN lists
// of e through kdb_text_order, so they compare bytes and stop with their
// statement. The engine's own text comparison walks runes through its
// collation (about 40 ns a rune) and never looks at the context: one
// expression of one row, x IN (a, b, ...) or x = a OR x = b ... over
// texts of 16 MiB, compared 1,000 texts in ten minutes past a time limit
// of one second. In a condition (keepColumnConst), a column compared with
// a constant or a parameter, or with an IN list of them
// (columnConstList), is left as it is (textCondition): the shape the
// planner matches with indexes, whose cost the sizes of the statement
// and its parameters bound.
func textComparisons(e sql.Expression, keepColumnConst bool) (sql.Expression, transform.TreeIdentity, error) {
	return transform.Expr(e, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		switch x := e.(type) {
		case *expression.InTuple:
			items, ok := x.Right().(expression.Tuple)
			if !ok || familyOf(x.Left()) != famText || !textOperands(items...) || (keepColumnConst && columnConstList(x.Left(), items)) {
				return e, transform.SameTree, nil
			}
			l, _, err := textKey(x.Left())
			if err != nil {
				return nil, transform.SameTree, err
			}
			return expression.NewInTuple(l, items), transform.NewTree, nil
		}
		op, ok := comparisonOp(e)
		if !ok {
			return e, transform.SameTree, nil
		}
		ops := e.Children()
		if len(ops) != 2 || !textOperands(ops...) || (familyOf(ops[0]) != famText && familyOf(ops[1]) != famText) || (keepColumnConst && columnConstShape(ops[0], ops[1])) {
			return e, transform.SameTree, nil
		}
		l, err := textOrderKey([]sql.Expression{ops[0]})
		if err != nil {
			return nil, transform.SameTree, err
		}
		r, err := textOrderKey([]sql.Expression{ops[1]})
		if err != nil {
			return nil, transform.SameTree, err
		}
		return newComparison(op, l, r), transform.NewTree, nil
	})
}

// textOperands reports whether es are all texts, untyped literals or NULL.
func textOperands(es ...sql.Expression) bool {
	for _, e := range es {
		switch familyOf(e) {
		case famText, famUnknown, famNull:
		default:
			return false
		}
	}
	return true
}

// constantOperands reports whether es are all literals or parameters.
func constantOperands(es ...sql.Expression) bool {
	for _, e := range es {
		if !constantOperand(e) {
			return false
		}
	}
	return true
}

func constantOperand(e sql.Expression) bool {
	_, bind := e.(*expression.BindVar)
	return bind || isLiteral(e)
}

// textCondition is textComparisons over a filter's or a join's
// condition, leaving as they are its conjuncts that compare a column with
// a column, a constant or a parameter: the shapes the planner matches
// with indexes and join keys (a merge join compares the rows of its
// inputs through its first conjunct). Comparisons below an OR or a NOT
// are read through kdb_text_order, column against column too, but for a
// column against a constant.
func textCondition(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
	if and, ok := e.(*expression.And); ok {
		l, lsame, err := textCondition(and.LeftChild)
		if err != nil {
			return nil, transform.SameTree, err
		}
		r, rsame, err := textCondition(and.RightChild)
		if err != nil {
			return nil, transform.SameTree, err
		}
		if lsame && rsame {
			return e, transform.SameTree, nil
		}
		return expression.NewAnd(l, r), transform.NewTree, nil
	}
	if _, ok := comparisonOp(e); ok {
		if ops := e.Children(); len(ops) == 2 && (columnConstShape(ops[0], ops[1]) || columnsShape(ops[0], ops[1])) {
			return e, transform.SameTree, nil
		}
	}
	return textComparisons(e, true)
}

// columnConstShape reports whether l op r compares a column with a
// constant or a parameter.
func columnConstShape(l, r sql.Expression) bool {
	_, lcol := l.(*expression.GetField)
	_, rcol := r.(*expression.GetField)
	return (lcol && constantOperand(r)) || (rcol && constantOperand(l))
}

// columnConstList reports whether l IN (items) is a column's IN list of
// constants and parameters, the shape a condition keeps (textCondition).
// Elsewhere a list of constants is read through kdb_text_order like any
// other: only a filter's list becomes a hash lookup (HashInTuple), and a
// parameter is not bounded by the statement's size: x IN ($1, $1, ...)
// in a select list or a window's PARTITION BY, with $1 and x of 16 MiB,
// compared runes for about ten minutes an evaluation.
func columnConstList(l sql.Expression, items expression.Tuple) bool {
	_, col := l.(*expression.GetField)
	return col && constantOperands(items...)
}

// columnsShape reports whether l op r compares two columns.
func columnsShape(l, r sql.Expression) bool {
	_, lcol := l.(*expression.GetField)
	_, rcol := r.(*expression.GetField)
	return lcol && rcol
}
