package engine

import (
	"context"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/rowexec"
	"github.com/dolthub/go-mysql-server/sql/transform"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// Most of the engine's operators never look at the statement's context:
// a sort, a grouping, a join replaying its cached right side or a
// recursive CTE reading its working table loop over rows in memory, and
// rows that come from VALUES lists or generators never pass a table
// iterator. checkedBuilder builds every operator's iterator as the engine
// would and wraps it in one that checks the context on every row, so a
// cancelled or timed-out statement stops after at most one row of any
// operator, whatever the plan, and subqueries too (the engine builds them
// with the same builder). It also refuses to run the engine's own regex
// expressions, should any reach a plan.
//
// The same wrapper charges to the statement's memory budget the rows that
// an operator keeps: a sort, a window, a nested loop join's cached side, a
// hash join's table, and a recursive CTE's working set, which would
// otherwise hold any number of rows a cross join can produce in the time a
// statement has. Groupings and ORDER BY ... LIMIT keep one row per group
// or per limit, not per input row, and are not charged.

// checkedBuilder is the analyzer's exec builder.
type checkedBuilder struct {
	// main is the engine's builder with this one as its override: it
	// builds a node and builds its children through this builder again.
	main sql.NodeExecBuilder
}

// passKey marks, in the context passed to main, the build of a node that
// this builder has already seen: main calls Build first with the node
// itself, which must then fall through to the engine's own code.
type passKey struct{}

// keptByKey marks, in the same context, that the node being built keeps
// the rows of its children: its value names it for error messages.
type keptByKey struct{}

// groupsKey carries a grouping's groupTracker to the build of its child;
// heldKey carries the account of a holder that may give its bytes back.
type (
	groupsKey struct{}
	heldKey   struct{}
)

type passToken struct{ used bool }

func newCheckedBuilder() sql.NodeExecBuilder {
	b := &checkedBuilder{}
	b.main = rowexec.NewOverrideBuilder(b)
	return b.main
}

// Build implements sql.NodeExecBuilder for main's override hook.
func (b *checkedBuilder) Build(ctx *sql.Context, n sql.Node, r sql.Row) (sql.RowIter, error) {
	if tok, ok := ctx.Value(passKey{}).(*passToken); ok && !tok.used {
		tok.used = true
		return nil, nil // main builds n itself
	}
	if err := refuseEngineRegex(n); err != nil {
		return nil, err
	}
	if u, ok := n.(*plan.Update); ok && len(u.Returning) > 0 {
		if updatesThroughJoin(u) {
			return nil, errReturningJoin
		}
		return b.buildReturning(ctx, u, r)
	}
	if ii, ok := n.(*plan.InsertInto); ok {
		// The rows keep the signs of float zeros (insertzero.go), REAL
		// columns take infinities (realinf.go).
		ii = realInsert(ii)
		ctx = withSignedZeros(ctx)
		if len(ii.Returning) > 0 {
			// main builds the INSERT with its RETURNING list fixed instead.
			fixed, err := returningIndexes(ii)
			if err != nil {
				return nil, err
			}
			return b.buildReturning(ctx, fixed, r)
		}
		inner := context.WithValue(ctx, passKey{}, &passToken{})
		return b.main.Build(ctx.WithContext(inner), ii, r)
	}
	if d, ok := n.(*plan.Distinct); ok {
		return b.buildDistinct(ctx, d, r) // -0 equals 0 (insertzero.go)
	}
	if s, ok := n.(*plan.SetOp); ok {
		return b.buildSetOp(ctx, s, r) // -0 equals 0 too
	}
	if c, ok := n.(*plan.RecursiveCte); ok {
		return b.buildRecursive(ctx, c, r) // and in a recursive query's UNION
	}
	if it, ok, err := b.buildSigned(ctx, n, r); ok {
		return it, err
	}
	if h, ok := n.(*holdRows); ok {
		// The rows of an IN (subquery), which the engine collects.
		held := &heldBytes{transient: h.transient}
		inner := context.WithValue(context.WithValue(ctx, keptByKey{}, "an IN (subquery)"), heldKey{}, held)
		it, err := b.build(ctx.WithContext(inner), h.child, r, true)
		if err != nil || !h.pack {
			return it, err
		}
		return &packIter{child: it, scope: len(r)}, nil
	}
	if us, ok := n.(*plan.UpdateSource); ok {
		us, err := realUpdate(us)
		if err != nil {
			return nil, err
		}
		it, err := b.build(ctx, us, r, false)
		if err != nil {
			return nil, err
		}
		return zeroSigned(us, it), nil
	}
	return b.build(ctx, n, r, false)
}

// build builds n's iterator, wrapped unless n must not be. A node that is
// not wrapped is left to main (nil), unless its iterator is needed here
// (direct) or a grouping's tracker must not reach its children, whose
// rows have another shape than the grouping's input.
func (b *checkedBuilder) build(ctx *sql.Context, n sql.Node, r sql.Row, direct bool) (sql.RowIter, error) {
	if !wrappable(n) && !keptProjection(ctx, n) {
		if g, _ := ctx.Value(groupsKey{}).(*groupTracker); g == nil && !direct {
			return nil, nil
		}
		inner := context.WithValue(context.WithValue(ctx, passKey{}, &passToken{}), groupsKey{}, (*groupTracker)(nil))
		return b.main.Build(ctx.WithContext(inner), n, r)
	}
	// Rows are charged where they are kept: by the parent that keeps its
	// children's rows (a recursive CTE keeps its own: buildRecursive).
	outer := checksOf(ctx)
	if gb, ok := n.(*plan.GroupBy); ok {
		// A GROUP BY straight over a table is computed from its storage
		// when it can be (groupscan.go).
		if gs, ok := newGroupScan(ctx, gb); ok {
			return &checkedIter{child: gs, keptBy: outer.keptBy}, nil
		}
	}
	switch x := n.(type) {
	case *plan.HashLookup:
		if side, ok := x.Child.(*hashedSide); ok {
			iter, err := b.readOnceLookup(ctx, x, side, r)
			if err != nil {
				return nil, err
			}
			return outer.wrap(iter), nil
		}
		if side, ok := x.Child.(*nullFreeSide); ok {
			null, err := side.nullProbe(ctx, x, r)
			if err != nil {
				return nil, err
			}
			if null {
				return outer.wrap(sql.RowsToRowIter()), nil
			}
			ctx = ctx.WithContext(context.WithValue(ctx, entryKeyKey{}, x.RightEntryKey))
		}
	case *plan.JoinNode:
		if x.Op.IsFullOuter() {
			// KalamDB's own FULL JOIN (fulljoiniter.go); its sides keep
			// none of their rows for it.
			c, inner := ownIterator(ctx)
			iter, err := newFullJoinIter(inner, b.main, x, r)
			if err != nil {
				return nil, err
			}
			return c.wrap(iter), nil
		}
	case *hashedSide:
		// Built by readOnceLookup; through the engine, it is its child.
		return b.main.Build(ctx, x.child, r)
	case *nullFreeSide:
		// The rows the lookup keeps, charged as they pass the filter: a
		// row with a NULL key is neither kept nor charged.
		c, inner := ownIterator(ctx)
		iter, err := b.main.Build(inner, x.child, r)
		if err != nil {
			return nil, err
		}
		key, _ := ctx.Value(entryKeyKey{}).(sql.Expression)
		return c.wrap(withoutNullKeys(iter, key, &x.nulls)), nil
	}
	if w, ok := n.(*plan.Window); ok {
		// The window's child is built through main, without the pass
		// token: it is not the node main was asked for.
		inner := context.WithValue(ctx, keptByKey{}, keepsChildRows(n))
		inner = context.WithValue(context.WithValue(inner, groupsKey{}, (*groupTracker)(nil)), heldKey{}, (*heldBytes)(nil))
		failed := &windowFailure{}
		iter, err := buildWindow(ctx.WithContext(inner), b.main, w, r, failed)
		if err != nil {
			return nil, err
		}
		it := outer.wrap(iter)
		it.failed = failed
		return it, nil
	}
	if v, ok := n.(*plan.ValueDerivedTable); ok {
		iter, err := valuesRows(ctx, v, r)
		if err != nil {
			return nil, err
		}
		return outer.wrap(iter), nil
	}
	inner := context.WithValue(context.WithValue(ctx, passKey{}, &passToken{}), keptByKey{}, keepsChildRows(n))
	inner = context.WithValue(context.WithValue(inner, groupsKey{}, newGroupTracker(n)), heldKey{}, (*heldBytes)(nil))
	iter, err := b.main.Build(ctx.WithContext(inner), n, r)
	if err != nil || iter == nil {
		return iter, err
	}
	return outer.wrap(iter), nil
}

// keepsChildRows names a node that holds every row of its children, or "".
func keepsChildRows(n sql.Node) string {
	switch n.(type) {
	case *plan.Sort:
		return "ORDER BY"
	case *plan.Window:
		return "a window function"
	case *plan.CachedResults, *plan.HashLookup:
		return "a join"
	}
	return ""
}

// wrappable reports whether n's iterator may be wrapped. The engine finds
// the iterators of writes by their types through projections, triggers
// and blocks above them to count affected rows, so those are left as they
// are; the rows they consume come from wrapped iterators anyway.
func wrappable(n sql.Node) bool {
	switch n.(type) {
	case *plan.InsertInto, *plan.Update, *plan.UpdateJoin, *plan.DeleteFrom, *plan.Project,
		*plan.TriggerExecutor, *plan.Block:
		return false
	}
	return true
}

// keptProjection reports whether n is a projection whose parent keeps its
// rows (a sort, a window, a join's cached side): those rows are the ones
// to charge, with the values its select list computes, not the narrower
// rows under it. Such a projection holds no write (the engine looks for
// the iterators of writes only along the chain of projections above them).
func keptProjection(ctx *sql.Context, n sql.Node) bool {
	p, ok := n.(*plan.Project)
	if !ok || checksOf(ctx).keptBy == "" {
		return false
	}
	writes := false
	transform.Inspect(p, func(n sql.Node) bool {
		switch n.(type) {
		case *plan.InsertInto, *plan.Update, *plan.UpdateJoin, *plan.DeleteFrom, *plan.TriggerExecutor, *plan.Block:
			writes = true
		}
		return !writes
	})
	return !writes
}

// refuseEngineRegex fails a plan node whose expressions contain one of the
// engine's backtracking regex expressions. KalamDB's functions replace
// them (the front end translates every regular expression to them), so
// this is a safety net, not a path any statement is expected to take.
func refuseEngineRegex(n sql.Node) error {
	ex, ok := n.(sql.Expressioner)
	if !ok {
		return nil
	}
	for _, e := range ex.Expressions() {
		found := false
		sql.Inspect(e, func(e sql.Expression) bool {
			found = found || engineRegex(e)
			return !found
		})
		if found {
			return apierror.New(apierror.InternalError, "a regular expression reached the engine's backtracking implementation")
		}
	}
	return nil
}

// checkedIter checks the statement's context before every row and, when
// keptBy is set, charges every row to the statement's memory budget (to
// held too, when its holder may give them back); the rows that feed a
// grouping charge its new groups.
type checkedIter struct {
	child  sql.RowIter
	done   <-chan struct{}
	keptBy string
	groups *groupTracker
	held   *heldBytes
	// failed holds the error a window's functions could not return.
	failed *windowFailure
}

var _ sql.MutableRowIter = (*checkedIter)(nil)

func (it *checkedIter) Next(ctx *sql.Context) (sql.Row, error) {
	if it.done == nil {
		it.done = ctx.Done()
	}
	select {
	case <-it.done:
		return nil, context.Cause(ctx)
	default:
	}
	row, err := it.child.Next(ctx)
	if ferr := it.failed.get(); ferr != nil {
		return nil, ferr
	}
	if err != nil {
		return row, err
	}
	if it.keptBy != "" {
		n := rowSize(row)
		if err := hold(ctx, "rows kept by "+it.keptBy, n); err != nil {
			return nil, err
		}
		if it.held != nil {
			it.held.add(n)
		}
	}
	if it.groups != nil {
		if err := it.groups.add(ctx, row); err != nil {
			return nil, err
		}
	}
	return row, nil
}

// Close closes the child; a transient holder's rows are garbage then.
func (it *checkedIter) Close(ctx *sql.Context) error {
	it.held.giveBack(ctx)
	return it.child.Close(ctx)
}

// GetChildIter and WithChildIter let the engine look through the wrapper
// when it finalises iterators.
func (it *checkedIter) GetChildIter() sql.RowIter { return it.child }

func (it *checkedIter) WithChildIter(child sql.RowIter) sql.RowIter {
	return &checkedIter{child: child, keptBy: it.keptBy, groups: it.groups, held: it.held, failed: it.failed}
}

// engineRegex reports whether e is one of the engine's own regular
// expression functions (ICU, backtracking, deaf to cancellation).
func engineRegex(e sql.Expression) bool {
	switch e.(type) {
	case *function.RegexpLike, *function.RegexpInstr, *function.RegexpSubstr, *function.RegexpReplace:
		return true
	}
	return false
}
