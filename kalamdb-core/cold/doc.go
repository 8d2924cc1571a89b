// Package cold owns the cold tier's file layer: the Parquet
// files a flush writes per partition (one user of a USER table, or a
// whole SHARED table), their Arrow schema, and the Storage they live in.
// It writes a sorted stream of row versions into one self-describing
// file, and reads files back by key range or by point lookup, projected
// onto the table's current schema. Which files exist, the manifest, and
// merging them with the hot tier are the flush job's and the table
// provider's business, not this package's.
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
// values. Pages are Zstd-compressed (level 1) and small (8 KiB before
// compression, so a point lookup decompresses little); every column has
// statistics and a page index (column and offset index); _key and the
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
// # Pruning
//
// A key-range scan reads only the wanted columns, only from row groups
// whose _key statistics overlap the range, and starts decoding at the
// page that holds its lower bound (found with the _key page index), so
// a paginated read costs pages, not row groups. A point lookup checks the
// row groups' _key min/max, then the candidate's _key bloom filter, then
// its _key page index; it then reads one _key page and, for a key that is
// there, one page of _seq, _deleted and each wanted column, through the
// offset indexes. File.Stats counts all of it.
//
// # Durability
//
// Storage.Create publishes a file only complete: FS writes a temporary
// file in the destination directory (named with the ".tmp-" prefix, which
// List hides and CleanupTemp removes after a crash), fsyncs it, renames
// it, and fsyncs the directory.
package cold
