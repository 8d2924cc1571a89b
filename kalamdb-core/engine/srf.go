package engine

import (
	"fmt"
	"io"
	"math"
	"math/big"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/vt/sqlparser"
	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/pgsql"
)

// Set-returning functions in FROM: generate_series and unnest, as the
// engine's table functions (sql.TableFunction, found through the
// Provider). The front end passes the value column's name and the
// ordinality column's ('' for none) as the call's last two arguments
// (pgsql.FnGenerateSeries). A series is produced one row at a time, never
// held: the operators above charge what they keep to the statement's
// memory budget, and their checked iterators stop it with the statement's
// context (checkedBuilder).

// srfKind is which set-returning function a node computes.
type srfKind uint8

const (
	srfSeries     srfKind = iota // generate_series(start, stop[, step])
	srfUnnest                    // unnest(ARRAY[...]): the elements are the arguments
	srfUnnestJSON                // unnest(json_array): an array_agg result
)

var srfNames = map[string]srfKind{
	pgsql.FnGenerateSeries: srfSeries,
	pgsql.FnUnnest:         srfUnnest,
	pgsql.FnUnnestJSON:     srfUnnestJSON,
}

// seriesMode is the argument types a series counts in.
type seriesMode uint8

const (
	seriesInt seriesMode = iota
	seriesNumeric
	seriesTimestamp
)

// TableFunction implements sql.TableFunctionProvider: the prototypes of
// KalamDB's set-returning functions.
func (p *Provider) TableFunction(_ *sql.Context, name string) (sql.TableFunction, bool) {
	kind, ok := srfNames[strings.ToLower(name)]
	if !ok {
		return nil, false
	}
	return &srfNode{kind: kind}, true
}

// WithTableFunctions implements sql.TableFunctionProvider; KalamDB's set
// is fixed.
func (p *Provider) WithTableFunctions(...sql.TableFunction) (sql.TableFunctionProvider, error) {
	return nil, fmt.Errorf("engine: the table functions are fixed")
}

// srfNode is a call of a set-returning function in FROM.
type srfNode struct {
	kind srfKind
	// args are the function's arguments, without the column names.
	args     []sql.Expression
	col, ord string
	// typ is the value column's type; mode a series's arithmetic, and
	// step a constant interval step, parsed once.
	typ  sql.Type
	mode seriesMode
	step *interval
	db   sql.Database
}

var (
	_ sql.TableFunction      = (*srfNode)(nil)
	_ sql.ExecSourceRel      = (*srfNode)(nil)
	_ sql.CollationCoercible = (*srfNode)(nil)
	// The engine's join planner takes the child of every table alias for
	// a table node (addRightSemiJoins panicked on an IN (subquery) over
	// a series); as one, the node has no indexes and one partition.
	_ sql.TableNode = (*srfNode)(nil)
)

// Name is the function's name as the user wrote it.
func (n *srfNode) Name() string {
	if n.kind == srfSeries {
		return "generate_series"
	}
	return "unnest"
}

func (n *srfNode) String() string {
	parts := make([]string, len(n.args))
	for i, a := range n.args {
		parts[i] = a.String()
	}
	s := n.Name() + "(" + strings.Join(parts, ", ") + ")"
	if n.ord != "" {
		s += " WITH ORDINALITY"
	}
	return s
}

func (n *srfNode) Resolved() bool {
	for _, a := range n.args {
		if !a.Resolved() {
			return false
		}
	}
	return n.typ != nil
}

func (n *srfNode) IsReadOnly() bool              { return true }
func (n *srfNode) Children() []sql.Node          { return nil }
func (n *srfNode) Database() sql.Database        { return n.db }
func (n *srfNode) Expressions() []sql.Expression { return n.args }

func (n *srfNode) CollationCoercibility(*sql.Context) (sql.CollationID, byte) {
	return sql.Collation_binary, 7
}

func (n *srfNode) WithChildren(children ...sql.Node) (sql.Node, error) {
	if len(children) != 0 {
		return nil, sql.ErrInvalidChildrenNumber.New(n, len(children), 0)
	}
	return n, nil
}

func (n *srfNode) WithDatabase(db sql.Database) (sql.Node, error) {
	cp := *n
	cp.db = db
	return &cp, nil
}

