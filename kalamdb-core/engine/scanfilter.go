package engine

import (
	"math"
	"slices"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tier"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// Scan filters. A WHERE that bounds integer columns by constants
// (conversation_id = $1, n BETWEEN 1 AND 9, k IN (1, 2), k NOT IN (3, 4),
// k < 3 OR k > 7) is handed to the scan of the table under it, which uses
// the bounds before it decodes a row: cold files skip row groups and pages
// whose statistics exclude every span of them (cold.Filter with its
// Spans: k IN (1, 1000000) skips a row group of 1000..2000, which the
// hull [1, 1000000] would not) and drop rows before decoding their other
// columns, and hot rows are dropped on their stored value. Comparisons
// of TEXT and time columns with constants go to the cold files only
// (scantext.go). A column compared with more values than the index
// planner takes is hidden from it (boundIndexRanges) but not from the
// scan filters, and the cold files get at most maxColdSpans spans of it.
// The plan's Filter stays and decides: scan filters only narrow, and
// only where the answer is exact (integers compare the same in storage
// and in SQL), so a row that passes the WHERE always passes them.

// scanFiltersRuleID identifies pushScanFilters (KalamDB's rules are numbered
// from 10,000, one number each).
const scanFiltersRuleID analyzer.RuleId = 10_004

// scanFilter bounds one integer user column: a row passes when its value
// is not NULL, within [lo, hi] and, with spans set, within one of them.
type scanFilter struct {
	col    int // index in the table's schema
	lo, hi int64
	// spans, when not nil, are the only values that pass: the points of
	// an IN list, the ranges of an OR, what NOT IN and <> leave (see
	// spanSet). lo and hi are their first and last values; none (lo >
	// hi) passes nothing.
	spans spanSet
}

// pushScanFilters gives the table under every Filter the bounds its
// condition sets on integer columns.
func pushScanFilters(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.Node(n, func(node sql.Node) (sql.Node, transform.TreeIdentity, error) {
		f, ok := node.(*plan.Filter)
		if !ok {
			return node, transform.SameTree, nil
		}
		child, same := withScanFilters(f.Child, f.Expression)
		if same {
			return node, transform.SameTree, nil
		}
		out, err := f.WithChildren(child)
		return out, transform.NewTree, err
	})
}

// withScanFilters returns the table node n with the bounds cond sets on
// its columns, or n itself when there are none.
func withScanFilters(n sql.Node, cond sql.Expression) (sql.Node, bool) {
	switch x := n.(type) {
	case *plan.TableAlias:
		child, same := withScanFilters(x.Child, cond)
		if same {
			return n, true
		}
		out, err := x.WithChildren(child)
		if err != nil {
			return n, true
		}
		return out, false
	case *plan.ResolvedTable:
		return withTableFilters(n, x.Table, x.Columns(), cond, func(dt *dataTable) (sql.Node, error) { return x.WithTable(dt) })
	case *plan.IndexedTableAccess:
		return withTableFilters(n, x.Table, x.Columns(), cond, func(dt *dataTable) (sql.Node, error) { return x.WithTable(dt) })
	}
	return n, true
}

// withTableFilters is withScanFilters of a node reading table t (with
// column ids cols), rebuilt around its table by with.
func withTableFilters(n sql.Node, t sql.Table, cols sql.ColSet, cond sql.Expression, with func(*dataTable) (sql.Node, error)) (sql.Node, bool) {
	dt, ok := t.(*dataTable)
	if !ok {
		return n, true
	}
	fs := scanFiltersOf(dt, cols, cond)
	tf := coldScanFilters(dt, cols, cond)
	if len(fs) == 0 && len(tf) == 0 {
		return n, true
	}
	out, err := with(dt.withFilters(fs, tf))
	if err != nil {
		return n, true
	}
	return out, false
}

// scanFiltersOf extracts the bounds on dt's integer columns from the
// conjuncts of cond. cols are the column ids of the table's node in the
// plan: one per column of its full schema, in order. Conjuncts on one
// column narrow each other: their intersection may be empty (id IN (1, 2)
// AND id > 5, a IS NULL AND a > 5), and the read then reads nothing
// (matchesNone).
func scanFiltersOf(dt *dataTable, cols sql.ColSet, cond sql.Expression) []scanFilter {
	var out []scanFilter
	var nulls []int // columns the WHERE wants NULL (col IS NULL)
	for _, c := range expression.SplitConjunction(cond) {
		if n, ok := c.(*expression.IsNull); ok {
			if col, ok := intColumn(dt, cols, n.Child); ok {
				nulls = append(nulls, col)
			}
			continue
		}
		fs, _ := condFilters(dt, cols, c)
		out = intersectFilters(out, fs)
	}
	for i := range out {
		if slices.Contains(nulls, out[i].col) {
			// NULL passes no bound: col IS NULL AND col > 5 is false.
			out[i] = spanFilter(out[i].col, spanSet{})
		}
	}
	return out
}

// condFilters is what the condition e says of dt's integer columns: for
// each column it bounds, a filter that passes the column's value in every
// row for which e is true. A comparison with a constant, an IN list, NOT
// IN, <>, and ANDs, ORs and NOTs of those bound their columns; an AND
// bounds each column one of its terms bounds, an OR those all its terms
// bound, ((a, b) > (1, 2) is a > 1 OR a = 1 AND b > 2: a >= 1), and a row
// IN list each column of the row. exact, with one filter, when the filter
// also passes no value for which e is false (only values for which it is
// true or NULL: col IN (1, NULL) for 2): then its complement is a filter
// of NOT e.
func condFilters(dt *dataTable, cols sql.ColSet, e sql.Expression) (fs []scanFilter, exact bool) {
	switch x := e.(type) {
	case *expression.And:
		exact = true
		for _, c := range expression.SplitConjunction(x) {
			cf, cx := condFilters(dt, cols, c)
			exact = exact && cx
			fs = intersectFilters(fs, cf)
		}
		return fs, exact && len(fs) == 1
	case *expression.Or:
		// The union of each column's values over the terms, merged once
		// (a chain of n ORs costs n log n, not n²).
		exact = true
		for i, c := range expression.SplitDisjunction(x) {
			cf, cx := condFilters(dt, cols, c)
			exact = exact && cx
			if i == 0 {
				for _, f := range cf {
					fs = append(fs, scanFilter{col: f.col, spans: append(spanSet(nil), f.set()...)})
				}
				continue
			}
			kept := fs[:0]
			for _, f := range fs {
				if j := slices.IndexFunc(cf, func(g scanFilter) bool { return g.col == f.col }); j >= 0 {
					f.spans = append(f.spans, cf[j].set()...)
					kept = append(kept, f)
				}
			}
			if fs = kept; len(fs) == 0 {
				return nil, false
			}
		}
		for i := range fs {
			fs[i] = spanFilter(fs[i].col, fs[i].spans.normal())
		}
		return fs, exact && len(fs) == 1
	case *expression.Not:
		cf, cx := condFilters(dt, cols, x.Child)
		if !cx {
			return nil, false
		}
		if _, in, _ := inList(x.Child); slices.ContainsFunc(in, isNullLiteral) {
			// col NOT IN (1, NULL) is never true.
			return []scanFilter{spanFilter(cf[0].col, spanSet{})}, true
		}
		return []scanFilter{spanFilter(cf[0].col, cf[0].set().complement())}, true
	case *rowInList:
		return rowInFilters(dt, cols, x), false
	}
	if f, ok := scanFilterOf(dt, cols, e); ok {
		return []scanFilter{f}, true
	}
	return nil, false
}

// intersectFilters is fs with each filter of gs intersected with fs's on
// its column, or added.
func intersectFilters(fs, gs []scanFilter) []scanFilter {
next:
	for _, g := range gs {
		for i := range fs {
			if fs[i].col == g.col {
				fs[i] = fs[i].intersect(g)
				continue next
			}
		}
		fs = append(fs, g)
	}
	return fs
}

// rowInFilters are the filters of (c1, c2, ...) IN ((v1, v2, ...), ...)
// on its integer columns: each to the values of its place in the rows.
func rowInFilters(dt *dataTable, cols sql.ColSet, l *rowInList) []scanFilter {
	k := len(l.kinds)
	var out []scanFilter
next:
	for i := range k {
		col, ok := intColumn(dt, cols, l.args[i])
		if !ok {
			continue
		}
		set := spanSet{}
		for j := k + i; j < len(l.args); j += k {
			if isNullLiteral(l.args[j]) {
				continue // that row matches nothing
			}
			v, ok := intLiteral(l.args[j])
			if !ok {
				continue next
			}
			set = append(set, span{Lo: v, Hi: v})
		}
		out = append(out, spanFilter(col, set.normal()))
	}
	return out
}

// scanFilterOf is the filter of a comparison of an integer column of dt
// with a constant, or of its IN list of constants.
func scanFilterOf(dt *dataTable, cols sql.ColSet, e sql.Expression) (scanFilter, bool) {
	if left, items, ok := inList(e); ok {
		col, ok := intColumn(dt, cols, left)
		if !ok || len(items) == 0 {
			return scanFilter{}, false
		}
		set := make(spanSet, 0, len(items))
		for _, item := range items {
			if isNullLiteral(item) {
				continue // never equal: col IN (1, NULL) is true only for 1
			}
			v, ok := intLiteral(item)
			if !ok {
				return scanFilter{}, false
			}
			set = append(set, span{Lo: v, Hi: v})
		}
		return spanFilter(col, set.normal()), true
	}
	cmp, ok := e.(expression.Comparer)
	if !ok {
		return scanFilter{}, false
	}
	op, ok := comparisonOp(e)
	if !ok || op == "<=>" {
		return scanFilter{}, false
	}
	left, right := cmp.Left(), cmp.Right()
	col, ok := intColumn(dt, cols, left)
	if !ok {
		// constant op column: the same bound, seen from the column.
		left, right = right, left
		op = mirroredOp(op)
		if col, ok = intColumn(dt, cols, left); !ok {
			return scanFilter{}, false
		}
	}
	v, ok := intLiteral(right)
	if !ok {
		return scanFilter{}, false
	}
	f := scanFilter{col: col, lo: math.MinInt64, hi: math.MaxInt64}
	switch op {
	case "=":
		f.lo, f.hi = v, v
	case ">":
		if v == math.MaxInt64 {
			f.lo, f.hi = 1, 0 // nothing passes
		} else {
			f.lo = v + 1
		}
	case ">=":
		f.lo = v
	case "<":
		if v == math.MinInt64 {
			f.lo, f.hi = 1, 0
		} else {
			f.hi = v - 1
		}
	case "<=":
		f.hi = v
	}
	return f, true
}

// spanFilter is the filter on col passing the values of set.
func spanFilter(col int, set spanSet) scanFilter {
	f := scanFilter{col: col, lo: 1, hi: 0, spans: set}
	if len(set) > 0 {
		f.lo, f.hi = set[0].Lo, set[len(set)-1].Hi
	}
	if len(set) == 1 {
		f.spans = nil // [lo, hi] says it all
	}
	return f
}

// set is the values f passes.
func (f scanFilter) set() spanSet {
	if f.spans != nil {
		return f.spans
	}
	if f.lo > f.hi {
		return spanSet{}
	}
	return spanSet{{Lo: f.lo, Hi: f.hi}}
}

// intersect is the filter passing the values both f and g (on f's
// column) pass.
func (f scanFilter) intersect(g scanFilter) scanFilter {
	return spanFilter(f.col, f.set().intersect(g.set()))
}

// passes reports whether the non-NULL value v passes f.
func (f scanFilter) passes(v int64) bool {
	return v >= f.lo && v <= f.hi && (f.spans == nil || f.spans.contains(v))
}

// inList splits col IN (items) into its operands, before and after the
// engine hashes a list of constants (HashInTuple, which the full path has
// made of it by the time this rule runs).
func inList(e sql.Expression) (left sql.Expression, items expression.Tuple, ok bool) {
	switch in := e.(type) {
	case *expression.InTuple:
		items, ok = in.Right().(expression.Tuple)
		return in.Left(), items, ok
	case *expression.HashInTuple:
		items, ok = in.Right().(expression.Tuple)
		return in.Left(), items, ok
	}
	return nil, nil, false
}

// isNullLiteral reports a NULL constant.
func isNullLiteral(e sql.Expression) bool {
	lit, ok := asLiteral(e)
	return ok && lit.Value() == nil
}

// intColumn returns the schema index of the user column of an integer
// type of dt that e reads.
func intColumn(dt *dataTable, cols sql.ColSet, e sql.Expression) (int, bool) {
	i, k, ok := userColumn(dt, cols, e)
	if ok && (k == schema.KindInt16 || k == schema.KindInt32 || k == schema.KindInt64) {
		return i, true
	}
	return 0, false
}

// userColumn returns the schema index and kind of the user column of dt
// that e reads. A column reference of the table's own node is known by
// its id (one of cols, the table's columns in order); one of another
// table (an outer query's) is not the table's, whatever its name.
func userColumn(dt *dataTable, cols sql.ColSet, e sql.Expression) (int, schema.Kind, bool) {
	gf, ok := indexHidden(e).(*expression.GetField)
	if !ok || !cols.Contains(gf.Id()) {
		return 0, 0, false
	}
	s := dt.shape
	first, ok := cols.Next(1)
	if !ok || cols.Len() != len(s.sch) {
		return 0, 0, false
	}
	i := int(gf.Id() - first)
	if i < 0 || i >= s.NUser || !strings.EqualFold(s.sch[i].Name, gf.Name()) {
		return 0, 0, false
	}
	return i, schema.KindOf(s.Schema.Columns[i].Type.Name), true
}

// intLiteral is the value of an integer constant.
func intLiteral(e sql.Expression) (int64, bool) {
	lit, ok := asLiteral(e)
	if !ok {
		return 0, false
	}
	switch v := lit.Value().(type) {
	case int8:
		return int64(v), true
	case int16:
		return int64(v), true
	case int32:
		return int64(v), true
	case int64:
		return v, true
	case int:
		return int64(v), true
	case uint8:
		return int64(v), true
	case uint16:
		return int64(v), true
	case uint32:
		return int64(v), true
	case uint64:
		if v <= math.MaxInt64 {
			return int64(v), true
		}
	}
	return 0, false
}

// withFilters is the table whose scans use fs, and tf for cold files.
func (t *dataTable) withFilters(fs []scanFilter, tf []cold.Filter) *dataTable {
	cp := *t
	cp.filters, cp.textFilters = fs, tf
	cp.coldFilters = coldFilters(fs, tf)
	return &cp
}

// matchesNone reports whether a scan filter leaves its column no value
// (id BETWEEN 13 AND 12, a = 1 AND a = 2, id > 5 AND id < 3, id IN (1, 2)
// AND id > 5, a IS NULL AND a > 5): no row passes the WHERE it comes from. The engine's index planner builds
// no range from such an empty intersection, and without one it read the
// whole partition or index (every hot row, every entry) only for the
// WHERE to drop each row; PostgreSQL reads nothing. The table's reads
// then return nothing at once.
func (t *dataTable) matchesNone() bool {
	for _, f := range t.filters {
		if f.lo > f.hi {
			return true
		}
	}
	return false
}

// coldFilters are scan filters fs, and text filters tf, for cold files: each integer
// filter with its spans (an IN list's values, an OR's ranges), so that
// files, row groups and pages are pruned by each of them rather than by
// their hull, then the text filters. A filter of more than maxColdSpans
// spans is handed over coarser (spanSet.coarse).
func coldFilters(fs []scanFilter, tf []cold.Filter) []cold.Filter {
	out := make([]cold.Filter, 0, len(fs)+len(tf))
	for _, f := range fs {
		cf := cold.Filter{Column: f.col, Min: f.lo, Max: f.hi}
		if f.spans != nil {
			spans := f.spans.coarse(maxColdSpans)
			cf.Spans = make([]cold.Span, len(spans))
			for i, s := range spans {
				cf.Spans[i] = cold.Span{Min: s.Lo, Max: s.Hi}
			}
		}
		out = append(out, cf)
	}
	return append(out, tf...)
}

// keepFiltered tells, for each of a partition's files, whether its rows
// that fail the filters must still come back (as key-only rows,
// cold.Range.KeepFiltered) for the merge: when another file may hold an
// older version of one of its keys, which such a row hides (an update
// or a DELETE of a flushed row, flushed again). A file whose key range
// meets no other file's, or meets only files all of whose versions are
// newer than its own (their smallest _seq above its largest), drops
// them, and its row groups and pages are skipped by their statistics:
// a newer version always wins the merge, so nothing of it can decide
// which of that file's rows is the newest. (The hot tier's versions are
// newer than every file's, and are read whole.)
func keepFiltered(files []*tier.File) []bool {
	out := make([]bool, len(files))
	for i, a := range files {
		ai := a.Info()
		for j, b := range files {
			if i == j {
				continue
			}
			bi := b.Info()
			if bi.MinSeq > ai.MaxSeq || disjointKeys(ai, bi) {
				continue
			}
			out[i] = true
			break
		}
	}
	return out
}

// disjointKeys reports whether two files' key ranges, as their manifest
// entries record them, have no key in common. Keys are compared as the
// manifest writes them (hex of order-preserving bytes, which keeps their
// order); a file written without its key range meets every other.
func disjointKeys(a, b systable.ManifestFile) bool {
	if a.MinPK == "" || a.MaxPK == "" || b.MinPK == "" || b.MaxPK == "" {
		return false
	}
	return a.MaxPK < b.MinPK || b.MaxPK < a.MinPK
}

// hotFilter checks a hot row version against the scan filters, decoding
// only the filtered columns.
type hotFilter struct {
	filters []scanFilter
	cols    []int
	proj    *row.Projection
	fields  []row.Field
}

func newHotFilter(fs []scanFilter) *hotFilter {
	h := &hotFilter{filters: fs, fields: make([]row.Field, len(fs))}
	for _, f := range fs {
		h.cols = append(h.cols, f.col)
	}
	return h
}

// fails reports whether the row version value (of schema version
// version) certainly fails a filter. A row it cannot judge cheaply (a
// column added or re-typed since it was written) is left to the plan.
func (h *hotFilter) fails(s *tableShape, version int, value []byte) (bool, error) {
	if h.proj == nil || h.proj.Version() != version {
		proj, err := s.Projection(version, h.cols)
		if err != nil {
			return false, nil
		}
		h.proj = proj
	}
	if !h.proj.Fieldable() || h.proj.AnyMissing() {
		return false, nil
	}
	if _, err := h.proj.DecodeFields(value, h.fields); err != nil {
		return false, err
	}
	for i, f := range h.filters {
		v := h.fields[i]
		if v.Null || !f.passes(v.I) {
			return true, nil
		}
	}
	return false, nil
}
