package engine

// This file is longer than most on purpose: one engine aggregate
// implements every KalamDB aggregate, and their typing and accumulation
// rules are read together.

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation/window"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/pgsql"
)

// KalamDB's aggregates (sum, avg, string_agg, array_agg/json_agg,
// bool_and/bool_or/every, stddev and variance, and count/min/max with
// FILTER or ORDER BY) all run through one engine aggregate, called under
// pgsql.AggregateCarrier with a first argument that names the aggregate
// and its options (see pgsql.aggregateCall). The engine's own sum and avg
// would make every sum a DOUBLE.
//
// Types: count is BIGINT; sum of integers is BIGINT (an overflow fails,
// as in DataFusion) and of decimals an exact decimal; avg of integers or
// floats is DOUBLE (DataFusion's; PostgreSQL's numeric holds the same
// value) and of decimals an exact decimal with PostgreSQL's division
// scale; stddev and variance are DOUBLE; array_agg and json_agg are JSON
// arrays.

type aggOrder struct {
	desc, nullsFirst bool
}

type aggSpec struct {
	name     string
	distinct bool
	filter   bool
	order    []aggOrder
	// frame is a window function's explicit frame (nil: PostgreSQL's
	// default).
	frame *frameSpec
}

func parseAggSpec(s string) (aggSpec, error) {
	parts := strings.Split(s, ";")
	spec := aggSpec{name: parts[0]}
	for _, p := range parts[1:] {
		switch {
		case p == "distinct":
			spec.distinct = true
		case p == "filter":
			spec.filter = true
		case strings.HasPrefix(p, "frame="):
			f, err := parseFrameSpec(strings.TrimPrefix(p, "frame="))
			if err != nil {
				return spec, err
			}
			spec.frame = f
		case spec.frame != nil && (strings.HasPrefix(p, "fs=") || strings.HasPrefix(p, "fe=")):
			if err := spec.frame.setOffset(p[1] == 's', p[3:]); err != nil {
				return spec, err
			}
		case strings.HasPrefix(p, "order="):
			dirs := strings.TrimPrefix(p, "order=")
			if len(dirs)%2 != 0 {
				return spec, sqlError("malformed aggregate options %q", s)
			}
			for i := 0; i < len(dirs); i += 2 {
				spec.order = append(spec.order, aggOrder{desc: dirs[i] == 'd', nullsFirst: dirs[i+1] == 'f'})
			}
		default:
			return spec, sqlError("malformed aggregate options %q", s)
		}
	}
	return spec, nil
}

// pgAgg is one aggregate call.
type pgAgg struct {
	spec   aggSpec
	args   []sql.Expression // all of them, the options constant first
	values []sql.Expression // the aggregate's own arguments
	filter sql.Expression
	keys   []sql.Expression
	typ    sql.Type
	fam    family // the first argument's family
	id     sql.ColumnId
	window *sql.WindowDefinition
	// refused is why its arguments' types were refused when it was
	// built, left for checked to report (mayBeRetyped).
	refused error
	// engineName is the name of the engine's aggregate this one replaced
	// after planning (MIN, MAX: pgExtreme), which its column keeps: see
	// Name.
	engineName string
}

var _ sql.Aggregation = (*pgAgg)(nil)

// buildCarrier builds an aggregate call. A failed one is still an
// aggregate: the engine's planner asks whether a window function's
// expression is one before it looks at the error, and reported "function
// is not a window adaptable exprssion" instead of the error
// (sum(text) OVER ()).
func buildCarrier(args ...sql.Expression) (sql.Expression, error) {
	e, err := buildAggregate(args...)
	if err != nil {
		return &pgAgg{}, err
	}
	return e, nil
}

