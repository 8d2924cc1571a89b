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
