package cold

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/maphash"
	"io"
	"io/fs"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/thrift/lib/go/thrift"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// A cold file is opened once per read path: its footer is checked and
// parsed (through the cache, so a file opened again does not parse it
// again), and the File keeps what every read needs: the schema it was
// written with, its key bounds per row group and a reader of single pages.
// The concerns of reading are in the reader_*.go files: the column plan
// (reader_plan.go), the indexes and pages read through the cache
// (reader_index.go), the storage reads of one read, with its context
// (reader_scope.go), point lookups (reader_lookup.go) and the read
// counters (reader_stats.go); range reads are in cursor.go and batch.go.

// fileMeta is what a file's footer says, parsed once per file identity
// and shared (through the cache) by every File open on it.
type fileMeta struct {
	md     *metadata.FileMetaData
	schema *systable.TableSchema
	info   FileInfo
	rgs    []rgMeta
	byID   map[int]int // column id -> index in schema.Columns
	bytes  int64       // estimated memory
	// tail and regions are where the file's metadata starts and its
	// parts with their CRC-32C, for a file whose tail was verified
	// (OpenOptions.Checksum); nil regions: not verified (checksum.go).
	tail    int64
	regions []metaRegion
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
	path    string
	h       ReadHandle
	mem     memory.Allocator
	props   *parquet.ReaderProperties // single pages, through small buffered streams
	meta    *fileMeta
	cache   *Cache
	rec     *fileRec
	plans   planCache
	readers readerPool
	c       counters
}

// OpenOptions tune OpenFileWith.
type OpenOptions struct {
	// Cache holds what reads decode, shared by the files opened with it;
	// nil gives the File a private cache of its footer and indexes only.
	Cache *Cache
	// StorageID names the storage the file is in, so that the cache tells
	// apart files of different storages at the same path.
	StorageID string
	// Checksum is the checksum of the file's metadata its manifest entry
	// records (FileInfo.Meta). When known, the load of the footer into
	// the cache (once per file identity) first reads the file's tail and
	// compares: a mismatch fails the open with ErrCorrupt (and
	// ErrChecksum), as a damaged page fails a read. The bloom filters
	// and page indexes read later are checked against the CRCs their
	// bytes had then. Zero: not checked.
	Checksum MetaChecksum
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
	f, err := openHandle(ctx, p, h, o)
	if err != nil {
		_ = h.Close()
		return nil, fmt.Errorf("cold: open %s: %w", p, err)
	}
	return f, nil
}

