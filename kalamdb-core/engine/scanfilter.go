package engine

import (
	"bytes"
	"math"
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
)

// Scan filters. A WHERE that bounds integer columns by constants
// (conversation_id = $1, n BETWEEN 1 AND 9, k IN (1, 2)) is handed to the
// scan of the table under it, which uses the bounds before it decodes a
// row: cold files skip row groups and pages whose statistics exclude them
// and drop rows before decoding their other columns (cold.Filter), and hot
// rows are dropped on their stored value. The plan's Filter stays and
// decides: scan filters only narrow, and only where the answer is exact
// (integers compare the same in storage and in SQL), so a row that
// passes the WHERE always passes them.

// scanFiltersRuleID identifies pushScanFilters (KalamDB's rules are numbered
// from 10,000, one number each).
const scanFiltersRuleID analyzer.RuleId = 10_004

// scanFilter bounds one integer user column: a row passes when its value
// is not NULL and within [lo, hi].
type scanFilter struct {
	col    int // index in the table's schema
	lo, hi int64
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
	if len(fs) == 0 {
		return n, true
	}
	out, err := with(dt.withFilters(fs))
	if err != nil {
		return n, true
	}
	return out, false
}

// scanFiltersOf extracts the bounds on dt's integer columns from the
// conjuncts of cond. cols are the column ids of the table's node in the
// plan: one per column of its full schema, in order.
func scanFiltersOf(dt *dataTable, cols sql.ColSet, cond sql.Expression) []scanFilter {
	var out []scanFilter
next:
	for _, c := range expression.SplitConjunction(cond) {
		f, ok := scanFilterOf(dt, cols, c)
		if !ok {
			continue
		}
		for i := range out {
			if out[i].col == f.col { // a range: both bounds on one column
				out[i].lo, out[i].hi = max(out[i].lo, f.lo), min(out[i].hi, f.hi)
				continue next
			}
		}
		out = append(out, f)
	}
	return out
}

func scanFilterOf(dt *dataTable, cols sql.ColSet, e sql.Expression) (scanFilter, bool) {
	if in, ok := e.(*expression.InTuple); ok {
		col, ok := intColumn(dt, cols, in.Left())
		tuple, isTuple := in.Right().(expression.Tuple)
		if !ok || !isTuple || len(tuple) == 0 {
			return scanFilter{}, false
		}
		f := scanFilter{col: col, lo: math.MaxInt64, hi: math.MinInt64}
		for _, item := range tuple {
			v, ok := intLiteral(item)
			if !ok {
				return scanFilter{}, false
			}
			f.lo, f.hi = min(f.lo, v), max(f.hi, v)
		}
		return f, true
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

// intColumn returns the schema index of the user column of an integer
// type of dt that e reads. A column reference of the table's own node is
// known by its id (one of cols, the table's columns in order); one of
// another table (an outer query's) is not the table's, whatever its name.
func intColumn(dt *dataTable, cols sql.ColSet, e sql.Expression) (int, bool) {
	gf, ok := e.(*expression.GetField)
	if !ok || !cols.Contains(gf.Id()) {
		return 0, false
	}
	s := dt.shape
	first, ok := cols.Next(1)
	if !ok || cols.Len() != len(s.sch) {
		return 0, false
	}
	i := int(gf.Id() - first)
	if i < 0 || i >= s.NUser || !strings.EqualFold(s.sch[i].Name, gf.Name()) {
		return 0, false
	}
	switch schema.KindOf(s.Schema.Columns[i].Type.Name) {
	case schema.KindInt16, schema.KindInt32, schema.KindInt64:
		return i, true
	}
	return 0, false
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

// withFilters is the table whose scans use fs.
func (t *dataTable) withFilters(fs []scanFilter) *dataTable {
	cp := *t
	cp.filters = fs
	return &cp
}

// matchesNone reports whether a scan filter leaves its column no value
// (id BETWEEN 13 AND 12, a = 1 AND a = 2, id > 5 AND id < 3): no
// row passes the WHERE it comes from. The engine's index planner builds
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

// coldFilters are the table's scan filters for cold files.
func (t *dataTable) coldFilters() []cold.Filter {
	out := make([]cold.Filter, 0, len(t.filters))
	for _, f := range t.filters {
		out = append(out, cold.Filter{Column: f.col, Min: f.lo, Max: f.hi})
	}
	return out
}

// disjointFiles reports whether no two files hold the same key, so that
// a cold row failing the filters can be dropped instead of shadowing an
// older version in another file.
func disjointFiles(files []*tier.File) bool {
	for i, a := range files {
		ai := a.Info()
		if ai.MinPK == "" || ai.MaxPK == "" {
			return false // written without its key range: anything goes
		}
		for _, b := range files[i+1:] {
			bi := b.Info()
			if bi.MinPK == "" || bi.MaxPK == "" {
				return false
			}
			// Keys are compared as the manifest writes them (hex of
			// order-preserving bytes, which keeps their order).
			if !(bytes.Compare([]byte(ai.MaxPK), []byte(bi.MinPK)) < 0 || bytes.Compare([]byte(bi.MaxPK), []byte(ai.MinPK)) < 0) {
				return false
			}
		}
	}
	return true
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
		if v.Null || v.I < f.lo || v.I > f.hi {
			return true, nil
		}
	}
	return false, nil
}
