package cold

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"io/fs"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// Stats are a file's read counters since it was opened. They let callers
// and tests see pruning at work: a point lookup of an absent key should
// show a bloom negative or a pruned row group and no row group read.
type Stats struct {
	// RowGroupsRead counts row groups whose data pages were read.
	RowGroupsRead int64
	// RowGroupsPruned counts row groups skipped because their _key
	// min/max excluded the key or key range, or (for range reads with
	// filters) a filtered column's statistics excluded every row.
	RowGroupsPruned int64
	// BloomChecks counts _key bloom filter probes.
	BloomChecks int64
	// BloomNegatives counts probes that proved a key absent, so its row
	// group was not read.
	BloomNegatives int64
	// PagesPruned counts key searches inside a row group (a lookup, or
	// the start or end of a range read) that the _key page index answered
	// without reading a _key page.
	PagesPruned int64
	// PagesFiltered counts pages a range read skipped because a filtered
	// column's page statistics excluded every row of them.
	PagesFiltered int64
	// PagesDecoded counts data pages decoded (cache misses), PagesCached
	// pages found decoded in the cache.
	PagesDecoded, PagesCached int64
	// RowsDecoded counts rows turned into Row values or batch rows.
	RowsDecoded int64
	// BytesRead and ReadCalls count what was read from storage,
	// footer and indexes included.
	BytesRead int64
	ReadCalls int64
}

