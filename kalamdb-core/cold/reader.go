package cold

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// scanBatchRows is the number of rows a scan decodes at a time.
const scanBatchRows = 4096

// Stats are a file's read counters since it was opened. They let callers
// and tests see pruning at work: a point lookup of an absent key should
// show a bloom negative or a pruned row group and no row group read.
type Stats struct {
	// RowGroupsRead counts row groups whose data pages were read.
	RowGroupsRead int64
	// RowGroupsPruned counts row groups skipped because their _key
	// min/max excluded the key or key range.
	RowGroupsPruned int64
	// BloomChecks counts _key bloom filter probes.
	BloomChecks int64
	// BloomNegatives counts probes that proved a key absent, so its row
	// group was not read.
	BloomNegatives int64
	// PagesPruned counts key searches inside a row group (a lookup, or
	// the start of a range scan) that the _key page index answered
	// without reading a _key page.
	PagesPruned int64
	// RowsDecoded counts rows turned into Row values.
	RowsDecoded int64
	// BytesRead and ReadCalls count what was read from storage,
	// footer and indexes included.
	BytesRead int64
	ReadCalls int64
}

type counters struct {
	rowGroupsRead, rowGroupsPruned, bloomChecks, bloomNegatives, pagesPruned, rowsDecoded atomic.Int64
	bytesRead, readCalls                                                                  atomic.Int64
}

// countingReaderAt counts reads from storage.
type countingReaderAt struct {
	r io.ReaderAt
	c *counters
}

func (r countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := r.r.ReadAt(p, off)
	r.c.bytesRead.Add(int64(n))
	r.c.readCalls.Add(1)
	return n, err
}

// rowGroup is what a File keeps about one row group.
type rowGroup struct {
	rows           int64
	minKey, maxKey []byte
	hasBounds      bool // _key statistics were present

	bloomOnce sync.Once
	bloom     metadata.BloomFilter // nil: no filter, every key may be present
	bloomErr  error

	pagesOnce sync.Once
	pages     *keyPages // nil: no page index, read the whole _key chunk
	pagesErr  error

	rgrOnce sync.Once
	rgr     *file.RowGroupReader
}

// keyPages is the _key page index of a row group: the key range and
// first row of each data page.
type keyPages struct {
	min, max [][]byte
	first    []int64
}

// File is an open cold file. It is safe for concurrent use; Close it
// when done. Open files are meant to be cached: the footer is parsed
// once, and per row group the _key bloom filter, the _key page index and
// the offset indexes are loaded on first use and kept (with the default
// options, about 70 KiB for a full 64K-row group of a 6-column table).
type File struct {
	path     string
	h        ReadHandle
	mem      memory.Allocator
	scan     *pqarrow.FileReader // reads whole column chunks: scans
	pointRdr *file.Reader        // reads single pages: lookups
	schema   *systable.TableSchema
	info     FileInfo
	rgs      []rowGroup
	c        counters
}

// OpenFile opens the cold file p of st and reads its footer. A missing,
// truncated or corrupt file, or one this package did not write, is an
// error naming p (corruption matches ErrCorrupt).
func OpenFile(ctx context.Context, st Storage, p string) (*File, error) {
	h, err := st.Open(ctx, p)
	if err != nil {
		return nil, err
	}
	f, err := openHandle(p, h)
	if err != nil {
		_ = h.Close()
		return nil, fmt.Errorf("cold: open %s: %w", p, err)
	}
	return f, nil
}

func openHandle(p string, h ReadHandle) (f *File, err error) {
	defer recoverCorrupt(&err, nil)
	f = &File{path: p, h: h, mem: memory.DefaultAllocator}
	src := countingReaderAt{r: h, c: &f.c}

	// Scans read each needed column chunk with one read; lookups stream
	// from the file so that only the pages they need are read.
	scanProps := parquet.NewReaderProperties(f.mem)
	scanRdr, err := file.NewParquetReader(io.NewSectionReader(src, 0, h.Size()), file.WithReadProps(scanProps))
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, corruptf("truncated: %v", err)
		}
		return nil, corruptf("%v", err)
	}
	pointProps := parquet.NewReaderProperties(f.mem)
	pointProps.BufferedStreamEnabled = true
	pointProps.BufferSize = 8 << 10
	pointRdr, err := file.NewParquetReader(io.NewSectionReader(src, 0, h.Size()),
		file.WithReadProps(pointProps), file.WithMetadata(scanRdr.MetaData()))
	if err != nil {
		return nil, corruptf("%v", err)
	}
	pointRdr.GetBloomFilterReader() // created lazily without a lock: do it now

	if f.scan, err = pqarrow.NewFileReader(scanRdr, pqarrow.ArrowReadProperties{BatchSize: scanBatchRows}, f.mem); err != nil {
		return nil, corruptf("%v", err)
	}
	f.pointRdr = pointRdr
	if err := f.readMetadata(); err != nil {
		return nil, err
	}
	return f, nil
}

