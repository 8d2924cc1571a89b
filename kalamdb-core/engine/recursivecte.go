package engine

import (
	"io"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/plan"
)

// A recursive WITH query runs as KalamDB's iterator (recursiveIter), not
// the engine's: the engine's UNION of a recursive query told rows apart by
// sql.HashOf, which prints their values, so a float -0 and 0 were two rows
// (WITH RECURSIVE r(v) AS (SELECT 0.0::float8 UNION SELECT -v FROM r)
// alternated between them until the step limit). Its rows are told apart
// as a UNION's are (zeroDistinctIter): hashed by rowHasher with float
// zeros made 0, NaN one value, decimals by their value whatever their
// scale, NULLs not distinct; the first row met is the one kept.

// buildRecursive builds c as the engine's buildRecursiveCte would, with
// recursiveIter. Every row it returns is charged to the statement's
// budget as a row the recursive CTE keeps (as the engine's was), and the
// hash of each distinct row a UNION keeps is charged until it closes, as
// a set operation's is.
func (b *checkedBuilder) buildRecursive(ctx *sql.Context, c *plan.RecursiveCte, r sql.Row) (sql.RowIter, error) {
	if err := recursiveClauses(c); err != nil {
		return nil, err
	}
	outer, ictx := ownIterator(ctx)
	outer.keptBy = "a recursive CTE"
	it := &recursiveIter{b: b, ctx: ictx, c: c, row: r}
	if c.Union().Distinct {
		it.hash, it.held = newRowHasher(), heldBytes{transient: true}
		it.seen = map[uint64]struct{}{}
	}
	return outer.wrap(it), nil
}

// recursiveIter returns the rows of a recursive query's first term, then
// runs its recursive term over the rows the last run returned (the
// working table, c.Working) until a run returns none, at most
// cteStepLimit times. With UNION (seen set) a row equal to one returned
// before is dropped, and neither returned nor read by the next run. Its
// children check the statement's context on every row they read.
type recursiveIter struct {
	b     *checkedBuilder
	ctx   *sql.Context // the context its terms are built in
	c     *plan.RecursiveCte
	row   sql.Row
	cur   sql.RowIter // the term being read; nil before the first
	steps int         // runs of the recursive term started
	next  []sql.Row   // the rows of this run, the next run's working table
	hash  *rowHasher
	seen  map[uint64]struct{}
	held  heldBytes
}

func (it *recursiveIter) Next(ctx *sql.Context) (sql.Row, error) {
	if it.cur == nil {
		cur, err := it.b.main.Build(it.ctx, it.c.Left(), it.row)
		if err != nil {
			return nil, err
		}
		it.cur = cur
	}
	for {
		row, err := it.cur.Next(ctx)
		if err == io.EOF {
			if len(it.next) == 0 {
				return nil, io.EOF
			}
			if err := it.step(ctx); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		if it.seen != nil {
			h, err := it.hash.sum(ctx, zerosMadePositive(row))
			if err != nil {
				return nil, err
			}
			if _, ok := it.seen[h]; ok {
				continue
			}
			if err := it.held.charge(ctx, "a recursive CTE's UNION", hashEntryBytes); err != nil {
				return nil, err
			}
			it.seen[h] = struct{}{}
		}
		it.next = append(it.next, row)
		return row, nil
	}
}

// step starts the next run of the recursive term, over the rows of the
// last one.
func (it *recursiveIter) step(ctx *sql.Context) error {
	if it.steps++; it.steps > cteStepLimit {
		return sql.ErrCteRecursionLimitExceeded.New()
	}
	if err := it.cur.Close(ctx); err != nil {
		return err
	}
	it.cur = nil
	it.c.Working.Buf, it.next = it.next, nil
	cur, err := it.b.main.Build(it.ctx, it.c.Right(), it.row)
	if err != nil {
		return err
	}
	it.cur = cur
	return nil
}

func (it *recursiveIter) Close(ctx *sql.Context) error {
	it.c.Working.Buf, it.next, it.seen = nil, nil, nil
	it.held.giveBack(ctx)
	if it.cur != nil {
		return it.cur.Close(ctx)
	}
	return nil
}