type counters struct {
	rowGroupsRead, rowGroupsPruned, bloomChecks, bloomNegatives, pagesPruned, rowsDecoded atomic.Int64
	pagesFiltered, pagesDecoded, pagesCached, bytesRead, readCalls                        atomic.Int64
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

// fileMeta is what a file's footer says, parsed once per file identity
// and shared (through the cache) by every File open on it.
type fileMeta struct {
	md     *metadata.FileMetaData
	schema *systable.TableSchema
	info   FileInfo
	rgs    []rgMeta
	byID   map[int]int // column id -> index in schema.Columns
	bytes  int64       // estimated memory
}

// rgMeta is what a file keeps about one row group.
type rgMeta struct {
	rows           int64
	minKey, maxKey []byte
	hasBounds      bool // _key statistics were present
}

// File is an open cold file. It is safe for concurrent use; Close it
// when done. What reads load from it — the footer, per row group the
// _key bloom filter and per column chunk the page indexes, and decoded
// data pages — is kept in a Cache: the one given to OpenFileWith, shared
// with other files and bounded, or, for a File opened without one, a
// private one that keeps the footer and indexes (not pages) while the
// File is open.
type File struct {
	path  string
	h     ReadHandle
	mem   memory.Allocator
	rdr   *file.Reader // reads single pages, through buffered streams
	meta  *fileMeta
	cache *Cache
	rec   *fileRec
	rgrs  []rgReader
	plans planCache
	c     counters
}

type rgReader struct {
	once sync.Once
	rgr  *file.RowGroupReader
}

// OpenOptions tune OpenFileWith.
type OpenOptions struct {
	// Cache holds what reads decode, shared by the files opened with it;
	// nil gives the File a private cache of its footer and indexes only.
	Cache *Cache
	// StorageID names the storage the file is in, so that the cache tells
	// apart files of different storages at the same path.
	StorageID string
}

// OpenFile opens the cold file p of st and reads its footer, without a
// shared cache. A missing, truncated or corrupt file, or one this package
// did not write, is an error naming p (corruption matches ErrCorrupt).
func OpenFile(ctx context.Context, st Storage, p string) (*File, error) {
	return OpenFileWith(ctx, st, p, OpenOptions{})
}

// modTimer is implemented by read handles that know their file's
// modification time, which keys cached entries together with the size.
type modTimer interface{ ModTime() time.Time }

// OpenFileWith is OpenFile with options. With a Cache, a file opened
// again (same storage, path, size and modification time) finds its
// footer and pages still cached.
func OpenFileWith(ctx context.Context, st Storage, p string, o OpenOptions) (*File, error) {
	h, err := st.Open(ctx, p)
	if err != nil {
		return nil, err
	}
	f, err := openHandle(p, h, o)
	if err != nil {
		_ = h.Close()
		return nil, fmt.Errorf("cold: open %s: %w", p, err)
	}
	return f, nil
}

func openHandle(p string, h ReadHandle, o OpenOptions) (f *File, err error) {
	defer recoverCorrupt(&err, nil)
	f = &File{path: p, h: h, mem: memory.DefaultAllocator, cache: o.Cache}
	src := io.NewSectionReader(countingReaderAt{r: h, c: &f.c}, 0, h.Size())
	id := fileIdentity{storage: o.StorageID, path: p, size: h.Size()}
	if mt, ok := h.(modTimer); ok {
		id.modTime = mt.ModTime().UnixNano()
	}
	if f.cache == nil {
		f.cache = newPrivateCache()
	} else if id.footer, err = footerHash(src, f.cache.seed); err != nil {
		return nil, err
	}
	f.rec = f.cache.open(id)
	defer func() {
		if err != nil {
			f.cache.close(f.rec)
		}
	}()

	v, err := f.cache.getOrLoad(f.rec, cacheKey{file: f.rec.num, kind: kindFooter}, func() (any, int64, error) {
		rdr, err := file.NewParquetReader(src, file.WithReadProps(parquet.NewReaderProperties(f.mem)))
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				return nil, 0, corruptf("truncated: %v", err)
			}
			return nil, 0, corruptf("%v", err)
		}
		m, err := parseMeta(p, rdr.MetaData(), h.Size())
		if err != nil {
			return nil, 0, err
		}
		return m, m.bytes, nil
	})
	if err != nil {
		return nil, err
	}
	f.meta = v.(*fileMeta)

	// Pages are read one at a time through a small buffer, so that a
	// read costs the pages it needs, not whole column chunks.
	props := parquet.NewReaderProperties(f.mem)
	props.BufferedStreamEnabled = true
	props.BufferSize = 8 << 10
	if f.rdr, err = file.NewParquetReader(src, file.WithReadProps(props), file.WithMetadata(f.meta.md)); err != nil {
		return nil, corruptf("%v", err)
	}
	f.rdr.GetBloomFilterReader() // created lazily without a lock: do it now
	f.rgrs = make([]rgReader, len(f.meta.rgs))
	return f, nil
}

// footerTail is how much of a file's end an open reads to hash its
// footer: one read for the footers of the files a flush writes.
const footerTail = 16 << 10

// footerHash hashes the footer of the file read by src (and its length
// and magic): what tells two files written at one path apart. A file too
// short or with a footer length past its start hashes what it has; the
// footer's parse then fails as it would without a cache.
func footerHash(src *io.SectionReader, seed maphash.Seed) (uint64, error) {
	size := src.Size()
	buf := make([]byte, min(size, footerTail))
	if _, err := src.ReadAt(buf, size-int64(len(buf))); err != nil && !errors.Is(err, io.EOF) {
		return 0, err
	}
	if len(buf) >= 8 {
		n := int64(binary.LittleEndian.Uint32(buf[len(buf)-8:]))
		if need := n + 8; need > int64(len(buf)) && need <= size {
			more := make([]byte, need)
			if _, err := src.ReadAt(more, size-need); err != nil && !errors.Is(err, io.EOF) {
				return 0, err
			}
			buf = more
		} else if need <= int64(len(buf)) {
			buf = buf[int64(len(buf))-need:]
		}
	}
	return maphash.Bytes(seed, buf), nil
}

