package cold

// This file is longer than most on purpose: writing a file is one pipeline
// (schema, writer properties, batching, one column builder per Kind) whose
// parts are read in order.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/ids"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// Row is one row version as stored in a cold file.
type Row struct {
	// Key is the row's partition-local primary-key bytes: the
	// order-preserving encoding of its primary key (row.AppendKey), or of
	// its hidden identity for a table without one. Files are sorted by it.
	Key []byte
	// Seq is the row version's _seq.
	Seq int64
	// Deleted is _deleted: the version is a tombstone.
	Deleted bool
	// Values are the column values in schema column order (for Scan and
	// Lookup results: in the order of the wanted columns), each nil or of
	// its column's canonical Go type (package row). A tombstone may have
	// nil Values: its columns are stored as NULL.
	Values []any
	// Filtered marks a row a range read with Range.KeepFiltered returns
	// although it fails the read's filters: only Key, Seq and Deleted are
	// set. Writers ignore it.
	Filtered bool
}

// RowSource yields the rows of a file being written, in strictly
// ascending Key order.
type RowSource interface {
	// Next returns the next row, or ok == false at the end. The row and
	// the memory it references need only stay valid until the next call:
	// the writer copies what it keeps, so a source may reuse buffers (a
	// RocksDB iterator's, say).
	Next() (r Row, ok bool, err error)
}

// SourceFunc adapts a function to RowSource.
type SourceFunc func() (Row, bool, error)

// Next implements RowSource.
func (f SourceFunc) Next() (Row, bool, error) { return f() }

// SliceSource is a RowSource over rows already in memory (tests, small
// compactions).
func SliceSource(rows []Row) RowSource {
	i := 0
	return SourceFunc(func() (Row, bool, error) {
		if i >= len(rows) {
			return Row{}, false, nil
		}
		i++
		return rows[i-1], true, nil
	})
}

// WriteOptions tune a write. The zero value gives the defaults.
type WriteOptions struct {
	// RowGroupRows is the number of rows per row group (default 65536).
	// Row groups are the unit of pruning by key range and of a point
	// lookup's bloom filter; smaller groups prune finer and cost a little
	// more footer and filter space.
	RowGroupRows int
	// BatchRows is the number of rows converted to one Arrow record batch
	// before it is encoded (default 8192). Together with one row group's
	// encoded pages it bounds the writer's memory, whatever the file size.
	BatchRows int
	// ExpectedRows, when known (a flush knows its row count), sizes the
	// bloom filters of files smaller than a row group; 0 sizes them for a
	// full row group.
	ExpectedRows int64
	// BloomFPP is the bloom filters' false-positive probability (default
	// 0.01).
	BloomFPP float64
	// ZstdLevel is the Zstd level (default 1, the fastest: a flush is on
	// the write path's clock, and a compaction can choose more).
	ZstdLevel int
	// PageBytes is the smallest (uncompressed) size of a data page
	// (default 8 KiB): arrow-go compares a column's buffered page with
	// it only after each writeBatchValues (256) values, so a page ends
	// at the first multiple of 256 values whose size reaches PageBytes
	// (for a dictionary-encoded column, the size of the values before
	// encoding). Pages of narrow columns come out at about PageBytes
	// (1,024 BIGINT or TIMESTAMP values, 768 _keys of 12 bytes); a
	// column whose values average more than PageBytes/256 bytes has 256
	// values a page (chat content of 40-400 characters: ~57 KB, 14 KB
	// compressed). A point lookup decompresses one page per column
	// read, so small pages make lookups cheap: measured on 200K chat
	// rows, 8 KiB pages cost ~5% in file size and write speed against
	// 64 KiB ones and cut a warm lookup from ~800 to ~300 µs; the 1 MiB
	// usual for scan-only files would make it milliseconds.
	PageBytes int64
	// Allocator is used for Arrow buffers; nil is Go's allocator.
	Allocator memory.Allocator
}

// Defaults of WriteOptions.
const (
	DefaultRowGroupRows = 64 << 10
	DefaultBatchRows    = 8 << 10
	DefaultBloomFPP     = 0.01
	DefaultZstdLevel    = 1
	DefaultPageBytes    = 8 << 10
)