// readMetadata checks that the file is one of ours and loads what every
// read needs: the schema it was written with, its FileInfo and the key
// bounds of its row groups.
func (f *File) readMetadata() error {
	md := f.scan.ParquetReader().MetaData()
	kv := md.KeyValueMetadata()
	get := func(k string) (string, error) {
		v := kv.FindValue(k)
		if v == nil {
			return "", corruptf("footer has no %s", k)
		}
		return *v, nil
	}
	format, err := get(MetaFormat)
	if err != nil {
		return err
	}
	if format != formatVersion {
		return corruptf("unknown %s %q", MetaFormat, format)
	}
	schemaJSON, err := get(MetaSchema)
	if err != nil {
		return err
	}
	if f.schema, err = decodeFileSchema(schemaJSON); err != nil {
		return err
	}
	info := FileInfo{Path: f.path, TableID: f.schema.TableID, SchemaVersion: f.schema.Version, Bytes: f.h.Size(), RowGroups: md.NumRowGroups()}
	for _, m := range []struct {
		key string
		dst *int64
	}{{MetaRows, &info.Rows}, {MetaMinSeq, &info.MinSeq}, {MetaMaxSeq, &info.MaxSeq}} {
		s, err := get(m.key)
		if err != nil {
			return err
		}
		if *m.dst, err = strconv.ParseInt(s, 10, 64); err != nil {
			return corruptf("%s: %v", m.key, err)
		}
	}
	for _, m := range []struct {
		key string
		dst *[]byte
	}{{MetaMinKey, &info.MinKey}, {MetaMaxKey, &info.MaxKey}} {
		s, err := get(m.key)
		if err != nil {
			return err
		}
		if *m.dst, err = hex.DecodeString(s); err != nil {
			return corruptf("%s: %v", m.key, err)
		}
	}
	if info.Rows != md.GetNumRows() {
		return corruptf("footer says %d rows, row groups hold %d", info.Rows, md.GetNumRows())
	}
	f.info = info

	// The columns must be exactly the ones this package writes for that
	// schema, so decoding can trust positions and types.
	want, err := ArrowSchema(f.schema)
	if err != nil {
		return corruptf("%v", err)
	}
	got, err := f.scan.Schema()
	if err != nil {
		return corruptf("%v", err)
	}
	if got.NumFields() != want.NumFields() || md.Schema.NumColumns() != want.NumFields() {
		return corruptf("file has %d columns, its schema %d", got.NumFields(), want.NumFields())
	}
	for i := range want.NumFields() {
		g, w := got.Field(i), want.Field(i)
		if g.Name != w.Name || !readableAs(g.Type, w.Type) {
			return corruptf("column %d is %s %s, want %s %s", i, g.Name, g.Type, w.Name, w.Type)
		}
		if i >= numSystemCols {
			if id := md.Schema.Column(i).SchemaNode().FieldID(); int(id) != f.schema.Columns[i-numSystemCols].ColumnID {
				return corruptf("column %q has field id %d, its schema says %d", w.Name, id, f.schema.Columns[i-numSystemCols].ColumnID)
			}
		}
	}

	f.rgs = make([]rowGroup, md.NumRowGroups())
	var prevMax []byte
	for i := range f.rgs {
		rg := &f.rgs[i]
		rgm := md.RowGroup(i)
		rg.rows = rgm.NumRows()
		cc, err := rgm.ColumnChunk(keyLeaf)
		if err != nil {
			return corruptf("row group %d: %v", i, err)
		}
		if set, _ := cc.StatsSet(); !set {
			continue
		}
		st, err := cc.Statistics()
		if err != nil {
			return corruptf("row group %d: %v", i, err)
		}
		bs, ok := st.(*metadata.ByteArrayStatistics)
		if !ok || !bs.HasMinMax() {
			continue
		}
		rg.minKey, rg.maxKey, rg.hasBounds = bytes.Clone(bs.Min()), bytes.Clone(bs.Max()), true
		if bytes.Compare(rg.minKey, rg.maxKey) > 0 || (prevMax != nil && bytes.Compare(rg.minKey, prevMax) <= 0) {
			return corruptf("row group %d keys are not in order", i)
		}
		prevMax = rg.maxKey
		if bytes.Compare(rg.minKey, info.MinKey) < 0 || bytes.Compare(rg.maxKey, info.MaxKey) > 0 {
			return corruptf("row group %d keys are outside the file's %s..%s", i, MetaMinKey, MetaMaxKey)
		}
	}
	return nil
}

