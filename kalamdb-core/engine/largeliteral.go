package engine

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/pgsql"
)

// largeLiteralBytes is the size from which a text or bytes constant is
// planned as a largeLiteral.
const largeLiteralBytes = 16 << 10

// largeLiteral is a text or bytes constant of at least largeLiteralBytes
// (a parameter's value, or one KalamDB's rules derive from it, a JSON
// document read from it among them): the
// engine's literal, whose String and DebugString name its size and digest
// instead of printing the value. The engine prints the expressions it
// plans again and again (every Schema of a projection or a window names
// its columns by their expressions' text, window definitions, the
// analyzer's keys by expression string), a copy or more of the value each
// time: one reference to a 10 MB parameter allocated 190 MB to plan
// SELECT $1, and 960 MB a window ordered by 16 MB, outside any statement's
// memory budget. It evaluates, types and compares as the literal: the
// engine's index ranges take any expression without columns, its folding
// of filter constants sees the literal (wrapFolded), and KalamDB's rules
// read it through asLiteral.
type largeLiteral struct {
	*expression.Literal
	// name is what String prints: the kind and size of the value and
	// its whole SHA-256 digest. The engine takes two expressions that
	// print alike for one (it matches window definitions, grouping keys
	// and the columns of a projection by their text), so two different
	// values must never print alike: a digest cut to 64 bits could be
	// matched by a second value crafted in about 2^32 tries.
	name string
}

var (
	_ sql.Expression         = (*largeLiteral)(nil)
	_ sql.CollationCoercible = (*largeLiteral)(nil)
	_ sqlparser.Injectable   = (*largeLiteral)(nil)
	_ sql.DebugStringer      = (*largeLiteral)(nil)
)

// newLiteral is the engine's literal of v, a largeLiteral when v is text
// or bytes of at least largeLiteralBytes.
func newLiteral(v any, t sql.Type) sql.Expression {
	lit := expression.NewLiteral(v, t)
	if large, ok := asLarge(lit); ok {
		return large
	}
	return lit
}

// retyped is the literal of v of type t, for the literal e: e itself when
// it is a largeLiteral of that value and type already (another literal
// would be another copy of the value).
func retyped(e sql.Expression, v any, t sql.Type) sql.Expression {
	large, ok := e.(*largeLiteral)
	if ok && large.is(v, t) {
		return large
	}
	if ok && types.IsJSON(t) {
		// A JSON document read from a large text (a parameter compared
		// with or written into a JSON column): the engine prints it by
		// writing out the whole document, so it prints as the text it
		// was read from, under its type's name.
		name := large.name
		if !types.IsJSON(large.Type()) {
			name = "'(json of " + strings.TrimPrefix(large.name, "'(")
		}
		return &largeLiteral{Literal: expression.NewLiteral(v, t), name: name}
	}
	return newLiteral(v, t)
}

// asLarge is lit as a largeLiteral, if its value is large enough.
func asLarge(lit *expression.Literal) (*largeLiteral, bool) {
	var sum [sha256.Size]byte
	var kind string
	var n int
	switch v := lit.Value().(type) {
	case string:
		if len(v) < largeLiteralBytes {
			return nil, false
		}
		kind, n = "text", len(v)
		h := sha256.New()
		// In pieces: a copy of the value is what this type avoids.
		var piece [4096]byte
		for rest := v; len(rest) > 0; {
			k := copy(piece[:], rest)
			_, _ = h.Write(piece[:k])
			rest = rest[k:]
		}
		h.Sum(sum[:0])
	case []byte:
		if len(v) < largeLiteralBytes {
			return nil, false
		}
		kind, n, sum = "bytes", len(v), sha256.Sum256(v)
	default:
		return nil, false
	}
	return &largeLiteral{Literal: lit, name: fmt.Sprintf("'(%s of %d bytes, sha256 %x)'", kind, n, sum[:])}, true
}

