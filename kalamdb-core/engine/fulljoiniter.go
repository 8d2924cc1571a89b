package engine

import (
	"context"
	"errors"
	"io"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
)

// The engine's own FULL JOIN iterator (go-mysql-server v0.20.0's
// fullJoinIter) is wrong in three ways, so KalamDB builds its own:
//   - inside a correlated subquery it joins the left side's rows without
//     the outer row in front of them, so the condition and the columns
//     above the join read the wrong fields (every count 0, a panic, or
//     "unable to find field"), and it reads the unmatched right rows
//     with no outer row at all;
//   - after a left row that matched, it evaluates the condition once
//     more on a row of NULLs, and returns that row when the condition
//     holds for NULLs (ON a IS NOT DISTINCT FROM b gave four extra rows);
//   - it drops the right side's errors other than the end (a cancelled
//     statement answered with fewer rows) and never closes the right
//     side's iterators of the left rows that matched.
//
// fullJoinIter is the same algorithm done right: a nested loop that
// reads the right side for every left row (with the outer row and the
// left row in front, as the engine's other joins do), then reads it once
// more, with the outer row and a left row of NULLs, for the right rows
// no left row matched.
// A right row is known again by a hash of its values (rowHasher, seeded
// per statement): equal rows match the same left rows, so telling them
// apart is not needed. Those hashes are charged to the statement's
// memory budget while the join runs.
//
// A right side that computes a volatile value (random(), a subquery's
// gen_random_uuid()) has new values at every read, so none of the last
// read's rows was seen and each came back once more with NULLs (17 rows
// for PostgreSQL's 13). Such a side is read once, for the first left row
// (it reads no left column: a FULL JOIN is never LATERAL), and held,
// charged to the budget, with which of its rows matched. So is the side
// of a volatile condition (ON a.k = b.k AND random() < 0.5): two right
// rows of equal values (the side pruned to the columns read) may match
// differently, and one known by its values was taken for the other.

// fullJoinLastRead, as a key of the context a FULL JOIN builds its right
// side in, marks the read for the right rows without a match: its value
// is the right side's node, so that a FULL JOIN inside that side does not
// take the mark for its own (joinstream.go's readOnceLookup).
type fullJoinLastRead struct{}

// fullJoinIter is the FULL JOIN j of the outer row parent.
type fullJoinIter struct {
	build  sql.NodeExecBuilder
	j      *plan.JoinNode
	parent sql.Row

	left, right sql.RowIter
	// leftRow is the outer row followed by the left side's row at hand,
	// nil between left rows; matched says a right row joined it.
	leftRow  sql.Row
	matched  bool
	leftDone bool

	seen map[uint64]struct{}
	hash *rowHasher
	// volatile: the right side is read once into rows, rightMatched[i]
	// saying whether rows[i] joined a left row; pos is the next row
	// of the read at hand.
	volatile     bool
	read         bool
	rows         []sql.Row
	rightMatched []bool
	pos          int
	held         heldBytes
	leftLen      int
	rightLen     int
}

func newFullJoinIter(ctx *sql.Context, b sql.NodeExecBuilder, j *plan.JoinNode, parent sql.Row) (*fullJoinIter, error) {
	left, err := b.Build(ctx, j.Left(), parent)
	if err != nil {
		return nil, err
	}
	return &fullJoinIter{
		build:    b,
		j:        j,
		parent:   parent,
		left:     left,
		seen:     map[uint64]struct{}{},
		hash:     newRowHasher(),
		held:     heldBytes{transient: true},
		leftLen:  len(j.Left().Schema()),
		rightLen: len(j.Right().Schema()),
		volatile: volatileNode(j.Right()) || j.Filter != nil && volatileExpr(j.Filter),
	}, nil
}

// volatileNode reports whether an expression of n gives new values at
// every evaluation.
func volatileNode(n sql.Node) bool {
	volatile := false
	transform.InspectExpressions(n, func(e sql.Expression) bool {
		if volatileExpr(e) {
			volatile = true
		}
		return !volatile
	})
	return volatile
}

// volatileExpr reports whether e, or an expression in it, gives new
// values at every evaluation.
func volatileExpr(e sql.Expression) bool {
	return transform.InspectExpr(e, func(e sql.Expression) bool {
		x, ok := e.(sql.NonDeterministicExpression)
		return ok && x.IsNonDeterministic()
	})
}

// readOnce reads a volatile right side, built for row, into it.rows,
// once; right is then an iterator over those rows.
func (it *fullJoinIter) readOnce(ctx *sql.Context, row sql.Row) error {
	if !it.read {
		iter, err := it.build.Build(ctx, it.j.Right(), row)
		if err != nil {
			return err
		}
		for {
			r, err := iter.Next(ctx)
			if errors.Is(err, io.EOF) {
				break
			}
			if err == nil {
				err = it.held.charge(ctx, "a FULL JOIN", rowSize(r)+hashEntryBytes)
			}
			if err != nil {
				return errors.Join(err, iter.Close(ctx))
			}
			it.rows = append(it.rows, r)
		}
		if err := iter.Close(ctx); err != nil {
			return err
		}
		it.read, it.rightMatched = true, make([]bool, len(it.rows))
	}
	it.right, it.pos = sql.RowsToRowIter(it.rows...), 0
	return nil
}

