package engine

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
)

// Text scan filters. A WHERE that compares a TEXT (or VARCHAR) column with
// constants (sender = $1, tag IN ('a', 'b'), name >= 'm', a LIKE prefix,
// which the engine reads as a range, tag NOT IN ('a', 'b'), tag <> 'a',
// or an OR of those on one column) is
// handed to the cold files under the table as cold.Filter bounds and
// spans: row groups and pages whose statistics (or, on the primary key's
// column, bloom filters) exclude every value are skipped, and rows that
// fail are dropped before their other columns are decoded. Hot rows are
// not filtered here; the plan's Filter stays and decides.
//
// The files compare bytes, and that is exactly how the engine compares
// texts: by code point (PostgreSQL's "C" collation), which for the valid
// UTF-8 every stored text is (row.Normalize refuses any other) is the
// order of the bytes, with no padding (a trailing space counts). A
// constant that is not valid UTF-8 is not pushed (the engine's
// comparison would not see its bytes), nor a comparison with anything
// but a text constant (tag = 5 compares numbers), nor one under a
// COLLATE, which is not a plain column.

// Times (scanfilter.go pushes integers) go the same way: a comparison of
// a TIMESTAMP, DATETIME or DATE column with a constant of the column's own
// type, whose values the engine compares as instants (the type's Compare:
// a DATE's truncated to its day), as the files do their microseconds or
// days since 1970 (cold.Filter rounds a bound's fraction outward). A
// constant of another type (a TIMESTAMP against a DATE column, a text the
// engine converts row by row) is not pushed.

// coldKind is one kind of column whose comparisons only the cold files
// use: which columns of a table are of it, the value of a constant one of
// them (col) is compared with, as cold.Filter takes it, and how two such
// values compare.
type coldKind struct {
	column   func(dt *dataTable, cols sql.ColSet, e sql.Expression) (int, bool)
	constant func(col, c sql.Expression) (any, bool)
	compare  func(a, b any) int
}

var (
	textKind = coldKind{
		column: textColumn,
		constant: func(_, c sql.Expression) (any, bool) {
			s, ok := textConstant(c)
			return s, ok
		},
		compare: func(a, b any) int { return strings.Compare(a.(string), b.(string)) },
	}
	timeKind = coldKind{
		column:   timeColumn,
		constant: timeConstantOf,
		compare:  func(a, b any) int { return a.(time.Time).Compare(b.(time.Time)) },
	}
)

// coldScanFilters are the cold filters of the conjuncts of cond that
// compare one of dt's TEXT or time columns with constants (cols: the ids
// of the table's node's columns, as scanFiltersOf). Each conjunct is a
// filter of its own: a row passes them all, so two on one column
// intersect. More than maxColdSpans spans are cut to that many
// (coarseSpans).
func coldScanFilters(dt *dataTable, cols sql.ColSet, cond sql.Expression) []cold.Filter {
	var out []cold.Filter
	for _, c := range expression.SplitConjunction(cond) {
		kind := textKind
		col, spans, ok := kind.spans(dt, cols, c)
		if !ok {
			kind = timeKind
			if col, spans, ok = kind.spans(dt, cols, c); !ok {
				continue
			}
		}
		f := cold.Filter{Column: col}
		if len(spans) > maxColdSpans {
			spans = coarseSpans(spans, maxColdSpans, kind.compare)
		}
		if len(spans) == 1 {
			s := spans[0]
			f.Min, f.Max, f.MinExclusive, f.MaxExclusive = s.Min, s.Max, s.MinExclusive, s.MaxExclusive
		} else {
			f.Spans = spans // none (an IN list of NULLs): nothing passes
		}
		out = append(out, f)
	}
	return out
}