// readableAs reports whether a column read back as type got holds
// values written as type want. Extension types are compared by their
// storage, and JSON text may come back as Binary (how pqarrow reads
// Parquet's JSON logical type) or String.
func readableAs(got, want arrow.DataType) bool {
	if arrow.TypeEqual(got, want) {
		return true
	}
	if ext, ok := want.(arrow.ExtensionType); ok {
		want = ext.StorageType()
		if ext.ExtensionName() == "arrow.json" && got.ID() == arrow.BINARY {
			return true
		}
	}
	if ext, ok := got.(arrow.ExtensionType); ok {
		got = ext.StorageType()
	}
	return arrow.TypeEqual(got, want)
}

// Path is the file's storage path.
func (f *File) Path() string { return f.path }

// Info describes the file, from its footer.
func (f *File) Info() FileInfo {
	info := f.info
	info.MinKey, info.MaxKey = bytes.Clone(info.MinKey), bytes.Clone(info.MaxKey)
	return info
}

// Schema is the table schema the file was written with, from its footer.
// Callers must not modify it.
func (f *File) Schema() *systable.TableSchema { return f.schema }

// Stats returns the read counters.
func (f *File) Stats() Stats {
	return Stats{
		RowGroupsRead:   f.c.rowGroupsRead.Load(),
		RowGroupsPruned: f.c.rowGroupsPruned.Load(),
		BloomChecks:     f.c.bloomChecks.Load(),
		BloomNegatives:  f.c.bloomNegatives.Load(),
		PagesPruned:     f.c.pagesPruned.Load(),
		RowsDecoded:     f.c.rowsDecoded.Load(),
		BytesRead:       f.c.bytesRead.Load(),
		ReadCalls:       f.c.readCalls.Load(),
	}
}

// Close closes the file.
func (f *File) Close() error {
	if err := f.h.Close(); err != nil {
		return fmt.Errorf("cold: close %s: %w", f.path, err)
	}
	return nil
}

// Missing reports, per wanted column of current (want nil: all of
// them), whether the file predates it, so it reads as NULL and the caller
// applies the column's DEFAULT.
func (f *File) Missing(current *systable.TableSchema, want []int) ([]bool, error) {
	pl, err := f.plan(current, want)
	if err != nil {
		return nil, err
	}
	out := make([]bool, len(pl.slots))
	for i, s := range pl.slots {
		out[i] = s.dec < 0
	}
	return out, nil
}

// plan is how one read maps the file's columns onto the wanted columns
// of the current schema. It holds per-batch decoder state, so each read
// builds its own.
type plan struct {
	leaves  []int        // file columns to read: the system ones, then user ones
	decs    []colDecoder // one per user column read, in leaves order
	slots   []slot       // one per wanted column
	lastKey []byte       // last key decoded, to check order across batches
}

type slot struct {
	dec  int // index in decs, or -1: the column is newer than the file
	conv bool
	col  systable.ColumnSchema // current column
	from systable.ColumnSchema // file's column, when conv
}

