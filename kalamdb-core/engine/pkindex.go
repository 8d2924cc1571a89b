package engine

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// GetIndexes implements sql.IndexAddressable: the primary key, if any,
// then the ready secondary indexes the statement may use; or only the
// index preferOrderIndex chose for a top-N, or those of them that
// preferMostBound offers.
func (t *dataTable) GetIndexes(*sql.Context) ([]sql.Index, error) {
	if t.sess.noIndexes {
		return nil, nil
	}
	if t.only != nil && slices.Contains(t.secondaryIndexes(), t.only) {
		return []sql.Index{t.only}, nil
	}
	var out []sql.Index
	if t.shape.index != nil {
		out = append(out, t.shape.index)
	}
	for _, si := range t.secondaryIndexes() {
		out = append(out, si)
	}
	if t.offer != nil {
		offered := slices.DeleteFunc(slices.Clone(out), func(idx sql.Index) bool { return !slices.Contains(t.offer, idx) })
		if len(offered) > 0 {
			return offered, nil
		}
	}
	return out, nil
}

// PreciseMatch is false: a range may be widened when a bound does not
// convert exactly to the key type, so the engine keeps its filter.
func (t *dataTable) PreciseMatch() bool { return false }

// IndexedAccess implements sql.IndexAddressable.
func (t *dataTable) IndexedAccess(_ *sql.Context, lookup sql.IndexLookup) sql.IndexedTable {
	if _, ok := t.ownsIndex(lookup.Index); ok {
		return t
	}
	if t.shape.index == nil || lookup.Index == nil || lookup.Index.ID() != t.shape.index.ID() {
		return nil
	}
	return t
}

// LookupPartitions implements sql.IndexedTable: one partition per range of
// the lookup, each clamped to the session's partition.
func (t *dataTable) LookupPartitions(ctx *sql.Context, lookup sql.IndexLookup) (sql.PartitionIter, error) {
	if si, ok := t.ownsIndex(lookup.Index); ok {
		return t.indexLookupPartitions(ctx, si, lookup)
	}
	ranges, ok := lookup.Ranges.(sql.MySQLRangeCollection)
	if !ok {
		return t.Partitions(ctx)
	}
	var parts []sql.Partition
	for _, r := range ranges {
		if len(r) != 1 {
			return t.Partitions(ctx)
		}
		p, empty, err := t.rangePartition(ctx, r[0], lookup.IsReverse)
		if err != nil {
			return nil, err
		}
		if !empty {
			parts = append(parts, p)
		}
	}
	return sql.PartitionsToPartitionIter(parts...), nil
}

// rangePartition converts an engine range on the primary key to a key
// range inside the partition. A cut Below{k} sits just before k and
// Above{k} just after it, whichever side of the range it bounds, so both
// map to the same byte keys: Below{k} to enc(k) and Above{k} to enc(k)+0x00
// (the smallest key after enc(k), as key encodings are prefix-free).
func (t *dataTable) rangePartition(ctx *sql.Context, r sql.MySQLRangeColumnExpr, reverse bool) (*scanPartition, bool, error) {
	p := &scanPartition{start: t.prefix, end: kv.PrefixEnd(t.prefix), reverse: reverse}
	// NULLs sort before every value; a primary key has none. A range that
	// ends at NULL (IS NULL, or a lookup by a NULL key, which must match
	// nothing) is empty, not unbounded.
	if isNullCut(r.UpperBound) {
		return nil, true, nil
	}
	if textPoint(r) {
		// key = v: one value, converted and encoded once. A value the
		// key cannot hold is no row's.
		if k, _, ok := t.cutKey(ctx, r.LowerBound); ok {
			return &scanPartition{start: k, point: true}, false, nil
		}
		return nil, true, nil
	}
	lo, loAbove, loOK := t.cutKey(ctx, r.LowerBound)
	hi, hiAbove, hiOK := t.cutKey(ctx, r.UpperBound)
	if loOK && hiOK && !loAbove && hiAbove && bytes.Equal(lo, hi) {
		return &scanPartition{start: lo, point: true}, false, nil
	}
	if unheldPoint(ctx, r, loOK, hiOK) {
		return nil, true, nil
	}
	bound := func(k []byte, above bool) []byte {
		if above {
			return append(slices.Clip(k), 0)
		}
		return k
	}
	if loOK {
		p.start = bound(lo, loAbove)
	}
	if hiOK {
		p.end = bound(hi, hiAbove)
	}
	if p.end != nil && bytes.Compare(p.start, p.end) >= 0 {
		return nil, true, nil
	}
	return p, false, nil
}

// isNullCut reports a bound at NULL: BelowNull/AboveNull, or a cut
// whose key is NULL.
func isNullCut(c sql.MySQLRangeCut) bool {
	switch cut := c.(type) {
	case sql.BelowNull, sql.AboveNull:
		return true
	case sql.Below:
		return cut.Key == nil
	case sql.Above:
		return cut.Key == nil
	}
	return false
}

