package cold

import (
	"context"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// A file that has every wanted column reports no missing columns as nil:
// callers (the row cache's projected cold versions, a point lookup) skip
// filling DEFAULTs, and the row cache hands out a cached cold row without
// copying its values, only when it is nil. A column added since the file
// was written is still reported.
func TestMissingIsNilWhenTheFileHasEveryColumn(t *testing.T) {
	st := newFS(t)
	sch := workloadSchema()
	rows := workloadRowsOf(t, 20)
	writeRows(t, st, "a.parquet", sch, rows, WriteOptions{})
	f := openFile(t, st, "a.parquet")
	for _, want := range [][]int{nil, {wContent}, {wID, wConv, wRole, wContent, wCreated}, {}} {
		missing, err := f.Missing(sch, want)
		if err != nil || missing != nil {
			t.Fatalf("Missing(%v) = %v, %v; want nil", want, missing, err)
		}
	}

	// The table gains a column: the file lacks it.
	v2 := &systable.TableSchema{TableID: sch.TableID, Version: 2, Columns: append(append([]systable.ColumnSchema(nil),
		sch.Columns...), col(6, "edited", dialect.TypeBoolean))}
	missing, err := f.Missing(v2, []int{wContent, 5})
	if err != nil || len(missing) != 2 || missing[0] || !missing[1] {
		t.Fatalf("Missing with a new column = %v, %v", missing, err)
	}
	// And it may change the slice it gets: the next call is not affected.
	missing[1] = false
	if again, _ := f.Missing(v2, []int{wContent, 5}); !again[1] {
		t.Fatalf("Missing after the caller changed its slice = %v", again)
	}

	// A lookup of a row of the file reports the same through tier's
	// callers; the row itself is unaffected.
	r, found, err := f.Lookup(context.Background(), sch, nil, rows[7].Key)
	if err != nil || !found || r.Values[wContent] != rows[7].Values[wContent] {
		t.Fatalf("Lookup = %v, %v, %v", r, found, err)
	}
}
