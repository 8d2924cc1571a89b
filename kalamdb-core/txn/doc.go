// Package txn owns transactions: the writes of one statement (autocommit)
// or of a BEGIN ... COMMIT block, their validation and atomic commit, the
// partition locks every writer of a partition takes, the _seq lease, and
// the publication of committed changes.
//
// # Optimistic concurrency
//
// Table editors never write to RocksDB: they add versions to a Tx (each
// with a new _seq; a DELETE writes a _deleted version). Each write records
// what it expects of the committed version it replaces: no live version
// for an INSERT, the _seq it read for an UPDATE or DELETE. Commit locks
// the partitions it touches, re-reads those versions (the hot one, or when
// there is none the newest cold one), and either writes everything in one
// batch, with the buffered-row counters and the _seq lease, or fails
// without writing anything: a concurrent INSERT of the same key is a
// duplicate key, a concurrent change of a row being updated is a write
// conflict to retry.
//
// # Invariants
//
//   - Partition locks (Locks) are striped and taken in stripe order, so
//     two lockers never wait on each other in a cycle. Commits, flushes
//     and compactions of a partition, and the registration of a live
//     subscriber, hold the partition's lock; so a commit's validation
//     never sees a half-changed manifest, and a subscriber sees each
//     commit exactly once (in its snapshot or in its feed).
//   - The cold version of a key is looked up once per key and
//     transaction: Exists remembers it with the cold tier's epoch of the
//     table, and Commit reuses it unless the epoch moved (a flush,
//     compaction or drop changed the table's files in between).
//   - Within a partition, _seq follows commit order: every _seq a commit
//     writes is above every _seq committed to the partition before it
//     (Manager.inCommitOrder gives a commit that lands behind a newer
//     one new _seq under the locks; each lock stripe keeps the newest
//     _seq committed to each of its recently written partitions, and a
//     floor for the others). Live queries resume from the
//     newest _seq a client saw and rely on it.
//   - Every committed _seq is at or below the persisted lease (seqLease),
//     so _seq keeps growing across restarts even if the clock goes back.
//   - A key the generator issued to its own write (Write.Generated: a
//     SNOWFLAKE_ID() key the fast path generated before the row's _seq,
//     or the _seq itself for tables keyed by it) is below that write's
//     _seq, hence below the lease, hence below every id issued later,
//     in this process or after a restart. Such an INSERT's duplicate
//     check is skipped while its table is clean: a durable record written
//     by CREATE TABLE and deleted in the batch of the first commit that
//     writes a key the generator did not issue to it, or by a restore
//     (keymarks.go). The state is read under the partition lock the
//     commit holds, and an explicit commit marks it before writing.
//   - A statement reads the transaction's writes as they were when it
//     began (BeginStatement, Pending, PendingRange): every earlier
//     statement's latest version, none of its own, whenever its scans
//     open. The duplicate check of an INSERT (Exists) sees them all.
//   - Changes are published (Sink) after the batch is durable and while
//     its partitions are still locked, in commit order per partition.
//   - Secondary index entries change only in commit batches, with the row
//     versions they name (see index.go): one entry per key whose newest
//     version is live, for that version. The indexes a commit maintains
//     are read from the catalog under its partition locks; whoever
//     publishes an index change waits with Locks.Barrier for the commits
//     that may have read the catalog before it.
//
// # Extending
//
// Commit builds its batch in one place (Manager.batch): whatever else must
// change atomically with row versions is derived there from each Write.
package txn
