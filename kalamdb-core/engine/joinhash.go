package engine

import (
	"fmt"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
)

// A nested loop the engine builds for a join of two tables reads its
// inner side again for every row of its outer side: when the inner
// side's WHERE binds an index, that is the index range read again and
// again (the conversations of an owner read once for each of 1,500
// messages, 16,500 rows fetched for 60 rows of answer). The engine
// chooses so when both sides' WHERE bind an index (its costs, without
// statistics, take a bound table for one row), where preferJoinLookup
// leaves the join to it. hashReadOnce turns such a nested loop, after the
// engine has chosen it, into the engine's own hash join on the join's
// equalities: the inner side is read once, when the first outer row
// arrives, into a table of its rows by key, and every outer row finds its
// matches there. It never reads more: a nested loop over A outer rows
// reads A + A*B rows of an inner range of B, the hash join A + B (and A
// when A is 0: the inner side is read only for a first outer row), the
// same rows in the same order of the outer side, and the join's whole
// condition is still evaluated on every pair the table returns, so the
// answers are the nested loop's. The rows it holds are the statement's,
// counted against its memory budget, and at most a quarter of it: past
// that, the side is read again for every outer row, as by the nested
// loop (joinstream.go). It decides from the plan's shape alone: an inner join
// of two tables, the inner one read through an index range its own WHERE
// binds (a static index access, the same rows for every outer row),
// whose expressions read its own columns only, with at least one
// equality of a column of each side, of one type the lookup hashes
// exactly (hashableKeys; the engine's own hash joins want every
// condition an equality, the others are evaluated on the pairs). A LEFT
// JOIN's nested loop too, and its lookup join by constants only, whose
// right side is the same rows for every left row as well (hashableSide):
// they become the engine's LEFT hash join. Other lookup joins, merge and
// hash joins are left as they are, and so are an inner join's nested
// loop over a whole table and joins in subqueries, whose tables may read
// the outer query's row.

// The engine joins a FULL JOIN by a nested loop that reads its right
// side again for every left row, then once more for the right rows
// without a match: 2,000 rows joined with 200 read 400,000 rows and
// evaluated the condition on every pair. A FULL JOIN of two tables on
// such equalities becomes the same hash lookup over its right side
// (hashedSide.full): the engine's iterator stays
// the FULL JOIN's, its reads for a left row find that row's matches in
// the table, and its last read, with no left row, gets every row of the
// side, in the order read, those whose key is NULL (left out of the
// table, nullFreeHashJoins) included; the rows it matched are told apart
// as before. The side is held under the same share of the budget, and
// streams past it, as the nested loop did.

// fullJoinsNested, as a key of a statement's context, leaves its FULL
// JOINs nested loops: tests compare the answers both ways.
type fullJoinsNested struct{}

// hashReadOnceRuleID identifies hashReadOnce in the engine's traces.
const hashReadOnceRuleID analyzer.RuleId = 10_009

// hashReadOnce turns the nested loops described above into hash joins.
func hashReadOnce(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, scope *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	if !scope.IsEmpty() {
		// A correlated subquery's tables may read its outer row: its
		// inner side could differ from one outer row to the next.
		return n, transform.SameTree, nil
	}
	return transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		j, ok := n.(*plan.JoinNode)
		if !ok {
			return n, transform.SameTree, nil
		}
		out, err := hashJoinOf(ctx, j)
		if err != nil || out == nil {
			return n, transform.SameTree, err
		}
		return out, transform.NewTree, nil
	})
}

