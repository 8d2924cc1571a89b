package engine

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// likePrefixRanges gives every top-level LIKE of a WHERE condition whose
// pattern starts with literal characters (t LIKE 'ab%', t LIKE $1 with
// 'ab%') the range those characters imply, t >= 'ab' AND t < 'ac', so an
// index on t (or the primary key) is read from 'ab' to 'ac' instead of
// whole. The LIKE stays as it is: the range is a consequence of it (every
// text it matches starts with the prefix), so the condition means the
// same, NULLs included.
//
// The engine has a rewrite of its own (t >= 'ab' AND t <= 'ab' || 0xFF,
// dropping the LIKE) that pgLike keeps it from: in KalamDB's text order,
// which is code-point order (the binary collation compares runes by
// value, and index keys are the UTF-8 bytes, whose order is the code
// points'), that bound ends at U+00FF and missed 'ab北'. The upper bound
// here is the prefix's successor in that order, which is above every
// text starting with the prefix whatever follows it.
//
// A condition already holding the bounds (the rule runs more than once on
// a statement) is returned as it is.
func likePrefixRanges(cond sql.Expression) sql.Expression {
	conj := expression.SplitConjunction(cond)
	// Only a bound a LIKE can add is looked for among the conjuncts:
	// naming every conjunct would print each whole, and the engine prints
	// a chain of n ORs by nesting, in time n² (a WHERE of 100,000 ORs took
	// minutes).
	var have map[string]bool
	for _, c := range conj {
		if isTextBound(c) {
			if have == nil {
				have = map[string]bool{}
			}
			have[c.String()] = true
		}
	}
	var extra []sql.Expression
	for _, c := range conj {
		like, ok := c.(*pgLike)
		if !ok {
			continue
		}
		col, ok := like.left.(*expression.GetField)
		if !ok || familyOfType(col.Type()) != famText {
			continue
		}
		pattern, ok := constString(like.pattern)
		if !ok {
			continue
		}
		escape, ok := likeEscape(like)
		if !ok {
			continue
		}
		prefix, ok := likePrefix(pattern, escape)
		if !ok || prefix == "" {
			continue
		}
		if hasBound(conj, col, prefix) {
			// Added by an earlier run of the rule: the prefix may be a
			// large parameter, and its successor and literals copies.
			continue
		}
		bounds := []sql.Expression{expression.NewGreaterThanOrEqual(col, textLiteral(prefix))}
		if succ, ok := textSuccessor(prefix); ok {
			bounds = append(bounds, expression.NewLessThan(col, textLiteral(succ)))
		}
		for _, b := range bounds {
			if have == nil {
				have = map[string]bool{}
			}
			if !have[b.String()] {
				have[b.String()] = true
				extra = append(extra, b)
			}
		}
	}
	if len(extra) == 0 {
		return cond
	}
	return expression.JoinAnd(append([]sql.Expression{cond}, extra...)...)
}

// hasBound reports whether conj holds col >= prefix, the lower bound
// likePrefixRanges adds with its upper one, compared by value.
func hasBound(conj []sql.Expression, col *expression.GetField, prefix string) bool {
	for _, c := range conj {
		ge, ok := c.(*expression.GreaterThanOrEqual)
		if !ok {
			continue
		}
		l, ok := ge.Left().(*expression.GetField)
		if !ok || l.Index() != col.Index() || l.Name() != col.Name() {
			continue
		}
		if v, ok := constString(ge.Right()); ok && isLiteral(ge.Right()) && v == prefix {
			return true
		}
	}
	return false
}

// isTextBound reports whether c has the shape of a bound likePrefixRanges
// adds: a column >= or < a literal.
func isTextBound(c sql.Expression) bool {
	var l, r sql.Expression
	switch b := c.(type) {
	case *expression.GreaterThanOrEqual:
		l, r = b.Left(), b.Right()
	case *expression.LessThan:
		l, r = b.Left(), b.Right()
	default:
		return false
	}
	_, col := l.(*expression.GetField)
	lit := isLiteral(r)
	return col && lit
}

// likeEscape is the escape character of a LIKE with a constant escape,
// -1 for none (an empty ESCAPE); ok is false for an escape that is not one
// constant character or empty (NULL, a parameter, several characters).
func likeEscape(like *pgLike) (rune, bool) {
	if like.escape == nil {
		return '\\', true
	}
	s, ok := constString(like.escape)
	if !ok {
		return 0, false
	}
	switch utf8.RuneCountInString(s) {
	case 0:
		return -1, true
	case 1:
		r, _ := utf8.DecodeRuneInString(s)
		return r, true
	}
	return 0, false
}

