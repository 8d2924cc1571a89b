package pgsql

import (
	"strings"

	"github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// Set-returning functions in FROM (generate_series, unnest) become the
// engine's table functions. The engine's table-function syntax has an
// alias but no column names and no WITH ORDINALITY, so the translation
// passes them as the call's last two arguments, string literals: the
// value column's name and the ordinality column's (” for none). The
// engine's functions take them off before they read the real arguments.
const (
	FnGenerateSeries = "kdb_generate_series" // kdb_generate_series(start, stop[, step], 'col', 'ordcol')
	FnUnnest         = "kdb_unnest"          // kdb_unnest(element..., 'col', 'ordcol'): the elements of ARRAY[...]
	FnUnnestJSON     = "kdb_unnest_json"     // kdb_unnest_json(json_array, 'col', 'ordcol'): an array_agg result
)

// setReturning are the set-returning functions KalamDB runs in FROM.
var setReturning = map[string]bool{"generate_series": true, "unnest": true}

// rangeFunction translates a function in FROM.
func (t *translator) rangeFunction(rf *pg.RangeFunction) (sqlparser.TableExpr, error) {
	if rf.IsRowsfrom {
		return nil, t.unsupported(-1, "ROWS FROM (...) is not supported; call one function in FROM")
	}
	if len(rf.Coldeflist) > 0 {
		return nil, t.unsupported(-1, "a column definition list on a function in FROM is not supported")
	}
	if len(rf.Functions) != 1 {
		return nil, t.unsupported(-1, "ROWS FROM (...) is not supported; call one function in FROM")
	}
	items := rf.Functions[0].GetList().GetItems()
	if len(items) == 0 || items[0].GetFuncCall() == nil {
		return nil, t.unsupported(location(rf.Functions[0]), "only generate_series and unnest are supported in FROM")
	}
	if len(items) > 1 && items[1] != nil && items[1].GetList() != nil && len(items[1].GetList().GetItems()) > 0 {
		return nil, t.unsupported(-1, "a column definition list on a function in FROM is not supported")
	}
	fc := items[0].GetFuncCall()
	name := funcName(fc)
	if !setReturning[name] {
		if _, known := functions[name]; known {
			return nil, t.unsupported(fc.Location, "function %s() in FROM is not supported: only generate_series and unnest are; call it in the select list", name)
		}
		// The engine names the arguments' types, as PostgreSQL does
		// ("function nosuch(integer) does not exist"): the call becomes
		// the one value of a derived table, refused while it is planned.
		call, err := t.noFunction(name, fc.Args)
		if err != nil {
			return nil, err
		}
		sel := &sqlparser.Select{SelectExprs: sqlparser.SelectExprs{&sqlparser.AliasedExpr{Expr: call}}}
		return &sqlparser.AliasedTableExpr{Expr: &sqlparser.Subquery{Select: sel}, As: sqlparser.NewTableIdent(name)}, nil
	}
	if fc.AggStar || fc.AggDistinct || len(fc.AggOrder) > 0 || fc.AggFilter != nil || fc.Over != nil || fc.FuncVariadic {
		return nil, t.errorAt(fc.Location, "%s() is not an aggregate function: DISTINCT, ORDER BY, FILTER, OVER and VARIADIC do not apply", name)
	}
	// PostgreSQL names the table after the function, and its one column
	// after the table's alias (PostgreSQL's rule for a function returning
	// a scalar); WITH ORDINALITY adds the column "ordinality".
	table, col, ord := name, name, ""
	if rf.Ordinality {
		ord = "ordinality"
	}
	if rf.Alias != nil {
		if err := t.checkIdent(rf.Alias.Aliasname, fc.Location); err != nil {
			return nil, err
		}
		table, col = rf.Alias.Aliasname, rf.Alias.Aliasname
		cols, err := t.nameList(rf.Alias.Colnames, fc.Location)
		if err != nil {
			return nil, err
		}
		width := 1
		if rf.Ordinality {
			width = 2
		}
		if len(cols) > width {
			return nil, t.errorAt(fc.Location, "table %q has %d columns available but %d columns specified", table, width, len(cols))
		}
		if len(cols) > 0 {
			col = cols[0].String()
		}
		if len(cols) > 1 {
			ord = cols[1].String()
		}
	}
	var fn string
	var args []sqlparser.Expr
	var err error
	switch name {
	case "generate_series":
		fn = FnGenerateSeries
		args, err = t.seriesArgs(fc)
	default:
		fn, args, err = t.unnestArgs(fc)
	}
	if err != nil {
		return nil, err
	}
	if err := refuseColumns(args, name, fc.Location, t); err != nil {
		return nil, err
	}
	exprs := make(sqlparser.SelectExprs, 0, len(args)+2)
	for _, a := range append(args, str(col), str(ord)) {
		exprs = append(exprs, &sqlparser.AliasedExpr{Expr: a})
	}
	return &sqlparser.TableFuncExpr{Name: fn, Exprs: exprs, Alias: sqlparser.NewTableIdent(table)}, nil
}

// seriesArgs translates generate_series's arguments. An integer literal
// that fits 32 bits is PostgreSQL's integer (the translation of literals
// makes every integer a BIGINT), so generate_series(1, 3) is a series of
// integers, as in PostgreSQL; an interval step is passed as its text.
func (t *translator) seriesArgs(fc *pg.FuncCall) ([]sqlparser.Expr, error) {
	if len(fc.Args) < 2 || len(fc.Args) > 3 {
		return nil, t.errorAt(fc.Location, "function generate_series() takes 2 or 3 arguments, not %d", len(fc.Args))
	}
	var out []sqlparser.Expr
	for i, a := range fc.Args {
		if i == 2 {
			iv, ok, err := t.intervalOperand(a)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, iv)
				continue
			}
		}
		e, err := t.int4Literal(a)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// int4Literal translates n, typing an integer literal that fits 32 bits
// as INT.
func (t *translator) int4Literal(n *pg.Node) (sqlparser.Expr, error) {
	e, err := t.expr(n)
	if err != nil {
		return nil, err
	}
	if c := n.GetAConst(); c != nil && c.GetIval() != nil {
		return call(FnCast, e, str(dialect.DataType{Name: dialect.TypeInt}.SQL())), nil
	}
	return e, nil
}

// unnestArgs translates unnest's argument: the elements of an ARRAY[...]
// literal, or an expression whose value is a JSON array (KalamDB's
// array_agg gives one; there is no array type).
func (t *translator) unnestArgs(fc *pg.FuncCall) (string, []sqlparser.Expr, error) {
	if len(fc.Args) != 1 {
		if len(fc.Args) > 1 {
			return "", nil, t.unsupported(fc.Location, "unnest() of several arrays is not supported; unnest one array")
		}
		return "", nil, t.errorAt(fc.Location, "function unnest() takes 1 argument, not 0")
	}
	if arr := fc.Args[0].GetAArrayExpr(); arr != nil {
		if len(arr.Elements) == 0 {
			return "", nil, t.errorAt(arr.Location, "cannot determine type of empty array")
		}
		var out []sqlparser.Expr
		for _, el := range arr.Elements {
			if el.GetAArrayExpr() != nil {
				return "", nil, t.unsupported(location(el), "multidimensional arrays are not supported")
			}
			e, err := t.int4Literal(el)
			if err != nil {
				return "", nil, err
			}
			out = append(out, e)
		}
		return FnUnnest, out, nil
	}
	e, err := t.expr(fc.Args[0])
	if err != nil {
		return "", nil, err
	}
	return FnUnnestJSON, []sqlparser.Expr{e}, nil
}

// refuseColumns refuses arguments that name a column outside a subquery:
// PostgreSQL lets a function in FROM read the columns of the FROM items
// before it (it is implicitly LATERAL), which the engine's table
// functions cannot.
func refuseColumns(args []sqlparser.Expr, name string, loc int32, t *translator) error {
	found := false
	for _, a := range args {
		_ = Walk(func(n sqlparser.SQLNode) (bool, error) {
			switch n := n.(type) {
			case *sqlparser.Subquery:
				found = found || namesOuterRow(n)
				return false, nil
			case *sqlparser.ColName:
				found = true
			}
			return !found, nil
		}, a)
	}
	if found {
		return t.unsupported(loc, "the arguments of %s() in FROM may not name columns (a LATERAL call is not supported); use constants, parameters or a subquery", name)
	}
	return nil
}

// namesOuterRow reports whether a subquery plainly names a column of the
// row around it: one qualified by a table the subquery does not read, or
// any column when it reads no table. The engine evaluates such an
// argument against the wrong row (inside EXISTS: an internal error) or
// does not find the table. An unqualified outer column beside tables of
// the subquery's own cannot be told from theirs here, without schemas:
// the engine refuses it where names are resolved (its srfNode).
func namesOuterRow(sq *sqlparser.Subquery) bool {
	tables := map[string]bool{}
	_ = Walk(func(n sqlparser.SQLNode) (bool, error) {
		switch n := n.(type) {
		case *sqlparser.AliasedTableExpr:
			tables[strings.ToLower(n.As.String())] = true
			if tn, ok := n.Expr.(sqlparser.TableName); ok {
				tables[strings.ToLower(tn.Name.String())] = true
			}
		case *sqlparser.TableFuncExpr:
			tables[strings.ToLower(n.Alias.String())] = true
		}
		return true, nil
	}, sq)
	delete(tables, "")
	outer := false
	_ = Walk(func(n sqlparser.SQLNode) (bool, error) {
		if c, ok := n.(*sqlparser.ColName); ok {
			q := strings.ToLower(c.Qualifier.Name.String())
			outer = q == "" && len(tables) == 0 || q != "" && !tables[q]
		}
		return !outer, nil
	}, sq)
	return outer
}