// hashJoinOf is j as a hash join, or nil when j is not a nested loop
// hashReadOnce changes.
func hashJoinOf(ctx *sql.Context, j *plan.JoinNode) (sql.Node, error) {
	if j.Filter == nil {
		return nil, nil
	}
	var op plan.JoinType
	switch j.Op {
	case plan.JoinTypeInner:
		op = plan.JoinTypeHash
	case plan.JoinTypeLeftOuter, plan.JoinTypeLeftOuterLookup:
		// The engine keeps a LEFT JOIN's ON conditions on its right side
		// in the join (the side is then the whole table, read again for
		// every left row) or looks the side up by them (the same range
		// for every left row when they bind it to constants). The hash
		// join evaluates the whole ON on the pairs the table returns, and
		// a left row without a match is joined to NULLs, as before.
		op = plan.JoinTypeLeftOuterHash
	case plan.JoinTypeFullOuter:
		if ctx.Value(fullJoinsNested{}) != nil || volatileExpr(j.Filter) {
			// The FULL JOIN reads the side of a volatile condition once
			// itself (fulljoiniter.go), a read the hashed side would
			// answer with a left row's matches once its table is built.
			return nil, nil
		}
		op = plan.JoinTypeFullOuter
	default:
		return nil, nil
	}
	left, ok := singleTableName(j.Left(), false)
	if !ok {
		return nil, nil
	}
	var right string
	if op == plan.JoinTypeFullOuter {
		right, ok = singleTableName(j.Right(), false)
	} else {
		right, ok = hashableSide(j.Right(), op == plan.JoinTypeLeftOuterHash)
	}
	if !ok || strings.EqualFold(left, right) || !readsOnly(j.Right(), right) || onePrimaryKeyPoint(ctx, j.Left()) {
		return nil, nil
	}
	var probe, entry []sql.Expression
	for _, c := range expression.SplitConjunction(j.Filter) {
		eq, ok := c.(*expression.Equals)
		if !ok {
			continue
		}
		if !hashableKeys(eq.Left(), eq.Right()) {
			continue
		}
		switch {
		case onlyColumnsOf(eq.Left(), left) && onlyColumnsOf(eq.Right(), right):
			probe, entry = append(probe, eq.Left()), append(entry, eq.Right())
		case onlyColumnsOf(eq.Right(), left) && onlyColumnsOf(eq.Left(), right):
			probe, entry = append(probe, eq.Right()), append(entry, eq.Left())
		}
	}
	if len(probe) == 0 {
		return nil, nil
	}
	// As the engine builds its own hash joins (memo's buildHashJoin):
	// the keys are tuples, the right side the one hashed.
	side := &hashedSide{child: j.Right(), state: &hashedState{}, full: op == plan.JoinTypeFullOuter}
	lookup := plan.NewHashLookup(side, expression.Tuple(entry), expression.Tuple(probe), op)
	out, err := j.WithChildren(j.Left(), lookup)
	if err != nil {
		return nil, fmt.Errorf("hash join of %s and %s: %w", left, right, err)
	}
	hj := *out.(*plan.JoinNode)
	hj.Op = op
	return &hj, nil
}

// singleTableName is the name (its alias, or the table's) of a join's
// child that is one data table, filtered or not, whole or read through a
// static index access.
func singleTableName(n sql.Node, bound bool) (string, bool) {
	name, n := unwrapJoinChild(n)
	var tn sql.Node
	switch t := n.(type) {
	case *plan.IndexedTableAccess:
		if !t.IsStatic() {
			return "", false
		}
		tn = t.TableNode
	case *plan.ResolvedTable:
		if bound {
			return "", false
		}
		tn = t
	default:
		return "", false
	}
	return dataTableName(tn, name)
}

// hashableSide is the name of a join's inner side that reads the same
// rows for every outer row, as singleTableName's: a range its WHERE binds
// (a static index access) or, for a LEFT JOIN, also the whole table, or
// an index looked up by constants only (the ON's conditions on the side,
// which the engine keeps in the join or looks up by). A whole table is
// not hashed for an inner join: the engine pushes a condition on one side
// below it, so its nested loop over a whole table is one without any
// condition on that side, left as the engine costed it.
func hashableSide(n sql.Node, leftJoin bool) (string, bool) {
	name, access := unwrapJoinChild(n)
	t, ok := access.(*plan.IndexedTableAccess)
	if !leftJoin || !ok || t.IsStatic() {
		return singleTableName(n, !leftJoin)
	}
	for _, e := range t.Expressions() {
		if readsColumns(e) {
			return "", false
		}
	}
	return dataTableName(t.TableNode, name)
}

