package pgsql

import (
	"slices"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// UpdatedTable names the table an UPDATE statement writes, lower-cased
// as KalamDB stores names (ns is "" when unqualified); ok is false when
// text is not one UPDATE.
func UpdatedTable(text string) (ns, table string, ok bool) {
	tree, err := pg.Parse(text)
	if err != nil || len(tree.Stmts) != 1 {
		return "", "", false
	}
	u := tree.Stmts[0].Stmt.GetUpdateStmt()
	if u == nil || u.Relation == nil {
		return "", "", false
	}
	return strings.ToLower(u.Relation.Schemaname), strings.ToLower(u.Relation.Relname), true
}

// UpdateAsSelect rewrites an UPDATE of a table that its caller applies
// itself (a system table, written through its own statements) into the
// SELECT that computes it: the key columns, then one column per assigned
// value, over the rows the UPDATE's WHERE picks. It also returns the
// assigned columns, in order. Parameters keep their numbers. The value of
// a column of textColumns is cast to text: PostgreSQL writes a value of
// any type into a text column as its text (SET email = 5 stores '5'), and
// so does KalamDB into a table's TEXT column.
func UpdateAsSelect(text string, keys, textColumns []string) (selectSQL string, assigned []string, err error) {
	tree, err := pg.Parse(text)
	if err != nil || len(tree.Stmts) != 1 || tree.Stmts[0].Stmt.GetUpdateStmt() == nil {
		return "", nil, apierror.New(apierror.InvalidSQL, "expected one UPDATE statement")
	}
	u := tree.Stmts[0].Stmt.GetUpdateStmt()
	if len(u.FromClause) > 0 || len(u.ReturningList) > 0 || u.WithClause != nil {
		return "", nil, apierror.New(apierror.Unsupported, "UPDATE of this table takes SET and WHERE only")
	}
	sel := &pg.SelectStmt{FromClause: []*pg.Node{pg.MakeSimpleRangeVarNode(u.Relation.Relname, -1)}, WhereClause: u.WhereClause,
		LimitOption: pg.LimitOption_LIMIT_OPTION_DEFAULT, Op: pg.SetOperation_SETOP_NONE}
	sel.FromClause[0].GetRangeVar().Schemaname = u.Relation.Schemaname
	sel.FromClause[0].GetRangeVar().Alias = u.Relation.Alias
	for _, k := range keys {
		sel.TargetList = append(sel.TargetList, pg.MakeResTargetNodeWithVal(pg.MakeColumnRefNode([]*pg.Node{pg.MakeStrNode(k)}, -1), -1))
	}
	for _, n := range u.TargetList {
		rt := n.GetResTarget()
		if rt == nil || len(rt.Indirection) > 0 || rt.Val.GetMultiAssignRef() != nil {
			return "", nil, apierror.New(apierror.Unsupported, "UPDATE of this table takes SET column = value only")
		}
		col := strings.ToLower(rt.Name)
		assigned = append(assigned, col)
		val := rt.Val
		if slices.Contains(textColumns, col) {
			val = &pg.Node{Node: &pg.Node_TypeCast{TypeCast: &pg.TypeCast{Arg: val, Location: -1,
				TypeName: &pg.TypeName{Names: []*pg.Node{pg.MakeStrNode("text")}, Location: -1}}}}
		}
		sel.TargetList = append(sel.TargetList, pg.MakeResTargetNodeWithVal(val, -1))
	}
	tree.Stmts[0].Stmt = &pg.Node{Node: &pg.Node_SelectStmt{SelectStmt: sel}}
	out, err := pg.Deparse(tree)
	if err != nil {
		return "", nil, apierror.Wrap(apierror.InvalidSQL, err, "the UPDATE could not be rewritten")
	}
	return out, assigned, nil
}
