// Package row owns the hot-tier row value format and the primary-key key
// encoding of table rows (docs/architecture.md), together with the conversions a
// value goes through on its way in (Normalize) and out (WireValue).
//
// # In-memory values
//
// A row is a []any in schema column order. Each column type has exactly one
// Go representation, the one go-mysql-server uses for the engine type the
// column is exposed as, so decoded rows go to the engine without conversion:
//
//	BOOLEAN                    int8 (0 or 1; the engine's BOOLEAN is TINYINT(1))
//	SMALLINT, INT, BIGINT      int16, int32, int64
//	FLOAT, DOUBLE              float32, float64 (NaN, ±Inf and -0 are kept)
//	DECIMAL(p,s)               decimal.Decimal
//	TEXT, UUID                 string (UUID: canonical lower-case, 36 chars)
//	BYTES                      []byte
//	JSON                       types.JSONDocument
//	TIMESTAMP, DATETIME        time.Time, UTC, microsecond precision
//	DATE                       time.Time, midnight UTC
//	TIME                       types.Timespan (microseconds)
//	NULL                       nil
//
// Normalize turns the looser values the engine hands the write path into
// these; Encode accepts only these.
//
// # Value format (version 1)
//
// A row version is stored as one RocksDB value:
//
//	offset  size     field
//	0       1        format byte, 0x01
//	1       1        flags: bit 0 = _deleted; other bits must be zero
//	2       8        _seq, big-endian
//	10      uvarint  schema version the row was written with
//	        uvarint  column count n: the number of columns of that schema
//	                 version, or 0 for a tombstone without values
//	        ⌈n/8⌉    null bitmap: bit i (byte i/8, bit i%8) set = column i is NULL
//	        ...      the non-NULL values, in the column order of that version
//
// The fixed-position header lets DecodeHeader read _seq and _deleted (the
// commit path's conflict check and the deleted-row filter) without touching
// the columns. Values carry no type tags: the schema version names the
// schema that says how to read them. Each value is:
//
//	BOOLEAN                    1 byte, 0 or 1
//	SMALLINT, INT, BIGINT      zigzag varint
//	FLOAT                      4 bytes, IEEE 754 little-endian
//	DOUBLE                     8 bytes, IEEE 754 little-endian
//	DECIMAL                    zigzag varint exponent e, uvarint h = len(m)<<1 | negative,
//	                           then m, the big-endian magnitude of the coefficient c;
//	                           the value is c × 10^e (exact; 0 is h = 0)
//	TEXT, BYTES                uvarint length, bytes
//	JSON                       uvarint length, compact JSON text
//	UUID                       16 raw bytes
//	TIMESTAMP, DATETIME        zigzag varint microseconds since the Unix epoch
//	DATE                       zigzag varint days since the Unix epoch
//	TIME                       zigzag varint microseconds
//
// Varints keep the common small values (flags, counts, small ids, dates)
// short; floats are fixed width because their bits do not shrink. Time
// values are limited to the years 0001..9999, the range the wire format can
// print.
//
// # Reading old rows
//
// Rows are never rewritten when a table's schema changes. A Projection maps
// the columns of the version a row was written with onto the current
// version by ColumnID: a column added since reads as NULL and is reported
// by Missing (the caller applies its DEFAULT), a dropped column is skipped,
// a re-typed column is converted with Normalize. Only wanted columns are
// decoded; the others are skipped without allocating.
//
// Decoding never trusts its input: any malformed value yields an error
// wrapping ErrCorrupt, never a panic.
//
// # Keys
//
// AppendKey writes a primary-key value with the order-preserving encodings
// of kalamdb-store/keyenc, so the byte order of keys is the SQL order of
// the values. UserKey and SharedKey build whole keys of USER and SHARED
// tables.
package row
