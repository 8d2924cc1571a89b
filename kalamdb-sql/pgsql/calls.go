package pgsql

import (
	"strings"

	"github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// funcName is a function call's name, lower case as PostgreSQL folds it;
// pg_catalog. is dropped (the SQL-syntax forms such as EXTRACT(... FROM
// ...) call pg_catalog functions). Other qualified names give "".
func funcName(fc *pg.FuncCall) string {
	names := fc.Funcname
	last := names[len(names)-1].GetString_().GetSval()
	switch {
	case len(names) == 1:
		return last
	case len(names) == 2 && names[0].GetString_().GetSval() == "pg_catalog":
		return last
	}
	return ""
}

func (t *translator) funcCall(fc *pg.FuncCall) (sqlparser.Expr, error) {
	name := funcName(fc)
	if name == "" {
		return nil, t.unsupported(fc.Location, "qualified function names are not supported")
	}
	if name == "timezone" && fc.Funcformat == pg.CoercionForm_COERCE_SQL_SYNTAX {
		return nil, t.unsupported(fc.Location, "AT TIME ZONE is not supported: timestamps are UTC")
	}
	if name == "cume_dist" && fc.Over != nil {
		return t.cumeDist(fc)
	}
	if name == "make_interval" {
		// Its value is an interval, which exists only where
		// intervalOperand reads one.
		return nil, t.unsupported(fc.Location, "INTERVAL values are only supported added to or subtracted from a timestamp or date (ts + make_interval(days => 1))")
	}
	spec, ok := functions[name]
	if !ok && setReturning[name] {
		return nil, t.unsupported(fc.Location, "set-returning function %s() is only supported in FROM: write SELECT ... FROM %s(...)", name, name)
	}
	if !ok {
		if why, refused := refusedFunctions[name]; refused {
			return nil, t.errorAt(fc.Location, "function %s() is not supported: %s", name, why)
		}
		return t.noFunction(name, fc.Args)
	}
	if fc.AggWithinGroup {
		return nil, t.unsupported(fc.Location, "WITHIN GROUP is not supported")
	}
	if fc.FuncVariadic {
		return nil, t.unsupported(fc.Location, "VARIADIC is not supported")
	}
	nargs := len(fc.Args)
	if fc.AggStar {
		if name != "count" {
			return nil, t.errorAt(fc.Location, "%s(*) is not valid; only count(*) takes *", name)
		}
	} else if nargs < spec.min || (spec.max >= 0 && nargs > spec.max) {
		// PostgreSQL has no function of that name and that many
		// arguments either.
		return t.noFunction(name, fc.Args)
	}
	if name == "substring" && fc.Funcformat == pg.CoercionForm_COERCE_SQL_SYNTAX && nargs == 3 {
		// SUBSTRING(x SIMILAR p ESCAPE e) parses like SUBSTRING(x FROM a
		// FOR b); the engine refuses text bounds, so the regular
		// expression form never runs as a substring.
	}
	isAgg := spec.kind == aggregate || spec.kind == engineAgg
	if !isAgg && spec.kind != window {
		if fc.AggStar || fc.AggDistinct || len(fc.AggOrder) > 0 || fc.AggFilter != nil || fc.Over != nil {
			return nil, t.errorAt(fc.Location, "%s() is not an aggregate function: DISTINCT, ORDER BY, FILTER and OVER do not apply", name)
		}
		if name == "extract" {
			// EXTRACT refuses a time-of-day field of a DATE, which
			// date_part reads as a timestamp at midnight: the engine is
			// told which one was written.
			out, err := t.variadic(spec.name, append(append([]*pg.Node(nil), fc.Args...), pg.MakeAConstStrNode(ExtractMarker, -1)))
			return out, err
		}
		return t.variadic(spec.name, fc.Args)
	}
	for _, a := range fc.Args {
		if isAgg && a.GetRowExpr() != nil {
			// count(DISTINCT (a, b)) is valid PostgreSQL; the engine has no
			// row values to aggregate (it said "operand should have 1
			// columns", MySQL's words).
			return nil, t.unsupported(location(a), "a row value as the argument of aggregate %s() is not supported", name)
		}
	}
	if spec.kind == window || fc.Over != nil {
		if t.aggs.refusedIn == ReturningClause {
			// PostgreSQL's words; a subquery in RETURNING has its own scope.
			return nil, t.errorAt(fc.Location, "window functions are not allowed in RETURNING")
		}
		return t.windowCall(fc, name, spec)
	}
	// The engine planned these and failed while running, in its own words
	// ("unable to find field with index 8 in row of 0 columns").
	if t.aggs.refusedIn != "" {
		return nil, t.errorAt(fc.Location, "aggregate functions are not allowed in %s", t.aggs.refusedIn)
	}
	if t.inWindowArgs {
		// The engine plans a window over a grouped query's rows only from a
		// subquery (and failed here with an internal error).
		return nil, t.unsupported(fc.Location, WindowOverGroups)
	}
	if t.aggs.inArgs {
		return nil, t.errorAt(fc.Location, "aggregate function calls cannot be nested")
	}
	t.aggs.inArgs = true
	defer func() { t.aggs.inArgs = false }()
	// The engine's own count, min and max keep O(1) state. count(DISTINCT)
	// keeps every distinct value, so it takes KalamDB's aggregate, which
	// charges them to the statement's memory budget.
	if spec.kind == engineAgg && fc.AggFilter == nil && len(fc.AggOrder) == 0 && !(fc.AggDistinct && name == "count") {
		out := &sqlparser.FuncExpr{Name: sqlparser.NewColIdent(spec.name)}
		if fc.AggStar {
			out.Exprs = sqlparser.SelectExprs{&sqlparser.StarExpr{}}
			return out, nil
		}
		arg, err := t.expr(fc.Args[0])
		if err != nil {
			return nil, err
		}
		out.Exprs = sqlparser.SelectExprs{&sqlparser.AliasedExpr{Expr: arg}}
		return out, nil
	}
	return t.aggregateCall(fc, spec)
}

// aggregateCall translates an aggregate into a call of the aggregate
// carrier: AggregateCarrier('name[;distinct][;filter][;order=dirs]',
// args..., [filter condition], [order keys...]). dirs has two letters per
// ORDER BY key: a or d, then f (NULLs first) or l (last).
func (t *translator) aggregateCall(fc *pg.FuncCall, spec fnSpec) (sqlparser.Expr, error) {
	return t.aggregateCallWith(fc, spec, "")
}

// aggregateCallWith is aggregateCall with more options (a window frame).
func (t *translator) aggregateCallWith(fc *pg.FuncCall, spec fnSpec, more string) (sqlparser.Expr, error) {
	if agg := aggregateIn(fc.AggFilter); agg != nil {
		return nil, t.errorAt(agg.Location, "aggregate functions are not allowed in FILTER")
	}
	var b strings.Builder
	b.WriteString(spec.name)
	if fc.AggDistinct {
		b.WriteString(";distinct")
	}
	var args []sqlparser.Expr
	for _, a := range fc.Args {
		e, err := t.expr(a)
		if err != nil {
			return nil, err
		}
		args = append(args, e)
	}
	if fc.AggFilter != nil {
		b.WriteString(";filter")
		f, err := t.expr(fc.AggFilter)
		if err != nil {
			return nil, err
		}
		args = append(args, f)
	}
	if len(fc.AggOrder) > 0 {
		if fc.AggDistinct {
			// PostgreSQL requires the ORDER BY keys of a DISTINCT aggregate
			// to be its arguments; ordering by the argument is the only
			// form KalamDB supports there.
			for _, o := range fc.AggOrder {
				sb := o.GetSortBy()
				if sb == nil || len(args) == 0 || !t.sameExpr(sb.Node, args[0]) {
					return nil, t.errorAt(fc.Location, "in an aggregate with DISTINCT, ORDER BY expressions must appear in argument list")
				}
			}
		}
		b.WriteString(";order=")
		for _, o := range fc.AggOrder {
			sb := o.GetSortBy()
			if sb == nil {
				return nil, t.errorAt(fc.Location, "unexpected %s in ORDER BY", nodeName(o))
			}
			desc, nullsFirst, err := t.sortOrder(sb)
			if err != nil {
				return nil, err
			}
			b.WriteByte("ad"[boolIndex(desc)])
			b.WriteByte("lf"[boolIndex(nullsFirst)])
			e, err := t.expr(sb.Node)
			if err != nil {
				return nil, err
			}
			args = append(args, e)
		}
	}
	b.WriteString(more)
	out := call(AggregateCarrier, str(b.String()))
	for _, a := range args {
		out.Exprs = append(out.Exprs, &sqlparser.AliasedExpr{Expr: a})
	}
	return out, nil
}

func boolIndex(b bool) int {
	if b {
		return 1
	}
	return 0
}

// sameExpr reports whether node n translates to the same expression as e.
func (t *translator) sameExpr(n *pg.Node, e sqlparser.Expr) bool {
	x, err := t.expr(n)
	return err == nil && sqlparser.String(x) == sqlparser.String(e)
}

// WindowOverGroups refuses a window function over a grouped query's rows
// (the engine's refusal, and an aggregate in a window function's
// arguments here).
const WindowOverGroups = "window functions in a query with GROUP BY or aggregates are not supported; " +
	"group in a subquery and apply the window function to its rows: SELECT ..., row_number() OVER (...) FROM (SELECT ... GROUP BY ...) AS g"

// wholeInputBroken are the window functions the engine cannot plan over
// an empty window, OVER (): their WithChildren needs a partition or an
// ordering key besides the argument (go-mysql-server v0.20.0), and the
// statement failed with an internal error.
var wholeInputBroken = map[string]bool{"lag": true, "lead": true}

// framed are the window functions that use their window's frame; they
// run through the aggregate carrier.
var framed = map[string]bool{"first_value": true, "last_value": true, "nth_value": true}

// hasAggregate reports whether n calls an aggregate (outside a
// subquery and a window function).
func hasAggregate(n *pg.Node) bool { return aggregateIn(n) != nil }

// aggregateIn is the first aggregate call in n (outside a subquery and a
// window function), or nil.
func aggregateIn(n *pg.Node) *pg.FuncCall {
	m := findNode(n, func(m protoreflect.Message) (bool, bool) {
		switch x := m.Interface().(type) {
		case *pg.SubLink:
			return false, false
		case *pg.FuncCall:
			if x.Over != nil || len(x.Funcname) == 0 {
				return false, x.Over == nil
			}
			s, ok := functions[strings.ToLower(x.Funcname[len(x.Funcname)-1].GetString_().GetSval())]
			return ok && (s.kind == aggregate || s.kind == engineAgg), true
		}
		return false, true
	})
	if m == nil {
		return nil
	}
	return m.Interface().(*pg.FuncCall)
}

// cumeDist translates cume_dist() OVER (w), which the engine lacks, into
// what it is: the rows up to the current row's last peer over the rows of
// the partition, count(*) OVER (w) / count(*) OVER (w without ORDER BY),
// as a double precision.
func (t *translator) cumeDist(fc *pg.FuncCall) (sqlparser.Expr, error) {
	if len(fc.Args) > 0 || fc.AggStar || fc.AggDistinct || fc.AggFilter != nil || len(fc.AggOrder) > 0 {
		return nil, t.errorAt(fc.Location, "function cume_dist() takes no arguments")
	}
	count := func(w *pg.WindowDef) *pg.Node {
		n := pg.MakeFuncCallNode([]*pg.Node{pg.MakeStrNode("count")}, nil, fc.Location)
		n.GetFuncCall().AggStar = true
		n.GetFuncCall().Over = w
		return n
	}
	// A named window is resolved first: its copy without ORDER BY must
	// be a window of its own.
	over, err := t.resolveWindow(fc.Over)
	if err != nil {
		return nil, err
	}
	// cume_dist() ignores its window's frame, as ranking functions do
	// (which PostgreSQL still checks): the counts must not inherit it.
	if err := t.checkFrame(over, true); err != nil {
		return nil, err
	}
	over = proto.Clone(over).(*pg.WindowDef)
	over.FrameOptions, over.StartOffset, over.EndOffset = frameOptionDefaults, nil, nil
	over.Name, over.Refname = "", ""
	whole := proto.Clone(over).(*pg.WindowDef)
	whole.OrderClause = nil
	upToPeers := &pg.Node{Node: &pg.Node_TypeCast{TypeCast: &pg.TypeCast{Arg: count(over), Location: -1,
		TypeName: &pg.TypeName{Names: []*pg.Node{pg.MakeStrNode("pg_catalog"), pg.MakeStrNode("float8")}, Location: -1}}}}
	return t.expr(pg.MakeAExprNode(pg.A_Expr_Kind_AEXPR_OP, []*pg.Node{pg.MakeStrNode("/")}, upToPeers, count(whole), fc.Location))
}

// windowCall translates f(...) OVER (PARTITION BY ... ORDER BY ...).
func (t *translator) windowCall(fc *pg.FuncCall, name string, spec fnSpec) (sqlparser.Expr, error) {
	if fc.Over == nil {
		return nil, t.errorAt(fc.Location, "window function %s() requires an OVER clause", name)
	}
	if t.inWindowArgs {
		// In another window function's arguments, FILTER or window: the
		// engine failed with an internal error about a missing column.
		return nil, t.errorAt(fc.Location, "window function calls cannot be nested")
	}
	if name == "ntile" && len(fc.Args) == 1 {
		if c := fc.Args[0].GetAConst(); c != nil && c.Isnull {
			// ntile(NULL) is NULL on every row in PostgreSQL; the engine
			// failed ("Invalid argument to NTILE").
			return call(FnCast, &sqlparser.NullVal{}, str("BIGINT")), nil
		}
	}
	if (name == "lag" || name == "lead") && len(fc.Args) >= 2 {
		// A negative offset looks the other way, as in PostgreSQL (the
		// engine refuses one): lag(v, -1) is lead(v, 1).
		if c := fc.Args[1].GetAConst(); c != nil && c.GetIval() != nil && c.GetIval().GetIval() < 0 {
			other := map[string]string{"lag": "lead", "lead": "lag"}[name]
			cp := proto.Clone(fc).(*pg.FuncCall)
			cp.Funcname = []*pg.Node{pg.MakeStrNode(other)}
			cp.Args[1] = pg.MakeAConstIntNode(-int64(c.GetIval().GetIval()), c.Location)
			return t.windowCall(cp, other, functions[other])
		}
	}
	// PostgreSQL's own refusals, in its words.
	if fc.AggDistinct {
		return nil, t.unsupported(fc.Location, "DISTINCT is not implemented for window functions")
	}
	if len(fc.AggOrder) > 0 {
		return nil, t.unsupported(fc.Location, "aggregate ORDER BY is not implemented for window functions")
	}
	if fc.AggFilter != nil && spec.kind == window {
		return nil, t.unsupported(fc.Location, "FILTER is not implemented for non-aggregate window functions")
	}
	w, err := t.resolveWindow(fc.Over)
	if err != nil {
		return nil, err
	}
	defer func(was bool) { t.inWindowArgs = was }(t.inWindowArgs)
	t.inWindowArgs = true
	frame, err := t.frameOptions(w)
	if err != nil {
		return nil, err
	}
	over := &sqlparser.Over{}
	for _, p := range w.PartitionClause {
		e, err := t.expr(p)
		if err != nil {
			return nil, err
		}
		over.PartitionBy = append(over.PartitionBy, e)
	}
	if len(w.PartitionClause) == 0 && len(w.OrderClause) == 0 && wholeInputBroken[spec.name] {
		// OVER (): one partition of every row, by a constant key.
		over.PartitionBy = append(over.PartitionBy, str(""))
	}
	if len(w.OrderClause) > 0 {
		ob, err := t.orderBy(w.OrderClause, nil, false)
		if err != nil {
			return nil, err
		}
		over.OrderBy = ob
	}
	if spec.kind != window || framed[name] {
		// KalamDB's aggregates (count, min and max too), first_value,
		// last_value and nth_value run through the carrier, which is also
		// a window function, and computes their frames.
		e, err := t.aggregateCallWith(fc, spec, frame)
		if err != nil {
			return nil, err
		}
		out := e.(*sqlparser.FuncExpr)
		out.Over = over
		return out, nil
	}
	out := &sqlparser.FuncExpr{Name: sqlparser.NewColIdent(spec.name), Over: over}
	if fc.AggStar {
		out.Exprs = sqlparser.SelectExprs{&sqlparser.StarExpr{}}
		return out, nil
	}
	for _, a := range fc.Args {
		e, err := t.expr(a)
		if err != nil {
			return nil, err
		}
		out.Exprs = append(out.Exprs, &sqlparser.AliasedExpr{Expr: e})
	}
	return out, nil
}

// noFunction is a call of function name with args that no function takes:
// FnNoFunction, which the engine refuses naming the arguments' types.
func (t *translator) noFunction(name string, args []*pg.Node) (sqlparser.Expr, error) {
	return t.variadic(FnNoFunction, append([]*pg.Node{pg.MakeAConstStrNode(name, -1)}, args...))
}
