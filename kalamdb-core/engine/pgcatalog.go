package engine

import (
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// pg_catalog holds the two views of PostgreSQL's system catalog that list
// tables and views by name, pg_tables and pg_views, with PostgreSQL 15's
// columns, over the same listing as the information schema (listCatalog):
// what the caller may see. The catalogs keyed by object ids (pg_class,
// pg_attribute, pg_namespace, pg_type) are not there: KalamDB's objects
// have no ids a client could join on. The provider answers the name
// pg_catalog (Provider.Database), which no namespace may take, unless a
// namespace an older version created has it
// (catalog.Snapshot.LegacyPGCatalog): that namespace is served, and this
// schema is not, until it is dropped.

// pgCatalogName is the schema's name.
const pgCatalogName = "pg_catalog"

// newPGCatalog is pg_catalog; its tables are in name order.
func newPGCatalog(p *Provider) *virtualSchema {
	return &virtualSchema{p: p, name: pgCatalogName, tables: []*virtualTableDef{
		{name: "pg_tables", rows: pgTableRows, cols: concatColumns(
			textColumns("schemaname", "tablename", "tableowner", "tablespace"),
			columnsOf(dialect.TypeBoolean, "hasindexes", "hasrules", "hastriggers", "rowsecurity"))},
		{name: "pg_views", rows: pgViewRows, cols: textColumns("schemaname", "viewname", "viewowner", "definition")},
	}}
}

// pgTableRows: KalamDB's tables and the system tables. hasindexes is
// set for a table with a primary key or a secondary index (PostgreSQL's
// primary keys are indexes); rowsecurity for USER and STREAM tables,
// whose rows each user reads only their own of. Owners and tablespaces
// do not exist: NULL.
func pgTableRows(l *catalogListing) []virtualRow {
	var out []virtualRow
	for _, r := range l.relations {
		if r.kind != relTable && r.kind != relSystem {
			continue
		}
		row := virtualRow{"schemaname": r.schema, "tablename": r.name, "hasindexes": false, "hasrules": false,
			"hastriggers": false, "rowsecurity": false}
		if r.kind == relTable {
			indexed := len(r.table.Meta.Indexes) > 0
			for _, c := range r.cols {
				indexed = indexed || c.primaryKey
			}
			tt := r.table.Meta.TableType
			row["hasindexes"] = indexed
			row["rowsecurity"] = tt == dialect.TableTypeUser || tt == dialect.TableTypeStream
		}
		out = append(out, row)
	}
	return out
}

// pgViewRows: the views (catalogListing.views).
func pgViewRows(l *catalogListing) []virtualRow {
	var out []virtualRow
	l.views(func(r relation, text any) {
		out = append(out, virtualRow{"schemaname": r.schema, "viewname": r.name, "definition": text})
	})
	return out
}