func buildAggregate(args ...sql.Expression) (sql.Expression, error) {
	if len(args) == 0 {
		return nil, sqlError("aggregate without options")
	}
	opts, ok := constString(args[0])
	if !ok {
		return nil, sqlError("aggregate options must be constant")
	}
	spec, err := parseAggSpec(opts)
	if err != nil {
		return nil, err
	}
	a := &pgAgg{spec: spec, args: args}
	rest := args[1:]
	nkeys := len(spec.order)
	nvals := len(rest) - nkeys
	if spec.filter {
		nvals--
	}
	if nvals < 0 {
		return nil, sqlError("aggregate %s: missing arguments", spec.name)
	}
	a.values = rest[:nvals]
	if spec.filter {
		// Its type is checked with the statement's other conditions
		// (checked), once the columns it reads have their
		// types: a recursive query's BOOLEAN column is typed after the
		// aggregate is built, and was refused here as a BIGINT.
		a.filter = rest[nvals]
	}
	a.keys = rest[len(rest)-nkeys:]
	if err := a.resolveType(); err != nil {
		if !mayBeRetyped(a.values) {
			return nil, err
		}
		a.refused, a.typ = err, types.Int64
	}
	return a, nil
}

// mayBeRetyped reports whether one of values is a column that may be a
// recursive WITH query's BOOLEAN column, which the engine types BIGINT
// until a rule types it again (recursiveBooleans): bool_and(v) over it
// was refused when built. The check of such an aggregate's types waits
// for checked, which the rules run once the column has its type.
func mayBeRetyped(values []sql.Expression) bool {
	return slices.ContainsFunc(values, func(e sql.Expression) bool {
		_, ok := e.(*expression.GetField)
		return ok && familyOf(e) == famInt
	})
}

// checked reports why a's arguments' types were refused, if they were,
// and checks that its FILTER is a boolean, as a WHERE's condition is (an
// untyped literal is read as one).
func (a *pgAgg) checked() (sql.Expression, transform.TreeIdentity, error) {
	if a.refused != nil {
		return nil, transform.SameTree, a.refused
	}
	if a.filter == nil {
		return a, transform.SameTree, nil
	}
	c, err := condition("FILTER", a.filter)
	if err != nil || c == a.filter {
		return a, transform.SameTree, err
	}
	children := append([]sql.Expression(nil), a.Children()...)
	children[len(a.args)-1-len(a.keys)] = c // args: options, values, filter, keys
	out, err := a.WithChildren(children...)
	return out, transform.NewTree, err
}

// resolveType checks the arguments and sets the result type.
func (a *pgAgg) resolveType() error {
	name := a.spec.name
	want := map[string]int{"count": -1, "sum": 1, "avg": 1, "min": 1, "max": 1, "string_agg": 2, "array_agg": 1,
		"bool_and": 1, "bool_or": 1, "stddev_samp": 1, "stddev_pop": 1, "var_samp": 1, "var_pop": 1,
		"first_value": 1, "last_value": 1, "nth_value": 2}
	n, ok := want[name]
	if !ok {
		return sqlError("unknown aggregate %s", name)
	}
	if n >= 0 && len(a.values) != n || n < 0 && len(a.values) > 1 {
		return noFunction(name, a.values)
	}
	if len(a.values) > 0 {
		a.fam = familyOf(a.values[0])
	}
	f := a.fam
	switch name {
	case "count":
		a.typ = types.Int64
	case "sum", "avg":
		switch {
		case f == famInt && name == "sum":
			a.typ = types.Int64
		case f == famInt || f == famFloat || f == famNull:
			a.typ = types.Float64
			if name == "sum" && f == famNull {
				a.typ = types.Int64
			}
		case f == famNumeric:
			a.typ = numericType
		default:
			return noFunction(name, a.values)
		}
	case "first_value", "last_value", "nth_value":
		// Window functions only (the translator requires OVER): a row's
		// value, of the argument's type.
		if name == "nth_value" {
			switch familyOf(a.values[1]) {
			case famInt, famNull:
			case famUnknown:
				// A string literal, as PostgreSQL reads it: an integer.
				s, _ := constString(a.values[1])
				n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 32)
				if err != nil {
					return execError("invalid input syntax for type integer: %q", s)
				}
				a.values = []sql.Expression{a.values[0], expression.NewLiteral(n, types.Int64)}
			default:
				return noFunction(name, a.values)
			}
		}
		if f == famUnknown {
			a.values = append([]sql.Expression{retyped(a.values[0], literalValue(a.values[0]), types.LongText)}, a.values[1:]...)
			a.fam = famText
		}
		a.typ = a.values[0].Type()
	case "min", "max":
		if f == famJSON {
			return noFunction(name, a.values)
		}
		if f == famUnknown {
			a.values = []sql.Expression{retyped(a.values[0], literalValue(a.values[0]), types.LongText)}
			f, a.fam = famText, famText
		}
		a.typ = a.values[0].Type()
	case "string_agg":
		v, err := textArgs(name, a.values, 0, 1)
		if err != nil {
			return err
		}
		a.values = v
		a.fam = famText
		a.typ = types.LongText
	case "array_agg":
		a.typ = types.JSON
	case "bool_and", "bool_or":
		if f != famBool && f != famNull {
			return noFunction(name, a.values)
		}
		a.typ = types.Boolean
	default: // stddev, variance
		if !f.numeric() && f != famNull {
			return noFunction(name, a.values)
		}
		a.typ = types.Float64
	}
	// Rebuild the argument list from the (possibly retyped) parts.
	args := []sql.Expression{a.args[0]}
	args = append(args, a.values...)
	if a.filter != nil {
		args = append(args, a.filter)
	}
	a.args = append(args, a.keys...)
	return nil
}

