package engine

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
)

// How a join of two tables reads them. The engine orders a join's
// tables and picks its operators by estimated costs that, without
// statistics, take every table for 100 rows and a table its WHERE reads
// through an index for one: so for
//
//	SELECT ... FROM conversations c JOIN messages m ON m.conversation_id = c.id
//	WHERE c.id IN ($1, $2)
//
// it read the whole partition of messages and, for each of its rows, the
// two conversations again (a nested loop), where reading the two
// conversations and looking up each one's messages through an index on
// (conversation_id, ...) reads the messages of two conversations; and a
// self-join on parent_id read the partition and, for each row, the other
// side's index range again. preferJoinLookup decides before the engine
// does, from the statement's shape alone (never a parameter's value), as
// preferMostBound does for one table: of a join of two tables (inner, or
// a LEFT JOIN whose left side it is), when one side's own WHERE binds one
// of its indexes (boundRank; the primary key bound to points beats any)
// and the other's binds none, the bound side is read first, through the index its WHERE binds the most
// (mostBoundIndexes, as for a table that is not joined), and the other
// side is looked up through one of its indexes for each of those rows
// (a lookup join), when the join's equalities (with the other side's
// constant equalities) bind a leading column of one. It tells the engine
// through its own join hints (JOIN_ORDER and LOOKUP_JOIN), which it
// follows when it can build such a plan and otherwise ignores, choosing
// as before. It leaves the choice to the engine when both sides' WHERE
// bind an index (a narrow range on one could read far less than points
// on the other; without statistics the shape cannot tell), when the side to look up has no index the join binds, and for
// joins of more tables. When the engine's choice for two tables is then
// a nested loop, which would read its inner side's bound range again for
// every outer row, hashReadOnce (joinhash.go) makes it a hash join that
// reads each side once, never more than the nested loop. The lookups go through the indexes GetIndexes
// offers, which are those usable at the statement's snapshot
// (secondaryIndexes), and find the rows the join's equalities match: the
// engine drops the equalities a lookup's key stands for, so a key of NULL
// looks up nothing (NULL equals nothing, though the index holds NULLs)
// and one the column's type cannot hold exactly neither (indextypes.go).

// joinLookupRuleID identifies preferJoinLookup in the engine's traces.
const joinLookupRuleID analyzer.RuleId = 10_008

// pkPointsRank ranks a side whose WHERE binds its primary key to points
// above any index binding: it reads at most as many rows as values.
const pkPointsRank = 1 << 20