func (o WriteOptions) withDefaults() (WriteOptions, error) {
	if o.RowGroupRows < 0 || o.BatchRows < 0 || o.ExpectedRows < 0 || o.PageBytes < 0 {
		return o, fmt.Errorf("negative size in write options")
	}
	if o.RowGroupRows == 0 {
		o.RowGroupRows = DefaultRowGroupRows
	}
	if o.BatchRows == 0 {
		o.BatchRows = DefaultBatchRows
	}
	o.BatchRows = min(o.BatchRows, o.RowGroupRows)
	if o.BloomFPP == 0 {
		o.BloomFPP = DefaultBloomFPP
	}
	if !(o.BloomFPP > 0 && o.BloomFPP < 1) { // also rejects NaN
		return o, fmt.Errorf("bloom filter false-positive probability %v is not in (0, 1)", o.BloomFPP)
	}
	if o.ZstdLevel == 0 {
		o.ZstdLevel = DefaultZstdLevel
	}
	if o.PageBytes == 0 {
		o.PageBytes = DefaultPageBytes
	}
	if o.Allocator == nil {
		o.Allocator = memory.DefaultAllocator
	}
	return o, nil
}

// FileInfo describes a written file: what the manifest records.
type FileInfo struct {
	Path          string
	TableID       string
	SchemaVersion int
	Rows          int64
	Bytes         int64
	RowGroups     int
	MinSeq        int64
	MaxSeq        int64
	MinKey        []byte
	MaxKey        []byte
	// Meta is the checksum of the file's metadata (its footer, bloom
	// filters and page indexes), for OpenOptions.Checksum; zero for a
	// file read back without a manifest entry (OpenFile's Info).
	Meta MetaChecksum
}

// ManifestFile is the system.manifest entry of the file; keys are in hex.
func (fi FileInfo) ManifestFile() systable.ManifestFile {
	return systable.ManifestFile{
		Path: fi.Path, Rows: fi.Rows, Bytes: fi.Bytes,
		MinSeq: fi.MinSeq, MaxSeq: fi.MaxSeq,
		MinPK: hex.EncodeToString(fi.MinKey), MaxPK: hex.EncodeToString(fi.MaxKey),
		SchemaVersion: fi.SchemaVersion,
		MetaBytes:     fi.Meta.Bytes, MetaCRC32C: fi.Meta.CRC32C,
	}
}

// ManifestChecksum is the metadata checksum a manifest entry records
// (zero for an entry written before checksums were).
func ManifestChecksum(mf systable.ManifestFile) MetaChecksum {
	return MetaChecksum{Bytes: mf.MetaBytes, CRC32C: mf.MetaCRC32C}
}

// ErrKeyOrder is matched by the error for a row whose key is not greater
// than the previous row's.
var ErrKeyOrder = errors.New("cold: keys out of order")

// ErrNoRows is returned by WriteFile for a source without rows: no file
// is written, since an empty file would only be a manifest entry to
// prune.
var ErrNoRows = errors.New("cold: no rows to write")

// countingWriter counts the bytes of the file, for FileInfo.Bytes, and
// checksums its tail, for FileInfo.Meta.
type countingWriter struct {
	w    io.Writer
	n    int64
	tail tailCRC
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.tail.record(c.n, b[:n])
	c.n += int64(n)
	return n, err
}

// WriteFile writes rows, in ascending key order, as the Parquet file p of
// st, with table schema sch. The file appears at p only complete (see
// Storage); on any error, including ctx being cancelled, nothing is left
// at p. Rows are encoded a batch at a time, so memory does not grow with
// the number of rows.
func WriteFile(ctx context.Context, st Storage, p string, sch *systable.TableSchema, rows RowSource, opts WriteOptions) (FileInfo, error) {
	info, err := writeFile(ctx, st, p, sch, rows, opts)
	if err != nil {
		if errors.Is(err, ErrNoRows) {
			return FileInfo{}, err
		}
		return FileInfo{}, fmt.Errorf("cold: write %s: %w", p, err)
	}
	return info, nil
}

