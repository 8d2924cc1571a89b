package engine

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tables"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// Secondary indexes in the planner. A ready index is offered to the
// engine next to the primary key (GetIndexes), so equality, IN and ranges
// on its leading columns become lookups: each engine range turns into
// byte ranges of the session's partition of the index (never wider than
// that partition's prefix), and the rows are fetched by key through the
// entries (indexIter). An index's entries are ordered by its columns and
// then by the row's key, so its expressions are its columns followed by
// the primary key (when the index does not already end with it), and
// with its leading columns bound to one value each it serves ORDER BY the
// following ones in either direction (sortByIndex).
//
// Entries describe committed rows only, and deleted rows have none; so
// the indexes are hidden from a statement that reads deleted rows (it
// filters on _deleted) and from one whose transaction has written the
// table (it must see its own writes).

// indexCol is one expression of a secondary index: a column of the index
// (encoded with a tag, row.AppendIndexValue) or the primary key appended
// after them (the row's local key, row.AppendKey).
type indexCol struct {
	pos      int // in the table's schema
	typ      dialect.DataType
	nullable bool
	raw      bool // the appended primary key
}

// secIndex is a ready secondary index as an engine index.
type secIndex struct {
	db, table string
	ix        *tables.Index
	cols      []indexCol
	names     []string // of the columns of cols
	exprs     []string
	types     []sql.ColumnExpressionType
}

var _ sql.OrderedIndex = (*secIndex)(nil)

// buildSecondary makes the engine indexes of a table shape's ready
// secondary indexes.
func buildSecondary(s *tableShape) []*secIndex {
	var out []*secIndex
	ns, name := s.Meta.NamespaceID, s.Meta.TableName
	for _, ix := range s.ReadyIndexes() {
		si := &secIndex{db: ns, table: name, ix: ix}
		for i, pos := range ix.Cols {
			si.cols = append(si.cols, indexCol{pos: pos, typ: ix.Types[i], nullable: ix.Nullable[i]})
		}
		if s.PK >= 0 && !slices.Contains(ix.Cols, s.PK) {
			si.cols = append(si.cols, indexCol{pos: s.PK, typ: s.PKType, raw: true})
		}
		for _, c := range si.cols {
			expr := name + "." + s.sch[c.pos].Name
			si.names = append(si.names, s.sch[c.pos].Name)
			si.exprs = append(si.exprs, expr)
			si.types = append(si.types, sql.ColumnExpressionType{Expression: expr, Type: plannerType(s.sch[c.pos].Type)})
		}
		out = append(out, si)
	}
	return out
}

// column is the position among the index's expressions of the column
// named name, or -1.
func (i *secIndex) column(name string) int {
	for j, n := range i.names {
		if strings.EqualFold(n, name) {
			return j
		}
	}
	return -1
}

func (i *secIndex) ID() string            { return i.ix.Def.Name }
func (i *secIndex) Database() string      { return i.db }
func (i *secIndex) Table() string         { return i.table }
func (i *secIndex) Expressions() []string { return i.exprs }
func (i *secIndex) IsUnique() bool        { return false }
func (i *secIndex) IsSpatial() bool       { return false }
func (i *secIndex) IsFullText() bool      { return false }
func (i *secIndex) IsVector() bool        { return false }
func (i *secIndex) Comment() string       { return "" }
func (i *secIndex) IndexType() string     { return "BTREE" }
func (i *secIndex) IsGenerated() bool     { return false }
func (i *secIndex) ColumnExpressionTypes() []sql.ColumnExpressionType {
	return i.types
}
func (i *secIndex) CanSupport(*sql.Context, ...sql.Range) bool { return true }
func (i *secIndex) CanSupportOrderBy(sql.Expression) bool      { return false }
func (i *secIndex) PrefixLengths() []uint16                    { return nil }

// Order is IndexOrderNone to the engine: its entries are ordered with
// NULLs last, the engine's ranges and sorts put NULLs first, so the
// engine's own order-based rewrites (sort removal, merge joins) must not
// use it. sortByIndex does, knowing the difference.
func (i *secIndex) Order() sql.IndexOrder { return sql.IndexOrderNone }
func (i *secIndex) Reversible() bool      { return true }
func (i *secIndex) String() string        { return i.table + "." + i.ix.Def.Name }

