package engine

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// The engine's string functions allocate whatever their arguments ask for:
// REPEAT('a', 1e9) is a gigabyte, LPAD('', 1e9, 'a') two, SPACE(n) builds
// its result one byte at a time (quadratic), and a chain of CONCATs over
// derived tables doubles a value per level with constant text. Each such
// function is replaced, under its own name, by sizedFunc: its arguments
// are evaluated once, an upper bound of the result's size is computed from
// them, and that size is checked against the largest value and charged to
// the statement's memory budget before the function builds anything.
//
// The list covers every function of the engine whose result can be larger
// than its arguments by more than a small constant factor, or by any
// factor through nesting (HEX(HEX(HEX(x))) doubles per level): functions
// whose result is at most as large as their largest argument (SUBSTRING,
// TRIM, REVERSE, LEFT, LOWER, ...) or of bounded size (MD5, CONV, FORMAT,
// RANDOM_BYTES, which the engine caps) need no check.

// sizeFn bounds the size in bytes of a function's result from its
// evaluated arguments; a NULL argument may be passed as nil.
type sizeFn func(ctx *sql.Context, args []any) (int64, error)

// sizedSpec is one bounded function.
type sizedSpec struct {
	name string
	// size bounds the result before the function runs; result measures
	// it after, for functions whose own allocation is bounded by their
	// arguments but whose result may share structure (JSON). One is set.
	size   sizeFn
	result func(ctx *sql.Context, v any) int64
	// eval, when set, computes the result itself (the engine's would be
	// slow); otherwise the engine's function runs on the evaluated
	// arguments.
	eval func(ctx *sql.Context, args []any) (any, error)
}

// sizedSpecs are the functions bounded before they run.
func sizedSpecs() []sizedSpec {
	return []sizedSpec{
		{name: "repeat", size: func(ctx *sql.Context, a []any) (int64, error) {
			return mulSize(textLen(ctx, a[0]), intArg(ctx, a[1])), nil
		}},
		{name: "space", size: func(ctx *sql.Context, a []any) (int64, error) {
			return max(intArg(ctx, a[0]), 0), nil
		}, eval: evalSpace},
		{name: "lpad", size: padSize},
		{name: "rpad", size: padSize},
		{name: "concat", size: func(ctx *sql.Context, a []any) (int64, error) {
			return sumTextLen(ctx, a), nil
		}, eval: evalConcat},
		{name: "concat_ws", size: func(ctx *sql.Context, a []any) (int64, error) {
			if len(a) == 0 {
				return 0, nil
			}
			return addSize(sumTextLen(ctx, a[1:]), mulSize(textLen(ctx, a[0]), int64(len(a)))), nil
		}, eval: evalConcatWS},
		{name: "replace", size: replaceSize},
		{name: "hex", size: func(ctx *sql.Context, a []any) (int64, error) {
			return addSize(mulSize(textLen(ctx, a[0]), 2), 32), nil
		}},
		{name: "to_base64", size: func(ctx *sql.Context, a []any) (int64, error) {
			// Four bytes per three, plus a line break every 76 characters.
			n := textLen(ctx, a[0])
			return addSize(mulSize(n/3+1, 4)+n/57, 2), nil
		}},
		{name: "quote", size: func(ctx *sql.Context, a []any) (int64, error) {
			return addSize(mulSize(textLen(ctx, a[0]), 2), 2), nil
		}},
		{name: "json_quote", size: func(ctx *sql.Context, a []any) (int64, error) {
			// A control character becomes \u00XX.
			return addSize(mulSize(textLen(ctx, a[0]), 6), 2), nil
		}},
		// A format letter expands to at most nine characters ("%W" is
		// "Wednesday").
		{name: "date_format", size: formatSize},
		{name: "time_format", size: formatSize},
		{name: "json_pretty", size: jsonPrettySize},
		{name: "json_search", size: jsonSearchSize},
		{name: "uncompress", size: func(ctx *sql.Context, a []any) (int64, error) {
			// The engine allocates the length its 4-byte header declares.
			b, ok := a[0].([]byte)
			if !ok {
				if s, isString := a[0].(string); isString {
					b = []byte(s[:min(len(s), 4)])
				}
			}
			if len(b) < 4 {
				return 0, nil
			}
			return int64(binary.LittleEndian.Uint32(b[:4])), nil
		}},
	}
}

