package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/planbuilder"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/authz"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/pgsql"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// SubscriberCounter reports whether a partition of a STREAM table (the
// user's) has any subscriber, so that an EPHEMERAL table drops events
// nobody would receive instead of storing them.
type SubscriberCounter interface {
	HasSubscribers(t *catalog.Table, userID string) bool
}

// Filter is a live query compiled once: its table, the columns it shows
// and its WHERE as an engine expression evaluated against changed rows.
//
// A live query on a system table has System set (the table's name) and
// Table nil: system rows are not written through the change feed, so such
// a query is re-run when its table changes (Columns, Where and KeyColumns
// say how), and never evaluated per row.
type Filter struct {
	e     *Engine
	Table *catalog.Table
	// System is the system table the query reads, or "".
	System string
	// KeyColumns identify a row of a system table.
	KeyColumns []string
	// Columns are the selected columns (names as in the table), in order;
	// the system columns _seq and _deleted may be among them.
	Columns []string
	// SQL is the SELECT to run for the initial data, with the WHERE of the
	// subscription.
	SQL string
	// Where is the subscription's condition as engine SQL text ("" when
	// it has none), for composing initial-data queries such as
	// SELECT * FROM t WHERE (Where) AND _seq > n ORDER BY _seq.
	Where     string
	userID    string
	role      systable.Role
	namespace string
	cond      sql.Expression // nil: every row matches
	// condCols are the column names of the rows cond is evaluated against.
	condCols []string
	// view is the view the live query was made on, as it was then (nil:
	// a table's live query).
	view *systable.View
}

// Estimates of what a compiled live query keeps (Filter.HeldBytes): a
// filter's own structures, and one node of its condition (the engine's
// expression, its type and a hash set entry of an IN list).
const (
	filterBaseBytes = 1 << 10
	exprNodeBytes   = 160
)

// HeldBytes is about the memory the filter keeps for as long as it is
// kept: its texts and its condition, each node of it, the values of its
// constants (twice: the engine keeps a constant as written and as
// converted to its column's type) and the patterns it compiled. A live
// query is kept for as long as its subscription, so its keeper reserves
// this: a subscription of a 0.9 MB string held 3.6 MB, one of a 200 kB
// IN list 4.2 MB, one of a 60-byte pattern 0.6 MB.
func (f *Filter) HeldBytes() int64 {
	n := filterBaseBytes + int64(len(f.SQL)+len(f.Where))
	if f.cond != nil {
		sql.Inspect(f.cond, func(e sql.Expression) bool {
			n += exprNodeBytes
			switch x := e.(type) {
			case *expression.Literal:
				n += 2 * valueSize(x.Value())
			case *pgFunc:
				n += x.held
			}
			return true
		})
	}
	return n
}

// ViewChanged reports whether the live query was made on a view that has
// since been replaced or dropped, with the message that says so. The
// filter was compiled from the view's old definition, so no further
// change may be read with it.
func (f *Filter) ViewChanged() (string, bool) {
	if f.view == nil {
		return "", false
	}
	id := f.view.NamespaceID + "." + f.view.ViewName
	cur, ok := f.e.cat.Snapshot().View(f.view.NamespaceID, f.view.ViewName)
	switch {
	case !ok:
		return "view " + id + " was dropped", true
	case cur != f.view:
		return "view " + id + " was replaced", true
	}
	return "", false
}

// OnView reports whether the live query was made on a view, which may
// hide columns of its table.
func (f *Filter) OnView() bool { return f.view != nil }

