package engine

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tables"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tier"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// dataTable is a USER, SHARED or STREAM table as one session sees it. For
// a USER or STREAM table it is bound to the effective user's partition
// (prefix) and cannot produce or write a key outside it.
type dataTable struct {
	e     *Engine
	shape *tableShape
	sess  *Session
	// prefix is the partition's key prefix (empty for SHARED).
	prefix []byte
	// owner is the partition's user id (USER and STREAM; "" for SHARED).
	owner string
	// projected lists the columns (indices into the full schema) the
	// engine asked for; nil means all.
	projected []int
}

var (
	_ sql.Table                 = (*dataTable)(nil)
	_ sql.ProjectedTable        = (*dataTable)(nil)
	_ sql.IndexAddressableTable = (*dataTable)(nil)
	_ sql.IndexedTable          = (*dataTable)(nil)
	_ sql.PrimaryKeyTable       = (*dataTable)(nil)
	_ sql.InsertableTable       = (*dataTable)(nil)
	_ sql.UpdatableTable        = (*dataTable)(nil)
	_ sql.DeletableTable        = (*dataTable)(nil)
)

func (t *dataTable) Name() string               { return t.shape.Meta.TableName }
func (t *dataTable) String() string             { return t.shape.Meta.TableID }
func (t *dataTable) Collation() sql.CollationID { return sql.Collation_Default }

// Schema is the full schema, or the projected columns after
// WithProjections.
func (t *dataTable) Schema() sql.Schema {
	if t.projected == nil {
		return t.shape.sch
	}
	out := make(sql.Schema, len(t.projected))
	for i, c := range t.projected {
		out[i] = t.shape.sch[c]
	}
	return out
}

// PrimaryKeySchema implements sql.PrimaryKeyTable.
func (t *dataTable) PrimaryKeySchema() sql.PrimaryKeySchema {
	if t.shape.PK < 0 {
		return sql.NewPrimaryKeySchema(t.shape.sch)
	}
	return sql.NewPrimaryKeySchema(t.shape.sch, t.shape.PK)
}

// WithProjections implements sql.ProjectedTable: only the named columns are
// decoded from stored rows.
func (t *dataTable) WithProjections(cols []string) sql.Table {
	cp := *t
	cp.projected = make([]int, 0, len(cols))
	for _, name := range cols {
		if i := t.shape.sch.IndexOfColName(name); i >= 0 {
			cp.projected = append(cp.projected, i)
		}
	}
	return &cp
}

// withColumns is the table projected onto columns (indices into the full
// schema).
func (t *dataTable) withColumns(cols []int) *dataTable {
	cp := *t
	cp.projected = cols
	return &cp
}

// Projections implements sql.ProjectedTable.
func (t *dataTable) Projections() []string {
	if t.projected == nil {
		return nil
	}
	out := make([]string, len(t.projected))
	for i, c := range t.projected {
		out[i] = t.shape.sch[c].Name
	}
	return out
}

// scanPartition is a key range of the session's partition.
type scanPartition struct {
	start, end []byte // [start, end); end nil means to the end of the family
	point      bool   // start is the only key
	reverse    bool
}

func (p *scanPartition) Key() []byte { return p.start }

// Partitions implements sql.Table: the whole partition of the session.
func (t *dataTable) Partitions(*sql.Context) (sql.PartitionIter, error) {
	return sql.PartitionsToPartitionIter(&scanPartition{start: t.prefix, end: kv.PrefixEnd(t.prefix)}), nil
}

// PartitionRows implements sql.Table.
func (t *dataTable) PartitionRows(ctx *sql.Context, p sql.Partition) (sql.RowIter, error) {
	sp, ok := p.(*scanPartition)
	if !ok {
		return nil, fmt.Errorf("table %s: unexpected partition %T", t, p)
	}
	return t.scan(ctx, sp)
}