// spans is what e says of one column of dt of kind k: the spans of values
// it can be true for. A comparison with a constant is one span, an IN list
// of them a point each (NULL items match nothing), an OR of such terms on
// one column the union of theirs, and NOT IN and <> (NOT of points) what
// their points leave (notSpans). Anything else (another column, a NOT of
// a range, an IS NULL, an AND inside the OR) says nothing.
//
// The spans hold no value for which e is false (only values for which it
// is true, or NULL: col IN ('a', NULL) for 'b'), which is what lets NOT
// take their complement.
func (k coldKind) spans(dt *dataTable, cols sql.ColSet, e sql.Expression) (col int, spans []cold.Span, ok bool) {
	if not, isNot := e.(*expression.Not); isNot {
		return k.notSpans(dt, cols, not.Child)
	}
	if or, isOr := e.(*expression.Or); isOr {
		col = -1
		spans = []cold.Span{}
		for _, term := range expression.SplitDisjunction(or) {
			c, s, ok := k.spans(dt, cols, term)
			if !ok || (col >= 0 && c != col) {
				return 0, nil, false
			}
			col = c
			spans = append(spans, s...)
		}
		return col, spans, col >= 0
	}
	if left, items, isIn := inList(e); isIn {
		col, ok := k.column(dt, cols, left)
		if !ok || len(items) == 0 {
			return 0, nil, false
		}
		spans = make([]cold.Span, 0, len(items))
		for _, item := range items {
			if isNullLiteral(item) {
				continue
			}
			v, ok := k.constant(left, item)
			if !ok {
				return 0, nil, false
			}
			spans = append(spans, cold.Point(v))
		}
		return col, spans, true
	}
	cmp, isCmp := e.(expression.Comparer)
	op, isOp := comparisonOp(e)
	if !isCmp || !isOp || op == "<=>" {
		return 0, nil, false
	}
	left, right := cmp.Left(), cmp.Right()
	col, ok = k.column(dt, cols, left)
	if !ok {
		left, right, op = right, left, mirroredOp(op)
		if col, ok = k.column(dt, cols, left); !ok {
			return 0, nil, false
		}
	}
	v, ok := k.constant(left, right)
	if !ok {
		return 0, nil, false
	}
	var s cold.Span
	switch op {
	case "=":
		s = cold.Point(v)
	case ">":
		s = cold.Span{Min: v, MinExclusive: true}
	case ">=":
		s = cold.Span{Min: v}
	case "<":
		s = cold.Span{Max: v, MaxExclusive: true}
	case "<=":
		s = cold.Span{Max: v}
	}
	return col, []cold.Span{s}, true
}

// notSpans is spans of NOT e, where e is points of one column (col = v,
// col IN (...), an OR of those): the spans between and around the points,
// bounds excluded. NULL passes none of them, as it makes NOT IN and <>
// NULL; an IN list holding NULL makes NOT IN true for no value at all
// (col NOT IN ('a', NULL) is NULL for 'b'), so nothing passes. Past
// maxColdSpans-1 points the first ones are kept: a complement of fewer
// points passes more values, never fewer, so it still prunes the row
// groups that hold only those (one value each, mostly) and the plan's
// Filter decides.
func (k coldKind) notSpans(dt *dataTable, cols sql.ColSet, e sql.Expression) (int, []cold.Span, bool) {
	col, in, ok := k.spans(dt, cols, e)
	if !ok {
		return 0, nil, false
	}
	if _, items, isIn := inList(e); isIn && slices.ContainsFunc(items, isNullLiteral) {
		return col, []cold.Span{}, true
	}
	vals := make([]any, 0, len(in))
	for _, s := range in {
		if !isPointSpan(s, k.compare) {
			return 0, nil, false
		}
		vals = append(vals, s.Min)
	}
	slices.SortFunc(vals, k.compare)
	vals = slices.CompactFunc(vals, func(a, b any) bool { return k.compare(a, b) == 0 })
	vals = vals[:min(len(vals), maxColdSpans-1)]
	out := make([]cold.Span, 0, len(vals)+1)
	var prev any
	for _, v := range vals {
		out = append(out, cold.Span{Min: prev, MinExclusive: prev != nil, Max: v, MaxExclusive: true})
		prev = v
	}
	return col, append(out, cold.Span{Min: prev, MinExclusive: prev != nil}), true
}