func (f *File) plan(current *systable.TableSchema, want []int) (*plan, error) {
	if current == nil {
		return nil, fmt.Errorf("cold: %s: nil schema", f.path)
	}
	if current.TableID != f.schema.TableID {
		return nil, fmt.Errorf("cold: %s holds table %s, not %s", f.path, f.schema.TableID, current.TableID)
	}
	if want == nil {
		want = make([]int, len(current.Columns))
		for i := range want {
			want[i] = i
		}
	}
	byID := make(map[int]int, len(f.schema.Columns))
	for i, c := range f.schema.Columns {
		byID[c.ColumnID] = i
	}
	pl := &plan{leaves: []int{keyLeaf, seqLeaf, deletedLeaf}, slots: make([]slot, len(want))}
	seen := make(map[int]bool, len(want))
	for s, ci := range want {
		if ci < 0 || ci >= len(current.Columns) {
			return nil, fmt.Errorf("cold: %s: wanted column %d of %d", f.path, ci, len(current.Columns))
		}
		if seen[ci] {
			return nil, fmt.Errorf("cold: %s: column %d wanted twice", f.path, ci)
		}
		seen[ci] = true
		c := current.Columns[ci]
		if schema.KindOf(c.Type.Name) == schema.KindInvalid {
			return nil, fmt.Errorf("cold: %s: column %q has unknown type %q", f.path, c.Name, c.Type.Name)
		}
		pl.slots[s] = slot{dec: -1, col: c}
		fi, ok := byID[c.ColumnID]
		if !ok {
			continue
		}
		fc := f.schema.Columns[fi]
		pl.slots[s].dec = len(pl.decs)
		pl.leaves = append(pl.leaves, numSystemCols+fi)
		_, sc := decimalParams(fc.Type)
		pl.decs = append(pl.decs, colDecoder{name: fc.Name, kind: schema.KindOf(fc.Type.Name), scale: sc})
		if needsConversion(fc.Type, c.Type) {
			pl.slots[s].conv, pl.slots[s].from = true, fc
		}
	}
	return pl, nil
}

// overlaps reports whether row group rg may hold keys in [lo, hi) (nil
// bounds are open).
func (rg *rowGroup) overlaps(lo, hi []byte) bool {
	if !rg.hasBounds {
		return true
	}
	return (hi == nil || bytes.Compare(rg.minKey, hi) < 0) && (lo == nil || bytes.Compare(rg.maxKey, lo) >= 0)
}

// Scan calls fn with every row of the file in key order, projected onto
// the columns want of schema current (see ScanRange).
func (f *File) Scan(ctx context.Context, current *systable.TableSchema, want []int, fn func(Row) error) error {
	return f.ScanRange(ctx, current, want, nil, nil, fn)
}

// ScanRange calls fn with the rows whose keys are in [lo, hi) (a nil
// bound is open), in key order. Row values are the columns want of schema
// current (indices into current.Columns; nil means all, in order),
// matched to the file's columns by ColumnID: a column added since the
// file was written is nil (see Missing), a dropped one is not read, a
// re-typed one is converted as package row converts hot rows. Only the
// wanted columns and the system columns are read from storage, and only
// from row groups whose key statistics overlap the range.
//
// Rows own their memory and may be kept after fn returns. An error from
// fn stops the scan and is returned as is.
func (f *File) ScanRange(ctx context.Context, current *systable.TableSchema, want []int, lo, hi []byte, fn func(Row) error) (err error) {
	inFn := false
	defer recoverCorrupt(&err, &inFn)
	pl, err := f.plan(current, want)
	if err != nil {
		return err
	}
	if lo != nil && hi != nil && bytes.Compare(lo, hi) >= 0 {
		return nil
	}
	var rgs []int
	for i := range f.rgs {
		if f.rgs[i].overlaps(lo, hi) {
			rgs = append(rgs, i)
		} else {
			f.c.rowGroupsPruned.Add(1)
		}
	}
	if len(rgs) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// A range that starts inside the first row group starts decoding at
	// the page holding lo, not at the row group's first row: a paginated
	// read ("id > cursor LIMIT 50") costs a page, not a row group.
	var skip int64
	if lo != nil {
		if skip, _, err = f.seekKey(rgs[0], lo); err != nil {
			return err
		}
		if skip >= f.rgs[rgs[0]].rows {
			f.c.rowGroupsPruned.Add(1)
			if rgs = rgs[1:]; len(rgs) == 0 {
				return nil
			}
			skip = 0
		}
	}
	f.c.rowGroupsRead.Add(int64(len(rgs)))
	rr, err := f.scan.GetRecordReader(ctx, pl.leaves, rgs)
	if err != nil {
		return f.readErr(err)
	}
	defer rr.Release()
	if skip > 0 {
		if err := rr.SeekToRow(skip); err != nil {
			return f.readErr(err)
		}
	}
	for rr.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		rows, done, err := f.decodeBatch(pl, rr.RecordBatch(), lo, hi)
		if err != nil {
			return err
		}
		for _, r := range rows {
			inFn = true
			err := fn(r)
			inFn = false
			if err != nil {
				return err
			}
		}
		if done {
			return nil
		}
	}
	if err := rr.Err(); err != nil {
		return f.readErr(err)
	}
	return nil
}

