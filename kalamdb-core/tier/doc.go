// Package tier owns the tier lifecycle of table data: moving hot rows from
// RocksDB to Parquet files (flush), merging a partition's files
// (compaction), building and dropping secondary indexes (index.go), the
// flush policies and their loop, deleting what dropped
// tables and namespaces leave in the storages (cleanup), removing files
// nothing lists any more (orphans, and the files a compaction replaced,
// once no reader can still use them), and redoing jobs a crash
// interrupted. It also serves the cold side of reads: the manifests
// (system.manifest, one row per partition, mirrored to manifest.json), the
// open storages (cold.Storage), a cache of open files and the cold.Cache
// of what reads decode from them, the files of a partition at a
// snapshot, cursors over them and point lookups, table statistics, and
// the partition feeds live queries register through.
//
// # Invariants
//
//   - A partition's manifest changes under its partition lock (txn.Locks)
//     when a flush or compaction changes it, in the same batch as
//     whatever else the change does (a flush deletes the hot versions it
//     wrote and lowers the partition's counter), or in the batch of the
//     table's catalog rows when a drop or restore removes or creates the
//     table. Every such change moves the table's epoch once it is
//     visible (flush and compaction before they unlock): commits reuse a
//     cold lookup while it holds (txn.Cold), and so does the cache of the
//     latest manifests (manifestCache). Every such change is also counted,
//     from before its batch until the batch is written or has failed, in
//     the stripe of the partition it changes (flush, compaction) or of
//     the table (drop, restore) (manifestWrites): reads at a snapshot use
//     a settled cache entry only while neither of its stripes has a write
//     in progress or has moved since it was read, so a flush of one
//     partition leaves the other partitions' entries answering.
//   - Readers read the manifest at their snapshot, so a file is visible
//     only once listed; a file a compaction replaced stays on disk for
//     the grace period and while any feed snapshot that can see it is
//     open (obsoleteFiles).
//   - Nothing outside what the server wrote is ever deleted: batch files
//     numbered up to a partition's next batch, manifest.json, and the
//     storage's own temporary files; directories only with rmdir once
//     empty. Writers re-check a storage's safety first (writableStorage).
//   - An open file is known by its manifest entry (path, size, _seq
//     range), never by its path alone, and a file deleted is forgotten
//     with its cached pages.
//   - Flush, compaction and cleanup of a table share the table's job key,
//     so they never run at once, and a re-created table never writes into
//     a directory while a cleanup is emptying it.
//   - A batch file's name carries the incarnation of the table that wrote
//     it (newBatchName), and a mirror names it too: a dropped table's
//     cleanup removes its own files by that, whatever their times, and
//     never the files of a table created again, or restored, under its
//     name into the same directories, whenever those were written (before
//     the cleanup runs, or with times before the drop: file times lag).
//     Only names that tell no writer (written before incarnations) are
//     judged by their times.
package tier
