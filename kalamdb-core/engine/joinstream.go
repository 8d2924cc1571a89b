package engine

import (
	"context"
	"errors"
	"io"
	"math"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/plan"
)

// The side hashReadOnce hashes is an index range its WHERE binds, of any
// size: where the nested loop it replaces streamed that range once for
// every outer row, holding none of it, the hash table holds all of it,
// and a range over the statement's memory budget failed the statement
// (RESOURCE_LIMIT_EXCEEDED) that the nested loop answered. So the table
// keeps the range only while it stays within a share of the budget
// (hashedSideShare); past it, the rows kept so far are given back and
// the join goes on as the nested loop did: the range read for the outer
// row at hand goes on streaming, and is read again for every later outer
// row. Such a join never holds more than the share, and never reads more
// than the nested loop did (its first read is the nested loop's first).

// hashedSideShare is the part of the statement's memory budget one hashed
// side may keep: a quarter, so that the operators above the join (a sort,
// a grouping) keep most of what they had under the nested loop.
const hashedSideShare = 4

// hashedSide marks the child of a hash lookup that hashReadOnce made: the
// builder builds that lookup itself (readOnceLookup). Plans are analysed
// for every run, so its state is one run's.
type hashedSide struct {
	child sql.Node
	state *hashedState
	// nulls is where the keys have a column the join rejects when NULL,
	// nil for none (nullFreeHashJoins).
	nulls *nullRejected
	// full marks a FULL JOIN's right side (joinhash.go): the join reads
	// it once more, with no left row, for its rows without a match, which
	// the table keeps in order (hashedState.all), those whose key is NULL
	// included.
	full bool
}

// hashedState is what the lookup keeps between the outer rows of a run:
// the complete table, or that the side streams.
type hashedState struct {
	mu      sync.Mutex
	table   map[any][]sql.Row
	all     []sql.Row // a full side's rows, once the table is complete
	streams bool
}

var _ sql.Node = (*hashedSide)(nil)

func (h *hashedSide) Resolved() bool       { return h.child.Resolved() }
func (h *hashedSide) String() string       { return h.child.String() }
func (h *hashedSide) Schema() sql.Schema   { return h.child.Schema() }
func (h *hashedSide) Children() []sql.Node { return []sql.Node{h.child} }
func (h *hashedSide) IsReadOnly() bool     { return h.child.IsReadOnly() }

func (h *hashedSide) WithChildren(children ...sql.Node) (sql.Node, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(h, len(children), 1)
	}
	return &hashedSide{child: children[0], state: h.state, nulls: h.nulls, full: h.full}, nil
}

// readOnceLookup is the iterator of hash lookup h over side for the outer
// row r: the matches of r in the complete table; the whole side, read
// again, once it streams (the join evaluates its condition on every
// pair); or, for a first outer row, the side read, kept as it comes.
// Rows of the side whose key the join rejects as NULL are left out, and
// nothing is read for an outer row whose key it rejects, but for the
// first (side.nulls). A FULL JOIN's last read gets all of the side's rows
// (side.full).
func (b *checkedBuilder) readOnceLookup(ctx *sql.Context, h *plan.HashLookup, side *hashedSide, r sql.Row) (sql.RowIter, error) {
	st := side.state
	st.mu.Lock()
	table, all, streams := st.table, st.all, st.streams
	st.mu.Unlock()
	// A FULL JOIN's last read, with no left row, is for every row of the
	// side, to join those without a match to NULLs. The join says which
	// read is its last (fullJoinIter): r is then the outer row and NULLs,
	// which a FULL JOIN under an EXISTS made a semi join has.
	last := side.full && ctx.Value(fullJoinLastRead{}) == sql.Node(h)
	if last && table != nil {
		return sql.RowsToRowIter(all...), nil
	}
	if side.nulls != nil && !last && (table != nil || streams) {
		null, err := anyNull(ctx, h.LeftProbeKey, side.nulls.probe, r)
		if err != nil || null {
			return sql.RowsToRowIter(), err
		}
	}
	if table != nil {
		key, err := h.GetHashKey(ctx, h.LeftProbeKey, r)
		if err != nil {
			return nil, err
		}
		return sql.RowsToRowIter(table[key]...), nil
	}
	// The side's rows are charged here, not by the iterators below.
	inner := context.WithValue(ctx, keptByKey{}, "")
	inner = context.WithValue(context.WithValue(inner, groupsKey{}, (*groupTracker)(nil)), heldKey{}, (*heldBytes)(nil))
	iter, err := b.main.Build(ctx.WithContext(inner), side.child, r)
	if err != nil {
		return nil, err
	}
	if !side.full {
		iter = withoutNullKeys(iter, h.RightEntryKey, side.nulls)
	}
	if streams || last {
		return iter, nil
	}
	share := int64(math.MaxInt64)
	if s, err := sessionOf(ctx); err == nil && s.budget.limits != nil {
		share = s.budget.limits.StatementMemoryBytes / hashedSideShare
	}
	hi := &hashingIter{h: h, state: st, child: iter, table: map[any][]sql.Row{}, share: share}
	if side.full {
		hi.full, hi.nulls = true, side.nulls
	}
	return hi, nil
}