// WithExpressions replaces the arguments (analyzer rules rewrite them);
// the types were decided when the call was planned.
func (n *srfNode) WithExpressions(exprs ...sql.Expression) (sql.Node, error) {
	if len(exprs) != len(n.args) {
		return nil, sql.ErrInvalidChildrenNumber.New(n, len(exprs), len(n.args))
	}
	cp := *n
	cp.args = exprs
	return &cp, nil
}

func (n *srfNode) Schema() sql.Schema {
	s := sql.Schema{{Name: n.col, Type: n.typ, Nullable: true, Source: n.Name()}}
	if n.ord != "" {
		s = append(s, &sql.Column{Name: n.ord, Type: types.Int64, Source: n.Name()})
	}
	return s
}

// UnderlyingTable implements sql.TableNode: the node is its own table.
func (n *srfNode) UnderlyingTable() sql.Table { return n }

// Collation implements sql.Table.
func (n *srfNode) Collation() sql.CollationID { return sql.Collation_Default }

// Partitions implements sql.Table: one partition, the function's rows.
func (n *srfNode) Partitions(*sql.Context) (sql.PartitionIter, error) {
	return sql.PartitionsToPartitionIter(srfPartition{}), nil
}

// PartitionRows implements sql.Table.
func (n *srfNode) PartitionRows(ctx *sql.Context, _ sql.Partition) (sql.RowIter, error) {
	return n.RowIter(ctx, nil)
}

type srfPartition struct{}

func (srfPartition) Key() []byte { return []byte("srf") }

