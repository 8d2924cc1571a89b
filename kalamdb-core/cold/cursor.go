package cold

import (
	"bytes"
	"context"
	"fmt"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// Range selects the rows of a range read (Rows, ScanBatches).
type Range struct {
	// Lo and Hi bound the keys to [Lo, Hi); nil is open.
	Lo, Hi []byte
	// Reverse reads in descending key order.
	Reverse bool
	// Filters skip row groups, pages and rows that cannot match (see
	// Filter). Without KeepFiltered, a row that fails them is not
	// returned at all, which is only right when no other file of the
	// partition holds an older version of its key that the caller could
	// otherwise take for the newest: when the files' key ranges are
	// disjoint over the range read (a hot version is always newer than
	// the file's, so the hot tier does not matter).
	Filters []Filter
	// KeepFiltered returns the rows that fail the filters too, as
	// Row.Filtered rows with key, _seq and _deleted but no values, so that
	// a merge over several files still sees every key's newest version.
	// Pages are then not skipped by statistics, only their other columns
	// not decoded.
	KeepFiltered bool
}

// Cursor reads the rows of a key range of one file, one at a time, in
// key order or reversed, decoding one page per column at a time: a read
// that stops early (LIMIT) costs the pages it went through, whichever
// the direction. It is not safe for concurrent use; Close it when done.
type Cursor struct {
	f       *File
	ctx     context.Context
	sc      readScope // the cursor's storage reads, with ctx
	pl      *plan
	lo, hi  []byte
	reverse bool
	keep    bool
	filters []colFilter

	cols    []cursorCol // 0: _key, 1: _seq, 2: _deleted, then user columns
	slotCol []int       // per wanted column: index in cols, -1 when missing

	rgs   []int // row groups overlapping the range, in read order
	rgi   int   // next entry of rgs
	cur   int   // current row group, -1 before the first
	r     int64 // next row of the current row group
	stop  int64 // forward: end of the window (exclusive); reverse: its start
	last  bool  // the range ends inside the current row group
	loOK  bool  // forward: the keys left are all >= lo (no seek needed)
	hiOK  bool  // reverse: the keys left are all < hi
	done  bool
	err   error
	prev  []byte // last key returned, to check order
	tick  int
	vals  []any  // values of the rows to come (one allocation per many rows)
	keys  []byte // keys of the rows to come
	width int
}

type cursorCol struct {
	leaf int
	text bool
	cp   *chunkPages
	pg   *colPage
	rd   chunkReader
}

// Rows opens a cursor over the rows of rng, projected like ScanRange.
func (f *File) Rows(ctx context.Context, current *systable.TableSchema, want []int, rng Range) (c *Cursor, err error) {
	defer recoverCorrupt(&err, nil)
	pl, err := f.plan(current, want)
	if err != nil {
		return nil, err
	}
	c = &Cursor{f: f, ctx: ctx, sc: newScope(ctx, f), pl: pl, lo: rng.Lo, hi: rng.Hi, reverse: rng.Reverse, keep: rng.KeepFiltered,
		cur: -1, width: len(pl.slots)}
	c.cols = append(c.cols, cursorCol{leaf: keyLeaf}, cursorCol{leaf: seqLeaf}, cursorCol{leaf: deletedLeaf})
	colOf := func(leaf int, text bool) int {
		for k := range c.cols {
			if c.cols[k].leaf == leaf {
				return k
			}
		}
		c.cols = append(c.cols, cursorCol{leaf: leaf, text: text})
		return len(c.cols) - 1
	}
	for _, fl := range rng.Filters {
		cf, ok, err := f.compileFilter(current, fl)
		if err != nil {
			return nil, fmt.Errorf("cold: %s: %w", f.path, err)
		}
		if ok {
			cf.col = colOf(cf.leaf, cf.isText)
			c.filters = append(c.filters, cf)
		}
	}
	c.slotCol = make([]int, len(pl.slots))
	for s := range pl.slots {
		sl := &pl.slots[s]
		c.slotCol[s] = -1
		if sl.leaf >= 0 {
			c.slotCol[s] = colOf(sl.leaf, sl.kind == schema.KindText)
		}
	}
	if c.lo != nil && c.hi != nil && bytes.Compare(c.lo, c.hi) >= 0 {
		c.done = true
		return c, nil
	}
	for i := range f.meta.rgs {
		rg := &f.meta.rgs[i]
		out := !rg.overlaps(c.lo, c.hi)
		if !out && !c.keep {
			if out, err = c.rowGroupExcluded(i); err != nil {
				c.sc.release(true)
				return nil, err
			}
		}
		if out {
			f.c.rowGroupsPruned.Add(1)
			continue
		}
		c.rgs = append(c.rgs, i)
	}
	if len(c.rgs) == 0 {
		f.c.scansPruned.Add(1)
	}
	if c.reverse {
		for a, b := 0, len(c.rgs)-1; a < b; a, b = a+1, b-1 {
			c.rgs[a], c.rgs[b] = c.rgs[b], c.rgs[a]
		}
	}
	return c, nil
}

// rowGroupExcluded reports whether a filter's column statistics, or its
// bloom filter, rule out every row of row group i. Statistics come
// first (they are in the footer); a bloom filter is read (through the
// cache) only for a filter of a few values on a column that has one
// (the primary key's), when the statistics left the row group in.
func (c *Cursor) rowGroupExcluded(i int) (bool, error) {
	for k := range c.filters {
		cf := &c.filters[k]
		cc, err := c.f.meta.md.RowGroup(i).ColumnChunk(cf.leaf)
		if err != nil {
			return false, nil
		}
		if cf.empty {
			return true, nil
		}
		if set, _ := cc.StatsSet(); set {
			st, err := cc.Statistics()
			if err == nil && st != nil && st.HasMinMax() && cf.excludes(st.EncodeMin(), st.EncodeMax()) {
				return true, nil
			}
			// A chunk of NULLs only has a null count and no min or max:
			// no filter passes NULL.
			if err == nil && st != nil && !st.HasMinMax() && st.HasNullCount() && st.NullCount() == c.f.meta.md.RowGroup(i).NumRows() {
				return true, nil
			}
		}
		if len(cf.points) == 0 || cc.BloomFilterOffset() <= 0 {
			continue
		}
		bf, err := c.f.bloomFilter(&c.sc, i, cf.leaf)
		if err != nil {
			return false, err
		}
		if bf == nil {
			continue
		}
		c.f.c.bloomChecks.Add(1)
		if cf.bloomExcludes(bf) {
			c.f.c.bloomNegatives.Add(1)
			return true, nil
		}
	}
	return false, nil
}

// Close releases the cursor's readers.
func (c *Cursor) Close() {
	c.finish(c.err != nil)
	c.done = true
}

// finish closes the cursor's readers and ends its storage access: at the
// end, after an error, or on Close.
func (c *Cursor) finish(failed bool) {
	c.closeReaders()
	c.sc.release(failed)
}

func (c *Cursor) closeReaders() {
	for k := range c.cols {
		c.cols[k].rd.close()
		c.cols[k].cp, c.cols[k].pg = nil, nil
	}
}

// Next returns the next row; ok is false at the end of the range. Rows
// own their memory and may be kept. After an error, Next keeps
// returning it.
func (c *Cursor) Next() (r Row, ok bool, err error) {
	if c.err != nil || c.done {
		return Row{}, false, c.err
	}
	defer func() {
		if err != nil {
			c.err = err
			c.finish(true)
		}
	}()
	defer recoverCorrupt(&err, nil)
	for {
		if (!c.reverse && c.r >= c.stop) || (c.reverse && c.r < c.stop) || c.cur < 0 {
			more, err := c.enterNext()
			if err != nil {
				return Row{}, false, err
			}
			if !more {
				c.done = true
				c.finish(false)
				return Row{}, false, nil
			}
			continue
		}
		if c.tick++; c.tick&63 == 0 {
			if err := c.ctx.Err(); err != nil {
				return Row{}, false, err
			}
		}
		at := c.r
		pass := true
		if len(c.filters) > 0 {
			skip, p, err := c.filter(at)
			if err != nil {
				return Row{}, false, err
			}
			if skip {
				continue // c.r moved past a page no row of which passes
			}
			pass = p
		}
		if c.reverse {
			c.r--
		} else {
			c.r++
		}
		if !pass && !c.keep {
			continue
		}
		r, err := c.row(at, pass)
		if err != nil {
			return Row{}, false, err
		}
		return r, true, nil
	}
}

// filter evaluates the filters at row r of the current row group. skip
// reports that c.r was moved past a page whose statistics exclude it.
func (c *Cursor) filter(r int64) (skip, pass bool, err error) {
	pass = true
	for k := range c.filters {
		cf := &c.filters[k]
		col := &c.cols[cf.col]
		if !c.keep {
			if col.cp == nil {
				if col.cp, err = c.f.chunkPages(&c.sc, c.cur, col.leaf); err != nil {
					return false, false, err
				}
			}
			p := col.cp.pageOf(r)
			if cf.pageOut == nil {
				cf.pageOut = make([]int8, col.cp.numPages())
			}
			if cf.pageOut[p] == 0 {
				cf.pageOut[p] = 2
				ps, err := c.f.pageStats(&c.sc, c.cur, col.leaf)
				if err != nil {
					return false, false, err
				}
				if ps.has(p) && cf.excludes(ps.min[p], ps.max[p]) {
					cf.pageOut[p] = 1
				}
			}
			if cf.pageOut[p] == 1 {
				c.f.c.pagesFiltered.Add(1)
				first, n := col.cp.bounds(p)
				if c.reverse {
					c.r = first - 1
				} else {
					c.r = first + n
				}
				return true, false, nil
			}
		}
		pg, err := c.page(cf.col, r)
		if err != nil {
			return false, false, err
		}
		if !cf.passRow(pg, int(r-pg.first)) {
			pass = false
			if !c.keep {
				return false, false, nil
			}
		}
	}
	return false, pass, nil
}

// page returns the page of column k holding row r of the current row
// group.
func (c *Cursor) page(k int, r int64) (*colPage, error) {
	col := &c.cols[k]
	if pg := col.pg; pg != nil && r >= pg.first && r < pg.first+int64(pg.n) {
		return pg, nil
	}
	if err := c.ctx.Err(); err != nil {
		return nil, err
	}
	if col.cp == nil {
		cp, err := c.f.chunkPages(&c.sc, c.cur, col.leaf)
		if err != nil {
			return nil, err
		}
		col.cp = cp
	}
	pg, err := c.f.page(&c.sc, c.cur, col.leaf, col.cp.pageOf(r), col.cp, &col.rd, col.text)
	if err != nil {
		return nil, err
	}
	col.pg = pg
	return pg, nil
}

// enterNext moves to the next row group with rows in the range and sets
// the window of its rows to read.
func (c *Cursor) enterNext() (bool, error) {
	for !c.last && c.rgi < len(c.rgs) {
		i := c.rgs[c.rgi]
		c.rgi++
		c.closeReaders()
		for k := range c.filters {
			c.filters[k].pageOut = nil
		}
		c.cur = i
		rg := &c.f.meta.rgs[i]
		start, end := int64(0), rg.rows
		var err error
		// The window's bounds: a seek (one _key page at most) unless the
		// row group's key statistics already put it inside the range.
		if c.lo != nil && !c.loOK && !(rg.hasBounds && bytes.Compare(rg.minKey, c.lo) >= 0) {
			if start, _, err = c.f.seekKey(&c.sc, i, c.lo, &c.cols[0].rd); err != nil {
				return false, err
			}
		}
		if c.hi != nil && !c.hiOK && !(rg.hasBounds && bytes.Compare(rg.maxKey, c.hi) < 0) {
			if end, _, err = c.f.seekKey(&c.sc, i, c.hi, &c.cols[0].rd); err != nil {
				return false, err
			}
		}
		if (!c.reverse && start >= rg.rows) || (c.reverse && end == 0) {
			// The whole row group is on the wrong side of the range's
			// start (no key statistics told so before).
			c.f.c.rowGroupsPruned.Add(1)
			continue
		}
		c.f.c.rowGroupsRead.Add(1)
		// Files are sorted: once the range ends inside a row group, the
		// row groups after it (before it, reversed) hold nothing in it, and
		// once it starts inside one the later ones need no seek.
		if c.reverse {
			c.last = start > 0
			c.hiOK = true
			c.r, c.stop = end-1, start
		} else {
			c.last = end < rg.rows
			c.loOK = true
			c.r, c.stop = start, end
		}
		if start < end {
			return true, nil
		}
	}
	return false, nil
}

// row builds the Row at row r of the current row group.
func (c *Cursor) row(r int64, pass bool) (Row, error) {
	kp, err := c.page(0, r)
	if err != nil {
		return Row{}, err
	}
	sp, err := c.page(1, r)
	if err != nil {
		return Row{}, err
	}
	dp, err := c.page(2, r)
	if err != nil {
		return Row{}, err
	}
	if err := checkSystem(sp, dp); err != nil {
		return Row{}, fmt.Errorf("cold: read %s: %w", c.f.path, err)
	}
	key := kp.bytesAt(int(r - kp.first))
	if c.prev != nil {
		if cmp := bytes.Compare(key, c.prev); (!c.reverse && cmp <= 0) || (c.reverse && cmp >= 0) {
			return Row{}, fmt.Errorf("cold: read %s: %w", c.f.path, corruptf("keys out of order at %x", key))
		}
	}
	if cap(c.keys)-len(c.keys) < len(key) {
		c.keys = make([]byte, 0, max(4096, len(key)))
	}
	n := len(c.keys)
	c.keys = append(c.keys, key...)
	out := Row{Key: c.keys[n : n+len(key) : n+len(key)], Seq: sp.i64[r-sp.first], Deleted: dp.bools[r-dp.first]}
	c.prev = out.Key
	c.f.c.rowsDecoded.Add(1)
	if !pass {
		out.Filtered = true
		return out, nil
	}
	if len(c.vals) < c.width {
		c.vals = make([]any, 64*c.width)
	}
	out.Values, c.vals = c.vals[:c.width:c.width], c.vals[c.width:]
	for s := range c.pl.slots {
		k := c.slotCol[s]
		if k < 0 {
			continue
		}
		pg, err := c.page(k, r)
		if err != nil {
			return Row{}, err
		}
		if out.Values[s], err = pg.value(int(r-pg.first), &c.pl.slots[s]); err != nil {
			return Row{}, fmt.Errorf("cold: read %s: %w", c.f.path, err)
		}
	}
	return out, nil
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
	return f.ScanRows(ctx, current, want, Range{Lo: lo, Hi: hi}, fn)
}

// ScanRows calls fn with the rows of rng (see Rows).
func (f *File) ScanRows(ctx context.Context, current *systable.TableSchema, want []int, rng Range, fn func(Row) error) error {
	return f.withCursor(ctx, current, want, rng, func(c *Cursor, inFn *bool) error {
		for {
			r, ok, err := c.Next()
			if err != nil || !ok {
				return err
			}
			*inFn = true
			err = fn(r)
			*inFn = false
			if err != nil {
				return err
			}
		}
	})
}

// withCursor runs body on a cursor over rng and closes it. A panic in
// the Parquet library becomes an ErrCorrupt error; one in the caller's
// callback (body sets *inFn around it) goes on.
func (f *File) withCursor(ctx context.Context, current *systable.TableSchema, want []int, rng Range, body func(c *Cursor, inFn *bool) error) (err error) {
	inFn := false
	defer recoverCorrupt(&err, &inFn)
	c, err := f.Rows(ctx, current, want, rng)
	if err != nil {
		return err
	}
	defer c.Close()
	return body(c, &inFn)
}