// cutKey encodes a range bound, after the partition's prefix (in bytes of
// its own). ok is false for an unbounded side, or when
// the bound's value does not convert exactly to the key type (the range is
// then widened on that side; the engine's filter still applies).
func (t *dataTable) cutKey(ctx *sql.Context, c sql.MySQLRangeCut) (key []byte, above bool, ok bool) {
	var v any
	switch cut := c.(type) {
	case sql.Below:
		v = cut.Key
	case sql.Above:
		v, above = cut.Key, true
	default:
		return nil, false, false
	}
	norm, ok := t.keyValue(ctx, t.shape.sch[t.shape.PK].Type, t.shape.PKType, v)
	if !ok {
		return nil, false, false
	}
	k, err := row.AppendKey(slices.Clip(t.prefix), t.shape.PKType, norm)
	if err != nil {
		return nil, false, false
	}
	return k, above, true
}

// exactKeyConversion reports whether converting a range bound to the key
// type kept its value (1.5 -> 1 or 2 for an INT key does not, nor a
// timestamp with a time of day for a DATE key, nor an integer or a text
// the conversion clamped, wrapped or cut).
func exactKeyConversion(orig, conv any) bool {
	if o, ok := row.IntValue(orig); ok {
		if c, ok := row.IntValue(conv); ok {
			return o == c
		}
		return true
	}
	switch o := orig.(type) {
	case string:
		if c, ok := conv.(string); ok {
			return o == c
		}
	case float32, float64:
		f := fmt.Sprint(o)
		return !strings.ContainsAny(f, ".eE") || fmt.Sprint(conv) == f
	case decimal.Decimal:
		// Into an integer only: a float key holds a decimal's nearest
		// float, which is what the comparison uses too.
		if n, ok := row.IntValue(conv); ok {
			return o.Equal(decimal.NewFromInt(n))
		}
	case time.Time:
		c, ok := conv.(time.Time)
		return ok && c.Equal(o)
	}
	return true
}

// unheldPoint reports a range of one value (a lookup by key: col = v)
// whose value does not convert exactly to the column's type (loOK and hiOK
// say whether its bounds did): no stored value equals it, so the range is
// empty. Widened, as a range's bound that does not convert is, the lookup
// read every row, and a semi join, which keeps no filter over its lookups
// (EXISTS (SELECT 1 FROM b WHERE b.i = a.x + 0.5)), took any as a match.
func unheldPoint(ctx *sql.Context, r sql.MySQLRangeColumnExpr, loOK, hiOK bool) bool {
	if loOK && hiOK {
		return false
	}
	lo, ok1 := r.LowerBound.(sql.Below)
	hi, ok2 := r.UpperBound.(sql.Above)
	if !ok1 || !ok2 || lo.Key == nil || hi.Key == nil {
		return false
	}
	c, err := r.Typ.Compare(ctx, lo.Key, hi.Key)
	return err == nil && c == 0
}

// pkIndex is the primary key as an engine index. Keys are stored in primary
// key order, so it serves point lookups, ranges and ORDER BY pk in either
// direction.
type pkIndex struct {
	db, table, col string
	typ            sql.Type
}

var _ sql.OrderedIndex = (*pkIndex)(nil)

// pkIndexID is the primary key index's name to the engine.
const pkIndexID = "PRIMARY"

func (i *pkIndex) ID() string            { return pkIndexID }
func (i *pkIndex) Database() string      { return i.db }
func (i *pkIndex) Table() string         { return i.table }
func (i *pkIndex) Expressions() []string { return []string{i.table + "." + i.col} }
func (i *pkIndex) IsUnique() bool        { return true }
func (i *pkIndex) IsSpatial() bool       { return false }
func (i *pkIndex) IsFullText() bool      { return false }
func (i *pkIndex) IsVector() bool        { return false }
func (i *pkIndex) Comment() string       { return "" }
func (i *pkIndex) IndexType() string     { return "BTREE" }
func (i *pkIndex) IsGenerated() bool     { return false }
func (i *pkIndex) ColumnExpressionTypes() []sql.ColumnExpressionType {
	return []sql.ColumnExpressionType{{Expression: i.table + "." + i.col, Type: i.typ}}
}
func (i *pkIndex) CanSupport(*sql.Context, ...sql.Range) bool { return true }
func (i *pkIndex) CanSupportOrderBy(sql.Expression) bool      { return false }
func (i *pkIndex) PrefixLengths() []uint16                    { return nil }
func (i *pkIndex) Order() sql.IndexOrder                      { return sql.IndexOrderAsc }
func (i *pkIndex) Reversible() bool                           { return true }
func (i *pkIndex) String() string                             { return i.table + ".PRIMARY" }
