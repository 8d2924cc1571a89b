package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/planbuilder"
	"github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/authz"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/pgsql"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// Views are expanded before the engine plans a statement: every reference
// to a view becomes a derived table, (view's query) AS name, whose own
// table references resolve in the view's namespace. The expanded
// statement is planned like any other, for the session's effective user:
// each table behind a view is opened through the same table factory, so a
// USER table is that user's partition only and every table's read
// permission is checked for the reader, as if the reader had written the
// view's query inline. The engine's own view mechanism is not used: it
// would parse the stored text with its MySQL grammar.

// Bounds of view expansion in one statement: how deeply views may be built
// on views, and how many view references a statement may expand in all
// (a view read twice by each of the views above it doubles at every level).
const (
	MaxViewDepth      = 16
	MaxViewExpansions = 64
)

// viewExpansion expands the views of one statement as role sees them.
type viewExpansion struct {
	e    *Engine
	snap *catalog.Snapshot
	role systable.Role
	// count is the number of view references expanded so far.
	count int
	// creating is the id of a view being created or replaced (its query
	// is expanded as if inside it).
	creating string
	// deps collects the tables and views the top-level query reads
	// directly (what CREATE VIEW records).
	deps []systable.ViewDependency
}

// expandViews returns st's AST with every view reference expanded, or the
// AST itself when it references no view. The translated AST is never
// changed (it may be shared); a statement that references a view is
// translated again and the fresh copy is expanded.
func (e *Engine) expandViews(std *dialect.StandardSQL, st *pgsql.Statement, role systable.Role, namespace string) (sqlparser.Statement, error) {
	snap := e.cat.Snapshot()
	if !snap.HasViews() || !referencesView(st.AST, snap, namespace) {
		return st.AST, nil
	}
	fresh, err := e.translate(std)
	if err != nil {
		return nil, err
	}
	x := &viewExpansion{e: e, snap: snap, role: role}
	if err := x.expand(fresh.AST, namespace, nil, true); err != nil {
		return nil, err
	}
	return fresh.AST, nil
}

// referencesView reports whether a statement names a view (when names
// without a namespace are resolved in namespace).
func referencesView(stmt sqlparser.SQLNode, snap *catalog.Snapshot, namespace string) bool {
	ctes := cteNames(stmt)
	found := false
	_ = pgsql.Walk(func(n sqlparser.SQLNode) (bool, error) {
		var tn sqlparser.TableName
		switch n := n.(type) {
		case *sqlparser.AliasedTableExpr:
			name, ok := n.Expr.(sqlparser.TableName)
			if !ok {
				return true, nil
			}
			tn = name
		case *sqlparser.Insert:
			tn = n.Table
		default:
			return !found, nil
		}
		if ns, name, ok := resolveName(tn, namespace, ctes); ok {
			if _, isView := snap.View(ns, name); isView {
				found = true
			}
		}
		return !found, nil
	}, stmt)
	return found
}

// cteNames lists the names of the WITH queries anywhere in a statement.
// A table reference without a namespace that uses one of them is taken to
// be that query, wherever the WITH is: at worst a view of that name is then
// not found, which fails the statement; it never reads something else.
func cteNames(stmt sqlparser.SQLNode) map[string]bool {
	ctes := map[string]bool{}
	_ = pgsql.Walk(func(node sqlparser.SQLNode) (bool, error) {
		if w, ok := node.(*sqlparser.With); ok && w != nil {
			for _, c := range w.Ctes {
				ctes[strings.ToLower(c.As.String())] = true
			}
		}
		return true, nil
	}, stmt)
	return ctes
}

// resolveName is the namespace and name a table reference means, or false
// when it names a WITH query or has no namespace to resolve in.
func resolveName(tn sqlparser.TableName, namespace string, ctes map[string]bool) (string, string, bool) {
	name := strings.ToLower(tn.Name.String())
	ns := strings.ToLower(tn.DbQualifier.String())
	if ns == "" {
		if ctes[name] {
			return "", "", false
		}
		ns = namespace
	}
	return ns, name, ns != "" && name != ""
}