// parseMeta checks that the file is one of ours and extracts what every
// read needs: the schema it was written with, its FileInfo and the key
// bounds of its row groups.
func parseMeta(p string, md *metadata.FileMetaData, size int64) (*fileMeta, error) {
	m := &fileMeta{md: md}
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
		return nil, err
	}
	if format != formatVersion {
		return nil, corruptf("unknown %s %q", MetaFormat, format)
	}
	schemaJSON, err := get(MetaSchema)
	if err != nil {
		return nil, err
	}
	if m.schema, err = decodeFileSchema(schemaJSON); err != nil {
		return nil, err
	}
	info := FileInfo{Path: p, TableID: m.schema.TableID, SchemaVersion: m.schema.Version, Bytes: size, RowGroups: md.NumRowGroups()}
	for _, e := range []struct {
		key string
		dst *int64
	}{{MetaRows, &info.Rows}, {MetaMinSeq, &info.MinSeq}, {MetaMaxSeq, &info.MaxSeq}} {
		s, err := get(e.key)
		if err != nil {
			return nil, err
		}
		if *e.dst, err = strconv.ParseInt(s, 10, 64); err != nil {
			return nil, corruptf("%s: %v", e.key, err)
		}
	}
	for _, e := range []struct {
		key string
		dst *[]byte
	}{{MetaMinKey, &info.MinKey}, {MetaMaxKey, &info.MaxKey}} {
		s, err := get(e.key)
		if err != nil {
			return nil, err
		}
		if *e.dst, err = hex.DecodeString(s); err != nil {
			return nil, corruptf("%s: %v", e.key, err)
		}
	}
	if info.Rows != md.GetNumRows() {
		return nil, corruptf("footer says %d rows, row groups hold %d", info.Rows, md.GetNumRows())
	}
	m.info = info

	// The columns must be exactly the ones this package writes for that
	// schema, so decoding can trust positions and types.
	want, err := ArrowSchema(m.schema)
	if err != nil {
		return nil, corruptf("%v", err)
	}
	got, err := pqarrow.FromParquet(md.Schema, &pqarrow.ArrowReadProperties{}, kv)
	if err != nil {
		return nil, corruptf("%v", err)
	}
	if got.NumFields() != want.NumFields() || md.Schema.NumColumns() != want.NumFields() {
		return nil, corruptf("file has %d columns, its schema %d", got.NumFields(), want.NumFields())
	}
	for i := range want.NumFields() {
		g, w := got.Field(i), want.Field(i)
		if g.Name != w.Name || !readableAs(g.Type, w.Type) {
			return nil, corruptf("column %d is %s %s, want %s %s", i, g.Name, g.Type, w.Name, w.Type)
		}
		if i >= numSystemCols {
			if id := md.Schema.Column(i).SchemaNode().FieldID(); int(id) != m.schema.Columns[i-numSystemCols].ColumnID {
				return nil, corruptf("column %q has field id %d, its schema says %d", w.Name, id, m.schema.Columns[i-numSystemCols].ColumnID)
			}
		}
	}
	if md.Schema.Column(keyLeaf).PhysicalType() != parquet.Types.ByteArray {
		return nil, corruptf("_key is not a byte array column")
	}
	m.byID = make(map[int]int, len(m.schema.Columns))
	for i, c := range m.schema.Columns {
		m.byID[c.ColumnID] = i
	}

	m.rgs = make([]rgMeta, md.NumRowGroups())
	var prevMax []byte
	for i := range m.rgs {
		rg := &m.rgs[i]
		rgm := md.RowGroup(i)
		rg.rows = rgm.NumRows()
		if rg.rows < 0 {
			return nil, corruptf("row group %d has %d rows", i, rg.rows)
		}
		cc, err := rgm.ColumnChunk(keyLeaf)
		if err != nil {
			return nil, corruptf("row group %d: %v", i, err)
		}
		if set, _ := cc.StatsSet(); !set {
			continue
		}
		st, err := cc.Statistics()
		if err != nil {
			return nil, corruptf("row group %d: %v", i, err)
		}
		bs, ok := st.(*metadata.ByteArrayStatistics)
		if !ok || !bs.HasMinMax() {
			continue
		}
		rg.minKey, rg.maxKey, rg.hasBounds = bytes.Clone(bs.Min()), bytes.Clone(bs.Max()), true
		if bytes.Compare(rg.minKey, rg.maxKey) > 0 || (prevMax != nil && bytes.Compare(rg.minKey, prevMax) <= 0) {
			return nil, corruptf("row group %d keys are not in order", i)
		}
		prevMax = rg.maxKey
		if bytes.Compare(rg.minKey, info.MinKey) < 0 || bytes.Compare(rg.maxKey, info.MaxKey) > 0 {
			return nil, corruptf("row group %d keys are outside the file's %s..%s", i, MetaMinKey, MetaMaxKey)
		}
		m.bytes += int64(len(rg.minKey) + len(rg.maxKey))
	}
	// The parsed footer holds about a few times its serialised size; the
	// thrift structures are not measured exactly.
	m.bytes += 4*int64(md.Size()) + int64(len(schemaJSON)) + 64*int64(len(m.rgs))
	return m, nil
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
	info := f.meta.info
	info.MinKey, info.MaxKey = bytes.Clone(info.MinKey), bytes.Clone(info.MaxKey)
	return info
}

