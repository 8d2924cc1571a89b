package engine

import (
	"bytes"
	"container/heap"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
)

// The order index's fallback. preferOrderIndex reads a top-N through the
// index in the sort's order even when another index binds a range the
// order index does not (conv = $1 AND created_at > $2 ORDER BY id DESC
// LIMIT 50, with indexes on (conv, id) and (conv, created_at)): without
// statistics it cannot tell whether the range holds three rows or the
// whole conversation. So the read is bounded at run time instead: the
// order index examines at most orderIndexBudget entries; if the LIMIT
// is not met by then (the engine keeps asking for rows), the read
// switches to the other index's ranges, keeps the best LIMIT+OFFSET
// rows that pass the WHERE and come after the last row already
// returned, in the order index's order, and returns them in that order.
// The rows returned before the switch are exactly the first ones of the
// result's order (the order index returned them in order), so the
// answer is the one either index alone gives. The cost is bounded: the
// budget plus one read of the other index's ranges, which lie within
// the order index's: the switch happens only when those ranges confine
// every column the order index binds by equality (its conversation) and
// bind more than that (narrowsOrderRead). Otherwise the order index
// reads on: a fallback index without the conversation's column ((c)
// alone) would read the matching entries of every conversation, and
// ranges spanning the whole conversation (c = 3 OR (c = 9 AND d = 2),
// whose second operand binds nothing of (conv, c) past conv) would read
// it a second time.
//
// The other index's ranges are the ones an ordinary read of it has: the
// engine's index planner builds them from the WHERE for a read of that
// index alone (altRanges), so every condition shape the planner turns
// into ranges serves the fallback too (a comparison, BETWEEN, an IN
// list, an OR of those such as NOT BETWEEN, a row comparison's), with
// the planner's conversions of the values to the column's type, and
// none it does not. They are built at the switch, not when the
// statement is planned: most top-Ns end within the budget, and planning
// them costs allocations on every execution. They depend on the
// parameters' values, so they belong to the read, never to the plan.
//
// Entries examined are counted as the rows the order index returned
// (an entry whose row version is skipped is not counted; they are
// exceptional). The read of the order index is one iterator over all
// its spans (indexLookupPartitions), so that the budget and the last row
// returned are the whole read's. The kept rows are charged to the
// statement's memory (hold) and given back at the end; both reads are
// indexIters, which check the statement's context before every batch
// and fetch rows that are not hot from the cold files by key, as any
// index read does.

// Budget of the order index before the fallback: at least
// orderIndexMinBudget entries, or orderIndexBudgetPerRow per row the
// LIMIT and OFFSET ask for. A top-N whose rows are common in the order
// index (most of them pass the WHERE) stops long before; one whose rows
// are rare pays at most this much more than reading the other index.
const (
	orderIndexMinBudget    = 1024
	orderIndexBudgetPerRow = 20
)

// orderFallback is what preferOrderIndex found for the fallback of an
// order index read: the other index and its ranges, and the WHERE, LIMIT
// and OFFSET as analysed. It takes effect only once sortByIndex has
// removed the sort above the read (armed): the fallback returns rows in
// the index's order, which is the sort's only then.
type orderFallback struct {
	alt *secIndex
	// bound are the columns the order index binds by equalities
	// (lower case): the fallback's ranges must confine them.
	bound []string
	// a, rt and alias are what altRanges plans alt's ranges with.
	a     *analyzer.Analyzer
	rt    *plan.ResolvedTable
	alias string
	// conds are the WHERE's conjuncts on the table.
	conds         []sql.Expression
	limit, offset sql.Expression
	armed         bool
}

