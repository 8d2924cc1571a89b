package cold

import (
	"cmp"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"sort"

	"github.com/apache/arrow-go/v18/parquet/metadata"
)

// A file's data pages are Zstd frames, which carry a checksum: damage
// there fails the read. What a read trusts before it reaches a page does
// not: the footer, the bloom filters and the page indexes (Parquet gives
// them no checksum), and one flipped bit there can hide a row from a
// point lookup or change what a scan reads. arrow-go writes all of them
// after the last row group, so they are one region, the file's tail:
// from the end of the last column chunk to the end of the file. Its
// CRC-32C and length (MetaChecksum) go into the file's manifest entry
// when the file is written, and the read that first loads the file's
// footer into a cache (once per file identity, not per read) reads the
// tail and compares. A whole-file checksum would cover the page headers
// too, but verifying it reads the whole file at the first point lookup
// of it: a 200,000-row chat file is 10.2 MB, its tail 1.27 MB (mostly
// bloom filters), and a first lookup took about 3 times as long
// (BenchmarkFirstLookup); on an object store, a GET of all of it.
// Parquet's optional page CRCs are not an option: arrow-go v18.8.0
// neither writes nor checks them (the field is only in its generated
// Thrift code), and they would add nothing: they cover page data,
// which Zstd frames already check, and neither the page headers nor the
// metadata.
//
// Checking the tail once is not enough: the bloom filters and page
// indexes are read later, when a read first needs them, and again after
// the cache evicted them, and the file can rot in between (same size and
// modification time, so the same identity). So the verification also
// records, for each bloom filter, column index and offset index the
// footer locates (a metaRegion), the CRC-32C its bytes had, computed from
// the very bytes whose CRC matched the manifest. The footer is parsed
// from bytes the same pass covers; it is parsed before the pass compares
// (the pass needs its regions), so footerBounded first makes sure no
// count or length in it claims more than its bytes (a rotted count would
// otherwise make the Thrift decoder allocate what it claims). Every later
// read of the tail goes through a checkedTail, which reads the regions it
// touches whole and compares each with its CRC: no metadata byte is used
// unchecked, and the check costs a CRC of bytes the read fetches anyway
// (no extra read, no extra GET). The CRCs live in the parsed footer, which every open File
// holds (24 bytes a region); when the footer leaves the cache, the next
// open verifies the whole tail again. Measured before and after (medians
// of 6 interleaved runs, loaded machine): a first checked lookup of a
// 200,000-row file (BenchmarkFirstLookup/checked, open and verification
// included) 15.6 -> 16.6 ms, within the runs' spread (12.6-20.5 ms),
// +249 allocations (the region list); first-touch lookups of a checked
// file (BenchmarkLookupFirstTouchChecked) p50 3.5 -> 3.5 µs, p90 7.1 ->
// 6.8 µs. The alternatives cost more: verifying the
// whole tail on each bloom filter or page index miss reads it all (1.27 MB
// for 200,000 rows, a GET on an object store) per miss; keeping the whole
// checked tail in the cache with the footer holds every row group's bloom
// filters, most never probed, against the cache's budget (a footer entry
// past a shard's share is not kept at all); per-region checksums in the
// manifest entry would grow every entry by a CRC per index and change the
// manifest's format. A region whose bytes changed fails the read with
// ErrChecksum, and the cache drops the file's parsed footer
// (Cache.forgetFooter), so that the next open verifies the tail again: a
// repaired file reads, a still damaged one fails to open. What else was
// cached of the file stays (it was checked when it was read), and the
// Files open on it keep caching what they read, checked.

// MetaChecksum is the checksum of a file's metadata region (its tail:
// bloom filters, page indexes and footer), as the manifest records it.
// The zero value means unknown (a file written before checksums were
// recorded): it is not verified.
type MetaChecksum struct {
	// Bytes is the length of the tail, CRC32C its CRC-32C (Castagnoli).
	Bytes  int64
	CRC32C uint32
}

// Known reports whether the checksum was recorded.
func (c MetaChecksum) Known() bool { return c.Bytes > 0 }

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// verifyChunk is how much of a file's tail verifyTail reads at a time.
const verifyChunk = 256 << 10

// ErrChecksum is matched (with ErrCorrupt) by the error of a file whose
// metadata does not match the checksum its manifest entry records.
var ErrChecksum = errors.New("metadata checksum mismatch")

