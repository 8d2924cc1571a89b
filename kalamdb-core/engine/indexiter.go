package engine

import (
	"bytes"
	"errors"
	"io"
	"slices"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tables"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tier"
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

	cur *kv.Iterator
	// back reads the current range instead of cur when it is read
	// backwards and is a prefix range (kv.Backward).
	back      *kv.Backward
	started   bool
	filesRead bool

	// Rows are fetched in batches, one MultiGet per batch: batch is the
	// size of the next one (growing, like the store's read-ahead, so a
	// LIMIT read by the planner fetches little more than it returns).
	batch int
	// The buffers of a batch, reused from batch to batch and recycled
	// through the engine at Close (nil after it).
	*indexBatch
	// pages keeps the cold pages the row lookups read: a conversation's
	// rows share them.
	pages cold.PageMemo
	// arena, when set, is where the rows' values come from: the fast
	// path's result arena (resultArena).
	arena *resultArena
}

// indexBatch holds the buffers of an index read's batches: the entries'
// row keys (views of keyBuf, ends their ends in it) and _seqs, what the
// row cache or RocksDB gave for them, and the rows fetched (ready, next
// the first not returned yet).
type indexBatch struct {
	ready   []sql.Row
	next    int
	keys    [][]byte
	seqs    []int64
	ends    []int
	keyBuf  []byte
	fetched []fetched
}

// indexBatchKeep bounds the rows of an indexBatch kept for reuse.
const indexBatchKeep = indexBatchMax

// newIndexBatch returns recycled batch buffers, or empty ones.
func (e *Engine) newIndexBatch() *indexBatch {
	if b, ok := e.indexBatches.Get().(*indexBatch); ok {
		return b
	}
	return &indexBatch{}
}

// recycle gives the buffers back, dropping what they point to (rows,
// values of the row cache) so that they keep nothing alive.
func (e *Engine) recycleIndexBatch(b *indexBatch) {
	if cap(b.seqs) > indexBatchKeep {
		return
	}
	clear(b.ready[:cap(b.ready)])
	clear(b.keys[:cap(b.keys)])
	clear(b.fetched[:cap(b.fetched)])
	b.next = 0
	b.ready, b.keys, b.seqs, b.ends, b.keyBuf, b.fetched = b.ready[:0], b.keys[:0], b.seqs[:0], b.ends[:0], b.keyBuf[:0], b.fetched[:0]
	e.indexBatches.Put(b)
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
	// With a LIMIT the first batch is the whole of it: entries are exact,
	// so nearly always that many rows come back, and one MultiGet of all
	// of them costs less than three growing ones (and reads no entry
	// ahead that is not used).
	batch := indexBatchFirst
	if limit > 0 {
		batch = min(limit, indexBatchMax)
	}
	return &indexIter{r: r, si: si, ranges: ranges, reverse: reverse, limit: limit, batch: batch, indexBatch: t.e.newIndexBatch()}, nil
}

