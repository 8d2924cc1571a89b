package engine

import (
	"strconv"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
)

// KalamDB's information_schema is PostgreSQL's, in place of the engine's
// (MySQL's: upper-case columns, ENGINE and collation columns, MySQL type
// names, InnoDB views). The engine's catalog answers every lookup of the
// database information_schema with its InfoSchema, which New replaces
// with newInfoSchema's before the first statement, so the engine's
// own tables are never reachable.
//
// Invariants:
//   - Tables and their columns are PostgreSQL 15's, names and order
//     (lower-case; the columns PostgreSQL shares with DataFusion come
//     first in both), and a value is what PostgreSQL shows for the same
//     object, or NULL where KalamDB has no such notion (owners, character
//     sets, collations, identities). Column types are named as
//     PostgreSQL names them (schema.PostgresType).
//   - What is listed is exactly what the caller may see (listCatalog, the
//     one rule, in catalogrels.go), computed from the catalog at the
//     statement's first scan and kept for its other scans (catalogMemo);
//     nothing is cached across statements.
//   - A column or table MySQL's information_schema has and PostgreSQL's
//     does not is unknown: "column ... does not exist" (INVALID_SQL),
//     relation not found (TABLE_NOT_FOUND).

// infoSchemaName is the information schema's name, reserved: no
// namespace may take it (catalog.CreateNamespace).
const infoSchemaName = "information_schema"

// catalogName is the catalog (PostgreSQL: the database) of every schema:
// table_catalog, catalog_name, udt_catalog.
const catalogName = "kalamdb"

// newInfoSchema is the information schema; its tables are in name order.
func newInfoSchema(p *Provider) *virtualSchema {
	return &virtualSchema{p: p, name: infoSchemaName, tables: []*virtualTableDef{
		{name: "columns", rows: columnRows, cols: concatColumns(
			textColumns("table_catalog", "table_schema", "table_name", "column_name"),
			intColumns("ordinal_position"),
			textColumns("column_default", "is_nullable", "data_type"),
			intColumns("character_maximum_length", "character_octet_length", "numeric_precision",
				"numeric_precision_radix", "numeric_scale", "datetime_precision"),
			textColumns("interval_type"),
			intColumns("interval_precision"),
			textColumns("character_set_catalog", "character_set_schema", "character_set_name",
				"collation_catalog", "collation_schema", "collation_name",
				"domain_catalog", "domain_schema", "domain_name",
				"udt_catalog", "udt_schema", "udt_name",
				"scope_catalog", "scope_schema", "scope_name"),
			intColumns("maximum_cardinality"),
			textColumns("dtd_identifier", "is_self_referencing", "is_identity", "identity_generation", "identity_start",
				"identity_increment", "identity_maximum", "identity_minimum", "identity_cycle", "is_generated",
				"generation_expression", "is_updatable"))},
		{name: "key_column_usage", rows: keyColumnRows, cols: concatColumns(
			textColumns("constraint_catalog", "constraint_schema", "constraint_name", "table_catalog", "table_schema", "table_name", "column_name"),
			intColumns("ordinal_position", "position_in_unique_constraint"))},
		{name: "schemata", rows: schemaRows, cols: textColumns("catalog_name", "schema_name", "schema_owner",
			"default_character_set_catalog", "default_character_set_schema", "default_character_set_name", "sql_path")},
		{name: "table_constraints", rows: constraintRows, cols: textColumns("constraint_catalog", "constraint_schema", "constraint_name",
			"table_catalog", "table_schema", "table_name", "constraint_type", "is_deferrable", "initially_deferred", "enforced", "nulls_distinct")},
		{name: "tables", rows: tableRows, cols: textColumns("table_catalog", "table_schema", "table_name", "table_type",
			"self_referencing_column_name", "reference_generation", "user_defined_type_catalog", "user_defined_type_schema",
			"user_defined_type_name", "is_insertable_into", "is_typed", "commit_action")},
		{name: "views", rows: viewRows, cols: textColumns("table_catalog", "table_schema", "table_name", "view_definition", "check_option",
			"is_updatable", "is_insertable_into", "is_trigger_updatable", "is_trigger_deletable", "is_trigger_insertable_into")},
	}}
}

func yesNo(b bool) string {
	if b {
		return "YES"
	}
	return "NO"
}

// facet is an integer column's value: NULL for schema.NoFacet.
func facet(n int) any {
	if n == schema.NoFacet {
		return nil
	}
	return int32(n)
}