// readErr wraps an error from the Parquet library. A storage error (an
// *fs.PathError from the file) or a cancelled context is passed on as
// is; anything else is the library failing to decode the file.
func (f *File) readErr(err error) error {
	var pe *fs.PathError
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if errors.As(err, &pe) {
		return fmt.Errorf("cold: read %s: %w", f.path, err)
	}
	return fmt.Errorf("cold: read %s: %w: %w", f.path, ErrCorrupt, err)
}

// decodeBatch decodes the rows of rec whose keys are in [lo, hi); done
// reports that a key at or past hi was seen, so no later batch matters.
func (f *File) decodeBatch(pl *plan, rec arrow.RecordBatch, lo, hi []byte) (rows []Row, done bool, err error) {
	n := int(rec.NumRows())
	keys, ok1 := rec.Column(keyLeaf).(*array.Binary)
	seqs, ok2 := rec.Column(seqLeaf).(*array.Int64)
	dels, ok3 := rec.Column(deletedLeaf).(*array.Boolean)
	if !ok1 || !ok2 || !ok3 {
		return nil, false, fmt.Errorf("cold: read %s: %w", f.path, corruptf("system columns have unexpected types"))
	}
	if keys.NullN() > 0 || seqs.NullN() > 0 || dels.NullN() > 0 {
		return nil, false, fmt.Errorf("cold: read %s: %w", f.path, corruptf("NULL in a system column"))
	}
	start, end := 0, n
	if lo != nil {
		start = sort.Search(n, func(i int) bool { return bytes.Compare(keys.Value(i), lo) >= 0 })
	}
	if hi != nil {
		end = sort.Search(n, func(i int) bool { return bytes.Compare(keys.Value(i), hi) >= 0 })
		done = end < n
	}
	if start >= end {
		return nil, done, nil
	}
	for i := range pl.decs {
		if err := pl.decs[i].reset(rec.Column(numSystemCols + i)); err != nil {
			return nil, false, fmt.Errorf("cold: read %s: %w", f.path, err)
		}
	}
	offs := keys.ValueOffsets()
	keyData := bytes.Clone(keys.ValueBytes()[offs[start]-offs[0] : offs[end]-offs[0]])
	w := len(pl.slots)
	vals := make([]any, (end-start)*w)
	rows = make([]Row, end-start)
	prev := pl.lastKey
	for i := start; i < end; i++ {
		ks, ke := offs[i]-offs[start], offs[i+1]-offs[start]
		key := keyData[ks:ke:ke]
		if prev != nil && bytes.Compare(key, prev) <= 0 {
			return nil, false, fmt.Errorf("cold: read %s: %w", f.path, corruptf("keys out of order at %x", key))
		}
		prev = key
		r := &rows[i-start]
		r.Key, r.Seq, r.Deleted = key, seqs.Value(i), dels.Value(i)
		r.Values = vals[(i-start)*w : (i-start+1)*w : (i-start+1)*w]
		for s, sl := range pl.slots {
			if sl.dec < 0 {
				continue
			}
			v, err := pl.decs[sl.dec].value(i)
			if err != nil {
				return nil, false, fmt.Errorf("cold: read %s: %w", f.path, err)
			}
			if sl.conv {
				if v, err = convert(sl.col.Name, sl.from.Type, sl.col.Type, v); err != nil {
					return nil, false, err
				}
			}
			r.Values[s] = v
		}
	}
	pl.lastKey = prev
	f.c.rowsDecoded.Add(int64(end - start))
	return rows, done, nil
}