// hintName is a table name or alias the engine's hint parser reads back
// whole (it splits arguments at commas, spaces and parentheses, and
// compares names without case).
var hintName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]*$`)

// joinSide is one table of a join of two, with its own WHERE.
type joinSide struct {
	node  sql.Node // the join's child: the table, under its alias and filter if any
	f     *plan.Filter
	rt    *plan.ResolvedTable
	dt    *dataTable
	name  string // the alias, or the table's name
	conds []sql.Expression
}

// preferJoinLookup hints a join of two tables to read the side its WHERE
// binds first and look the other up through an index, as described
// above.
func preferJoinLookup(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	// The engine reads the hints of a join tree's top join only; a join
	// under another one is part of a larger join, left to the engine.
	nested := map[*plan.JoinNode]bool{}
	transform.Inspect(n, func(n sql.Node) bool {
		if j, ok := n.(*plan.JoinNode); ok {
			for _, c := range j.Children() {
				transform.Inspect(c, func(c sql.Node) bool {
					if cj, ok := c.(*plan.JoinNode); ok {
						nested[cj] = true
					}
					return true
				})
			}
		}
		return true
	})
	return transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		j, ok := n.(*plan.JoinNode)
		if !ok || nested[j] {
			return n, transform.SameTree, nil
		}
		out, err := hintJoinLookup(j)
		if err != nil || out == nil {
			return n, transform.SameTree, err
		}
		return out, transform.NewTree, nil
	})
}

// hintJoinLookup is j with its hints, and its first side offered the
// indexes its WHERE binds the most, or nil to leave j to the engine.
func hintJoinLookup(j *plan.JoinNode) (sql.Node, error) {
	if j.Comment() != "" || j.Filter == nil || (j.Op != plan.JoinTypeInner && j.Op != plan.JoinTypeLeftOuter) {
		return nil, nil
	}
	l, r := joinSideOf(j.Left()), joinSideOf(j.Right())
	if l == nil || r == nil || strings.EqualFold(l.name, r.name) {
		return nil, nil
	}
	on := expression.SplitConjunction(j.Filter)
	lr, rr := l.rank(), r.rank()
	var first, looked *joinSide
	// Only a side its own WHERE binds nothing is looked up: one bound by
	// its WHERE too reads little by itself, and the engine's plan
	// (reading it through that binding and hashing, or looking the other
	// up) may read far less than a lookup of all its rows that match the
	// first side's (ten conversations' messages looked up through
	// conversation_id, where the WHERE on created_at reads ten).
	switch {
	case lr > 0 && rr == 0 && r.lookupBound(l, on):
		first, looked = l, r
	case rr > 0 && lr == 0 && j.Op == plan.JoinTypeInner && l.lookupBound(r, on):
		first, looked = r, l
	default:
		return nil, nil
	}
	children := []sql.Node{j.Left(), j.Right()}
	if first.f != nil {
		// The side's name alone tells its columns from the other side's
		// in a self-join.
		node, err := offerMostBound(first.f, first.rt, first.dt, first.conds, first.name, first.name)
		if err != nil {
			return nil, err
		}
		if node != nil && first == l {
			children[0] = node
		} else if node != nil {
			children[1] = node
		}
	}
	out, err := j.WithChildren(children...)
	if err != nil {
		return nil, fmt.Errorf("join of %s and %s: %w", first.name, looked.name, err)
	}
	hint := fmt.Sprintf("/*+ JOIN_ORDER(%s, %s) LOOKUP_JOIN(%s, %s) */", first.name, looked.name, first.name, looked.name)
	return out.(*plan.JoinNode).WithComment(hint), nil
}

// joinSideOf is a join's child that is one data table (filtered, aliased
// or not), or nil.
func joinSideOf(n sql.Node) *joinSide {
	s := &joinSide{node: n}
	if f, rt, dt, alias := filteredTable(n); dt != nil {
		s.f, s.rt, s.dt, s.name = f, rt, dt, alias
		s.conds = expression.SplitConjunction(f.Expression)
	} else {
		child := n
		if ta, ok := n.(*plan.TableAlias); ok {
			s.name, child = ta.Name(), ta.Child
		}
		rt, ok := child.(*plan.ResolvedTable)
		if !ok {
			return nil
		}
		if s.dt, ok = rt.Table.(*dataTable); !ok {
			return nil
		}
		s.rt = rt
	}
	if s.name == "" {
		s.name = s.rt.Name()
	}
	if s.dt.only != nil || s.dt.offer != nil || s.dt.sess.noIndexes || !hintName.MatchString(s.name) {
		return nil
	}
	return s
}

// rank is how much of one of the side's indexes its own WHERE binds
// (boundRank), pkPointsRank when it binds the primary key to points.
func (s *joinSide) rank() int {
	if len(s.conds) == 0 {
		return 0
	}
	where := expression.JoinAnd(s.conds...)
	binds, nulls := columnBindings(where, s.name, s.name), nullOnlyColumns(where, s.name, s.name)
	best := 0
	if pk := s.dt.shape.PK; pk >= 0 && s.dt.shape.index != nil {
		name := s.dt.shape.sch[pk].Name
		if points, ok := binds[strings.ToLower(name)]; ok && points {
			return pkPointsRank
		}
		best = boundRank([]string{name}, binds, nulls)
	}
	for _, si := range s.dt.secondaryIndexes() {
		best = max(best, boundRank(si.names, binds, nulls))
	}
	return best
}

// lookupBound reports whether the join's equalities on (with other's
// columns alone on their other side) and the side's own constant
// equalities bind the leading columns of one of its indexes, at least
// one of them by the join: what the engine needs to look the side up for
// each row of other.
func (s *joinSide) lookupBound(other *joinSide, on []sql.Expression) bool {
	keys := map[string]bool{}
	for _, c := range on {
		eq, ok := c.(*expression.Equals)
		if !ok {
			continue
		}
		for _, pair := range [2][2]sql.Expression{{eq.Left(), eq.Right()}, {eq.Right(), eq.Left()}} {
			gf, ok := pair[0].(*expression.GetField)
			if ok && strings.EqualFold(gf.Table(), s.name) && onlyColumnsOf(pair[1], other.name) {
				keys[strings.ToLower(gf.Name())] = true
			}
		}
	}
	if len(keys) == 0 {
		return false
	}
	consts := equalColumns(s.conds, s.name, s.name)
	binds := func(names []string) bool {
		for _, name := range names {
			name = strings.ToLower(name)
			if keys[name] {
				return true
			}
			if !consts[name] {
				return false
			}
		}
		return false
	}
	if pk := s.dt.shape.PK; pk >= 0 && s.dt.shape.index != nil && binds([]string{s.dt.shape.sch[pk].Name}) {
		return true
	}
	for _, si := range s.dt.secondaryIndexes() {
		if binds(si.names) {
			return true
		}
	}
	return false
}

// onlyColumnsOf reports whether e reads columns of the table named name
// and nothing else that varies by row (no subquery).
func onlyColumnsOf(e sql.Expression, name string) bool {
	ok, fields := true, 0
	transform.InspectExpr(e, func(e sql.Expression) bool {
		switch x := e.(type) {
		case *expression.GetField:
			fields++
			if !strings.EqualFold(x.Table(), name) {
				ok = false
			}
		case *plan.Subquery:
			ok = false
		}
		return !ok
	})
	return ok && fields > 0
}
