package engine

import (
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// commonType resolves the type of expressions that must share one
// (COALESCE, GREATEST, LEAST, NULLIF, CASE branches, UNION columns) by
// PostgreSQL's rules: untyped literals follow the others (all untyped:
// TEXT); integers widen to the widest integer; integers with decimals
// make a decimal (decimals of different scales an unconstrained one);
// any float makes a float: DOUBLE with a DOUBLE, else REAL, as integers
// and decimals convert to either implicitly; DATE and TIMESTAMP make
// TIMESTAMP; any other mix of types is an error.
func commonType(what string, args []sql.Expression) (dialect.DataType, family, error) {
	args = typesOnce(args)
	var (
		fam  = famNull
		dt   dialect.DataType
		seen sql.Expression
	)
	for _, a := range args {
		f := familyOf(a)
		if f == famNull || f == famUnknown {
			continue
		}
		if seen == nil {
			fam, dt, seen = f, operandType(a), a
			if f == famFloat {
				dt = floatDataType(a.Type())
			}
			if f == famText {
				dt = textType
			}
			continue
		}
		switch {
		case f == fam && f == famInt:
			if w := intWidth(a.Type()); w > intWidth(engineType(dt)) {
				dt = dialect.DataType{Name: intTypeName(a.Type())}
			}
		case f == fam && f == famFloat:
			if a.Type().Type() != types.Float32.Type() {
				dt = doubleType
			}
		case f == fam && f == famNumeric:
			if !a.Type().Equals(engineType(dt)) {
				dt = numericDT // decimals of different scales keep theirs
			}
		case f == fam:
		case f.numeric() && fam.numeric():
			switch {
			case fam == famFloat:
				// Integers and decimals convert to a REAL or a DOUBLE
				// implicitly, never the other way round.
			case f == famFloat:
				fam, dt = famFloat, floatDataType(a.Type())
			default:
				fam, dt = famNumeric, numericDT
			}
		case (f == famDate || f == famTimestamp) && (fam == famDate || fam == famTimestamp):
			fam, dt = famTimestamp, tsType
		default:
			return dt, fam, sqlError("%s types %s and %s cannot be matched", what, typeName(seen), typeName(a))
		}
	}
	if seen == nil {
		for _, a := range args {
			if familyOf(a) == famUnknown {
				return textType, famText, nil
			}
		}
		return textType, famNull, nil
	}
	return dt, fam, nil
}

// floatDataType is REAL for the engine's 32-bit float, else DOUBLE.
func floatDataType(t sql.Type) dialect.DataType {
	if t.Type() == types.Float32.Type() {
		return dialect.DataType{Name: dialect.TypeFloat}
	}
	return doubleType
}

// unify coerces expressions to their common type (commonType).
func unify(what string, args []sql.Expression) ([]sql.Expression, dialect.DataType, error) {
	typed := typesOnce(args)
	dt, _, err := commonType(what, typed)
	if err != nil {
		return nil, dt, err
	}
	target := engineType(dt)
	out := make([]sql.Expression, len(args))
	for i, a := range args {
		ta := typed[i]
		f := familyOf(ta)
		switch {
		case f == famNull:
			out[i] = a
		case f == famUnknown && dt.Name == dialect.TypeTimestamp:
			c, err := coerceTimestampText(a)
			if err != nil {
				return nil, dt, err
			}
			out[i] = c
		case f == famUnknown || !ta.Type().Equals(target) && !sameFamilyWidth(ta, dt):
			c, err := coerce(a, dt)
			if err != nil {
				return nil, dt, err
			}
			out[i] = c
		default:
			out[i] = a
		}
	}
	return out, dt, nil
}

// sameFamilyWidth reports whether e already has type dt's family and
// representation (so no per-row cast is needed).
func sameFamilyWidth(e sql.Expression, dt dialect.DataType) bool {
	t := engineType(dt)
	f := familyOf(e)
	if f != familyOfType(t) {
		return false
	}
	switch f {
	case famInt:
		return intWidth(e.Type()) == intWidth(t)
	case famFloat:
		return e.Type().Type() == t.Type()
	case famText, famNumeric, famJSON, famBytes, famUUID, famBool, famTime, famDate:
		return true
	case famTimestamp:
		return true
	}
	return false
}

func buildCoalesce(args []sql.Expression) (*pgFunc, error) {
	if len(args) == 0 {
		return nil, sqlError("COALESCE needs at least one argument")
	}
	args, dt, err := unify("COALESCE", args)
	if err != nil {
		return nil, err
	}
	f := newFunc(args, dt, nil)
	// Arguments after the first non-NULL one are not evaluated.
	f.lazy = lazyCoalesce
	return f, nil
}

func lazyCoalesce(f *pgFunc, ctx *sql.Context, row sql.Row) (any, error) {
	for _, a := range f.args {
		v, err := a.Eval(ctx, row)
		if err != nil || v != nil {
			return v, err
		}
	}
	return nil, nil
}

func buildNullIf(args []sql.Expression) (*pgFunc, error) {
	if len(args) != 2 {
		return nil, sqlError("NULLIF takes two arguments")
	}
	out, dt, err := unify("NULLIF", args)
	if err != nil {
		return nil, err
	}
	// A REAL with another number (a DOUBLE too) compares as float8 and
	// keeps the first argument's type: NULLIF(0.1::real, 0.1::float8) is
	// the REAL 0.1, not that REAL widened to a DOUBLE.
	realPair := isReal(args[0].Type()) != isReal(args[1].Type())
	if (dt.Name == dialect.TypeFloat || dt.Name == dialect.TypeDouble) && realPair && familyOf(args[0]) != famUnknown && familyOf(args[1]) != famUnknown {
		return realNullIf(args)
	}
	// NULLIF(a, b) has a's type; the comparison happens in the common
	// type.
	fam := familyOfType(engineType(dt))
	f := newFunc(out, dt, func(ctx *sql.Context, vals []any) (any, error) {
		if vals[0] == nil || vals[1] == nil {
			return vals[0], nil
		}
		c, err := compareValuesChecked(ctx, fam, vals[0], vals[1])
		if err != nil {
			return nil, err
		}
		if c == 0 {
			return nil, nil
		}
		return vals[0], nil
	})
	f.nullIn = true
	return f, nil
}

// realNullIf is NULLIF of a REAL and another number. PostgreSQL compares
// them as float8 (its = of a REAL and another number is float8's), and
// returns the first operand: a REAL as it is, another number as the
// float8 the comparison promoted it to.
//
// The arguments are widened when evaluated, not wrapped in casts: the
// function is built again from its children when the plan is rewritten,
// and a REAL cast to DOUBLE would no longer be seen as the REAL it is.
func realNullIf(args []sql.Expression) (*pgFunc, error) {
	// NULLIF(NULL, r) is NULL of r's type, as PostgreSQL types it.
	real := isReal(args[0].Type()) || familyOf(args[0]) == famNull && isReal(args[1].Type())
	dt := doubleType
	if real {
		dt = dialect.DataType{Name: dialect.TypeFloat}
	}
	f := newFunc(args, dt, func(_ *sql.Context, vals []any) (any, error) {
		if vals[0] == nil {
			return nil, nil
		}
		x := mustFloat(vals[0])
		if vals[1] != nil && cmpFloat(x, mustFloat(vals[1])) == 0 {
			return nil, nil
		}
		if real {
			return float32(x), nil // a REAL widened to float8 narrows back exactly
		}
		return x, nil
	})
	f.nullIn = true
	return f, nil
}

// buildExtreme builds GREATEST and LEAST, which ignore NULLs.
func buildExtreme(greatest bool) fnBuilder {
	return func(args []sql.Expression) (*pgFunc, error) {
		name := "LEAST"
		if greatest {
			name = "GREATEST"
		}
		if len(args) == 0 {
			return nil, sqlError("%s needs at least one argument", name)
		}
		out, dt, err := unify(name, args)
		if err != nil {
			return nil, err
		}
		fam := familyOfType(engineType(dt))
		f := newFunc(out, dt, func(ctx *sql.Context, vals []any) (any, error) {
			var best any
			for _, v := range vals {
				if v == nil {
					continue
				}
				if best == nil {
					best = v
					continue
				}
				c, err := compareValuesChecked(ctx, fam, v, best)
				if err != nil {
					return nil, err
				}
				if (greatest && c > 0) || (!greatest && c < 0) {
					best = v
				}
			}
			return best, nil
		})
		f.nullIn = true
		return f, nil
	}
}

// caseParts are the arguments of kdb_case: the subject of a simple CASE,
// the WHEN conditions or values, and the results (THEN, then ELSE).
type caseParts struct {
	simple, hasElse bool
	subject         sql.Expression
	conds, vals     []sql.Expression
}

// splitCase reads kdb_case('searched'|'simple' [+',else'], [subject],
// when, then, ..., [else]).
func splitCase(args []sql.Expression) (caseParts, error) {
	var c caseParts
	if len(args) < 1 {
		return c, sqlError("CASE without branches")
	}
	mode, _ := constString(args[0])
	c.simple = strings.HasPrefix(mode, "simple")
	c.hasElse = strings.HasSuffix(mode, ",else")
	rest := args[1:]
	if c.simple && len(rest) > 0 {
		c.subject, rest = rest[0], rest[1:]
	}
	var elseExpr sql.Expression
	if c.hasElse && len(rest) > 0 {
		elseExpr, rest = rest[len(rest)-1], rest[:len(rest)-1]
	}
	if len(rest)%2 != 0 || len(rest) == 0 {
		return c, sqlError("malformed CASE")
	}
	c.conds = make([]sql.Expression, 0, len(rest)/2)
	c.vals = make([]sql.Expression, 0, len(rest)/2+1)
	for i := 0; i < len(rest); i += 2 {
		c.conds = append(c.conds, rest[i])
		c.vals = append(c.vals, rest[i+1])
	}
	if elseExpr != nil {
		c.vals = append(c.vals, elseExpr)
	}
	return c, nil
}

// buildCase builds kdb_case (CASE): conditions are booleans (searched
// CASE) or values compared with the subject by equality (simple CASE);
// the result has the common type of all branches; only the branch taken
// is evaluated.
func buildCase(args []sql.Expression) (*pgFunc, error) {
	c, err := splitCase(args)
	if err != nil {
		return nil, err
	}
	simple, hasElse, subject, conds, vals := c.simple, c.hasElse, c.subject, c.conds, c.vals
	// WHEN: booleans, or the subject's comparable values.
	var cmpFam family
	if simple {
		all := append([]sql.Expression{subject}, conds...)
		unified, dt, err := unify("CASE/WHEN", all)
		if err != nil {
			return nil, err
		}
		subject, conds = unified[0], unified[1:]
		cmpFam = familyOfType(engineType(dt))
	} else {
		for i, c := range conds {
			c2, err := condition("CASE/WHEN", c)
			if err != nil {
				return nil, err
			}
			conds[i] = c2
		}
	}
	vals, dt, err := unify("CASE", vals)
	if err != nil {
		return nil, err
	}
	all := []sql.Expression{args[0]}
	if simple {
		all = append(all, subject)
	}
	for i := range conds {
		all = append(all, conds[i], vals[i])
	}
	if hasElse {
		all = append(all, vals[len(vals)-1])
	}
	f := newFunc(all, dt, nil)
	f.lazy = func(f *pgFunc, ctx *sql.Context, row sql.Row) (any, error) {
		a := f.args[1:]
		var subj any
		if simple {
			v, err := a[0].Eval(ctx, row)
			if err != nil {
				return nil, err
			}
			subj, a = v, a[1:]
		}
		n := len(a) / 2
		for i := 0; i < n; i++ {
			c, err := a[2*i].Eval(ctx, row)
			if err != nil {
				return nil, err
			}
			taken := false
			if simple {
				if subj != nil && c != nil {
					cmp, err := compareValuesChecked(ctx, cmpFam, subj, c)
					if err != nil {
						return nil, err
					}
					taken = cmp == 0
				}
			} else if c != nil {
				taken, _ = toBool(c)
			}
			if taken {
				return a[2*i+1].Eval(ctx, row)
			}
		}
		if hasElse {
			return a[len(a)-1].Eval(ctx, row)
		}
		return nil, nil
	}
	return f, nil
}

// buildNot builds kdb_not: boolean NOT (NULL stays NULL).
func buildNot(args []sql.Expression) (*pgFunc, error) {
	if len(args) != 1 {
		return nil, sqlError("NOT takes one operand")
	}
	if f := familyOf(args[0]); f != famBool && f != famNull {
		return nil, sqlError("argument of NOT must be type BOOLEAN, not type %s", typeName(args[0]))
	}
	return newFunc(args, boolType, func(_ *sql.Context, vals []any) (any, error) {
		b, _ := toBool(vals[0])
		return boolValue(!b), nil
	}), nil
}
