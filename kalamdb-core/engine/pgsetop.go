package engine

import (
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// The columns of a UNION, INTERSECT or EXCEPT, and of a VALUES list of
// several rows, that mix numbers of different types get PostgreSQL's type
// (commonType): integers the widest integer, integers with decimals a
// decimal, anything with a DOUBLE a DOUBLE, a REAL with integers or
// decimals a REAL. The engine picks MySQL's: a DECIMAL for a BIGINT with a
// DOUBLE (which cannot hold NaN or the infinities, so the statement failed
// on them) and text for a REAL with an integer. Other mixes keep the
// engine's conversions (checkSetOp refuses the mixes PostgreSQL refuses).
//
// The engine plans the sides of a set operation and the query of a
// derived table on their own, after the statement around them, and typed
// every column reference when it built the plan: the conversions are made
// first, inside those too (retyper), and the references above them retyped.

// setOpNumbers converts the mixed numeric columns of s to their
// PostgreSQL type on both sides, and a string literal to the other side's
// type (literalSideType). A side whose shape it does not know is left to
// the engine's conversion.
func setOpNumbers(s *plan.SetOp) (sql.Node, transform.TreeIdentity, error) {
	left, right := s.Left(), s.Right()
	ls, rs := left.Schema(), right.Schema()
	if len(ls) != len(rs) {
		return s, transform.SameTree, nil // the engine reports it
	}
	changed := false
	lts, rts := sideTypes(left), sideTypes(right)
	for i := range ls {
		lt, rt := lts[i], rts[i]
		var dt dialect.DataType
		if familyOfType(lt).numeric() && familyOfType(rt).numeric() {
			var err error
			if dt, _, err = commonType("UNION", []sql.Expression{typedValue(lt), typedValue(rt)}); err != nil {
				return nil, transform.SameTree, err
			}
		} else if t, ok := literalSideType(left, right, lt, rt, i); ok {
			dt = t
		} else {
			continue
		}
		target := engineType(dt)
		if sameType(ls[i].Type, target) && sameType(rs[i].Type, target) && sameType(lt, target) && sameType(rt, target) {
			continue
		}
		l, lok, err := convertColumn(left, i, dt)
		if err != nil {
			return nil, transform.SameTree, err
		}
		r, rok, err := convertColumn(right, i, dt)
		if err != nil {
			return nil, transform.SameTree, err
		}
		if lok && rok {
			left, right, changed = l, r, true
		}
	}
	if !changed {
		return s, transform.SameTree, nil
	}
	n, err := s.WithChildren(left, right)
	if err != nil {
		return nil, transform.SameTree, err
	}
	return n, transform.NewTree, nil
}

// literalSideType is the type a string literal written as column i of
// one side of a set operation takes from the other side, as PostgreSQL
// reads an unknown-typed literal (SELECT 1 UNION SELECT 'a' fails on
// "a"; the engine made text of both): the other side's type, a decimal
// without its precision. ok is false unless exactly one side is such a
// literal and the other of a type other than text.
//
// A NULL written as the column is read the same way, whatever the other
// side's type: the engine merged NULL with a boolean's TINYINT into a
// BIGINT, so SELECT b ... UNION ALL SELECT NULL answered 1 and 0.
func literalSideType(left, right sql.Node, lt, rt sql.Type, i int) (dialect.DataType, bool) {
	lu, ru := unknownLiteral(left, i), unknownLiteral(right, i)
	if lu == ru {
		return dialect.DataType{}, false
	}
	t, other := lt, left
	if lu {
		t, other = rt, right
	}
	switch familyOfType(t) {
	case famText, famUnknown, famNull, famOther:
		return dialect.DataType{}, false
	case famNumeric:
		return numericDT, true
	case famTimestamp:
		// A DATETIME column makes the literal one, its zone read
		// (TIMESTAMP and DATETIME are one engine type).
		if zonedColumn(other, i, nil) {
			return dateTimeDT, true
		}
	}
	return schema.TypeOfEngine(t), true
}

// unknownLiteral reports whether column i of a side of a set operation is
// a string literal or NULL as written (sideLiteral).
func unknownLiteral(n sql.Node, i int) bool {
	p, ok := n.(*plan.Project)
	if !ok {
		return false
	}
	_, ok = sideLiteral(p, i)
	return ok
}

// sideLiteral is the string literal or NULL column i of a side's
// projection p reads, if it is one: the engine projects a side's columns
// again above its own projection (as references, or their conversions to
// the other side's type).
func sideLiteral(p *plan.Project, i int) (sql.Expression, bool) {
	if i >= len(p.Projections) {
		return nil, false
	}
	e := p.Projections[i]
	if gf, ok := engineConversion(e); ok {
		e = gf
	} else if a, ok := e.(*expression.Alias); ok {
		e = a.Child
	}
	if _, ok := e.(*expression.GetField); ok {
		inner, ok := p.Child.(*plan.Project)
		if !ok || i >= len(inner.Projections) {
			return nil, false
		}
		e = inner.Projections[i]
	}
	if a, ok := e.(*expression.Alias); ok {
		e = a.Child
	}
	f := familyOf(e)
	return e, f == famUnknown || f == famNull
}

// sameType reports whether two types are the same value. The engine
// requires the sides of a set operation to have such types (it compares
// them with reflect.DeepEqual): a DECIMAL(65,30) it made is Equal to
// KalamDB's but not the same value.
func sameType(a, b sql.Type) bool { return reflect.DeepEqual(a, b) }

// typedValue is a value of type t, for commonType.
func typedValue(t sql.Type) sql.Expression { return expression.NewGetField(0, t, "", true) }

// sideTypes are the types of the columns of one side of a set operation
// as written, before the engine's conversion to the other side's type (a
// projection of the conversions it adds over the side). Each schema is
// built once: building a projection's looks up every column's default
// through its child, so one per column took time growing as the square
// of the width (a UNION of two SELECT * over 1600 columns, 10 s).
func sideTypes(n sql.Node) []sql.Type {
	sch := n.Schema()
	out := make([]sql.Type, len(sch))
	p, _ := n.(*plan.Project)
	var child sql.Schema
	for i, c := range sch {
		out[i] = c.Type
		if p == nil || i >= len(p.Projections) {
			continue
		}
		if _, ok := engineConversion(p.Projections[i]); ok {
			if child == nil {
				child = p.Child.Schema()
			}
			out[i] = child[i].Type
		}
	}
	return out
}

// engineConversion is the column the engine converts in projection e of
// the projection it adds over a side of a set operation (an aliased
// conversion of a column: a statement's own casts are KalamDB's).
func engineConversion(e sql.Expression) (*expression.GetField, bool) {
	a, ok := e.(*expression.Alias)
	if !ok {
		return nil, false
	}
	c, ok := a.Child.(*expression.Convert)
	if !ok {
		return nil, false
	}
	gf, ok := c.Child.(*expression.GetField)
	return gf, ok
}

// convertColumn makes column i of n a dt, in the projection that makes
// it (for a nested set operation, in both its sides); false when n has
// another shape.
func convertColumn(n sql.Node, i int, dt dialect.DataType) (sql.Node, bool, error) {
	switch x := n.(type) {
	case *plan.Project:
		if i >= len(x.Projections) {
			return n, false, nil
		}
		e := x.Projections[i]
		name := e.String()
		var id sql.ColumnId
		if ide, ok := e.(sql.IdExpression); ok {
			id = ide.Id()
		}
		src := e
		if a, ok := e.(*expression.Alias); ok {
			name, src = a.Name(), a.Child
		} else if gf, ok := e.(*expression.GetField); ok {
			name = gf.Name()
		}
		if gf, ok := engineConversion(e); ok {
			// The column as the side gives it, with its current type (a
			// nested set operation below may have been converted).
			c := x.Child.Schema()[i]
			src = expression.NewGetFieldWithTable(int(gf.Id()), int(gf.TableId()), c.Type, gf.Database(), gf.Table(), gf.Name(), c.Nullable)
		}
		if lit, ok := sideLiteral(x, i); ok {
			// Read as dt where it is written, as PostgreSQL reads it.
			src = lit
		}
		v := src
		if !sameType(src.Type(), engineType(dt)) {
			var err error
			if v, err = coerce(src, dt); err != nil {
				return nil, false, err
			}
		}
		alias := expression.NewAlias(name, v)
		if id != 0 {
			alias = alias.WithId(id).(*expression.Alias)
		}
		ps := append([]sql.Expression(nil), x.Projections...)
		ps[i] = alias
		out, err := x.WithExpressions(ps...)
		return out, err == nil, err
	case *plan.SetOp:
		l, lok, err := convertColumn(x.Left(), i, dt)
		if err != nil || !lok {
			return n, false, err
		}
		r, rok, err := convertColumn(x.Right(), i, dt)
		if err != nil || !rok {
			return n, false, err
		}
		out, err := x.WithChildren(l, r)
		return out, err == nil, err
	case *plan.Limit, *plan.Offset, *plan.Distinct:
		c, ok, err := convertColumn(x.Children()[0], i, dt)
		if err != nil || !ok {
			return n, false, err
		}
		out, err := x.WithChildren(c)
		return out, err == nil, err
	}
	return n, false, nil
}

// valuesNumbers gives the columns of a VALUES list of several rows that
// mix numbers of different types PostgreSQL's type, each value converted
// to it (the engine converted them to its MySQL choice when it read the
// rows: a DECIMAL for 1, 2.5 and 'NaN'::float8, which panicked). So does
// it to a column that mixes types otherwise: a string literal is read as
// the column's other type, as PostgreSQL reads an unknown-typed literal
// ((1), ('a') fails on "a"; the engine made text of both, and of (true),
// ('yes') the text 1 and yes), and types that do not match are refused.
func valuesNumbers(v *plan.ValueDerivedTable) (sql.Node, transform.TreeIdentity, error) {
	rows := v.ExpressionTuples
	if len(rows) < 2 {
		return v, transform.SameTree, nil
	}
	out := make([][]sql.Expression, len(rows))
	for r := range rows {
		out[r] = append([]sql.Expression(nil), rows[r]...)
	}
	changed := false
	for i := range rows[0] {
		col := make([]sql.Expression, 0, len(rows))
		mixed, numbers := false, true
		// A JSON column with other values: string literals are JSON
		// (PostgreSQL's rule), other types are refused, NULLs are JSON
		// NULLs. The engine made text of it all, the JSON in MySQL's
		// form, and failed on a NULL before the JSON.
		hasJSON, notJSON := false, false
		var first sql.Type
		// The column's families other than NULL's: two of them (text
		// and a string literal aside, which are one) mix types.
		var fams []family
		for _, row := range rows {
			if i >= len(row) {
				return v, transform.SameTree, nil // the engine reports it
			}
			e := row[i]
			col = append(col, e)
			f := familyOf(e)
			if f == famUnknown {
				f = famText
			}
			if f != famNull && !slices.Contains(fams, f) {
				fams = append(fams, f)
			}
			switch f := familyOf(e); {
			case f == famNull:
				notJSON = true
			case f.numeric():
				notJSON = true
				if first == nil {
					first = e.Type()
				} else if !e.Type().Equals(first) {
					mixed = true
				}
			case f == famJSON:
				hasJSON, numbers = true, false
			default:
				notJSON, numbers = true, false
			}
		}
		jsonMix := hasJSON && notJSON
		otherMix := len(fams) > 1 && !slices.Contains(fams, famOther)
		if !jsonMix && !otherMix && (!numbers || !mixed) {
			if t := typeAfterNull(col); t != nil {
				for r, e := range col {
					if familyOf(e) == famNull {
						out[r][i] = expression.NewLiteral(nil, t)
					}
				}
				changed = true
			}
			continue
		}
		unified, err := unifyValues(col)
		if err != nil {
			return nil, transform.SameTree, err
		}
		for r, e := range unified {
			if jsonMix && familyOf(e) == famNull {
				unified[r] = expression.NewLiteral(nil, engineType(jsonType))
			}
		}
		for r := range out {
			out[r][i] = unified[r]
		}
		changed = true
	}
	if !changed {
		return v, transform.SameTree, nil
	}
	var flat []sql.Expression
	for _, row := range out {
		flat = append(flat, row...)
	}
	n, err := v.WithExpressions(flat...)
	if err != nil {
		return nil, transform.SameTree, err
	}
	return n, transform.NewTree, nil
}

// typeAfterNull is the type of a VALUES column whose first value is a
// NULL and whose other values are all of one type, else nil. The engine
// typed such a column by its NULL: (NULL), (true) gave 1 and (NULL),
// (DATE '2024-01-01') failed ("value not nil").
func typeAfterNull(col []sql.Expression) sql.Type {
	if familyOf(col[0]) != famNull {
		return nil
	}
	var t sql.Type
	for _, e := range col[1:] {
		switch f := familyOf(e); {
		case f == famNull:
		case f == famUnknown:
			return nil
		case t == nil:
			t = e.Type()
		case !e.Type().Equals(t):
			return nil
		}
	}
	return t
}

// valuesRows evaluates the rows of a VALUES list, each value converted to
// its column's type as the engine does, except that a NULL stays NULL: the
// engine's own evaluation rounds every value of a DECIMAL column to its
// scale, and panicked on a NULL there (VALUES (1.5), (NULL)).
func valuesRows(ctx *sql.Context, v *plan.ValueDerivedTable, row sql.Row) (sql.RowIter, error) {
	sch := v.Schema()
	return &tuplesIter{n: len(v.ExpressionTuples), row: func(ctx *sql.Context, i int) (sql.Row, error) {
		tuple := v.ExpressionTuples[i]
		vals := make(sql.Row, len(tuple))
		for j, e := range tuple {
			x, err := e.Eval(ctx, row)
			if err != nil {
				return nil, err
			}
			if x == nil {
				continue
			}
			if d, ok := x.(decimal.Decimal); ok && wideDecimalType(sch[j].Type) {
				// The engine's own numeric type (DECIMAL(65,30)) rounded
				// 1e-30 * 1e-30 to 0: a computed numeric keeps every
				// digit, as PostgreSQL's does.
				vals[j] = d
				continue
			}
			if vals[j], _, err = sch[j].Type.Convert(ctx, x); err != nil {
				return nil, err
			}
			if t, ok := sch[j].Type.(sql.DecimalType); ok {
				if d, ok := vals[j].(decimal.Decimal); ok {
					vals[j] = d.Round(int32(t.Scale()))
				}
			}
		}
		return vals, nil
	}}, nil
}

// tuplesIter computes the rows of a VALUES list as they are read, as
// PostgreSQL does: a LIMIT stops before a row that fails, and the rows are
// not all held at once (a hundred rows of repeat('a', 10000000) held a
// gigabyte, uncharged, before the first was read).
type tuplesIter struct {
	n, next int
	row     func(ctx *sql.Context, i int) (sql.Row, error)
}

func (it *tuplesIter) Next(ctx *sql.Context) (sql.Row, error) {
	if it.next >= it.n {
		return nil, io.EOF
	}
	it.next++
	return it.row(ctx, it.next-1)
}

func (it *tuplesIter) Close(*sql.Context) error { return nil }

// decimalDigits is the digits before the point a decimal expression of
// type t needs: a literal's own (the translation writes decimal literals
// with leading zeros, to be wider than any column: widestDecimalText),
// otherwise its type's.
func decimalDigits(e sql.Expression, t sql.DecimalType) int {
	if lit, ok := asLiteral(e); ok {
		if d, ok := lit.Value().(decimal.Decimal); ok {
			whole := d.Abs().Truncate(0).String()
			if whole == "0" {
				return 1
			}
			return len(whole)
		}
	}
	return int(t.Precision()) - int(t.Scale())
}

// unifyValues converts the values of a VALUES column to their common
// type. A decimal column gets the largest scale of its values instead of
// the unconstrained decimal: the engine rounds every value of the column
// to its type's scale, and 30 zeros after 1 is not what was written.
func unifyValues(col []sql.Expression) ([]sql.Expression, error) {
	dt, fam, err := commonType("VALUES", col)
	if err != nil {
		return nil, err
	}
	if dt.Name == dialect.TypeTimestamp && slices.ContainsFunc(col, func(e sql.Expression) bool { return zonedExpr(e, nil) }) {
		// A timestamptz value makes the column's untyped literals
		// timestamptz, their zones read.
		dt = dateTimeDT
	}
	if fam == famNumeric {
		digits, scale := 0, 0
		for _, e := range col {
			switch t := e.Type().(type) {
			case sql.DecimalType:
				digits = max(digits, decimalDigits(e, t))
				scale = max(scale, int(t.Scale()))
			default:
				if familyOf(e) == famInt {
					digits = max(digits, 19)
				}
			}
		}
		if digits+scale <= 38 {
			dt = dialect.DataType{Name: dialect.TypeDecimal, Precision: max(digits+scale, 1), Scale: scale}
		}
	}
	out := make([]sql.Expression, len(col))
	for i, e := range col {
		out[i] = e
		if familyOf(e) == famNull || e.Type().Equals(engineType(dt)) {
			continue
		}
		if out[i], err = coerce(e, dt); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// retyper carries the walk of a plan that converts the numbers of set
// operations and VALUES lists (setOpNumbers, valuesNumbers) and the column
// references above them: the engine typed every reference when it built
// the plan, and a reference keeps the type it was made with.
type retyper struct {
	changed bool // a set operation or VALUES list below has new types
}

// refresh gives the column references of node the types of its
// children's columns, once a conversion below has changed them.
func (r *retyper) refresh(node sql.Node) (sql.Node, transform.TreeIdentity, error) {
	if !r.changed {
		return node, transform.SameTree, nil
	}
	if _, ok := node.(sql.Expressioner); !ok {
		return node, transform.SameTree, nil
	}
	var cols sql.Schema
	s, setOp := node.(*plan.SetOp)
	if setOp {
		// Its ORDER BY names the result's columns, which are the left
		// side's, by name.
		cols = s.Left().Schema()
	} else {
		for _, c := range node.Children() {
			cols = append(cols, c.Schema()...)
		}
	}
	return transform.OneNodeExpressions(node, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		gf, ok := e.(*expression.GetField)
		if !ok {
			return e, transform.SameTree, nil
		}
		var match *sql.Column
		for _, c := range cols {
			if (setOp || strings.EqualFold(c.Source, gf.Table())) && strings.EqualFold(c.Name, gf.Name()) {
				if match != nil {
					return e, transform.SameTree, nil // ambiguous: left as it is
				}
				match = c
			}
		}
		if match == nil || sameType(match.Type, gf.Type()) {
			return e, transform.SameTree, nil
		}
		out := expression.NewGetFieldWithTable(gf.Index(), int(gf.TableId()), match.Type, gf.Database(), gf.Table(), gf.Name(), gf.IsNullable() || match.Nullable)
		return out.WithId(gf.Id()).(*expression.GetField), transform.NewTree, nil
	})
}

// typeNode converts the numbers of a set operation or a VALUES list, and
// first those of the set operations and VALUES lists inside the sides of
// a set operation or the query of a derived table: the engine plans those
// on their own later, after the references above them are typed.
func (r *retyper) typeNode(node sql.Node) (sql.Node, transform.TreeIdentity, error) {
	switch x := node.(type) {
	case *plan.SetOp:
		l, lsame, err := r.walk(x.Left())
		if err != nil {
			return nil, transform.SameTree, err
		}
		rt, rsame, err := r.walk(x.Right())
		if err != nil {
			return nil, transform.SameTree, err
		}
		var n sql.Node = x
		same := lsame && rsame
		if !same {
			if n, err = x.WithChildren(l, rt); err != nil {
				return nil, transform.SameTree, err
			}
			var s2 transform.TreeIdentity
			if n, s2, err = r.refresh(n); err != nil {
				return nil, transform.SameTree, err
			}
			same = same && s2
		}
		if o, ok := literalSortFields(n.(*plan.SetOp)); ok {
			n, same = o, false
		}
		// Checked once its numbers and literals have their types.
		out, s3, err := setOpNumbers(n.(*plan.SetOp))
		if err != nil {
			return nil, transform.SameTree, err
		}
		if !same {
			if err := checkSetOp(out.(*plan.SetOp)); err != nil {
				return nil, transform.SameTree, err
			}
		}
		if s3 == transform.SameTree {
			return out, same, nil
		}
		// Its ORDER BY reads its columns.
		r.changed = true
		out, _, err = r.refresh(out)
		return out, transform.NewTree, err
	case *plan.RecursiveCte:
		if err := recursiveOuterJoin(x); err != nil {
			return nil, transform.SameTree, err
		}
		if err := recursiveClauses(x); err != nil {
			return nil, transform.SameTree, err
		}
		if err := recursiveTerm(x); err != nil {
			return nil, transform.SameTree, err
		}
		x, kept, err := recursiveTypes(x)
		if err != nil {
			return nil, transform.SameTree, err
		}
		if err := recursiveNumbers(x); err != nil {
			return nil, transform.SameTree, err
		}
		out, ok, err := recursiveBooleans(x)
		if err != nil {
			return nil, transform.SameTree, err
		}
		if !ok && kept {
			r.changed = true
			return x, transform.NewTree, nil
		}
		if !ok {
			// Typed by an earlier run of the rule, when the references
			// above read it through a derived table's schema made before
			// (WHERE v saw the BIGINT): they are refreshed now.
			r.changed = r.changed || slices.ContainsFunc(x.Schema(), func(c *sql.Column) bool { return familyOfType(c.Type) == famBool })
			return node, transform.SameTree, nil
		}
		// The references above read its columns.
		r.changed = true
		return out, transform.NewTree, nil
	case *plan.ValueDerivedTable:
		out, same, err := valuesNumbers(x)
		r.changed = r.changed || same == transform.NewTree
		return out, same, err
	case *plan.SubqueryAlias:
		child, same, err := r.walk(x.Child)
		if err != nil || same {
			return node, transform.SameTree, err
		}
		out, err := x.WithChildren(child)
		if err != nil {
			return nil, transform.SameTree, err
		}
		return out, transform.NewTree, nil
	}
	return node, transform.SameTree, nil
}

// literalSortFields makes each ORDER BY key of s that is a literal
// written as a column of its left side (SELECT 5 UNION ALL SELECT id
// ORDER BY 1, SELECT NULL UNION ALL SELECT b ORDER BY 1) a reference to
// that column of the result. The engine sorted by the literal itself, a
// constant, so the rows kept the order they came in. ok is false when no
// key is such a literal, or its column's name is not the result's only
// one of that name (the engine finds a set operation's columns by name).
func literalSortFields(s *plan.SetOp) (*plan.SetOp, bool) {
	if len(s.SortFields) == 0 {
		return s, false
	}
	left := s.Left()
	for {
		x, ok := left.(*plan.SetOp)
		if !ok {
			break
		}
		left = x.Left()
	}
	p, ok := left.(*plan.Project)
	if !ok {
		return s, false
	}
	sch := s.Left().Schema()
	var fields sql.SortFields
	for k, f := range s.SortFields {
		if !isLiteral(f.Column) {
			continue
		}
		i := projectedAt(p, f.Column)
		if i < 0 || i >= len(sch) || !uniqueName(sch, sch[i].Name) {
			continue
		}
		if fields == nil {
			fields = append(sql.SortFields(nil), s.SortFields...)
		}
		gf := expression.NewGetField(i, sch[i].Type, sch[i].Name, sch[i].Nullable)
		// No column id: the engine finds the column by its name.
		fields[k].Column = gf.WithId(0).(*expression.GetField)
	}
	if fields == nil {
		return s, false
	}
	c := *s
	c.SortFields = fields
	return &c, true
}

// projectedAt is the position of lit among the projections of p, or of
// the projection below it (the engine projects a side's columns again
// above its own projection), or -1.
func projectedAt(p *plan.Project, lit sql.Expression) int {
	for {
		for i, e := range p.Projections {
			if a, ok := e.(*expression.Alias); ok {
				e = a.Child
			}
			if e == lit {
				return i
			}
		}
		inner, ok := p.Child.(*plan.Project)
		if !ok {
			return -1
		}
		p = inner
	}
}

// uniqueName reports whether sch has one column called name.
func uniqueName(sch sql.Schema, name string) bool {
	n := 0
	for _, c := range sch {
		if strings.EqualFold(c.Name, name) {
			n++
		}
	}
	return n == 1
}

// recursiveNumbers refuses a recursive WITH query whose recursive term
// makes a column's numbers of another kind than its first term's
// (WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 0.5 ...)), as
// PostgreSQL does: the engine typed the column by the first term and
// answered decimals in a BIGINT column. Integers of another width are
// let through: an integer literal is a BIGINT here, an INTEGER there.
func recursiveNumbers(c *plan.RecursiveCte) error {
	u := c.Union()
	if u == nil {
		return nil
	}
	ls, rs := u.Left().Schema(), u.Right().Schema()
	if len(ls) != len(rs) {
		return nil // the engine reports it
	}
	lts, rts := sideTypes(u.Left()), sideTypes(u.Right())
	for i := range ls {
		lt, rt := lts[i], rts[i]
		lf, rf := familyOfType(lt), familyOfType(rt)
		if !lf.numeric() || !rf.numeric() {
			continue
		}
		dt, fam, err := commonType("UNION", []sql.Expression{typedValue(lt), typedValue(rt)})
		if err != nil {
			return err
		}
		if fam != lf || (fam == famFloat && !engineType(dt).Equals(lt)) {
			return sqlError("recursive query %q column %d has type %s in non-recursive term but type %s overall",
				c.Name(), i+1, typeName(typedValue(lt)), typeName(typedValue(engineType(dt))))
		}
	}
	return nil
}

// recursiveOuterJoin refuses a recursive WITH query whose recursive term
// reads the query's rows on an outer join's NULL-filled side (either side
// of a FULL JOIN), as PostgreSQL does: each step would join the rows of
// the last one to NULLs, which the engine answered.
func recursiveOuterJoin(c *plan.RecursiveCte) error {
	u := c.Union()
	if u == nil {
		return nil
	}
	reads := func(n sql.Node) bool { return readsRecursive(n, c.Name()) }
	var err error
	transform.Inspect(u.Right(), func(n sql.Node) bool {
		j, ok := n.(*plan.JoinNode)
		if !ok || err != nil {
			return err == nil
		}
		full := j.Op.IsFullOuter()
		if (full || j.Op.IsRightOuter()) && reads(j.Left()) || (full || j.Op.IsLeftOuter()) && reads(j.Right()) {
			err = sqlError("recursive reference to query %q must not appear within an outer join", c.Name())
		}
		return err == nil
	})
	return err
}

// readsRecursive reports whether n reads the working table of the
// recursive query called name (outside its expressions' subqueries).
func readsRecursive(n sql.Node, name string) bool {
	return transform.InspectUp(n, func(n sql.Node) bool {
		t, ok := n.(*plan.RecursiveTable)
		return ok && strings.EqualFold(t.Name(), name)
	})
}

// recursiveClauses refuses an ORDER BY, LIMIT or OFFSET of a recursive
// query's whole UNION, as PostgreSQL does: the engine sorted by a column
// its rows did not have, and applied the LIMIT and dropped the OFFSET.
// A term in parentheses may have its own. With both a LIMIT and an
// OFFSET, PostgreSQL names the OFFSET; the engine keeps only the LIMIT,
// which is named.
func recursiveClauses(c *plan.RecursiveCte) error {
	u := c.Union()
	if u == nil {
		return nil
	}
	var clause string
	switch {
	case len(u.SortFields) > 0:
		clause = "ORDER BY"
	case u.Offset != nil || offsetAlone(u.Limit):
		clause = "OFFSET"
	case u.Limit != nil:
		clause = "LIMIT"
	default:
		return nil
	}
	return apierror.New(apierror.Unsupported, "%s in a recursive query is not implemented", clause)
}

// offsetAlone reports whether limit is the row count the translation
// gives an OFFSET without a LIMIT (the engine needs one; it keeps no
// OFFSET of a recursive query's UNION, only that count).
func offsetAlone(limit sql.Expression) bool {
	lit, ok := limit.(*expression.Literal)
	return ok && fmt.Sprint(lit.Value()) == strconv.FormatInt(math.MaxInt64, 10)
}

// recursiveTerm refuses the recursive terms PostgreSQL refuses: one that
// reads the query more than once (the engine joined the working table
// with itself), in a subquery of an expression (the engine panicked), or
// with aggregates over it (the engine aggregated each step's rows, and
// count(*) never ended).
func recursiveTerm(c *plan.RecursiveCte) error {
	u := c.Union()
	if u == nil {
		return nil
	}
	name := c.Name()
	refs := 0
	var err error
	transform.Inspect(u.Right(), func(n sql.Node) bool {
		if err != nil {
			return false
		}
		switch x := n.(type) {
		case *plan.RecursiveTable:
			if strings.EqualFold(x.Name(), name) {
				if refs++; refs > 1 {
					err = sqlError("recursive reference to query %q must not appear more than once", name)
				}
			}
		case *plan.GroupBy:
			if slices.ContainsFunc(x.SelectedExprs, hasAggregate) && readsRecursive(x.Child, name) {
				err = sqlError("aggregate functions are not allowed in a recursive query's recursive term")
			}
		}
		if ex, ok := n.(sql.Expressioner); ok && err == nil {
			for _, e := range ex.Expressions() {
				sql.Inspect(e, func(e sql.Expression) bool {
					if s, ok := e.(*plan.Subquery); ok && err == nil && readsRecursive(s.Query, name) {
						err = sqlError("recursive reference to query %q must not appear within a subquery", name)
					}
					return err == nil
				})
			}
		}
		return err == nil
	})
	return err
}

// hasAggregate reports whether e holds an aggregate function.
func hasAggregate(e sql.Expression) bool {
	return transform.InspectExpr(e, func(e sql.Expression) bool {
		_, ok := e.(sql.Aggregation)
		return ok
	})
}

// recursiveTypes gives the REAL and DATE columns of a recursive WITH
// query their first term's type again, for the recursive term that reads
// them and the query that reads its result. The engine widens the first
// term's types for the recursive term: a REAL became a DOUBLE, and the
// query was refused (column has type FLOAT in non-recursive term but
// type DOUBLE overall) however its recursive term made the column, and a
// DATE became a TIMESTAMP (d + 1 was refused, d answered as a
// timestamp). The working table's column takes the type, the recursive
// term's references to it are typed again (retyper), and a recursive
// term that makes the column of another type is refused, as PostgreSQL
// refuses it. kept is false when no column needed it.
func recursiveTypes(c *plan.RecursiveCte) (_ *plan.RecursiveCte, kept bool, _ error) {
	u := c.Union()
	if u == nil || c.Working == nil {
		return c, false, nil
	}
	sch, lts, work := c.Schema(), sideTypes(u.Left()), c.Working.Schema()
	var cols []int
	for i := range sch {
		if i >= len(lts) || i >= len(work) || sameType(sch[i].Type, lts[i]) {
			continue
		}
		if isReal(lts[i]) || familyOfType(lts[i]) == famDate {
			cols = append(cols, i)
		}
	}
	if len(cols) == 0 {
		return c, false, nil
	}
	typed := withTypes(sch, cols, lts)
	for _, i := range cols {
		// The working table is one node the recursive term and the
		// iterator share (its pointer must stay): its column is typed
		// where it is.
		work[i].Type = lts[i]
	}
	r := retyper{changed: true}
	right, _, err := r.walk(u.Right())
	if err != nil {
		return nil, false, err
	}
	for _, i := range cols {
		if unknownLiteral(right, i) {
			// A string literal is read as the column's type, as
			// PostgreSQL reads an unknown-typed literal.
			if right, _, err = convertColumn(right, i, schema.TypeOfEngine(lts[i])); err != nil {
				return nil, false, err
			}
		}
	}
	rts := sideTypes(right)
	for _, i := range cols {
		if i < len(rts) && !isReal(lts[i]) && !sameType(rts[i], lts[i]) && familyOfType(rts[i]) != famNull {
			return nil, false, sqlError("recursive query %q column %d has type %s in non-recursive term but type %s overall",
				c.Name(), i+1, typeName(typedValue(lts[i])), typeName(typedValue(rts[i])))
		}
	}
	n, err := c.WithChildren(u.Left(), right)
	if err != nil {
		return nil, false, err
	}
	return n.(*plan.RecursiveCte).WithSchema(typed), true, nil
}

// recursiveBooleans types the boolean columns of a recursive WITH query
// as BOOLEAN again, and carries their values one way. The engine widens
// the first term's column types for the recursive term, which made a
// BOOLEAN (its TINYINT) a BIGINT; and a boolean comes as Go's bool from a
// comparison and as the TINYINT from a column (boolValue), which the
// engine's UNION of a recursive query tells apart by printing them: WITH
// RECURSIVE r(v) AS (SELECT b ... UNION SELECT 1 = 1 FROM r) kept true
// twice, as 1 and true, in a BIGINT column. Both terms' values of such a
// column are read through kdb_bool_key (the TINYINT), as a boolean
// grouping key is. ok is false when there is no such column, or a term
// is not a projection whose column can be wrapped.
func recursiveBooleans(c *plan.RecursiveCte) (_ *plan.RecursiveCte, ok bool, _ error) {
	u := c.Union()
	if u == nil {
		return c, false, nil
	}
	sch, lts := c.Schema(), sideTypes(u.Left())
	var cols []int
	for i := range sch {
		if i < len(lts) && familyOfType(lts[i]) == famBool && familyOfType(sch[i].Type) != famBool {
			cols = append(cols, i)
		}
	}
	if len(cols) == 0 {
		return c, false, nil
	}
	l, err := boolKeyed(u.Left(), cols)
	if err != nil || l == nil {
		return c, false, err
	}
	r, err := boolKeyed(u.Right(), cols)
	if err != nil || r == nil {
		return c, false, err
	}
	n, err := c.WithChildren(l, r)
	if err != nil {
		return nil, false, err
	}
	return n.(*plan.RecursiveCte).WithSchema(withTypes(sch, cols, lts)), true, nil
}

// withTypes is a copy of sch with its columns cols of the types ts.
func withTypes(sch sql.Schema, cols []int, ts []sql.Type) sql.Schema {
	typed := make(sql.Schema, len(sch))
	for i, col := range sch {
		typed[i] = col.Copy()
	}
	for _, i := range cols {
		typed[i].Type = ts[i]
	}
	return typed
}

// boolKeyed is the projection side with its columns cols read through
// kdb_bool_key, under their names (and column ids); nil when side is not
// a projection or such a column is not a column, a literal or an aliased
// expression.
func boolKeyed(side sql.Node, cols []int) (sql.Node, error) {
	p, ok := side.(*plan.Project)
	if !ok {
		return nil, nil
	}
	exprs := append([]sql.Expression(nil), p.Projections...)
	for _, i := range cols {
		if i >= len(exprs) {
			return nil, nil
		}
		switch x := exprs[i].(type) {
		case *expression.Alias:
			k, err := boolEqualKey([]sql.Expression{x.Child})
			if err != nil {
				return nil, err
			}
			if exprs[i], err = x.WithChildren(k); err != nil {
				return nil, err
			}
		case *expression.GetField:
			k, err := boolEqualKey([]sql.Expression{x})
			if err != nil {
				return nil, err
			}
			exprs[i] = expression.NewAlias(x.Name(), k).WithId(x.Id()).(*expression.Alias)
		default:
			if !isLiteral(x) {
				return nil, nil
			}
			k, err := boolEqualKey([]sql.Expression{x})
			if err != nil {
				return nil, err
			}
			exprs[i] = expression.NewAlias(p.Schema()[i].Name, k)
		}
	}
	return p.WithExpressions(exprs...)
}

// walk converts the set operations and VALUES lists of n (typeNode) and
// refreshes the references above them.
func (r *retyper) walk(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
	return transform.Node(n, func(node sql.Node) (sql.Node, transform.TreeIdentity, error) {
		node, refreshed, err := r.refresh(node)
		if err != nil {
			return nil, transform.SameTree, err
		}
		out, same, err := r.typeNode(node)
		return out, same && refreshed, err
	})
}
