package engine

// A read through an index on the fast path (the newest messages of a
// conversation) allocated, per statement, its result's row list and the
// rows' values: about 5 KB for 50 rows of 5 columns, a third of all an
// HTTP request for it allocated. They are needed only until the caller has
// written the answer out, so a caller that says when that is
// (QueryResult.Release) gives them back for a later statement. A caller
// that does not leaves them to the garbage collector, as before.
//
// The invariant: an arena belongs to one result at a time. It is taken
// from the pool by one statement, filled by that statement only, handed
// out with its result, and put back by Release alone, after which the
// result no longer points to it.

// resultArena holds a result's row list and the values of its rows.
type resultArena struct {
	home *Engine
	rows [][]any
	// vals[:used] are handed out (to rows of the current result).
	vals []any
	used int
}

// resultArenaMaxVals bounds the values of an arena kept for reuse (64 KiB
// of interfaces: 256 rows of 16 columns).
const resultArenaMaxVals = indexBatchMax * 16

func (e *Engine) newResultArena() *resultArena {
	if a, ok := e.resultArenas.Get().(*resultArena); ok {
		return a
	}
	return &resultArena{home: e}
}

// rowList is an empty row list with room for n rows.
func (a *resultArena) rowList(n int) [][]any {
	if cap(a.rows) < n {
		a.rows = make([][]any, 0, n)
	}
	return a.rows[:0]
}

// take hands out n values no row of the result holds yet, or nil when the
// arena has no room left for them (the caller allocates).
func (a *resultArena) take(n int) []any {
	if a.used == 0 && len(a.vals) < n && n <= resultArenaMaxVals {
		a.vals = make([]any, n)
	}
	if a.used+n > len(a.vals) {
		return nil
	}
	out := a.vals[a.used : a.used+n : a.used+n]
	a.used += n
	return out
}

// recycle empties the arena (its values point into the row cache and the
// statement's buffers, which it must not keep alive) and pools it.
func (a *resultArena) recycle() {
	clear(a.vals[:a.used])
	clear(a.rows[:cap(a.rows)])
	a.used = 0
	a.rows = a.rows[:0]
	if len(a.vals) <= resultArenaMaxVals && cap(a.rows) <= indexBatchMax {
		a.home.resultArenas.Put(a)
	}
}

// Release gives the buffers of the result's rows back for reuse by later
// statements. After it the caller must not use Rows, nor any row or value
// of it (it sets Rows to nil). A result not released is collected like any
// other value; releasing one twice, or one without recyclable buffers, does
// nothing.
func (r *QueryResult) Release() {
	if a := r.arena; a != nil {
		r.arena, r.Rows = nil, nil
		a.recycle()
	}
}
