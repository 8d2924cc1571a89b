package engine

import (
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// A virtual schema is a read-only schema whose tables describe the
// catalog: information_schema (infoschema.go) and pg_catalog
// (pgcatalog.go). Their rows are computed when the statement first scans
// them from what the session's effective user may see (listCatalog),
// held in memory for the rest of the statement (catalogMemo) and charged
// to its budget; nothing is cached across statements.

// virtualSchema is one virtual schema as an engine database.
type virtualSchema struct {
	p      *Provider
	name   string
	tables []*virtualTableDef
}

var _ sql.Database = (*virtualSchema)(nil)

func (s *virtualSchema) Name() string   { return s.name }
func (*virtualSchema) IsReadOnly() bool { return true }

func (s *virtualSchema) GetTableInsensitive(_ *sql.Context, name string) (sql.Table, bool, error) {
	name = strings.ToLower(name)
	for _, t := range s.tables {
		if t.name == name {
			return newVirtualTable(s, t), true, nil
		}
	}
	return nil, false, nil
}

func (s *virtualSchema) GetTableNames(*sql.Context) ([]string, error) {
	names := make([]string, len(s.tables))
	for i, t := range s.tables {
		names[i] = t.name
	}
	return names, nil
}

// virtualTableDef is one table of a virtual schema: its columns and its
// rows for what a caller may see.
type virtualTableDef struct {
	name string
	cols []virtualColumn
	rows func(l *catalogListing) []virtualRow
}

// virtualColumn is a column of a virtual table, of a KalamDB type.
type virtualColumn struct {
	name string
	typ  dialect.TypeName
}

// virtualRow is a row by column name; a column it does not name is NULL.
// Values are of the engine's representation of the column's type (text:
// string, INT: int32, BOOLEAN: bool).
type virtualRow map[string]any

// columnsOf are columns of one type, in order.
func columnsOf(typ dialect.TypeName, names ...string) []virtualColumn {
	out := make([]virtualColumn, len(names))
	for i, n := range names {
		out[i] = virtualColumn{name: n, typ: typ}
	}
	return out
}

// textColumns are text columns, in order.
func textColumns(names ...string) []virtualColumn { return columnsOf(dialect.TypeText, names...) }

// intColumns are INT columns (PostgreSQL's cardinal_number), in order.
func intColumns(names ...string) []virtualColumn { return columnsOf(dialect.TypeInt, names...) }

func concatColumns(parts ...[]virtualColumn) []virtualColumn {
	var out []virtualColumn
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// relationColumns are the table's columns as the information schema
// lists them.
func (t *virtualTableDef) relationColumns() []relationColumn {
	out := make([]relationColumn, len(t.cols))
	for i, c := range t.cols {
		out[i] = relationColumn{name: c.name, typ: dialect.DataType{Name: c.typ}, nullable: true}
	}
	return out
}

// virtualTable is one virtual table seen by the engine.
type virtualTable struct {
	s   *virtualSchema
	def *virtualTableDef
	sch sql.Schema
}

var _ sql.Table = (*virtualTable)(nil)

func newVirtualTable(s *virtualSchema, def *virtualTableDef) *virtualTable {
	sch := make(sql.Schema, len(def.cols))
	for i, c := range def.cols {
		sch[i] = &sql.Column{Name: c.name, Type: schema.MustEngineType(dialect.DataType{Name: c.typ}),
			Nullable: true, Source: def.name, DatabaseSource: s.name}
	}
	return &virtualTable{s: s, def: def, sch: sch}
}

func (t *virtualTable) Name() string               { return t.def.name }
func (t *virtualTable) String() string             { return t.s.name + "." + t.def.name }
func (t *virtualTable) Schema() sql.Schema         { return t.sch }
func (t *virtualTable) Collation() sql.CollationID { return sql.Collation_Default }
func (t *virtualTable) Partitions(*sql.Context) (sql.PartitionIter, error) {
	return sql.PartitionsToPartitionIter(singlePartition{}), nil
}

// PartitionRows returns what the session's effective user may see, as
// the statement's first scan of a virtual table listed it (catalogMemo).
func (t *virtualTable) PartitionRows(ctx *sql.Context, _ sql.Partition) (sql.RowIter, error) {
	sess, err := sessionOf(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := sess.catMemo.rowsOf(sess, t)
	if err != nil {
		return nil, err
	}
	return &memoIter{rows: rows}, nil
}

// refuseCatalogWrite refuses a statement that writes (INSERT, UPDATE,
// DELETE) to a table of a virtual schema, naming it, in PostgreSQL's
// words (its tables are views), before the engine would answer with its
// MySQL ones ("table doesn't support INSERT INTO", "Database
// information_schema is read-only."). Only the statement's target is
// looked at (a write is never nested: the translation refuses writes in
// WITH), so a large INSERT costs nothing more, and reading a virtual
// table in a write to a real one (a subquery, INSERT ... SELECT) stays
// allowed. Names without a namespace never resolve to a virtual schema:
// no namespace may take their names. A stored namespace named pg_catalog
// (catalog.Snapshot.LegacyPGCatalog) is written as any other.
func refuseCatalogWrite(snap *catalog.Snapshot, stmt sqlparser.Statement) error {
	var what string
	var targets sqlparser.TableExprs
	switch s := stmt.(type) {
	case *sqlparser.Insert:
		what, targets = "insert into", sqlparser.TableExprs{&sqlparser.AliasedTableExpr{Expr: s.Table}}
	case *sqlparser.Update:
		what, targets = "update", s.TableExprs
	case *sqlparser.Delete:
		what, targets = "delete from", s.TableExprs
	default:
		return nil
	}
	for _, te := range targets {
		at, ok := te.(*sqlparser.AliasedTableExpr)
		if !ok {
			continue
		}
		tn, ok := at.Expr.(sqlparser.TableName)
		if !ok {
			continue
		}
		if ns := strings.ToLower(tn.DbQualifier.String()); ns == infoSchemaName || ns == pgCatalogName && !snap.LegacyPGCatalog() {
			return apierror.New(apierror.PermissionDenied, "cannot %s view %s.%s: %s is read-only",
				what, ns, strings.ToLower(tn.Name.String()), ns)
		}
	}
	return nil
}
