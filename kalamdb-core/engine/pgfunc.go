package engine

import (
	"fmt"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// pgFunc is one call of a KalamDB SQL function: an operator or library
// function with PostgreSQL semantics (package pgsql translates to them).
// Its builder checks the argument types when the statement is planned,
// as PostgreSQL does, so a type error fails the statement before it reads
// a row; it also fixes the result type.
type pgFunc struct {
	name string
	args []sql.Expression
	typ  sql.Type
	fam  family
	eval evalFn
	// nullIn: evaluated with NULL arguments too; by default a NULL
	// argument gives NULL without calling eval (PostgreSQL's STRICT).
	nullIn   bool
	volatile bool
	build    fnBuilder
	// lazy, when set, evaluates the call from the row itself, for
	// functions that must not evaluate every argument (COALESCE).
	lazy func(f *pgFunc, ctx *sql.Context, row sql.Row) (any, error)
	// held is about the memory the call keeps between evaluations (its
	// compiled patterns), for what keeps a plan (Filter.HeldBytes).
	held int64
}

// evalFn computes a function's value from its evaluated arguments.
type evalFn func(ctx *sql.Context, vals []any) (any, error)

// fnBuilder checks the arguments of a call and returns the function.
type fnBuilder func(args []sql.Expression) (*pgFunc, error)

var (
	_ sql.FunctionExpression         = (*pgFunc)(nil)
	_ sql.NonDeterministicExpression = (*pgFunc)(nil)
)

func (f *pgFunc) FunctionName() string       { return f.name }
func (f *pgFunc) Description() string        { return f.name }
func (f *pgFunc) Type() sql.Type             { return f.typ }
func (f *pgFunc) IsNullable() bool           { return true }
func (f *pgFunc) Resolved() bool             { return expression.ExpressionsResolved(f.args...) }
func (f *pgFunc) Children() []sql.Expression { return f.args }
func (f *pgFunc) IsNonDeterministic() bool   { return f.volatile }

func (f *pgFunc) String() string {
	parts := make([]string, len(f.args))
	for i, a := range f.args {
		parts[i] = a.String()
	}
	return f.name + "(" + strings.Join(parts, ", ") + ")"
}

func (f *pgFunc) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != len(f.args) {
		return nil, sql.ErrInvalidChildrenNumber.New(f, len(children), len(f.args))
	}
	g, err := f.build(children)
	if err != nil {
		return nil, err
	}
	g.name, g.build = f.name, f.build
	if g.lazy == nil {
		g.lazy = f.lazy
	}
	return g, nil
}

func (f *pgFunc) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	if f.lazy != nil {
		return f.lazy(f, ctx, row)
	}
	vals := make([]any, len(f.args))
	for i, a := range f.args {
		v, err := a.Eval(ctx, row)
		if err != nil {
			return nil, err
		}
		if v == nil && !f.nullIn {
			return nil, nil
		}
		vals[i] = v
	}
	return f.eval(ctx, vals)
}

// register adds a function with PostgreSQL semantics under name.
func (fs functionSet) register(name string, build fnBuilder) {
	fs[name] = sql.FunctionN{Name: name, Fn: func(args ...sql.Expression) (sql.Expression, error) {
		f, err := build(args)
		if err != nil {
			return nil, err
		}
		f.name, f.build = name, build
		return f, nil
	}}
}

// statementBuilder builds a function that keeps memory from the moment
// it is built (a compiled pattern) and charges it to the statement that
// plans it, given the call's callPlan.
type statementBuilder func(call *callPlan, args []sql.Expression) (*pgFunc, error)

// statementFunction is a function built by a statementBuilder. Served by
// the provider, it is bound to the statement looking it up (bind); the
// embedded function builds it for no statement (a column DEFAULT parsed
// outside one), charging nothing.
type statementFunction struct {
	sql.FunctionN
	build statementBuilder
}

// registerStatement adds a function with PostgreSQL semantics under name,
// built for the statement that plans it.
func (fs functionSet) registerStatement(name string, build statementBuilder) {
	fs[name] = statementFunction{
		FunctionN: sql.FunctionN{Name: name, Fn: bindBuilder(name, build, nil)},
		build:     build,
	}
}

// bind is f for a call planned by ctx's statement: it and every copy the
// planner rebuilds with new arguments share one callPlan.
func (f statementFunction) bind(ctx *sql.Context) sql.Function {
	return sql.FunctionN{Name: f.Name, Fn: bindBuilder(f.Name, f.build, ctx)}
}

func bindBuilder(name string, build statementBuilder, ctx *sql.Context) func(args ...sql.Expression) (sql.Expression, error) {
	return func(args ...sql.Expression) (sql.Expression, error) {
		call := &callPlan{ctx: ctx}
		rebuild := func(args []sql.Expression) (*pgFunc, error) { return build(call, args) }
		f, err := rebuild(args)
		if err != nil {
			return nil, err
		}
		f.name, f.build = name, rebuild
		return f, nil
	}
}

// newFunc is a function of the given result type.
func newFunc(args []sql.Expression, dt dialect.DataType, eval evalFn) *pgFunc {
	t := engineType(dt)
	return &pgFunc{args: args, typ: t, fam: familyOfType(t), eval: eval}
}