// planOrderFallback finds the fallback of reading best (bestBound leading
// columns bound by equalities) for a top-N under conds, rt read under
// alias: the index that binds, with points (=, IN) and then a range, the
// most leading columns among those that bind a column best does not. nil
// when there is none, the WHERE is not simple enough to evaluate on a
// row, or the engine has no index planner. Whether the planner's ranges
// of it make a fallback is decided at the switch (fallbackSpans).
func planOrderFallback(ctx *sql.Context, a *analyzer.Analyzer, rt *plan.ResolvedTable, dt *dataTable, best *secIndex, bestBound int,
	conds []sql.Expression, alias string, limit, offset sql.Expression) *orderFallback {
	table := rt.Name()
	if limit == nil || !simpleConds(conds, table, alias) {
		return nil
	}
	if dt.shape.PK < 0 {
		// Without a primary key, the rows an index entry tells apart by
		// its row key tie in the order key the fallback encodes from a
		// row (index values, then the primary key), so it could not tell
		// which of the tied rows the order index returned already: no
		// fallback, the order index reads on.
		return nil
	}
	binds := columnBindings(expression.JoinAnd(conds...), table, alias)
	var alt *secIndex
	altBound := 0
	for _, si := range dt.secondaryIndexes() {
		if si == best {
			continue
		}
		bound := 0
		other := false
		for _, name := range si.names {
			points, ok := binds[strings.ToLower(name)]
			if !ok {
				break
			}
			// best's own read bounds its equalities and a range on its
			// next column.
			if c := best.column(name); c < 0 || c > bestBound {
				other = true
			}
			bound++
			if !points {
				break
			}
		}
		if other && bound > altBound {
			alt, altBound = si, bound
		}
	}
	if alt == nil || indexPlanner(a) == nil {
		return nil
	}
	bound := make([]string, 0, bestBound)
	for _, name := range best.names[:min(bestBound, len(best.names))] {
		bound = append(bound, strings.ToLower(name))
	}
	return &orderFallback{alt: alt, bound: bound, a: a, rt: rt, alias: alias, conds: conds, limit: limit, offset: offset}
}

// fallbackRanges are f.alt's ranges as the engine's index planner builds
// them for a read of t (altRanges), when they make a fallback
// (narrowsOrderRead); ok is false when they do not, and the order index
// reads on.
func (t *dataTable) fallbackRanges(ctx *sql.Context, f *orderFallback) (sql.MySQLRangeCollection, bool) {
	ranges, ok := altRanges(ctx, f.a, f.rt, t, f.alt, f.conds, f.alias)
	if !ok || !t.narrowsOrderRead(ctx, f, ranges) {
		return nil, false
	}
	return ranges, true
}

// narrowsOrderRead reports whether reading ranges of f.alt costs less
// than reading on through the order index: every range confines the
// columns the order index binds by equalities (they are among the
// leading columns its entry ranges bind to values, so it reads within
// the order index's conversation, not across the table), and binds some
// other column (a value, or a bound on the column after those), so it
// reads less than the whole conversation. A column bound neither above
// nor below (only NULL or NOT NULL) binds nothing worth a second read.
func (t *dataTable) narrowsOrderRead(ctx *sql.Context, f *orderFallback, ranges sql.MySQLRangeCollection) bool {
	// No ranges (c IN (NULL)): the planner found that no row passes, and
	// the fallback reads nothing.
	for _, r := range ranges {
		// points: the leading columns bound to values, as entryRanges
		// extends its prefix with them.
		points := 0
		for points < len(r) && points < len(f.alt.cols) {
			segs := t.columnSegments(ctx, f.alt.cols[points], r[points], nil)
			if slices.ContainsFunc(segs, func(s segment) bool { return s.point == nil }) {
				break
			}
			points++
		}
		confined, beyond := 0, false
		for c := range points {
			if slices.Contains(f.bound, strings.ToLower(f.alt.names[c])) {
				confined++
			} else {
				beyond = true
			}
		}
		if confined < len(f.bound) {
			return false
		}
		if !beyond && points < len(r) && points < len(f.alt.cols) {
			beyond = boundedCut(r[points].LowerBound) || boundedCut(r[points].UpperBound)
		}
		if !beyond {
			return false
		}
	}
	return true
}