// CompileFilter compiles a live query: a single-table SELECT of plain
// columns (or *) with an optional WHERE, on a table the user may read.
func (e *Engine) CompileFilter(ctx context.Context, userID string, role systable.Role, namespace, selectSQL string) (*Filter, error) {
	st, err := dialect.ParseOne(selectSQL)
	if err != nil {
		return nil, err
	}
	std, ok := st.(*dialect.StandardSQL)
	if !ok || std.Kind() != dialect.KindSelect {
		return nil, apierror.New(apierror.Unsupported, "a live query must be a SELECT")
	}
	tr, err := e.translate(std)
	if err != nil {
		return nil, err
	}
	if tr.Params > 0 {
		return nil, apierror.New(apierror.Unsupported, "a live query cannot have parameters")
	}
	parsed := tr.AST
	sel, ok := parsed.(*sqlparser.Select)
	if !ok || sel.With != nil || len(sel.GroupBy) > 0 || sel.Having != nil || len(sel.OrderBy) > 0 || sel.Limit != nil ||
		sel.Into != nil || len(sel.From) != 1 || sel.QueryOpts != (sqlparser.QueryOpts{}) || len(sel.Window) > 0 {
		return nil, apierror.New(apierror.Unsupported, "a live query is SELECT columns FROM ns.table [WHERE ...], without joins, grouping, ordering or limits")
	}
	if tf, ok := sel.From[0].(*sqlparser.TableFuncExpr); ok {
		// Its rows never change: there is nothing to follow.
		return nil, apierror.New(apierror.Unsupported, "a live query reads one table: %s() in FROM has no change feed; run it as a query",
			(&srfNode{kind: srfNames[tf.Name]}).Name())
	}
	ate, ok := sel.From[0].(*sqlparser.AliasedTableExpr)
	if !ok {
		return nil, apierror.New(apierror.Unsupported, "a live query reads one table")
	}
	tn, ok := ate.Expr.(sqlparser.TableName)
	if !ok {
		return nil, apierror.New(apierror.Unsupported, "a live query reads one table")
	}
	ns := strings.ToLower(tn.DbQualifier.String())
	if ns == "" {
		ns = namespace
	}
	name := strings.ToLower(tn.Name.String())
	snap := e.cat.Snapshot()
	if ns == catalog.SystemNamespace {
		if err := authz.SubscribeSystem(role); err != nil {
			return nil, err
		}
		return e.compileSystemFilter(sel, std.Text(), name, userID, role)
	}
	if ns == infoSchemaName || ns == pgCatalogName && !snap.LegacyPGCatalog() {
		// Their rows are computed from the catalog by each scan.
		return nil, apierror.New(apierror.Unsupported, "a live query reads one table: %s.%s has no change feed; run it as a query", ns, name)
	}
	if _, ok := snap.Namespace(ns); !ok {
		return nil, apierror.New(apierror.NotFound, "namespace %s does not exist", ns)
	}
	if v, ok := snap.View(ns, name); ok {
		return e.compileViewFilter(ctx, sel, std.Text(), v, userID, role)
	}
	t, ok := snap.Table(ns, name)
	if !ok {
		return nil, apierror.New(apierror.NotFound, "table %s.%s does not exist", ns, name)
	}
	where, err := whereText(sel, std.Text())
	if err != nil {
		return nil, err
	}
	return e.tableFilter(ctx, t, userID, role, ns, func(all []string) ([]string, error) {
		return selectedColumns(sel, all, ns, name)
	}, where)
}