func (it *fullJoinIter) Next(ctx *sql.Context) (sql.Row, error) {
	for !it.leftDone {
		if it.leftRow == nil {
			r, err := it.left.Next(ctx)
			if errors.Is(err, io.EOF) {
				it.leftDone = true
				err = it.left.Close(ctx)
				it.left = nil
				if err != nil {
					return nil, err
				}
				break
			}
			if err != nil {
				return nil, err
			}
			it.leftRow = it.joined(r, nil, it.leftLen)[:len(it.parent)+it.leftLen]
			it.matched = false
		}
		if it.right == nil && it.volatile {
			if err := it.readOnce(ctx, it.leftRow); err != nil {
				return nil, err
			}
		}
		if it.right == nil {
			right, err := it.build.Build(ctx, it.j.Right(), it.leftRow)
			if err != nil {
				return nil, err
			}
			it.right = right
		}
		r, err := it.right.Next(ctx)
		it.pos++
		if errors.Is(err, io.EOF) {
			err = it.right.Close(ctx)
			it.right = nil
			row, matched := it.leftRow, it.matched
			it.leftRow = nil
			if err != nil {
				return nil, err
			}
			if !matched {
				return it.outer(append(row, make(sql.Row, it.rightLen)...)), nil
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		row := append(append(make(sql.Row, 0, len(it.leftRow)+it.rightLen), it.leftRow...), r...)
		ok, err := sql.EvaluateCondition(ctx, it.j.Filter, row)
		if err != nil {
			return nil, err
		}
		if !sql.IsTrue(ok) {
			continue
		}
		it.matched = true
		if it.volatile {
			it.rightMatched[it.pos-1] = true
		} else if err := it.see(ctx, r); err != nil {
			return nil, err
		}
		return it.outer(row), nil
	}
	// The right rows no left row matched, joined to NULLs. The side is
	// built for a left row of NULLs: its columns are numbered after the
	// left side's (a join there, GMS's hash join included, reads its keys
	// at those places), though it reads none of them.
	if it.volatile {
		if it.right == nil {
			if err := it.readOnce(ctx, it.joined(nil, nil, it.leftLen)); err != nil {
				return nil, err
			}
		}
		for ; it.pos < len(it.rows); it.pos++ {
			if !it.rightMatched[it.pos] {
				it.pos++
				return it.outer(it.joined(nil, it.rows[it.pos-1], it.leftLen)), nil
			}
		}
		it.held.giveBack(ctx)
		return nil, io.EOF
	}
	if it.right == nil {
		last := ctx.WithContext(context.WithValue(ctx, fullJoinLastRead{}, it.j.Right()))
		right, err := it.build.Build(last, it.j.Right(), it.joined(nil, nil, it.leftLen))
		if err != nil {
			return nil, err
		}
		it.right = right
	}
	for {
		r, err := it.right.Next(ctx)
		if errors.Is(err, io.EOF) {
			it.held.giveBack(ctx)
			return nil, io.EOF
		}
		if err != nil {
			return nil, err
		}
		h, err := it.hash.sum(ctx, r)
		if err != nil {
			return nil, err
		}
		if _, ok := it.seen[h]; ok {
			continue
		}
		return it.outer(it.joined(nil, r, it.leftLen)), nil
	}
}

// see records that the right row r matched.
func (it *fullJoinIter) see(ctx *sql.Context, r sql.Row) error {
	h, err := it.hash.sum(ctx, r)
	if err != nil {
		return err
	}
	if _, ok := it.seen[h]; ok {
		return nil
	}
	if err := it.held.charge(ctx, "a FULL JOIN", hashEntryBytes); err != nil {
		return err
	}
	it.seen[h] = struct{}{}
	return nil
}

// joined is a new row: the outer row, then left (NULLs if nil, leftLen of
// them), then right (may be nil), with room for the right side.
func (it *fullJoinIter) joined(left, right sql.Row, leftLen int) sql.Row {
	row := make(sql.Row, len(it.parent)+leftLen, len(it.parent)+leftLen+it.rightLen)
	copy(row, it.parent)
	copy(row[len(it.parent):], left)
	return append(row, right...)
}

// outer is row as the join returns it: of the outer row, only the columns
// of the scope the join's node expects (ScopeLen), as the engine's joins
// do.
func (it *fullJoinIter) outer(row sql.Row) sql.Row {
	scope := it.j.ScopeLen
	copy(row[scope:], row[len(it.parent):])
	return row[:len(row)-len(it.parent)+scope]
}

func (it *fullJoinIter) Close(ctx *sql.Context) error {
	it.held.giveBack(ctx)
	var err error
	if it.left != nil {
		err = it.left.Close(ctx)
		it.left = nil
	}
	if it.right != nil {
		err = errors.Join(err, it.right.Close(ctx))
		it.right = nil
	}
	return err
}
