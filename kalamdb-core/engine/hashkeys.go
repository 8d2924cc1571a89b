package engine

import (
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// hashKeysRuleID identifies exactHashKeys.
const hashKeysRuleID analyzer.RuleId = 10_005

// exactHashKeys makes a hash join on a DECIMAL key find equal values. The
// engine's hash lookup uses a single key's Go value as a map key, and a
// decimal's value holds a pointer: two equal decimals (2 and 2.00, or an
// INT's 2 converted to a decimal) were different keys, so the join, a
// semi join or an IN (subquery) lost their rows, while the same statement
// through an index lookup found them. Both keys are read through
// kdb_hash_key, one canonical text per number; the join's condition is
// still evaluated on every pair the lookup returns.
func exactHashKeys(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.Node(n, func(node sql.Node) (sql.Node, transform.TreeIdentity, error) {
		h, ok := node.(*plan.HashLookup)
		if !ok {
			return node, transform.SameTree, nil
		}
		right, left, changed := hashKeys(h.RightEntryKey, h.LeftProbeKey)
		if !changed {
			return node, transform.SameTree, nil
		}
		out, err := h.WithExpressions(right, left)
		return out, transform.NewTree, err
	})
}

// hashKeys reads through kdb_hash_key the parts of two hash keys (each an
// expression or a tuple of them, a single one a tuple too) where either
// is a DECIMAL, or both are texts of different types, and through
// kdb_json_hash_key those where either is JSON.
func hashKeys(a, b sql.Expression) (sql.Expression, sql.Expression, bool) {
	as, bs := keyParts(a), keyParts(b)
	if len(as) != len(bs) {
		return a, b, false
	}
	changed := false
	for i := range as {
		if familyOf(as[i]) == famJSON || familyOf(bs[i]) == famJSON {
			as[i], bs[i], changed = jsonHashKey(as[i]), jsonHashKey(bs[i]), true
			continue
		}
		if familyOf(as[i]) == famNumeric || familyOf(bs[i]) == famNumeric || textsOfTwoTypes(as[i], bs[i]) {
			as[i], bs[i], changed = hashKey(as[i]), hashKey(bs[i]), true
		}
	}
	if !changed {
		return a, b, false
	}
	rebuild := func(orig sql.Expression, parts []sql.Expression) sql.Expression {
		if _, tuple := orig.(expression.Tuple); tuple {
			return expression.NewTuple(parts...)
		}
		return parts[0]
	}
	return rebuild(a, as), rebuild(b, bs), true
}

// textsOfTwoTypes reports whether a and b are texts of different engine
// types (VARCHAR(3) and TEXT). The hash lookup converts every key it
// probes with to the type of its own key, and a VARCHAR(n) refuses a
// longer text: a join of a VARCHAR(3) column with a TEXT column holding
// 'abcd' failed the statement ("string is too large for column"), where
// PostgreSQL compares the texts and finds them unequal. Read as
// kdb_hash_key, both are unbounded texts of the same value.
func textsOfTwoTypes(a, b sql.Expression) bool {
	return familyOf(a) == famText && familyOf(b) == famText && !types.TypesEqual(a.Type(), b.Type())
}

// keyParts is a hash key's expressions.
func keyParts(e sql.Expression) []sql.Expression {
	if t, ok := e.(expression.Tuple); ok {
		return append([]sql.Expression(nil), t...)
	}
	return []sql.Expression{e}
}

// hashKey is e as its canonical text: equal numbers have equal texts.
func hashKey(e sql.Expression) sql.Expression {
	f, _ := buildHashKey([]sql.Expression{e})
	return f
}

func buildHashKey(args []sql.Expression) (*pgFunc, error) {
	if len(args) != 1 {
		return nil, sqlError("kdb_hash_key takes one argument")
	}
	f := newFuncOfType(args, types.LongText, func(_ *sql.Context, vals []any) (any, error) {
		if d, ok := toDecimal(vals[0]); ok {
			return d.String(), nil
		}
		return fmt.Sprint(vals[0]), nil
	})
	f.name, f.build = "kdb_hash_key", buildHashKey
	return f, nil
}
