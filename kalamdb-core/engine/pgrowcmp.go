package engine

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
)

// rowComparison makes a comparison of two rows other than = (rowEquality)
// PostgreSQL's:
//
//   - (a, b) < (c, d) compares the pairs left to right and stops at the
//     first pair that is not equal or holds a NULL: a NULL there makes the
//     result NULL, else that pair decides. That is a < c OR (a = c AND
//     b < d), nested for more pairs (<= and >= end with <= and >=), whose
//     three-valued logic gives exactly those NULLs, ANDed with the first
//     pair's bound a <= c, which it implies: a keyset predicate on an
//     index's leading column, (created, id) < ($1, $2), reads the index
//     from created <= $1 on; on an index that goes on with id (or ends
//     with the primary key id), the OR is ranges too, created < $1 and
//     created = $1 AND id < $2, whose entries read in order stop at the
//     cursor (sortByIndex). The engine compared the rows as tuples, with
//     NULL below every value.
//   - (a, b) IS NOT DISTINCT FROM (c, d) is the AND of its pairs' (and IS
//     DISTINCT FROM, NOT over it, their OR).
//
// Each pair is typed as a comparison of its own. Rows of different
// lengths are an error, as in PostgreSQL.
func rowComparison(e sql.Expression) (sql.Expression, bool, error) {
	op, ok := comparisonOp(e)
	if !ok || op == "=" {
		return e, false, nil
	}
	ch := e.Children()
	l, lok := ch[0].(expression.Tuple)
	r, rok := ch[1].(expression.Tuple)
	switch {
	case !lok && !rok:
		return e, false, nil
	case !lok || !rok:
		return nil, false, sqlError("a row can only be compared with another row of values")
	case len(l) != len(r):
		return nil, false, sqlError("unequal number of entries in row expressions")
	}
	pair := func(op string, i int) (sql.Expression, error) {
		c, _, err := checkExpr(newComparison(op, l[i], r[i]))
		return c, err
	}
	if op == "<=>" {
		pairs := make([]sql.Expression, len(l))
		for i := range l {
			c, err := pair(op, i)
			if err != nil {
				return nil, false, err
			}
			pairs[i] = c
		}
		return expression.JoinAnd(pairs...), true, nil
	}
	strict := op[:1] // "<" or ">"
	last, err := pair(op, len(l)-1)
	if err != nil {
		return nil, false, err
	}
	out := last
	for i := len(l) - 2; i >= 0; i-- {
		before, err := pair(strict, i)
		if err != nil {
			return nil, false, err
		}
		equal, err := pair("=", i)
		if err != nil {
			return nil, false, err
		}
		out = expression.NewOr(before, expression.NewAnd(equal, out))
	}
	if len(l) > 1 {
		// The first pair's bound, which the whole implies (a NULL in it
		// makes both NULL), as a range of its own that an index on the
		// leading column reads: (a, b) < (c, d) is a <= c AND (...).
		bound, err := pair(strict+"=", 0)
		if err != nil {
			return nil, false, err
		}
		out = expression.NewAnd(bound, out)
	}
	return out, true, nil
}