// tableFilter compiles a live query on table t: the columns it shows
// (chosen from the table's) and its condition as PostgreSQL SQL ("" for
// none), whose names without a namespace resolve in namespace.
func (e *Engine) tableFilter(ctx context.Context, t *catalog.Table, userID string, role systable.Role, namespace string,
	columns func(all []string) ([]string, error), where string) (*Filter, error) {
	if err := authz.ReadTable(role, t.Meta); err != nil {
		return nil, err
	}
	shape, err := e.provider.tables.shape(t)
	if err != nil {
		return nil, err
	}
	f := &Filter{e: e, Table: t, userID: userID, role: role, namespace: namespace, Where: where}
	all := make([]string, len(shape.sch))
	for i, c := range shape.sch {
		all[i] = c.Name
	}
	if f.Columns, err = columns(all); err != nil {
		return nil, err
	}
	f.SQL = filterSQL(t.Meta.NamespaceID, t.Meta.TableName, f.Where)
	if f.Where != "" {
		if err := e.compileCondition(ctx, f); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// compileViewFilter compiles a live query on a view. The view must be
// simple enough to expand into a live query on its table: plain columns of
// one table, with an optional WHERE. The subscription is then that
// table's, showing the columns the subscriber chose among the view's,
// with the view's condition and the subscriber's both applied; it is the
// subscriber's partition of a USER or STREAM table, like any other.
func (e *Engine) compileViewFilter(ctx context.Context, sel *sqlparser.Select, text string, v *systable.View, userID string, role systable.Role) (*Filter, error) {
	id := v.NamespaceID + "." + v.ViewName
	x := &viewExpansion{e: e, snap: e.cat.Snapshot(), role: role}
	// Permission first, as a query of the view checks it: the view's shape
	// must not tell a reader who may not read it what it reads.
	if err := readView(x.snap, role, v); err != nil {
		return nil, err
	}
	if err := x.checkDependencies(v); err != nil {
		return nil, err
	}
	tr, err := pgsql.Translate(v.Definition, e.pgLimits())
	if err != nil {
		return nil, apierror.Wrap(apierror.CodeOf(err), err, fmt.Sprintf("view %s: %s", id, errorMessage(err)))
	}
	t, viewWhere, ok := simpleView(tr.AST, v, x.snap)
	if !ok {
		return nil, apierror.New(apierror.Unsupported,
			"a live query on view %s needs a view that selects plain columns of one table with an optional WHERE (no joins, grouping, ordering, limits, renamed or computed columns)", id)
	}
	where, err := whereText(sel, text)
	if err != nil {
		return nil, err
	}
	if where != "" {
		// The subscriber's condition may name the view's columns only:
		// plan it against the view, as a query on it would be planned.
		if err := e.checkViewCondition(ctx, userID, role, v, where); err != nil {
			return nil, err
		}
	}
	// The condition is applied to the view's table, under the table's
	// name: columns qualified with the view's name (which a query of the
	// view accepts) lose the qualifier, and being the view's columns they
	// are the table's columns of the same name.
	where = unqualifyColumns(where, v.NamespaceID, v.ViewName)
	switch {
	case viewWhere != "" && where != "":
		where = "(" + viewWhere + ") AND (" + where + ")"
	case viewWhere != "":
		where = viewWhere
	}
	viewCols := make([]string, len(v.Columns))
	for i, c := range v.Columns {
		viewCols[i] = c.Name
	}
	f, err := e.tableFilter(ctx, t, userID, role, v.NamespaceID, func([]string) ([]string, error) {
		return selectedColumns(sel, viewCols, v.NamespaceID, v.ViewName)
	}, where)
	if err != nil {
		return nil, err
	}
	f.view = v
	return f, nil
}

// unqualifyColumns removes the qualifiers ns.name. and name. from the
// column references of a condition's text; literals, comments and other
// qualifiers are left as they are. Unquoted names compare ignoring ASCII
// case, quoted ones exactly.
func unqualifyColumns(cond, ns, name string) string {
	type tok struct {
		kind     dialect.TokenKind
		pos, end int
	}
	var toks []tok
	for lx := dialect.NewLexer(cond); ; {
		k, pos, end := lx.Next()
		if k == dialect.TokEOF || k == dialect.TokInvalid {
			break
		}
		if k != dialect.TokComment {
			toks = append(toks, tok{k, pos, end})
		}
	}
	is := func(i int, want string) bool {
		if i >= len(toks) {
			return false
		}
		raw := cond[toks[i].pos:toks[i].end]
		switch toks[i].kind {
		case dialect.TokWord:
			return dialect.ASCIILower(raw) == want
		case dialect.TokQuotedIdent:
			return raw[0] == '"' && raw == `"`+strings.ReplaceAll(want, `"`, `""`)+`"`
		}
		return false
	}
	dot := func(i int) bool {
		return i < len(toks) && toks[i].kind == dialect.TokPunct && cond[toks[i].pos:toks[i].end] == "."
	}
	column := func(i int) bool {
		return i < len(toks) && (toks[i].kind == dialect.TokWord || toks[i].kind == dialect.TokQuotedIdent)
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(toks); i++ {
		if i > 0 && dot(i-1) {
			continue // inside a longer name
		}
		skip := 0
		switch {
		case is(i, ns) && dot(i+1) && is(i+2, name) && dot(i+3) && column(i+4) && !dot(i+5):
			skip = 4
		case is(i, name) && dot(i+1) && column(i+2) && !dot(i+3):
			skip = 2
		default:
			continue
		}
		b.WriteString(cond[last:toks[i].pos])
		last = toks[i+skip].pos
		i += skip
	}
	b.WriteString(cond[last:])
	return b.String()
}

// simpleView returns the table a view's query reads and its condition
// text, when the query is SELECT plain columns FROM one table [WHERE ...].
func simpleView(stmt sqlparser.Statement, v *systable.View, snap *catalog.Snapshot) (*catalog.Table, string, bool) {
	body, ok := stmt.(*sqlparser.Select)
	if !ok || body.With != nil || len(body.GroupBy) > 0 || body.Having != nil || len(body.OrderBy) > 0 || body.Limit != nil ||
		len(body.From) != 1 || body.QueryOpts != (sqlparser.QueryOpts{}) || len(body.Window) > 0 || len(v.ColumnNames) > 0 {
		return nil, "", false
	}
	ate, ok := body.From[0].(*sqlparser.AliasedTableExpr)
	if !ok {
		return nil, "", false
	}
	tn, ok := ate.Expr.(sqlparser.TableName)
	if !ok || !ate.As.IsEmpty() {
		return nil, "", false
	}
	ns := strings.ToLower(tn.DbQualifier.String())
	if ns == "" {
		ns = v.NamespaceID
	}
	t, ok := snap.Table(ns, strings.ToLower(tn.Name.String()))
	if !ok {
		return nil, "", false
	}
	for _, se := range body.SelectExprs {
		switch x := se.(type) {
		case *sqlparser.StarExpr:
		case *sqlparser.AliasedExpr:
			c, ok := x.Expr.(*sqlparser.ColName)
			if !ok || !x.As.IsEmpty() && !x.As.EqualString(c.Name.Lowered()) {
				return nil, "", false
			}
		default:
			return nil, "", false
		}
	}
	where := ""
	if body.Where != nil {
		if where = pgsql.WhereText(v.Definition); where == "" {
			return nil, "", false
		}
	}
	return t, where, true
}

// checkViewCondition plans SELECT * FROM view WHERE cond as the
// subscriber, without running it.
func (e *Engine) checkViewCondition(ctx context.Context, userID string, role systable.Role, v *systable.View, cond string) error {
	text := fmt.Sprintf(`SELECT * FROM "%s"."%s" WHERE %s`, v.NamespaceID, v.ViewName, cond)
	std := dialect.NewStandardSQL(dialect.KindSelect, text)
	tr, err := e.translate(std)
	if err != nil {
		return err
	}
	stmt, err := e.expandViews(std, tr, role, v.NamespaceID)
	if err != nil {
		return err
	}
	sctx, release, err := e.newContext(ctx, userID, role, v.NamespaceID, nil)
	if err != nil {
		return err
	}
	defer release()
	_, err = e.plan(sctx, stmt, text, nil)
	return err
}

// selectedColumns resolves the select list of a live query against the
// table's columns (all, in order): * or plain column names.
func selectedColumns(sel *sqlparser.Select, all []string, ns, name string) ([]string, error) {
	var out []string
	for _, se := range sel.SelectExprs {
		switch x := se.(type) {
		case *sqlparser.StarExpr:
			out = append(out, all...)
		case *sqlparser.AliasedExpr:
			c, ok := x.Expr.(*sqlparser.ColName)
			if !ok || !x.As.IsEmpty() {
				return nil, apierror.New(apierror.Unsupported, "a live query selects plain columns or *")
			}
			if !slices.Contains(all, c.Name.Lowered()) {
				return nil, apierror.New(apierror.InvalidSQL, "column %s does not exist in %s.%s", c.Name.Lowered(), ns, name)
			}
			out = append(out, c.Name.Lowered())
		default:
			return nil, apierror.New(apierror.Unsupported, "a live query selects plain columns or *")
		}
	}
	return out, nil
}

// compileSystemFilter compiles a live query on a system table (the
// caller checked the role). The WHERE is kept as text for re-running the
// query; the engine checks it then, starting with the initial data.
func (e *Engine) compileSystemFilter(sel *sqlparser.Select, text, name, userID string, role systable.Role) (*Filter, error) {
	var src systable.SQLTable
	for _, t := range e.system {
		if t.Name() == name {
			src = t
		}
	}
	if src == nil {
		return nil, apierror.New(apierror.NotFound, "table %s.%s does not exist", catalog.SystemNamespace, name)
	}
	f := &Filter{e: e, System: name, KeyColumns: src.KeyColumns(), userID: userID, role: role}
	var all []string
	for _, c := range src.Columns() {
		all = append(all, c.Name)
	}
	var err error
	if f.Columns, err = selectedColumns(sel, all, catalog.SystemNamespace, name); err != nil {
		return nil, err
	}
	if f.Where, err = whereText(sel, text); err != nil {
		return nil, err
	}
	if sel.Where != nil {
		if err := refuseSubqueries(sel.Where); err != nil {
			return nil, err
		}
	}
	f.SQL = filterSQL(catalog.SystemNamespace, name, f.Where)
	return f, nil
}

// compileCondition plans the filter's SELECT with the engine and keeps the
// Filter node's expression and the schema of the rows it reads.
func (e *Engine) compileCondition(ctx context.Context, f *Filter) error {
	sctx, release, err := e.newContext(ctx, f.userID, f.role, f.namespace, nil)
	if err != nil {
		return err
	}
	defer release()
	sess := sctx.Session.(*Session)
	sess.noIndexes = true // keep the WHERE as one Filter over a full scan
	tr, err := e.translate(dialect.NewStandardSQL(dialect.KindSelect, f.SQL))
	if err != nil {
		return err
	}
	if err := checkLiveCost(tr.AST); err != nil {
		return err
	}
	if err := refuseSubqueries(tr.AST); err != nil {
		return err
	}
	if filtersOnDeleted(tr.AST) {
		// Such a WHERE makes soft-deleted rows part of the result (as in
		// a SELECT), but changes carry no deleted versions to match: a
		// DELETE, a re-insert over a deleted row and a compaction that
		// purges deleted rows would all leave the subscription stale.
		return apierror.New(apierror.Unsupported,
			"a live query's WHERE cannot name _deleted: a subscription follows the rows that are not deleted, and deletes arrive as delete changes; query deleted rows over HTTP")
	}
	binder := planbuilder.New(sctx, e.gms.Analyzer.Catalog, e.gms.EventScheduler, e.gms.Parser)
	bound, qFlags, err := binder.BindOnly(tr.AST, f.SQL, nil)
	if err != nil {
		return e.statementError(err, tr.AST, sctx.GetCurrentDatabase())
	}
	node, err := e.gms.Analyzer.Analyze(sctx, bound, nil, qFlags)
	if err != nil {
		return translateError(err)
	}
	var found *plan.Filter
	transform.Inspect(node, func(n sql.Node) bool {
		if fl, ok := n.(*plan.Filter); ok && found == nil {
			found = fl
			return false
		}
		return true
	})
	if found == nil {
		return apierror.New(apierror.Unsupported, "the WHERE of this live query cannot be evaluated per row")
	}
	f.cond = found.Expression
	for _, c := range found.Child.Schema() {
		f.condCols = append(f.condCols, c.Name)
	}
	return nil
}

// liveValueBuilders are the functions whose result may be far larger than
// their arguments, by their engine names (and the names users call them
// by). A live WHERE runs for every change and every subscription, so one
// of them turned each write into megabytes of work per subscriber, bounded
// only by the value and time limits of a single evaluation; they are
// refused there (a query over HTTP may still call them).
var liveValueBuilders = map[string]string{
	"kdb_repeat":         "repeat",
	"kdb_lpad":           "lpad",
	"kdb_rpad":           "rpad",
	"kdb_regexp_replace": "regexp_replace",
	pgsql.FnOverlay:      "overlay",
	"kdb_replace":        "replace",
}

// checkLiveCost refuses a live query whose WHERE calls a value-building
// function, except replace() with literals that cannot make its input
// longer, such as removing dashes from a phone number.
func checkLiveCost(stmt sqlparser.Statement) error {
	var refused string
	_ = pgsql.Walk(func(node sqlparser.SQLNode) (bool, error) {
		f, ok := node.(*sqlparser.FuncExpr)
		if !ok {
			return true, nil
		}
		name, ok := liveValueBuilders[f.Name.Lowered()]
		if ok && !(name == "replace" && shrinkingReplace(f)) {
			refused = name
			return false, nil
		}
		return true, nil
	}, stmt)
	if refused != "" {
		return apierror.New(apierror.Unsupported,
			"a live query's WHERE cannot call %s(): it builds values larger than the row, and the WHERE runs for every change; filter on the stored values, or query over HTTP",
			refused)
	}
	return nil
}

// refuseSubqueries refuses a live WHERE with a subquery (scalar, EXISTS or
// IN): the WHERE is evaluated on each changed row alone, and a change of
// the tables the subquery reads reaches no subscription of this one, so
// the result would silently go stale when the subquery's answer changes.
func refuseSubqueries(node sqlparser.SQLNode) error {
	found := false
	_ = pgsql.Walk(func(n sqlparser.SQLNode) (bool, error) {
		if _, ok := n.(*sqlparser.Subquery); ok {
			found = true
			return false, nil
		}
		return true, nil
	}, node)
	if found {
		return apierror.New(apierror.Unsupported,
			"a live query's WHERE cannot contain a subquery: each change is evaluated on its row alone, so a change of what the subquery reads would not reach the subscription; filter on the row's own columns, or query over HTTP")
	}
	return nil
}

// shrinkingReplace reports whether replace(s, from, to) has literal from
// and to, to no longer than from, so that its result is at most s.
func shrinkingReplace(f *sqlparser.FuncExpr) bool {
	if len(f.Exprs) != 3 {
		return false
	}
	lit := func(i int) (string, bool) {
		ae, ok := f.Exprs[i].(*sqlparser.AliasedExpr)
		if !ok {
			return "", false
		}
		v, ok := ae.Expr.(*sqlparser.SQLVal)
		if !ok || v.Type != sqlparser.StrVal {
			return "", false
		}
		return string(v.Val), true
	}
	from, ok1 := lit(1)
	to, ok2 := lit(2)
	return ok1 && ok2 && from != "" && len(to) <= len(from)
}

// Match reports whether a row (values of the table's columns in the
// current schema order, then _seq and _deleted) satisfies the WHERE. It
// runs as a statement of the subscriber would: under the time limit of
// the subscriber's role and a statement's memory budget; past the limit
// it stops and fails with QUERY_TIMEOUT.
func (f *Filter) Match(ctx context.Context, row []any) (ok bool, err error) {
	defer func() {
		// A live filter runs on a connection's sender, for every change:
		// whatever the engine panics on fails this evaluation only.
		if r := recover(); r != nil {
			ok, err = false, panicError(r)
		}
	}()
	if f.cond == nil {
		return true, nil
	}
	ctx, cancel := WithTimeout(ctx, f.e.limits.Timeout.For(f.role))
	defer cancel()
	shape, err := f.e.provider.tables.shape(f.Table)
	if err != nil {
		return false, err
	}
	in := make(sql.Row, len(f.condCols))
	for i, name := range f.condCols {
		if j := shape.sch.IndexOfColName(name); j >= 0 && j < len(row) {
			in[i] = row[j]
		}
	}
	sctx, release, err := f.e.newContext(ctx, f.userID, f.role, f.namespace, nil)
	if err != nil {
		return false, err
	}
	defer release()
	v, err := sql.EvaluateCondition(sctx, f.cond, in)
	if err != nil {
		if cerr, stopped := StoppedError(ctx); stopped {
			return false, cerr
		}
		return false, translateError(err)
	}
	return sql.IsTrue(v), nil // NULL, like false, is no match
}

// whereText is a live query's condition as the user wrote it ("" when it
// has none): PostgreSQL SQL, which the initial-data queries compose and
// parse again.
func whereText(sel *sqlparser.Select, text string) (string, error) {
	if sel.Where == nil {
		return "", nil
	}
	w := pgsql.WhereText(text)
	if w == "" {
		return "", apierror.New(apierror.Unsupported, "the WHERE of this live query cannot be reused")
	}
	return w, nil
}

// filterSQL is the SELECT a live query's initial data and refreshes run.
func filterSQL(ns, name, where string) string {
	if where == "" {
		return fmt.Sprintf(`SELECT * FROM "%s"."%s"`, ns, name)
	}
	return fmt.Sprintf(`SELECT * FROM "%s"."%s" WHERE %s`, ns, name, where)
}

// ValuesSize is about the size of values on the wire, as
// QueryRequest.MaxBytes counts a result row's: for callers that bound
// what they hold of rows (a live connection's queue).
func ValuesSize(vals []any) int64 {
	var n int64
	for _, v := range vals {
		n += wireSize(v)
	}
	return n
}
