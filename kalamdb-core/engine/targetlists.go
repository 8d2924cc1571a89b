package engine

import (
	"strings"

	"github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/pgsql"
)

// MaxTargetListEntries bounds every select list and RETURNING list of a
// statement, a * counted as the columns it stands for: PostgreSQL's
// bound. The engine's binder works out a query's columns per column from
// the tables below, in one step the time limit cannot stop: SELECT * over
// a join of two 1600-column tables planned for 1.5 s, of three for 9 to
// 18 s.
const MaxTargetListEntries = 1664

// DefaultMaxStatementTargetEntries is the default of
// Limits.MaxStatementTargetEntries: four lists as long as a list may be.
// Each list the engine plans costs time growing with its entries times its
// tables' columns, in steps the time limit cannot stop, so lists that are
// each allowed add up: a UNION ALL of two 1664-entry lists over a
// 1600-column table planned for 12 to 16 s on a loaded machine, eight
// EXISTS of such lists for 1.4 s of CPU. At 6656 the worst shapes found
// plan in 0.3 to 0.65 s of CPU (four such lists as EXISTS or UNION ALL
// arms; 9 arms of 657 columns, 20 of 133, 100 of 5), besides the 0.85 s
// of the 200 set operations of one column that MaxSetOperations allows.
const DefaultMaxStatementTargetEntries = 4 * MaxTargetListEntries

// chainFreeArms is the length up to which a chain of set operations'
// entries count once. The engine plans a chain in time growing as the
// cube of its arms times their width, as its arms are planned again for
// every operation above them (200 arms of 16 columns: 11 s of CPU; 100
// of 66, 5.5 s; 40 of 166, 1.3 s), so past it the entries of a chain of
// n arms count n/chainFreeArms times: the 200 set operations allowed may
// select one column (0.9 s), 100 five, 50 twenty-one.
const chainFreeArms = 8

// boundTargetLists refuses a statement with a select list (at any level:
// subqueries, derived tables, WITH queries, set operations' arms, views as
// expanded) or RETURNING list of more than MaxTargetListEntries entries.
// Tables are resolved in snap, names without a namespace in namespace;
// with snap nil each is taken as wide as a table may be, so a statement
// that passes then passes whatever the catalog holds.
// Each query's width is worked out once: the walk is linear.
func boundTargetLists(stmt sqlparser.SQLNode, snap *catalog.Snapshot, namespace string) error {
	d := newDerivedCost(stmt, snap, namespace, MaxTargetListEntries, true)
	if targetListsOver(d, stmt) {
		return limitError("max_target_list_entries", "target lists can have at most %d entries", MaxTargetListEntries)
	}
	return nil
}

// boundStatementEntries refuses a statement whose lists have more than
// maxSum entries together (statementEntries), tables resolved as
// boundTargetLists resolves them. It is checked after the bounds on each
// list and on derived tables, which name what to change more closely.
func boundStatementEntries(stmt sqlparser.SQLNode, snap *catalog.Snapshot, namespace string, maxSum int64) error {
	d := newDerivedCost(stmt, snap, namespace, MaxTargetListEntries, true)
	if statementEntries(d, stmt, maxSum) > maxSum {
		return limitError("max_statement_target_entries", "the statement's target lists can have at most %d entries together "+
			"(a * counted as its columns, a WITH query's wherever it is read); select fewer columns or split the statement", maxSum)
	}
	return nil
}

// statementEntries is the number of entries of the lists of stmt,
// summed (at most maxSum+1): every select list and RETURNING list, a WITH
// query's counted wherever it is read (the engine plans it there) and
// once where it is defined when nothing reads it, and the arms of a chain
// of n > chainFreeArms set operations n/chainFreeArms times.
// Every list's width comes from d (targetListsOver has bounded each); each
// query's entries are worked out once, so the walk is linear.
func statementEntries(d *derivedCost, stmt sqlparser.SQLNode, maxSum int64) int64 {
	d.noteReads(stmt)
	s := &entrySum{d: d, max: maxSum, memo: map[sqlparser.SelectStatement]int64{}}
	return s.in(stmt, nil)
}

// entrySum works out statementEntries.
type entrySum struct {
	d    *derivedCost
	max  int64
	memo map[sqlparser.SelectStatement]int64
}

func (s *entrySum) add(a, b int64) int64 { return min(a+b, s.max+1) }