// Lookup finds the row with key key, projected like ScanRange. It reads
// data only from a row group whose _key statistics cover the key and
// whose bloom filter does not rule it out, and inside it only the _key
// page that can hold the key and, when found, one page of each wanted
// column.
func (f *File) Lookup(ctx context.Context, current *systable.TableSchema, want []int, key []byte) (r Row, found bool, err error) {
	defer func() {
		if err != nil {
			r, found = Row{}, false
		}
	}()
	defer recoverCorrupt(&err, nil)
	pl, err := f.plan(current, want)
	if err != nil {
		return Row{}, false, err
	}
	if len(key) == 0 {
		return Row{}, false, nil
	}
	for i := range f.rgs {
		rg := &f.rgs[i]
		if rg.hasBounds && (bytes.Compare(key, rg.minKey) < 0 || bytes.Compare(key, rg.maxKey) > 0) {
			f.c.rowGroupsPruned.Add(1)
			continue
		}
		if err := ctx.Err(); err != nil {
			return Row{}, false, err
		}
		bf, err := f.bloomFilter(i)
		if err != nil {
			return Row{}, false, err
		}
		if bf != nil {
			f.c.bloomChecks.Add(1)
			if !bf.CheckHash(bf.Hasher().Sum64(key)) {
				f.c.bloomNegatives.Add(1)
				continue
			}
		}
		f.c.rowGroupsRead.Add(1)
		r, found, err := f.lookupInRowGroup(pl, i, key)
		if err != nil || found {
			return r, found, err
		}
		if rg.hasBounds {
			break // row groups do not overlap: no other one can hold it
		}
	}
	return Row{}, false, nil
}

func (f *File) bloomFilter(i int) (metadata.BloomFilter, error) {
	rg := &f.rgs[i]
	rg.bloomOnce.Do(func() {
		rgr, err := f.pointRdr.GetBloomFilterReader().RowGroup(i)
		if err != nil {
			rg.bloomErr = err
			return
		}
		rg.bloom, rg.bloomErr = rgr.GetColumnBloomFilter(keyLeaf)
	})
	if rg.bloomErr != nil {
		return nil, fmt.Errorf("cold: read %s: row group %d bloom filter: %w", f.path, i, fmt.Errorf("%w: %w", ErrCorrupt, rg.bloomErr))
	}
	return rg.bloom, nil
}

func (f *File) keyPages(i int) (*keyPages, error) {
	rg := &f.rgs[i]
	rg.pagesOnce.Do(func() {
		rg.pages, rg.pagesErr = f.loadKeyPages(i)
	})
	if rg.pagesErr != nil {
		return nil, fmt.Errorf("cold: read %s: row group %d page index: %w", f.path, i, fmt.Errorf("%w: %w", ErrCorrupt, rg.pagesErr))
	}
	return rg.pages, nil
}

// loadKeyPages reads the _key column and offset indexes of row group i.
// A file without them (or with truncated page statistics) yields nil:
// lookups then read the row group's whole _key chunk.
func (f *File) loadKeyPages(i int) (*keyPages, error) {
	cc, err := f.pointRdr.MetaData().RowGroup(i).ColumnChunk(keyLeaf)
	if err != nil {
		return nil, err
	}
	if cc.GetColumnIndexLocation() == nil || cc.GetOffsetIndexLocation() == nil {
		return nil, nil
	}
	rgi, err := f.pointRdr.GetPageIndexReader().RowGroup(i)
	if err != nil || rgi == nil {
		return nil, err
	}
	ci, err := rgi.GetColumnIndex(keyLeaf)
	if err != nil || ci == nil {
		return nil, err
	}
	oi, err := rgi.GetOffsetIndex(keyLeaf)
	if err != nil || oi == nil {
		return nil, err
	}
	locs := oi.GetPageLocations()
	mins, maxs := ci.GetMinValues(), ci.GetMaxValues()
	if len(locs) == 0 || len(mins) != len(locs) || len(maxs) != len(locs) {
		return nil, nil
	}
	kp := &keyPages{min: make([][]byte, len(locs)), max: make([][]byte, len(locs)), first: make([]int64, len(locs))}
	for p, loc := range locs {
		if len(mins[p]) == 0 || len(maxs[p]) == 0 {
			return nil, nil // statistics dropped for size: not usable
		}
		kp.min[p], kp.max[p], kp.first[p] = bytes.Clone(mins[p]), bytes.Clone(maxs[p]), loc.FirstRowIndex
	}
	return kp, nil
}