func (a *pgAgg) Resolved() bool   { return expression.ExpressionsResolved(a.Children()...) }
func (a *pgAgg) Type() sql.Type   { return a.typ }
func (a *pgAgg) IsNullable() bool { return a.spec.name != "count" }

// Children are the arguments and then, for a window function, its
// window's expressions: the engine re-indexes a window's columns through
// its function's children.
func (a *pgAgg) Children() []sql.Expression {
	if a.window == nil {
		return a.args
	}
	return append(append([]sql.Expression(nil), a.args...), a.window.ToExpressions()...)
}

func (a *pgAgg) Id() sql.ColumnId { return a.id }
func (a *pgAgg) Window() *sql.WindowDefinition {
	return a.window
}

// Name names the aggregate's column in a grouping's schema: as the engine
// does (its text), but as the engine's MIN or MAX for one that replaced
// it. Where a scope of outer values is in force, as for a subquery in
// INSERT ... VALUES, the engine finds the grouping's column by that name,
// not by its id: under another name than the replaced aggregate's, the
// projection above read the outer row's NULL instead.
func (a *pgAgg) Name() string {
	if a.engineName != "" && a.window == nil && len(a.values) == 1 {
		return a.engineName + "(" + a.values[0].String() + ")"
	}
	return plan.AliasSubqueryString(a)
}

func (a *pgAgg) String() string {
	parts := make([]string, len(a.args))
	for i, x := range a.args {
		parts[i] = x.String()
	}
	s := pgsql.AggregateCarrier + "(" + strings.Join(parts, ", ") + ")"
	if a.window != nil {
		// The engine names a window function's column by its text: two
		// windows of one aggregate must not share one.
		s += " " + a.window.String()
	}
	return s
}

func (a *pgAgg) WithId(id sql.ColumnId) sql.IdExpression {
	c := *a
	c.id = id
	return &c
}

func (a *pgAgg) WithWindow(w *sql.WindowDefinition) sql.WindowAdaptableExpression {
	c := *a
	c.window = w
	return &c
}

