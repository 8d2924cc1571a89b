// Package cold owns the cold tier's file layer: the Parquet files a flush
// writes per partition (one user of a USER table, or a whole SHARED
// table), their Arrow schema, the Storage they live in, and the Cache of
// what reads decode from them. It writes a sorted stream of row versions
// into one self-describing file, and reads files back by point lookup,
// key range (either direction, filtered, row by row or in column
// batches), projected onto the table's current schema. Which files exist,
// the manifest, and merging them with the hot tier are the flush job's
// and the table provider's business, not this package's.
//
// # File layout
//
// One file holds row versions of one partition in strictly ascending
// _key order, one version per key. Its columns, in order:
//
//	_key      BYTE_ARRAY, required   the row's partition-local primary-key
//	                                 bytes (row.AppendKey of the PK, or of the
//	                                 hidden identity): the sort key
//	_seq      INT64, required        the version's _seq
//	_deleted  BOOLEAN, required      the version is a tombstone
//	<column>  optional, one per column of the table schema the file was
//	          written with, in schema order, named as the column, with
//	          its ColumnID as the Parquet field_id (Arrow field metadata
//	          "PARQUET:field_id"); system columns have no field_id
//
// User columns are optional even when NOT NULL: a tombstone stores no
// values. Pages are Zstd-compressed (level 1) and small, so a point
// lookup decompresses little: a page ends at the first multiple of 256
// values whose size before compression reaches WriteOptions.PageBytes
// (8 KiB), so narrow columns have pages of about 8 KiB and a column of
// longer values (over 32 bytes on average) 256 values a page (chat
// content of 40-400 characters: ~57 KB, 14 KB compressed; see
// writeBatchValues for why not smaller). Every column has statistics
// and a page index (column and offset index); _key and the
// primary-key column have a bloom filter per row group, sized for the
// row group (or the whole file when it is smaller, WriteOptions.
// ExpectedRows) at a 1% false-positive rate; TEXT and JSON columns are
// dictionary encoded unless the dictionary does not pay for itself (a
// column of mostly distinct values falls back to PLAIN before its first
// page) or outgrows 256 KiB. Row groups hold WriteOptions.RowGroupRows
// rows (64K by default). A value over 4 KiB leaves its column chunk
// without min/max statistics: arrow-go drops rather than truncates them.
//
// The footer's key-value metadata makes a file readable without the
// catalog that wrote it:
//
//	kalamdb.format          "1"
//	kalamdb.table_id        table id, "{namespace}:{table}"
//	kalamdb.schema_version  schema version the file was written with
//	kalamdb.schema          JSON: table_id, version and the columns
//	                        (id, name, type, precision, scale, max_length,
//	                        nullable, primary_key) of that version
//	kalamdb.rows            row count
//	kalamdb.min_seq         smallest _seq
//	kalamdb.max_seq         largest _seq
//	kalamdb.min_key         first _key, lower-case hex
//	kalamdb.max_key         last _key, lower-case hex
//
// There is no ARROW:schema entry: the Parquet schema's logical types
// already give back every Arrow type below, and pqarrow (v18.8.0) cannot
// read a stored arrow.json field back.
//
// # Types
//
// Column types map to Arrow, and through pqarrow to Parquet, as follows;
// values go in and come out as the canonical Go types of package row:
//
//	BOOLEAN              Boolean              BOOLEAN                          int8 0/1
//	SMALLINT             Int16                INT32, INT(16, signed)           int16
//	INT                  Int32                INT32                            int32
//	BIGINT               Int64                INT64                            int64
//	FLOAT                Float32              FLOAT                            float32
//	DOUBLE               Float64              DOUBLE                           float64
//	DECIMAL(p,s)         Decimal128(p,s)      FIXED_LEN_BYTE_ARRAY, DECIMAL    decimal.Decimal (exponent -s)
//	TEXT, VARCHAR(n)     String               BYTE_ARRAY, STRING               string
//	BYTES                Binary               BYTE_ARRAY                       []byte
//	JSON                 arrow.json(String)   BYTE_ARRAY, JSON                 types.JSONDocument (compact text on disk;
//	                                                                           pqarrow reads it back as Binary)
//	TIMESTAMP, DATETIME  Timestamp(µs, UTC)   INT64, TIMESTAMP(MICROS, UTC)    time.Time UTC
//	DATE                 Date32               INT32, DATE                      time.Time, midnight UTC
//	TIME                 Time64(µs)           INT64, TIME(MICROS)              types.Timespan
//	UUID                 arrow.uuid           FIXED_LEN_BYTE_ARRAY(16), UUID   canonical lower-case string
//
// # Reading old files
//
// Files are never rewritten when a table's schema changes (compaction
// rewrites them, under the schema of its day). A read names the current
// schema and the wanted columns; the file's columns are matched by
// ColumnID, as package row does for hot rows: a column added since reads
// as nil (File.Missing tells which, for DEFAULTs), a dropped one is not
// read, a re-typed one is converted with row.Normalize.
//
// # Reading
//
// Reads work on data pages, never on whole column chunks: a read finds
// the page of a column that holds a row through the chunk's offset index,
// decodes it once into Go slices (values row-aligned, TEXT as one string
// whose substrings are the values), and picks rows by index. Pages of
// different columns do not line up, so a reader keeps one current page
// per column.
//
//   - File.Lookup checks the row groups' _key min/max, then the
//     candidate's _key bloom filter, then its _key column index (page
//     min/max); it binary-searches the one _key page that can hold the
//     key and, for a key that is there, takes the row from the page of
//     _seq, _deleted and each wanted column that holds it.
//   - File.Rows is a cursor over a key range [Lo, Hi), ascending or
//     descending (Range.Reverse): it seeks the range's ends with the _key
//     page index, walks the row groups and pages in the range's direction
//     and decodes a page only when it reaches it, so ORDER BY pk DESC
//     LIMIT n costs the pages of n rows. ScanRange and Scan are built on it.
//   - Range.Filters bound columns (integers, dates, times, timestamps,
//     BOOLEAN, TEXT and BYTES compared bytewise), each by a range and,
//     optionally, a union of spans (Filter.Spans: an IN list, an OR of
//     ranges): row groups and pages whose statistics meet no span are
//     skipped (a binary search of the spans, not a test of their hull),
//     a row group whose bloom filter (the primary key's column) holds
//     none of a filter's few values too, and so is one whose column is
//     NULL in every row (a null count, no min/max), which no filter
//     passes; a row that fails is dropped before its other columns are
//     decoded. Filters narrow, the
//     caller keeps its predicate (old files are not filtered on columns
//     they predate or that were re-typed since). Dropping a row is only
//     right when no other file can hold an older version of its key (the
//     partition's files have disjoint key ranges over the range read);
//     otherwise Range.KeepFiltered returns failing rows as key-only
//     Row.Filtered rows for the merge.
//   - File.ScanBatches gives the same rows as column vectors that view the
//     decoded pages (read-only, valid during the callback): an aggregate
//     over cold rows allocates nothing per row.
//
// A File is shared by concurrent reads, each with its own context; every
// storage read a lookup or cursor makes (footer at open, bloom filter,
// page indexes, pages) carries that context, through a Parquet reader the
// read borrows from the File on its first cache miss (reader_scope.go):
// the storage's ContextReaderAt ends a ranged GET when the statement ends.
// A read whose storage access failed never gives its reader back, and a
// load abandoned for its context is neither cached nor handed to another
// statement waiting for the same entry (that one loads it itself).
//
// File.Stats counts row groups read and pruned, bloom probes, pages
// pruned, filtered, decoded and found cached, rows decoded, range reads
// that pruned the whole file, and bytes read.
//
// # Cache
//
// A Cache (NewCache, given to OpenFileWith) holds what reads decode,
// shared by every File opened with it: decoded pages, parsed footers,
// per column chunk the offset index (page starts) and column index (page
// min/max), and per row group the _key bloom filter. It is bounded by
// CacheOptions.Bytes (DefaultCacheBytes, 128 MiB: about forty 10,000-row
// chat partitions fully decoded), split into up to 16 shards of at least
// 4 MiB, each evicting least recently used entries first (a hit on an
// entry still in the front quarter of its shard leaves it there); an
// entry larger than a shard is not kept. Concurrent misses of one entry
// load it once; failed loads are not cached. CacheStats counts hits,
// misses, inserts, evictions and invalidations.
//
// Entries are keyed by file identity, row group, column and page. The
// identity is the storage id (OpenOptions.StorageID), the path, the size,
// the modification time and a hash of the footer, which an open reads
// (one small read) to recognise the file: names are reused after DROP
// TABLE and CREATE TABLE (batch numbers restart at 1), but every file's
// footer records its own _seq range, so a rewritten path is a new
// identity and its old entries are unreachable. A File opened again finds
// its footer and pages still cached; Cache.Invalidate (to call when a
// file is deleted) drops a path's entries at once instead of letting them
// age out. A File opened without a Cache keeps its footer and indexes
// (not pages) for as long as it is open.
//
// # Durability
//
// Storage.Create publishes a file only complete: FS writes a temporary
// file in the destination directory (named with the ".tmp-" prefix, which
// List hides and CleanupTemp removes after a crash), fsyncs it, renames
// it, and fsyncs the directory.
//
// # Integrity
//
// Data pages are Zstd frames, whose checksums fail a read of a damaged
// page. The metadata a read trusts before it reaches a page (footer,
// bloom filters, page indexes) is the file's tail, after the last row
// group: WriteFile returns its length and CRC-32C (FileInfo.Meta, kept in
// the manifest entry), and a File opened with it (OpenOptions.Checksum)
// verifies it when its footer is loaded into the cache, once per file
// identity (checksum.go). The footer is parsed from the bytes verified,
// and the same pass records the CRC-32C of each bloom filter, column
// index and offset index the footer locates (24 bytes each, kept with
// the parsed footer): the bloom filters and page indexes, read lazily
// and again after the cache evicted them, are checked against those
// whenever they are read from storage, so a file that rots after its
// first check (same size and modification time) fails the read instead
// of a bloom filter hiding a key. This costs a CRC of the bytes read, no
// extra read: verifying the whole tail again per miss would read it all
// (a GET on an object store) for each bloom filter, and keeping the
// checked tail in the cache would hold every row group's bloom filters
// against its budget. A mismatch matches ErrCorrupt and ErrChecksum; a
// mismatch found after the open also makes the cache drop the file's
// parsed footer, so that the next open verifies it again (a repaired file
// reads, a damaged one fails to open). Files whose manifest entry records no checksum
// (written before checksums) are read unchecked.
// Errors name the file's path: IsReadFailure tells callers which errors
// are the storage's, for the log, never for a user.
package cold
