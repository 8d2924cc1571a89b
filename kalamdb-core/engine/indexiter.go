package engine

import (
	"errors"
	"fmt"
	"io"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tables"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tier"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// indexIter yields the rows named by the entries of entry ranges of a
// secondary index, in entry order (backwards when reverse), fetching each
// row by its key at the statement's snapshot: the hot version if there is
// one, else the newest cold one. An entry whose row's version is not the
// one it was written for is skipped; commits keep entries exact, so that
// happens only if something is wrong, and then the row is still never
// shown through an entry that does not match it.
//
// It reads what its rowIter holds (the snapshot, the decoding of rows,
// the cold files once a row is not hot) and keeps its resources there, so
// the statement's end closes them like any scan's.
type indexIter struct {
	r       *rowIter
	si      *secIndex
	ranges  [][2][]byte
	reverse bool
	// limit stops the scan after that many rows (0: no limit).
	limit int
	rows  int

	cur       *kv.Iterator
	started   bool
	filesRead bool
}

// openIndexIter opens the rows of entry ranges of si in the session's
// partition.
func (t *dataTable) openIndexIter(ctx *sql.Context, si *secIndex, ranges [][2][]byte, reverse bool, limit int) (*indexIter, error) {
	snap, err := t.sess.snapshot()
	if err != nil {
		return nil, tableError(t.shape, err)
	}
	r := &rowIter{t: t, wanted: t.wantedUserColumns(), prefixLen: len(t.prefix), showDeleted: t.sess.showDeleted, snap: snap}
	t.sess.track(r)
	return &indexIter{r: r, si: si, ranges: ranges, reverse: reverse, limit: limit}, nil
}

func (it *indexIter) Next(ctx *sql.Context) (sql.Row, error) {
	if it.limit > 0 && it.rows >= it.limit {
		return nil, io.EOF
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		local, seq, ok, err := it.nextEntry()
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, io.EOF
		}
		r, found, err := it.fetch(ctx, local, seq)
		if err != nil {
			return nil, err
		}
		if found {
			it.rows++
			return r, nil
		}
	}
}

// nextEntry returns the next entry's row key (partition-local, a copy) and
// _seq, moving on to the next range when one ends.
func (it *indexIter) nextEntry() ([]byte, int64, bool, error) {
	for {
		if it.cur == nil {
			if len(it.ranges) == 0 {
				return nil, 0, false, nil
			}
			rg := it.ranges[0]
			it.ranges = it.ranges[1:]
			kit, err := it.r.t.shape.IndexCF.NewIter(kv.IterOptions{LowerBound: rg[0], UpperBound: rg[1], Snapshot: it.r.snap})
			if err != nil {
				return nil, 0, false, tableError(it.r.t.shape, err)
			}
			it.cur, it.r.kit, it.started = kit, kit, false
		}
		var valid bool
		switch {
		case !it.started && it.reverse:
			valid = it.cur.Last()
		case !it.started:
			valid = it.cur.First()
		case it.reverse:
			valid = it.cur.Prev()
		default:
			valid = it.cur.Next()
		}
		it.started = true
		if !valid {
			err := errors.Join(it.cur.Error(), it.cur.Close())
			it.cur, it.r.kit = nil, nil
			if err != nil {
				return nil, 0, false, tableError(it.r.t.shape, err)
			}
			continue
		}
		local, err := it.si.ix.EntryLocalKey(it.cur.Key(), it.r.prefixLen)
		if err != nil {
			return nil, 0, false, errIndexEntry(it.si, err)
		}
		seq, err := tables.EntrySeq(it.cur.Value())
		if err != nil {
			return nil, 0, false, errIndexEntry(it.si, err)
		}
		return append([]byte(nil), local...), seq, true, nil
	}
}

// fetch reads the row of an entry, if its version is the entry's and the
// session may see it.
func (it *indexIter) fetch(ctx *sql.Context, local []byte, seq int64) (sql.Row, bool, error) {
	r := it.r
	s := r.t.shape
	key := append(append(make([]byte, 0, len(r.t.prefix)+len(local)), r.t.prefix...), local...)
	v, err := r.snap.Get(s.CF, key)
	switch {
	case err == nil:
		h, err := row.DecodeHeader(v)
		if err != nil {
			return nil, false, tableError(s, err)
		}
		if h.Seq != seq {
			return nil, false, nil
		}
		return r.decode(key, v)
	case !errors.Is(err, kv.ErrNotFound):
		return nil, false, tableError(s, err)
	}
	if !it.filesRead {
		it.filesRead = true
		files, err := r.t.e.tier.PartitionFiles(ctx, s.Table.Table, r.t.owner, r.snap)
		if err != nil {
			return nil, false, err
		}
		r.files = files
	}
	cr, missing, found, err := tier.Lookup(ctx, r.files, s.Schema, r.wanted, local)
	if err != nil {
		return nil, false, apierror.Wrap(apierror.SQLExecutionError, err, fmt.Sprintf("cold data of %s is unreadable", s.Meta.TableID))
	}
	if !found || cr.Seq != seq {
		return nil, false, nil
	}
	out, visible := r.decodeCold(&cr, missing)
	return out, visible, nil
}

func (it *indexIter) Close(ctx *sql.Context) error {
	it.cur = nil
	return it.r.Close(ctx)
}