// scan opens a row iterator over one key range of the partition: the
// committed hot rows and cold files as of the statement's snapshot, with
// the session transaction's own uncommitted writes over them.
func (t *dataTable) scan(ctx *sql.Context, p *scanPartition) (sql.RowIter, error) {
	s := t.shape
	it := &rowIter{t: t, wanted: t.wantedUserColumns(), reverse: p.reverse, showDeleted: t.sess.showDeleted,
		prefixLen: len(t.prefix), point: p.point}
	if s.IsStream() && s.Meta.TTLSeconds > 0 {
		it.expireBefore = time.Now().Add(-time.Duration(s.Meta.TTLSeconds) * time.Second).UnixMilli()
	}
	if tx := t.sess.tx; tx != nil {
		if p.point {
			if w, ok := tx.Pending(s.Table, p.start); ok {
				it.pending = []*txn.Write{w}
			}
		} else {
			it.pending = tx.PendingRange(s.Table, p.start, p.end)
		}
		if p.reverse {
			slices.Reverse(it.pending)
		}
	}
	snap, err := t.sess.snapshot()
	if err != nil {
		return nil, tableError(s, err)
	}
	it.snap = snap
	t.sess.track(it)
	if p.point {
		// Cold files are opened only if the hot tier has no version: a
		// lookup of a hot row never depends on them.
		it.pointKey = p.start
		return it, nil
	}
	if !s.IsStream() {
		files, err := t.e.tier.PartitionFiles(ctx, s.Table.Table, t.owner, snap)
		if err != nil {
			return nil, err
		}
		it.files = files
	}
	for _, f := range it.files {
		lo := p.start[len(t.prefix):]
		var hi []byte
		if p.end != nil && bytes.HasPrefix(p.end, t.prefix) {
			hi = p.end[len(t.prefix):]
		}
		c, err := tier.OpenCursor(ctx, f, s.Schema, it.wanted, lo, hi, p.reverse)
		if err != nil {
			it.Close(ctx)
			return nil, apierror.Wrap(apierror.SQLExecutionError, err, fmt.Sprintf("cold data of %s is unreadable", s.Meta.TableID))
		}
		it.cold = append(it.cold, c)
	}
	kit, err := s.CF.NewIter(kv.IterOptions{LowerBound: p.start, UpperBound: p.end, Snapshot: snap})
	if err != nil {
		it.Close(ctx)
		return nil, tableError(s, err)
	}
	it.kit = kit
	return it, nil
}