// expand replaces, in place, the view references of node, whose names
// without a namespace resolve in namespace. chain lists the views being
// expanded around node; top says node is the statement itself (or the
// query of a view being created), not a view's query, whose names are
// qualified with its namespace since the statement is planned in the
// reader's.
func (x *viewExpansion) expand(node sqlparser.SQLNode, namespace string, chain []string, top bool) error {
	ctes := cteNames(node)
	var failure error
	_ = pgsql.Walk(func(n sqlparser.SQLNode) (bool, error) {
		if failure != nil {
			return false, nil
		}
		switch n := n.(type) {
		case *sqlparser.Insert:
			failure = x.notWritable(n.Table, namespace, ctes, "INSERT INTO")
		case *sqlparser.Update:
			failure = x.notWritableTarget(n.TableExprs, namespace, ctes, "UPDATE")
		case *sqlparser.Delete:
			failure = x.notWritableTarget(n.TableExprs, namespace, ctes, "DELETE FROM")
		case *sqlparser.AliasedTableExpr:
			tn, ok := n.Expr.(sqlparser.TableName)
			if !ok {
				return true, nil
			}
			ns, name, ok := resolveName(tn, namespace, ctes)
			if !ok {
				return false, nil
			}
			if v, isView := x.snap.View(ns, name); isView {
				sub, err := x.view(v, chain)
				if err != nil {
					failure = err
					return false, nil
				}
				if top {
					x.addDep(systable.ViewDependency{NamespaceID: ns, Name: name, Kind: systable.DependsOnView,
						Signature: catalog.ViewSignature(v)})
				}
				n.Expr = sub
				if n.As.IsEmpty() {
					n.As = sqlparser.NewTableIdent(name)
				}
				return false, nil
			}
			if top {
				x.tableDep(ns, name)
			}
			if tn.DbQualifier.IsEmpty() && !top {
				n.Expr = sqlparser.TableName{Name: tn.Name, DbQualifier: sqlparser.NewTableIdent(ns)}
			}
			return false, nil
		}
		return failure == nil, nil
	}, node)
	return failure
}

// notWritable refuses a write whose target is a view.
func (x *viewExpansion) notWritable(tn sqlparser.TableName, namespace string, ctes map[string]bool, what string) error {
	if ns, name, ok := resolveName(tn, namespace, ctes); ok {
		if _, isView := x.snap.View(ns, name); isView {
			return apierror.New(apierror.Unsupported, "cannot %s view %s.%s: views are read-only; write to the tables it reads", what, ns, name)
		}
	}
	return nil
}

