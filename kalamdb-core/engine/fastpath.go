package engine

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/pgsql"
)

// The fast path runs the two statements apps send most, a primary-key
// SELECT and an INSERT ... VALUES of constants, without the engine's
// planner, which costs more than the storage work itself (docs/performance.md).
//
// It only takes a statement when the answer is certain to be the one the
// engine would give: any construct it does not fully understand, and any
// value that does not convert cleanly to its column's type, sends the
// statement down the normal path instead, which then produces the engine's
// own result or error. TestFastPathMatchesEngine runs the same statements
// both ways.

// errNoFastPath means "use the engine"; it is never returned to a caller.
var errNoFastPath = errors.New("not on the fast path")

// fastPath tries to run a statement directly. ok is false when the
// statement must go through the engine.
func (e *Engine) fastPath(sctx *sql.Context, sess *Session, stmt sqlparser.Statement, bindings map[string]sqlparser.Expr,
	maxRows int, maxBytes int64) (*QueryResult, bool, error) {
	if e.noFastPath {
		return nil, false, nil
	}
	var (
		res *QueryResult
		err error
	)
	switch s := stmt.(type) {
	case *sqlparser.Select:
		res, err = e.fastSelect(sctx, sess, s, bindings, maxRows, maxBytes)
	case *sqlparser.Insert:
		res, err = e.fastInsert(sctx, sess, s, bindings)
	default:
		return nil, false, nil
	}
	if errors.Is(err, errNoFastPath) {
		return nil, false, nil
	}
	return res, true, err
}

// fastTable resolves a plain table name to a data table the session may
// use, or errNoFastPath.
func (e *Engine) fastTable(sess *Session, tn sqlparser.TableName) (*catalog.Table, error) {
	ns := strings.ToLower(tn.DbQualifier.String())
	if ns == "" {
		ns = sess.GetCurrentDatabase()
	}
	if ns == "" || ns == catalog.SystemNamespace {
		return nil, errNoFastPath
	}
	t, ok := e.cat.Snapshot().Table(ns, strings.ToLower(tn.Name.String()))
	if !ok {
		return nil, errNoFastPath
	}
	return t, nil
}

// literal returns the Go value of a constant or bound parameter, and
// whether it is one the fast path takes (strings, integers, decimals
// written as text; NULL and TRUE/FALSE are left to the engine).
func literal(expr sqlparser.Expr, bindings map[string]sqlparser.Expr) (v *sqlparser.SQLVal, ok bool) {
	if iv, isInt := pgsql.UnwrapInt(expr); isInt {
		return iv, true
	}
	sv, isVal := expr.(*sqlparser.SQLVal)
	if !isVal {
		return nil, false
	}
	if sv.Type == sqlparser.ValArg {
		bound, found := bindings[strings.TrimPrefix(string(sv.Val), ":")]
		if !found {
			return nil, false
		}
		if iv, isInt := pgsql.UnwrapInt(bound); isInt {
			return iv, true
		}
		sv, isVal = bound.(*sqlparser.SQLVal)
		if !isVal {
			return nil, false
		}
	}
	switch sv.Type {
	case sqlparser.StrVal, sqlparser.IntVal, sqlparser.FloatVal:
		return sv, true
	}
	return nil, false
}