func schemaRows(l *catalogListing) []virtualRow {
	out := make([]virtualRow, 0, len(l.schemas))
	for _, s := range l.schemas {
		out = append(out, virtualRow{"catalog_name": catalogName, "schema_name": s})
	}
	return out
}

// tableRows: KalamDB's tables and the system tables are BASE TABLEs,
// views and the information schema's own tables VIEWs, as in PostgreSQL.
func tableRows(l *catalogListing) []virtualRow {
	out := make([]virtualRow, 0, len(l.relations))
	for _, r := range l.relations {
		kind := "BASE TABLE"
		if r.kind == relView || r.kind == relCatalog {
			kind = "VIEW"
		}
		out = append(out, virtualRow{"table_catalog": catalogName, "table_schema": r.schema, "table_name": r.name,
			"table_type": kind, "is_insertable_into": yesNo(r.kind == relTable), "is_typed": "NO"})
	}
	return out
}

// viewRows: the views (catalogListing.views), all read-only.
func viewRows(l *catalogListing) []virtualRow {
	var out []virtualRow
	l.views(func(r relation, text any) {
		out = append(out, virtualRow{"table_catalog": catalogName, "table_schema": r.schema, "table_name": r.name,
			"view_definition": text, "check_option": "NONE", "is_updatable": "NO", "is_insertable_into": "NO",
			"is_trigger_updatable": "NO", "is_trigger_deletable": "NO", "is_trigger_insertable_into": "NO"})
	})
	return out
}

func columnRows(l *catalogListing) []virtualRow {
	var out []virtualRow
	for _, r := range l.relations {
		for i, c := range r.cols {
			t := schema.PostgresType(c.typ)
			ordinal := c.ordinal
			if ordinal == 0 {
				ordinal = i + 1
			}
			row := virtualRow{"table_catalog": catalogName, "table_schema": r.schema, "table_name": r.name,
				"column_name": c.name, "ordinal_position": int32(ordinal), "is_nullable": yesNo(c.nullable && !c.primaryKey),
				"data_type": t.DataType, "character_maximum_length": facet(t.CharMaxLength),
				"character_octet_length": facet(t.CharOctetLength), "numeric_precision": facet(t.NumericPrecision),
				"numeric_precision_radix": facet(t.NumericRadix), "numeric_scale": facet(t.NumericScale),
				"datetime_precision": facet(t.DatetimePrecision), "udt_catalog": catalogName, "udt_schema": pgCatalogName,
				"udt_name": t.UDTName, "dtd_identifier": strconv.Itoa(ordinal), "is_self_referencing": "NO",
				"is_identity": "NO", "identity_cycle": "NO", "is_generated": "NEVER", "is_updatable": yesNo(c.updatable)}
			if c.def != "" {
				row["column_default"] = c.def
			}
			out = append(out, row)
		}
	}
	return out
}

// primaryKeys are the primary keys of the listed tables: PostgreSQL names
// a table's primary key constraint table_pkey. A table without a
// declared primary key (its hidden identity is _seq) has none; NOT NULL
// is not listed as a CHECK constraint (PostgreSQL lists it).
func primaryKeys(l *catalogListing, each func(r relation, col string)) {
	for _, r := range l.relations {
		if r.kind != relTable {
			continue
		}
		for _, c := range r.cols {
			if c.primaryKey {
				each(r, c.name)
			}
		}
	}
}

func constraintRows(l *catalogListing) []virtualRow {
	var out []virtualRow
	primaryKeys(l, func(r relation, _ string) {
		out = append(out, virtualRow{"constraint_catalog": catalogName, "constraint_schema": r.schema,
			"constraint_name": r.name + "_pkey", "table_catalog": catalogName, "table_schema": r.schema, "table_name": r.name,
			"constraint_type": "PRIMARY KEY", "is_deferrable": "NO", "initially_deferred": "NO", "enforced": "YES"})
	})
	return out
}

func keyColumnRows(l *catalogListing) []virtualRow {
	var out []virtualRow
	primaryKeys(l, func(r relation, col string) {
		out = append(out, virtualRow{"constraint_catalog": catalogName, "constraint_schema": r.schema,
			"constraint_name": r.name + "_pkey", "table_catalog": catalogName, "table_schema": r.schema, "table_name": r.name,
			"column_name": col, "ordinal_position": int32(1)})
	})
	return out
}