// in is the sum over the lists in n (n's own left out when it is self).
func (s *entrySum) in(n, self sqlparser.SQLNode) int64 {
	var total int64
	_ = pgsql.Walk(func(n sqlparser.SQLNode) (bool, error) {
		if exprs, from := returningList(n); len(exprs) > 0 {
			total = s.add(total, s.d.listWidth(exprs, from))
		}
		switch n := n.(type) {
		case sqlparser.SelectStatement:
			if n != self {
				total = s.add(total, s.query(n))
				return false, nil
			}
		case *sqlparser.With:
			if n != nil {
				for _, c := range n.Ctes {
					if sq, ok := c.AliasedTableExpr.Expr.(*sqlparser.Subquery); ok && !s.d.read[strings.ToLower(c.As.String())] {
						total = s.add(total, s.query(sq.Select))
					}
				}
			}
			return false, nil
		case *sqlparser.AliasedTableExpr:
			if tn, ok := n.Expr.(sqlparser.TableName); ok {
				if body, ok := s.d.cte(tn); ok {
					name := strings.ToLower(tn.Name.String())
					s.d.inProgress[name] = true
					total = s.add(total, s.query(body))
					delete(s.d.inProgress, name)
				}
			}
		}
		return total <= s.max, nil
	}, n)
	return total
}

// query is the sum over the lists of q and all it holds.
func (s *entrySum) query(q sqlparser.SelectStatement) int64 {
	if v, ok := s.memo[q]; ok {
		return v
	}
	var v int64
	switch q := q.(type) {
	case *sqlparser.SetOp:
		var arms []sqlparser.SelectStatement
		setOpArms(q, &arms)
		for _, a := range arms {
			v = s.add(v, s.query(a))
		}
		if n := int64(len(arms)); n > chainFreeArms {
			v = min((v*n+chainFreeArms-1)/chainFreeArms, s.max+1)
		}
		// The chain's own WITH, ORDER BY and LIMIT (the arms' are theirs).
		if q.With != nil {
			v = s.add(v, s.in(q.With, nil))
		}
		v = s.add(v, s.in(q.OrderBy, nil))
		if q.Limit != nil {
			v = s.add(v, s.in(q.Limit, nil))
		}
	case *sqlparser.Select:
		v = s.add(s.d.width(q), s.in(q, q))
	default:
		v = s.in(q, q)
	}
	s.memo[q] = v
	return v
}

// setOpArms appends the arms of the chain of set operations q heads:
// the queries below it that are not set operations themselves.
func setOpArms(q sqlparser.SelectStatement, arms *[]sqlparser.SelectStatement) {
	switch x := q.(type) {
	case *sqlparser.SetOp:
		setOpArms(x.Left, arms)
		setOpArms(x.Right, arms)
	case *sqlparser.ParenSelect:
		if _, ok := x.Select.(*sqlparser.SetOp); ok {
			setOpArms(x.Select, arms)
			return
		}
		*arms = append(*arms, q)
	default:
		*arms = append(*arms, q)
	}
}

// targetListsOver reports whether a list of stmt has more than d.limit
// entries.
func targetListsOver(d *derivedCost, stmt sqlparser.SQLNode) bool {
	over := false
	_ = pgsql.Walk(func(n sqlparser.SQLNode) (bool, error) {
		if q, ok := n.(sqlparser.SelectStatement); ok {
			over = over || d.width(q) > d.limit
		} else if exprs, from := returningList(n); len(exprs) > 0 {
			over = over || d.listWidth(exprs, from) > d.limit
		}
		return !over, nil
	}, stmt)
	return over
}

// returningList is the RETURNING list of an INSERT, UPDATE or DELETE n
// and the tables it reads, or nil.
func returningList(n sqlparser.SQLNode) (sqlparser.SelectExprs, sqlparser.TableExprs) {
	switch n := n.(type) {
	case *sqlparser.Insert:
		if len(n.Returning) > 0 {
			return n.Returning, sqlparser.TableExprs{&sqlparser.AliasedTableExpr{Expr: n.Table}}
		}
	case *sqlparser.Update:
		return n.Returning, n.TableExprs
	case *sqlparser.Delete:
		return n.Returning, n.TableExprs
	}
	return nil, nil
}

// hasStar reports whether a statement has a * in a select or RETURNING
// list: only then do its lists' widths depend on the catalog.
func hasStar(stmt sqlparser.SQLNode) bool {
	found := false
	_ = pgsql.Walk(func(n sqlparser.SQLNode) (bool, error) {
		_, star := n.(*sqlparser.StarExpr)
		found = found || star
		return !found, nil
	}, stmt)
	return found
}

// hiddenColumns is how many of _seq and _deleted a * over t shows
// (tableColumns).
func hiddenColumns(t *catalog.Table) int64 {
	if t.Meta.TableType == dialect.TableTypeStream {
		return 1
	}
	return 2
}