func (x *viewExpansion) notWritableTarget(targets sqlparser.TableExprs, namespace string, ctes map[string]bool, what string) error {
	for _, te := range targets {
		if at, ok := te.(*sqlparser.AliasedTableExpr); ok {
			if tn, ok := at.Expr.(sqlparser.TableName); ok {
				if err := x.notWritable(tn, namespace, ctes, what); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// view returns view v's query, expanded, as a derived table.
func (x *viewExpansion) view(v *systable.View, chain []string) (*sqlparser.Subquery, error) {
	id := v.NamespaceID + "." + v.ViewName
	if slices.Contains(chain, v.ViewID) {
		path := make([]string, 0, len(chain)+1)
		for _, c := range append(slices.Clone(chain), v.ViewID) {
			path = append(path, strings.Replace(c, ":", ".", 1))
		}
		if x.creating != "" {
			return nil, apierror.New(apierror.InvalidSQL, "view %s would read itself (%s)", strings.Replace(x.creating, ":", ".", 1), strings.Join(path, " -> "))
		}
		return nil, apierror.New(apierror.SQLExecutionError, "view %s reads itself (%s); re-create one of these views", id, strings.Join(path, " -> "))
	}
	if len(chain) >= MaxViewDepth {
		return nil, limitError("max_view_depth", "views are nested more than %d deep (reading %s)", MaxViewDepth, id)
	}
	if x.count++; x.count > MaxViewExpansions {
		return nil, limitError("max_view_expansions", "the statement reads views more than %d times in all (counting views read by views)", MaxViewExpansions)
	}
	if err := x.checkDependencies(v); err != nil {
		return nil, err
	}
	tr, err := pgsql.Translate(v.Definition, x.e.pgLimits())
	if err != nil {
		return nil, apierror.Wrap(apierror.CodeOf(err), err, fmt.Sprintf("view %s: %s", id, errorMessage(err)))
	}
	sel, ok := tr.AST.(sqlparser.SelectStatement)
	if !ok || tr.Params > 0 {
		return nil, apierror.New(apierror.SQLExecutionError, "view %s is not a query", id)
	}
	if err := x.expand(sel, v.NamespaceID, append(slices.Clone(chain), v.ViewID), false); err != nil {
		return nil, err
	}
	sub := &sqlparser.Subquery{Select: sel}
	for _, c := range v.ColumnNames {
		sub.Columns = append(sub.Columns, sqlparser.NewColIdent(c))
	}
	return sub, nil
}

// errorMessage is an error's message without its code.
func errorMessage(err error) string {
	if ae, ok := apierror.As(err); ok {
		return ae.Message
	}
	return err.Error()
}

// checkDependencies refuses to read a view whose tables or views changed
// since it was created: its query was planned against their columns, and
// read now it could mean something else. The reader must be allowed to
// read a table before learning anything about it.
func (x *viewExpansion) checkDependencies(v *systable.View) error {
	id := v.NamespaceID + "." + v.ViewName
	for _, d := range v.Dependencies {
		dep := d.NamespaceID + "." + d.Name
		switch {
		case d.Kind == systable.DependsOnView:
			w, ok := x.snap.View(d.NamespaceID, d.Name)
			if !ok {
				return apierror.New(apierror.TableNotFound, "view %s reads view %s, which does not exist any more; create it again, or re-create or drop %s", id, dep, id)
			}
			if catalog.ViewSignature(w) != d.Signature {
				return apierror.New(apierror.SQLExecutionError, "view %s reads view %s, whose columns changed since %s was created; re-create %s (CREATE OR REPLACE VIEW)", id, dep, id, id)
			}
		case d.NamespaceID == catalog.SystemNamespace:
			// System tables change only with the server's version.
		default:
			t, ok := x.snap.Table(d.NamespaceID, d.Name)
			if !ok {
				return apierror.New(apierror.TableNotFound, "view %s reads table %s, which does not exist any more; create it again, or re-create or drop %s", id, dep, id)
			}
			if err := authz.ReadTable(x.role, t.Meta); err != nil {
				return err
			}
			if sig := catalog.TableSignature(t); sig != d.Signature {
				return changedTableError(id, dep, d, t, sig)
			}
		}
	}
	return nil
}

// changedTableError says how table dep changed since view id was created
// over it (its signature then is d's, now sig): it became another type of
// table, it was dropped and created again with other columns (its
// version starts again, so versions would not tell), or its columns
// changed.
func changedTableError(id, dep string, d systable.ViewDependency, t *catalog.Table, sig string) error {
	kind := func(sig string) string { k, _, _ := strings.Cut(sig, ":"); return k }
	switch {
	case kind(sig) != kind(d.Signature):
		return apierror.New(apierror.SQLExecutionError, "view %s was created over %s table %s, which is now a %s table: re-create %s (CREATE OR REPLACE VIEW)",
			id, kind(d.Signature), dep, kind(sig), id)
	case t.Schema.Version <= d.SchemaVersion:
		return apierror.New(apierror.SQLExecutionError, "view %s was created over table %s, which was re-created with other columns since: re-create %s (CREATE OR REPLACE VIEW)",
			id, dep, id)
	}
	return apierror.New(apierror.SQLExecutionError, "view %s was created over table %s at schema version %d; the table's columns changed since (now version %d): re-create %s (CREATE OR REPLACE VIEW)",
		id, dep, d.SchemaVersion, t.Schema.Version, id)
}

func (x *viewExpansion) addDep(d systable.ViewDependency) {
	for _, have := range x.deps {
		if have.NamespaceID == d.NamespaceID && have.Name == d.Name {
			return
		}
	}
	x.deps = append(x.deps, d)
}

// tableDep records a table the top-level query reads; names that resolve
// to nothing are left for the planner to report.
func (x *viewExpansion) tableDep(ns, name string) {
	if ns == catalog.SystemNamespace {
		x.addDep(systable.ViewDependency{NamespaceID: ns, Name: name, Kind: systable.DependsOnTable})
		return
	}
	if t, ok := x.snap.Table(ns, name); ok {
		x.addDep(systable.ViewDependency{NamespaceID: ns, Name: name, Kind: systable.DependsOnTable,
			SchemaVersion: t.Schema.Version, Signature: catalog.TableSignature(t)})
	}
}

// ViewReads is catalog.Options.ViewReads: what a view's query names
// directly, each table or view as a dependency with only its namespace
// and name (names without one taken in the view's, WITH queries left
// out), found by the walk CREATE VIEW records its dependencies with.
// limits are the engine's (a stored query within them then parses
// again).
func ViewReads(limits Limits) func(v *systable.View) ([]systable.ViewDependency, error) {
	pl := pgsql.Limits{MaxExpressionDepth: limits.MaxExpressionDepth, MaxStatementComplexity: limits.MaxStatementComplexity}
	return func(v *systable.View) ([]systable.ViewDependency, error) {
		tr, err := pgsql.Translate(v.Definition, pl)
		if err != nil {
			return nil, err
		}
		ctes := cteNames(tr.AST)
		var reads []systable.ViewDependency
		_ = pgsql.Walk(func(n sqlparser.SQLNode) (bool, error) {
			at, ok := n.(*sqlparser.AliasedTableExpr)
			if !ok {
				return true, nil
			}
			tn, ok := at.Expr.(sqlparser.TableName)
			if !ok {
				return true, nil
			}
			if ns, name, ok := resolveName(tn, v.NamespaceID, ctes); ok {
				reads = append(reads, systable.ViewDependency{NamespaceID: ns, Name: name})
			}
			return false, nil
		}, tr.AST)
		return reads, nil
	}
}

// ViewRequest is a CREATE VIEW to plan, as the user creating it.
type ViewRequest struct {
	UserID string
	Role   systable.Role
	// Statement's view name has its namespace resolved.
	Statement *dialect.CreateView
}

// PlanView plans a view's query as its creator (planned only: nothing is
// read) and returns the view to store: its text, its columns and what it
// reads. Names without a namespace in the query are resolved in the
// view's namespace, now and whenever the view is read.
func (e *Engine) PlanView(ctx context.Context, req ViewRequest) (*systable.View, error) {
	cv := req.Statement
	ns := cv.View.Namespace
	sctx, release, err := e.newContext(ctx, req.UserID, req.Role, ns, nil)
	if err != nil {
		return nil, err
	}
	defer release()
	fresh, err := e.translate(cv.Query)
	if err != nil {
		return nil, err
	}
	if fresh.Params > 0 {
		return nil, apierror.New(apierror.InvalidSQL, "a view's query cannot have parameters")
	}
	// The view counts as expanded around its own query, as it will be
	// when read: so a view that could not be read is not created, and its
	// query cannot read it.
	self := systable.TableID(ns, cv.View.Name)
	x := &viewExpansion{e: e, snap: e.cat.Snapshot(), role: req.Role, creating: self, count: 1, deps: []systable.ViewDependency{}}
	if err := x.expand(fresh.AST, ns, []string{self}, true); err != nil {
		return nil, err
	}
	node, err := e.plan(sctx, fresh.AST, cv.Query.Text(), nil)
	if err != nil {
		return nil, err
	}
	sch := node.Schema()
	if viewWidth(sch) > systable.MaxTableColumns {
		// A view is a relation like a table, as in PostgreSQL.
		return nil, apierror.New(apierror.ResourceLimitExceeded, "tables can have at most %d columns (limit: max_table_columns)", systable.MaxTableColumns)
	}
	if len(cv.Columns) > len(sch) {
		return nil, apierror.New(apierror.InvalidSQL, "CREATE VIEW specifies more column names than columns")
	}
	names := slices.Clone(cv.Columns)
	if len(names) > 0 {
		// As in PostgreSQL, the columns past the list keep the query's
		// names.
		for _, c := range sch[len(names):] {
			names = append(names, c.Name)
		}
	}
	v := &systable.View{NamespaceID: ns, ViewName: cv.View.Name, Definition: cv.Query.Text(), ColumnNames: names,
		Dependencies: x.deps, CreatedBy: req.UserID}
	seen := map[string]bool{}
	for i, c := range sch {
		name := c.Name
		if len(names) > 0 {
			name = names[i]
		}
		if seen[strings.ToLower(name)] {
			return nil, apierror.New(apierror.InvalidSQL, "column %q specified more than once", name)
		}
		seen[strings.ToLower(name)] = true
		dt, _ := e.columnType(c)
		v.Columns = append(v.Columns, systable.ViewColumn{Name: name, Type: dt})
	}
	return v, nil
}

// plan binds and analyzes a statement without running it.
func (e *Engine) plan(sctx *sql.Context, stmt sqlparser.Statement, text string, bindings map[string]sqlparser.Expr) (sql.Node, error) {
	// A view's query is planned here when it is created and when a live
	// query's condition on it is checked, not through Query's checks.
	if err := boundSubqueryNesting(stmt); err != nil {
		return nil, err
	}
	if err := boundTargetLists(stmt, e.cat.Snapshot(), sctx.GetCurrentDatabase()); err != nil {
		return nil, err
	}
	if err := boundDerivedColumns(stmt, e.cat.Snapshot(), sctx.GetCurrentDatabase()); err != nil {
		return nil, err
	}
	if err := boundStatementEntries(stmt, e.cat.Snapshot(), sctx.GetCurrentDatabase(), e.limits.MaxStatementTargetEntries); err != nil {
		return nil, err
	}
	binder := planbuilder.New(sctx, e.gms.Analyzer.Catalog, e.gms.EventScheduler, e.gms.Parser)
	if len(bindings) > 0 {
		binder.SetBindings(bindings)
	}
	bound, qFlags, err := binder.BindOnly(stmt, text, nil)
	if err != nil {
		return nil, e.statementError(err, stmt, sctx.GetCurrentDatabase())
	}
	node, err := e.gms.Analyzer.Analyze(sctx, bound, nil, qFlags)
	if err != nil {
		return nil, translateError(err)
	}
	return node, nil
}

// ReadView decides whether role may read view v (see authz.ReadView): what
// SHOW TABLES, DESCRIBE TABLE and information_schema show.
func (e *Engine) ReadView(role systable.Role, v *systable.View) error {
	return readView(e.cat.Snapshot(), role, v)
}

func readView(snap *catalog.Snapshot, role systable.Role, v *systable.View) error {
	return authz.ReadView(role, v, authz.ViewResolver{
		Table: func(ns, name string) (*systable.TableMeta, bool) {
			if ns == catalog.SystemNamespace {
				return &systable.TableMeta{NamespaceID: ns, TableName: name, TableType: dialect.TableTypeSystem}, true
			}
			t, ok := snap.Table(ns, name)
			if !ok {
				return nil, false
			}
			return t.Meta, true
		},
		View: snap.View,
	})
}

// viewWidth is the number of a view's columns counted as a table's are:
// _seq and _deleted, which a * over a table lists, left out.
func viewWidth(sch sql.Schema) int {
	n := 0
	for _, c := range sch {
		if c.Name != schema.SeqColumn && c.Name != schema.DeletedColumn {
			n++
		}
	}
	return n
}
