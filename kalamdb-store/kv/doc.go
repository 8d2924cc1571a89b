// Package kv is KalamDB's hot tier: a thin, safe layer over RocksDB.
//
// It owns the RocksDB instance, its column families (discovered on open,
// created on demand, dropped on request), point reads and writes, atomic
// write batches, bounded iteration, snapshots, merge-based counters and
// per-family commit hooks (OnCommit: told after every batch that wrote to
// the family, whoever wrote it). It
// knows bytes only; key encodings live in package keyenc and everything about
// tables and SQL lives in the layers above.
//
// # Lifetimes
//
// RocksDB objects are C objects: a column family handle must be destroyed
// before the DB is closed (Debian's RocksDB build asserts on it), and an
// iterator or snapshot must not outlive its column family or DB. Every
// operation therefore holds a reference on the DB and on the column family
// for as long as it touches C memory. Close and DropColumnFamily mark the
// object closed, so new operations fail with ErrClosed / ErrDropped, and then
// wait for the outstanding references to drain before releasing C memory.
// References are counters rather than read locks so that a goroutine may hold
// an iterator open and issue point reads meanwhile (a nested-loop join does)
// without deadlocking against a pending Close.
//
// # Backward reads
//
// Backward reads a prefix's newest entries (an index's newest rows of a
// conversation) in windows read forwards, starting from a hint the
// family keeps per prefix, and keeps the entries a read yielded for the
// next read of the prefix (backcache.go). A kept window is used only when
// the family provably holds the same entries in both reads' snapshots,
// which is why every write goes through DB.Write: it counts itself in
// flight and raises the sequence numbers the windows are checked against.
// Those numbers are kept per prefix for up to four prefix lengths per
// family (for the others, per family, so a write to any prefix makes
// their windows stale); the four slots go to the lengths whose windows
// serve the most reads, lately, and change hands when an untracked
// length is read more, without a window of a length that lost its slot
// ever being served again. Hints and windows only ever save work; a
// stale one is never used as an answer.
package kv