// boundedCut reports whether a range bound has a value (is not at NULL
// or unbounded).
func boundedCut(c sql.MySQLRangeCut) bool {
	switch c.(type) {
	case sql.Below, sql.Above:
		return true
	}
	return false
}

// altRanges are the ranges the engine's index planner (the rule that
// turns filters into index lookups) builds from conds for a read of rt
// offering alt alone: an ordinary read's of alt, whatever shape binds
// its columns (a comparison, BETWEEN, IN, an OR of those, a row
// comparison). ok is false when it builds none, or fails: the fallback
// is only a bound on the order index's read, which is right without it.
func altRanges(ctx *sql.Context, a *analyzer.Analyzer, rt *plan.ResolvedTable, dt *dataTable, alt *secIndex,
	conds []sql.Expression, alias string) (sql.MySQLRangeCollection, bool) {
	planIndexes := indexPlanner(a)
	if planIndexes == nil {
		return nil, false
	}
	only := *dt
	only.only, only.fallback = alt, nil
	nrt, err := rt.WithTable(&only)
	if err != nil {
		return nil, false
	}
	var child sql.Node = nrt
	if alias != "" {
		child = plan.NewTableAlias(alias, nrt)
	}
	// Its own query flags: what the planner notes there is about this
	// read, not the statement.
	planned, _, err := planIndexes(ctx, a, plan.NewFilter(expression.JoinAnd(conds...), child), nil, nil, &sql.QueryFlags{})
	if err != nil {
		return nil, false
	}
	var ita *plan.IndexedTableAccess
	transform.Inspect(planned, func(n sql.Node) bool {
		if x, ok := n.(*plan.IndexedTableAccess); ok {
			ita = x
		}
		return ita == nil
	})
	if ita == nil || !ita.IsStatic() {
		return nil, false
	}
	if si, ok := ita.Index().(*secIndex); !ok || si != alt {
		return nil, false
	}
	lookup, err := ita.GetLookup(ctx, nil)
	if err != nil {
		return nil, false
	}
	ranges, ok := lookup.Ranges.(sql.MySQLRangeCollection)
	return ranges, ok
}

// indexPlanner is the analyzer's rule that turns filters into index
// lookups (optimizeJoins, which costs the indexes of a table that is not
// joined too), as the analyzer runs it; nil if it has none.
func indexPlanner(a *analyzer.Analyzer) analyzer.RuleFunc {
	if a == nil {
		return nil
	}
	for _, b := range a.Batches {
		for _, r := range b.Rules {
			if r.Id.String() == "optimizeJoins" {
				return r.Apply
			}
		}
	}
	return nil
}

// simpleConds reports whether the conjuncts read only columns of the
// table, with no subquery and nothing non-deterministic: the fallback
// evaluates them on its rows, the engine's filter again above it. A
// column is the table's by the name it is read under (the alias, if
// any), so that a subquery's reference to an outer row of the same
// table is not read from the fallback's row.
func simpleConds(conds []sql.Expression, table, alias string) bool {
	name := table
	if alias != "" {
		name = alias
	}
	for _, c := range conds {
		if transform.InspectExpr(c, func(e sql.Expression) bool {
			switch x := e.(type) {
			case *expression.GetField:
				return !strings.EqualFold(x.Table(), name)
			case sql.ExpressionWithNodes:
				return true
			case sql.NonDeterministicExpression:
				return x.IsNonDeterministic()
			}
			return false
		}) {
			return false
		}
	}
	return true
}

