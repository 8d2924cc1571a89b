package cold

import (
	"bytes"
	"context"
	"fmt"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// Point lookups: a key is found by pruning row groups on their _key
// bounds and bloom filter, then reading the one _key page the page index
// says can hold it, then the page of each wanted column that holds the
// row.

// seekKey finds, in row group i, the first row whose key is >= key: its
// index, and whether its key equals key. It reads at most one _key page,
// the one the page index says can hold the key (without a usable page
// index, a binary search over the row group's pages). idx is the row
// group's row count when every key is smaller.
func (f *File) seekKey(s *readScope, i int, key []byte, rd *chunkReader) (idx int64, equal bool, err error) {
	rows := f.meta.rgs[i].rows
	if rows == 0 {
		return 0, false, nil
	}
	cp, err := f.chunkPages(s, i, keyLeaf)
	if err != nil {
		return 0, false, err
	}
	ps, err := f.pageStats(s, i, keyLeaf)
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
		pg, err := f.page(s, i, keyLeaf, p, cp, rd, false)
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
		pg, err := f.page(s, i, keyLeaf, p, cp, rd, false)
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
	pg, err := f.page(s, i, keyLeaf, p, cp, rd, false)
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
	return f.LookupWith(ctx, current, want, key, nil)
}

// PageMemo remembers, for one reader (the row lookups of one statement),
// the page of each column it read last, so that lookups of rows that
// share pages (the rows of a conversation, in one file) go to the shared
// cache once per page instead of once per row and column. The zero value
// is ready; it is not safe for concurrent use. It holds at most
// pageMemoMax pages.
type PageMemo struct{ last []memoPage }

type memoPage struct {
	f       *File
	i, leaf int
	pg      *colPage
}

const pageMemoMax = 64

// pageAt is f.pageAt through the memo m (nil: none).
func (m *PageMemo) pageAt(f *File, s *readScope, i, leaf int, r int64, asText bool) (*colPage, error) {
	if m == nil {
		return f.pageAt(s, i, leaf, r, asText)
	}
	for k := range m.last {
		e := &m.last[k]
		if e.f != f || e.i != i || e.leaf != leaf {
			continue
		}
		if r >= e.pg.first && r < e.pg.first+int64(e.pg.n) {
			return e.pg, nil
		}
		pg, err := f.pageAt(s, i, leaf, r, asText)
		if err != nil {
			return nil, err
		}
		e.pg = pg
		return pg, nil
	}
	pg, err := f.pageAt(s, i, leaf, r, asText)
	if err == nil && len(m.last) < pageMemoMax {
		m.last = append(m.last, memoPage{f: f, i: i, leaf: leaf, pg: pg})
	}
	return pg, err
}

// LookupWith is Lookup remembering the pages it reads in memo (nil: none).
func (f *File) LookupWith(ctx context.Context, current *systable.TableSchema, want []int, key []byte, memo *PageMemo) (r Row, found bool, err error) {
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
	sc := newScope(ctx, f)
	defer func() { sc.release(err != nil) }()
	for i := range f.meta.rgs {
		rg := &f.meta.rgs[i]
		if rg.hasBounds && (bytes.Compare(key, rg.minKey) < 0 || bytes.Compare(key, rg.maxKey) > 0) {
			f.c.rowGroupsPruned.Add(1)
			continue
		}
		if err := ctx.Err(); err != nil {
			return Row{}, false, err
		}
		bf, err := f.bloomFilter(&sc, i, keyLeaf)
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
		r, found, err := f.lookupInRowGroup(&sc, pl, i, key, memo)
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
func (f *File) lookupInRowGroup(s *readScope, pl *plan, i int, key []byte, memo *PageMemo) (Row, bool, error) {
	rowIdx, found, err := f.seekKey(s, i, key, nil)
	if err != nil || !found {
		return Row{}, false, err
	}
	r := Row{Key: bytes.Clone(key), Values: make([]any, len(pl.slots))}
	seq, err := memo.pageAt(f, s, i, seqLeaf, rowIdx, false)
	if err != nil {
		return Row{}, false, err
	}
	del, err := memo.pageAt(f, s, i, deletedLeaf, rowIdx, false)
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
		pg, err := memo.pageAt(f, s, i, sl.leaf, rowIdx, sl.kind == schema.KindText)
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