// hashingIter returns the side's rows to the join as it reads them, and
// keeps them by key until the side is over its share.
type hashingIter struct {
	h     *plan.HashLookup
	state *hashedState
	child sql.RowIter
	// table is nil once the side streams, or once it is complete (then
	// state's).
	table map[any][]sql.Row
	held  int64
	share int64
	// full: the rows are kept in order too (all), and those whose key
	// nulls rejects only there.
	full  bool
	all   []sql.Row
	nulls *nullRejected
}

func (it *hashingIter) Next(ctx *sql.Context) (sql.Row, error) {
	row, err := it.child.Next(ctx)
	if errors.Is(err, io.EOF) && it.table != nil {
		// Complete: every later outer row looks its matches up. Its bytes
		// stay charged until the statement ends, as the table lives.
		it.state.mu.Lock()
		it.state.table, it.state.all = it.table, it.all
		it.state.mu.Unlock()
		it.table, it.all = nil, nil
		it.held = 0
	}
	if err != nil || it.table == nil {
		return row, err
	}
	n := rowSize(row)
	if it.held+n > it.share || !tryHold(ctx, n) {
		it.drop(ctx)
		it.state.mu.Lock()
		it.state.streams = true
		it.state.mu.Unlock()
		return row, nil
	}
	it.held += n
	if it.full {
		it.all = append(it.all, row)
		if it.nulls != nil {
			null, err := anyNull(ctx, it.h.RightEntryKey, it.nulls.entry, row)
			if err != nil {
				return nil, err
			}
			if null {
				return row, nil
			}
		}
	}
	key, err := it.h.GetHashKey(ctx, it.h.RightEntryKey, row)
	if err != nil {
		return nil, err
	}
	it.table[key] = append(it.table[key], row)
	return row, nil
}

// drop gives back the rows kept so far.
func (it *hashingIter) drop(ctx *sql.Context) {
	it.table, it.all = nil, nil
	if s, err := sessionOf(ctx); err == nil && it.held > 0 {
		s.budget.giveBack(it.held)
	}
	it.held = 0
}

// Close drops an incomplete table: a join that stopped early (a LIMIT)
// reads the side again for its next outer row, as the engine's own hash
// lookup does.
func (it *hashingIter) Close(ctx *sql.Context) error {
	if it.table != nil {
		it.drop(ctx)
	}
	return it.child.Close(ctx)
}

// tryHold charges n bytes to ctx's statement if its budget has room.
func tryHold(ctx *sql.Context, n int64) bool {
	if s, err := sessionOf(ctx); err == nil {
		return s.budget.tryHold(n)
	}
	return true
}
