package cold

import (
	"fmt"
	"slices"
	"sync"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// Column plans: how a read maps the file's columns (as written) onto the
// wanted columns of the table's current schema, with columns added since
// the file was written read as missing and re-typed ones converted. Plans
// are immutable and the last few are kept per File.

// Missing reports, per wanted column of current (want nil: all of
// them), whether the file predates it, so it reads as NULL and the caller
// applies the column's DEFAULT. It is nil when the file has every wanted
// column, the usual case: callers then have nothing to fill in, and the
// row cache hands out a cached cold row without copying its values.
func (f *File) Missing(current *systable.TableSchema, want []int) ([]bool, error) {
	pl, err := f.plan(current, want)
	if err != nil {
		return nil, err
	}
	return slices.Clone(pl.missing), nil
}

// plan is how reads map the file's columns onto the wanted columns of
// the current schema. It is immutable, and cached per File.
type plan struct {
	slots   []slot // one per wanted column
	missing []bool // per wanted column: the file predates it; nil: none
}

type slot struct {
	leaf  int         // file column to read, or -1: the column is newer than the file
	kind  schema.Kind // the file column's kind
	name  string      // the file column's name
	scale int32       // the file column's DECIMAL scale
	conv  bool        // re-typed since the file was written: convert
	col   systable.ColumnSchema
	from  systable.ColumnSchema // file's column, when conv
}

// planCache keeps the last plans built, keyed by schema and wanted
// columns: a statement reads many rows or lookups with one plan.
type planCache struct {
	mu    sync.Mutex
	slots [8]planSlot
	next  int
}

type planSlot struct {
	sch     *systable.TableSchema
	version int
	ncols   int
	all     bool
	want    []int
	pl      *plan
}

func (f *File) plan(current *systable.TableSchema, want []int) (*plan, error) {
	if current == nil {
		return nil, fmt.Errorf("cold: %s: nil schema", f.path)
	}
	pc := &f.plans
	pc.mu.Lock()
	for i := range pc.slots {
		s := &pc.slots[i]
		if s.sch == current && s.version == current.Version && s.ncols == len(current.Columns) &&
			s.all == (want == nil) && slices.Equal(s.want, want) {
			pl := s.pl
			pc.mu.Unlock()
			return pl, nil
		}
	}
	pc.mu.Unlock()
	pl, err := f.buildPlan(current, want)
	if err != nil {
		return nil, err
	}
	pc.mu.Lock()
	pc.slots[pc.next] = planSlot{sch: current, version: current.Version, ncols: len(current.Columns),
		all: want == nil, want: slices.Clone(want), pl: pl}
	pc.next = (pc.next + 1) % len(pc.slots)
	pc.mu.Unlock()
	return pl, nil
}

func (f *File) buildPlan(current *systable.TableSchema, want []int) (*plan, error) {
	if current.TableID != f.meta.schema.TableID {
		return nil, fmt.Errorf("cold: %s holds table %s, not %s", f.path, f.meta.schema.TableID, current.TableID)
	}
	if want == nil {
		want = make([]int, len(current.Columns))
		for i := range want {
			want[i] = i
		}
	}
	pl := &plan{slots: make([]slot, len(want)), missing: make([]bool, len(want))}
	seen := make(map[int]bool, len(want))
	for s, ci := range want {
		sl, err := f.slotOf(current, ci)
		if err != nil {
			return nil, err
		}
		if seen[ci] {
			return nil, fmt.Errorf("cold: %s: column %d wanted twice", f.path, ci)
		}
		seen[ci] = true
		pl.slots[s] = sl
		pl.missing[s] = sl.leaf < 0
	}
	if !slices.Contains(pl.missing, true) {
		pl.missing = nil
	}
	return pl, nil
}

// slotOf maps column ci of current onto the file's columns.
func (f *File) slotOf(current *systable.TableSchema, ci int) (slot, error) {
	if ci < 0 || ci >= len(current.Columns) {
		return slot{}, fmt.Errorf("cold: %s: wanted column %d of %d", f.path, ci, len(current.Columns))
	}
	c := current.Columns[ci]
	if schema.KindOf(c.Type.Name) == schema.KindInvalid {
		return slot{}, fmt.Errorf("cold: %s: column %q has unknown type %q", f.path, c.Name, c.Type.Name)
	}
	sl := slot{leaf: -1, col: c}
	fi, ok := f.meta.byID[c.ColumnID]
	if !ok {
		return sl, nil
	}
	fc := f.meta.schema.Columns[fi]
	_, sc := decimalParams(fc.Type)
	sl.leaf, sl.kind, sl.name, sl.scale = numSystemCols+fi, schema.KindOf(fc.Type.Name), fc.Name, sc
	if needsConversion(fc.Type, c.Type) {
		sl.conv, sl.from = true, fc
	}
	return sl, nil
}