// Schema is the table schema the file was written with, from its footer.
// Callers must not modify it.
func (f *File) Schema() *systable.TableSchema { return f.meta.schema }

// Stats returns the read counters.
func (f *File) Stats() Stats {
	return Stats{
		RowGroupsRead:   f.c.rowGroupsRead.Load(),
		RowGroupsPruned: f.c.rowGroupsPruned.Load(),
		BloomChecks:     f.c.bloomChecks.Load(),
		BloomNegatives:  f.c.bloomNegatives.Load(),
		PagesPruned:     f.c.pagesPruned.Load(),
		PagesFiltered:   f.c.pagesFiltered.Load(),
		PagesDecoded:    f.c.pagesDecoded.Load(),
		PagesCached:     f.c.pagesCached.Load(),
		RowsDecoded:     f.c.rowsDecoded.Load(),
		BytesRead:       f.c.bytesRead.Load(),
		ReadCalls:       f.c.readCalls.Load(),
	}
}

// Close closes the file. Its cached entries stay in a shared cache (for
// the next open of the same file) until evicted or invalidated.
func (f *File) Close() error {
	f.cache.close(f.rec)
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
	return slices.Clone(pl.missing), nil
}

// plan is how reads map the file's columns onto the wanted columns of
// the current schema. It is immutable, and cached per File.
type plan struct {
	slots   []slot // one per wanted column
	missing []bool // per wanted column: the file predates it
}

type slot struct {
	leaf  int         // file column to read, or -1: the column is newer than the file
	kind  schema.Kind // the file column's kind
	name  string      // the file column's name
	scale int32       // the file column's DECIMAL scale
	conv  bool        // re-typed since the file was written: convert
	col   systable.ColumnSchema
	from  systable.ColumnSchema // file's column, when conv
}

// planCache keeps the last plans built, keyed by schema and wanted
// columns: a statement reads many rows or lookups with one plan.
type planCache struct {
	mu    sync.Mutex
	slots [8]planSlot
	next  int
}

type planSlot struct {
	sch     *systable.TableSchema
	version int
	ncols   int
	all     bool
	want    []int
	pl      *plan
}

