package pgsql

import (
	"github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"
)

// insertStmt translates INSERT INTO t [(cols)] VALUES ... | query |
// DEFAULT VALUES.
func (t *translator) insertStmt(s *pg.InsertStmt) (*sqlparser.Insert, error) {
	if s.WithClause != nil {
		if err := t.pushWith(s.WithClause); err != nil {
			return nil, err
		}
		defer t.popWith()
	}
	if s.OnConflictClause != nil {
		return nil, t.unsupported(s.OnConflictClause.Location, "INSERT ... ON CONFLICT is not supported")
	}
	if s.Override != pg.OverridingKind_OVERRIDING_NOT_SET && s.Override != pg.OverridingKind_OVERRIDING_KIND_UNDEFINED {
		return nil, t.unsupported(-1, "INSERT ... OVERRIDING is not supported")
	}
	tn, err := t.tableName(s.Relation)
	if err != nil {
		return nil, err
	}
	if s.Relation.Alias != nil {
		return nil, t.unsupported(s.Relation.Location, "an alias on the INSERT target is not supported")
	}
	ins := &sqlparser.Insert{Action: sqlparser.InsertStr, Table: tn}
	for _, c := range s.Cols {
		rt := c.GetResTarget()
		if rt == nil {
			return nil, t.errorAt(location(c), "expected a column name")
		}
		if len(rt.Indirection) > 0 {
			return nil, t.unsupported(rt.Location, "assigning to a part of a column is not supported")
		}
		if err := t.checkIdent(rt.Name, rt.Location); err != nil {
			return nil, err
		}
		ins.Columns = append(ins.Columns, sqlparser.NewColIdent(rt.Name))
	}
	switch {
	case s.SelectStmt == nil:
		// DEFAULT VALUES: one row of defaults.
		if len(ins.Columns) > 0 {
			return nil, t.errorAt(s.Relation.Location, "DEFAULT VALUES takes no column list")
		}
		ins.Rows = &sqlparser.AliasedValues{Values: sqlparser.Values{sqlparser.ValTuple{}}}
	default:
		q := s.SelectStmt.GetSelectStmt()
		if q == nil {
			return nil, t.errorAt(location(s.SelectStmt), "unexpected %s in INSERT", nodeName(s.SelectStmt))
		}
		if len(q.ValuesLists) > 0 && len(q.SortClause) == 0 && q.LimitCount == nil && q.LimitOffset == nil && q.WithClause == nil {
			rows, err := t.insertValues(q.ValuesLists)
			if err != nil {
				return nil, err
			}
			ins.Rows = &sqlparser.AliasedValues{Values: rows}
		} else {
			sel, err := t.selectStmt(q)
			if err != nil {
				return nil, err
			}
			ins.Rows = sel
		}
	}
	if s.WithClause != nil {
		if ins.With, err = t.with(s.WithClause); err != nil {
			return nil, err
		}
	}
	if ins.Returning, err = t.returning(s.ReturningList); err != nil {
		return nil, err
	}
	return ins, nil
}

// insertValues translates the rows of INSERT ... VALUES, where DEFAULT may
// stand for a value.
func (t *translator) insertValues(rows []*pg.Node) (sqlparser.Values, error) {
	lists, err := t.valuesLists(rows)
	if err != nil {
		return nil, err
	}
	out := make(sqlparser.Values, 0, len(rows))
	for _, items := range lists {
		tuple := make(sqlparser.ValTuple, 0, len(items))
		for _, it := range items {
			if it.GetSetToDefault() != nil {
				tuple = append(tuple, &sqlparser.Default{})
				continue
			}
			e, err := t.expr(it)
			if err != nil {
				return nil, err
			}
			tuple = append(tuple, e)
		}
		out = append(out, tuple)
	}
	return out, nil
}