// secondaryIndexes lists the secondary indexes this statement may use.
func (t *dataTable) secondaryIndexes() []*secIndex {
	if len(t.shape.secondary) == 0 || t.sess.noIndexes || t.sess.showDeleted {
		return nil
	}
	if tx := t.sess.tx; tx != nil && tx.HasPending(t.shape.Table) {
		return nil
	}
	// The planner and the fast path (which both ask here before they read
	// an index) get only the indexes whose entries the statement's
	// snapshot holds completely (Session.usableIndex), so the snapshot is
	// taken now, before any is chosen. Without one the table read fails
	// anyway.
	if _, err := t.sess.snapshot(); err != nil {
		return nil
	}
	all := t.shape.secondary
	for i, si := range all {
		if t.sess.usableIndex(t.shape.Table, si.ix) {
			continue
		}
		// Rare (a DDL raced the statement): the others, in a new slice.
		out := slices.Clone(all[:i])
		for _, o := range all[i+1:] {
			if t.sess.usableIndex(t.shape.Table, o.ix) {
				out = append(out, o)
			}
		}
		return out
	}
	return all
}

// ownsIndex reports whether idx is one of this table's secondary indexes.
func (t *dataTable) ownsIndex(idx sql.Index) (*secIndex, bool) {
	si, ok := idx.(*secIndex)
	return si, ok && slices.Contains(t.shape.secondary, si)
}

// indexPartition is a key range [start, end) of the index's entries in
// the session's partition.
type indexPartition struct {
	si         *secIndex
	start, end []byte
	reverse    bool
	// spans, when set, are all the ranges of a read with a fallback, in
	// the order read (start and end are the first's).
	spans [][2][]byte
}

func (p *indexPartition) Key() []byte { return p.start }

// indexLookupPartitions turns a lookup on a secondary index into entry
// ranges, in the lookup's order.
func (t *dataTable) indexLookupPartitions(ctx *sql.Context, si *secIndex, lookup sql.IndexLookup) (sql.PartitionIter, error) {
	base := si.ix.IndexPrefix(nil, t.prefix)
	var parts []sql.Partition
	add := func(start, end []byte) {
		if bytes.Compare(start, end) < 0 {
			parts = append(parts, &indexPartition{si: si, start: start, end: end, reverse: lookup.IsReverse})
		}
	}
	ranges, ok := lookup.Ranges.(sql.MySQLRangeCollection)
	if !ok {
		add(base, kv.PrefixEnd(base))
		return sql.PartitionsToPartitionIter(parts...), nil
	}
	spans := t.rangeSpans(ctx, si, ranges)
	if t.fallback != nil && t.fallback.armed && t.only == si && len(spans) > 0 {
		// One read of every span: the fallback's budget and the rows it
		// already returned are the whole read's.
		if lookup.IsReverse {
			slices.Reverse(spans)
		}
		return sql.PartitionsToPartitionIter(&indexPartition{si: si, start: spans[0][0], end: spans[0][1], spans: spans, reverse: lookup.IsReverse}), nil
	}
	for _, s := range spans {
		add(s[0], s[1])
	}
	if lookup.IsReverse {
		slices.Reverse(parts)
	}
	return sql.PartitionsToPartitionIter(parts...), nil
}

// rangeSpans turns an index's ranges into its entry ranges in the
// session's partition, each read once, in entry order.
func (t *dataTable) rangeSpans(ctx *sql.Context, si *secIndex, ranges sql.MySQLRangeCollection) [][2][]byte {
	base := si.ix.IndexPrefix(nil, t.prefix)
	var segs [][2][]byte
	for _, r := range ranges {
		segs = append(segs, t.entryRanges(ctx, si, r, base, 0)...)
	}
	// Distinct engine ranges can map to overlapping entry ranges: the
	// columns after the first one that is not bound to a value are left
	// to the filter, so a IN (...) AND b IN (...) with a unbounded gives
	// every b value the same span. Reading each span once, in entry order,
	// keeps every entry from being returned more than once.
	return mergeSpans(segs)
}

