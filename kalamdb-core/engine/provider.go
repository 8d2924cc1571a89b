package engine

import (
	"strings"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/authz"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// Provider is the engine's view of the catalog: every namespace is a
// database, plus the system database. It is stateless beyond the catalog,
// so a DDL change is visible to the next statement without invalidation.
type Provider struct {
	cat    *catalog.Catalog
	system *systemDatabase
	tables *tableFactory
	funcs  functionSet
	// noDatabase answers a lookup of the empty name. The engine asks for
	// the session's current database while planning every statement, and
	// a session without a default namespace has none; building the error
	// each time captured a stack trace (~4 µs, a tenth of planning
	// SELECT 1). Errors are immutable, so one serves every statement.
	noDatabase error
}

var (
	_ sql.DatabaseProvider = (*Provider)(nil)
	_ sql.FunctionProvider = (*Provider)(nil)
)

// Database implements sql.DatabaseProvider.
func (p *Provider) Database(ctx *sql.Context, name string) (sql.Database, error) {
	name = strings.ToLower(name)
	if name == catalog.SystemNamespace {
		return p.system, nil
	}
	if name == "" && p.noDatabase != nil {
		return nil, p.noDatabase
	}
	if name == noNamespace {
		return emptyDatabase{}, nil
	}
	if _, ok := p.cat.Snapshot().Namespace(name); !ok {
		return nil, sql.ErrDatabaseNotFound.New(name)
	}
	return &namespaceDatabase{p: p, name: name}, nil
}

// noNamespace is the database a statement without a selected namespace
// plans its table functions in (the engine plans one in the current
// database). It holds no table, so a name the statement leaves without
// a namespace that unqualifiedTable did not catch (a CTE's name used
// outside its WITH) is not found, never read from another namespace
// (the system one, which stood in before). '-' is not allowed in a
// namespace's name, so no namespace can be it.
const noNamespace = "kdb-no-namespace"

// emptyDatabase is noNamespace: no tables.
type emptyDatabase struct{}

var _ sql.Database = emptyDatabase{}

func (emptyDatabase) Name() string { return noNamespace }

func (emptyDatabase) GetTableInsensitive(*sql.Context, string) (sql.Table, bool, error) {
	return nil, false, nil
}

func (emptyDatabase) GetTableNames(*sql.Context) ([]string, error) { return nil, nil }

// HasDatabase implements sql.DatabaseProvider.
func (p *Provider) HasDatabase(ctx *sql.Context, name string) bool {
	name = strings.ToLower(name)
	if name == catalog.SystemNamespace || name == noNamespace {
		return true
	}
	_, ok := p.cat.Snapshot().Namespace(name)
	return ok
}

// AllDatabases implements sql.DatabaseProvider. It lists what the caller may
// see, which is what information_schema shows them.
func (p *Provider) AllDatabases(ctx *sql.Context) []sql.Database {
	var out []sql.Database
	if sess, err := sessionOf(ctx); err == nil && authz.SeesSystem(sess.Role) {
		out = append(out, p.system)
	}
	for _, ns := range p.cat.Snapshot().Namespaces() {
		out = append(out, &namespaceDatabase{p: p, name: ns.NamespaceID})
	}
	return out
}

// Function implements sql.FunctionProvider; KalamDB's functions take
// precedence over the engine's built-ins of the same name.
func (p *Provider) Function(_ *sql.Context, name string) (sql.Function, bool) {
	f, ok := p.funcs[strings.ToLower(name)]
	return f, ok
}

// namespaceDatabase is one namespace seen by the engine.
type namespaceDatabase struct {
	p    *Provider
	name string
}

var _ sql.Database = (*namespaceDatabase)(nil)

func (d *namespaceDatabase) Name() string { return d.name }

// GetTableInsensitive resolves a table for the session's effective user:
// the returned provider is bound to that user (USER tables) or checked
// against that user's role (SHARED tables).
func (d *namespaceDatabase) GetTableInsensitive(ctx *sql.Context, name string) (sql.Table, bool, error) {
	t, ok := d.p.cat.Snapshot().Table(d.name, strings.ToLower(name))
	if !ok {
		return nil, false, nil
	}
	sess, err := sessionOf(ctx)
	if err != nil {
		return nil, false, err
	}
	tbl, err := d.p.tables.open(sess, t)
	if err != nil {
		return nil, false, err
	}
	return tbl, true, nil
}

// GetTableNames lists the tables the session may read.
func (d *namespaceDatabase) GetTableNames(ctx *sql.Context) ([]string, error) {
	sess, err := sessionOf(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, t := range d.p.cat.Snapshot().Tables(d.name) {
		if authz.ReadTable(sess.Role, t.Meta) == nil {
			names = append(names, t.Meta.TableName)
		}
	}
	return names, nil
}

// namespaceDatabase lists its views to information_schema (as tables of
// type VIEW, and their columns) but never resolves one: views are expanded
// before a statement is planned (see expandViews), and the engine's own
// expansion would parse the stored text with its MySQL grammar.
var _ sql.ViewDatabase = (*namespaceDatabase)(nil)

// CreateView implements sql.ViewDatabase; views are created by CREATE
// VIEW, which the engine never runs.
func (d *namespaceDatabase) CreateView(*sql.Context, string, string, string) error {
	return apierror.New(apierror.Unsupported, "views are created with CREATE VIEW")
}

// DropView implements sql.ViewDatabase, like CreateView.
func (d *namespaceDatabase) DropView(*sql.Context, string) error {
	return apierror.New(apierror.Unsupported, "views are dropped with DROP VIEW")
}

// GetViewDefinition implements sql.ViewDatabase: the engine sees no view.
func (d *namespaceDatabase) GetViewDefinition(*sql.Context, string) (sql.ViewDefinition, bool, error) {
	return sql.ViewDefinition{}, false, nil
}

// AllViews implements sql.ViewDatabase: the views of the namespace that
// the session may read. Each comes with a stand-in CREATE VIEW statement
// in the engine's grammar whose query has the view's columns, names and
// types (viewStandIn), which is what information_schema.columns plans to
// list them; the view's own text is PostgreSQL, which that grammar may
// not read.
func (d *namespaceDatabase) AllViews(ctx *sql.Context) ([]sql.ViewDefinition, error) {
	sess, err := sessionOf(ctx)
	if err != nil {
		return nil, err
	}
	var out []sql.ViewDefinition
	snap := d.p.cat.Snapshot()
	for _, v := range snap.Views(d.name) {
		if readView(snap, sess.Role, v) == nil {
			out = append(out, sql.ViewDefinition{Name: v.ViewName, TextDefinition: v.Definition, CreateViewStatement: viewStandIn(v)})
		}
	}
	return out, nil
}

// typedNullFn is the engine's name of NULL of a KalamDB type, for the
// stand-in queries of views (viewStandIn). The PostgreSQL translator knows
// no such function, so no statement can call it.
const typedNullFn = "kdb_typed_null"

// viewStandIn is CREATE VIEW name AS SELECT NULL AS column, ... with each
// NULL typed as the view's column: planning it yields the view's schema
// without reading its query.
func viewStandIn(v *systable.View) string {
	quote := func(s string, q string) string { return q + strings.ReplaceAll(s, q, q+q) + q }
	var b strings.Builder
	b.WriteString("CREATE VIEW " + quote(v.NamespaceID, "`") + "." + quote(v.ViewName, "`") + " AS SELECT ")
	for i, c := range v.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(typedNullFn + "(" + quote(c.Type.SQL(), "'") + ") AS " + quote(c.Name, "`"))
	}
	return b.String()
}

// buildTypedNull builds kdb_typed_null('TYPE'): NULL of that type.
func buildTypedNull(args []sql.Expression) (*pgFunc, error) {
	if len(args) == 1 {
		if lit, ok := asLiteral(args[0]); ok {
			if name, ok := lit.Value().(string); ok {
				if dt, err := dialect.ParseDataType(name); err == nil {
					return newFunc(args, dt, func(*sql.Context, []any) (any, error) { return nil, nil }), nil
				}
			}
		}
	}
	return nil, noFunction(typedNullFn, args)
}
