// Package engine is the query-engine adapter: it runs standard SQL on
// go-mysql-server over KalamDB's tables. It owns the DatabaseProvider
// (namespaces as databases, plus the read-only system database and the
// virtual schemas information_schema and pg_catalog, PostgreSQL's, in
// place of the engine's MySQL information_schema: virtualschema.go,
// infoschema.go, pgcatalog.go, listing what the caller may see as
// catalogrels.go decides), the table
// providers of USER, SHARED and STREAM tables with the iterator that
// merges a key range's hot rows, the transaction's own writes and the cold
// files, the editors that turn the engine's row edits into writes of the
// statement's transaction (package txn), the session that carries the
// effective identity, KalamDB's SQL functions with PostgreSQL semantics
// (pg*.go), the analyzer rules (among them the scan filters that hand a
// WHERE's integer bounds to the table scan), secondary indexes as engine
// indexes (index*.go: lookups, the sort they make unnecessary, their fast
// path), the fast path for primary-key lookups and plain INSERTs, the plan
// cache of statements by text, the group scan that computes simple GROUP
// BYs from stored values, the encoding of results for the wire, and the
// compilation of live query filters. Transactions, the tier lifecycle and permissions
// are other packages' (txn, tier, authz); the engine asks them.
//
// # Invariants
//
//   - Isolation is a property of the table provider: a USER or STREAM table
//     resolved for a session is built for that session's effective user
//     (whose id must name a partition) and can only ever read or write that
//     user's key prefix, of the table and of its indexes. No WHERE clause
//     is rewritten. The fast path opens tables through the same factory.
//   - A statement reads every table, tier and manifest at one snapshot,
//     taken at its first read of a data table.
//   - Nothing reaches the store before the transaction commits.
//   - Nothing cached across statements depends on who runs them: the plan
//     cache holds translations and fast-path plans bound to a table
//     version (indexes included); permissions, partitions and the
//     expansion of views are decided on every run.
//   - The shortcuts (fast path, scan filters, group scan) answer exactly
//     as the planner would, or step aside. Options.DisableFastPath turns
//     the fast path and the group scan off, for tests to compare; scan
//     filters only narrow what a scan returns, under the plan's own
//     Filter.
//   - Resource governance: every statement runs under the time limit of
//     its role and stops, wherever it is, when its context ends (every
//     operator's iterator checks it, see checkedBuilder, and so does every
//     planner step, see boundPlanning); a statement is refused before
//     anything parses it when it is too deep or too large to plan in
//     bounded time (pgsql.Limits), before planning when its WITH queries
//     expand too far (MaxCTEExpansions) or it joins too many tables
//     (MaxStatementJoinTables), and before the join optimizer starts
//     when its joins are (MaxJoinTables); long lists of values compared
//     with a column, or with a table's columns together, are filtered,
//     not looked up (MaxIndexRanges); windows check the context before
//     each value they compute (buildWindow); sorts, top-Ns and windows
//     compare texts by their bytes and check it as they compare
//     (kdb_text_order: the engine's sorts never look at it), and so do
//     text comparisons inside expressions (a window's keys included),
//     ordered aggregates, GREATEST, LEAST, CASE and NULLIF; every
//     function that can build a value larger than its arguments checks
//     the size first, and decimal text its digits, and what a statement
//     keeps (aggregate state, groups, rows held by operators and IN
//     subqueries, the rows it writes) is charged to its memory budget;
//     a large text or bytes constant (a parameter's value) is planned
//     as a largeLiteral, which prints its size, not its value, however
//     often the planner prints it; regular expressions run in linear
//     time (package regex); and a
//     result stops growing at its row and byte bounds. Limits holds the
//     configurable bounds.
//   - information_schema and pg_catalog list exactly what SHOW TABLES and
//     DESCRIBE TABLE would show the session's effective user
//     (listCatalog), computed at the statement's first scan of them and
//     kept for the rest of the statement only (catalogMemo): one listing
//     per statement, however often it scans them; no MySQL table or
//     column of the engine's information_schema is reachable.
//   - Floats follow PostgreSQL's order (NaN equals NaN and sorts last):
//     comparisons, sort keys and min/max of floats are KalamDB's, never
//     the engine's, which panics converting NaN to a decimal.
package engine