// wantedUserColumns lists the user columns to decode (indices into the
// current schema's columns).
func (t *dataTable) wantedUserColumns() []int {
	n := t.shape.NUser
	if t.projected == nil {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	// Non-nil even when empty: COUNT(*) wants no columns, not all.
	out := make([]int, 0, len(t.projected))
	for _, c := range t.projected {
		if c < n {
			out = append(out, c)
		}
	}
	return out
}

// rowIter yields the session-visible rows of a key range, merging the
// hot rows (with the transaction's pending writes over them) and the cold
// files: for each key the version with the highest _seq wins.
type rowIter struct {
	t           *dataTable
	wanted      []int
	reverse     bool
	showDeleted bool
	// expireBefore hides STREAM events older than their TTL (ms).
	expireBefore int64
	prefixLen    int

	snap     *kv.Snapshot
	kit      *kv.Iterator
	started  bool
	needStep bool
	point    bool
	pointKey []byte
	pending  []*txn.Write
	pi       int
	buf      []any
	proj     *row.Projection

	files []*tier.File
	cold  []*tier.Cursor

	// The hot side's next key/value, peeked so it can be compared with the
	// cold files' next keys.
	hotPeeked      bool
	hotOK          bool
	hotKey, hotVal []byte
}

func (it *rowIter) Next(ctx *sql.Context) (sql.Row, error) {
	if it.point {
		return it.nextPoint(ctx)
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !it.hotPeeked {
			k, v, ok, err := it.advance()
			if err != nil {
				return nil, err
			}
			it.hotKey, it.hotVal, it.hotOK, it.hotPeeked = k, v, ok, true
		}
		// The next key: the smallest (largest in reverse) of all sources.
		var best []byte
		if it.hotOK {
			best = it.hotKey[it.prefixLen:]
		}
		for _, c := range it.cold {
			r, err := c.Peek()
			if err != nil {
				return nil, tableError(it.t.shape, err)
			}
			if r != nil && (best == nil || it.before(r.Key, best)) {
				best = r.Key
			}
		}
		if best == nil {
			return nil, io.EOF
		}
		best = append([]byte(nil), best...)
		// Every source at that key moves on; the highest _seq wins.
		var winner *coldRowRef
		for _, c := range it.cold {
			r, _ := c.Peek()
			if r != nil && bytes.Equal(r.Key, best) {
				if winner == nil || r.Seq > winner.row.Seq {
					winner = &coldRowRef{row: *r, missing: c.Missing()}
				}
				c.Next()
			}
		}
		if it.hotOK && bytes.Equal(it.hotKey[it.prefixLen:], best) {
			it.hotPeeked = false
			h, err := row.DecodeHeader(it.hotVal)
			if err != nil {
				return nil, tableError(it.t.shape, err)
			}
			if winner == nil || h.Seq >= winner.row.Seq {
				r, visible, err := it.decode(it.hotKey, it.hotVal)
				if err != nil || visible {
					return r, err
				}
				continue
			}
		}
		r, visible := it.decodeCold(&winner.row, winner.missing)
		if visible {
			return r, nil
		}
	}
}

type coldRowRef struct {
	row     cold.Row
	missing []bool
}

// before reports whether local key a comes before b in scan order.
func (it *rowIter) before(a, b []byte) bool {
	c := bytes.Compare(a, b)
	if it.reverse {
		return c > 0
	}
	return c < 0
}

// nextPoint answers a primary-key lookup: the transaction's own version,
// else the hot one, else the newest cold one.
func (it *rowIter) nextPoint(ctx *sql.Context) (sql.Row, error) {
	for it.pointKey != nil {
		k := it.pointKey
		it.pointKey = nil
		if len(it.pending) > 0 {
			r, visible, err := it.decode(it.pending[0].Key, it.pending[0].Value)
			if err != nil || visible {
				return r, err
			}
			break
		}
		v, err := it.snap.Get(it.t.shape.CF, k)
		if err == nil {
			r, visible, err := it.decode(k, v)
			if err != nil || visible {
				return r, err
			}
			break
		}
		if !errors.Is(err, kv.ErrNotFound) {
			return nil, tableError(it.t.shape, err)
		}
		if it.t.shape.IsStream() {
			break
		}
		files, err := it.t.e.tier.PartitionFiles(ctx, it.t.shape.Table.Table, it.t.owner, it.snap)
		if err != nil {
			return nil, err
		}
		it.files = files
		cr, missing, found, err := tier.Lookup(ctx, it.files, it.t.shape.Schema, it.wanted, k[it.prefixLen:])
		if err != nil {
			return nil, apierror.Wrap(apierror.SQLExecutionError, err, fmt.Sprintf("cold data of %s is unreadable", it.t.shape.Meta.TableID))
		}
		if found {
			if r, visible := it.decodeCold(&cr, missing); visible {
				return r, nil
			}
		}
	}
	return nil, io.EOF
}

// advance returns the next key/value of the merged hot range (committed
// rows and the transaction's pending writes). A pending write shadows the
// committed version of the same key. The key and value are valid until
// the next call.
func (it *rowIter) advance() (key, value []byte, ok bool, err error) {
	if it.kit == nil {
		return nil, nil, false, nil
	}
	if !it.started {
		it.started = true
		if it.reverse {
			it.kit.Last()
		} else {
			it.kit.First()
		}
	}
	// The iterator moves only now, when the previous key and value (views
	// into RocksDB memory) have been used.
	if it.needStep {
		it.needStep = false
		it.step()
	}
	hotValid := it.kit.Valid()
	var pend *txn.Write
	if it.pi < len(it.pending) {
		pend = it.pending[it.pi]
	}
	if !hotValid && pend == nil {
		if err := it.kit.Error(); err != nil {
			return nil, nil, false, tableError(it.t.shape, err)
		}
		return nil, nil, false, nil
	}
	cmp := 0
	switch {
	case !hotValid:
		cmp = 1 // only pending left
	case pend == nil:
		cmp = -1
	default:
		cmp = bytes.Compare(it.kit.Key(), pend.Key)
		if it.reverse {
			cmp = -cmp
		}
	}
	if cmp < 0 {
		it.needStep = true
		return it.kit.Key(), it.kit.Value(), true, nil
	}
	if cmp == 0 {
		it.needStep = true
	}
	it.pi++
	return pend.Key, pend.Value, true, nil
}

func (it *rowIter) step() {
	if it.reverse {
		it.kit.Prev()
	} else {
		it.kit.Next()
	}
}

// decode turns a stored version into an engine row, reporting whether the
// session may see it.
func (it *rowIter) decode(key, value []byte) (sql.Row, bool, error) {
	s := it.t.shape
	h, err := row.DecodeHeader(value)
	if err != nil {
		return nil, false, tableError(s, err)
	}
	if h.Deleted && !it.showDeleted {
		return nil, false, nil
	}
	if it.expireBefore != 0 {
		if ms, _, err := keyenc.DecodeStreamLocal(key[it.prefixLen:]); err == nil && ms < it.expireBefore {
			return nil, false, nil
		}
	}
	// Rows of a range are nearly always of one schema version: keep the
	// last projection instead of a cache lookup per row.
	if it.proj == nil || it.proj.Version() != h.SchemaVersion {
		proj, err := s.Projection(h.SchemaVersion, it.wanted)
		if err != nil {
			return nil, false, err
		}
		it.proj = proj
	}
	proj := it.proj
	if cap(it.buf) < len(it.wanted) {
		it.buf = make([]any, len(it.wanted))
	}
	vals := it.buf[:len(it.wanted)]
	if _, err := proj.Decode(value, vals); err != nil {
		return nil, false, tableError(s, err)
	}
	if proj.AnyMissing() {
		s.FillMissing(vals, it.wanted, proj.Missing)
	}
	if s.PK < 0 && !s.IsStream() && it.t.sess.tx != nil {
		it.t.sess.tx.RememberIdentity(h.Seq, key)
	}
	return it.assemble(vals, h.Seq, h.Deleted), true, nil
}

// decodeCold turns a cold row (already projected onto the wanted
// columns) into an engine row, reporting whether the session may see it.
func (it *rowIter) decodeCold(r *cold.Row, missing []bool) (sql.Row, bool) {
	if r.Deleted && !it.showDeleted {
		return nil, false
	}
	s := it.t.shape
	if missing != nil {
		s.FillMissing(r.Values, it.wanted, func(i int) bool { return missing[i] })
	}
	if s.PK < 0 && it.t.sess.tx != nil {
		it.t.sess.tx.RememberIdentity(r.Seq, append(append([]byte(nil), it.t.prefix...), r.Key...))
	}
	return it.assemble(r.Values, r.Seq, r.Deleted), true
}

// assemble builds the engine row from the wanted user column values and
// the system columns, in the table's (or the projection's) column order.
func (it *rowIter) assemble(vals []any, seq int64, deleted bool) sql.Row {
	s := it.t.shape
	if it.t.projected == nil {
		out := make(sql.Row, len(s.sch))
		copy(out, vals)
		out[s.SeqIndex()] = seq
		if !s.IsStream() {
			out[s.DeletedIndex()] = boolValue(deleted)
		}
		return out
	}
	out := make(sql.Row, len(it.t.projected))
	vi := 0
	for i, c := range it.t.projected {
		switch {
		case c < s.NUser:
			out[i] = vals[vi]
			vi++
		case c == s.SeqIndex():
			out[i] = seq
		default:
			out[i] = boolValue(deleted)
		}
	}
	return out
}

func (it *rowIter) Close(*sql.Context) error {
	it.t.sess.untrack(it)
	for _, c := range it.cold {
		c.Close()
	}
	it.cold = nil
	for _, f := range it.files {
		f.Release()
	}
	it.files = nil
	if it.kit != nil {
		err := it.kit.Close()
		it.kit = nil
		return err
	}
	return nil
}

func boolValue(b bool) int8 {
	if b {
		return 1
	}
	return 0
}

// tableError wraps a storage error with the table it happened on.
func tableError(s *tableShape, err error) error { return tables.Error(s.Table.Table, err) }

// GetIndexes implements sql.IndexAddressable: the primary key, if any.
func (t *dataTable) GetIndexes(*sql.Context) ([]sql.Index, error) {
	if t.shape.index == nil || t.sess.noIndexes {
		return nil, nil
	}
	return []sql.Index{t.shape.index}, nil
}

// PreciseMatch is false: a range may be widened when a bound does not
// convert exactly to the key type, so the engine keeps its filter.
func (t *dataTable) PreciseMatch() bool { return false }

// IndexedAccess implements sql.IndexAddressable.
func (t *dataTable) IndexedAccess(_ *sql.Context, lookup sql.IndexLookup) sql.IndexedTable {
	if t.shape.index == nil || lookup.Index == nil || lookup.Index.ID() != t.shape.index.ID() {
		return nil
	}
	return t
}

// LookupPartitions implements sql.IndexedTable: one partition per range of
// the lookup, each clamped to the session's partition.
func (t *dataTable) LookupPartitions(ctx *sql.Context, lookup sql.IndexLookup) (sql.PartitionIter, error) {
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
	lo, loAbove, loOK := t.cutKey(ctx, r.LowerBound)
	hi, hiAbove, hiOK := t.cutKey(ctx, r.UpperBound)
	if loOK && hiOK && !loAbove && hiAbove && bytes.Equal(lo, hi) {
		return &scanPartition{start: append(append([]byte(nil), t.prefix...), lo...), point: true}, false, nil
	}
	bound := func(k []byte, above bool) []byte {
		out := append(append([]byte(nil), t.prefix...), k...)
		if above {
			out = append(out, 0)
		}
		return out
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

// cutKey encodes a range bound. ok is false for an unbounded side, or when
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
	col := t.shape.sch[t.shape.PK]
	conv, _, err := col.Type.Convert(ctx, v)
	if err != nil || conv == nil || !exactKeyConversion(v, conv) {
		return nil, false, false
	}
	norm, err := row.Normalize(t.shape.PKType, conv)
	if err != nil {
		return nil, false, false
	}
	k, err := row.AppendKey(nil, t.shape.PKType, norm)
	if err != nil {
		return nil, false, false
	}
	return k, above, true
}

// exactKeyConversion reports whether converting a range bound to the key
// type kept its value (1.5 -> 1 for an INT key does not).
func exactKeyConversion(orig, conv any) bool {
	switch o := orig.(type) {
	case float32, float64:
		f := fmt.Sprint(o)
		return !strings.ContainsAny(f, ".eE") || fmt.Sprint(conv) == f
	}
	return true
}

// pkIndex is the primary key as an engine index. Keys are stored in primary
// key order, so it serves point lookups, ranges and ORDER BY pk in either
// direction.
type pkIndex struct {
	db, table, col string
	typ            sql.Type
}

var _ sql.OrderedIndex = (*pkIndex)(nil)

func (i *pkIndex) ID() string            { return "PRIMARY" }
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
