package engine

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/regex"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// The engine's own regular expressions run on a backtracking engine (ICU,
// compiled to WebAssembly): (a*)*b takes time exponential in its input,
// never looks at the statement's context, and cannot even be preempted by
// the Go scheduler, so one such call stalls every goroutine at the next
// garbage collection. KalamDB's REGEXP_* functions replace them by name
// (see regexpFunctions), the REGEXP/RLIKE operators are rewritten to them
// before the engine plans a statement (rewriteRegexpOperators), and a
// plan that still holds one of the engine's regex expressions is refused
// (refuseEngineRegex).

// regexpOp is what a REGEXP_* function computes.
type regexpOp int

const (
	regexpLike regexpOp = iota
	regexpInstr
	regexpSubstr
	regexpReplace
)

// regexpSpec describes a function's arguments: the minimum and maximum
// count and the position of its match_type argument.
type regexpSpec struct {
	name           string
	min, max, flag int
}

func (op regexpOp) spec() regexpSpec {
	switch op {
	case regexpInstr:
		return regexpSpec{"REGEXP_INSTR", 2, 6, 5}
	case regexpSubstr:
		return regexpSpec{"REGEXP_SUBSTR", 2, 5, 4}
	case regexpReplace:
		return regexpSpec{"REGEXP_REPLACE", 3, 6, 5}
	}
	return regexpSpec{"REGEXP_LIKE", 2, 3, 2}
}

func regexpFunctions() []sql.Function {
	var out []sql.Function
	for _, op := range []regexpOp{regexpLike, regexpInstr, regexpSubstr, regexpReplace} {
		spec := op.spec()
		out = append(out, sql.FunctionN{Name: strings.ToLower(spec.name), Fn: func(args ...sql.Expression) (sql.Expression, error) {
			return newRegexpFunc(op, args)
		}})
	}
	return out
}

func newRegexpFunc(op regexpOp, args []sql.Expression) (*regexpFunc, error) {
	spec := op.spec()
	if len(args) < spec.min || len(args) > spec.max {
		want := fmt.Sprintf("%d to %d", spec.min, spec.max)
		return nil, sql.ErrInvalidArgumentNumber.New(spec.name, want, len(args))
	}
	f := &regexpFunc{op: op, args: args}
	if isConstant(args[1]) && (len(args) <= spec.flag || isConstant(args[spec.flag])) {
		f.constant = &constantPattern{}
	}
	return f, nil
}

// regexpFunc is REGEXP_LIKE, REGEXP_INSTR, REGEXP_SUBSTR or REGEXP_REPLACE
// with MySQL's arguments and results, on package regex.
type regexpFunc struct {
	op   regexpOp
	args []sql.Expression
	// constant holds the compiled pattern when the pattern and match type
	// are constants: compiled once for the expression.
	constant *constantPattern
	// last caches the most recent pattern of a non-constant one (a
	// pattern column often repeats).
	last atomic.Pointer[compiledPattern]
	// caseDefault is case insensitivity implied by the collations, which
	// only depends on the argument types.
	caseOnce    sync.Once
	caseDefault bool
}

type constantPattern struct {
	once sync.Once
	re   *regex.Regexp
	err  error
	null bool
}

type compiledPattern struct {
	key string
	re  *regex.Regexp
}

var (
	_ sql.FunctionExpression = (*regexpFunc)(nil)
	_ sql.CollationCoercible = (*regexpFunc)(nil)
)

// isConstant reports whether e is the same for every row: every leaf is a
// literal (a column, a parameter, a subquery or a function such as RAND()
// is a leaf that is not).
func isConstant(e sql.Expression) bool {
	constant := true
	sql.Inspect(e, func(e sql.Expression) bool {
		if e != nil && len(e.Children()) == 0 {
			if _, ok := e.(*expression.Literal); !ok {
				constant = false
			}
		}
		return constant
	})
	return constant
}

func (f *regexpFunc) name() string               { return f.op.spec().name }
func (f *regexpFunc) FunctionName() string       { return strings.ToLower(f.name()) }
func (f *regexpFunc) Description() string        { return f.name() + " in linear time (RE2)" }
func (f *regexpFunc) Children() []sql.Expression { return f.args }
func (f *regexpFunc) IsNullable() bool           { return true }
func (f *regexpFunc) Resolved() bool             { return expression.ExpressionsResolved(f.args...) }
func (f *regexpFunc) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	return newRegexpFunc(f.op, children)
}

func (f *regexpFunc) String() string {
	parts := make([]string, len(f.args))
	for i, a := range f.args {
		parts[i] = a.String()
	}
	return f.FunctionName() + "(" + strings.Join(parts, ",") + ")"
}

