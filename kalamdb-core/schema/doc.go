// Package schema is the data model's type table, at the bottom of the
// database core: for every column type, how its values are stored (Kind),
// its query engine type, its name on the wire and in SQL (and
// PostgreSQL's names of it, PostgresType), whether it may
// be a primary key and which DEFAULT functions produce it; plus the system
// columns _seq and _deleted and the column family naming of table data.
//
// Invariants: a type the table does not list is refused when a table is
// created, so every type stored in the catalog has a row here; KindOf,
// a switch because it runs per value on the write path, knows exactly
// the table's types (TestTypeTableAndKinds). Adding or changing a type is
// a change here (and in the value code of row and cold that switches on
// its Kind), nowhere else. The package imports nothing of the core.
package schema