func (it *indexIter) Next(ctx *sql.Context) (sql.Row, error) {
	for it.next == len(it.ready) {
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
		if !more && it.next == len(it.ready) {
			return nil, io.EOF
		}
	}
	r := it.ready[it.next]
	it.ready[it.next] = nil // the caller's now
	it.next++
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
	// The row keys (partition prefix + local key) are laid end to end in
	// keyBuf and sliced once it stops growing.
	it.keys, it.seqs, it.ends, it.keyBuf = it.keys[:0], it.seqs[:0], it.ends[:0], it.keyBuf[:0]
	if cap(it.seqs) < n {
		it.keys, it.seqs, it.ends = make([][]byte, 0, n), make([]int64, 0, n), make([]int, 0, n)
	}
	it.ready, it.next = it.ready[:0], 0
	if cap(it.ready) == 0 {
		it.ready = make([]sql.Row, 0, n)
	}
	more = true
	for len(it.seqs) < n {
		local, seq, ok, err := it.nextEntry(n - len(it.seqs))
		if err != nil {
			return false, err
		}
		if !ok {
			more = false
			break
		}
		if cap(it.keyBuf) == 0 {
			it.keyBuf = make([]byte, 0, n*(len(r.t.prefix)+len(local)+8))
		}
		it.keyBuf = append(append(it.keyBuf, r.t.prefix...), local...)
		it.ends = append(it.ends, len(it.keyBuf))
		it.seqs = append(it.seqs, seq)
	}
	start := 0
	for _, end := range it.ends {
		it.keys = append(it.keys, it.keyBuf[start:end:end])
		start = end
	}
	r.t.e.indexRows.Add(int64(len(it.keys)))
	fetched, err := it.cachedOrHot()
	if err != nil {
		return false, tableError(r.t.shape, err)
	}
	// The batch's rows share one allocation: the result arena's when
	// there is one, else a slab the rows own (what a skipped entry leaves
	// of it is dropped with them).
	vals := len(it.keys) * r.rowWidth()
	if it.arena != nil {
		r.slab = it.arena.take(vals)
	}
	if r.slab == nil {
		r.slab = make([]any, vals)
	}
	defer func() { r.slab = nil }()
	for i, key := range it.keys {
		var row sql.Row
		var found bool
		f := &fetched[i]
		if f.proj != nil {
			row, found = it.fromProjected(key, it.seqs[i], f.proj)
		} else if row, found, err = it.fetch(ctx, key, f, it.seqs[i]); err != nil {
			return false, err
		}
		if found {
			it.ready = append(it.ready, row)
		}
	}
	return more, nil
}

// fromProjected is the row of a cached version's projected values.
func (it *indexIter) fromProjected(key []byte, seq int64, p *projectedRow) (sql.Row, bool) {
	vals := p.values
	if p.missing != nil {
		vals = slices.Clone(vals) // decodeCold fills the missing ones in
	}
	cr := cold.Row{Key: key[len(it.r.t.prefix):], Seq: seq, Deleted: p.deleted, Values: vals}
	return it.r.decodeCold(&cr, p.missing)
}

// fetched is what the row cache or RocksDB gave for one entry: the
// values projected for the statement's columns (proj), or else the hot
// value (nil: the key has none) and its cache entry (nil: not cached).
type fetched struct {
	value   []byte
	version *rowVersion
	proj    *projectedRow
}

// cachedOrHot finds the version it.seqs names of each of it.keys in the
// row cache and reads the others' hot values with one MultiGet at the
// snapshot, caching those of the named _seq. Every value is the caller's
// to alias and never written.
func (it *indexIter) cachedOrHot() ([]fetched, error) {
	r := it.r
	cf := r.t.shape.CF
	c := r.t.e.rows
	out := slices.Grow(it.fetched[:0], len(it.keys))[:len(it.keys)]
	clear(out)
	it.fetched = out
	if c == nil {
		vals, err := r.snap.MultiGet(cf, it.keys)
		for i, v := range vals {
			out[i].value = v
		}
		return out, err
	}
	var missed [][]byte
	var at []int
	for i, key := range it.keys {
		f := &out[i]
		if f.version, f.proj = c.peek(cf, key, it.seqs[i], r.t.shape, r.wanted); f.version != nil {
			f.value = f.version.value
			continue
		}
		missed, at = append(missed, key), append(at, i)
	}
	c.count(len(it.keys)-len(missed), len(missed))
	if len(missed) == 0 {
		return out, nil
	}
	got, err := r.snap.MultiGet(cf, missed)
	if err != nil {
		return nil, err
	}
	for j, v := range got {
		f := &out[at[j]]
		f.value = v
		// Only the version the entry names is kept: anything else is
		// skipped by fetch (and a row found cold has no hot value).
		if v != nil {
			if h, err := row.DecodeHeader(v); err == nil && h.Seq == it.seqs[at[j]] {
				if f.version = c.put(cf, it.keys[at[j]], h.Seq, v); f.version != nil {
					f.value = f.version.value
				}
			}
		}
	}
	return out, nil
}

