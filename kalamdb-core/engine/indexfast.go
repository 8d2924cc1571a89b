package engine

import (
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/pgsql"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// The fast path through a secondary index runs, without the planner,
//
//	SELECT cols FROM t WHERE c1 = v1 [AND c2 = v2 ...] [ORDER BY ...] [LIMIT n]
//
// where c1, c2, ... are the leading columns of a ready index (in any
// order), the select list is * or plain columns, and the ORDER BY (if
// any) is what sortByIndex would remove: the index's next expressions,
// one direction, NULLs where the index keeps them. Its answer is the
// planner's for the same statement: the planner reads the same index in
// the same direction (TestFastPathMatchesEngine runs both). The newest 50
// messages of a conversation are the typical query: 50 entries read
// backwards from the end of the conversation's prefix, 50 rows fetched by
// key.

// indexPlan is a SELECT the fast path runs through a secondary index.
type indexPlan struct {
	si *secIndex
	// values are the expressions (constants or parameters) the leading
	// index columns equal, in index order.
	values  []sqlparser.Expr
	reverse bool
	// limit is the LIMIT expression, or nil.
	limit sqlparser.Expr
}

// fastIndexSelect runs a compiled SELECT through its secondary index, or
// returns errNoFastPath.
func (e *Engine) fastIndexSelect(sctx *sql.Context, dt *dataTable, sp *fastSelectPlan, bindings map[string]sqlparser.Expr,
	maxRows int, maxBytes int64) (*QueryResult, error) {
	p := sp.idx
	// Whether the statement may use the index at all depends on the
	// session (its transaction's pending writes, a filter on _deleted,
	// whether its snapshot holds the index whole: a plan compiled before
	// a DROP INDEX goes to the planner).
	if !slices.Contains(dt.secondaryIndexes(), p.si) {
		return nil, errNoFastPath
	}
	limit := 0
	if p.limit != nil {
		sv, ok := literal(p.limit, bindings)
		if !ok || sv.Type != sqlparser.IntVal {
			return nil, errNoFastPath
		}
		n, err := strconv.Atoi(string(sv.Val))
		if err != nil || n < 0 {
			return nil, errNoFastPath
		}
		if n == 0 {
			w := newResultWriterFor(sctx, sp.layout, maxRows, maxBytes)
			w.res.Rows = [][]any{}
			return w.res, nil
		}
		limit = n
	}
	start := p.si.ix.IndexPrefix(nil, dt.prefix)
	for i, expr := range p.values {
		c := p.si.cols[i]
		sv, ok := literal(expr, bindings)
		if !ok {
			return nil, errNoFastPath
		}
		v, err := convertLiteral(sctx, dt.shape.sch[c.pos], c.typ, sv)
		if err != nil {
			return nil, err
		}
		if c.raw {
			start, err = row.AppendKey(start, c.typ, v)
		} else {
			start, err = row.AppendIndexValue(start, c.typ, v)
		}
		if err != nil {
			return nil, errNoFastPath
		}
	}
	dt = dt.withColumns(sp.cols)
	iter, err := dt.openIndexIter(sctx, p.si, [][2][]byte{{start, kv.PrefixEnd(start)}}, p.reverse, limit)
	if err != nil {
		return nil, err
	}
	defer iter.Close(sctx)
	w := newResultWriterFor(sctx, sp.layout, maxRows, maxBytes)
	// With a LIMIT the rows nearly always number it (entries are exact).
	// The rows and their values come from an arena the caller may give
	// back once it has written them out (QueryResult.Release); not when
	// a row sink takes the rows instead, as it may keep them.
	var arena *resultArena
	if limit > 0 && w.onRow == nil {
		arena = e.newResultArena()
		iter.arena = arena
		w.res.Rows = arena.rowList(min(limit, indexBatchMax))
	} else {
		w.res.Rows = make([][]any, 0, min(limit, indexBatchMax))
	}
	for {
		r, err := iter.Next(sctx)
		if errors.Is(err, io.EOF) {
			// Only a result that gets out whole holds its arena: on an
			// error the arena is dropped with the rows.
			w.res.arena = arena
			return w.res, nil
		}
		if err != nil {
			return nil, err
		}
		// indexIter's rows are fresh (assembled per row) and not kept.
		if err := w.addOwned(r); err != nil {
			return nil, err
		}
	}
}

// planIndexSelect picks the index of indexes (a table version's ready
// secondary indexes) that answers the statement's WHERE and ORDER BY, or
// returns errNoFastPath.
func planIndexSelect(indexes []*secIndex, s *sqlparser.Select, ownsColumn func(*sqlparser.ColName) bool) (*indexPlan, error) {
	if len(indexes) == 0 {
		return nil, errNoFastPath
	}
	eq, err := equalities(s.Where.Expr, ownsColumn)
	if err != nil {
		return nil, err
	}
	keys, err := orderKeys(s.OrderBy, ownsColumn)
	if err != nil {
		return nil, err
	}
	for _, si := range indexes {
		if len(eq) > len(si.cols) {
			continue
		}
		p := &indexPlan{si: si}
		for _, name := range si.names[:len(eq)] {
			v, ok := eq[name]
			if !ok {
				break
			}
			p.values = append(p.values, v)
		}
		if len(p.values) != len(eq) {
			continue
		}
		if reverse, ok := keysFollowIndex(si, len(eq), keys); ok {
			p.reverse = reverse
			if s.Limit != nil {
				p.limit = s.Limit.Rowcount
			}
			return p, nil
		}
	}
	return nil, errNoFastPath
}

// equalities reads a WHERE that is a conjunction of column = constant
// (either way round), one per column, into column name -> value.
func equalities(where sqlparser.Expr, ownsColumn func(*sqlparser.ColName) bool) (map[string]sqlparser.Expr, error) {
	out := map[string]sqlparser.Expr{}
	var walk func(e sqlparser.Expr) bool
	walk = func(e sqlparser.Expr) bool {
		switch x := e.(type) {
		case *sqlparser.AndExpr:
			return walk(x.Left) && walk(x.Right)
		case *sqlparser.ParenExpr:
			return walk(x.Expr)
		case *sqlparser.ComparisonExpr:
			if x.Operator != sqlparser.EqualStr || x.Escape != nil {
				return false
			}
			col, val := x.Left, x.Right
			if _, isCol := col.(*sqlparser.ColName); !isCol {
				col, val = val, col
			}
			cn, ok := col.(*sqlparser.ColName)
			if !ok || !ownsColumn(cn) {
				return false
			}
			if _, isCol := val.(*sqlparser.ColName); isCol {
				return false
			}
			name := cn.Name.Lowered()
			if _, dup := out[name]; dup {
				return false
			}
			out[name] = val
			return true
		}
		return false
	}
	if !walk(where) || len(out) == 0 {
		return nil, errNoFastPath
	}
	return out, nil
}

// orderKey is one key of an ORDER BY of plain columns, with where the
// statement wants its NULLs (PostgreSQL's rule: last ascending, first
// descending, unless a NULLS clause says otherwise).
type orderKey struct {
	name       string
	desc       bool
	nullsFirst bool
}

// orderKeys reads an ORDER BY of plain columns of the table, with their
// NULL placement markers (pgsql.FnNulls).
func orderKeys(ob sqlparser.OrderBy, ownsColumn func(*sqlparser.ColName) bool) ([]orderKey, error) {
	var out []orderKey
	for _, o := range ob {
		if f, ok := o.Expr.(*sqlparser.FuncExpr); ok && f.Name.Lowered() == pgsql.FnNulls && len(out) > 0 {
			place, ok := markerPlace(f)
			if !ok {
				return nil, errNoFastPath
			}
			out[len(out)-1].nullsFirst = place == "first"
			continue
		}
		cn, ok := o.Expr.(*sqlparser.ColName)
		if !ok || !ownsColumn(cn) {
			return nil, errNoFastPath
		}
		desc := o.Direction == sqlparser.DescScr
		// Without a marker, the key has the engine's placement, which
		// is PostgreSQL's reverse (pgsql adds a marker when they differ).
		out = append(out, orderKey{name: cn.Name.Lowered(), desc: desc, nullsFirst: !desc})
	}
	return out, nil
}

// markerPlace reads "first" or "last" from a NULL placement marker.
func markerPlace(f *sqlparser.FuncExpr) (string, bool) {
	if len(f.Exprs) != 1 {
		return "", false
	}
	ae, ok := f.Exprs[0].(*sqlparser.AliasedExpr)
	if !ok {
		return "", false
	}
	sv, ok := ae.Expr.(*sqlparser.SQLVal)
	if !ok || sv.Type != sqlparser.StrVal {
		return "", false
	}
	_, place, ok := strings.Cut(string(sv.Val), ":")
	return place, ok && (place == "first" || place == "last")
}

// keysFollowIndex reports whether reading si's entries with its first
// bound columns fixed gives rows in the order of keys, and in which
// direction.
func keysFollowIndex(si *secIndex, bound int, keys []orderKey) (reverse, ok bool) {
	next := bound
	for _, k := range keys {
		col := si.column(k.name)
		switch {
		case col >= 0 && col < bound:
			continue
		case col != next:
			return false, false
		case next > bound && k.desc != reverse:
			return false, false
		}
		reverse = k.desc
		// Entries hold NULLs last: first when read backwards.
		if si.cols[col].nullable && k.nullsFirst != k.desc {
			return false, false
		}
		next++
	}
	return reverse, true
}
