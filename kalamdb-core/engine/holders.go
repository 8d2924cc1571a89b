package engine

import (
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// Beyond the operators that keep their children's rows (keepsChildRows),
// four more holders are charged to the statement's memory budget:
//
//   - a grouping keeps per group its key and its aggregates' state: every
//     new group is charged (groupTracker), and min and max of a grouping
//     run as KalamDB's aggregate, which charges the value it keeps;
//   - IN (subquery) collects the subquery's rows before it compares: the
//     rows are charged as they are read (holdRows), and given back after
//     the evaluation when the result is not cached (a correlated
//     subquery's result is garbage once its row is done);
//   - the rows a statement writes wait in its transaction until commit:
//     each write is charged (editor), and a statement inside BEGIN starts
//     with what its transaction already holds;
//   - a set operation or a DISTINCT keeps a hash per distinct row, an
//     INTERSECT's or EXCEPT's right side a count per distinct row, and a
//     set operation's ORDER BY the rows it sorts or, with a LIMIT, its
//     top rows (buildSetOp): charged as kept, given back when it closes.

// groupOverhead is about what a grouping keeps per group besides its key
// (the engine's hash map entry and buffers), and aggOverhead per
// aggregate of the group; measured, a million small groups held about
// 500 MB.
const (
	groupOverhead = 160
	aggOverhead   = 96
)

// groupTracker sees the input rows of a grouping and charges each new
// group. It keeps the hash of each group's key, 8 bytes a group.
type groupTracker struct {
	exprs []sql.Expression
	reach int   // one past the highest column index the keys read
	cost  int64 // per group, key excluded
	mu    sync.Mutex
	hash  *rowHasher // under mu
	seen  map[uint64]struct{}
}

// newGroupTracker is the tracker of a grouping's input, or nil when n is
// not a grouping by keys (a grouping without keys has one group).
func newGroupTracker(n sql.Node) *groupTracker {
	gb, ok := n.(*plan.GroupBy)
	if !ok || len(gb.GroupByExprs) == 0 {
		return nil
	}
	g := &groupTracker{exprs: gb.GroupByExprs, cost: groupOverhead + aggOverhead*int64(len(gb.SelectedExprs)),
		hash: newRowHasher(), seen: map[uint64]struct{}{}}
	for _, e := range gb.GroupByExprs {
		transform.InspectExpr(e, func(e sql.Expression) bool {
			if gf, ok := e.(*expression.GetField); ok {
				g.reach = max(g.reach, gf.Index()+1)
			}
			return false
		})
	}
	return g
}

// add charges row's group if it is new. A row too short for the keys is
// not the grouping's input (it should not happen): it is not charged.
func (g *groupTracker) add(ctx *sql.Context, row sql.Row) error {
	if len(row) < g.reach {
		return nil
	}
	key := make(sql.Row, len(g.exprs))
	for i, e := range g.exprs {
		v, err := e.Eval(ctx, row)
		if err != nil {
			return err
		}
		key[i] = v
	}
	g.mu.Lock()
	h, err := g.hash.sum(ctx, key)
	if err != nil {
		g.mu.Unlock()
		return err
	}
	_, old := g.seen[h]
	if !old {
		g.seen[h] = struct{}{}
	}
	g.mu.Unlock()
	if old {
		return nil
	}
	return hold(ctx, "GROUP BY", g.cost+rowSize(key))
}

// groupedExtremes makes the min and max of a grouping by keys KalamDB's
// aggregate, which charges the value it keeps per group; the engine's
// keeps it uncharged (max(repeat('x', 1000000) || n) over 3,000 groups
// held 3 GB). A grouping without keys keeps one value, and the engine
// may answer its min or max from an index, so it stays.
func groupedExtremes(gb *plan.GroupBy) (sql.Node, transform.TreeIdentity, error) {
	if len(gb.GroupByExprs) == 0 {
		return gb, transform.SameTree, nil
	}
	exprs, same, err := transform.Exprs(gb.SelectedExprs, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		return pgExtreme(e, comparableFamily)
	})
	if err != nil || same {
		return gb, transform.SameTree, err
	}
	n, err := gb.WithExpressions(append(exprs, gb.GroupByExprs...)...)
	if err != nil {
		return nil, transform.SameTree, err
	}
	return n, transform.NewTree, nil
}

// comparableFamily reports whether KalamDB's min and max order values of
// family f.
func comparableFamily(f family) bool {
	switch f {
	case famInt, famBool, famFloat, famNumeric, famText, famUUID, famBytes, famTimestamp, famDate, famTime:
		return true
	}
	return false
}

// holdRows marks the plan of an IN (subquery): the builder charges the
// rows read from it, which the engine collects before it compares, and
// gives them back when the evaluation ends if transient (a result that
// is not cached). With pack, each row's values come as one value, a
// []any (packIter): the engine's check of operands accepts a row operand
// only in its own IN, so KalamDB's (pgInSubquery) compares a row with a
// single column of rows.
type holdRows struct {
	child     sql.Node
	transient bool
	pack      bool
}