func (a *pgAgg) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != len(a.Children()) {
		return nil, sql.ErrInvalidChildrenNumber.New(a, len(children), len(a.Children()))
	}
	e, err := buildAggregate(children[:len(a.args)]...)
	if err != nil {
		return nil, err
	}
	b := e.(*pgAgg)
	b.id, b.window, b.engineName = a.id, a.window, a.engineName
	if a.window != nil && a.refused != nil {
		// A window function's column was typed by the refused build,
		// and the references above it are not typed again: refused
		// still, as the engine did.
		b.refused = a.refused
	}
	if a.window != nil {
		if b.window, err = a.window.FromExpressions(children[len(a.args):]); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func (a *pgAgg) Eval(*sql.Context, sql.Row) (any, error) {
	return nil, sqlError("aggregate %s() used outside an aggregation", a.spec.name)
}

func (a *pgAgg) NewBuffer() (sql.AggregationBuffer, error) {
	b := &aggBuffer{a: a}
	if a.spec.distinct {
		b.seen = map[string]bool{}
	}
	return b, nil
}

// aggItem is one input row kept by an ordered or collecting aggregate.
type aggItem struct {
	vals []any
	keys []any
}

type aggBuffer struct {
	a     *pgAgg
	seen  map[string]bool
	count int64
	isum  int64
	dsum  decimal.Decimal
	fsum  float64
	// Welford's running mean and sum of squares, for stddev/variance.
	mean, m2 float64
	best     any
	heldBest int64 // the size of best charged so far
	// held is what the buffer charged to the statement; a window function
	// gives it back when it drops the buffer (transient), a grouped
	// aggregate holds it to the statement's end.
	held  heldBytes
	flag  bool
	items []aggItem
}

func (b *aggBuffer) Dispose() {}

// hold charges n bytes the buffer keeps to ctx's statement.
func (b *aggBuffer) hold(ctx *sql.Context, fn string, n int64) error {
	if err := hold(ctx, fn, n); err != nil {
		return err
	}
	b.held.add(n)
	return nil
}

func (b *aggBuffer) Update(ctx *sql.Context, row sql.Row) error {
	a := b.a
	if a.filter != nil {
		v, err := a.filter.Eval(ctx, row)
		if err != nil {
			return err
		}
		if ok, _ := toBool(v); v == nil || !ok {
			return nil
		}
	}
	vals := make([]any, len(a.values))
	for i, e := range a.values {
		v, err := e.Eval(ctx, row)
		if err != nil {
			return err
		}
		vals[i] = v
	}
	name := a.spec.name
	if len(vals) > 0 && vals[0] == nil && name != "array_agg" {
		return nil // NULL inputs are skipped (array_agg keeps them)
	}
	if b.seen != nil && len(vals) > 0 {
		k := distinctKey(vals[0])
		if b.seen[k] {
			return nil
		}
		b.seen[k] = true
		if err := b.hold(ctx, name, int64(len(k))); err != nil {
			return err
		}
	}
	if len(a.keys) > 0 || name == "string_agg" || name == "array_agg" {
		item := aggItem{vals: vals}
		for _, k := range a.keys {
			v, err := k.Eval(ctx, row)
			if err != nil {
				return err
			}
			item.keys = append(item.keys, v)
		}
		if err := b.hold(ctx, name, rowSize(vals)+rowSize(item.keys)); err != nil {
			return err
		}
		b.items = append(b.items, item)
		if name == "string_agg" || name == "array_agg" || name == "min" || name == "max" || name == "count" {
			return nil
		}
	}
	if err := b.accumulate(vals); err != nil {
		return err
	}
	if name == "min" || name == "max" {
		// The value kept: charged as it grows, per group.
		if n := valueSize(b.best); n > b.heldBest {
			if err := b.hold(ctx, name, n-b.heldBest); err != nil {
				return err
			}
			b.heldBest = n
		}
	}
	return nil
}

func (b *aggBuffer) accumulate(vals []any) error {
	a := b.a
	b.count++
	switch a.spec.name {
	case "count":
	case "sum", "avg":
		switch a.fam {
		case famInt:
			n, _ := toInt64(vals[0])
			if a.spec.name == "avg" {
				b.fsum += float64(n)
				d, _ := toDecimal(vals[0])
				b.dsum = b.dsum.Add(d)
				break
			}
			s, err := intOp("+", b.isum, n)
			if err != nil {
				return err
			}
			b.isum = s
		case famNumeric:
			d, _ := toDecimal(vals[0])
			b.dsum = b.dsum.Add(d)
		default:
			f, _ := toFloat64(vals[0])
			b.fsum += f
		}
	case "min", "max":
		if b.best == nil {
			b.best = vals[0]
			return nil
		}
		c, err := compareValues(a.fam, vals[0], b.best)
		if err != nil {
			return err
		}
		// Of equal values the last one met wins, as in PostgreSQL
		// (float8smaller and the like keep their second argument): max
		// over -0 then 0 is 0.
		if (a.spec.name == "min" && c <= 0) || (a.spec.name == "max" && c >= 0) {
			b.best = vals[0]
		}
	case "bool_and", "bool_or":
		v, _ := toBool(vals[0])
		if b.count == 1 {
			b.flag = v
		} else if a.spec.name == "bool_and" {
			b.flag = b.flag && v
		} else {
			b.flag = b.flag || v
		}
	default: // stddev/variance: Welford
		x, _ := toFloat64(vals[0])
		d := x - b.mean
		b.mean += d / float64(b.count)
		b.m2 += d * (x - b.mean)
	}
	return nil
}

func (b *aggBuffer) Eval(ctx *sql.Context) (any, error) {
	a := b.a
	switch {
	case len(b.items) > 0 && len(a.keys) > 0:
		if err := b.sortItems(ctx, a.spec.order, a.keys, func(it *aggItem) []any { return it.keys }); err != nil {
			return nil, err
		}
	case len(b.items) > 1 && b.seen != nil && len(a.values) > 0:
		// PostgreSQL sorts a DISTINCT aggregate's values to tell them
		// apart, so array_agg(DISTINCT x) lists them in x's order (NULL
		// last); the first row's value came first here.
		if err := b.sortItems(ctx, []aggOrder{{}}, a.values[:1], func(it *aggItem) []any { return it.vals }); err != nil {
			return nil, err
		}
	}
	switch a.spec.name {
	case "string_agg":
		return b.stringAgg(ctx)
	case "array_agg":
		return b.arrayAgg(ctx)
	case "count":
		if len(a.keys) > 0 || b.items != nil {
			return int64(len(b.items)), nil
		}
		return b.count, nil
	case "min", "max":
		if b.items != nil {
			for _, it := range b.items {
				if err := b.accumulate(it.vals); err != nil {
					return nil, err
				}
			}
			b.items = nil
		}
	}
	if b.count == 0 {
		return nil, nil
	}
	switch a.spec.name {
	case "sum":
		switch a.fam {
		case famInt:
			return b.isum, nil
		case famNumeric:
			return boundDecimal(b.dsum)
		}
		return b.fsum, nil
	case "avg":
		switch a.fam {
		case famNumeric:
			return pgDivide(b.dsum, decimal.NewFromInt(b.count))
		case famInt:
			f, _ := b.dsum.Div(decimal.NewFromInt(b.count)).Float64()
			return f, nil
		}
		return b.fsum / float64(b.count), nil
	case "min", "max":
		return b.best, nil
	case "bool_and", "bool_or":
		return boolValue(b.flag), nil
	case "var_pop":
		return b.m2 / float64(b.count), nil
	case "stddev_pop":
		return math.Sqrt(b.m2 / float64(b.count)), nil
	case "var_samp", "stddev_samp":
		if b.count < 2 {
			return nil, nil
		}
		v := b.m2 / float64(b.count-1)
		if a.spec.name == "stddev_samp" {
			return math.Sqrt(v), nil
		}
		return v, nil
	}
	return nil, sqlError("unknown aggregate %s", a.spec.name)
}

// aggSortCheckEvery is how many comparisons the sort of an ordered
// aggregate's rows makes between two looks at the statement's context.
// A comparison of texts looks at it itself, first and after every
// textCheckBytes equal bytes (compareValuesChecked).
const aggSortCheckEvery = 64

// sortItems sorts the rows an ordered aggregate kept (string_agg(x, ','
// ORDER BY k) ...) by their keys, texts by their bytes. It stops at the
// statement's end with its cause: one aggregate over a group of many
// rows with long keys sharing a prefix compares for as long as the
// statement's memory budget lets the keys grow, and nothing else looks
// at the context until the sort is done. After a failure every remaining
// comparison answers at once, so the sort's remaining steps cost no more
// than a sort of integers.
//
// The items are sorted by keysOf(item), in order, whose expressions
// (of their families) are by.
func (b *aggBuffer) sortItems(ctx *sql.Context, order []aggOrder, by []sql.Expression, keysOf func(*aggItem) []any) error {
	fams := make([]family, len(by))
	for i, k := range by {
		fams[i] = familyOf(k)
	}
	var (
		failed error
		count  int
	)
	sort.SliceStable(b.items, func(i, j int) bool {
		if failed != nil {
			return false
		}
		if count%aggSortCheckEvery == 0 {
			if failed = statementEnded(ctx); failed != nil {
				return false
			}
		}
		count++
		for k, o := range order {
			x, y := keysOf(&b.items[i])[k], keysOf(&b.items[j])[k]
			switch {
			case x == nil && y == nil:
				continue
			case x == nil:
				return o.nullsFirst
			case y == nil:
				return !o.nullsFirst
			}
			c, err := compareValuesChecked(ctx, fams[k], x, y)
			if err != nil {
				if failed = statementEnded(ctx); failed != nil {
					return false
				}
				c = 0 // values compareValues cannot order stay as they are
			}
			if c == 0 {
				continue
			}
			if o.desc {
				return c > 0
			}
			return c < 0
		}
		return false
	})
	return failed
}

// stringAgg joins the items' texts. It measures the result first and
// allocates it once, after checking its size: a window's running
// string_agg builds a value per row, each the length of the frame's text
// so far, and a builder growing by doubling allocated about three times
// that per row, none of it charged (the value itself is, as the row's).
func (b *aggBuffer) stringAgg(ctx *sql.Context) (any, error) {
	var size int64
	n := 0
	for _, it := range b.items {
		if it.vals[0] == nil {
			continue
		}
		if n > 0 && it.vals[1] != nil {
			size = addSize(size, valueSize(it.vals[1]))
		}
		size = addSize(size, valueSize(it.vals[0]))
		n++
	}
	if n == 0 {
		return nil, nil
	}
	if err := checkResultSize(ctx, size); err != nil {
		return nil, err
	}
	var sb strings.Builder
	sb.Grow(int(size))
	n = 0
	for _, it := range b.items {
		if it.vals[0] == nil {
			continue
		}
		if n > 0 && it.vals[1] != nil {
			writeText(&sb, it.vals[1])
		}
		writeText(&sb, it.vals[0])
		n++
	}
	return sb.String(), nil
}

// writeText appends a text or bytea value without copying it first.
func writeText(sb *strings.Builder, v any) {
	switch x := v.(type) {
	case string:
		sb.WriteString(x)
	case []byte:
		sb.Write(x)
	}
}

func (b *aggBuffer) arrayAgg(ctx *sql.Context) (any, error) {
	if len(b.items) == 0 {
		return nil, nil
	}
	out := make([]any, len(b.items))
	for i, it := range b.items {
		v, err := toJSONValue(it.vals[0], b.a.fam)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	if err := checkJSONSize(ctx, out); err != nil {
		return nil, err
	}
	return types.JSONDocument{Val: out}, nil
}

// distinctKey identifies a value for DISTINCT: equal values (1.0 and 1.00
// among decimals, -0 and 0 among floats and in JSON) give equal keys.
func distinctKey(v any) string {
	switch x := v.(type) {
	case decimal.Decimal:
		return "n" + x.String()
	case float64:
		if x == 0 {
			x = 0 // -0 is 0
		}
		return "f" + strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		if x == 0 {
			x = 0
		}
		return "f" + strconv.FormatFloat(float64(x), 'g', -1, 32)
	case string:
		return "s" + x
	case []byte:
		return "b" + hex.EncodeToString(x)
	case time.Time:
		return "t" + strconv.FormatInt(x.UnixNano(), 10)
	case types.Timespan:
		return "d" + strconv.FormatInt(int64(x), 10)
	case sql.JSONWrapper, json.RawMessage:
		// jsonb's equality: -0 is 0 inside JSON too.
		if k, err := appendJSONBKey(nil, x); err == nil {
			return "j" + string(k)
		}
	}
	if n, ok := toInt64(v); ok {
		return "i" + strconv.FormatInt(n, 10)
	}
	if s, err := jsonText(v); err == nil {
		return "j" + s
	}
	return fmt.Sprintf("%T:%v", v, v)
}

// ntile is the engine's NTILE with PostgreSQL's result type: its values
// are integers, which the engine types DOUBLE.
type ntile struct{ *window.NTile }

func buildNTile(args ...sql.Expression) (sql.Expression, error) {
	if len(args) != 1 {
		return nil, sqlError("ntile() takes one argument")
	}
	return ntile{window.NewNTile(args[0]).(*window.NTile)}, nil
}

func (n ntile) Type() sql.Type { return types.Int64 }

func (n ntile) WithWindow(w *sql.WindowDefinition) sql.WindowAdaptableExpression {
	return ntile{n.NTile.WithWindow(w).(*window.NTile)}
}

func (n ntile) WithId(id sql.ColumnId) sql.IdExpression {
	return ntile{n.NTile.WithId(id).(*window.NTile)}
}

func (n ntile) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	c, err := n.NTile.WithChildren(children...)
	if err != nil {
		return nil, err
	}
	return ntile{c.(*window.NTile)}, nil
}