func (f *regexpFunc) Type() sql.Type {
	switch f.op {
	case regexpLike:
		return types.Int8
	case regexpInstr:
		return types.Int32
	}
	return types.LongText
}

func (f *regexpFunc) CollationCoercibility(ctx *sql.Context) (sql.CollationID, byte) {
	switch f.op {
	case regexpLike, regexpInstr:
		return sql.Collation_binary, 5
	}
	return sql.GetCoercibility(ctx, f.args[0])
}

// pattern compiles (or finds compiled) the pattern of one row; nil with
// no error means a NULL pattern or match type.
func (f *regexpFunc) pattern(ctx *sql.Context, row sql.Row) (*regex.Regexp, error) {
	if c := f.constant; c != nil {
		c.once.Do(func() { c.re, c.err = f.compile(ctx, row) })
		return c.re, c.err
	}
	return f.compile(ctx, row)
}

func (f *regexpFunc) compile(ctx *sql.Context, row sql.Row) (*regex.Regexp, error) {
	pattern, ok, err := evalString(ctx, f.args[1], row)
	if err != nil || !ok {
		return nil, err
	}
	f.caseOnce.Do(func() {
		lc, lcoer := sql.GetCoercibility(ctx, f.args[0])
		rc, rcoer := sql.GetCoercibility(ctx, f.args[1])
		coll, _ := sql.ResolveCoercibility(lc, lcoer, rc, rcoer)
		f.caseDefault = strings.HasSuffix(coll.String(), "_ci")
	})
	flags := regex.Flags{CaseInsensitive: f.caseDefault}
	matchType := ""
	if spec := f.op.spec(); len(f.args) > spec.flag {
		mt, ok, err := evalString(ctx, f.args[spec.flag], row)
		if err != nil || !ok {
			return nil, err
		}
		matchType = mt
		if flags, err = regex.ParseMatchType(f.name(), mt, flags); err != nil {
			return nil, err
		}
	}
	key := matchType + "\x00" + pattern
	if last := f.last.Load(); last != nil && last.key == key {
		return last.re, nil
	}
	re, err := regex.Compile(f.name(), pattern, flags)
	if err != nil {
		return nil, err
	}
	f.last.Store(&compiledPattern{key: key, re: re})
	return re, nil
}

func (f *regexpFunc) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	text, ok, err := evalString(ctx, f.args[0], row)
	if err != nil || !ok {
		return nil, err
	}
	re, err := f.pattern(ctx, row)
	if err != nil || re == nil {
		return nil, err
	}
	if f.op == regexpLike {
		ok, err := re.Match(ctx, text)
		if err != nil {
			return nil, err
		}
		return boolValue(ok), nil
	}
	// position and occurrence: the arguments after the pattern (after the
	// replacement for REGEXP_REPLACE).
	first := 2
	if f.op == regexpReplace {
		first = 3
	}
	ints := []int64{1, 1, 0}
	if f.op == regexpReplace {
		ints[1] = 0 // every occurrence
	}
	for i := range ints {
		if first+i >= len(f.args) || first+i == f.op.spec().flag {
			break
		}
		v, ok, err := evalInt(ctx, f.args[first+i], row)
		if err != nil || !ok {
			return nil, err
		}
		ints[i] = v
	}
	pos, occurrence, returnOption := ints[0], ints[1], ints[2]
	from, err := charOffset(f.name(), text, pos)
	if err != nil {
		return nil, err
	}
	switch f.op {
	case regexpInstr:
		if returnOption != 0 && returnOption != 1 {
			return nil, apierror.New(apierror.InvalidInput, "REGEXP_INSTR: return_option must be 0 or 1, not %d", returnOption)
		}
		loc, err := nthMatch(ctx, re, text, from, occurrence)
		if err != nil || loc == nil {
			return int32(0), err
		}
		at := loc[0]
		if returnOption == 1 {
			at = loc[1]
		}
		return int32(utf8.RuneCountInString(text[:at]) + 1), nil
	case regexpSubstr:
		loc, err := nthMatch(ctx, re, text, from, occurrence)
		if err != nil || loc == nil {
			return nil, err
		}
		return text[loc[0]:loc[1]], nil
	}
	repl, ok, err := evalString(ctx, f.args[2], row)
	if err != nil || !ok {
		return nil, err
	}
	return f.replace(ctx, re, text, repl, from, occurrence)
}