// newFuncOfType is a function of the given engine type.
func newFuncOfType(args []sql.Expression, t sql.Type, eval evalFn) *pgFunc {
	return &pgFunc{args: args, typ: t, fam: familyOfType(t), eval: eval}
}

// sqlError is the error of a statement that cannot be planned.
func sqlError(format string, args ...any) error {
	return apierror.New(apierror.InvalidSQL, format, args...)
}

// execError is the error of a statement that fails while it runs.
func execError(format string, args ...any) error {
	return apierror.New(apierror.SQLExecutionError, format, args...)
}

// noFunction is PostgreSQL's "function does not exist" for argument types.
func noFunction(name string, args []sql.Expression) error {
	names := make([]string, len(args))
	for i, a := range args {
		names[i] = typeName(a)
	}
	return sqlError("function %s(%s) does not exist", name, strings.Join(names, ", "))
}

// buildNoFunction refuses pgsql.FnNoFunction('name', arg...), a call of
// a function that does not exist: the translation cannot name its
// arguments' types, which PostgreSQL's message does.
func buildNoFunction(args []sql.Expression) (*pgFunc, error) {
	name, ok := "", len(args) > 0
	if ok {
		name, ok = constString(args[0])
	}
	if !ok {
		return nil, apierror.New(apierror.InternalError, "a call of an unknown function lost its name")
	}
	return nil, noFunction(name, args[1:])
}

// coerce makes an argument of family from (usually unknown: a string
// literal or a parameter) an expression of type dt, converting a literal
// once at planning time; other expressions are cast when evaluated. A
// value that does not convert fails the statement.
func coerce(e sql.Expression, dt dialect.DataType) (sql.Expression, error) {
	if lit, ok := asLiteral(e); ok {
		v, err := castValue(nil, lit.Value(), familyOf(lit), dt, false)
		if err != nil {
			// A literal or parameter that does not fit where it is used
			// is bad input (an explicit CAST that fails is an execution
			// error).
			if ae, isAPI := apierror.As(err); isAPI && ae.Code == apierror.SQLExecutionError {
				return nil, apierror.New(apierror.InvalidInput, "%s", ae.Message)
			}
			return nil, err
		}
		return retyped(e, v, engineType(dt)), nil
	}
	return newCast(e, dt, false)
}

// coerceUnknown types the unknown arguments (string literals, parameters)
// of a call as dt and leaves the others.
func coerceUnknown(args []sql.Expression, dt dialect.DataType) ([]sql.Expression, error) {
	out := args
	for i, a := range args {
		if familyOf(a) != famUnknown {
			continue
		}
		c, err := coerce(a, dt)
		if err != nil {
			return nil, err
		}
		if &out[0] == &args[0] {
			out = append([]sql.Expression(nil), args...)
		}
		out[i] = c
	}
	return out, nil
}

// textArgs requires text arguments: text, or unknown (typed as text).
// Other types are refused as PostgreSQL refuses them (no implicit cast).
func textArgs(name string, args []sql.Expression, idx ...int) ([]sql.Expression, error) {
	out := append([]sql.Expression(nil), args...)
	for _, i := range idx {
		switch familyOf(args[i]) {
		case famText, famNull:
		case famUnknown:
			out[i] = retyped(args[i], literalValue(args[i]), engineType(textType))
		default:
			return nil, noFunction(name, args)
		}
	}
	return out, nil
}

// intArgs requires integer arguments (unknown literals are typed as
// BIGINT).
func intArgs(name string, args []sql.Expression, idx ...int) ([]sql.Expression, error) {
	out := append([]sql.Expression(nil), args...)
	for _, i := range idx {
		switch familyOf(args[i]) {
		case famInt, famNull:
		case famUnknown:
			c, err := coerce(args[i], bigintType)
			if err != nil {
				return nil, err
			}
			out[i] = c
		default:
			return nil, noFunction(name, args)
		}
	}
	return out, nil
}

var (
	textType    = dialect.DataType{Name: dialect.TypeText}
	bigintType  = dialect.DataType{Name: dialect.TypeBigInt}
	intType     = dialect.DataType{Name: dialect.TypeInt}
	doubleType  = dialect.DataType{Name: dialect.TypeDouble}
	boolType    = dialect.DataType{Name: dialect.TypeBoolean}
	jsonType    = dialect.DataType{Name: dialect.TypeJSON}
	bytesType   = dialect.DataType{Name: dialect.TypeBytes}
	tsType      = dialect.DataType{Name: dialect.TypeTimestamp}
	dateType    = dialect.DataType{Name: dialect.TypeDate}
	timeType    = dialect.DataType{Name: dialect.TypeTime}
	uuidDT      = dialect.DataType{Name: dialect.TypeUUID}
	decimalType = dialect.DataType{Name: dialect.TypeDecimal, Precision: 38, Scale: 10}
)

// constString returns the value of a constant text argument (for options
// such as a date_trunc unit), or ok=false when the argument is not
// constant.
func constString(e sql.Expression) (string, bool) {
	lit, ok := asLiteral(e)
	if !ok {
		return "", false
	}
	s, ok := toText(lit.Value())
	return s, ok
}

func argString(v any) string {
	if s, ok := toText(v); ok {
		return s
	}
	return fmt.Sprint(v)
}