var _ sql.Node = (*holdRows)(nil)

func (h *holdRows) Resolved() bool       { return h.child.Resolved() }
func (h *holdRows) String() string       { return h.child.String() }
func (h *holdRows) Children() []sql.Node { return []sql.Node{h.child} }
func (h *holdRows) IsReadOnly() bool     { return h.child.IsReadOnly() }

func (h *holdRows) Schema() sql.Schema {
	if h.pack {
		return sql.Schema{{Name: "row", Type: types.LongText, Nullable: true}}
	}
	return h.child.Schema()
}

func (h *holdRows) WithChildren(children ...sql.Node) (sql.Node, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(h, len(children), 1)
	}
	return &holdRows{child: children[0], transient: h.transient, pack: h.pack}, nil
}

// packIter gives each row of a subquery as the outer scope's values (the
// engine prepends them) followed by one []any of the subquery's values.
type packIter struct {
	child sql.RowIter
	scope int
}

func (p *packIter) Next(ctx *sql.Context) (sql.Row, error) {
	r, err := p.child.Next(ctx)
	if err != nil {
		return nil, err
	}
	if len(r) < p.scope {
		return nil, execError("IN (subquery): a row of %d values is shorter than its scope", len(r))
	}
	out := make(sql.Row, p.scope+1)
	copy(out, r[:p.scope])
	out[p.scope] = []any(r[p.scope:])
	return out, nil
}

func (p *packIter) Close(ctx *sql.Context) error { return p.child.Close(ctx) }

// holdInSubqueries marks the plans of the IN (subquery) expressions of a
// node (idempotent: the post-analysis batch runs it until nothing
// changes). A row IN (subquery) of KalamDB's gets its rows packed and its
// operand's values as one (rowOperand).
func holdInSubqueries(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
	var in *plan.InSubquery
	var left sql.Expression
	pack := false
	switch x := e.(type) {
	case *plan.InSubquery:
		in = x
	case *pgInSubquery:
		in = x.InSubquery
		if t, ok := in.Left().(expression.Tuple); ok && x.kinds != nil {
			left, pack = &rowOperand{elems: t}, true
		}
	default:
		return e, transform.SameTree, nil
	}
	sq, ok := in.Right().(*plan.Subquery)
	if !ok {
		return e, transform.SameTree, nil
	}
	if _, done := sq.Query.(*holdRows); done {
		return e, transform.SameTree, nil
	}
	if left == nil {
		left = in.Left()
	}
	marked := sq.WithQuery(&holdRows{child: sq.Query, transient: !sq.CanCacheResults(), pack: pack})
	n, err := e.WithChildren(left, marked)
	if err != nil {
		return nil, transform.SameTree, err
	}
	return n, transform.NewTree, nil
}

// rowOperand is the row (x, y, ...) of a row IN (subquery) as one value, a
// []any; its children are the row's values.
type rowOperand struct {
	elems []sql.Expression
}

var _ sql.Expression = (*rowOperand)(nil)

func (r *rowOperand) Resolved() bool             { return expression.Tuple(r.elems).Resolved() }
func (r *rowOperand) String() string             { return expression.Tuple(r.elems).String() }
func (r *rowOperand) Type() sql.Type             { return types.LongText }
func (r *rowOperand) IsNullable() bool           { return false }
func (r *rowOperand) Children() []sql.Expression { return r.elems }

func (r *rowOperand) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	out := make([]any, len(r.elems))
	for i, e := range r.elems {
		v, err := e.Eval(ctx, row)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (r *rowOperand) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != len(r.elems) {
		return nil, sql.ErrInvalidChildrenNumber.New(r, len(children), len(r.elems))
	}
	return &rowOperand{elems: children}, nil
}

// heldBytes is what a transient holder has charged, to give back.
type heldBytes struct {
	transient bool
	mu        sync.Mutex
	n         int64
}

func (h *heldBytes) add(n int64) {
	h.mu.Lock()
	h.n += n
	h.mu.Unlock()
}

// charge charges n bytes that fn keeps to ctx's statement, and to h.
func (h *heldBytes) charge(ctx *sql.Context, fn string, n int64) error {
	if err := hold(ctx, fn, n); err != nil {
		return err
	}
	h.add(n)
	return nil
}

// giveBack returns a transient holder's bytes to the statement's budget.
func (h *heldBytes) giveBack(ctx *sql.Context) {
	if h == nil || !h.transient {
		return
	}
	h.release(ctx, -1)
}

// release returns n of the bytes h holds (all of them for n < 0) to the
// statement's budget: a holder that dropped what it kept.
func (h *heldBytes) release(ctx *sql.Context, n int64) {
	h.mu.Lock()
	if n < 0 || n > h.n {
		n = h.n
	}
	h.n -= n
	h.mu.Unlock()
	if s, err := sessionOf(ctx); err == nil && n > 0 {
		s.budget.giveBack(n)
	}
}