// seekKey finds, in row group i, the first row whose key is >= key: its
// index, and whether its key equals key. It reads one _key page, the one
// the page index says can hold the key (or the whole chunk without a page
// index). idx is the row group's row count when every key is smaller.
func (f *File) seekKey(i int, key []byte) (idx int64, equal bool, err error) {
	rg := &f.rgs[i]
	first, count := int64(0), rg.rows
	kp, err := f.keyPages(i)
	if err != nil {
		return 0, false, err
	}
	if kp != nil {
		n := len(kp.first)
		p := sort.Search(n, func(j int) bool { return bytes.Compare(kp.max[j], key) >= 0 })
		if p == n {
			return rg.rows, false, nil
		}
		if bytes.Compare(kp.min[p], key) >= 0 {
			// The page starts at or after key: no need to read it to
			// answer a lower bound, only to confirm equality.
			if !bytes.Equal(kp.min[p], key) {
				f.c.pagesPruned.Add(1)
				return kp.first[p], false, nil
			}
			return kp.first[p], true, nil
		}
		first = kp.first[p]
		if p+1 < n {
			count = kp.first[p+1] - first
		} else {
			count = rg.rows - first
		}
	}
	cr, err := f.rowGroupReader(i).Column(keyLeaf)
	if err != nil {
		return 0, false, f.readErr(err)
	}
	defer cr.Close()
	kr, ok := cr.(*file.ByteArrayColumnChunkReader)
	if !ok {
		return 0, false, fmt.Errorf("cold: read %s: %w", f.path, corruptf("_key is not a byte array column"))
	}
	if first > 0 {
		if err := kr.SeekToRow(first); err != nil {
			return 0, false, f.readErr(err)
		}
	}
	vals := make([]parquet.ByteArray, count)
	got := int64(0)
	for got < count {
		n, _, err := kr.ReadBatch(count-got, vals[got:], nil, nil)
		if err != nil {
			return 0, false, f.readErr(err)
		}
		if n == 0 {
			break
		}
		got += n
	}
	if got != count {
		return 0, false, fmt.Errorf("cold: read %s: %w", f.path, corruptf("row group %d: read %d of %d keys", i, got, count))
	}
	j := sort.Search(int(got), func(j int) bool { return bytes.Compare(vals[j], key) >= 0 })
	return first + int64(j), j < int(got) && bytes.Equal(vals[j], key), nil
}

// lookupInRowGroup finds key in row group i: first its row, from the one
// _key page that can hold it, then the wanted columns at that row.
func (f *File) lookupInRowGroup(pl *plan, i int, key []byte) (Row, bool, error) {
	rowIdx, found, err := f.seekKey(i, key)
	if err != nil || !found {
		return Row{}, false, err
	}

	// The row's other columns: one page each, found through the offset
	// index, not the whole column chunk.
	rgr := f.rowGroupReader(i)
	r := Row{Key: bytes.Clone(key), Values: make([]any, len(pl.slots))}
	seq, err := f.readPoint(rgr, seqLeaf, rowIdx, colDecoder{name: ColSeq, kind: schema.KindInt64})
	if err != nil {
		return Row{}, false, err
	}
	del, err := f.readPoint(rgr, deletedLeaf, rowIdx, colDecoder{name: ColDeleted, kind: schema.KindBool})
	if err != nil {
		return Row{}, false, err
	}
	s, ok1 := seq.(int64)
	d, ok2 := del.(int8)
	if !ok1 || !ok2 {
		return Row{}, false, fmt.Errorf("cold: read %s: %w", f.path, corruptf("NULL in a system column"))
	}
	r.Seq, r.Deleted = s, d == 1
	for k, sl := range pl.slots {
		if sl.dec < 0 {
			continue
		}
		v, err := f.readPoint(rgr, pl.leaves[numSystemCols+sl.dec], rowIdx, pl.decs[sl.dec])
		if err != nil {
			return Row{}, false, err
		}
		if sl.conv {
			if v, err = convert(sl.col.Name, sl.from.Type, sl.col.Type, v); err != nil {
				return Row{}, false, err
			}
		}
		r.Values[k] = v
	}
	f.c.rowsDecoded.Add(1)
	return r, true, nil
}

// rowGroupReader is row group i's reader for lookups, made once: it
// caches the row group's offset indexes, which every point read uses.
func (f *File) rowGroupReader(i int) *file.RowGroupReader {
	rg := &f.rgs[i]
	rg.rgrOnce.Do(func() { rg.rgr = f.pointRdr.RowGroup(i) })
	return rg.rgr
}