func (f *File) plan(current *systable.TableSchema, want []int) (*plan, error) {
	if current == nil {
		return nil, fmt.Errorf("cold: %s: nil schema", f.path)
	}
	pc := &f.plans
	pc.mu.Lock()
	for i := range pc.slots {
		s := &pc.slots[i]
		if s.sch == current && s.version == current.Version && s.ncols == len(current.Columns) &&
			s.all == (want == nil) && slices.Equal(s.want, want) {
			pl := s.pl
			pc.mu.Unlock()
			return pl, nil
		}
	}
	pc.mu.Unlock()
	pl, err := f.buildPlan(current, want)
	if err != nil {
		return nil, err
	}
	pc.mu.Lock()
	pc.slots[pc.next] = planSlot{sch: current, version: current.Version, ncols: len(current.Columns),
		all: want == nil, want: slices.Clone(want), pl: pl}
	pc.next = (pc.next + 1) % len(pc.slots)
	pc.mu.Unlock()
	return pl, nil
}

func (f *File) buildPlan(current *systable.TableSchema, want []int) (*plan, error) {
	if current.TableID != f.meta.schema.TableID {
		return nil, fmt.Errorf("cold: %s holds table %s, not %s", f.path, f.meta.schema.TableID, current.TableID)
	}
	if want == nil {
		want = make([]int, len(current.Columns))
		for i := range want {
			want[i] = i
		}
	}
	pl := &plan{slots: make([]slot, len(want)), missing: make([]bool, len(want))}
	seen := make(map[int]bool, len(want))
	for s, ci := range want {
		sl, err := f.slotOf(current, ci)
		if err != nil {
			return nil, err
		}
		if seen[ci] {
			return nil, fmt.Errorf("cold: %s: column %d wanted twice", f.path, ci)
		}
		seen[ci] = true
		pl.slots[s] = sl
		pl.missing[s] = sl.leaf < 0
	}
	return pl, nil
}

// slotOf maps column ci of current onto the file's columns.
func (f *File) slotOf(current *systable.TableSchema, ci int) (slot, error) {
	if ci < 0 || ci >= len(current.Columns) {
		return slot{}, fmt.Errorf("cold: %s: wanted column %d of %d", f.path, ci, len(current.Columns))
	}
	c := current.Columns[ci]
	if schema.KindOf(c.Type.Name) == schema.KindInvalid {
		return slot{}, fmt.Errorf("cold: %s: column %q has unknown type %q", f.path, c.Name, c.Type.Name)
	}
	sl := slot{leaf: -1, col: c}
	fi, ok := f.meta.byID[c.ColumnID]
	if !ok {
		return sl, nil
	}
	fc := f.meta.schema.Columns[fi]
	_, sc := decimalParams(fc.Type)
	sl.leaf, sl.kind, sl.name, sl.scale = numSystemCols+fi, schema.KindOf(fc.Type.Name), fc.Name, sc
	if needsConversion(fc.Type, c.Type) {
		sl.conv, sl.from = true, fc
	}
	return sl, nil
}

// overlaps reports whether row group rg may hold keys in [lo, hi) (nil
// bounds are open).
func (rg *rgMeta) overlaps(lo, hi []byte) bool {
	if !rg.hasBounds {
		return true
	}
	return (hi == nil || bytes.Compare(rg.minKey, hi) < 0) && (lo == nil || bytes.Compare(rg.maxKey, lo) >= 0)
}

// readErr wraps an error from the Parquet library. A storage error (an
// *fs.PathError from the file) or a cancelled context is passed on as
// is; anything else is the library failing to decode the file.
func (f *File) readErr(err error) error {
	var pe *fs.PathError
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if errors.Is(err, ErrCorrupt) {
		return fmt.Errorf("cold: read %s: %w", f.path, err)
	}
	if errors.As(err, &pe) {
		return fmt.Errorf("cold: read %s: %w", f.path, err)
	}
	return fmt.Errorf("cold: read %s: %w: %w", f.path, ErrCorrupt, err)
}

func (f *File) key(i, leaf, page int, kind entryKind) cacheKey {
	return cacheKey{file: f.rec.num, rg: int32(i), col: int32(leaf), page: int32(page), kind: kind}
}