// sizedFunctions returns the bounded functions by name, built over the
// engine's own.
func sizedFunctions() ([]sql.Function, error) {
	builtins := map[string]sql.Function{}
	for _, f := range function.BuiltIns {
		builtins[f.FunctionName()] = f
	}
	specs := sizedSpecs()
	for _, name := range jsonBuilders() {
		specs = append(specs, sizedSpec{name: name, result: jsonResultSize})
	}
	out := make([]sql.Function, 0, len(specs))
	for _, spec := range specs {
		base, ok := builtins[spec.name]
		if !ok {
			return nil, fmt.Errorf("engine: built-in function %s not found", spec.name)
		}
		out = append(out, sql.FunctionN{Name: spec.name, Fn: func(args ...sql.Expression) (sql.Expression, error) {
			inner, err := base.NewInstance(args)
			if err != nil {
				return nil, err
			}
			return &sizedFunc{spec: spec, inner: inner}, nil
		}})
	}
	return out, nil
}

// sizedFunc is an engine function behind a size check (see sizedSpec).
type sizedFunc struct {
	spec  sizedSpec
	inner sql.Expression
}

var (
	_ sql.FunctionExpression = (*sizedFunc)(nil)
	_ sql.CollationCoercible = (*sizedFunc)(nil)
)

func (f *sizedFunc) FunctionName() string       { return f.spec.name }
func (f *sizedFunc) Description() string        { return f.spec.name + ", bounded in size" }
func (f *sizedFunc) String() string             { return f.inner.String() }
func (f *sizedFunc) Type() sql.Type             { return f.inner.Type() }
func (f *sizedFunc) IsNullable() bool           { return f.inner.IsNullable() }
func (f *sizedFunc) Resolved() bool             { return f.inner.Resolved() }
func (f *sizedFunc) Children() []sql.Expression { return f.inner.Children() }

func (f *sizedFunc) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	inner, err := f.inner.WithChildren(children...)
	if err != nil {
		return nil, err
	}
	return &sizedFunc{spec: f.spec, inner: inner}, nil
}

func (f *sizedFunc) CollationCoercibility(ctx *sql.Context) (sql.CollationID, byte) {
	if c, ok := f.inner.(sql.CollationCoercible); ok {
		return c.CollationCoercibility(ctx)
	}
	return sql.Collation_binary, 5
}

func (f *sizedFunc) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	name := strings.ToUpper(f.spec.name) + "()"
	if f.spec.size == nil && f.spec.eval == nil {
		v, err := f.inner.Eval(ctx, row)
		if err != nil {
			return nil, err
		}
		if err := reserve(ctx, name, f.spec.result(ctx, v)); err != nil {
			return nil, err
		}
		return v, nil
	}
	children := f.inner.Children()
	args := make([]any, len(children))
	for i, c := range children {
		v, err := c.Eval(ctx, row)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	if f.spec.size != nil {
		n, err := f.spec.size(ctx, args)
		if err != nil {
			return nil, err
		}
		if err := reserve(ctx, name, n); err != nil {
			return nil, err
		}
	}
	var v any
	var err error
	if f.spec.eval != nil {
		v, err = f.spec.eval(ctx, args)
	} else {
		// The engine's function, on the values already computed.
		lits := make([]sql.Expression, len(args))
		for i, a := range args {
			lits[i] = expression.NewLiteral(a, children[i].Type())
		}
		var g sql.Expression
		if g, err = f.inner.WithChildren(lits...); err == nil {
			v, err = g.Eval(ctx, nil)
		}
	}
	if err != nil || f.spec.result == nil {
		return v, err
	}
	if err := reserve(ctx, name, f.spec.result(ctx, v)); err != nil {
		return nil, err
	}
	return v, nil
}