// asLiteral is e as the engine's literal: e itself, or the literal a
// largeLiteral or a zoneLiteral plans. Whatever asks whether an
// expression is a constant literal asks here (or isLiteral), so that a
// new kind of literal is known everywhere once it is known here.
func asLiteral(e sql.Expression) (*expression.Literal, bool) {
	switch x := e.(type) {
	case *expression.Literal:
		return x, true
	case *largeLiteral:
		return x.Literal, true
	case *zoneLiteral:
		return x.Literal, true
	}
	return nil, false
}

// literalValue is the value of e, a literal (large or not).
func literalValue(e sql.Expression) any {
	lit, _ := asLiteral(e)
	return lit.Value()
}

// isLiteral reports whether e is one of the engine's literals (asLiteral).
func isLiteral(e sql.Expression) bool {
	_, ok := asLiteral(e)
	return ok
}

// is reports whether l is the literal of v of type t.
func (l *largeLiteral) is(v any, t sql.Type) bool {
	if !types.TypesEqual(l.Type(), t) {
		return false
	}
	switch x := v.(type) {
	case string:
		s, ok := l.Value().(string)
		return ok && s == x
	case []byte:
		b, ok := l.Value().([]byte)
		return ok && bytes.Equal(b, x)
	}
	return false
}

func (l *largeLiteral) String() string { return l.name }

func (l *largeLiteral) DebugString() string { return l.name + " (" + l.Type().String() + ")" }

// WithChildren implements sql.Expression: the embedded literal's would
// return the literal itself.
func (l *largeLiteral) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 0 {
		return nil, sql.ErrInvalidChildrenNumber.New(l, len(children), 0)
	}
	return l, nil
}

// WithResolvedChildren implements sqlparser.Injectable: a parameter is
// bound as an injected expression (plannerBindings).
func (l *largeLiteral) WithResolvedChildren(children []any) (any, error) {
	if len(children) != 0 {
		return nil, sql.ErrInvalidChildrenNumber.New(l, len(children), 0)
	}
	return l, nil
}

// plannerBindings are the bindings of params (bindParams) as the planner
// is to bind them: a large text value as an injected largeLiteral, of the
// type the planner gives a string literal, built from the caller's string
// (not another copy of it). The fast path reads the bindings themselves.
func plannerBindings(sctx *sql.Context, bindings map[string]sqlparser.Expr, params []any) map[string]sqlparser.Expr {
	var out map[string]sqlparser.Expr
	for i, p := range params {
		name := pgsql.BindName(i + 1)
		sv, ok := bindings[name].(*sqlparser.SQLVal)
		if !ok || sv.Type != sqlparser.StrVal || len(sv.Val) < largeLiteralBytes {
			continue
		}
		if out == nil {
			out = maps.Clone(bindings)
		}
		s, ok := p.(string)
		if !ok {
			// An array or object, bound as its JSON text.
			s = string(sv.Val)
		}
		lit, _ := asLarge(expression.NewLiteral(s, types.CreateLongText(sctx.GetCollation())))
		out[name] = sqlparser.InjectedExpr{Expression: lit}
	}
	if out == nil {
		return bindings
	}
	return out
}

// chargeFolded runs a planner rule that evaluates constants and keeps
// them in the plan with what functions build charged to the statement's
// budget (checkResultSize): simplifyFilters folds a WHERE's, and the join
// optimizer evaluates the constant sides of a join condition's
// comparisons when it costs index scans (sixty repeat('a', 15000000) in
// an inner join's ON, 3.5 kB of SQL, held 1 GB uncharged).
func chargeFolded(apply analyzer.RuleFunc) analyzer.RuleFunc {
	return func(ctx *sql.Context, a *analyzer.Analyzer, n sql.Node, scope *plan.Scope, sel analyzer.RuleSelector, qf *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
		if s, err := sessionOf(ctx); err == nil {
			s.budget.folding.Add(1)
			defer s.budget.folding.Add(-1)
		}
		return apply(ctx, a, n, scope, sel, qf)
	}
}