// convertLiteral converts a constant to a column's stored value when the
// constant's kind is a natural fit for the column type and converts
// without loss; otherwise errNoFastPath.
func convertLiteral(ctx *sql.Context, col *sql.Column, dt dialect.DataType, sv *sqlparser.SQLVal) (any, error) {
	var v any
	switch sv.Type {
	case sqlparser.IntVal:
		if !isNumeric(dt.Name) {
			return nil, errNoFastPath
		}
		n, err := strconv.ParseInt(string(sv.Val), 10, 64)
		if err != nil {
			return nil, errNoFastPath
		}
		if dt.Name == dialect.TypeFloat || dt.Name == dialect.TypeDouble || dt.Name == dialect.TypeDecimal {
			v = string(sv.Val)
		} else {
			v = n
		}
	case sqlparser.FloatVal:
		if dt.Name != dialect.TypeFloat && dt.Name != dialect.TypeDouble && dt.Name != dialect.TypeDecimal {
			return nil, errNoFastPath
		}
		v = string(sv.Val)
	case sqlparser.StrVal:
		if isNumeric(dt.Name) || dt.Name == dialect.TypeBoolean {
			return nil, errNoFastPath
		}
		v = string(sv.Val)
		if dt.Name != dialect.TypeText {
			// A string literal is read with PostgreSQL's input rules of
			// the column's type ('\x0102' is two bytes), as on the
			// engine's path.
			pv, err := castValue(ctx, string(sv.Val), famUnknown, dt, false)
			if err != nil {
				return nil, errNoFastPath
			}
			v = pv
		}
	default:
		return nil, errNoFastPath
	}
	conv, inRange, err := col.Type.Convert(ctx, v)
	if err != nil || inRange != sql.InRange || conv == nil {
		return nil, errNoFastPath
	}
	norm, err := row.Normalize(dt, conv)
	if err != nil {
		return nil, errNoFastPath
	}
	return norm, nil
}

func isNumeric(n dialect.TypeName) bool {
	switch n {
	case dialect.TypeSmallInt, dialect.TypeInt, dialect.TypeBigInt, dialect.TypeFloat, dialect.TypeDouble, dialect.TypeDecimal:
		return true
	}
	return false
}

// fastSelect runs SELECT cols FROM t WHERE pk = const, and the SELECTs a
// secondary index answers (fastIndexSelect).
func (e *Engine) fastSelect(sctx *sql.Context, sess *Session, s *sqlparser.Select, bindings map[string]sqlparser.Expr,
	maxRows int, maxBytes int64) (*QueryResult, error) {
	if s.With != nil || s.Into != nil || s.Lock != "" || len(s.GroupBy) > 0 || s.Having != nil || len(s.Window) > 0 ||
		s.QueryOpts != (sqlparser.QueryOpts{}) || len(s.From) != 1 || s.Where == nil {
		return nil, errNoFastPath
	}
	ate, ok := s.From[0].(*sqlparser.AliasedTableExpr)
	if !ok || ate.AsOf != nil || ate.Hints != nil || len(ate.Partitions) > 0 {
		return nil, errNoFastPath
	}
	tn, ok := ate.Expr.(sqlparser.TableName)
	if !ok {
		return nil, errNoFastPath
	}
	t, err := e.fastTable(sess, tn)
	if err != nil || t.Meta.TableType == dialect.TableTypeStream {
		return nil, errNoFastPath
	}
	// The table as the planner would open it for the session: checked
	// against the role, bound to the session's partition.
	tbl, err := e.provider.tables.open(sess, t)
	if err != nil {
		if ae, ok := apierror.As(err); ok && ae.Code == apierror.PermissionDenied {
			return nil, err
		}
		return nil, errNoFastPath
	}
	dt := tbl.(*dataTable)
	qualifier := strings.ToLower(tn.Name.String())
	if !ate.As.IsEmpty() {
		qualifier = strings.ToLower(ate.As.String())
	}
	ownsColumn := func(c *sqlparser.ColName) bool {
		q := c.Qualifier
		return q.IsEmpty() || (strings.ToLower(q.Name.String()) == qualifier &&
			(q.DbQualifier.IsEmpty() || strings.EqualFold(q.DbQualifier.String(), t.Meta.NamespaceID)))
	}
	if len(s.OrderBy) == 0 && s.Limit == nil && dt.shape.PK >= 0 {
		res, err := e.fastPKSelect(sctx, dt, s, qualifier, ownsColumn, bindings, maxRows, maxBytes)
		if !errors.Is(err, errNoFastPath) {
			return res, err
		}
	}
	return e.fastIndexSelect(sctx, dt, s, qualifier, ownsColumn, bindings, maxRows, maxBytes)
}