func writeFile(ctx context.Context, st Storage, p string, sch *systable.TableSchema, rows RowSource, opts WriteOptions) (info FileInfo, err error) {
	opts, err = opts.withDefaults()
	if err != nil {
		return info, err
	}
	asch, err := ArrowSchema(sch)
	if err != nil {
		return info, err
	}
	schemaJSON, err := encodeFileSchema(sch)
	if err != nil {
		return info, err
	}
	if err := ctx.Err(); err != nil {
		return info, err
	}

	pf, err := st.Create(ctx, p)
	if err != nil {
		return info, err
	}
	committed := false
	defer func() {
		if !committed {
			if aerr := pf.Abort(); aerr != nil {
				err = errors.Join(err, aerr)
			}
		}
	}()
	// Some failures inside the Parquet writer surface as panics; turn
	// them into this write's error (the deferred Abort above still runs).
	// A panic in the caller's row source is the caller's, and goes on.
	inSource := false
	defer func() {
		if inSource {
			return
		}
		if v := recover(); v != nil {
			err = fmt.Errorf("parquet writer: %v", v)
		}
	}()

	// Parquet pages are small (PageBytes): buffer them into large writes.
	bw := bufio.NewWriterSize(pf, writeBufferBytes)
	cw := &countingWriter{w: bw}
	// No ARROW:schema in the footer: the Parquet schema already carries
	// every type (with logical types) and the column ids (field_id), and
	// pqarrow v18.8.0 cannot read a stored arrow.json field back (it
	// infers Binary storage for the JSON logical type and rejects the
	// stored String storage).
	fw, err := pqarrow.NewFileWriter(asch, cw, writerProps(sch, opts), pqarrow.NewArrowWriterProperties(
		pqarrow.WithAllocator(opts.Allocator)))
	if err != nil {
		return info, err
	}

	b, err := newBatchBuilder(asch, sch, opts)
	if err != nil {
		return info, err
	}
	defer b.release()

	info = FileInfo{Path: p, TableID: sch.TableID, SchemaVersion: sch.Version, MinSeq: math.MaxInt64, MaxSeq: math.MinInt64}
	var prev []byte
	for {
		inSource = true
		r, ok, err := rows.Next()
		inSource = false
		if err != nil {
			return info, fmt.Errorf("row source: %w", err)
		}
		if !ok {
			break
		}
		if len(r.Key) == 0 {
			return info, fmt.Errorf("row %d has an empty key", info.Rows)
		}
		if info.Rows > 0 && bytes.Compare(r.Key, prev) <= 0 {
			return info, fmt.Errorf("%w: row %d key %x is not after %x", ErrKeyOrder, info.Rows, r.Key, prev)
		}
		if err := b.append(r); err != nil {
			return info, fmt.Errorf("row %d (key %x): %w", info.Rows, r.Key, err)
		}
		if info.Rows == 0 {
			info.MinKey = bytes.Clone(r.Key)
		}
		prev = append(prev[:0], r.Key...)
		info.MinSeq, info.MaxSeq = min(info.MinSeq, r.Seq), max(info.MaxSeq, r.Seq)
		info.Rows++
		if b.n == opts.BatchRows {
			if err := b.flush(fw); err != nil {
				return info, err
			}
			// Between batches is where a cancelled flush stops; the
			// deferred Abort removes what was written.
			if err := ctx.Err(); err != nil {
				return info, err
			}
		}
	}
	if info.Rows == 0 {
		return FileInfo{}, ErrNoRows
	}
	if err := b.flush(fw); err != nil {
		return info, err
	}
	info.MaxKey = bytes.Clone(prev)

	for _, kv := range [][2]string{
		{MetaFormat, formatVersion},
		{MetaTableID, sch.TableID},
		{MetaSchemaVersion, strconv.Itoa(sch.Version)},
		{MetaSchema, schemaJSON},
		{MetaRows, strconv.FormatInt(info.Rows, 10)},
		{MetaMinSeq, strconv.FormatInt(info.MinSeq, 10)},
		{MetaMaxSeq, strconv.FormatInt(info.MaxSeq, 10)},
		{MetaMinKey, hex.EncodeToString(info.MinKey)},
		{MetaMaxKey, hex.EncodeToString(info.MaxKey)},
	} {
		if err := fw.AppendKeyValueMetadata(kv[0], kv[1]); err != nil {
			return info, err
		}
	}
	// Close writes the last row group, then the metadata: bloom filters,
	// page indexes and footer, whose checksum the manifest keeps.
	cw.tail.armed = true
	if err := fw.Close(); err != nil {
		return info, err
	}
	md, err := fw.FileMetadata()
	if err != nil {
		return info, err
	}
	info.RowGroups = md.NumRowGroups()
	end, err := dataEnd(md)
	if err != nil {
		return info, err
	}
	if info.Meta, err = cw.tail.from(end, cw.n); err != nil {
		return info, err
	}
	if err := bw.Flush(); err != nil {
		return info, err
	}
	if err := ctx.Err(); err != nil {
		return info, err
	}
	info.Bytes = cw.n
	if err := pf.Commit(); err != nil {
		committed = true // Commit cleaned up after itself
		return info, err
	}
	committed = true
	return info, nil
}