// nextEntry returns the next entry's row key (partition-local, a view
// valid until the next call) and _seq, moving on to the next range when
// one ends. want is how many entries the caller still wants, the read
// ahead of a range it opens.
func (it *indexIter) nextEntry(want int) ([]byte, int64, bool, error) {
	for {
		if it.cur == nil && it.back == nil {
			if len(it.ranges) == 0 {
				return nil, 0, false, nil
			}
			rg := it.ranges[0]
			it.ranges = it.ranges[1:]
			if it.reverse && len(rg[0]) > 0 && bytes.Equal(rg[1], kv.PrefixEnd(rg[0])) {
				back, err := it.r.t.shape.IndexCF.NewBackward(rg[0], it.r.snap, want)
				if err != nil {
					return nil, 0, false, tableError(it.r.t.shape, err)
				}
				it.back, it.r.back = back, back
				continue
			}
			kit, err := it.r.t.shape.IndexCF.NewIter(kv.IterOptions{LowerBound: rg[0], UpperBound: rg[1], Snapshot: it.r.snap,
				ReadAhead: want})
			if err != nil {
				return nil, 0, false, tableError(it.r.t.shape, err)
			}
			it.cur, it.r.kit, it.started = kit, kit, false
		}
		if it.back != nil {
			if !it.back.Next() {
				err := errors.Join(it.back.Error(), it.back.Close())
				it.back, it.r.back = nil, nil
				if err != nil {
					return nil, 0, false, tableError(it.r.t.shape, err)
				}
				continue
			}
			return it.entry(it.back.Key(), it.back.Value())
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
		return it.entry(it.cur.Key(), it.cur.Value())
	}
}

// entry reads an index entry's row key (partition-local) and _seq.
func (it *indexIter) entry(key, value []byte) ([]byte, int64, bool, error) {
	local, err := it.si.ix.EntryLocalKey(key, it.r.prefixLen)
	if err != nil {
		return nil, 0, false, errIndexEntry(it.si, err)
	}
	seq, err := tables.EntrySeq(value)
	if err != nil {
		return nil, 0, false, errIndexEntry(it.si, err)
	}
	return local, seq, true, nil
}

// fetch reads the row of an entry from its hot version (f.value, nil when
// the key has none) or else from the cold files, if that version is the
// entry's and the session may see it; a cached version keeps the values
// projected from it.
func (it *indexIter) fetch(ctx *sql.Context, key []byte, f *fetched, seq int64) (sql.Row, bool, error) {
	r := it.r
	s := r.t.shape
	if value := f.value; value != nil {
		h, err := row.DecodeHeader(value)
		if err != nil {
			return nil, false, tableError(s, err)
		}
		if h.Seq != seq {
			return nil, false, nil
		}
		// value is this statement's copy (kv.Snapshot.MultiGet) or the
		// row cache's, never written: the row's strings may point into it.
		vals, h, visible, err := r.project(key, value, true)
		if !visible || err != nil {
			return nil, false, err
		}
		if f.version != nil && r.hotFilter == nil && r.expireBefore == 0 {
			r.t.e.rows.keepProjected(f.version, s, r.wanted, vals, h.Deleted)
		}
		return r.assemble(vals, h.Seq, h.Deleted), true, nil
	}
	if !it.filesRead {
		it.filesRead = true
		files, err := r.t.e.tier.PartitionFiles(ctx, s.Table.Table, r.t.owner, r.snap)
		if err != nil {
			return nil, false, err
		}
		r.files = files
	}
	cr, missing, found, err := tier.LookupWith(ctx, r.files, s.Schema, r.wanted, key[len(r.t.prefix):], &it.pages)
	if err != nil {
		return nil, false, coldReadError(s.Meta.TableID, err)
	}
	if !found || cr.Seq != seq {
		return nil, false, nil
	}
	if c := r.t.e.rows; c != nil {
		// Before decodeCold fills the missing columns in.
		c.putCold(s.CF, key, seq, s, r.wanted, cr.Values, missing, cr.Deleted)
	}
	out, visible := r.decodeCold(&cr, missing)
	return out, visible, nil
}

func (it *indexIter) Close(ctx *sql.Context) error {
	it.cur, it.back = nil, nil
	if b := it.indexBatch; b != nil {
		it.indexBatch = nil
		it.r.t.e.recycleIndexBatch(b)
	}
	return it.r.Close(ctx)
}