// columnBindings reads which columns of the table (lower case) a
// condition confines to index ranges, as the engine's index planner
// reads its leaves (analyzer.IndexLeafChildren): to points (true), by
// = v, IN (v, ...) or IS NULL, or to a range (false), by <, <=, > or >=
// v or IS NOT NULL, with v constants or parameters. An AND binds what
// any of its operands binds (to points if one does), an OR what every
// operand binds (to points if every one does): BETWEEN is two
// comparisons, NOT BETWEEN an OR of two, a row comparison an AND of its
// first column's bound and an OR. Which ranges the bindings make is the
// planner's (altRanges); this only counts the columns an index would
// have bound.
func columnBindings(e sql.Expression, table, alias string) map[string]bool {
	switch x := e.(type) {
	case *expression.And:
		out := columnBindings(x.LeftChild, table, alias)
		for name, points := range columnBindings(x.RightChild, table, alias) {
			out[name] = out[name] || points
		}
		return out
	case *expression.Or:
		l, r := columnBindings(x.LeftChild, table, alias), columnBindings(x.RightChild, table, alias)
		for name, points := range l {
			rp, ok := r[name]
			if !ok {
				delete(l, name)
				continue
			}
			l[name] = points && rp
		}
		return l
	}
	out := map[string]bool{}
	op, l, r, ok := analyzer.IndexLeafChildren(e)
	if ok && (op == analyzer.IndexScanOpIsNull || op == analyzer.IndexScanOpIsNotNull) {
		// NULL is one key in an index (entryRanges: its entries sort after
		// every value), so IS NULL binds the column to a point, and IS NOT
		// NULL to the range of its values.
		if gf, isField := l.(*expression.GetField); isField && tableColumn(gf, table, alias) {
			out[strings.ToLower(gf.Name())] = op == analyzer.IndexScanOpIsNull
		}
		return out
	}
	if !ok || r == nil {
		return out
	}
	if _, isField := l.(*expression.GetField); !isField {
		l, r = r, l
	}
	gf, isField := l.(*expression.GetField)
	if !isField || !tableColumn(gf, table, alias) {
		return out
	}
	values := []sql.Expression{r}
	if tup, ok := r.(expression.Tuple); ok {
		values = tup
	}
	for _, v := range values {
		if _, bind := v.(*expression.BindVar); !bind && !isConstant(v) {
			return out
		}
	}
	switch op {
	case analyzer.IndexScanOpEq, analyzer.IndexScanOpInSet:
		out[strings.ToLower(gf.Name())] = true
	case analyzer.IndexScanOpGt, analyzer.IndexScanOpGte, analyzer.IndexScanOpLt, analyzer.IndexScanOpLte:
		out[strings.ToLower(gf.Name())] = false
	}
	return out
}

// fallbackRun is an armed fallback as one read evaluates it.
type fallbackRun struct {
	f *orderFallback
	// keep is LIMIT + OFFSET: the most rows the engine takes.
	keep   int
	budget int
	conds  []sql.Expression
	// order is what orders rows as the order index does: its
	// expressions after the bound ones, at their places in the row.
	order      []indexCol
	orderAt    []int
	orderTypes []sql.Type
}

// prepareFallback evaluates an armed fallback for a read of si (ok false
// when it cannot run: a parameter left unbound, a column not read).
func (t *dataTable) prepareFallback(ctx *sql.Context, si *secIndex) (*fallbackRun, bool) {
	f := t.fallback
	if f == nil || !f.armed || t.only != si {
		return nil, false
	}
	limit, ok := evalCount(ctx, f.limit)
	if !ok {
		return nil, false
	}
	offset := int64(0)
	if f.offset != nil {
		if offset, ok = evalCount(ctx, f.offset); !ok {
			return nil, false
		}
	}
	run := &fallbackRun{f: f, keep: int(limit + offset)}
	if run.keep <= 0 || limit+offset > int64(1<<30) {
		return nil, false
	}
	run.budget = t.orderIndexBudget(run.keep)
	sch := t.Schema()
	// The rows' order in the index: every expression (the bound ones are
	// equal on every row the read returns, and cheap to encode).
	for _, c := range si.cols {
		at := sch.IndexOfColName(t.shape.sch[c.pos].Name)
		if at < 0 {
			return nil, false
		}
		run.order = append(run.order, c)
		run.orderAt = append(run.orderAt, at)
		run.orderTypes = append(run.orderTypes, t.shape.sch[c.pos].Type)
	}
	for _, c := range f.conds {
		bound, _, err := transform.Expr(c, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
			gf, ok := e.(*expression.GetField)
			if !ok {
				return e, transform.SameTree, nil
			}
			at := sch.IndexOfColName(gf.Name())
			if at < 0 {
				return nil, transform.SameTree, errors.New("column not read")
			}
			return gf.WithIndex(at), transform.NewTree, nil
		})
		if err != nil {
			return nil, false
		}
		run.conds = append(run.conds, bound)
	}
	return run, true
}