// NewInstance checks and types a call.
func (n *srfNode) NewInstance(_ *sql.Context, db sql.Database, args []sql.Expression) (sql.Node, error) {
	if len(args) < 2 {
		return nil, sqlError("%s() takes its column names last", n.Name())
	}
	col, ok1 := constString(args[len(args)-2])
	ord, ok2 := constString(args[len(args)-1])
	if !ok1 || !ok2 || col == "" {
		return nil, sqlError("%s() takes its column names last", n.Name())
	}
	out := &srfNode{kind: n.kind, col: col, ord: ord, db: db}
	real := append([]sql.Expression(nil), args[:len(args)-2]...)
	if namesOuterColumns(real) {
		return nil, apierror.New(apierror.Unsupported, "the arguments of %s() in FROM may not name columns of the query around it "+
			"(a LATERAL call is not supported); use constants, parameters or a subquery of their own, "+
			"and filter the series in WHERE (generate_series(1, 100) g WHERE g <= (SELECT ...))", n.Name())
	}
	var err error
	switch n.kind {
	case srfSeries:
		err = out.typeSeries(real)
	case srfUnnest:
		// The elements' common type, as PostgreSQL types ARRAY[...]
		// (ARRAY[NULL] is text).
		var dt dialect.DataType
		if out.args, dt, err = unify("ARRAY", real); err == nil {
			out.typ = engineType(dt)
		}
	case srfUnnestJSON:
		if len(real) != 1 {
			return nil, noFunction("unnest", real)
		}
		switch familyOf(real[0]) {
		case famJSON, famNull:
		default:
			// PostgreSQL has no unnest of text or JSON; KalamDB's arrays
			// (array_agg's results) are JSON arrays.
			return nil, sqlError("function unnest(%s) does not exist: unnest takes ARRAY[...] or a JSON array (array_agg's result)", typeName(real[0]))
		}
		out.args, out.typ = real, engineType(jsonType)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// namesOuterColumns reports whether an argument holds a subquery that
// names a column of the query around the function. The front end
// refuses a column or a qualified outer column in the arguments
// (pgsql's refuseColumns); an unqualified one beside the subquery's own
// tables it cannot tell from theirs, so it is refused here, where names
// are resolved: the engine would evaluate it against the wrong row
// (inside EXISTS, an internal error).
func namesOuterColumns(args []sql.Expression) bool {
	found := false
	for _, a := range args {
		sql.Inspect(a, func(e sql.Expression) bool {
			if sq, ok := e.(*plan.Subquery); ok && !sq.Correlated().Empty() {
				found = true
			}
			return !found
		})
	}
	return found
}

// typeSeries decides a series's arithmetic from its arguments, as
// PostgreSQL resolves generate_series: integers (INT, or BIGINT when any
// argument is one), numerics, or timestamps with an interval step.
func (n *srfNode) typeSeries(args []sql.Expression) error {
	if len(args) < 2 || len(args) > 3 {
		return noFunction("generate_series", args)
	}
	isTime := func(e sql.Expression) bool { f := familyOf(e); return f == famTimestamp || f == famDate }
	textual := func(e sql.Expression) bool { f := familyOf(e); return f == famUnknown || f == famText }
	if isTime(args[0]) || isTime(args[1]) || (len(args) == 3 && familyOf(args[0]) == famUnknown && familyOf(args[1]) == famUnknown && textual(args[2])) {
		if len(args) != 3 || !textual(args[2]) && familyOf(args[2]) != famNull {
			return noFunction("generate_series", args)
		}
		n.mode, n.typ = seriesTimestamp, engineType(tsType)
		n.args = append([]sql.Expression(nil), args...)
		for i := 0; i < 2; i++ {
			switch f := familyOf(args[i]); f {
			case famUnknown:
				c, err := coerce(args[i], tsType)
				if err != nil {
					return err
				}
				n.args[i] = c
			case famTimestamp, famDate, famNull:
			default:
				return noFunction("generate_series", args)
			}
		}
		step, err := constInterval(args[2])
		n.step = step
		return err
	}
	unified, dt, err := unify("generate_series", args)
	if ae, ok := apierror.As(err); ok && ae.Code == apierror.InvalidInput {
		return err // a literal that is not a number: generate_series('a', 3)
	}
	if err != nil {
		return noFunction("generate_series", args)
	}
	n.args = unified
	switch familyOfType(engineType(dt)) {
	case famInt:
		n.mode, n.typ = seriesInt, intTypeOfWidth(max(32, intWidth(engineType(dt))))
	case famNumeric:
		n.mode, n.typ = seriesNumeric, numericType
	case famNull:
		n.mode, n.typ = seriesInt, types.Int32
	default:
		return noFunction("generate_series", args)
	}
	return nil
}

// RowIter evaluates the arguments and returns the rows, one at a time.
func (n *srfNode) RowIter(ctx *sql.Context, row sql.Row) (sql.RowIter, error) {
	vals := make([]any, len(n.args))
	for i, a := range n.args {
		v, err := a.Eval(ctx, row)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	var next func() (any, bool, error)
	var err error
	switch n.kind {
	case srfSeries:
		next, err = n.series(vals)
	case srfUnnest:
		i := 0
		next = func() (any, bool, error) {
			if i >= len(vals) {
				return nil, false, nil
			}
			i++
			return vals[i-1], true, nil
		}
	case srfUnnestJSON:
		next, err = unnestJSON(ctx, vals[0])
	}
	if err != nil {
		return nil, err
	}
	return &srfIter{next: next, ordinality: n.ord != ""}, nil
}

// series is the next-value function of a series, or nil for no rows (a
// NULL argument, as PostgreSQL's strict function).
func (n *srfNode) series(vals []any) (func() (any, bool, error), error) {
	for _, v := range vals {
		if v == nil {
			return nil, nil
		}
	}
	switch n.mode {
	case seriesTimestamp:
		return n.timeSeries(vals)
	case seriesNumeric:
		return numericSeries(vals)
	}
	start, _ := toInt64(vals[0])
	stop, _ := toInt64(vals[1])
	step := int64(1)
	if len(vals) == 3 {
		step, _ = toInt64(vals[2])
	}
	if step == 0 {
		return nil, errZeroStep()
	}
	cur, done := start, false
	narrow := intWidth(n.typ) == 32
	return func() (any, bool, error) {
		if done || step > 0 && cur > stop || step < 0 && cur < stop {
			return nil, false, nil
		}
		v := cur
		// The next value past the int64 range ends the series: it could
		// only be past stop.
		if step > 0 && cur > math.MaxInt64-step || step < 0 && cur < math.MinInt64-step {
			done = true
		} else {
			cur += step
		}
		if narrow {
			return int32(v), true, nil
		}
		return v, true, nil
	}, nil
}

func errZeroStep() error { return execError("step size cannot equal zero") }

// numericSeries counts in exact decimals; every value keeps its own
// scale, as PostgreSQL's numeric does (1, 1.5, 2.0).
func numericSeries(vals []any) (func() (any, bool, error), error) {
	start, _ := toDecimal(vals[0])
	stop, _ := toDecimal(vals[1])
	step := decimal.NewFromInt(1)
	if len(vals) == 3 {
		step, _ = toDecimal(vals[2])
	}
	if step.IsZero() {
		return nil, errZeroStep()
	}
	up := step.Sign() > 0
	cur, done := start, false
	return func() (any, bool, error) {
		if done || up && cur.GreaterThan(stop) || !up && cur.LessThan(stop) {
			return nil, false, nil
		}
		v := cur
		// The next value past the numeric range ends the series (it
		// could only be past stop, which is a numeric), as the BIGINT
		// bound ends an integer series.
		if next, err := boundDecimal(cur.Add(step)); err != nil {
			done = true
		} else {
			cur = next
		}
		return v, true, nil
	}, nil
}

// timeSeries adds the interval step again and again, as PostgreSQL does
// (Jan 31 + 1 month is Feb 29, then Mar 29). The step's sign is its
// length with a month as 30 days, PostgreSQL's interval order.
func (n *srfNode) timeSeries(vals []any) (func() (any, bool, error), error) {
	start, ok1 := toTime(vals[0])
	stop, ok2 := toTime(vals[1])
	if !ok1 || !ok2 {
		return nil, execError("generate_series: a timestamp argument is not a timestamp")
	}
	iv := n.step
	if iv == nil {
		p, err := parseInterval(argString(vals[2]))
		if err != nil {
			return nil, err
		}
		iv = &p
	}
	const day = 86_400_000_000
	span := new(big.Int).Mul(big.NewInt(iv.months), big.NewInt(30*day))
	span.Add(span, new(big.Int).Mul(big.NewInt(iv.days), big.NewInt(day)))
	span.Add(span, big.NewInt(iv.micros))
	sign := span.Sign()
	if sign == 0 {
		return nil, errZeroStep()
	}
	cur, done := start, false
	step := *iv
	return func() (any, bool, error) {
		if done || sign > 0 && cur.After(stop) || sign < 0 && cur.Before(stop) {
			return nil, false, nil
		}
		v := cur
		next, err := addInterval(cur, step, 1)
		if err != nil {
			// Past the last timestamp: the series could only go on past
			// stop, which is a timestamp.
			done = true
		} else {
			cur = next
		}
		return v, true, nil
	}, nil
}

// unnestJSON is the next-value function over a JSON array's elements.
// The decoded array is charged to the statement's memory budget, as the
// aggregate that built it was.
func unnestJSON(ctx *sql.Context, v any) (func() (any, bool, error), error) {
	if v == nil {
		return nil, nil
	}
	doc, ok, err := docValue(v)
	if err != nil {
		return nil, err
	}
	arr, isArr := doc.([]any)
	if !ok || !isArr {
		return nil, execError("cannot extract elements from a JSON value that is not an array")
	}
	if err := hold(ctx, "unnest", int64(len(arr))*64); err != nil {
		return nil, err
	}
	i := 0
	return func() (any, bool, error) {
		if i >= len(arr) {
			return nil, false, nil
		}
		i++
		return asJSONElement(arr[i-1])
	}, nil
}

// asJSONElement is one element of an unnested JSON array: JSON null is
// SQL NULL, as in PostgreSQL's unnest of an array holding NULL.
func asJSONElement(v any) (any, bool, error) {
	if v == nil {
		return nil, true, nil
	}
	doc, err := asJSON(v)
	return doc, true, err
}

// srfIter is the rows of a set-returning function. next returns the next
// value, or false at the end; a nil next has no rows.
type srfIter struct {
	next       func() (any, bool, error)
	ordinality bool
	n          int64
}

func (it *srfIter) Next(*sql.Context) (sql.Row, error) {
	if it.next == nil {
		return nil, io.EOF
	}
	v, ok, err := it.next()
	if err != nil {
		return nil, err
	}
	if !ok {
		it.next = nil
		return nil, io.EOF
	}
	if it.ordinality {
		it.n++
		return sql.Row{v, it.n}, nil
	}
	return sql.Row{v}, nil
}

func (it *srfIter) Close(*sql.Context) error { return nil }

// hasTableFunction reports whether a statement calls a set-returning
// function in FROM.
func hasTableFunction(stmt sqlparser.Statement) bool {
	found := false
	_ = pgsql.Walk(func(n sqlparser.SQLNode) (bool, error) {
		if _, ok := n.(*sqlparser.TableFuncExpr); ok {
			found = true
		}
		return !found, nil
	}, stmt)
	return found
}