// fastPKSelect runs SELECT cols FROM t WHERE pk = const.
func (e *Engine) fastPKSelect(sctx *sql.Context, dt *dataTable, s *sqlparser.Select, qualifier string, ownsColumn func(*sqlparser.ColName) bool,
	bindings map[string]sqlparser.Expr, maxRows int, maxBytes int64) (*QueryResult, error) {
	shape := dt.shape
	// WHERE pk = constant, in either order.
	cmp, ok := s.Where.Expr.(*sqlparser.ComparisonExpr)
	if !ok || cmp.Operator != sqlparser.EqualStr || cmp.Escape != nil {
		return nil, errNoFastPath
	}
	colExpr, valExpr := cmp.Left, cmp.Right
	if _, isCol := colExpr.(*sqlparser.ColName); !isCol {
		colExpr, valExpr = valExpr, colExpr
	}
	cn, ok := colExpr.(*sqlparser.ColName)
	if !ok || !ownsColumn(cn) || cn.Name.Lowered() != shape.sch[shape.PK].Name {
		return nil, errNoFastPath
	}
	sv, ok := literal(valExpr, bindings)
	if !ok {
		return nil, errNoFastPath
	}
	pkVal, err := convertLiteral(sctx, shape.sch[shape.PK], shape.PKType, sv)
	if err != nil {
		return nil, err
	}
	cols, names, err := selectColumns(s, shape, qualifier, ownsColumn)
	if err != nil {
		return nil, err
	}
	dt = dt.withColumns(cols)
	key, err := row.AppendKey(append([]byte(nil), dt.prefix...), shape.PKType, pkVal)
	if err != nil {
		return nil, errNoFastPath
	}
	iter, err := dt.scan(sctx, &scanPartition{start: key, point: true})
	if err != nil {
		return nil, err
	}
	defer iter.Close(sctx)
	w := e.newResultWriter(sctx, resultSchema(shape, cols, names), maxRows, maxBytes)
	w.res.Rows = [][]any{}
	r, err := iter.Next(sctx)
	if err == nil {
		if err := w.add(r); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, io.EOF) {
		return nil, err
	}
	return w.res, nil
}

// selectColumns resolves a select list of *, or of plain columns of the
// table (ownsColumn), to the table's column indices and the names the
// result gives them; anything else is errNoFastPath.
func selectColumns(s *sqlparser.Select, shape *tableShape, qualifier string, ownsColumn func(*sqlparser.ColName) bool) ([]int, []string, error) {
	var cols []int
	var names []string
	for _, se := range s.SelectExprs {
		switch x := se.(type) {
		case *sqlparser.StarExpr:
			if !x.TableName.IsEmpty() && strings.ToLower(x.TableName.Name.String()) != qualifier {
				return nil, nil, errNoFastPath
			}
			for i, c := range shape.sch {
				cols, names = append(cols, i), append(names, c.Name)
			}
		case *sqlparser.AliasedExpr:
			c, ok := x.Expr.(*sqlparser.ColName)
			if !ok || !ownsColumn(c) {
				return nil, nil, errNoFastPath
			}
			i := shape.sch.IndexOfColName(c.Name.Lowered())
			if i < 0 {
				return nil, nil, errNoFastPath
			}
			name := c.Name.String()
			if !x.As.IsEmpty() {
				name = x.As.String()
			}
			cols, names = append(cols, i), append(names, name)
		default:
			return nil, nil, errNoFastPath
		}
	}
	// A column named twice would need the decoder to fill two slots from
	// one value; rare enough to leave to the engine.
	seen := make(map[int]bool, len(cols))
	for _, c := range cols {
		if seen[c] {
			return nil, nil, errNoFastPath
		}
		seen[c] = true
	}
	return cols, names, nil
}

// resultSchema describes a fast path result as the planner would: the
// table's columns, named as the select list names them.
func resultSchema(shape *tableShape, cols []int, names []string) sql.Schema {
	sch := make(sql.Schema, len(cols))
	for i, c := range cols {
		col := *shape.sch[c]
		col.Name = names[i]
		sch[i] = &col
	}
	return sch
}