// rowGroupReader is row group i's page reader, made once: it keeps the
// offset indexes its seeks use.
func (f *File) rowGroupReader(i int) *file.RowGroupReader {
	r := &f.rgrs[i]
	r.once.Do(func() { r.rgr = f.rdr.RowGroup(i) })
	return r.rgr
}

// bloomFilter is row group i's _key bloom filter, nil when it has none.
func (f *File) bloomFilter(i int) (metadata.BloomFilter, error) {
	v, err := f.cache.getOrLoad(f.rec, f.key(i, keyLeaf, 0, kindBloom), func() (any, int64, error) {
		rgr, err := f.rdr.GetBloomFilterReader().RowGroup(i)
		if err != nil {
			return nil, 0, err
		}
		bf, err := rgr.GetColumnBloomFilter(keyLeaf)
		if err != nil || bf == nil {
			return nil, 0, err
		}
		return bf, bf.Size(), nil
	})
	if err != nil {
		return nil, fmt.Errorf("cold: read %s: row group %d bloom filter: %w", f.path, i, fmt.Errorf("%w: %w", ErrCorrupt, err))
	}
	bf, _ := v.(metadata.BloomFilter)
	return bf, nil
}

// chunkPages is where the pages of column leaf of row group i start.
func (f *File) chunkPages(i, leaf int) (*chunkPages, error) {
	return cachedIndex(f, i, leaf, kindOffsets, "offset index", f.loadChunkPages)
}

// cachedIndex returns an index of column leaf of row group i, loading it
// on a cache miss.
func cachedIndex[T interface{ size() int64 }](f *File, i, leaf int, kind entryKind, what string, load func(i, leaf int) (T, error)) (T, error) {
	v, err := f.cache.getOrLoad(f.rec, f.key(i, leaf, 0, kind), func() (any, int64, error) {
		x, err := load(i, leaf)
		if err != nil {
			return nil, 0, err
		}
		return x, x.size(), nil
	})
	if err != nil {
		var zero T
		return zero, fmt.Errorf("cold: read %s: row group %d column %d %s: %w: %w", f.path, i, leaf, what, ErrCorrupt, err)
	}
	return v.(T), nil
}

func (f *File) loadChunkPages(i, leaf int) (*chunkPages, error) {
	rows := f.meta.rgs[i].rows
	cp := &chunkPages{first: []int64{0}, rows: rows}
	rgi, err := f.pageIndexReader(i, leaf, (*metadata.ColumnChunkMetaData).GetOffsetIndexLocation)
	if err != nil || rgi == nil {
		return cp, err
	}
	oi, err := rgi.GetOffsetIndex(leaf)
	if err != nil || oi == nil {
		return cp, err
	}
	locs := oi.GetPageLocations()
	if len(locs) == 0 {
		return cp, nil
	}
	cp.first = make([]int64, len(locs))
	for p, loc := range locs {
		cp.first[p] = loc.FirstRowIndex
	}
	if err := checkOffsets(cp.first, rows); err != nil {
		return nil, err
	}
	return cp, nil
}

// pageIndexReader is a reader of row group i's page index when column
// leaf has the index that location gives, else nil. A fresh one each
// time: it keeps what it parses, which the cache keeps instead.
func (f *File) pageIndexReader(i, leaf int, location func(*metadata.ColumnChunkMetaData) *metadata.IndexLocation) (*metadata.RowGroupPageIndexReader, error) {
	cc, err := f.meta.md.RowGroup(i).ColumnChunk(leaf)
	if err != nil || location(cc) == nil {
		return nil, err
	}
	return f.rdr.GetPageIndexReader().RowGroup(i)
}

// pageStats is the column index of column leaf of row group i.
func (f *File) pageStats(i, leaf int) (*pageStats, error) {
	return cachedIndex(f, i, leaf, kindStats, "page index", f.loadPageStats)
}