// writeBufferBytes is the size of the buffer between the Parquet writer
// and the storage.
const writeBufferBytes = 1 << 20

// writeBatchValues is how many values arrow-go's column writers take at
// a time: they decide whether to cut a page (PageBytes reached) only
// between two batches, so it is also the granularity of a page. Below
// the default 1024 so that the dictionary cost check (writerProps) runs
// before the first page of ~100-byte texts is cut: the check is only
// made while no page exists. Not smaller, although pages of long texts
// would then honour PageBytes better: with 64, a chat file's content
// pages were ~14 KB instead of ~57 KB, but the files grew 6-11%, a
// column of 50 senders lost its dictionary (the cost check saw 64
// mostly distinct values), and the harness's first-touch lookups
// (BenchmarkLookupFirstTouch, a fresh cache per 1,250 random lookups)
// decoded twice the pages (0.1 -> 0.2 a lookup): p90 6.6 -> 77 µs, p50
// 3.8 -> 4.6 µs (medians of 4 runs on a loaded machine); warm lookups
// and scans got no faster. Smaller pages cost a lookup less per page
// it decodes, but a lookup then decodes pages more often.
const writeBatchValues = 256

// dictionaryPageLimit caps a column chunk's dictionary page.
const dictionaryPageLimit = 256 << 10

// writerProps are the Parquet settings of every file: Zstd, statistics
// and a page index on every column (so a lookup can seek to one page),
// bloom filters on _key and the primary-key column, dictionary encoding
// only for text, where repeated values are common.
func writerProps(sch *systable.TableSchema, opts WriteOptions) *parquet.WriterProperties {
	ndv := int64(opts.RowGroupRows)
	if opts.ExpectedRows > 0 {
		ndv = min(ndv, opts.ExpectedRows)
	}
	props := []parquet.WriterProperty{
		parquet.WithAllocator(opts.Allocator),
		parquet.WithCompression(compress.Codecs.Zstd),
		parquet.WithCompressionLevel(opts.ZstdLevel),
		parquet.WithStats(true),
		parquet.WithPageIndexEnabled(true),
		parquet.WithMaxRowGroupLength(int64(opts.RowGroupRows)),
		parquet.WithDataPageSize(opts.PageBytes),
		parquet.WithDictionaryDefault(false),
		// A dictionary is read whole by a lookup of its column, so it is
		// kept small; past this, the column falls back to PLAIN.
		parquet.WithDictionaryPageSizeLimit(dictionaryPageLimit),
		parquet.WithBatchSize(writeBatchValues),
		parquet.WithBloomFilterEnabled(false),
	}
	bloom := func(col string) {
		props = append(props,
			parquet.WithBloomFilterEnabledFor(col, true),
			parquet.WithBloomFilterNDVFor(col, ndv),
			parquet.WithBloomFilterFPPFor(col, opts.BloomFPP))
	}
	bloom(ColKey)
	for _, c := range sch.Columns {
		switch {
		case c.PrimaryKey:
			bloom(c.Name)
		case schema.KindOf(c.Type.Name) == schema.KindText || schema.KindOf(c.Type.Name) == schema.KindJSON:
			// The cost check drops the dictionary of a column whose values
			// are mostly distinct before its first page, instead of
			// building a dictionary up to the page size limit in vain.
			props = append(props,
				parquet.WithDictionaryFor(c.Name, true),
				parquet.WithDictionaryCostFallbackFor(c.Name, true))
		}
	}
	return parquet.NewWriterProperties(props...)
}