// verifyTail reads the last want.Bytes bytes of the file read by src
// and compares their CRC-32C with want. It also sets the crc of each of
// regions (sorted, not overlapping) to the CRC-32C of its bytes in the
// tail; a region (partly) before the tail is left to the caller.
func verifyTail(src io.ReaderAt, size int64, want MetaChecksum, regions []metaRegion) error {
	if want.Bytes > size {
		return fmt.Errorf("%w: %w: the manifest records %d metadata bytes, the file has %d bytes", ErrCorrupt, ErrChecksum, want.Bytes, size)
	}
	// In pieces: the tail holds every row group's bloom filters (about
	// 1.2 bytes a row for _key and the primary key), more than a lookup
	// otherwise keeps.
	buf := make([]byte, min(want.Bytes, verifyChunk))
	var got uint32
	k := 0 // regions before k end before off
	for off := size - want.Bytes; off < size; {
		n := min(int64(len(buf)), size-off)
		if _, err := src.ReadAt(buf[:n], off); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		got = crc32.Update(got, castagnoli, buf[:n])
		for k < len(regions) && regions[k].end <= off {
			k++
		}
		for j := k; j < len(regions) && regions[j].off < off+n; j++ {
			r := &regions[j]
			lo, hi := max(r.off, off), min(r.end, off+n)
			r.crc = crc32.Update(r.crc, castagnoli, buf[lo-off:hi-off])
		}
		off += n
	}
	if got != want.CRC32C {
		return fmt.Errorf("%w: %w: crc32c %08x, the manifest records %08x", ErrCorrupt, ErrChecksum, got, want.CRC32C)
	}
	return nil
}

// metaRegion is one structure of a file's tail: a bloom filter, a column
// index, an offset index, or the footer (with its length and magic), at
// [off, end), and the CRC-32C its bytes had when the tail was verified.
type metaRegion struct {
	off, end int64
	crc      uint32
}

// metaRegions lists where footer md puts the bloom filters and page
// indexes of a file of size bytes whose footer (with its length and
// magic) is its last footBytes bytes, ending with the footer, sorted.
// Regions must not overlap, and every bloom filter must record its
// length (arrow-go writes it), so that a region's bytes are known.
func metaRegions(md *metadata.FileMetaData, size, footBytes int64) ([]metaRegion, error) {
	var rs []metaRegion
	add := func(off, n int64, what string, i, j int) error {
		if off < 0 || n <= 0 || off > size-n {
			return corruptf("row group %d column %d: %s at %d has length %d", i, j, what, off, n)
		}
		rs = append(rs, metaRegion{off: off, end: off + n})
		return nil
	}
	for i := range md.NumRowGroups() {
		rg := md.RowGroup(i)
		for j := range rg.NumColumns() {
			cc, err := rg.ColumnChunk(j)
			if err != nil {
				return nil, corruptf("row group %d: %v", i, err)
			}
			if off := cc.BloomFilterOffset(); off > 0 {
				if err := add(off, int64(cc.BloomFilterLength()), "bloom filter", i, j); err != nil {
					return nil, err
				}
			}
			for _, loc := range []struct {
				what string
				at   *metadata.IndexLocation
			}{{"column index", cc.GetColumnIndexLocation()}, {"offset index", cc.GetOffsetIndexLocation()}} {
				if loc.at == nil {
					continue
				}
				if err := add(loc.at.Offset, int64(loc.at.Length), loc.what, i, j); err != nil {
					return nil, err
				}
			}
		}
	}
	slices.SortFunc(rs, func(a, b metaRegion) int { return cmp.Compare(a.off, b.off) })
	rs = append(rs, metaRegion{off: size - footBytes, end: size})
	for k := 1; k < len(rs); k++ {
		if rs[k].off < rs[k-1].end {
			return nil, corruptf("metadata at %d overlaps the metadata at %d..%d", rs[k].off, rs[k-1].off, rs[k-1].end)
		}
	}
	return rs, nil
}

// checkedTail reads a file whose tail was verified (the File's fileMeta
// has its regions): reads of the data region (pages) go to src as they
// are; a read of the tail (a bloom filter, page indexes) must lie in the
// regions, which it reads whole and compares with their CRCs. A mismatch
// fails the read with ErrChecksum and calls mismatch.
type checkedTail struct {
	src      *ctxReaderAt
	start    int64 // where the tail starts
	regions  []metaRegion
	mismatch func()
}

