// Package pgsql is KalamDB's front end for standard SQL (SELECT, INSERT,
// UPDATE, DELETE, WITH, VALUES, EXPLAIN SELECT). It parses a statement with
// PostgreSQL's own parser (pg_query_go), so it accepts exactly what
// PostgreSQL accepts, and translates the parse tree into the AST of the
// query engine (the dolthub vitess AST that go-mysql-server plans).
//
// The translation is exact or it is refused: every PostgreSQL construct is
// either translated into an engine construct with PostgreSQL's meaning, or
// the statement fails with INVALID_SQL (or UNSUPPORTED for valid SQL that
// KalamDB does not run) naming the construct. Where the engine's own
// operators or functions mean something else than PostgreSQL's (division,
// ||, casts, null ordering, every function of the library), the
// translation calls KalamDB functions that the engine implements with
// PostgreSQL semantics; their names are the Fn* constants and the
// functions table, so the two sides cannot drift apart silently: a name the
// engine does not register fails the statement instead of falling back to
// a MySQL built-in.
//
// Translate is a pure function of the statement text: the result holds no
// per-user or per-session state and is never modified afterwards, so it
// may be cached by text and shared. Parameters are $1..$n (or ?, turned into
// $n by PostgreSQL's lexical rules) and become the engine's bind variables
// v1..vn.
//
// Errors are *apierror.Error; those about a place in the text carry Details
// {"position", "line", "column"} relative to the statement text (1-based
// byte position), which the caller relocates into the request
// (dialect.StandardSQL.LocateError).
package pgsql
