package engine

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/pgsql"
)

// The fast path runs the two statements apps send most, a primary-key
// SELECT and an INSERT ... VALUES of constants, and the SELECTs a
// secondary index answers (indexfast.go), without the engine's planner,
// which costs more than the storage work itself (docs/performance.md).
//
// It only takes a statement when the answer is certain to be the one the
// engine would give: any construct it does not fully understand, and any
// value that does not convert cleanly to its column's type, sends the
// statement down the normal path instead, which then produces the engine's
// own result or error. TestFastPathMatchesEngine runs the same statements
// both ways.

// errNoFastPath means "use the engine"; it is never returned to a caller.
var errNoFastPath = errors.New("not on the fast path")

// A statement's fast path is compiled once per version of its table and
// kept in its plan cache entry (plancache.go): compiling decides, from
// the statement's shape and the table's schema alone, whether the fast
// path can take it and how (which columns, which value goes where).
// Running it does what depends on the caller and the values: the
// permission check and the partition binding (tableFactory.open), and
// the conversion of constants and parameters, any of which may still send
// the statement to the engine.

// fastPlan is a statement compiled for the fast path.
type fastPlan struct {
	// never: the statement's shape is never on the fast path, whatever
	// the table.
	never bool
	// ns and name are the table the statement names, and t the version of
	// it the plan was compiled against (nil: there was no such table). The
	// plan is valid while the catalog holds that same version.
	ns, name string
	t        *catalog.Table
	sel      *fastSelectPlan // nil with ins nil: not on the fast path
	ins      *fastInsertPlan
}

// current reports whether p still describes the table the statement
// names in the catalog snapshot snap.
func (p *fastPlan) current(snap *catalog.Snapshot) bool {
	if p.never {
		return true
	}
	t, _ := snap.Table(p.ns, p.name)
	return t == p.t
}

// fastPath tries to run a statement directly. ok is false when the
// statement must go through the engine.
func (e *Engine) fastPath(sctx *sql.Context, sess *Session, cs *cachedStatement, bindings map[string]sqlparser.Expr,
	maxRows int, maxBytes int64) (*QueryResult, bool, error) {
	if e.noFastPath {
		return nil, false, nil
	}
	p := cs.fast.Load()
	if p == nil || !p.current(e.cat.Snapshot()) {
		p = e.compileFast(sess, cs.st.AST)
		cs.fast.Store(p)
		if e.plans != nil {
			e.plans.compiles.Add(1)
		}
	}
	var (
		res *QueryResult
		err error
	)
	switch {
	case p.sel != nil:
		res, err = e.runFastSelect(sctx, sess, p, bindings, maxRows, maxBytes)
	case p.ins != nil:
		res, err = e.runFastInsert(sctx, sess, p, bindings)
	default:
		return nil, false, nil
	}
	if errors.Is(err, errNoFastPath) {
		return nil, false, nil
	}
	return res, true, err
}

