// Package engine connects the catalog and the hot and cold tiers to the
// query engine, go-mysql-server (DESIGN §2). It owns the engine's
// DatabaseProvider (namespaces as databases, plus the read-only system
// database), the table providers for USER, SHARED and STREAM tables, the
// engine session that carries the caller's identity, and KalamDB's SQL
// functions.
//
// Isolation is a property of the table provider: a USER or STREAM table
// resolved for a session is built for that session's effective user and
// can only ever read or write that user's key prefix. No WHERE clause is
// rewritten.
package engine