// likePrefix is the text every match of pattern starts with: its
// characters up to the first wildcard, escapes resolved, read as
// compileLike reads a pattern (the escape character first, so with
// ESCAPE '%' a '%' escapes). ok is false for a pattern the matcher
// refuses (an escape at its end, invalid UTF-8).
func likePrefix(pattern string, escape rune) (string, bool) {
	// Without an escape before the first wildcard the prefix is a part
	// of the pattern, which may be a large parameter: not copied.
	end := strings.IndexAny(pattern, "%_")
	if end < 0 {
		end = len(pattern)
	}
	if escape < 0 || escape != '%' && escape != '_' && !strings.ContainsRune(pattern[:end], escape) {
		if !utf8.ValidString(pattern[:end]) {
			return "", false
		}
		return pattern[:end], true
	}
	var b strings.Builder
	b.Grow(len(pattern))
	for i := 0; i < len(pattern); {
		r, n := utf8.DecodeRuneInString(pattern[i:])
		if r == utf8.RuneError {
			return "", false
		}
		i += n
		switch r {
		case escape:
			if i >= len(pattern) {
				return "", false
			}
			r, n = utf8.DecodeRuneInString(pattern[i:])
			if r == utf8.RuneError {
				return "", false
			}
			i += n
		case '%', '_':
			return b.String(), true
		}
		b.WriteRune(r)
	}
	return b.String(), true
}

// textSuccessor is the least text above every text that starts with
// prefix, in code-point order: the prefix with its last character raised
// by one (skipping the surrogates, which are no characters), after
// dropping trailing U+10FFFF, which cannot be raised. ok is false when
// nothing is left (the prefix is all U+10FFFF): no upper bound.
func textSuccessor(prefix string) (string, bool) {
	s := prefix
	for s != "" {
		r, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
		if r == utf8.MaxRune {
			continue
		}
		r++
		if r >= 0xD800 && r <= 0xDFFF {
			r = 0xE000
		}
		return s + string(r), true
	}
	return "", false
}

func textLiteral(s string) sql.Expression {
	return newLiteral(s, types.LongText)
}

// rewriteEverywhere makes the rewrites that must reach every part of a
// statement: in the WHERE of the statement, and in its derived tables,
// WITH queries (recursive ones too), views, set-operation branches,
// subquery expressions and the source of an INSERT. The walk goes into
// the nodes the engine analyzes on their own later (subquery aliases,
// unions, recursive CTEs), because the engine's rules that run once over
// the whole statement before those are analyzed would otherwise rewrite
// them first:
//
//   - every LIKE becomes a pgLike: the engine's filter simplification
//     rewrites every *expression.Like it finds without an ESCAPE into
//     t >= 'p' AND t <= 'p' || 0xFF, wrong for the characters above
//     U+00FF and for backslash escapes;
//   - a NOT over a subquery condition becomes a subqueryNot, and an IN
//     (subquery) of a row, of a float, or whose operand the engine would
//     convert with a loss a pgInSubquery (pgsubquery.go): the engine
//     turns NOT IN (subquery) into anti-joins that keep rows whose
//     condition is NULL, and a row IN (subquery) into a semi-join whose
//     row equality takes NULL for equal to NULL.
//
// The expressions made here are opaque to those rules.
func rewriteEverywhere(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
	return transform.NodeWithOpaque(n, func(node sql.Node) (sql.Node, transform.TreeIdentity, error) {
		out, same, err := transform.OneNodeExpressions(node, rewriteExpr)
		if err != nil {
			return nil, transform.SameTree, err
		}
		if f, ok := out.(*plan.Filter); ok {
			// The engine analyzes a union's branches without KalamDB's
			// rules: the range is given here.
			if c := likePrefixRanges(f.Expression); c != f.Expression {
				out, same = plan.NewFilter(c, f.Child), transform.NewTree
			}
		}
		if ins, ok := out.(*plan.InsertInto); ok && ins.Source != nil {
			// The source is no child of the INSERT.
			src, srcSame, err := rewriteEverywhere(ins.Source)
			if err != nil {
				return nil, transform.SameTree, err
			}
			if !srcSame {
				out, same = ins.WithSource(src), transform.NewTree
			}
		}
		return out, same, nil
	})
}

func rewriteExpr(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
	switch x := e.(type) {
	case *plan.Subquery:
		// The numbers of its set operations are typed first: an IN
		// (subquery) below is checked against the subquery's columns.
		var r retyper
		q, typedSame, err := r.walk(x.Query)
		if err != nil {
			return nil, transform.SameTree, err
		}
		q, same, err := rewriteEverywhere(q)
		if err != nil || (same && typedSame) {
			return e, transform.SameTree, err
		}
		return x.WithQuery(q), transform.NewTree, nil
	case *expression.Like:
		for _, c := range []sql.Expression{x.Left(), x.Right()} {
			if f := familyOf(c); f != famText && f != famUnknown && f != famNull {
				return nil, transform.SameTree, sqlError("operator does not exist: %s LIKE %s", typeName(x.Left()), typeName(x.Right()))
			}
		}
		return newPGLike(x.Left(), x.Right(), x.Escape), transform.NewTree, nil
	case *expression.Not:
		return notOverSubquery(x)
	case *plan.InSubquery:
		return pgInSubqueryOf(x)
	}
	return e, transform.SameTree, nil
}