// readPoint reads the value of column leaf at row rowIdx of a row group,
// as the canonical value of the column described by d.
func (f *File) readPoint(rgr *file.RowGroupReader, leaf int, rowIdx int64, d colDecoder) (any, error) {
	cr, err := rgr.Column(leaf)
	if err != nil {
		return nil, f.readErr(err)
	}
	defer cr.Close()
	if err := cr.SeekToRow(rowIdx); err != nil {
		return nil, f.readErr(err)
	}
	var (
		def   [1]int16
		total int64
		n     int
		v     any
	)
	switch c := cr.(type) {
	case *file.BooleanColumnChunkReader:
		var x [1]bool
		total, n, err = c.ReadBatch(1, x[:], def[:], nil)
		if d.kind == schema.KindBool {
			v = int8(0)
			if x[0] {
				v = int8(1)
			}
		}
	case *file.Int32ColumnChunkReader:
		var x [1]int32
		total, n, err = c.ReadBatch(1, x[:], def[:], nil)
		switch d.kind {
		case schema.KindInt16:
			if x[0] < math.MinInt16 || x[0] > math.MaxInt16 {
				return nil, fmt.Errorf("cold: read %s: %w", f.path, corruptf("column %q: SMALLINT %d out of range", d.name, x[0]))
			}
			v = int16(x[0])
		case schema.KindInt32:
			v = x[0]
		case schema.KindDate:
			v, err = dateValue(d.name, int64(x[0]))
		}
	case *file.Int64ColumnChunkReader:
		var x [1]int64
		total, n, err = c.ReadBatch(1, x[:], def[:], nil)
		switch d.kind {
		case schema.KindInt64:
			v = x[0]
		case schema.KindTimestamp:
			v, err = timestampValue(d.name, x[0])
		case schema.KindTime:
			v, err = timeValue(d.name, x[0])
		}
	case *file.Float32ColumnChunkReader:
		var x [1]float32
		total, n, err = c.ReadBatch(1, x[:], def[:], nil)
		if d.kind == schema.KindFloat32 {
			v = x[0]
		}
	case *file.Float64ColumnChunkReader:
		var x [1]float64
		total, n, err = c.ReadBatch(1, x[:], def[:], nil)
		if d.kind == schema.KindFloat64 {
			v = x[0]
		}
	case *file.ByteArrayColumnChunkReader:
		var x [1]parquet.ByteArray
		total, n, err = c.ReadBatch(1, x[:], def[:], nil)
		switch d.kind {
		case schema.KindText:
			v = string(x[0])
		case schema.KindBytes:
			v = bytes.Clone(x[0])
			if v.([]byte) == nil {
				v = []byte{}
			}
		case schema.KindJSON:
			if n == 1 {
				v, err = jsonValue(d.name, x[0])
			}
		}
	case *file.FixedLenByteArrayColumnChunkReader:
		var x [1]parquet.FixedLenByteArray
		total, n, err = c.ReadBatch(1, x[:], def[:], nil)
		switch d.kind {
		case schema.KindUUID:
			if n == 1 {
				if len(x[0]) != 16 {
					return nil, fmt.Errorf("cold: read %s: %w", f.path, corruptf("column %q: %d-byte UUID", d.name, len(x[0])))
				}
				v = uuidValue(x[0])
			}
		case schema.KindDecimal:
			if n == 1 {
				v, err = decimalFromBytes(d.name, x[0], d.scale)
			}
		}
	}
	if err != nil {
		if errors.Is(err, ErrCorrupt) {
			return nil, fmt.Errorf("cold: read %s: %w", f.path, err)
		}
		return nil, f.readErr(err)
	}
	if total != 1 {
		return nil, fmt.Errorf("cold: read %s: %w", f.path, corruptf("column %q has no row %d", d.name, rowIdx))
	}
	if n == 0 {
		if cr.Descriptor().MaxDefinitionLevel() == 0 {
			return nil, fmt.Errorf("cold: read %s: %w", f.path, corruptf("required column %q has no value at row %d", d.name, rowIdx))
		}
		return nil, nil
	}
	if v == nil {
		return nil, fmt.Errorf("cold: read %s: %w", f.path, corruptf("column %q is stored as %s", d.name, cr.Type()))
	}
	return v, nil
}

// recoverCorrupt turns a panic inside the Parquet library, which some
// malformed inputs still provoke, into an ErrCorrupt error: a bad file
// must fail its read, not the process. A panic in the caller's callback
// (inFn set) is the caller's and is re-raised.
func recoverCorrupt(err *error, inFn *bool) {
	if inFn != nil && *inFn {
		return // not recovering lets the caller's panic go on unwinding
	}
	if v := recover(); v != nil {
		*err = fmt.Errorf("%w: reader panic: %v", ErrCorrupt, v)
	}
}
