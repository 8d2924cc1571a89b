package engine

import (
	"slices"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
)

// Text scan filters. A WHERE that compares a TEXT (or VARCHAR) column with
// constants (sender = $1, tag IN ('a', 'b'), name >= 'm', a LIKE prefix,
// which the engine reads as a range, or an OR of those on one column) is
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

// textScanFilters are the cold filters of the conjuncts of cond that
// compare one of dt's TEXT columns with constants (cols: the ids of the
// table's node's columns, as scanFiltersOf). Each conjunct is a filter of
// its own: a row passes them all, so two on one column intersect.
func textScanFilters(dt *dataTable, cols sql.ColSet, cond sql.Expression) []cold.Filter {
	var out []cold.Filter
	for _, c := range expression.SplitConjunction(cond) {
		col, spans, ok := textSpans(dt, cols, c)
		if !ok {
			continue
		}
		f := cold.Filter{Column: col}
		if len(spans) > maxColdSpans {
			spans = coarseText(spans, maxColdSpans)
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

// textSpans is what e says of one TEXT column of dt: the spans of values
// it can be true for. A comparison with a text constant is one span, an
// IN list of them a point each (NULL items match nothing), and an OR of
// such terms on one column the union of theirs. Anything else (another
// column, a NOT, an IS NULL, an AND inside the OR) says nothing.
func textSpans(dt *dataTable, cols sql.ColSet, e sql.Expression) (col int, spans []cold.Span, ok bool) {
	if or, isOr := e.(*expression.Or); isOr {
		col = -1
		spans = []cold.Span{}
		for _, term := range expression.SplitDisjunction(or) {
			c, s, ok := textSpans(dt, cols, term)
			if !ok || (col >= 0 && c != col) {
				return 0, nil, false
			}
			col = c
			spans = append(spans, s...)
		}
		return col, spans, col >= 0
	}
	if left, items, isIn := inList(e); isIn {
		col, ok := textColumn(dt, cols, left)
		if !ok || len(items) == 0 {
			return 0, nil, false
		}
		spans = make([]cold.Span, 0, len(items))
		for _, item := range items {
			if isNullLiteral(item) {
				continue
			}
			v, ok := textConstant(item)
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
	col, ok = textColumn(dt, cols, left)
	if !ok {
		left, right, op = right, left, mirroredOp(op)
		if col, ok = textColumn(dt, cols, left); !ok {
			return 0, nil, false
		}
	}
	v, ok := textConstant(right)
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

// coarseText is at most n spans that cover spans (more than n): an IN
// list's values, sorted, in n runs of about equal length, each a span
// from its first value to its last; anything else, their hull. Cold files
// prune by them (see maxColdSpans); the plan's Filter decides.
func coarseText(spans []cold.Span, n int) []cold.Span {
	vals := make([]string, 0, len(spans))
	for _, s := range spans {
		v, ok := s.Min.(string)
		if !ok || s.Max != s.Min || s.MinExclusive || s.MaxExclusive {
			return []cold.Span{textHull(spans)}
		}
		vals = append(vals, v)
	}
	slices.Sort(vals)
	vals = slices.Compact(vals)
	out := make([]cold.Span, 0, n)
	for g := range n {
		from, to := g*len(vals)/n, (g+1)*len(vals)/n
		if from < to {
			out = append(out, cold.Span{Min: vals[from], Max: vals[to-1]})
		}
	}
	return out
}

// textHull is the one span, bounds included, that covers spans.
func textHull(spans []cold.Span) cold.Span {
	var lo, hi string
	hasLo, hasHi := true, true
	for i, s := range spans {
		l, lok := s.Min.(string)
		h, hok := s.Max.(string)
		hasLo, hasHi = hasLo && lok, hasHi && hok
		if i == 0 || l < lo {
			lo = l
		}
		if i == 0 || h > hi {
			hi = h
		}
	}
	var out cold.Span
	if hasLo {
		out.Min = lo
	}
	if hasHi {
		out.Max = hi
	}
	return out
}