// replace is REGEXP_REPLACE: occurrence 0 (or less) replaces every match.
// The result never grows past the largest value, and is charged to the
// statement's memory.
func (f *regexpFunc) replace(ctx *sql.Context, re *regex.Regexp, text, repl string, from int, occurrence int64) (any, error) {
	limit := valueLimit(ctx)
	tooLong := limitError("max_value_bytes", "REGEXP_REPLACE() would build a value over the largest value of %s", byteCount(limit))
	var out []byte
	done, n := 0, int64(0)
	var expandErr error
	err := re.Each(ctx, text, from, func(loc []int) bool {
		n++
		if occurrence > 0 && n < occurrence {
			return true
		}
		var ok bool
		if out, ok = regex.AppendLimited(out, text[done:loc[0]], limit); !ok {
			expandErr = tooLong
			return false
		}
		out, expandErr = re.Expand(f.name(), out, repl, text, loc, limit)
		done = loc[1]
		return expandErr == nil && occurrence <= 0
	})
	if err == nil {
		err = expandErr
	}
	if err != nil {
		return nil, err
	}
	out, ok := regex.AppendLimited(out, text[done:], limit)
	if !ok {
		return nil, tooLong
	}
	if err := reserve(ctx, "REGEXP_REPLACE()", int64(len(out))); err != nil {
		return nil, err
	}
	return string(out), nil
}

// nthMatch is the location of the occurrence-th match (1 when less) in
// text[from:], or nil.
func nthMatch(ctx *sql.Context, re *regex.Regexp, text string, from int, occurrence int64) ([]int, error) {
	occurrence = max(occurrence, 1)
	var found []int
	n := int64(0)
	err := re.Each(ctx, text, from, func(loc []int) bool {
		n++
		if n == occurrence {
			found = loc
			return false
		}
		return true
	})
	return found, err
}

// charOffset is the byte offset of the 1-based character position pos.
func charOffset(fn, text string, pos int64) (int, error) {
	if pos < 1 {
		return 0, apierror.New(apierror.InvalidInput, "%s: position must be at least 1, not %d", fn, pos)
	}
	off := 0
	for i := int64(1); i < pos; i++ {
		if off >= len(text) {
			return 0, apierror.New(apierror.InvalidInput, "%s: position %d is past the end of the text", fn, pos)
		}
		_, w := utf8.DecodeRuneInString(text[off:])
		off += w
	}
	return off, nil
}

// evalString evaluates e as text; ok is false for NULL.
func evalString(ctx *sql.Context, e sql.Expression, row sql.Row) (string, bool, error) {
	v, err := e.Eval(ctx, row)
	if err != nil || v == nil {
		return "", false, err
	}
	v, _, err = types.LongText.Convert(ctx, v)
	if err != nil {
		return "", false, err
	}
	s, _, err := sql.Unwrap[string](ctx, v)
	if err != nil {
		return "", false, err
	}
	return s, true, nil
}

// evalInt evaluates e as an integer; ok is false for NULL.
func evalInt(ctx *sql.Context, e sql.Expression, row sql.Row) (int64, bool, error) {
	v, err := e.Eval(ctx, row)
	if err != nil || v == nil {
		return 0, false, err
	}
	v, _, err = types.Int64.Convert(ctx, v)
	if err != nil {
		return 0, false, err
	}
	return v.(int64), true, nil
}

// rewriteRegexpOperators turns "a REGEXP b" (and RLIKE) into
// "regexp_like(a, b) = true" and "a NOT REGEXP b" into "... = false", in
// place: the engine builds its own backtracking regex for the operators,
// while the function resolves to KalamDB's. A comparison with a boolean
// keeps the operator's NULL semantics.
func rewriteRegexpOperators(c *sqlparser.ComparisonExpr) {
	var want bool
	switch strings.ToLower(c.Operator) {
	case sqlparser.RegexpStr:
		want = true
	case sqlparser.NotRegexpStr:
		want = false
	default:
		return
	}
	c.Left = &sqlparser.FuncExpr{Name: sqlparser.NewColIdent("regexp_like"), Exprs: sqlparser.SelectExprs{
		&sqlparser.AliasedExpr{Expr: c.Left}, &sqlparser.AliasedExpr{Expr: c.Right},
	}}
	c.Operator, c.Right = sqlparser.EqualStr, sqlparser.BoolVal(want)
}

// engineRegex reports whether e is one of the engine's own regex
// expressions, which must never run.
func engineRegex(e sql.Expression) bool {
	switch e.(type) {
	case *function.RegexpLike, *function.RegexpInstr, *function.RegexpSubstr, *function.RegexpReplace:
		return true
	}
	return false
}