// isPointSpan reports whether s is one value, both bounds included.
func isPointSpan(s cold.Span, compare func(a, b any) int) bool {
	return s.Min != nil && s.Max != nil && !s.MinExclusive && !s.MaxExclusive && compare(s.Min, s.Max) == 0
}

// textColumn returns the schema index of the TEXT user column of dt that
// e reads (see userColumn).
func textColumn(dt *dataTable, cols sql.ColSet, e sql.Expression) (int, bool) {
	i, k, ok := userColumn(dt, cols, e)
	return i, ok && k == schema.KindText
}

// textConstant is the value of a text constant that is valid UTF-8.
func textConstant(e sql.Expression) (string, bool) {
	lit, ok := asLiteral(e)
	if !ok || !types.IsTextOnly(lit.Type()) {
		return "", false
	}
	s, ok := lit.Value().(string)
	return s, ok && utf8.ValidString(s)
}

// coarseSpans is at most n spans that cover spans (more than n), whose
// values compare by compare: an IN list's values, sorted, in n runs of
// about equal length, each a span from its first value to its last;
// anything else, their hull. Cold files prune by them (see maxColdSpans);
// the plan's Filter decides.
func coarseSpans(spans []cold.Span, n int, compare func(a, b any) int) []cold.Span {
	vals := make([]any, 0, len(spans))
	for _, s := range spans {
		if !isPointSpan(s, compare) {
			return []cold.Span{hullOf(spans, compare)}
		}
		vals = append(vals, s.Min)
	}
	slices.SortFunc(vals, compare)
	vals = slices.CompactFunc(vals, func(a, b any) bool { return compare(a, b) == 0 })
	out := make([]cold.Span, 0, n)
	for g := range n {
		from, to := g*len(vals)/n, (g+1)*len(vals)/n
		if from < to {
			out = append(out, cold.Span{Min: vals[from], Max: vals[to-1]})
		}
	}
	return out
}

// hullOf is the one span, bounds included, that covers spans.
func hullOf(spans []cold.Span, compare func(a, b any) int) cold.Span {
	var out cold.Span
	openLo, openHi := false, false
	for _, s := range spans {
		openLo = openLo || s.Min == nil
		openHi = openHi || s.Max == nil
		if s.Min != nil && (out.Min == nil || compare(s.Min, out.Min) < 0) {
			out.Min = s.Min
		}
		if s.Max != nil && (out.Max == nil || compare(s.Max, out.Max) > 0) {
			out.Max = s.Max
		}
	}
	if openLo {
		out.Min = nil
	}
	if openHi {
		out.Max = nil
	}
	return out
}

// timeColumn returns the schema index of the TIMESTAMP, DATETIME or DATE
// user column of dt that e reads (see userColumn).
func timeColumn(dt *dataTable, cols sql.ColSet, e sql.Expression) (int, bool) {
	i, k, ok := userColumn(dt, cols, e)
	return i, ok && (k == schema.KindTimestamp || k == schema.KindDate)
}

// timeConstantOf is the value of a time constant c of the type of column
// col, within the timestamps the engine holds (a later date is not
// pushed: its microseconds would not fit the files' int64). Of another
// type, the engine converts one side before it compares, which may
// round.
func timeConstantOf(col, c sql.Expression) (any, bool) {
	lit, ok := asLiteral(c)
	if !ok || !types.TypesEqual(lit.Type(), col.Type()) {
		return nil, false
	}
	t, ok := lit.Value().(time.Time)
	if !ok || t.Before(minTime) || t.After(maxTimestamp) {
		return nil, false
	}
	return t, true
}