// batchBuilder accumulates rows into Arrow builders, one per column.
type batchBuilder struct {
	schema *arrow.Schema
	key    *array.BinaryBuilder
	seq    *array.Int64Builder
	del    *array.BooleanBuilder
	cols   []colBuilder
	n      int
	arrs   []arrow.Array
}

// colBuilder appends the values of one user column; exactly one of the
// typed builders is set, by kind.
type colBuilder struct {
	name  string
	kind  schema.Kind
	prec  int32
	scale int32
	b     array.Builder

	boolB *array.BooleanBuilder
	i16   *array.Int16Builder
	i32   *array.Int32Builder
	i64   *array.Int64Builder
	f32   *array.Float32Builder
	f64   *array.Float64Builder
	dec   *array.Decimal128Builder
	str   *array.StringBuilder
	bin   *array.BinaryBuilder
	ts    *array.TimestampBuilder
	date  *array.Date32Builder
	tm    *array.Time64Builder
	fsb   *array.FixedSizeBinaryBuilder
}

func newBatchBuilder(asch *arrow.Schema, sch *systable.TableSchema, opts WriteOptions) (*batchBuilder, error) {
	mem := opts.Allocator
	b := &batchBuilder{
		schema: asch,
		key:    array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary),
		seq:    array.NewInt64Builder(mem),
		del:    array.NewBooleanBuilder(mem),
		cols:   make([]colBuilder, len(sch.Columns)),
		arrs:   make([]arrow.Array, asch.NumFields()),
	}
	for i, c := range sch.Columns {
		cb := &b.cols[i]
		cb.name, cb.kind = c.Name, schema.KindOf(c.Type.Name)
		cb.prec, cb.scale = decimalParams(c.Type)
		cb.b = array.NewBuilder(mem, asch.Field(numSystemCols+i).Type)
		storage := cb.b
		switch eb := cb.b.(type) {
		case *extensions.UUIDBuilder:
			storage = eb.ExtensionBuilder.Builder
		case *array.ExtensionBuilder:
			storage = eb.Builder
		}
		ok := true
		switch cb.kind {
		case schema.KindBool:
			cb.boolB, ok = storage.(*array.BooleanBuilder)
		case schema.KindInt16:
			cb.i16, ok = storage.(*array.Int16Builder)
		case schema.KindInt32:
			cb.i32, ok = storage.(*array.Int32Builder)
		case schema.KindInt64:
			cb.i64, ok = storage.(*array.Int64Builder)
		case schema.KindFloat32:
			cb.f32, ok = storage.(*array.Float32Builder)
		case schema.KindFloat64:
			cb.f64, ok = storage.(*array.Float64Builder)
		case schema.KindDecimal:
			cb.dec, ok = storage.(*array.Decimal128Builder)
		case schema.KindText, schema.KindJSON:
			cb.str, ok = storage.(*array.StringBuilder)
		case schema.KindBytes:
			cb.bin, ok = storage.(*array.BinaryBuilder)
		case schema.KindTimestamp:
			cb.ts, ok = storage.(*array.TimestampBuilder)
		case schema.KindDate:
			cb.date, ok = storage.(*array.Date32Builder)
		case schema.KindTime:
			cb.tm, ok = storage.(*array.Time64Builder)
		case schema.KindUUID:
			cb.fsb, ok = storage.(*array.FixedSizeBinaryBuilder)
		default:
			ok = false
		}
		if !ok {
			b.release()
			return nil, fmt.Errorf("column %q: no Arrow builder for %s (got %T)", c.Name, c.Type.Name, storage)
		}
	}
	b.reserve(opts.BatchRows)
	return b, nil
}

