package engine

import (
	"sort"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/authz"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// The catalog as a caller may see it: the one place that decides which
// schemas, tables, views and columns the virtual schemas
// (information_schema, pg_catalog) list to a role. The rule is KalamDB's,
// the one SHOW NAMESPACES, SHOW TABLES and DESCRIBE TABLE apply:
//
//   - every namespace is listed (SHOW NAMESPACES lists them all); the
//     system namespace only to roles that see it (authz.SeesSystem), with
//     the system tables they may read (authz.ListsSystemTable);
//   - a namespace's tables that the role may read (authz.ReadTable: USER
//     and STREAM tables to everyone, each caller reading only their own
//     rows; SHARED tables by access level), and its views that the role
//     may read (readView: every table behind them);
//   - a table's columns as DESCRIBE TABLE lists them: its own, then the
//     system columns _seq (every table) and _deleted (USER and SHARED),
//     which SELECT * shows too; a view's columns as its query typed them;
//   - the virtual schemas' own tables (information_schema, pg_catalog), to
//     everyone (PostgreSQL lists them as views).
//
// Nothing here reads a row of a table: a listing says that a table exists
// and what its columns are, never what a user stored in it.

// relationKind is what a listed relation is.
type relationKind int

const (
	relTable   relationKind = iota // a USER, SHARED or STREAM table
	relView                        // a view (CREATE VIEW)
	relSystem                      // a table of the system namespace
	relCatalog                     // a table of a virtual schema (information_schema, pg_catalog)
)

// relation is one table or view a caller may see.
type relation struct {
	schema, name string
	kind         relationKind
	table        *catalog.Table // relTable
	view         *systable.View // relView
	cols         []relationColumn
}

// relationColumn is one column of a relation.
type relationColumn struct {
	name       string
	typ        dialect.DataType
	nullable   bool
	primaryKey bool
	// updatable: a table's own column, which UPDATE may set (not a
	// system column, nor a view's or a virtual table's).
	updatable bool
	// def is the DEFAULT clause as DESCRIBE TABLE shows it ("": none).
	def string
	// ordinal is the column's number (ordinal_position), PostgreSQL's
	// attnum: a table's column id, which a dropped column leaves unused;
	// 0 for the others, numbered by position.
	ordinal int
}

// catalogListing is what one caller may see of one snapshot of the
// catalog.
type catalogListing struct {
	role      systable.Role
	schemas   []string
	relations []relation
}

// listCatalog lists what role may see: schemas and relations sorted by
// schema, then name.
func (p *Provider) listCatalog(role systable.Role) *catalogListing {
	p.listings.Add(1)
	snap := p.cat.Snapshot()
	l := &catalogListing{role: role}
	virtual := []*virtualSchema{p.info, p.pgCatalog}
	if snap.LegacyPGCatalog() {
		// The stored namespace is listed below, once, as what the name
		// reaches.
		virtual = virtual[:1]
	}
	for _, vs := range virtual {
		l.schemas = append(l.schemas, vs.name)
		for _, t := range vs.tables {
			l.relations = append(l.relations, relation{schema: vs.name, name: t.name, kind: relCatalog, cols: t.relationColumns()})
		}
	}
	if authz.SeesSystem(role) {
		l.schemas = append(l.schemas, catalog.SystemNamespace)
		for _, t := range p.system.tables {
			if !authz.ListsSystemTable(role, t.Name()) {
				continue
			}
			r := relation{schema: catalog.SystemNamespace, name: t.Name(), kind: relSystem}
			for _, c := range t.Columns() {
				r.cols = append(r.cols, relationColumn{name: c.Name, typ: dialect.DataType{Name: c.Type}, nullable: true})
			}
			l.relations = append(l.relations, r)
		}
	}
	for _, ns := range snap.Namespaces() {
		l.schemas = append(l.schemas, ns.NamespaceID)
	}
	// Every namespace's tables and views at once: listing them namespace
	// by namespace would look at every table once per namespace.
	for _, t := range snap.Tables("") {
		if authz.ReadTable(role, t.Meta) == nil {
			l.relations = append(l.relations, relation{schema: t.Meta.NamespaceID, name: t.Meta.TableName,
				kind: relTable, table: t, cols: tableColumns(t)})
		}
	}
	for _, v := range snap.Views("") {
		if readView(snap, role, v) == nil {
			r := relation{schema: v.NamespaceID, name: v.ViewName, kind: relView, view: v}
			for _, c := range v.Columns {
				r.cols = append(r.cols, relationColumn{name: c.Name, typ: c.Type, nullable: true})
			}
			l.relations = append(l.relations, r)
		}
	}
	sort.Strings(l.schemas)
	sort.SliceStable(l.relations, func(i, j int) bool {
		a, b := l.relations[i], l.relations[j]
		if a.schema != b.schema {
			return a.schema < b.schema
		}
		return a.name < b.name
	})
	return l
}

// tableColumns are a table's columns as DESCRIBE TABLE lists them.
func tableColumns(t *catalog.Table) []relationColumn {
	cols := make([]relationColumn, 0, len(t.Schema.Columns)+2)
	last := 0 // the highest column id; ids grow in column order
	for _, c := range t.Schema.Columns {
		rc := relationColumn{name: c.Name, typ: c.Type, nullable: c.Nullable, primaryKey: c.PrimaryKey, updatable: true,
			ordinal: c.ColumnID}
		if c.Default != nil {
			rc.def = c.Default.Text
		}
		cols = append(cols, rc)
		last = max(last, c.ColumnID)
	}
	cols = append(cols, relationColumn{name: schema.SeqColumn, typ: dialect.DataType{Name: dialect.TypeBigInt}, ordinal: last + 1})
	if t.Meta.TableType != dialect.TableTypeStream {
		cols = append(cols, relationColumn{name: schema.DeletedColumn, typ: dialect.DataType{Name: dialect.TypeBoolean}, ordinal: last + 2})
	}
	return cols
}

// views calls each for every listed view with its text, and for the
// virtual schemas' tables, which PostgreSQL lists as views, without one.
// A view's text is for those who may read system.views, which holds it
// (PostgreSQL shows it to the view's owner; views are created by the dba
// role); others get NULL.
func (l *catalogListing) views(each func(r relation, text any)) {
	_, err := authz.SystemTable(l.role, systable.Views.Name)
	for _, r := range l.relations {
		switch {
		case r.kind == relView && err == nil:
			each(r, r.view.Definition)
		case r.kind == relView, r.kind == relCatalog:
			each(r, nil)
		}
	}
}