// evalCount evaluates a LIMIT or OFFSET to a count.
func evalCount(ctx *sql.Context, e sql.Expression) (int64, bool) {
	v, err := e.Eval(ctx, nil)
	if err != nil {
		return 0, false
	}
	n, ok := row.IntValue(v)
	return n, ok && n >= 0
}

// orderIndexBudget is how many entries the order index may examine for
// a top-N of keep rows before the fallback (Limits.OrderIndexBudget
// replaces it when set).
func (t *dataTable) orderIndexBudget(keep int) int {
	if b := t.e.limits.OrderIndexBudget; b > 0 {
		return b
	}
	return max(orderIndexMinBudget, orderIndexBudgetPerRow*keep)
}

// orderKey encodes a row's place in the order index: its entry key
// after the partition.
func (run *fallbackRun) orderKey(ctx *sql.Context, t *dataTable, r sql.Row) ([]byte, error) {
	var k []byte
	for i, c := range run.order {
		v := r[run.orderAt[i]]
		var err error
		switch {
		case v == nil && !c.raw:
			k = append(k, row.IndexNullTag)
			continue
		case v == nil:
			return nil, fmt.Errorf("table %s: a row without a primary key", t)
		}
		norm, ok := t.keyValue(ctx, run.orderTypes[i], c.typ, v)
		if !ok {
			return nil, fmt.Errorf("table %s: value %v of %s does not encode", t, v, t.shape.sch[c.pos].Name)
		}
		if c.raw {
			k, err = row.AppendKey(k, c.typ, norm)
		} else {
			k, err = row.AppendIndexValue(k, c.typ, norm)
		}
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", t, err)
		}
	}
	return k, nil
}

// fallbackIter reads the order index (first) until its budget of entries
// runs out, then the other index's rows that pass the WHERE and follow
// the last row returned, best first.
type fallbackIter struct {
	t       *dataTable
	run     *fallbackRun
	reverse bool
	first   *indexIter
	seen    int
	last    sql.Row
	// after the switch: the rows to return, in order, and the bytes
	// held for them.
	switched bool
	out      []sql.Row
	held     int64
	// orderOnly: the other index's ranges make no fallback
	// (fallbackRanges), the order index reads on past the budget.
	orderOnly bool
}

func (it *fallbackIter) Next(ctx *sql.Context) (sql.Row, error) {
	if !it.switched && it.seen >= it.run.budget && !it.orderOnly {
		// The engine still wants rows after the budget: the order
		// index's matches are rare.
		ranges, ok := it.t.fallbackRanges(ctx, it.run.f)
		if ok {
			it.switched = true
			it.t.e.orderFallbacks.Add(1)
			if err := it.readOther(ctx, it.t.rangeSpans(ctx, it.run.f.alt, ranges)); err != nil {
				return nil, err
			}
		} else {
			it.orderOnly = true
		}
	}
	if !it.switched {
		r, err := it.first.Next(ctx)
		if err != nil {
			return nil, err
		}
		it.seen++
		it.last = r
		return r, nil
	}
	if len(it.out) == 0 {
		return nil, io.EOF
	}
	r := it.out[0]
	it.out[0] = nil
	it.out = it.out[1:]
	return r, nil
}