func (f *File) loadPageStats(i, leaf int) (*pageStats, error) {
	ps := &pageStats{}
	rgi, err := f.pageIndexReader(i, leaf, (*metadata.ColumnChunkMetaData).GetColumnIndexLocation)
	if err != nil || rgi == nil {
		return ps, err
	}
	ci, err := rgi.GetColumnIndex(leaf)
	if err != nil || ci == nil {
		return ps, err
	}
	mins, maxs, nulls := ci.GetMinValues(), ci.GetMaxValues(), ci.GetNullPages()
	if len(mins) != len(maxs) {
		return nil, fmt.Errorf("column index has %d minimums and %d maximums", len(mins), len(maxs))
	}
	ps.min, ps.max = make([][]byte, len(mins)), make([][]byte, len(mins))
	for p := range mins {
		if (p < len(nulls) && nulls[p]) || len(mins[p]) == 0 || len(maxs[p]) == 0 {
			continue // no usable bounds (all NULL, or dropped for size)
		}
		ps.min[p], ps.max[p] = bytes.Clone(mins[p]), bytes.Clone(maxs[p])
	}
	return ps, nil
}

// page returns page p of column leaf of row group i, decoded, from the
// cache or through rd (a reader of that chunk the caller keeps for
// consecutive pages; nil: a reader only for this page).
func (f *File) page(i, leaf, p int, cp *chunkPages, rd *chunkReader, asText bool) (*colPage, error) {
	k := f.key(i, leaf, p, kindPage)
	if f.cache.pages {
		if v, ok := f.cache.get(k); ok {
			f.c.pagesCached.Add(1)
			return v.(*colPage), nil
		}
	}
	v, err := f.cache.getOrLoad(f.rec, k, func() (any, int64, error) {
		own := rd == nil
		if own {
			rd = &chunkReader{}
			defer rd.close()
		}
		if rd.cr == nil {
			cr, err := f.rowGroupReader(i).Column(leaf)
			if err != nil {
				return nil, 0, err
			}
			rd.cr, rd.next = cr, 0
		}
		first, n := cp.bounds(p)
		pg, err := decodePage(rd, p, first, n, asText)
		if err != nil {
			return nil, 0, err
		}
		f.c.pagesDecoded.Add(1)
		return pg, pg.size(), nil
	})
	if err != nil {
		return nil, f.readErr(err)
	}
	return v.(*colPage), nil
}

// seekKey finds, in row group i, the first row whose key is >= key: its
// index, and whether its key equals key. It reads at most one _key page,
// the one the page index says can hold the key (without a usable page
// index, a binary search over the row group's pages). idx is the row
// group's row count when every key is smaller.
func (f *File) seekKey(i int, key []byte, rd *chunkReader) (idx int64, equal bool, err error) {
	rows := f.meta.rgs[i].rows
	if rows == 0 {
		return 0, false, nil
	}
	cp, err := f.chunkPages(i, keyLeaf)
	if err != nil {
		return 0, false, err
	}
	ps, err := f.pageStats(i, keyLeaf)
	if err != nil {
		return 0, false, err
	}
	n := cp.numPages()
	usable := len(ps.min) == n
	for p := 0; usable && p < n; p++ {
		usable = ps.has(p)
	}
	if usable {
		p := searchPages(n, func(p int) bool { return bytes.Compare(ps.max[p], key) >= 0 })
		if p == n {
			return rows, false, nil
		}
		if c := bytes.Compare(ps.min[p], key); c >= 0 {
			// The page starts at or after key: no need to read it to
			// answer a lower bound, only to confirm equality.
			if c > 0 {
				f.c.pagesPruned.Add(1)
				return cp.first[p], false, nil
			}
			return cp.first[p], true, nil
		}
		pg, err := f.page(i, keyLeaf, p, cp, rd, false)
		if err != nil {
			return 0, false, err
		}
		j, eq := pg.searchKeys(key)
		return pg.first + int64(j), eq, nil
	}
	// No page statistics: find the page by its first keys.
	var ferr error
	p := searchPages(n, func(p int) bool {
		if ferr != nil {
			return true
		}
		pg, err := f.page(i, keyLeaf, p, cp, rd, false)
		if err != nil {
			ferr = err
			return true
		}
		return bytes.Compare(pg.bytesAt(pg.n-1), key) >= 0
	})
	if ferr != nil {
		return 0, false, ferr
	}
	if p == n {
		return rows, false, nil
	}
	pg, err := f.page(i, keyLeaf, p, cp, rd, false)
	if err != nil {
		return 0, false, err
	}
	j, eq := pg.searchKeys(key)
	return pg.first + int64(j), eq, nil
}

