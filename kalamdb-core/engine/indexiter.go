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

	// Rows are fetched in batches, one MultiGet per batch: batch is the
	// size of the next one (growing, like the store's read-ahead, so a
	// LIMIT read by the planner fetches little more than it returns),
	// ready the rows fetched and not returned yet.
	batch int
	ready []sql.Row
	keys  [][]byte
	seqs  []int64
}

// Fetch batches: a first small one, doubling up to indexBatchMax.
const (
	indexBatchFirst = 8
	indexBatchMax   = 256
)

// openIndexIter opens the rows of entry ranges of si in the session's
// partition.
func (t *dataTable) openIndexIter(ctx *sql.Context, si *secIndex, ranges [][2][]byte, reverse bool, limit int) (*indexIter, error) {
	snap, err := t.sess.snapshot()
	if err != nil {
		return nil, tableError(t.shape, err)
	}
	r := &rowIter{t: t, wanted: t.wantedUserColumns(), prefixLen: len(t.prefix), showDeleted: t.sess.showDeleted, snap: snap}
	t.sess.track(r)
	return &indexIter{r: r, si: si, ranges: ranges, reverse: reverse, limit: limit, batch: indexBatchFirst}, nil
}

func (it *indexIter) Next(ctx *sql.Context) (sql.Row, error) {
	for len(it.ready) == 0 {
		if it.limit > 0 && it.rows >= it.limit {
			return nil, io.EOF
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		more, err := it.fetchBatch(ctx)
		if err != nil {
			return nil, err
		}
		if !more && len(it.ready) == 0 {
			return nil, io.EOF
		}
	}
	r := it.ready[0]
	it.ready = it.ready[1:]
	it.rows++
	return r, nil
}

// fetchBatch reads the next batch of entries and fetches their rows:
// the hot versions with one MultiGet, then the rows not hot from the
// cold files one by one. more is false once the entries are exhausted.
func (it *indexIter) fetchBatch(ctx *sql.Context) (more bool, err error) {
	n := it.batch
	if it.limit > 0 {
		n = min(n, it.limit-it.rows)
	}
	it.batch = min(2*it.batch, indexBatchMax)
	r := it.r
	it.keys, it.seqs = it.keys[:0], it.seqs[:0]
	more = true
	for len(it.keys) < n {
		local, seq, ok, err := it.nextEntry()
		if err != nil {
			return false, err
		}
		if !ok {
			more = false
			break
		}
		key := make([]byte, 0, len(r.t.prefix)+len(local))
		it.keys, it.seqs = append(it.keys, append(append(key, r.t.prefix...), local...)), append(it.seqs, seq)
	}
	r.t.e.indexRows.Add(int64(len(it.keys)))
	vals, err := r.snap.MultiGet(r.t.shape.CF, it.keys)
	if err != nil {
		return false, tableError(r.t.shape, err)
	}
	for i, key := range it.keys {
		row, found, err := it.fetch(ctx, key, vals[i], it.seqs[i])
		if err != nil {
			return false, err
		}
		if found {
			it.ready = append(it.ready, row)
		}
	}
	return more, nil
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

// fetch reads the row of an entry from its hot version (value, nil when
// the key has none) or else from the cold files, if that version is the
// entry's and the session may see it.
func (it *indexIter) fetch(ctx *sql.Context, key, value []byte, seq int64) (sql.Row, bool, error) {
	r := it.r
	s := r.t.shape
	if value != nil {
		h, err := row.DecodeHeader(value)
		if err != nil {
			return nil, false, tableError(s, err)
		}
		if h.Seq != seq {
			return nil, false, nil
		}
		return r.decode(key, value)
	}
	if !it.filesRead {
		it.filesRead = true
		files, err := r.t.e.tier.PartitionFiles(ctx, s.Table.Table, r.t.owner, r.snap)
		if err != nil {
			return nil, false, err
		}
		r.files = files
	}
	cr, missing, found, err := tier.Lookup(ctx, r.files, s.Schema, r.wanted, key[len(r.t.prefix):])
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
