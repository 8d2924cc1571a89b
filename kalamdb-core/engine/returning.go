package engine

import (
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// RETURNING (PostgreSQL's INSERT/UPDATE/DELETE ... RETURNING list) answers
// a write with the rows it wrote, evaluated by the engine's own RETURNING
// support for INSERT and UPDATE over the row each write hands the table's
// editor. What KalamDB adds:
//
//   - the row is the version written: the editor fills in its _seq (the
//     version a live-query client resumes from) and _deleted
//     (Session.returning), which the engine's row does not have yet;
//   - * and t.* are the table's columns as SELECT * lists them, system
//     columns included (the engine leaves a star unexpanded there);
//   - DELETE, which the engine cannot answer with rows, runs as an UPDATE
//     of the same rows whose editor writes the delete instead
//     (Session.deleting): its RETURNING sees the deleted row's values,
//     with the _seq of the delete's version and _deleted true.
//
// Permissions: RETURNING reads only the row the statement writes, in the
// partition the statement writes (the caller's, or EXECUTE AS target's);
// a role may write a table only where it may read it (authz.WriteTable
// implies authz.ReadTable for every table type and access level, which
// authz's TestWriteImpliesRead keeps true), so it returns nothing the
// caller could not SELECT.
// Subqueries are refused by the translator, so no other table is read.

// withReturning prepares a statement with a RETURNING list to run: its
// stars expanded and a DELETE turned into its UPDATE form. It reports
// which editor behaviour the statement needs (returning, deleting); a
// statement without RETURNING comes back unchanged.
func (e *Engine) withReturning(stmt sqlparser.Statement, namespace string) (out sqlparser.Statement, returning, deleting bool) {
	switch s := stmt.(type) {
	case *sqlparser.Insert:
		if len(s.Returning) == 0 {
			return stmt, false, false
		}
		cp := *s
		cp.Returning = e.expandStars(s.Returning, s.Table, namespace)
		return &cp, true, false
	case *sqlparser.Update:
		if len(s.Returning) == 0 {
			return stmt, false, false
		}
		cp := *s
		cp.Returning = e.expandStars(s.Returning, targetName(s.TableExprs), namespace)
		return &cp, true, false
	case *sqlparser.Delete:
		if len(s.Returning) == 0 {
			return stmt, false, false
		}
		if _, ok := e.dataTable(targetName(s.TableExprs), namespace); !ok {
			// Not a KalamDB table (a system table, read-only, or none):
			// the DELETE fails as it would without RETURNING.
			return stmt, false, false
		}
		// Assigning _seq NULL makes every row differ from its new version
		// (the engine writes only rows that change); the editor writes the
		// delete, and the version's real _seq, instead.
		upd := &sqlparser.Update{TableExprs: s.TableExprs, With: s.With, Where: s.Where, OrderBy: s.OrderBy, Limit: s.Limit,
			Exprs: sqlparser.AssignmentExprs{&sqlparser.AssignmentExpr{
				Name: &sqlparser.ColName{Name: sqlparser.NewColIdent(schema.SeqColumn)}, Expr: &sqlparser.NullVal{}}},
			Returning: e.expandStars(s.Returning, targetName(s.TableExprs), namespace)}
		return upd, true, true
	}
	return stmt, false, false
}

// targetName is the table an UPDATE or DELETE writes (the translator
// gives them one), or an empty name.
func targetName(te sqlparser.TableExprs) sqlparser.TableName {
	if len(te) == 1 {
		if at, ok := te[0].(*sqlparser.AliasedTableExpr); ok {
			if tn, ok := at.Expr.(sqlparser.TableName); ok {
				return tn
			}
		}
	}
	return sqlparser.TableName{}
}

// dataTable is the KalamDB table tn names (in namespace when it names
// none), if there is one.
func (e *Engine) dataTable(tn sqlparser.TableName, namespace string) (*catalog.Table, bool) {
	ns := strings.ToLower(tn.DbQualifier.String())
	if ns == "" {
		ns = namespace
	}
	return e.cat.Snapshot().Table(ns, strings.ToLower(tn.Name.String()))
}

// expandStars replaces * and q.* in a RETURNING list with the columns of
// the table tn names, in SELECT *'s order (declared columns, then _seq
// and, but for STREAM tables, _deleted), each named as the column. A
// qualified star keeps its qualifier, so the engine checks it names the
// target. A table that does not exist leaves the list as it is: the
// engine reports the table.
func (e *Engine) expandStars(list sqlparser.SelectExprs, tn sqlparser.TableName, namespace string) sqlparser.SelectExprs {
	star := false
	for _, se := range list {
		if _, ok := se.(*sqlparser.StarExpr); ok {
			star = true
			break
		}
	}
	if !star {
		return list
	}
	t, ok := e.dataTable(tn, namespace)
	if !ok {
		return list
	}
	cols := make([]string, 0, len(t.Schema.Columns)+2)
	for _, c := range t.Schema.Columns {
		cols = append(cols, c.Name)
	}
	cols = append(cols, schema.SeqColumn)
	if t.Meta.TableType != dialect.TableTypeStream {
		cols = append(cols, schema.DeletedColumn)
	}
	out := make(sqlparser.SelectExprs, 0, len(list)+len(cols))
	for _, se := range list {
		st, ok := se.(*sqlparser.StarExpr)
		if !ok {
			out = append(out, se)
			continue
		}
		for _, c := range cols {
			out = append(out, &sqlparser.AliasedExpr{Expr: &sqlparser.ColName{Name: sqlparser.NewColIdent(c), Qualifier: st.TableName},
				As: sqlparser.NewColIdent(c)})
		}
	}
	return out
}

// returningIndexes points the columns of an INSERT's RETURNING list at the
// row the insert writes (the destination table's schema). The engine
// analyzes an INSERT of literal VALUES with a short list of rules that
// skips assigning execution indexes, which left RETURNING's columns at the
// planner's column ids: RETURNING body read the column after body. Other
// INSERTs get the same indexes from the analyzer; this sets them again.
func returningIndexes(ii *plan.InsertInto) (*plan.InsertInto, error) {
	dest := ii.Destination.Schema()
	out := make([]sql.Expression, len(ii.Returning))
	for i, r := range ii.Returning {
		e, _, err := transform.Expr(r, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
			gf, ok := e.(*expression.GetField)
			if !ok {
				return e, transform.SameTree, nil
			}
			at := dest.IndexOfColName(gf.Name())
			if at < 0 {
				return nil, transform.SameTree, apierror.New(apierror.InternalError, "RETURNING column %s is not a column of the table", gf.Name())
			}
			return gf.WithIndex(at), transform.NewTree, nil
		})
		if err != nil {
			return nil, err
		}
		out[i] = e
	}
	cp := *ii
	cp.Returning = out
	return &cp, nil
}

// errReturningJoin refuses RETURNING on an UPDATE or DELETE the engine
// runs as a join (it makes one of WHERE x IN (subquery)): its join
// update has no RETURNING (it failed with a nil pointer). EXISTS is
// planned without the join.
var errReturningJoin = apierror.New(apierror.Unsupported,
	"RETURNING is not supported on an UPDATE or DELETE whose WHERE has IN (subquery); write EXISTS (SELECT ... WHERE ...) instead")

// updatesThroughJoin reports whether u runs as a join update.
func updatesThroughJoin(u *plan.Update) bool {
	found := false
	transform.Inspect(u.Child, func(n sql.Node) bool {
		if _, ok := n.(*plan.UpdateJoin); ok {
			found = true
		}
		return !found
	})
	return found
}

// returningJoinError reports the engine's refusal of a join update of a
// table without a primary key.
func returningJoinError(err error) bool {
	return sql.ErrUnsupportedFeature.Is(err) && strings.Contains(err.Error(), "UPDATE JOIN")
}
