package pgsql

import "github.com/dolthub/vitess/go/vt/sqlparser"

// Walk is sqlparser.Walk over every part of a translated statement. The
// parser's own walk leaves parts out: of a set operation it enters the
// two queries only, not its WITH, ORDER BY and LIMIT; of a SELECT not its
// WINDOW clause; not the statement of EXPLAIN, nor the RETURNING list of
// INSERT, UPDATE and DELETE. A check that walked past them missed what
// they hold (WITH c AS (...) SELECT ... FROM c UNION ... found c named
// but not defined). Every node is visited once, so a walk costs the
// statement's size however deeply its WITHs nest. As with
// sqlparser.Walk, visit returning false skips the node's children and an
// error ends the walk.
func Walk(visit sqlparser.Visit, node sqlparser.SQLNode) error {
	var inner sqlparser.Visit
	inner = func(n sqlparser.SQLNode) (bool, error) {
		kontinue, err := visit(n)
		if err != nil || !kontinue {
			return kontinue, err
		}
		switch n := n.(type) {
		case *sqlparser.SetOp:
			// Walked here whole, in the order of the text, in place of
			// the parser's walk of its two queries.
			return false, sqlparser.Walk(inner, n.With, n.Left, n.Right, n.OrderBy, n.Limit)
		case *sqlparser.Explain:
			return false, sqlparser.Walk(inner, n.Statement)
		case *sqlparser.Select:
			return true, sqlparser.Walk(inner, n.Window)
		case *sqlparser.Insert:
			return true, sqlparser.Walk(inner, n.Returning)
		case *sqlparser.Update:
			return true, sqlparser.Walk(inner, n.Returning)
		case *sqlparser.Delete:
			return true, sqlparser.Walk(inner, n.Returning)
		}
		return true, nil
	}
	return sqlparser.Walk(inner, node)
}
