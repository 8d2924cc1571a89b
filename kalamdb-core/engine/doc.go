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
//
// Resource governance is also the engine's: every statement runs under the
// time limit of its role and stops, wherever it is, when its context ends
// (every operator's iterator checks it, see checkedBuilder); a statement is
// refused before anything parses it when it is too deep or too large to
// plan in bounded time (pgsql.Limits); every function that can build a
// value larger than its arguments checks the size first and charges it to
// the statement's memory budget, as do aggregates that keep rows; regular
// expressions run in linear time (package regex); and a result stops
// growing at its byte bound. Limits holds the bounds.
package engine