// readsColumns reports whether e reads a column or a subquery's rows.
func readsColumns(e sql.Expression) bool {
	return transform.InspectExpr(e, func(e sql.Expression) bool {
		switch e.(type) {
		case *expression.GetField, *plan.Subquery:
			return true
		}
		return false
	})
}

// dataTableName is name, or tn's name when name is "", when tn is one of
// KalamDB's data tables.
func dataTableName(tn sql.Node, name string) (string, bool) {
	rt, ok := tn.(*plan.ResolvedTable)
	if !ok {
		return "", false
	}
	if _, ok := rt.Table.(*dataTable); !ok {
		return "", false
	}
	if name == "" {
		name = rt.Name()
	}
	return name, true
}

// unwrapJoinChild is a join's child without its filter and alias, and the
// alias ("" for none).
func unwrapJoinChild(n sql.Node) (alias string, access sql.Node) {
	if f, ok := n.(*plan.Filter); ok {
		n = f.Child
	}
	if ta, ok := n.(*plan.TableAlias); ok {
		return ta.Name(), ta.Child
	}
	return "", n
}

// onePrimaryKeyPoint reports whether n, a join's outer side, reads one point
// of its primary key: the nested loop then reads the inner range once, as
// the hash join would, but streams it where the hash join holds it all
// against the statement's memory budget.
func onePrimaryKeyPoint(ctx *sql.Context, n sql.Node) bool {
	_, n = unwrapJoinChild(n)
	ita, ok := n.(*plan.IndexedTableAccess)
	if !ok || !ita.IsStatic() || ita.Index() == nil || ita.Index().ID() != pkIndexID {
		return false
	}
	lookup, err := ita.GetLookup(ctx, nil)
	if err != nil {
		return false
	}
	ranges, ok := lookup.Ranges.(sql.MySQLRangeCollection)
	if !ok || len(ranges) != 1 || len(ranges[0]) != len(ita.Index().Expressions()) {
		return false
	}
	for _, r := range ranges[0] {
		if !isPointRange(ctx, r) {
			return false
		}
	}
	return true
}

// hashableKeys reports whether an equality of a and b holds exactly when
// the hash lookup finds b's row by a's value: two columns of one type
// whose values are equal only when their Go values are (integers,
// booleans, texts other than CHAR(n), bytes, UUIDs). The lookup converts
// the value it probes with to its key's type, which for another type
// fails where the comparison does not (a timestamp plus an interval out
// of the column's range), or cuts it (a BIGINT to an INT); floats hold
// NaN, which equals NaN but is no map key's match; a timestamp's Go value
// holds its location; CHAR(n) compares without trailing spaces.
func hashableKeys(a, b sql.Expression) bool {
	ga, ok := a.(*expression.GetField)
	if !ok {
		return false
	}
	gb, ok := b.(*expression.GetField)
	if !ok || !types.TypesEqual(ga.Type(), gb.Type()) || ga.Type().Type() == sqltypes.Char {
		return false
	}
	switch familyOf(ga) {
	case famInt, famBool, famText, famBytes, famUUID:
		return true
	}
	return false
}

// readsOnly reports whether every expression of n reads columns of the
// table named name only, and no subquery: n's rows are the same for every
// outer row.
func readsOnly(n sql.Node, name string) bool {
	ok := true
	transform.InspectExpressions(n, func(e sql.Expression) bool {
		switch x := e.(type) {
		case *expression.GetField:
			if !strings.EqualFold(x.Table(), name) {
				ok = false
			}
		case *plan.Subquery:
			ok = false
		}
		return ok
	})
	return ok
}
