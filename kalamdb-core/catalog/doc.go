// Package catalog owns the database's metadata at run time: namespaces,
// tables with their current schema and secondary index definitions,
// views, users and storages. It loads them from the system tables of
// kalamdb-sql at start, serves reads from an immutable
// in-memory Snapshot (one atomic load, no lock, on every statement), and
// applies every change by first writing the system rows in one atomic batch
// and only then publishing a new Snapshot. A crash between the two loses
// nothing: the next start rebuilds the snapshot from the rows.
//
// Changes are serialised by one mutex; they are rare (DDL, user
// management) while reads are on every request.
//
// Dropping a table or a namespace takes the caller's own work for the
// same batch as a parameter (DropWork: the tiers' manifests and cleanup
// job) and returns that work's after-commit steps to the caller, so what
// is dropped, and what must be cleaned up after it, commit together; the
// catalog calls nothing of the layers above it but the work and, when the
// drop fails, the work's steps, told that nothing committed.
//
// Views are stored as their query's text, with the columns each table or
// view they read had when they were created; tables and views share one
// name space per namespace. That list decides who may see a view, so the
// catalog completes, when it opens and when it restores a namespace, a
// list an older version recorded too short (Options.ViewReads).
//
// Storages: a filesystem storage the catalog accepts neither contains the
// data directory nor overlaps the RocksDB directory or another storage,
// and lies in an allowed root (StorageRules); its path templates map
// (namespace, table, user) to directories injectively, none inside
// another, across all tables (Template). Writers re-check a storage with
// StorageSafety, since one stored by an older version may break a rule.
package catalog