// pgLike is LIKE as PostgreSQL has it: the escape character is read
// before the wildcards (ESCAPE '%' makes '%%' one literal '%'), a
// pattern ending with the escape character is an error, an empty ESCAPE
// means no escape, and a NULL escape makes the result NULL. Without an ESCAPE
// the escape is a backslash. A constant pattern is compiled once.
type pgLike struct {
	left, pattern sql.Expression
	escape        sql.Expression // nil: the default, backslash

	compiled   likePattern // with a constant pattern and escape
	compileErr error       // the constant pattern's error, raised on the first row
	constant   bool
}

var _ sql.Expression = (*pgLike)(nil)

func newPGLike(left, pattern, escape sql.Expression) *pgLike {
	l := &pgLike{left: left, pattern: pattern, escape: escape}
	p, ok := constString(pattern)
	esc, escOK := `\`, true
	if escape != nil {
		esc, escOK = constString(escape)
	}
	if ok && escOK {
		l.compiled, l.compileErr = compileLike(p, esc)
		l.constant = true
	}
	return l
}

// samePattern reports whether pattern and escape are constants of the
// values l compiled: the engine's rules retype a constant pattern into a
// new literal of the same value.
func (l *pgLike) samePattern(pattern, escape sql.Expression) bool {
	if (escape == nil) != (l.escape == nil) {
		return false
	}
	if escape != nil && escape != l.escape {
		e, ok := constString(escape)
		if old, oldOK := constString(l.escape); !ok || !oldOK || e != old {
			return false
		}
	}
	if pattern == l.pattern {
		return true
	}
	p, ok := constString(pattern)
	old, oldOK := constString(l.pattern)
	return ok && oldOK && p == old
}

func (l *pgLike) Resolved() bool {
	return l.left.Resolved() && l.pattern.Resolved() && (l.escape == nil || l.escape.Resolved())
}

func (l *pgLike) String() string {
	if l.escape == nil {
		return fmt.Sprintf("%s LIKE %s", l.left, l.pattern)
	}
	return fmt.Sprintf("%s LIKE %s ESCAPE %s", l.left, l.pattern, l.escape)
}

func (l *pgLike) Type() sql.Type { return types.Boolean }

func (l *pgLike) IsNullable() bool { return true }

func (l *pgLike) Children() []sql.Expression {
	if l.escape == nil {
		return []sql.Expression{l.left, l.pattern}
	}
	return []sql.Expression{l.left, l.pattern, l.escape}
}

func (l *pgLike) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != len(l.Children()) {
		return nil, sql.ErrInvalidChildrenNumber.New(l, len(children), len(l.Children()))
	}
	var escape sql.Expression
	if len(children) == 3 {
		escape = children[2]
	}
	if l.constant && l.samePattern(children[1], escape) {
		// The same constant pattern: compiled already. The planner makes
		// new nodes again and again, and a pattern may be a large
		// parameter (8 MB compiled on each copy allocated 1.9 GB).
		c := *l
		c.left = children[0]
		return &c, nil
	}
	return newPGLike(children[0], children[1], escape), nil
}

func (l *pgLike) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	s, null, err := likeOperand(ctx, l.left, row)
	if err != nil || null {
		return nil, err
	}
	p := l.compiled
	if l.constant {
		if l.compileErr != nil {
			return nil, l.compileErr
		}
	} else {
		pattern, null, err := likeOperand(ctx, l.pattern, row)
		if err != nil || null {
			return nil, err
		}
		escape := `\`
		if l.escape != nil {
			if escape, null, err = likeOperand(ctx, l.escape, row); err != nil || null {
				return nil, err
			}
		}
		if p, err = compileLike(pattern, escape); err != nil {
			return nil, err
		}
	}
	ok, err := p.match(ctx, s)
	if err != nil {
		return nil, err
	}
	return ok, nil
}

// likeOperand evaluates an operand of LIKE as text; null is true for NULL.
func likeOperand(ctx *sql.Context, e sql.Expression, row sql.Row) (string, bool, error) {
	v, err := e.Eval(ctx, row)
	if err != nil || v == nil {
		return "", true, err
	}
	if v, err = sql.UnwrapAny(ctx, v); err != nil || v == nil {
		return "", true, err
	}
	if s, ok := toText(v); ok {
		return s, false, nil
	}
	t, _, err := types.LongText.Convert(ctx, v)
	if err != nil {
		return "", false, err
	}
	s, _ := toText(t)
	return s, false, nil
}