func openHandle(ctx context.Context, p string, h ReadHandle, o OpenOptions) (f *File, err error) {
	defer recoverCorrupt(&err, nil)
	f = &File{path: p, h: h, mem: memory.DefaultAllocator, cache: o.Cache}
	// The open's reads (the footer) carry the open's context; every later
	// read carries its own (readScope).
	src := io.NewSectionReader(newCtxReaderAt(ctx, h, &f.c), 0, h.Size())
	id := fileIdentity{storage: o.StorageID, path: p, size: h.Size(), sum: o.Checksum}
	if mt, ok := h.(modTimer); ok {
		id.modTime = mt.ModTime().UnixNano()
	}
	var foot []byte // the footer's bytes, when read for the identity
	if f.cache == nil {
		f.cache = newPrivateCache()
	} else {
		if foot, err = readFooter(src, o.Checksum.Bytes); err != nil {
			return nil, err
		}
		id.footer = maphash.Bytes(f.cache.seed, foot)
	}
	f.rec = f.cache.open(id)
	// f is nil when an error is returned: close what f opened through
	// copies (it used to panic here, and every failed open came back as
	// a "reader panic" that left the identity registered).
	cache, rec := f.cache, f.rec
	defer func() {
		if err != nil {
			cache.close(rec)
		}
	}()

	v, err := f.cache.getOrLoad(ctx, f.rec, cacheKey{file: f.rec.num, kind: kindFooter}, func() (any, int64, error) {
		// The checksum covers the footer, bloom filters and page indexes,
		// and is checked here, when the footer enters the cache (the
		// identity includes the checksum, so an unchecked open never
		// shares this file's entries); what is read of them later is
		// checked against the CRCs of their regions taken then.
		var m *fileMeta
		var err error
		if o.Checksum.Known() {
			m, err = loadChecked(p, src, o.Checksum, foot, f.mem)
		} else {
			// Without a checksum the footer's bytes cannot be verified,
			// but they can be bounded (footerBounded): a rotted count or
			// length in an older file's footer is an error, not an
			// allocation of up to 800 MB (attackrot19_footer_test.go).
			if foot == nil {
				if foot, err = readFooter(src, 0); err != nil {
					return nil, 0, err
				}
			}
			var rdr *file.Reader
			if rdr, err = parseFooter(foot, h.Size(), f.mem); err != nil {
				return nil, 0, footerErr(err)
			}
			m, err = parseMeta(p, rdr.MetaData(), h.Size())
		}
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
	f.props = parquet.NewReaderProperties(f.mem)
	f.props.BufferedStreamEnabled = true
	f.props.BufferSize = 8 << 10
	return f, nil
}

// footerTail is how much of a file's end an open reads to hash its
// footer: one read for the footers of the files a flush writes.
const footerTail = 16 << 10

// readFooter reads the footer of the file read by src, with its length
// and magic: what tells two files written at one path apart (hashed into
// the identity) and, for a checked open, what is parsed. A file too short
// or with a footer length past its start gives what it has; the footer's
// parse then fails as it would without a cache. limit, when positive, is
// the length of the file's metadata its manifest entry records: a footer
// longer than that is damage, and is not read (a rotted length would
// otherwise make every open read and hold up to the whole file, a GET of
// it on S3, before the checksum fails the open; attackrot19_footlen_test.go).
func readFooter(src *io.SectionReader, limit int64) ([]byte, error) {
	size := src.Size()
	buf := make([]byte, min(size, footerTail))
	if _, err := src.ReadAt(buf, size-int64(len(buf))); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if len(buf) >= 8 {
		n := int64(binary.LittleEndian.Uint32(buf[len(buf)-8:]))
		if need := n + 8; need > int64(len(buf)) && need <= size && (limit <= 0 || need <= limit) {
			more := make([]byte, need)
			if _, err := src.ReadAt(more, size-need); err != nil && !errors.Is(err, io.EOF) {
				return nil, err
			}
			buf = more
		} else if need <= int64(len(buf)) {
			buf = buf[int64(len(buf))-need:]
		}
	}
	return buf, nil
}

// loadChecked loads the footer of a file whose manifest entry records
// the checksum want of its tail. The footer is parsed from foot (read
// now when nil), the bytes the tail's verification then covers, and the
// verification records the CRC of each region the footer locates, which
// the File's later reads of the tail are checked against (checkedTail).
func loadChecked(p string, src *io.SectionReader, want MetaChecksum, foot []byte, mem memory.Allocator) (*fileMeta, error) {
	size := src.Size()
	if foot == nil {
		var err error
		if foot, err = readFooter(src, want.Bytes); err != nil {
			return nil, err
		}
	}
	rdr, perr := parseFooter(foot, size, mem)
	var regions []metaRegion
	if perr == nil {
		regions, perr = metaRegions(rdr.MetaData(), size, int64(len(foot)))
	}
	if perr != nil {
		// A footer that does not parse is first of all one whose bytes
		// are not what was written, when they are not.
		if err := verifyTail(src, size, want, nil); err != nil {
			return nil, err
		}
		return nil, footerErr(perr)
	}
	if err := verifyTail(src, size, want, regions); err != nil {
		return nil, err
	}
	tail := size - want.Bytes
	if footer := regions[len(regions)-1]; footer.crc != crc32.Checksum(foot, castagnoli) {
		return nil, fmt.Errorf("%w: %w: the footer changed while it was verified", ErrCorrupt, ErrChecksum)
	}
	if regions[0].off < tail {
		return nil, corruptf("metadata at %d, before the checksummed tail at %d", regions[0].off, tail)
	}
	m, err := parseMeta(p, rdr.MetaData(), size)
	if err != nil {
		return nil, err
	}
	m.tail, m.regions = tail, regions
	m.bytes += 24 * int64(len(regions)) // a metaRegion
	return m, nil
}

// parseFooter parses the footer foot of a file of size bytes. A footer
// that makes the Parquet library panic is an error like any other: its
// bytes are verified before the error is told.
func parseFooter(foot []byte, size int64, mem memory.Allocator) (rdr *file.Reader, err error) {
	defer recoverCorrupt(&err, nil)
	if err := footerBounded(foot); err != nil {
		return nil, err
	}
	at := io.NewSectionReader(footerAt{foot: foot, start: size - int64(len(foot))}, 0, size)
	return file.NewParquetReader(at, file.WithReadProps(parquet.NewReaderProperties(mem)))
}

// footerBounded walks the Thrift of footer foot (with its length and
// magic) without keeping anything, and fails when a list or string claims
// more bytes than the footer has. A checked open parses the footer before
// the tail's CRC is compared (it needs the footer to find the regions it
// records CRCs of), and the Parquet library's Thrift decoder allocates
// what a list's count claims (make([]*RowGroup, 0, count), up to 100
// million elements): a few rotted bytes would make the open allocate
// hundreds of MB before the checksum fails it (attackrot19_footer_test.go).
// Once the walk passed, every count is bounded by the footer's bytes, and
// so is what the parse allocates. The walk costs a pass over the footer,
// at the open that loads it into the cache.
func footerBounded(foot []byte) error {
	if len(foot) < 8 {
		return corruptf("the footer has %d bytes", len(foot))
	}
	body := foot[:len(foot)-8]
	// The library allocates the footer length it reads before reading:
	// a length past what readFooter read (it reads no more than the
	// metadata the manifest records) is damage.
	if n := binary.LittleEndian.Uint32(foot[len(body):]); int64(n) != int64(len(body)) {
		return corruptf("the footer's length %d is not the %d bytes before it", n, len(body))
	}
	buf := &thrift.TMemoryBuffer{Buffer: bytes.NewBuffer(body)}
	p := thrift.NewTCompactProtocolConf(buf, &thrift.TConfiguration{MaxMessageSize: int32(min(len(body), 1<<30))})
	if err := thrift.SkipDefaultDepth(context.Background(), p, thrift.STRUCT); err != nil {
		return corruptf("the footer does not parse: %v", err)
	}
	return nil
}

// footerAt serves a footer parse from the footer's bytes already read
// (foot, the file's end from start): the parse reads nothing else.
type footerAt struct {
	foot  []byte
	start int64
}

func (r footerAt) ReadAt(p []byte, off int64) (int, error) {
	if off < r.start || off-r.start+int64(len(p)) > int64(len(r.foot)) {
		return 0, corruptf("the footer's length points %d bytes before the file's end, past the footer read", r.start+int64(len(r.foot))-off)
	}
	return copy(p, r.foot[off-r.start:]), nil
}

// footerErr is the error of a footer the Parquet library could not read.
func footerErr(err error) error {
	if isReadAbort(err) || errors.Is(err, ErrCorrupt) {
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return corruptf("truncated: %v", err)
	}
	return corruptf("%v", err)
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

// Close closes the file. Its cached entries stay in a shared cache (for
// the next open of the same file) until evicted or invalidated.
func (f *File) Close() error {
	f.cache.close(f.rec)
	if err := f.h.Close(); err != nil {
		return fmt.Errorf("cold: close %s: %w", f.path, err)
	}
	return nil
}

// overlaps reports whether row group rg may hold keys in [lo, hi) (nil
// bounds are open).
func (rg *rgMeta) overlaps(lo, hi []byte) bool {
	if !rg.hasBounds {
		return true
	}
	return (hi == nil || bytes.Compare(rg.minKey, hi) < 0) && (lo == nil || bytes.Compare(rg.maxKey, lo) >= 0)
}

// readErr wraps an error from the Parquet library. A cancelled context
// is passed on as is; a storage error (an *fs.PathError from the file, an
// object store's failure) is the storage's, not the file's; anything else
// is the library failing to decode the file.
func (f *File) readErr(err error) error {
	if isCtxErr(err) {
		return err
	}
	if errors.Is(err, ErrCorrupt) || isReadAbort(err) {
		return fmt.Errorf("cold: read %s: %w", f.path, err)
	}
	return fmt.Errorf("cold: read %s: %w: %w", f.path, ErrCorrupt, err)
}

func isCtxErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// isReadAbort reports whether a read failed for a reason other than the
// file's content: its context ended, or the storage failed to deliver the
// bytes. Such a failure says nothing about the file, so it is neither
// reported as corruption nor cached.
func isReadAbort(err error) bool {
	var pe *fs.PathError
	return isCtxErr(err) || errors.As(err, &pe) || errors.Is(err, ErrUnreachable) ||
		errors.Is(err, ErrAccessDenied) || errors.Is(err, ErrNoSuchBucket) || errors.Is(err, fs.ErrNotExist)
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

// IsReadFailure reports whether err is a failure to read cold files: a
// corrupt or damaged file (ErrCorrupt, ErrChecksum), a missing one, or a
// storage that failed to deliver (a file system's *fs.PathError, an
// object store's ErrUnreachable, ErrAccessDenied, ErrNoSuchBucket). Such
// an error's text names storage paths, buckets and files: it belongs in
// the server log, never in an answer to a user.
func IsReadFailure(err error) bool {
	var pe *fs.PathError
	return errors.Is(err, ErrCorrupt) || errors.As(err, &pe) || errors.Is(err, fs.ErrNotExist) ||
		errors.Is(err, ErrUnreachable) || errors.Is(err, ErrAccessDenied) || errors.Is(err, ErrNoSuchBucket)
}