// textLen is the length of v as text (what the functions convert their
// arguments to); 0 for NULL.
func textLen(ctx *sql.Context, v any) int64 {
	switch x := v.(type) {
	case nil:
		return 0
	case string:
		return int64(len(x))
	case []byte:
		return int64(len(x))
	}
	s, _, err := types.LongText.Convert(ctx, v)
	if err != nil {
		return 0 // the function reports the conversion error itself
	}
	if u, _, err := sql.Unwrap[string](ctx, s); err == nil {
		return int64(len(u))
	}
	return 0
}

func sumTextLen(ctx *sql.Context, args []any) int64 {
	var n int64
	for _, a := range args {
		n = addSize(n, textLen(ctx, a))
	}
	return n
}

// intArg is v as an integer (0 for NULL or not a number: the function
// reports that itself).
func intArg(ctx *sql.Context, v any) int64 {
	if v == nil {
		return 0
	}
	n, _, err := types.Int64.Convert(ctx, v)
	if err != nil {
		return 0
	}
	return n.(int64)
}

// padSize bounds LPAD and RPAD: the result has the requested length (the
// engine counts it in bytes).
func padSize(ctx *sql.Context, a []any) (int64, error) {
	if len(a) < 2 {
		return 0, nil
	}
	return max(intArg(ctx, a[1]), 0), nil
}

// replaceSize is the exact size of REPLACE(s, from, to).
func replaceSize(ctx *sql.Context, a []any) (int64, error) {
	n := textLen(ctx, a[0])
	from, to := textLen(ctx, a[1]), textLen(ctx, a[2])
	if from == 0 || to <= from || a[0] == nil || a[1] == nil {
		return n, nil
	}
	s, _, err := types.LongText.Convert(ctx, a[0])
	if err != nil {
		return n, nil
	}
	old, _, err := types.LongText.Convert(ctx, a[1])
	if err != nil {
		return n, nil
	}
	ss, _, err1 := sql.Unwrap[string](ctx, s)
	olds, _, err2 := sql.Unwrap[string](ctx, old)
	if err1 != nil || err2 != nil {
		return n, nil
	}
	return addSize(n, mulSize(int64(strings.Count(ss, olds)), to-from)), nil
}

func formatSize(ctx *sql.Context, a []any) (int64, error) {
	return addSize(mulSize(textLen(ctx, a[1]), 5), 32), nil
}

// evalSpace is SPACE(n) in one allocation.
func evalSpace(ctx *sql.Context, a []any) (any, error) {
	if a[0] == nil {
		return nil, nil
	}
	n, _, err := types.Int64.Convert(ctx, a[0])
	if err != nil {
		ctx.Warn(1292, "Truncated incorrect INTEGER value: '%v'", a[0])
		n = int64(0)
	}
	return strings.Repeat(" ", int(max(n.(int64), 0))), nil
}

// evalConcat is CONCAT(a, ...) as the engine computes it (NULL if any
// argument is), without building a new expression per row.
func evalConcat(ctx *sql.Context, a []any) (any, error) {
	var b strings.Builder
	for _, v := range a {
		if v == nil {
			return nil, nil
		}
		s, err := asText(ctx, v)
		if err != nil {
			return nil, err
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

// evalConcatWS is CONCAT_WS(sep, a, ...): NULL for a NULL separator, NULL
// arguments skipped.
func evalConcatWS(ctx *sql.Context, a []any) (any, error) {
	if len(a) == 0 || a[0] == nil {
		return nil, nil
	}
	sep, err := asText(ctx, a[0])
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	first := true
	for _, v := range a[1:] {
		if v == nil {
			continue
		}
		s, err := asText(ctx, v)
		if err != nil {
			return nil, err
		}
		if !first {
			b.WriteString(sep)
		}
		b.WriteString(s)
		first = false
	}
	return b.String(), nil
}

// asText converts a non-NULL value as the string functions do.
func asText(ctx *sql.Context, v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	t, _, err := types.LongText.Convert(ctx, v)
	if err != nil {
		return "", err
	}
	s, _, err := sql.Unwrap[string](ctx, t)
	return s, err
}