// compileFast compiles a translated statement (as the cache holds it:
// an INSERT's column list not yet filled in) for the fast path.
func (e *Engine) compileFast(sess *Session, stmt sqlparser.Statement) *fastPlan {
	var tn sqlparser.TableName
	switch s := stmt.(type) {
	case *sqlparser.Select:
		ate, ok := fastSelectFrom(s)
		if !ok {
			return &fastPlan{never: true}
		}
		tn = ate.Expr.(sqlparser.TableName)
	case *sqlparser.Insert:
		if !fastInsertShape(s) {
			return &fastPlan{never: true}
		}
		tn = s.Table
	default:
		return &fastPlan{never: true}
	}
	p := &fastPlan{ns: strings.ToLower(tn.DbQualifier.String()), name: strings.ToLower(tn.Name.String())}
	if p.ns == "" {
		p.ns = sess.GetCurrentDatabase()
	}
	if p.ns == "" || p.ns == catalog.SystemNamespace {
		return &fastPlan{never: true}
	}
	p.t, _ = e.cat.Snapshot().Table(p.ns, p.name)
	if p.t == nil {
		return p
	}
	switch s := stmt.(type) {
	case *sqlparser.Select:
		p.sel = e.compileFastSelect(s, p.t)
	case *sqlparser.Insert:
		p.ins = e.compileFastInsert(s, p.t)
	}
	return p
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

// literalShape reports whether expr is a constant or parameter that
// literal may take (whether it does depends on the parameter's value).
func literalShape(expr sqlparser.Expr) bool {
	if _, isInt := pgsql.UnwrapInt(expr); isInt {
		return true
	}
	sv, ok := expr.(*sqlparser.SQLVal)
	if !ok {
		return false
	}
	switch sv.Type {
	case sqlparser.ValArg, sqlparser.StrVal, sqlparser.IntVal, sqlparser.FloatVal:
		return true
	}
	return false
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
	if dt.Name == dialect.TypeFloat && (sv.Type == sqlparser.IntVal || sv.Type == sqlparser.FloatVal) {
		// A number is compared with a REAL as a double: one a REAL does
		// not hold exactly (0.1, 16777217) equals no stored value, and
		// reading the key it rounds to would find one.
		f, err := strconv.ParseFloat(string(sv.Val), 64)
		if err != nil {
			return nil, errNoFastPath
		}
		if _, exact := floatConstant(col.Type, expression.NewLiteral(f, types.Float64)); !exact {
			return nil, errNoFastPath
		}
	}
	conv := v
	if _, ok := textAsIs(col.Type, v); !ok {
		var inRange sql.ConvertInRange
		var err error
		conv, inRange, err = col.Type.Convert(ctx, v)
		if err != nil || inRange != sql.InRange || conv == nil {
			return nil, errNoFastPath
		}
	}
	// A string for a text column skips the engine's conversion, which
	// would copy it twice to return it unchanged (textAsIs).
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

// fastSelectPlan is a SELECT FROM one table compiled: a primary-key
// lookup (SELECT cols FROM t WHERE pk = value), a secondary index read
// (indexfast.go), or both when either may answer it.
type fastSelectPlan struct {
	shape *tableShape
	// pkValue is the constant or parameter the primary key equals (nil:
	// not a primary-key lookup).
	pkValue sqlparser.Expr
	// idx reads a secondary index of the table version compiled against
	// (nil: none answers the statement). It is tried when the primary-key
	// lookup steps aside.
	idx *indexPlan
	// cols are the selected columns (indices into the table's schema),
	// layout the result's columns as the planner would describe them.
	cols   []int
	layout *resultLayout
}

// fastSelectFrom checks the shape of SELECT ... FROM t WHERE ..., and
// returns its table expression.
func fastSelectFrom(s *sqlparser.Select) (*sqlparser.AliasedTableExpr, bool) {
	if s.With != nil || s.Into != nil || s.Lock != "" || len(s.GroupBy) > 0 || s.Having != nil || len(s.Window) > 0 ||
		s.QueryOpts != (sqlparser.QueryOpts{}) || len(s.From) != 1 || s.Where == nil {
		return nil, false
	}
	ate, ok := s.From[0].(*sqlparser.AliasedTableExpr)
	if !ok || ate.AsOf != nil || ate.Hints != nil || len(ate.Partitions) > 0 {
		return nil, false
	}
	if _, ok := ate.Expr.(sqlparser.TableName); !ok {
		return nil, false
	}
	return ate, true
}

// compileFastSelect compiles a SELECT FROM one table against table version
// t (its columns, primary key and ready secondary indexes), or returns nil
// when the fast path cannot take it.
func (e *Engine) compileFastSelect(s *sqlparser.Select, t *catalog.Table) *fastSelectPlan {
	if t.Meta.TableType == dialect.TableTypeStream {
		return nil
	}
	shape, err := e.provider.tables.shape(t)
	if err != nil {
		return nil
	}
	ate, _ := fastSelectFrom(s)
	tn := ate.Expr.(sqlparser.TableName)
	qualifier := strings.ToLower(tn.Name.String())
	if !ate.As.IsEmpty() {
		qualifier = strings.ToLower(ate.As.String())
	}
	ownsColumn := func(c *sqlparser.ColName) bool {
		q := c.Qualifier
		return q.IsEmpty() || (strings.ToLower(q.Name.String()) == qualifier &&
			(q.DbQualifier.IsEmpty() || strings.EqualFold(q.DbQualifier.String(), t.Meta.NamespaceID)))
	}
	cols, names, err := selectColumns(s, shape, qualifier, ownsColumn)
	if err != nil {
		return nil
	}
	p := &fastSelectPlan{shape: shape, cols: cols}
	if len(s.OrderBy) == 0 && s.Limit == nil && shape.PK >= 0 {
		p.pkValue = pkEquality(s, shape, ownsColumn)
	}
	if s.Limit == nil || s.Limit.Offset == nil {
		p.idx, _ = planIndexSelect(shape.secondary, s, ownsColumn)
	}
	if p.pkValue == nil && p.idx == nil {
		return nil
	}
	p.layout = e.layoutOf(resultSchema(shape, cols, names))
	return p
}

// pkEquality returns the constant or parameter of WHERE pk = value (in
// either order), or nil.
func pkEquality(s *sqlparser.Select, shape *tableShape, ownsColumn func(*sqlparser.ColName) bool) sqlparser.Expr {
	cmp, ok := s.Where.Expr.(*sqlparser.ComparisonExpr)
	if !ok || cmp.Operator != sqlparser.EqualStr || cmp.Escape != nil {
		return nil
	}
	colExpr, valExpr := cmp.Left, cmp.Right
	if _, isCol := colExpr.(*sqlparser.ColName); !isCol {
		colExpr, valExpr = valExpr, colExpr
	}
	cn, ok := colExpr.(*sqlparser.ColName)
	if !ok || !ownsColumn(cn) || cn.Name.Lowered() != shape.sch[shape.PK].Name || !literalShape(valExpr) {
		return nil
	}
	return valExpr
}

// runFastSelect runs a compiled SELECT for the session: by primary key,
// else (when the key's value is not one the fast path takes) through the
// secondary index.
func (e *Engine) runFastSelect(sctx *sql.Context, sess *Session, p *fastPlan, bindings map[string]sqlparser.Expr,
	maxRows int, maxBytes int64) (*QueryResult, error) {
	// The table as the planner would open it for the session: checked
	// against the role, bound to the session's partition.
	tbl, err := e.provider.tables.open(sess, p.t)
	if err != nil {
		if ae, ok := apierror.As(err); ok && ae.Code == apierror.PermissionDenied {
			return nil, err
		}
		return nil, errNoFastPath
	}
	sp := p.sel
	dt := tbl.(*dataTable)
	if sp.pkValue != nil {
		res, err := e.fastPKSelect(sctx, dt, sp, bindings, maxRows, maxBytes)
		if !errors.Is(err, errNoFastPath) {
			return res, err
		}
	}
	if sp.idx != nil {
		return e.fastIndexSelect(sctx, dt, sp, bindings, maxRows, maxBytes)
	}
	return nil, errNoFastPath
}

// fastPKSelect runs SELECT cols FROM t WHERE pk = value.
func (e *Engine) fastPKSelect(sctx *sql.Context, dt *dataTable, sp *fastSelectPlan, bindings map[string]sqlparser.Expr,
	maxRows int, maxBytes int64) (*QueryResult, error) {
	shape := sp.shape
	sv, ok := literal(sp.pkValue, bindings)
	if !ok {
		return nil, errNoFastPath
	}
	pkVal, err := convertLiteral(sctx, shape.sch[shape.PK], shape.PKType, sv)
	if err != nil {
		return nil, err
	}
	dt = dt.withColumns(sp.cols)
	key, err := row.AppendKey(append([]byte(nil), dt.prefix...), shape.PKType, pkVal)
	if err != nil {
		return nil, errNoFastPath
	}
	iter, err := dt.scan(sctx, &scanPartition{start: key, point: true})
	if err != nil {
		return nil, err
	}
	defer iter.Close(sctx)
	w := newResultWriterFor(sctx, sp.layout, maxRows, maxBytes)
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

// fastInsertPlan is INSERT INTO t (cols) VALUES (values), ... compiled.
type fastInsertPlan struct {
	shape *tableShape
	// pos maps the column list onto the table's columns; given marks the
	// columns it names.
	pos   []int
	given []bool
	// rows are the constants and parameters of each row.
	rows sqlparser.Values
}

// fastInsertShape checks the shape of INSERT INTO t ... VALUES ... .
func fastInsertShape(s *sqlparser.Insert) bool {
	if s.Action != "insert" || s.Ignore != "" || len(s.OnDup) > 0 || s.With != nil || len(s.Partitions) > 0 || len(s.Returning) > 0 {
		return false
	}
	_, ok := insertValues(s)
	return ok
}

func insertValues(s *sqlparser.Insert) (sqlparser.Values, bool) {
	switch v := s.Rows.(type) {
	case sqlparser.Values:
		return v, true
	case *sqlparser.AliasedValues:
		if v.As.IsEmpty() && len(v.Columns) == 0 {
			return v.Values, true
		}
	}
	return nil, false
}

// compileFastInsert compiles INSERT ... VALUES against table version t,
// or returns nil when the fast path cannot take it.
func (e *Engine) compileFastInsert(s *sqlparser.Insert, t *catalog.Table) *fastInsertPlan {
	shape, err := e.provider.tables.shape(t)
	if err != nil {
		return nil
	}
	values, _ := insertValues(s)
	// Map the column list onto the table; without one, the statement
	// names the table's own columns (as checkStatement fills them in).
	names := make([]string, 0, len(t.Schema.Columns))
	if len(s.Columns) == 0 {
		for _, c := range t.Schema.Columns {
			names = append(names, c.Name)
		}
	} else {
		for _, c := range s.Columns {
			names = append(names, c.Lowered())
		}
	}
	pos := make([]int, len(names))
	given := make([]bool, shape.NUser)
	for i, c := range names {
		j := shape.sch.IndexOfColName(c)
		if j < 0 || j >= shape.NUser || given[j] {
			return nil
		}
		pos[i], given[j] = j, true
	}
	// Every column left out must have a DEFAULT the fast path can compute.
	for j, c := range t.Schema.Columns {
		if !given[j] && c.Default.IsNull() && !c.Nullable {
			return nil
		}
	}
	for _, tuple := range values {
		if len(tuple) != len(pos) {
			return nil
		}
		for _, expr := range tuple {
			if !literalShape(expr) {
				return nil
			}
		}
	}
	return &fastInsertPlan{shape: shape, pos: pos, given: given, rows: values}
}

// runFastInsert runs a compiled INSERT ... VALUES for the session.
func (e *Engine) runFastInsert(sctx *sql.Context, sess *Session, p *fastPlan, bindings map[string]sqlparser.Expr) (*QueryResult, error) {
	ip, t := p.ins, p.t
	shape := ip.shape
	rows := make([]sql.Row, 0, len(ip.rows))
	for _, tuple := range ip.rows {
		r := make(sql.Row, len(shape.sch))
		for i, expr := range tuple {
			sv, ok := literal(expr, bindings)
			if !ok {
				return nil, errNoFastPath
			}
			v, err := convertLiteral(sctx, shape.sch[ip.pos[i]], t.Schema.Columns[ip.pos[i]].Type, sv)
			if err != nil {
				return nil, err
			}
			r[ip.pos[i]] = v
		}
		rows = append(rows, r)
	}
	// Defaults are evaluated only once the whole statement is known to be
	// on the fast path, so generators are not advanced for nothing.
	now := time.Now().UTC().Truncate(time.Microsecond)
	// The primary keys are generated when the statement leaves out a key
	// whose DEFAULT is SNOWFLAKE_ID() and each key is the issued id itself
	// (a column that converts it, say to text or a narrower type, could
	// give two ids one key).
	generated := shape.PK >= 0 && !ip.given[shape.PK] && isSnowflakeDefault(t.Schema.Columns[shape.PK].Default)
	for _, r := range rows {
		for j, c := range t.Schema.Columns {
			if ip.given[j] || c.Default == nil {
				continue
			}
			v, id, err := e.defaultValue(sctx, shape.sch[j], c.Type, c.Default, now)
			if err != nil {
				return nil, err
			}
			if j == shape.PK {
				if got, ok := v.(int64); !ok || got != id || id == 0 {
					generated = false
				}
			}
			r[j] = v
		}
	}
	tbl, err := e.provider.tables.open(sess, t)
	if err != nil {
		return nil, err
	}
	ed := &editor{t: tbl.(*dataTable)}
	if err := ed.insertRows(sctx, rows, generated); err != nil {
		return nil, err
	}
	return &QueryResult{RowsAffected: int64(len(rows))}, nil
}

// isSnowflakeDefault reports whether d is DEFAULT SNOWFLAKE_ID().
func isSnowflakeDefault(d *dialect.DefaultExpr) bool {
	return d != nil && d.Kind == dialect.DefaultFunction && d.Function == "SNOWFLAKE_ID"
}

// defaultValue computes a column DEFAULT as the engine would, and for
// SNOWFLAKE_ID() the id issued (0 for other DEFAULTs).
func (e *Engine) defaultValue(ctx *sql.Context, col *sql.Column, dt dialect.DataType, d *dialect.DefaultExpr, now time.Time) (any, int64, error) {
	if d.Kind == dialect.DefaultFunction {
		var v any
		var id int64
		switch d.Function {
		case "SNOWFLAKE_ID":
			id = e.seq.Next()
			v = id
		case "UUID_V7":
			s, err := e.uuids.Next()
			if err != nil {
				return nil, 0, err
			}
			v = s
		case "ULID":
			s, err := e.ulids.Next()
			if err != nil {
				return nil, 0, err
			}
			v = s
		case "NOW":
			v = now
		default:
			return nil, 0, errNoFastPath
		}
		conv, _, err := col.Type.Convert(ctx, v)
		if err != nil {
			return nil, 0, errNoFastPath
		}
		nv, err := row.Normalize(dt, conv)
		return nv, id, err
	}
	if d.Literal == nil {
		return nil, 0, nil
	}
	conv, inRange, err := col.Type.Convert(ctx, row.DefaultLiteral(dt, d.Literal))
	if err != nil || inRange != sql.InRange {
		return nil, 0, errNoFastPath
	}
	nv, err := row.Normalize(dt, conv)
	return nv, 0, err
}