func (b *batchBuilder) reserve(n int) {
	b.key.Reserve(n)
	b.seq.Reserve(n)
	b.del.Reserve(n)
	for i := range b.cols {
		b.cols[i].b.Reserve(n)
	}
}

func (b *batchBuilder) release() {
	b.key.Release()
	b.seq.Release()
	b.del.Release()
	for i := range b.cols {
		if b.cols[i].b != nil {
			b.cols[i].b.Release()
		}
	}
}

func (b *batchBuilder) append(r Row) error {
	if r.Values == nil && r.Deleted {
		for i := range b.cols {
			b.cols[i].b.AppendNull()
		}
	} else {
		if len(r.Values) != len(b.cols) {
			return fmt.Errorf("%d values for %d columns", len(r.Values), len(b.cols))
		}
		for i := range b.cols {
			if err := b.cols[i].append(r.Values[i]); err != nil {
				// The columns are now of uneven length; that is fine, as an
				// error abandons the whole file.
				return fmt.Errorf("column %q: %w", b.cols[i].name, err)
			}
		}
	}
	b.key.Append(r.Key)
	b.seq.Append(r.Seq)
	b.del.Append(r.Deleted)
	b.n++
	return nil
}

// flush writes the accumulated rows as one record batch. WriteBuffered
// appends it to the current row group, starting a new one every
// RowGroupRows rows.
func (b *batchBuilder) flush(fw *pqarrow.FileWriter) error {
	if b.n == 0 {
		return nil
	}
	b.arrs[keyLeaf] = b.key.NewArray()
	b.arrs[seqLeaf] = b.seq.NewArray()
	b.arrs[deletedLeaf] = b.del.NewArray()
	for i := range b.cols {
		b.arrs[numSystemCols+i] = b.cols[i].b.NewArray()
	}
	rec := array.NewRecordBatch(b.schema, b.arrs, int64(b.n))
	for i, a := range b.arrs {
		a.Release()
		b.arrs[i] = nil
	}
	err := fw.WriteBuffered(rec)
	rec.Release()
	b.reserve(b.n)
	b.n = 0
	return err
}

func wrongType(k schema.Kind, v any) error {
	return fmt.Errorf("got %T, want %s", v, k.GoTypeName())
}

// appendAs appends v to b when it has the column's Go type T.
func appendAs[T any](b interface{ Append(T) }, k schema.Kind, v any) error {
	x, ok := v.(T)
	if !ok {
		return wrongType(k, v)
	}
	b.Append(x)
	return nil
}