func searchPages(n int, fn func(int) bool) int {
	lo, hi := 0, n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if !fn(m) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// Lookup finds the row with key key, projected like ScanRange. It reads
// data only from a row group whose _key statistics cover the key and
// whose bloom filter does not rule it out, and inside it only the _key
// page that can hold the key and, when found, the page of each wanted
// column that holds the row; with a shared cache, pages already decoded
// are not read again.
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
	for i := range f.meta.rgs {
		rg := &f.meta.rgs[i]
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

// lookupInRowGroup finds key in row group i: first its row, from the one
// _key page that can hold it, then the wanted columns at that row.
func (f *File) lookupInRowGroup(pl *plan, i int, key []byte) (Row, bool, error) {
	rowIdx, found, err := f.seekKey(i, key, nil)
	if err != nil || !found {
		return Row{}, false, err
	}
	r := Row{Key: bytes.Clone(key), Values: make([]any, len(pl.slots))}
	seq, err := f.pageAt(i, seqLeaf, rowIdx, false)
	if err != nil {
		return Row{}, false, err
	}
	del, err := f.pageAt(i, deletedLeaf, rowIdx, false)
	if err != nil {
		return Row{}, false, err
	}
	if err := checkSystem(seq, del); err != nil {
		return Row{}, false, fmt.Errorf("cold: read %s: %w", f.path, err)
	}
	r.Seq, r.Deleted = seq.i64[rowIdx-seq.first], del.bools[rowIdx-del.first]
	for k := range pl.slots {
		sl := &pl.slots[k]
		if sl.leaf < 0 {
			continue
		}
		pg, err := f.pageAt(i, sl.leaf, rowIdx, sl.kind == schema.KindText)
		if err != nil {
			return Row{}, false, err
		}
		if r.Values[k], err = pg.value(int(rowIdx-pg.first), sl); err != nil {
			return Row{}, false, fmt.Errorf("cold: read %s: %w", f.path, err)
		}
	}
	f.c.rowsDecoded.Add(1)
	return r, true, nil
}

// pageAt returns the page of column leaf of row group i that holds row
// r. Without a page cache there is no point decoding the whole page: the
// result is then a page of just that row.
func (f *File) pageAt(i, leaf int, r int64, asText bool) (pg *colPage, err error) {
	if !f.cache.pages {
		rd := &chunkReader{next: -1}
		defer rd.close()
		if rd.cr, err = f.rowGroupReader(i).Column(leaf); err != nil {
			return nil, f.readErr(err)
		}
		if pg, err = decodePage(rd, -1, r, 1, asText); err != nil {
			return nil, f.readErr(err)
		}
		f.c.pagesDecoded.Add(1)
		return pg, nil
	}
	cp, err := f.chunkPages(i, leaf)
	if err != nil {
		return nil, err
	}
	return f.page(i, leaf, cp.pageOf(r), cp, nil, asText)
}

// checkSystem checks pages of _seq and _deleted.
func checkSystem(seq, del *colPage) error {
	if seq.i64 == nil || del.bools == nil {
		return corruptf("system columns have unexpected types")
	}
	if seq.nulls != nil || del.nulls != nil {
		return corruptf("NULL in a system column")
	}
	return nil
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