// readOther reads the other index's entry ranges spans into a bounded
// heap of the best rows after the last one returned.
func (it *fallbackIter) readOther(ctx *sql.Context, spans [][2][]byte) error {
	t, run := it.t, it.run
	lastKey, err := run.orderKey(ctx, t, it.last)
	if err != nil {
		return err
	}
	other, err := t.openIndexIter(ctx, run.f.alt, spans, false, 0)
	if err != nil {
		return err
	}
	defer other.Close(ctx)
	h := &rowHeap{reverse: it.reverse}
	for {
		r, err := other.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		pass, err := run.passes(ctx, r)
		if err != nil || !pass {
			if err != nil {
				return err
			}
			continue
		}
		k, err := run.orderKey(ctx, t, r)
		if err != nil {
			return err
		}
		if c := bytes.Compare(k, lastKey); (c <= 0 && !it.reverse) || (c >= 0 && it.reverse) {
			continue
		}
		if h.Len() == run.keep {
			if !h.before(k, h.items[0].key) {
				continue
			}
			dropped := heap.Pop(h).(keyedRow)
			it.giveBack(ctx, rowSize(dropped.row)+int64(len(dropped.key)))
		}
		// A copy: the row's values share an allocation with its batch's
		// other rows, which keeping it would keep alive.
		r = slices.Clone(r)
		n := rowSize(r) + int64(len(k))
		if err := hold(ctx, "rows kept by an index top-N's fallback", n); err != nil {
			return err
		}
		it.held += n
		heap.Push(h, keyedRow{key: k, row: r})
	}
	slices.SortFunc(h.items, func(a, b keyedRow) int {
		if it.reverse {
			return bytes.Compare(b.key, a.key)
		}
		return bytes.Compare(a.key, b.key)
	})
	for _, kr := range h.items {
		it.out = append(it.out, kr.row)
	}
	return nil
}

// passes evaluates the WHERE on a row.
func (run *fallbackRun) passes(ctx *sql.Context, r sql.Row) (bool, error) {
	for _, c := range run.conds {
		v, err := sql.EvaluateCondition(ctx, c, r)
		if err != nil {
			return false, err
		}
		if !sql.IsTrue(v) {
			return false, nil
		}
	}
	return true, nil
}

func (it *fallbackIter) giveBack(ctx *sql.Context, n int64) {
	if s, err := sessionOf(ctx); err == nil {
		s.budget.giveBack(n)
	}
	it.held -= n
}

func (it *fallbackIter) Close(ctx *sql.Context) error {
	it.out = nil
	if it.held > 0 {
		it.giveBack(ctx, it.held)
	}
	return it.first.Close(ctx)
}

// keyedRow is a row with its order key.
type keyedRow struct {
	key []byte
	row sql.Row
}

// rowHeap keeps the last row in the read's order on top, to be dropped
// first when a better one comes.
type rowHeap struct {
	items   []keyedRow
	reverse bool
}

// before reports whether key a comes before b in the read's order.
func (h *rowHeap) before(a, b []byte) bool {
	if h.reverse {
		return bytes.Compare(a, b) > 0
	}
	return bytes.Compare(a, b) < 0
}

func (h *rowHeap) Len() int           { return len(h.items) }
func (h *rowHeap) Less(i, j int) bool { return h.before(h.items[j].key, h.items[i].key) }
func (h *rowHeap) Swap(i, j int)      { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *rowHeap) Push(x any)         { h.items = append(h.items, x.(keyedRow)) }
func (h *rowHeap) Pop() any {
	n := len(h.items) - 1
	x := h.items[n]
	h.items[n] = keyedRow{}
	h.items = h.items[:n]
	return x
}

// openFallbackRead opens a read of the order index's spans with its
// fallback, or without one when the fallback cannot run.
func (t *dataTable) openFallbackRead(ctx *sql.Context, p *indexPartition) (sql.RowIter, error) {
	first, err := t.openIndexIter(ctx, p.si, p.spans, p.reverse, 0)
	if err != nil {
		return nil, err
	}
	run, ok := t.prepareFallback(ctx, p.si)
	if !ok {
		return first, nil
	}
	return &fallbackIter{t: t, run: run, reverse: p.reverse, first: first}, nil
}