// append appends one value, which must be nil or of the column's
// canonical Go type (package row): values are not converted here, the
// write path normalised them before they reached the hot tier.
func (c *colBuilder) append(v any) error {
	if v == nil {
		c.b.AppendNull()
		return nil
	}
	switch c.kind {
	case schema.KindBool:
		x, ok := v.(int8)
		if !ok {
			return wrongType(c.kind, v)
		}
		if x != 0 && x != 1 {
			return fmt.Errorf("BOOLEAN value %d is not 0 or 1", x)
		}
		c.boolB.Append(x == 1)
	case schema.KindInt16:
		return appendAs[int16](c.i16, c.kind, v)
	case schema.KindInt32:
		return appendAs[int32](c.i32, c.kind, v)
	case schema.KindInt64:
		return appendAs[int64](c.i64, c.kind, v)
	case schema.KindFloat32:
		return appendAs[float32](c.f32, c.kind, v)
	case schema.KindFloat64:
		return appendAs[float64](c.f64, c.kind, v)
	case schema.KindDecimal:
		x, ok := v.(decimal.Decimal)
		if !ok {
			return wrongType(c.kind, v)
		}
		n, err := decimalToNum(x, c.prec, c.scale)
		if err != nil {
			return err
		}
		c.dec.Append(n)
	case schema.KindText:
		return appendAs[string](c.str, c.kind, v)
	case schema.KindJSON:
		x, ok := v.(types.JSONDocument)
		if !ok {
			return wrongType(c.kind, v)
		}
		// The same compact text the hot tier stores (row.Encode).
		raw, err := types.MarshallJsonValue(x.Val)
		if err != nil {
			return fmt.Errorf("JSON value does not marshal: %w", err)
		}
		c.str.BinaryBuilder.Append(raw)
	case schema.KindBytes:
		return appendAs[[]byte](c.bin, c.kind, v)
	case schema.KindTimestamp:
		x, ok := v.(time.Time)
		if !ok {
			return wrongType(c.kind, v)
		}
		if !row.InTimeRange(x) {
			return fmt.Errorf("time %s outside 0001..9999", x.UTC().Format(time.RFC3339))
		}
		c.ts.Append(arrow.Timestamp(x.UnixMicro()))
	case schema.KindDate:
		x, ok := v.(time.Time)
		if !ok {
			return wrongType(c.kind, v)
		}
		if !row.InTimeRange(x) {
			return fmt.Errorf("date %s outside 0001..9999", x.UTC().Format(time.DateOnly))
		}
		c.date.Append(arrow.Date32(row.EpochDays(x)))
	case schema.KindTime:
		x, ok := v.(types.Timespan)
		if !ok {
			return wrongType(c.kind, v)
		}
		c.tm.Append(arrow.Time64(x))
	case schema.KindUUID:
		x, ok := v.(string)
		if !ok {
			return wrongType(c.kind, v)
		}
		u, ok := ids.ParseUUID(x)
		if !ok {
			return fmt.Errorf("invalid UUID %q", x)
		}
		c.fsb.Append(u[:])
	default:
		return fmt.Errorf("unknown column type")
	}
	return nil
}

// pow10 is 10^n for n <= 18.
func pow10(n int32) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}

// decimalToNum converts d to the unscaled integer of DECIMAL(prec,
// scale). The write path rounds values to the column's scale (row.
// Normalize), so a value with more fractional digits, or more digits
// than the precision, is an error here rather than a silent rounding.
func decimalToNum(d decimal.Decimal, prec, scale int32) (decimal128.Num, error) {
	c := d.Coefficient()
	e := d.Exponent()
	switch {
	case c.Sign() == 0:
		return decimal128.Num{}, nil
	case e > -scale:
		if int64(e)+int64(scale) > 38 {
			return decimal128.Num{}, fmt.Errorf("decimal %s does not fit DECIMAL(%d,%d)", d, prec, scale)
		}
		c.Mul(c, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(e+scale)), nil))
	case e < -scale:
		// Strip trailing zeros beyond the scale; anything else would need
		// rounding.
		div := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-scale)-int64(e)), nil)
		q, r := new(big.Int).QuoRem(c, div, new(big.Int))
		if r.Sign() != 0 {
			return decimal128.Num{}, fmt.Errorf("decimal %s has more than %d fractional digits", d, scale)
		}
		c = q
	}
	if c.IsInt64() {
		x := c.Int64()
		if prec <= 18 && (x >= pow10(prec) || x <= -pow10(prec)) {
			return decimal128.Num{}, fmt.Errorf("decimal %s does not fit DECIMAL(%d,%d)", d, prec, scale)
		}
		return decimal128.FromI64(x), nil
	}
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(prec)), nil)
	if new(big.Int).Abs(c).Cmp(limit) >= 0 {
		return decimal128.Num{}, fmt.Errorf("decimal %s does not fit DECIMAL(%d,%d)", d, prec, scale)
	}
	return decimal128.FromBigInt(c), nil
}

// numToDecimal is the inverse of decimalToNum: the value with exponent
// -scale, the canonical form row.Normalize produces.
func numToDecimal(n decimal128.Num, scale int32) decimal.Decimal {
	hi, lo := n.HighBits(), n.LowBits()
	if (hi == 0 && lo <= math.MaxInt64) || (hi == -1 && lo > math.MaxInt64) {
		return decimal.New(int64(lo), -scale)
	}
	return decimal.NewFromBigInt(n.BigInt(), -scale)
}
