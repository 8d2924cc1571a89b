package engine

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tables"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tier"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
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
	// projectedSch is the schema of projected, made once by
	// WithProjections (nil: made per call, for the fast paths, which plan
	// no projection over the table): the binder
	// asks a table for its schema once per column of every projection
	// above it (plan.findDefault), so a schema made per call cost the
	// square of the width (a UNION ALL of two 1664-entry lists over a
	// 1600-column table: seconds of planning the time limit cannot stop).
	projectedSch sql.Schema
	// filters are bounds the statement's WHERE puts on integer columns,
	// which scans use to skip rows early (scanfilter.go).
	filters []scanFilter
	// textFilters are the comparisons of TEXT columns with constants the
	// WHERE makes, which cold files use to skip row groups, pages and rows
	// (scantext.go).
	textFilters []cold.Filter
	// coldFilters are filters and textFilters as the cold files take
	// them, made once per plan (coldFilters).
	coldFilters []cold.Filter
	// only, when set, is the one index offered to the planner
	// (preferOrderIndex).
	only *secIndex
	// offer, when set, are the indexes offered to the planner: those
	// binding the most leading columns of the WHERE (preferMostBound).
	offer []sql.Index
	// fallback, when set, bounds a top-N's read of only and says what
	// it switches to (indexfallback.go).
	fallback *orderFallback
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
	if t.projectedSch != nil {
		return t.projectedSch
	}
	return projectSchema(t.shape.sch, t.projected)
}

func projectSchema(sch sql.Schema, cols []int) sql.Schema {
	out := make(sql.Schema, len(cols))
	for i, c := range cols {
		out[i] = sch[c]
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
	sch := t.shape.sch
	projected := make([]int, 0, len(cols))
	next := 0
	for _, name := range cols {
		// The analyzer names the columns in the schema's order: looked
		// for from the last one found, a projection of every column of a
		// 1600-column table takes 1600 comparisons, not a million.
		i := indexOfColumnFrom(sch, name, next)
		if i < 0 {
			i = sch.IndexOfColName(name)
		}
		if i >= 0 {
			projected = append(projected, i)
			next = i + 1
		}
	}
	cp := t.withColumns(projected)
	cp.projectedSch = projectSchema(sch, projected)
	return cp
}

// indexOfColumnFrom is the index of the column named name (as
// sql.Schema.IndexOfColName matches it) at or after from, or -1.
func indexOfColumnFrom(sch sql.Schema, name string, from int) int {
	name = strings.ToLower(name)
	for i := from; i < len(sch); i++ {
		if strings.ToLower(sch[i].Name) == name {
			return i
		}
	}
	return -1
}

// withColumns is the table projected onto columns (indices into the full
// schema).
func (t *dataTable) withColumns(cols []int) *dataTable {
	cp := *t
	cp.projected = cols
	cp.projectedSch = nil
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
	if t.matchesNone() {
		return sql.RowsToRowIter(), nil
	}
	switch x := p.(type) {
	case *scanPartition:
		return t.scan(ctx, x)
	case *indexPartition:
		return t.indexScan(ctx, x)
	}
	return nil, fmt.Errorf("table %s: unexpected partition %T", t, p)
}

// scan opens a row iterator over one key range of the partition: the
// committed hot rows and cold files as of the statement's snapshot, with
// the session transaction's own uncommitted writes over them.
func (t *dataTable) scan(ctx *sql.Context, p *scanPartition) (sql.RowIter, error) {
	s := t.shape
	it := &rowIter{t: t, wanted: t.wantedUserColumns(), reverse: p.reverse, showDeleted: t.sess.showDeleted,
		prefixLen: len(t.prefix), point: p.point}
	if ttl := s.Meta.TTL(); s.IsStream() && ttl > 0 {
		it.expireBefore = time.Now().Add(-ttl).UnixMilli()
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
	rng := cold.Range{Lo: p.start[len(t.prefix):], Reverse: p.reverse}
	if p.end != nil && bytes.HasPrefix(p.end, t.prefix) {
		rng.Hi = p.end[len(t.prefix):]
	}
	if len(t.filters) > 0 {
		it.hotFilter = newHotFilter(t.filters)
	}
	var keep []bool
	if len(it.files) > 0 && (len(t.filters) > 0 || len(t.textFilters) > 0) {
		rng.Filters = t.coldFilters
		// A row that fails in one file may shadow an older version in
		// another: the merge must see it.
		keep = keepFiltered(it.files)
	}
	for i, f := range it.files {
		rng.KeepFiltered = keep != nil && keep[i]
		c, err := tier.OpenCursor(ctx, f, s.Schema, it.wanted, rng)
		if err != nil {
			it.Close(ctx)
			return nil, coldReadError(s.Meta.TableID, err)
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

// boolValue is b as the engine's BOOLEAN, its TINYINT 1 or 0: the value
// of a stored column (row.normBool, cold pages' stored), a cast
// (castValue, parseText, castJSONScalar) and KalamDB's own boolean
// functions (buildNot, the regex and JSON predicates, bool_and/bool_or).
// The engine's own literals, comparisons, AND/OR/IS and IN give Go's
// bool instead, and one representation at the source would take a fork
// of the engine, so what tells values apart reads both alike: the row
// hash of set operations and DISTINCT (rowHasher.sum), grouping keys
// (kdb_bool_key), IN (subquery) (pgInSubqueryOf), a DISTINCT aggregate
// (distinctKey), orderings (compareValues) and the wire (row.WireValue).
func boolValue(b bool) int8 {
	if b {
		return 1
	}
	return 0
}

// tableError wraps a storage error with the table it happened on.
func tableError(s *tableShape, err error) error { return tables.Error(s.Table.Table, err) }
