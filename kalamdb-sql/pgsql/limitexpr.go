package pgsql

import (
	"math"
	"math/big"
	"regexp"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// countConst is a constant LIMIT or OFFSET operand folded at translation:
// an exact value, and whether it is an integer (bigint arithmetic) or a
// numeric.
type countConst struct {
	v     *big.Rat
	isInt bool
}

var (
	bigintText  = regexp.MustCompile(`^[+-]?[0-9]+$`)
	numericText = regexp.MustCompile(`^[+-]?[0-9]*\.?[0-9]*([eE][+-]?[0-9]+)?$`)
	minBigint   = new(big.Rat).SetInt64(math.MinInt64)
	maxBigint   = new(big.Rat).SetInt64(math.MaxInt64)
)

// constantCount folds a LIMIT or OFFSET operand written as a constant
// expression (PostgreSQL takes any: LIMIT 2 + 1, LIMIT 1.5, LIMIT '2') to
// the bigint PostgreSQL converts it to: a numeric rounds half away from
// zero, an unknown literal is read as a bigint. ok is false for operands
// that are not such constants (columns, functions, parameters), which the
// caller refuses as before.
func (t *translator) constantCount(n *pg.Node) (v int64, ok bool, err error) {
	c, ok, err := t.foldCount(n)
	if !ok || err != nil {
		return 0, ok, err
	}
	r := c.v
	if !c.isInt {
		r = roundHalfAway(r)
	}
	if r.Cmp(minBigint) < 0 || r.Cmp(maxBigint) > 0 {
		return 0, true, t.execErrorAt(location(n), "bigint out of range")
	}
	return r.Num().Int64(), true, nil
}

func (t *translator) foldCount(n *pg.Node) (countConst, bool, error) {
	if c := n.GetAConst(); c != nil {
		switch {
		case c.GetIval() != nil:
			return countConst{v: new(big.Rat).SetInt64(int64(c.GetIval().GetIval())), isInt: true}, true, nil
		case c.GetFval() != nil:
			// A numeric literal, or an integer too large for int4.
			text := c.GetFval().GetFval()
			r, ok := new(big.Rat).SetString(text)
			if !ok || !numericText.MatchString(text) {
				return countConst{}, false, nil
			}
			isInt := !strings.ContainsAny(text, ".eE")
			return countConst{v: r, isInt: isInt}, true, nil
		case c.GetSval() != nil:
			// An unknown literal takes the operand's type, bigint.
			text := strings.TrimSpace(c.GetSval().GetSval())
			i, ok := new(big.Int), bigintText.MatchString(text)
			if ok {
				_, ok = i.SetString(strings.TrimPrefix(text, "+"), 10)
			}
			if !ok {
				return countConst{}, true, t.errorAt(c.Location, "invalid input syntax for type bigint: %q", c.GetSval().GetSval())
			}
			if !i.IsInt64() {
				return countConst{}, true, t.execErrorAt(c.Location, "value %q is out of range for type bigint", c.GetSval().GetSval())
			}
			return countConst{v: new(big.Rat).SetInt(i), isInt: true}, true, nil
		}
		return countConst{}, false, nil
	}
	a := n.GetAExpr()
	if a == nil || a.Kind != pg.A_Expr_Kind_AEXPR_OP {
		return countConst{}, false, nil
	}
	op, ok := operatorName(a.Name)
	if !ok {
		return countConst{}, false, nil
	}
	if a.Lexpr == nil {
		r, ok, err := t.foldCount(a.Rexpr)
		if !ok || err != nil {
			return r, ok, err
		}
		switch op {
		case "-":
			return countConst{v: new(big.Rat).Neg(r.v), isInt: r.isInt}, true, nil
		case "+":
			return r, true, nil
		}
		return countConst{}, false, nil
	}
	l, ok, err := t.foldCount(a.Lexpr)
	if !ok || err != nil {
		return l, ok, err
	}
	r, ok, err := t.foldCount(a.Rexpr)
	if !ok || err != nil {
		return r, ok, err
	}
	out := countConst{v: new(big.Rat), isInt: l.isInt && r.isInt}
	switch op {
	case "+":
		out.v.Add(l.v, r.v)
	case "-":
		out.v.Sub(l.v, r.v)
	case "*":
		out.v.Mul(l.v, r.v)
	case "/":
		if r.v.Sign() == 0 {
			return countConst{}, true, t.execErrorAt(a.Location, "division by zero")
		}
		out.v.Quo(l.v, r.v)
		if out.isInt {
			// Integer division truncates toward zero.
			out.v.SetInt(new(big.Int).Quo(out.v.Num(), out.v.Denom()))
		}
	default:
		return countConst{}, false, nil
	}
	if out.isInt && (out.v.Cmp(minBigint) < 0 || out.v.Cmp(maxBigint) > 0) {
		return countConst{}, true, t.execErrorAt(a.Location, "bigint out of range")
	}
	if len(out.v.Num().Bits())+len(out.v.Denom().Bits()) > 64 {
		// A chain of products of numerics grows without bound; no count
		// needs more than a few words.
		return countConst{}, true, t.execErrorAt(a.Location, "bigint out of range")
	}
	return out, true, nil
}

// roundHalfAway rounds r to an integer, halves away from zero (numeric's
// conversion to bigint).
func roundHalfAway(r *big.Rat) *big.Rat {
	num, den := new(big.Int).Abs(r.Num()), r.Denom()
	// floor((2|num| + den) / 2den)
	q := new(big.Int).Add(new(big.Int).Lsh(num, 1), den)
	q.Quo(q, new(big.Int).Lsh(den, 1))
	if r.Sign() < 0 {
		q.Neg(q)
	}
	return new(big.Rat).SetInt(q)
}
