// Package backup owns BACKUP DATABASE, RESTORE DATABASE and SHOW BACKUPS:
// writing a consistent copy of one namespace to a backup location,
// restoring it into a namespace that does not exist (on this server or
// another), and the registry of the backups this server took. Both run as
// jobs (system.jobs); a namespace has one backup or restore running at a
// time. docs/backup.md describes the format and the guarantees for users.
//
// # Where backups go
//
// A backup is a set of files in a cold.Storage rooted at its location,
// opened by an Opener (Locations picks one by the location's kind):
// LocalOpener for directories inside the operator's [backup]
// allowed_roots (never overlapping the data directory, RocksDB or a
// storage); S3Opener for s3://bucket/prefix in the bucket of an s3
// storage, through that storage's endpoint and credentials (the SQL
// carries none) and never overlapping a storage's table data. The writer
// and the reader are the same for both. A location that is not empty is
// refused, and so is one overlapping a backup this service is writing.
//
// # Consistency (backup)
//
// Everything of the namespace is read at one RocksDB snapshot: its
// system rows (namespace, tables with every schema version, views,
// manifests), the hot versions of every partition (deleted ones and _seq
// included, as stored), the secondary index entries, the partitions'
// counters and the rows of the users owning partitions. A flush moves
// versions from RocksDB to a file in one batch that also appends the file
// to the manifest, so at the snapshot every version is either hot or in a
// file its manifest lists, never both or neither.
//
// The Parquet files the snapshot's manifests list are copied after the
// snapshot is taken, while flushes and compactions go on. Invariant: a
// file listed at the snapshot exists until the backup ends. Flush only
// adds files. Compaction replaces files, but the backup's snapshot is a
// tier.PinnedSnapshot: the pin is taken before the snapshot, and the
// files a compaction replaces after it are retired at a later generation,
// whose removal waits for every older pin (tier's obsoleteFiles); orphan
// removal skips retired files. Only DROP TABLE deletes listed files at
// once (its cleanup job): a table dropped during its backup fails the
// backup, which can be run again.
//
// # Files and checksums
//
// backup.json (Manifest) is written last: a location without it holds no
// backup. It carries the format version (FormatVersion; a newer one is
// refused) and the size and SHA-256 of every other file: catalog.json
// (the system rows and the user rows, password hashes included), hot/T.kv
// and index/T.kv (the raw pairs of each table's families) and
// files/T/... (the Parquet files, byte for byte). A backup that fails
// (an error, a full disk, KILL JOB) removes every file it wrote. From
// the moment its place is created until it ends, a backup has a pending
// entry in the registry; one left by a dead process becomes a recovery
// job at the next start (pending.go), which removes the partial backup's
// files, or records the backup when its backup.json was written.
//
// # Restore
//
// A restore reserves the namespace in the catalog (CREATE NAMESPACE of
// that name is refused meanwhile), checks every file's size, then writes
// where nothing reads yet: new column families of the tables, and the
// Parquet files in the partition directories of their storages. Every
// file is checked against its SHA-256 as it is read, before what was read
// from it can become visible. Then one catalog commit publishes the
// namespace, tables, schemas, views, new users, manifests, counters and
// the _seq lease together. Any failure before that commit drops the
// families and deletes the files it wrote, so a damaged backup leaves
// nothing behind; a crash before it leaves families no table owns (dropped
// at the next start) and unlisted files, which a recovery job removes at
// the next start: a restore has a pending entry in the registry, naming
// the partition directories it copies into and its tables' incarnations,
// from before its first copy until it ends (restorepending.go). The _seq
// generator observes the largest _seq restored before the commit, so every
// later write is newer than every restored version and subscriptions
// resume with from_seq_id. What an untrusted backup may move is bounded
// by what it restores: its _seq values at most maxSeqAhead past the
// clock, the rows of each Parquet file spanning exactly the _seq range
// its entry gives, which the partition's restore horizon is taken from
// (read as the file is copied: checkFileSeqs), its counters of
// buffered rows at most the hot rows of their partitions (a dba may
// forge its own backup: restore.go, commit).
//
// Users follow catalog.UserPlan: partitions go to the user of the same
// name here, who is kept as is, and never of a lower role than the
// backup's user (checkNamesakes: one check of the plan, at the statement
// and again at the commit); missing users are created as stored, without
// a password when the backup holds none (a dba's: they cannot sign in
// until one is set). A user row whose role is no role is damage.
//
// # Who may back up what
//
// A backup holds no more than its caller may read (caller.go): a dba's
// leaves the password hashes out and refuses a namespace where a system
// user owns rows, checked at the statement and again at the job's
// snapshot, before anything is written.
//
// # Signatures, and who may restore what
//
// backup.json carries an HMAC-SHA256 of itself under a key derived from
// the storage secret key (signing.go); as it lists every file's SHA-256,
// the signature covers every byte a restore reads. A restore writes no
// more than its caller may write (caller.go): a dba's restore, and a
// system user's restore of a backup whose signature is not this server's
// (a dba may write where backups are), creates no system user and puts no
// row into a system user's partition. The caller's role is the lower of
// its role at the statement and at the job's start, and a caller below
// that role at the commit fails the restore (checkCallerRole).
package backup
