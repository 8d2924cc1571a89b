// Package executor runs statement batches: it parses a request with the
// KalamDB dialect parser, checks each statement against the caller's role,
// runs KalamDB statements (namespaces, tables, users, SHOW/DESCRIBE, ...)
// with its own handlers over the catalog, hands standard SQL to the query
// engine, and shapes every outcome as a wire-contract Result.
//
// It is the single entry point of the database for front ends: the HTTP
// SQL endpoint and, later, other protocols call Execute and nothing else.
package executor