// fastInsert runs INSERT INTO t (cols) VALUES (consts), ... .
func (e *Engine) fastInsert(sctx *sql.Context, sess *Session, s *sqlparser.Insert, bindings map[string]sqlparser.Expr) (*QueryResult, error) {
	if s.Action != "insert" || s.Ignore != "" || len(s.OnDup) > 0 || s.With != nil || len(s.Partitions) > 0 || len(s.Returning) > 0 {
		return nil, errNoFastPath
	}
	values, ok := s.Rows.(sqlparser.Values)
	if !ok {
		if av, isAV := s.Rows.(*sqlparser.AliasedValues); isAV && av.As.IsEmpty() && len(av.Columns) == 0 {
			values = av.Values
		} else {
			return nil, errNoFastPath
		}
	}
	t, err := e.fastTable(sess, s.Table)
	if err != nil {
		return nil, err
	}
	shape, err := e.provider.tables.shape(t)
	if err != nil {
		return nil, errNoFastPath
	}
	// Map the column list onto the table; the list was filled in by
	// checkStatement when the statement had none.
	pos := make([]int, len(s.Columns))
	given := make([]bool, shape.NUser)
	for i, c := range s.Columns {
		j := shape.sch.IndexOfColName(c.Lowered())
		if j < 0 || j >= shape.NUser || given[j] {
			return nil, errNoFastPath
		}
		pos[i], given[j] = j, true
	}
	// Every column left out must have a DEFAULT the fast path can compute.
	for j, c := range t.Schema.Columns {
		if !given[j] && (c.Default == nil && !c.Nullable) {
			return nil, errNoFastPath
		}
	}
	rows := make([]sql.Row, 0, len(values))
	for _, tuple := range values {
		if len(tuple) != len(pos) {
			return nil, errNoFastPath
		}
		r := make(sql.Row, len(shape.sch))
		for i, expr := range tuple {
			sv, ok := literal(expr, bindings)
			if !ok {
				return nil, errNoFastPath
			}
			v, err := convertLiteral(sctx, shape.sch[pos[i]], t.Schema.Columns[pos[i]].Type, sv)
			if err != nil {
				return nil, err
			}
			r[pos[i]] = v
		}
		rows = append(rows, r)
	}
	// Defaults are evaluated only once the whole statement is known to be
	// on the fast path, so generators are not advanced for nothing.
	now := time.Now().UTC().Truncate(time.Microsecond)
	for _, r := range rows {
		for j, c := range t.Schema.Columns {
			if given[j] || c.Default == nil {
				continue
			}
			v, err := e.defaultValue(sctx, shape.sch[j], c.Type, c.Default, now)
			if err != nil {
				return nil, err
			}
			r[j] = v
		}
	}
	tbl, err := e.provider.tables.open(sess, t)
	if err != nil {
		return nil, err
	}
	ed := &editor{t: tbl.(*dataTable)}
	for _, r := range rows {
		if err := ed.Insert(sctx, r); err != nil {
			return nil, err
		}
	}
	return &QueryResult{RowsAffected: int64(len(rows))}, nil
}

// defaultValue computes a column DEFAULT as the engine would.
func (e *Engine) defaultValue(ctx *sql.Context, col *sql.Column, dt dialect.DataType, d *dialect.DefaultExpr, now time.Time) (any, error) {
	if d.Kind == dialect.DefaultFunction {
		var v any
		switch d.Function {
		case "SNOWFLAKE_ID":
			v = e.seq.Next()
		case "UUID_V7":
			s, err := e.uuids.Next()
			if err != nil {
				return nil, err
			}
			v = s
		case "ULID":
			s, err := e.ulids.Next()
			if err != nil {
				return nil, err
			}
			v = s
		case "NOW":
			v = now
		default:
			return nil, errNoFastPath
		}
		conv, _, err := col.Type.Convert(ctx, v)
		if err != nil {
			return nil, errNoFastPath
		}
		return row.Normalize(dt, conv)
	}
	if d.Literal == nil {
		return nil, nil
	}
	conv, inRange, err := col.Type.Convert(ctx, d.Literal)
	if err != nil || inRange != sql.InRange {
		return nil, errNoFastPath
	}
	return row.Normalize(dt, conv)
}
