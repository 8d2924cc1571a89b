package catalog

import "testing"

// TestAttackschema21LegacyPgCatalogNamespace: before pg_catalog became a
// reserved name (dialect.ReservedNamespace), CREATE NAMESPACE pg_catalog
// succeeded (the parser and CreateNamespace refused only system,
// information_schema and mysql). A data directory holding such a
// namespace, opened by this version:
//   - its tables are unreachable: engine.Provider.Database answers the
//     name pg_catalog with the virtual schema before the catalog, so
//     SELECT * FROM pg_catalog.t is TABLE_NOT_FOUND;
//   - information_schema.schemata lists pg_catalog twice, and
//     information_schema.tables / pg_catalog.pg_tables list its tables
//     under pg_catalog as BASE TABLEs that cannot be read;
//   - DROP TABLE pg_catalog.t is PERMISSION_DENIED (catalog.SystemSchema);
//     only DROP NAMESPACE pg_catalog CASCADE (which deletes the data)
//     remains, and a backup of it cannot be restored (ReserveNamespace).
//
// Skipped: the remedy is a decision (refuse to open with a message
// naming the namespace and the way out, rename it on open, or keep
// serving a stored pg_catalog ahead of the virtual one), not a bug fix.
// The test would create the namespace through c.namespaces (bypassing
// CreateNamespace), reopen the catalog and check the chosen behaviour.
func TestAttackschema21LegacyPgCatalogNamespace(t *testing.T) {
	t.Skip("a namespace named pg_catalog created before the name was reserved is shadowed; remedy to be decided (see comment)")
}
