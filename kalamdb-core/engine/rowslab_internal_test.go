package engine

import "testing"

// TestRowsFromASlabAreDisjoint: rows taken from a rowIter's slab are full
// slices of parts of their own (an append to one copies it instead of
// writing into the next), and once the slab is used up rows are allocated
// one by one.
func TestRowsFromASlabAreDisjoint(t *testing.T) {
	it := &rowIter{slab: make([]any, 7)}
	a, b, c := it.newRow(3), it.newRow(3), it.newRow(3)
	if len(a) != 3 || cap(a) != 3 || len(b) != 3 || cap(b) != 3 || len(c) != 3 {
		t.Fatalf("rows of lengths %d, %d, %d and capacities %d, %d", len(a), len(b), len(c), cap(a), cap(b))
	}
	if len(it.slab) != 1 {
		t.Fatalf("the slab has %d values left, want 1 (the third row is its own)", len(it.slab))
	}
	for i := range a {
		a[i], b[i], c[i] = "a", "b", "c"
	}
	a = append(a, "grown")
	for i := range 3 {
		if a[i] != "a" || b[i] != "b" || c[i] != "c" {
			t.Fatalf("rows share values: %v %v %v", a, b, c)
		}
	}
}

// TestResultArena: an arena hands out disjoint parts of its values until
// it has no room (then nil: the caller allocates), and Release gives it
// back emptied (no value kept alive) with the result no longer pointing
// to its rows; a second Release does nothing.
func TestResultArena(t *testing.T) {
	e := &Engine{}
	a := e.newResultArena()
	first := a.take(10)
	second := a.take(0)
	if len(first) != 10 || cap(first) != 10 || second == nil || len(second) != 0 {
		t.Fatalf("parts of lengths %d and %d, capacities %d and %d", len(first), len(second), cap(first), cap(second))
	}
	if more := a.take(1); more != nil {
		t.Fatalf("an arena sized for 10 values handed out an eleventh: %v", more)
	}
	for i := range first {
		first[i] = i
	}
	rows := append(a.rowList(2), first[:5], first[5:])
	res := &QueryResult{Rows: rows, arena: a}
	res.Release()
	if res.Rows != nil || res.arena != nil {
		t.Fatalf("a released result still holds its rows: %v", res.Rows)
	}
	for i, v := range a.vals {
		if v != nil {
			t.Fatalf("a released arena keeps value %d: %v", i, v)
		}
	}
	for i, r := range a.rows[:cap(a.rows)] {
		if r != nil {
			t.Fatalf("a released arena keeps row %d", i)
		}
	}
	if a.used != 0 {
		t.Fatalf("a released arena has %d values in use", a.used)
	}
	res.Release()
	if got := a.take(4); len(got) != 4 {
		t.Fatalf("an emptied arena hands out %d values, want 4", len(got))
	}
}