// wrapFolded runs the engine's simplifyFilters, which evaluates the
// constant parts of a filter (upper($1)) into literals of its own, and
// every expression without columns that is not its literal: the
// largeLiterals of the filters go in as their literals, and come out as
// they went in (not evaluated again: a copy each), and a large literal
// the rule made is planned as a largeLiteral. The values the rule builds
// are charged, and it stops at the statement's time limit
// (checkResultSize).
func wrapFolded(apply analyzer.RuleFunc) analyzer.RuleFunc {
	return func(ctx *sql.Context, a *analyzer.Analyzer, n sql.Node, scope *plan.Scope, sel analyzer.RuleSelector, qf *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
		var large map[*expression.Literal]*largeLiteral
		n, _, err := mapFilters(n, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
			l, ok := e.(*largeLiteral)
			if !ok {
				return e, transform.SameTree, nil
			}
			if large == nil {
				large = make(map[*expression.Literal]*largeLiteral)
			}
			large[l.Literal] = l
			return l.Literal, transform.NewTree, nil
		})
		if err != nil {
			return n, transform.SameTree, err
		}
		out, same, err := chargeFolded(apply)(ctx, a, n, scope, sel, qf)
		if err != nil || (same && large == nil) {
			return out, same, err
		}
		out, _, err = mapFilters(out, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
			lit, ok := e.(*expression.Literal)
			if !ok {
				return e, transform.SameTree, nil
			}
			if l, ok := large[lit]; ok {
				return l, transform.NewTree, nil
			}
			if b, ok := lit.Value().([]byte); ok && types.TypesEqual(lit.Type(), types.LongBlob) && len(b) <= int(types.MediumBlob.MaxByteLength()) {
				// Bytes the rule computed ($1::bytea folded): typed as
				// byteaLiterals types the bytes it decodes, so that it
				// does not read them again as bytea input text.
				return newLiteral(b, types.MediumBlob), transform.NewTree, nil
			}
			if l, ok := asLarge(lit); ok {
				return l, transform.NewTree, nil
			}
			return e, transform.SameTree, nil
		})
		return out, transform.NewTree, err
	}
}

// mapFilters applies f to the expressions of n's filters.
func mapFilters(n sql.Node, f transform.ExprFunc) (sql.Node, transform.TreeIdentity, error) {
	return transform.NodeWithOpaque(n, func(node sql.Node) (sql.Node, transform.TreeIdentity, error) {
		filter, ok := node.(*plan.Filter)
		if !ok {
			return node, transform.SameTree, nil
		}
		c, same, err := transform.Expr(filter.Expression, f)
		if err != nil || same {
			return node, transform.SameTree, err
		}
		return plan.NewFilter(c, filter.Child), transform.NewTree, nil
	})
}

// largeConstantKeys groups gb by a boolean in place of a key that is a
// large literal: one constant groups as another, and the engine hashes
// each row's keys by printing them (sql.HashOf), four copies of the value
// a row (GROUP BY of an 8 MB parameter over 3 rows allocated 150 MB). The
// grouping keys are not in the node's output: the projection above
// evaluates the literal itself.
func largeConstantKeys(gb *plan.GroupBy) (*plan.GroupBy, transform.TreeIdentity, error) {
	var keys []sql.Expression
	for i, k := range gb.GroupByExprs {
		inner := k
		if a, ok := inner.(*expression.Alias); ok {
			inner = a.Child
		}
		if _, ok := inner.(*largeLiteral); !ok {
			continue
		}
		if keys == nil {
			keys = slices.Clone(gb.GroupByExprs)
		}
		keys[i] = expression.NewLiteral(true, types.Boolean)
	}
	if keys == nil {
		return gb, transform.SameTree, nil
	}
	n, err := gb.WithExpressions(append(slices.Clone(gb.SelectedExprs), keys...)...)
	if err != nil {
		return nil, transform.SameTree, err
	}
	return n.(*plan.GroupBy), transform.NewTree, nil
}
