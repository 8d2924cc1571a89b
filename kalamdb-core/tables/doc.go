// Package tables holds what the engine, the transactions and the tiers all
// need to know of one table beyond its catalog entry, and that does not
// depend on who reads it: its column family, where its primary key is, the
// schema versions its stored rows were written under, the projections that
// decode those rows onto the current schema, the values rows written
// before a column existed read for it, and its secondary indexes with the
// layout of their entries (index.go), and the time of a new STREAM event
// (eventtime.go), which writes take and the sweeper (package streams)
// relies on.
//
// A Table is built once per catalog version of a table (an ALTER or a
// drop and re-create is a new one) and shared by every statement, flush
// and compaction; the Registry hands out the current one. Invariants: a
// Table never changes the catalog table it was built for (so comparing
// Table.Table with a catalog lookup tells whether it is current), and its
// caches only grow by versions and projections that exist.
package tables