// mergeSpans sorts key ranges [start, end) and merges those that overlap
// or touch.
func mergeSpans(spans [][2][]byte) [][2][]byte {
	slices.SortFunc(spans, func(a, b [2][]byte) int { return bytes.Compare(a[0], b[0]) })
	var out [][2][]byte
	for _, s := range spans {
		if bytes.Compare(s[0], s[1]) >= 0 {
			continue
		}
		if n := len(out); n > 0 && bytes.Compare(s[0], out[n-1][1]) <= 0 {
			if bytes.Compare(s[1], out[n-1][1]) > 0 {
				out[n-1][1] = s[1]
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

// entryRanges converts the columns from col on of an engine range into
// entry key ranges under prefix, ascending. Columns bound to one value
// (or to NULL) extend the prefix; the first column that is not ends it
// with its bounds, and later columns are left to the engine's filter,
// which stays over every index lookup (PreciseMatch is false).
func (t *dataTable) entryRanges(ctx *sql.Context, si *secIndex, r sql.MySQLRange, prefix []byte, col int) [][2][]byte {
	if col == len(r) || col == len(si.cols) {
		return [][2][]byte{{prefix, kv.PrefixEnd(prefix)}}
	}
	var out [][2][]byte
	for _, s := range t.columnSegments(ctx, si.cols[col], r[col], prefix) {
		if s.point != nil {
			out = append(out, t.entryRanges(ctx, si, r, s.point, col+1)...)
			continue
		}
		lo, hi := s.lo, s.hi
		if lo == nil {
			lo = prefix
		}
		if hi == nil {
			hi = kv.PrefixEnd(prefix)
		}
		out = append(out, [2][]byte{lo, hi})
	}
	return out
}

// keyRoom is what a key's buffer holds beyond its prefix to begin with:
// a tag and a fixed-size value (a number, a time).
const keyRoom = 16

// segment is part of one column's range in entry-key order, as keys
// under the prefix of the columns before it: the key of one value
// (point), or the keys [lo, hi) (nil: unbounded on that side, within the
// prefix). Each is encoded after the prefix in its own bytes: a large
// value's key is copied no further.
type segment struct {
	point  []byte
	lo, hi []byte
}

// columnSegments converts one column's engine range into segments under
// prefix: its values and, apart (NULL sorts last in an index, first in
// the engine), NULL. A bound that does not convert exactly to the
// column's type widens its side.
func (t *dataTable) columnSegments(ctx *sql.Context, c indexCol, r sql.MySQLRangeColumnExpr, prefix []byte) []segment {
	lower, upper := r.LowerBound, r.UpperBound
	var out []segment
	if textPoint(r) {
		// col = v: one value, converted and encoded once (a large text's
		// key is a copy of it). A value the column cannot hold is held
		// by no entry.
		if lo, _, ok := t.indexCut(ctx, c, lower, prefix); ok {
			out = append(out, segment{point: lo})
		}
	} else if !isNullCut(upper) {
		lo, loAbove, loOK := t.indexCut(ctx, c, lower, prefix)
		hi, hiAbove, hiOK := t.indexCut(ctx, c, upper, prefix)
		switch {
		case loOK && hiOK && !loAbove && hiAbove && bytes.Equal(lo, hi):
			out = append(out, segment{point: lo})
		case unheldPoint(ctx, r, loOK, hiOK):
		default:
			s := segment{}
			if !c.raw {
				s.lo, s.hi = append(slices.Clip(prefix), row.IndexValueTag), append(slices.Clip(prefix), row.IndexNullTag)
			}
			if loOK {
				s.lo = cutBound(lo, loAbove)
			}
			if hiOK {
				s.hi = cutBound(hi, hiAbove)
			}
			if s.lo == nil || s.hi == nil || bytes.Compare(s.lo, s.hi) < 0 {
				out = append(out, s)
			}
		}
	}
	if _, fromNull := lower.(sql.BelowNull); fromNull && !c.raw && c.nullable {
		if _, empty := upper.(sql.BelowNull); !empty {
			out = append(out, segment{point: append(slices.Clip(prefix), row.IndexNullTag)})
		}
	}
	return out
}

// textPoint reports whether r is the range of one text (col = v), its
// bounds at one value, which is then converted and encoded once, not once
// for each bound.
func textPoint(r sql.MySQLRangeColumnExpr) bool {
	lo, ok1 := r.LowerBound.(sql.Below)
	hi, ok2 := r.UpperBound.(sql.Above)
	if !ok1 || !ok2 {
		return false
	}
	a, ok1 := lo.Key.(string)
	b, ok2 := hi.Key.(string)
	return ok1 && ok2 && a == b
}

// cutBound is the key where a cut at key k lies: before every entry with
// k's value (Below) or after all of them (Above). k is the cut's own
// bytes (indexCut made them), made the end in place: a copy would be
// another copy of the prefix, which holds the earlier columns' values.
func cutBound(k []byte, above bool) []byte {
	if !above {
		return k
	}
	for i := len(k) - 1; i >= 0; i-- {
		if k[i] != 0xFF {
			k[i]++
			return k[:i+1]
		}
	}
	return nil
}

// indexCut encodes the value of a range bound for an index column, after
// prefix (in bytes of its own). ok is false for a bound without a value
// (unbounded, or at NULL) or whose value does not convert exactly to the
// column's type.
func (t *dataTable) indexCut(ctx *sql.Context, c indexCol, cut sql.MySQLRangeCut, prefix []byte) (key []byte, above bool, ok bool) {
	var v any
	switch x := cut.(type) {
	case sql.Below:
		v = x.Key
	case sql.Above:
		v, above = x.Key, true
	default:
		return nil, false, false
	}
	norm, ok := t.keyValue(ctx, t.shape.sch[c.pos].Type, c.typ, v)
	if !ok {
		return nil, false, false
	}
	// Room for a fixed-size value after the prefix: the prefix may hold
	// a large value, and growing it by appending would copy it again.
	key = append(make([]byte, 0, len(prefix)+keyRoom), prefix...)
	var err error
	if c.raw {
		key, err = row.AppendKey(key, c.typ, norm)
	} else {
		key, err = row.AppendIndexValue(key, c.typ, norm)
	}
	if err != nil {
		return nil, false, false
	}
	return key, above, true
}

// keyValue converts a range bound's value to a column's stored value, or
// reports that it does not convert exactly: 1.5 for an INT column, or a
// value past the type's range or length (2147483648 for an INT column,
// which the engine clamps to 2147483647; 'abcd' for a VARCHAR(3)). No
// stored value equals such a value, so a lookup of it finds nothing
// (unheldPoint) and a range's bound of it leaves that side to the filter.
func (t *dataTable) keyValue(ctx *sql.Context, typ sql.Type, dt dialect.DataType, v any) (any, bool) {
	if v == nil {
		return nil, false
	}
	var conv any = v
	if _, asIs := textAsIs(typ, v); !asIs {
		var inRange sql.ConvertInRange
		var err error
		conv, inRange, err = typ.Convert(ctx, v)
		if err != nil || inRange != sql.InRange || conv == nil || !exactKeyConversion(v, conv) {
			return nil, false
		}
	}
	norm, err := row.Normalize(dt, conv)
	if err != nil {
		return nil, false
	}
	return norm, true
}

// indexScan opens the rows of one entry range.
func (t *dataTable) indexScan(ctx *sql.Context, p *indexPartition) (sql.RowIter, error) {
	if p.spans != nil {
		return t.openFallbackRead(ctx, p)
	}
	it, err := t.openIndexIter(ctx, p.si, [][2][]byte{{p.start, p.end}}, p.reverse, 0)
	if err != nil {
		return nil, err
	}
	return it, nil
}

// errIndexEntry is the error of an entry that does not parse.
func errIndexEntry(si *secIndex, err error) error {
	return fmt.Errorf("index %s of %s.%s: %w", si.ix.Def.Name, si.db, si.table, err)
}
