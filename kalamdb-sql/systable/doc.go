// Package systable owns KalamDB's system tables: one Go model per table of
// docs/api.md (system.namespaces, tables, table_schemas, users, storages,
// live_queries, jobs, manifest), each persisted as JSON in its own column
// family, and all of them read and written through the one generic Table[T]
// code path.
//
// A model is described once by a Def: its SQL name, column family, key and
// the columns it shows to SQL. The query engine exposes every Def the same
// way through the type-erased SQLTable interface, so adding a system table
// is adding a model and a Def, never another copy of CRUD or scan code.
//
// JSON is deliberate: system rows are small and rarely written, and JSON
// keeps them readable in a debugger and tolerant of added fields across
// versions. Hot user data uses a compact binary encoding instead.
package systable