// updateStmt translates UPDATE t [AS a] SET c = v, ... [WHERE ...].
func (t *translator) updateStmt(s *pg.UpdateStmt) (*sqlparser.Update, error) {
	if s.WithClause != nil {
		if err := t.pushWith(s.WithClause); err != nil {
			return nil, err
		}
		defer t.popWith()
	}
	t.inWrite = true
	defer func() { t.inWrite = false }()
	if len(s.FromClause) > 0 {
		return nil, t.unsupported(location(s.FromClause[0]), "UPDATE ... FROM is not supported; use a subquery in SET or WHERE")
	}
	target, err := t.rangeVar(s.Relation, true)
	if err != nil {
		return nil, err
	}
	upd := &sqlparser.Update{TableExprs: sqlparser.TableExprs{target}}
	for i := 0; i < len(s.TargetList); i++ {
		rt := s.TargetList[i].GetResTarget()
		if rt == nil {
			return nil, t.errorAt(location(s.TargetList[i]), "unexpected %s in SET", nodeName(s.TargetList[i]))
		}
		if len(rt.Indirection) > 0 {
			return nil, t.unsupported(rt.Location, "assigning to a part of a column is not supported")
		}
		if err := t.checkIdent(rt.Name, rt.Location); err != nil {
			return nil, err
		}
		var (
			val *pg.Node
		)
		if m := rt.Val.GetMultiAssignRef(); m != nil {
			// SET (a, b) = (x, y): PostgreSQL gives one target per column,
			// each pointing at the whole source row.
			row := m.Source.GetRowExpr()
			if row == nil || int(m.Colno) < 1 || int(m.Colno) > len(row.Args) || int(m.Ncolumns) != len(row.Args) {
				return nil, t.unsupported(rt.Location, "SET (columns) = (subquery) is not supported; assign each column")
			}
			val = row.Args[m.Colno-1]
		} else {
			val = rt.Val
		}
		var e sqlparser.Expr
		if val.GetSetToDefault() != nil {
			e = &sqlparser.Default{}
		} else if err = t.refuseAggregates("UPDATE", func() (err error) {
			e, err = t.expr(val)
			return err
		}); err != nil {
			return nil, err
		}
		upd.Exprs = append(upd.Exprs, &sqlparser.AssignmentExpr{Name: &sqlparser.ColName{Name: sqlparser.NewColIdent(rt.Name)}, Expr: e})
	}
	if upd.Where, err = t.where(sqlparser.WhereStr, s.WhereClause); err != nil {
		return nil, err
	}
	if s.WithClause != nil {
		if upd.With, err = t.with(s.WithClause); err != nil {
			return nil, err
		}
	}
	if upd.Returning, err = t.returning(s.ReturningList); err != nil {
		return nil, err
	}
	return upd, nil
}

// deleteStmt translates DELETE FROM t [AS a] [WHERE ...].
func (t *translator) deleteStmt(s *pg.DeleteStmt) (*sqlparser.Delete, error) {
	if s.WithClause != nil {
		if err := t.pushWith(s.WithClause); err != nil {
			return nil, err
		}
		defer t.popWith()
	}
	t.inWrite = true
	defer func() { t.inWrite = false }()
	if len(s.UsingClause) > 0 {
		return nil, t.unsupported(location(s.UsingClause[0]), "DELETE ... USING is not supported; use a subquery in WHERE")
	}
	target, err := t.rangeVar(s.Relation, true)
	if err != nil {
		return nil, err
	}
	del := &sqlparser.Delete{TableExprs: sqlparser.TableExprs{target}}
	if del.Where, err = t.where(sqlparser.WhereStr, s.WhereClause); err != nil {
		return nil, err
	}
	if s.WithClause != nil {
		if del.With, err = t.with(s.WithClause); err != nil {
			return nil, err
		}
	}
	if del.Returning, err = t.returning(s.ReturningList); err != nil {
		return nil, err
	}
	return del, nil
}

// returning translates the RETURNING list of an INSERT, UPDATE or DELETE
// (nil without one): a select list over the written row, where aggregates
// and window functions are refused as PostgreSQL refuses them. A * stays a
// star; the engine expands it to the target table's columns.
func (t *translator) returning(list []*pg.Node) (sqlparser.SelectExprs, error) {
	if len(list) == 0 {
		return nil, nil
	}
	var out sqlparser.SelectExprs
	err := t.refuseAggregates(ReturningClause, func() (err error) {
		out, err = t.selectList(list)
		return err
	})
	return out, err
}

// ReturningClause names RETURNING in the errors of what it may not hold.
const ReturningClause = "RETURNING"