func (c *checkedTail) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) <= c.start || len(p) == 0 {
		return c.src.ReadAt(p, off)
	}
	done := 0
	if off < c.start { // a read across the tail's start: its data part first
		n, err := c.src.ReadAt(p[:c.start-off], off)
		if err != nil {
			return n, err
		}
		done, p, off = n, p[c.start-off:], c.start
	}
	end := off + int64(len(p))
	// The regions i..j-1 the read touches must cover it.
	i := sort.Search(len(c.regions), func(k int) bool { return c.regions[k].end > off })
	j := i
	for pos := off; pos < end; j++ {
		if j == len(c.regions) || c.regions[j].off > pos {
			return done, corruptf("a read of bytes %d..%d of the metadata reaches bytes no verified region covers", off, end)
		}
		pos = c.regions[j].end
	}
	lo, hi := c.regions[i].off, c.regions[j-1].end
	buf := p
	if lo != off || hi != end {
		buf = make([]byte, hi-lo)
	}
	if n, err := c.src.ReadAt(buf, lo); err != nil && !(errors.Is(err, io.EOF) && n == len(buf)) {
		return done, err
	}
	for _, r := range c.regions[i:j] {
		if got := crc32.Checksum(buf[r.off-lo:r.end-lo], castagnoli); got != r.crc {
			c.src.failed = true // the reader is not reused
			c.mismatch()
			return done, fmt.Errorf("%w: %w: metadata bytes %d..%d have crc32c %08x, %08x when the file was verified", ErrCorrupt, ErrChecksum, r.off, r.end, got, r.crc)
		}
	}
	if lo != off || hi != end {
		copy(p, buf[off-lo:])
	}
	return done + len(p), nil
}

// dataEnd is where a file's last column chunk ends: its tail (bloom
// filters, page indexes, footer) starts there.
func dataEnd(md *metadata.FileMetaData) (int64, error) {
	var end int64
	for i := range md.NumRowGroups() {
		rg := md.RowGroup(i)
		for j := range rg.NumColumns() {
			cc, err := rg.ColumnChunk(j)
			if err != nil {
				return 0, err
			}
			start := cc.DataPageOffset()
			if cc.HasDictionaryPage() && cc.DictionaryPageOffset() > 0 {
				start = min(start, cc.DictionaryPageOffset())
			}
			end = max(end, start+cc.TotalCompressedSize())
		}
	}
	return end, nil
}

// tailCRC is what a countingWriter records of the writes it passes on
// once armed (the writer's Close: the last row group, then the tail):
// where each starts, its length and its own CRC-32C, so that the CRC of
// the bytes from any write's start to the end combines from them without
// keeping the bytes.
type tailCRC struct {
	armed  bool
	writes []writeCRC
}

type writeCRC struct {
	off, n int64
	crc    uint32
}

func (t *tailCRC) record(off int64, b []byte) {
	if t.armed && len(b) > 0 {
		t.writes = append(t.writes, writeCRC{off: off, n: int64(len(b)), crc: crc32.Checksum(b, castagnoli)})
	}
}

// from is the checksum of the bytes from offset start to the end; start
// must be where a recorded write starts.
func (t *tailCRC) from(start, end int64) (MetaChecksum, error) {
	for i, w := range t.writes {
		if w.off != start {
			continue
		}
		crc := w.crc
		for _, x := range t.writes[i+1:] {
			crc = crc32Combine(crc, x.crc, x.n)
		}
		return MetaChecksum{Bytes: end - start, CRC32C: crc}, nil
	}
	return MetaChecksum{}, fmt.Errorf("the file's metadata does not start at a write (offset %d)", start)
}

// crc32Combine is the CRC-32C of the concatenation of a block whose CRC
// is crc1 and a block of len2 bytes whose CRC is crc2 (zlib's
// crc32_combine, for the Castagnoli polynomial): multiplying crc1 by x^(8
// len2) modulo the polynomial, by squaring a GF(2) operator.
func crc32Combine(crc1, crc2 uint32, len2 int64) uint32 {
	if len2 <= 0 {
		return crc1
	}
	var even, odd [32]uint32
	odd[0] = 0x82f63b78 // the reflected Castagnoli polynomial
	row := uint32(1)
	for n := 1; n < 32; n++ {
		odd[n] = row
		row <<= 1
	}
	gf2Square(&even, &odd) // two zero bits
	gf2Square(&odd, &even) // four zero bits
	for {
		gf2Square(&even, &odd) // first pass: one zero byte
		if len2&1 != 0 {
			crc1 = gf2Times(&even, crc1)
		}
		if len2 >>= 1; len2 == 0 {
			break
		}
		gf2Square(&odd, &even)
		if len2&1 != 0 {
			crc1 = gf2Times(&odd, crc1)
		}
		if len2 >>= 1; len2 == 0 {
			break
		}
	}
	return crc1 ^ crc2
}

func gf2Times(mat *[32]uint32, vec uint32) uint32 {
	var sum uint32
	for i := 0; vec != 0; i, vec = i+1, vec>>1 {
		if vec&1 != 0 {
			sum ^= mat[i]
		}
	}
	return sum
}

func gf2Square(square, mat *[32]uint32) {
	for n := range 32 {
		square[n] = gf2Times(mat, mat[n])
	}
}
