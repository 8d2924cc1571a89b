package cold

import (
	"bytes"
	"fmt"

	"github.com/apache/arrow-go/v18/parquet/metadata"
)

// Indexes and pages, through the cache: a row group's _key bloom filter,
// a column chunk's offset index (where its pages start) and column index
// (each page's min and max), and decoded data pages. Each is loaded once
// per file identity and kept in the File's Cache.

func (f *File) key(i, leaf, page int, kind entryKind) cacheKey {
	return cacheKey{file: f.rec.num, rg: int32(i), col: int32(leaf), page: int32(page), kind: kind}
}

// bloomFilter is the bloom filter of column leaf (_key, or the primary
// key's column) in row group i, nil when it has none.
func (f *File) bloomFilter(s *readScope, i, leaf int) (metadata.BloomFilter, error) {
	v, err := f.cache.getOrLoad(s.ctx, f.rec, f.key(i, leaf, 0, kindBloom), func() (any, int64, error) {
		rdr, err := s.reader()
		if err != nil {
			return nil, 0, err
		}
		rgr, err := rdr.GetBloomFilterReader().RowGroup(i)
		if err != nil {
			return nil, 0, err
		}
		bf, err := rgr.GetColumnBloomFilter(leaf)
		if err != nil || bf == nil {
			return nil, 0, err
		}
		return bf, bf.Size(), nil
	})
	if err != nil {
		return nil, fmt.Errorf("cold: read %s: row group %d bloom filter: %w", f.path, i, corruptUnlessAbort(err))
	}
	bf, _ := v.(metadata.BloomFilter)
	return bf, nil
}

// chunkPages is where the pages of column leaf of row group i start.
func (f *File) chunkPages(s *readScope, i, leaf int) (*chunkPages, error) {
	return cachedIndex(s, i, leaf, kindOffsets, "offset index", func() (*chunkPages, error) { return f.loadChunkPages(s, i, leaf) })
}

// cachedIndex returns an index of column leaf of row group i, loading it
// on a cache miss. (load is a closure over the scope rather than a
// function of it: a scope passed to a function value escapes, and a
// lookup's scope would then cost an allocation even when all it reads is
// cached.)
func cachedIndex[T interface{ size() int64 }](s *readScope, i, leaf int, kind entryKind, what string, load func() (T, error)) (T, error) {
	f := s.f
	v, err := f.cache.getOrLoad(s.ctx, f.rec, f.key(i, leaf, 0, kind), func() (any, int64, error) {
		x, err := load()
		if err != nil {
			return nil, 0, err
		}
		return x, x.size(), nil
	})
	if err != nil {
		var zero T
		return zero, fmt.Errorf("cold: read %s: row group %d column %d %s: %w", f.path, i, leaf, what, corruptUnlessAbort(err))
	}
	return v.(T), nil
}

func (f *File) loadChunkPages(s *readScope, i, leaf int) (*chunkPages, error) {
	rows := f.meta.rgs[i].rows
	cp := &chunkPages{first: []int64{0}, rows: rows}
	rgi, err := f.pageIndexReader(s, i, leaf, (*metadata.ColumnChunkMetaData).GetOffsetIndexLocation)
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
func (f *File) pageIndexReader(s *readScope, i, leaf int, location func(*metadata.ColumnChunkMetaData) *metadata.IndexLocation) (*metadata.RowGroupPageIndexReader, error) {
	cc, err := f.meta.md.RowGroup(i).ColumnChunk(leaf)
	if err != nil || location(cc) == nil {
		return nil, err
	}
	rdr, err := s.reader()
	if err != nil {
		return nil, err
	}
	return rdr.GetPageIndexReader().RowGroup(i)
}

// pageStats is the column index of column leaf of row group i.
func (f *File) pageStats(s *readScope, i, leaf int) (*pageStats, error) {
	return cachedIndex(s, i, leaf, kindStats, "page index", func() (*pageStats, error) { return f.loadPageStats(s, i, leaf) })
}

func (f *File) loadPageStats(s *readScope, i, leaf int) (*pageStats, error) {
	ps := &pageStats{}
	rgi, err := f.pageIndexReader(s, i, leaf, (*metadata.ColumnChunkMetaData).GetColumnIndexLocation)
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
// consecutive pages, made from s; nil: a reader only for this page).
func (f *File) page(s *readScope, i, leaf, p int, cp *chunkPages, rd *chunkReader, asText bool) (*colPage, error) {
	k := f.key(i, leaf, p, kindPage)
	if f.cache.pages {
		if v, ok := f.cache.get(k); ok {
			f.c.pagesCached.Add(1)
			return v.(*colPage), nil
		}
	}
	v, err := f.cache.getOrLoad(s.ctx, f.rec, k, func() (any, int64, error) {
		own := rd == nil
		if own {
			rd = &chunkReader{}
			defer rd.close()
		}
		if rd.cr == nil {
			cr, err := s.column(i, leaf)
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

// pageAt returns the page of column leaf of row group i that holds row
// r. Without a page cache there is no point decoding the whole page: the
// result is then a page of just that row.
func (f *File) pageAt(s *readScope, i, leaf int, r int64, asText bool) (pg *colPage, err error) {
	if !f.cache.pages {
		rd := &chunkReader{next: -1}
		defer rd.close()
		if rd.cr, err = s.column(i, leaf); err != nil {
			return nil, f.readErr(err)
		}
		if pg, err = decodePage(rd, -1, r, 1, asText); err != nil {
			return nil, f.readErr(err)
		}
		f.c.pagesDecoded.Add(1)
		return pg, nil
	}
	cp, err := f.chunkPages(s, i, leaf)
	if err != nil {
		return nil, err
	}
	return f.page(s, i, leaf, cp.pageOf(r), cp, nil, asText)
}

// corruptUnlessAbort marks a failed load of an index as the file's
// corruption, unless the read was abandoned or the storage failed.
func corruptUnlessAbort(err error) error {
	if isReadAbort(err) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrCorrupt, err)
}
