// Package dialect is KalamDB's SQL front door. It owns the lexical rules of
// the dialect, the splitting of a request into statements, the
// classification of every statement of the SQL surface (docs/api.md), and the
// parsing of the KalamDB-specific statements (namespaces, CREATE ... TABLE
// ... WITH, users, storages, flush and compaction, KILL, backups, EXECUTE AS
// USER, transactions) into typed statements.
//
// Standard SQL (SELECT, INSERT, UPDATE, DELETE, WITH, VALUES, EXPLAIN
// SELECT) is only classified here, in one allocation-free pass over its
// tokens, and passed on as text with its place in the request: package
// pgsql parses it with PostgreSQL's own parser and translates it for the
// engine, refusing whatever KalamDB does not run. The lexer follows
// PostgreSQL's lexical rules (standard strings, E'...' strings, dollar quotes,
// nested comments), so a batch is cut into statements exactly where
// PostgreSQL would cut it. MySQL executable comments ('/*! ... */') and
// optimizer hints ('/*+ ... */') are refused by the lexer itself, so they
// are INVALID_SQL wherever they sit, in any statement.
//
// Statements that are valid in other dialects but not part of KalamDB's SQL
// (GRANT, LOAD DATA, CREATE VIEW, SET GLOBAL, ...) are rejected here as
// well, rather than reaching the engine.
//
// Every error is an *apierror.Error: EMPTY_SQL, BATCH_PARSE_ERROR or
// INVALID_SQL. Errors that point at the text carry Details
// {"position", "line", "column"}: a 1-based byte position within the whole
// request, and a 1-based line and character column.
//
// The package executes nothing and needs no catalog: checks that depend on
// existing objects (does the table exist, is TTL allowed for that table) are
// the executor's. It is pure Go with no dependencies beyond apierror, has no
// mutable package state, and is safe for concurrent use.
package dialect
