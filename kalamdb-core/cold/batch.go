package cold

import (
	"context"
	"fmt"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// Batch is a run of consecutive rows of one row group, in ascending key
// order, as column vectors. The vectors are views of decoded pages (the
// cache's memory): they are read-only and valid only until the callback
// that received the batch returns. A batch allocates nothing per row, so
// an aggregate over cold rows costs what it computes.
type Batch struct {
	// Len is the number of rows.
	Len int
	// Sel lists, ascending, the rows that pass the read's filters; nil
	// when every row does (or the read has no filters). With
	// Range.KeepFiltered the other rows are in the batch too (their keys,
	// _seq and _deleted matter to a merge); without it, they are rows of
	// the same pages that the filters did not let through.
	Sel []int32
	// Seq and Deleted are the rows' _seq and _deleted.
	Seq     []int64
	Deleted []bool
	// Cols are the wanted columns, in the order asked for.
	Cols []Vector

	keys *colPage
	koff int
	sel  []int32
}

// Key is row i's key (read-only, valid during the callback).
func (b *Batch) Key(i int) []byte { return b.keys.bytesAt(b.koff + i) }

// Vector is one column of a Batch. The typed accessors give the values
// as stored (Kind tells which applies: BIGINT, TIMESTAMP and TIME as
// Int64s in microseconds, SMALLINT, INT and DATE as Int32s, DATE in days
// since the epoch; TEXT as Str; BYTES and JSON as Bytes); Value gives the
// canonical Go value of the current column type, converting a column
// re-typed since the file was written.
type Vector struct {
	// Missing is set when the file predates the column: every value is
	// NULL, and the caller applies the column's DEFAULT.
	Missing bool

	pg  *colPage
	off int
	sl  *slot
}

// Kind is the column's kind as the file stores it.
func (v *Vector) Kind() schema.Kind { return v.sl.kind }

// Converted reports that the column was re-typed since the file was
// written: only Value reads it as the current type.
func (v *Vector) Converted() bool { return v.sl.conv }

// IsNull reports whether row i is NULL.
func (v *Vector) IsNull(i int) bool { return v.Missing || v.pg.null(v.off+i) }

// Int64s are the stored values of an INT64 column, row-aligned (a NULL
// row holds 0).
func (v *Vector) Int64s(n int) []int64 { return v.pg.i64[v.off : v.off+n] }

// Int32s are the stored values of an INT32 column.
func (v *Vector) Int32s(n int) []int32 { return v.pg.i32[v.off : v.off+n] }

// Float64s are the stored values of a DOUBLE column.
func (v *Vector) Float64s(n int) []float64 { return v.pg.f64[v.off : v.off+n] }

// Float32s are the stored values of a FLOAT column.
func (v *Vector) Float32s(n int) []float32 { return v.pg.f32[v.off : v.off+n] }

// Bools are the stored values of a BOOLEAN column.
func (v *Vector) Bools(n int) []bool { return v.pg.bools[v.off : v.off+n] }

// Str is row i of a TEXT column ("" when NULL). The string is immutable
// and may be kept.
func (v *Vector) Str(i int) string { return v.pg.strAt(v.off + i) }

// Bytes is row i of a BYTES or JSON column (read-only).
func (v *Vector) Bytes(i int) []byte { return v.pg.bytesAt(v.off + i) }

// Value is the canonical Go value of row i (package row), nil when NULL
// or Missing.
func (v *Vector) Value(i int) (any, error) {
	if v.Missing {
		return nil, nil
	}
	return v.pg.value(v.off+i, v.sl)
}

// ScanBatches calls fn with the rows of rng as batches, projected like
// ScanRange. Batches follow the range's direction (descending with
// Reverse), rows inside a batch are always in ascending key order. An
// error from fn stops the scan and is returned as is.
func (f *File) ScanBatches(ctx context.Context, current *systable.TableSchema, want []int, rng Range, fn func(*Batch) error) error {
	return f.withCursor(ctx, current, want, rng, func(c *Cursor, inFn *bool) error {
		b := c.NewBatch()
		for {
			ok, err := c.nextBatch(b)
			if err != nil || !ok {
				return err
			}
			*inFn = true
			err = fn(b)
			*inFn = false
			if err != nil {
				return err
			}
		}
	})
}

// NewBatch returns a Batch for NextBatch of this cursor.
func (c *Cursor) NewBatch() *Batch {
	b := &Batch{Cols: make([]Vector, len(c.pl.slots))}
	for s := range b.Cols {
		b.Cols[s] = Vector{sl: &c.pl.slots[s], Missing: c.slotCol[s] < 0}
	}
	return b
}

// NextBatch fills b (from NewBatch) with the cursor's next run of rows,
// as ScanBatches hands them out, for a reader that merges several files
// and so cannot be called back: b's vectors are valid until the next
// call or Close. ok is false at the end of the range.
func (c *Cursor) NextBatch(b *Batch) (ok bool, err error) {
	defer recoverCorrupt(&err, nil)
	return c.nextBatch(b)
}

// nextBatch fills b with the next run of rows: from the cursor's row up
// to the first page boundary of any column read (or the window's end).
func (c *Cursor) nextBatch(b *Batch) (ok bool, err error) {
	if c.err != nil || c.done {
		return false, c.err
	}
	defer func() {
		if err != nil {
			c.err = err
			c.finish(true)
		}
	}()
	for {
		if (!c.reverse && c.r >= c.stop) || (c.reverse && c.r < c.stop) || c.cur < 0 {
			more, err := c.enterNext()
			if err != nil {
				return false, err
			}
			if !more {
				c.done = true
				c.finish(false)
				return false, nil
			}
			continue
		}
		if err := c.ctx.Err(); err != nil {
			return false, err
		}
		at := c.r
		if len(c.filters) > 0 && !c.keep {
			// Only the page-skipping part of the filters here; rows are
			// selected below.
			skipped, err := c.skipFilteredPage(at)
			if err != nil {
				return false, err
			}
			if skipped {
				continue
			}
		}
		// The run: as far as every column's current page goes.
		lo, hi := at, at+1
		if c.reverse {
			lo = c.stop
		} else {
			hi = c.stop
		}
		for k := range c.cols {
			pg, err := c.page(k, at)
			if err != nil {
				return false, err
			}
			lo, hi = max(lo, pg.first), min(hi, pg.first+int64(pg.n))
		}
		if c.reverse {
			c.r = lo - 1
		} else {
			c.r = hi
		}
		n := int(hi - lo)
		if err := c.fillBatch(b, lo, n); err != nil {
			return false, err
		}
		if b.Sel != nil && len(b.Sel) == 0 && !c.keep {
			continue // no row of the run passes
		}
		c.f.c.rowsDecoded.Add(int64(n))
		return true, nil
	}
}

// skipFilteredPage moves the cursor past the page of a filtered column
// that holds row r when its statistics exclude every row.
func (c *Cursor) skipFilteredPage(r int64) (bool, error) {
	skip, _, err := c.filter(r)
	return skip, err
}

func (c *Cursor) fillBatch(b *Batch, lo int64, n int) error {
	kp, sp, dp := c.cols[0].pg, c.cols[1].pg, c.cols[2].pg
	if err := checkSystem(sp, dp); err != nil {
		return fmt.Errorf("cold: read %s: %w", c.f.path, err)
	}
	b.Len = n
	b.keys, b.koff = kp, int(lo-kp.first)
	b.Seq = sp.i64[lo-sp.first : lo-sp.first+int64(n)]
	b.Deleted = dp.bools[lo-dp.first : lo-dp.first+int64(n)]
	for s := range b.Cols {
		if k := c.slotCol[s]; k >= 0 {
			pg := c.cols[k].pg
			b.Cols[s].pg, b.Cols[s].off = pg, int(lo-pg.first)
		}
	}
	b.Sel = nil
	if len(c.filters) == 0 {
		return nil
	}
	b.sel = b.sel[:0]
	for j := 0; j < n; j++ {
		pass := true
		for k := range c.filters {
			cf := &c.filters[k]
			pg := c.cols[cf.col].pg
			if !cf.passRow(pg, int(lo-pg.first)+j) {
				pass = false
				break
			}
		}
		if pass {
			b.sel = append(b.sel, int32(j))
		}
	}
	if len(b.sel) < n {
		if b.sel == nil {
			b.sel = make([]int32, 0, n)
		}
		b.Sel = b.sel
	}
	return nil
}
