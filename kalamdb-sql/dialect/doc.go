// Package dialect is KalamDB's SQL front door. It owns the lexical rules of
// the dialect, the splitting of a request into statements, the
// classification of every statement of the SQL surface (API.md), and the
// parsing of the KalamDB-specific statements (namespaces, CREATE ... TABLE
// ... WITH, users, storages, flush and compaction, KILL, backups, EXECUTE AS
// USER, transactions) into typed statements.
//
// Standard SQL (SELECT, INSERT, UPDATE, DELETE, WITH, EXPLAIN SELECT) is only
// classified here, in one allocation-free pass over its tokens, and passed on
// as text: the query engine parses it with its own parser (DESIGN §2), so
// parsing it twice would cost every request on the hot path. That pass is
// also where statements the engine must never run are refused: '||' (a
// logical OR in the engine, concatenation to KalamDB users), SELECT ... INTO
// and LOAD_FILE() (nothing a user writes may reach the server's file system),
// and text whose strings or comments the engine's MySQL-family tokenizer
// would cut differently from this one. MySQL executable comments
// ('/*! ... */') and optimizer hints ('/*+ ... */') are refused by the lexer
// itself, so they are INVALID_SQL wherever they sit, in any statement.
//
// Statements that are valid in other dialects but not part of KalamDB's SQL
// (GRANT, LOAD DATA, CREATE INDEX, SET GLOBAL, ...) are rejected here as
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
