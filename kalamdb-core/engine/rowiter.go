package engine

import (
	"bytes"
	"errors"
	"io"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tier"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// Reads merge the tiers: for every key, the version with the highest _seq
// wins. A hot version, when there is one, is always the newest (a flush
// removes a hot version only if it is the one it wrote), and among files a
// later one holds newer versions. Rows whose winning version is _deleted
// are hidden like hot ones.

// rowIter yields the session-visible rows of a key range, merging the
// hot rows (with the transaction's pending writes over them) and the cold
// files: for each key the version with the highest _seq wins.
type rowIter struct {
	t           *dataTable
	wanted      []int
	reverse     bool
	showDeleted bool
	// expireBefore hides STREAM events older than their TTL (ms).
	expireBefore int64
	prefixLen    int

	snap *kv.Snapshot
	kit  *kv.Iterator
	// back is an index read's backward reader (indexIter), closed here
	// like kit.
	back     *kv.Backward
	started  bool
	needStep bool
	point    bool
	pointKey []byte
	pending  []*txn.Write
	pi       int
	buf      []any
	proj     *row.Projection

	files []*tier.File
	cold  []*tier.Cursor

	// The hot side's next key/value, peeked so it can be compared with the
	// cold files' next keys.
	hotPeeked      bool
	hotOK          bool
	hotKey, hotVal []byte
	// hotRead counts the committed hot versions the scan read
	// (Engine.HotRowsRead).
	hotRead int64
	// hotFilter drops hot rows that fail the scan filters before they
	// are decoded (nil: none).
	hotFilter *hotFilter
	// slab, when not empty, is where assemble takes its rows from: an
	// index read assembles a batch's rows in one allocation instead of
	// one each (rowSlab). Each row is a full slice of its own part, so
	// rows never share an element and an append to one copies it.
	slab []any
}

// rowWidth is the length of the rows assemble builds.
func (it *rowIter) rowWidth() int {
	if it.t.projected == nil {
		return len(it.t.shape.sch)
	}
	return len(it.t.projected)
}

// newRow is an engine row of n values, from the slab when it has room.
func (it *rowIter) newRow(n int) sql.Row {
	if len(it.slab) < n {
		return make(sql.Row, n)
	}
	out := it.slab[:n:n]
	it.slab = it.slab[n:]
	return out
}

func (it *rowIter) Next(ctx *sql.Context) (sql.Row, error) {
	if it.point {
		return it.nextPoint(ctx)
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !it.hotPeeked {
			k, v, ok, err := it.advance()
			if err != nil {
				return nil, err
			}
			it.hotKey, it.hotVal, it.hotOK, it.hotPeeked = k, v, ok, true
		}
		// The next key: the smallest (largest in reverse) of all sources.
		// It is a view (of the hot iterator's buffer, or of a cold row,
		// which owns its memory) that stays valid until the next call.
		var best []byte
		if it.hotOK {
			best = it.hotKey[it.prefixLen:]
		}
		for _, c := range it.cold {
			r, err := c.Peek()
			if err != nil {
				return nil, tableError(it.t.shape, err)
			}
			if r != nil && (best == nil || it.before(r.Key, best)) {
				best = r.Key
			}
		}
		if best == nil {
			return nil, io.EOF
		}
		// Every source at that key moves on; the highest _seq wins.
		var win cold.Row
		var winMissing []bool
		found := false
		for _, c := range it.cold {
			r, _ := c.Peek()
			if r != nil && bytes.Equal(r.Key, best) {
				if !found || r.Seq > win.Seq {
					win, winMissing, found = *r, c.Missing(), true
				}
				c.Next()
			}
		}
		if it.hotOK && bytes.Equal(it.hotKey[it.prefixLen:], best) {
			it.hotPeeked = false
			h, err := row.DecodeHeader(it.hotVal)
			if err != nil {
				return nil, tableError(it.t.shape, err)
			}
			if !found || h.Seq >= win.Seq {
				r, visible, err := it.decode(it.hotKey, it.hotVal)
				if err != nil || visible {
					return r, err
				}
				continue
			}
		}
		if win.Filtered {
			continue // the newest version fails the statement's filter
		}
		r, visible := it.decodeCold(&win, winMissing)
		if visible {
			return r, nil
		}
	}
}

// before reports whether local key a comes before b in scan order.
func (it *rowIter) before(a, b []byte) bool {
	c := bytes.Compare(a, b)
	if it.reverse {
		return c > 0
	}
	return c < 0
}

// nextPoint answers a primary-key lookup: the transaction's own version,
// else the hot one, else the newest cold one.
func (it *rowIter) nextPoint(ctx *sql.Context) (sql.Row, error) {
	for it.pointKey != nil {
		k := it.pointKey
		it.pointKey = nil
		if len(it.pending) > 0 {
			r, visible, err := it.decode(it.pending[0].Key, it.pending[0].Value)
			if err != nil || visible {
				return r, err
			}
			break
		}
		v, err := it.snap.Get(it.t.shape.CF, k)
		if err == nil {
			r, visible, err := it.decode(k, v)
			if err != nil || visible {
				return r, err
			}
			break
		}
		if !errors.Is(err, kv.ErrNotFound) {
			return nil, tableError(it.t.shape, err)
		}
		if it.t.shape.IsStream() {
			break
		}
		files, err := it.t.e.tier.PartitionFiles(ctx, it.t.shape.Table.Table, it.t.owner, it.snap)
		if err != nil {
			return nil, err
		}
		it.files = files
		cr, missing, found, err := tier.Lookup(ctx, it.files, it.t.shape.Schema, it.wanted, k[it.prefixLen:])
		if err != nil {
			return nil, coldReadError(it.t.shape.Meta.TableID, err)
		}
		if found {
			if r, visible := it.decodeCold(&cr, missing); visible {
				return r, nil
			}
		}
	}
	return nil, io.EOF
}

// advance returns the next key/value of the merged hot range (committed
// rows and the transaction's pending writes). A pending write shadows the
// committed version of the same key. The key and value are valid until
// the next call.
func (it *rowIter) advance() (key, value []byte, ok bool, err error) {
	if it.kit == nil {
		return nil, nil, false, nil
	}
	if !it.started {
		it.started = true
		if it.reverse {
			it.kit.Last()
		} else {
			it.kit.First()
		}
	}
	// The iterator moves only now, when the previous key and value (views
	// into RocksDB memory) have been used.
	if it.needStep {
		it.needStep = false
		it.step()
	}
	hotValid := it.kit.Valid()
	var pend *txn.Write
	if it.pi < len(it.pending) {
		pend = it.pending[it.pi]
	}
	if !hotValid && pend == nil {
		if err := it.kit.Error(); err != nil {
			return nil, nil, false, tableError(it.t.shape, err)
		}
		return nil, nil, false, nil
	}
	cmp := 0
	switch {
	case !hotValid:
		cmp = 1 // only pending left
	case pend == nil:
		cmp = -1
	default:
		cmp = bytes.Compare(it.kit.Key(), pend.Key)
		if it.reverse {
			cmp = -cmp
		}
	}
	if cmp < 0 {
		it.needStep = true
		it.hotRead++
		return it.kit.Key(), it.kit.Value(), true, nil
	}
	if cmp == 0 {
		it.needStep = true
		it.hotRead++
	}
	it.pi++
	return pend.Key, pend.Value, true, nil
}

func (it *rowIter) step() {
	if it.reverse {
		it.kit.Prev()
	} else {
		it.kit.Next()
	}
}

// decode turns a stored version into an engine row, reporting whether the
// session may see it.
func (it *rowIter) decode(key, value []byte) (sql.Row, bool, error) {
	return it.decodeValue(key, value, false)
}

// decodeValue is decode; with shared, the row's TEXT values are views of
// value, which the caller owns and never writes again
// (row.Projection.DecodeShared).
func (it *rowIter) decodeValue(key, value []byte, shared bool) (sql.Row, bool, error) {
	vals, h, visible, err := it.project(key, value, shared)
	if !visible || err != nil {
		return nil, false, err
	}
	return it.assemble(vals, h.Seq, h.Deleted), true, nil
}

// project decodes a stored version's wanted user columns, missing ones
// filled in, into the iterator's buffer (valid until the next call),
// reporting whether the session may see the row.
func (it *rowIter) project(key, value []byte, shared bool) ([]any, row.Header, bool, error) {
	s := it.t.shape
	h, err := row.DecodeHeader(value)
	if err != nil {
		return nil, h, false, tableError(s, err)
	}
	if h.Deleted && !it.showDeleted {
		return nil, h, false, nil
	}
	if it.hotFilter != nil {
		fails, err := it.hotFilter.fails(s, h.SchemaVersion, value)
		if err != nil {
			return nil, h, false, tableError(s, err)
		}
		if fails {
			return nil, h, false, nil
		}
	}
	if it.expireBefore != 0 {
		if ms, _, err := keyenc.DecodeStreamLocal(key[it.prefixLen:]); err == nil && ms < it.expireBefore {
			return nil, h, false, nil
		}
	}
	// Rows of a range are nearly always of one schema version: keep the
	// last projection instead of a cache lookup per row.
	if it.proj == nil || it.proj.Version() != h.SchemaVersion {
		proj, err := s.Projection(h.SchemaVersion, it.wanted)
		if err != nil {
			return nil, h, false, err
		}
		it.proj = proj
	}
	proj := it.proj
	if cap(it.buf) < len(it.wanted) {
		it.buf = make([]any, len(it.wanted))
	}
	vals := it.buf[:len(it.wanted)]
	if shared {
		_, err = proj.DecodeShared(value, vals)
	} else {
		_, err = proj.Decode(value, vals)
	}
	if err != nil {
		return nil, h, false, tableError(s, err)
	}
	if proj.AnyMissing() {
		s.FillMissing(vals, it.wanted, proj.Missing)
	}
	if s.PK < 0 && !s.IsStream() && it.t.sess.tx != nil {
		it.t.sess.tx.RememberIdentity(h.Seq, key)
	}
	return vals, h, true, nil
}

// decodeCold turns a cold row (already projected onto the wanted
// columns) into an engine row, reporting whether the session may see it.
func (it *rowIter) decodeCold(r *cold.Row, missing []bool) (sql.Row, bool) {
	if r.Deleted && !it.showDeleted {
		return nil, false
	}
	s := it.t.shape
	if missing != nil {
		s.FillMissing(r.Values, it.wanted, func(i int) bool { return missing[i] })
	}
	if s.PK < 0 && it.t.sess.tx != nil {
		it.t.sess.tx.RememberIdentity(r.Seq, append(append([]byte(nil), it.t.prefix...), r.Key...))
	}
	return it.assemble(r.Values, r.Seq, r.Deleted), true
}

// assemble builds the engine row from the wanted user column values and
// the system columns, in the table's (or the projection's) column order.
func (it *rowIter) assemble(vals []any, seq int64, deleted bool) sql.Row {
	s := it.t.shape
	if it.t.projected == nil {
		out := it.newRow(len(s.sch))
		copy(out, vals)
		out[s.SeqIndex()] = seq
		if !s.IsStream() {
			out[s.DeletedIndex()] = boolValue(deleted)
		}
		return out
	}
	out := it.newRow(len(it.t.projected))
	vi := 0
	for i, c := range it.t.projected {
		switch {
		case c < s.NUser:
			out[i] = vals[vi]
			vi++
		case c == s.SeqIndex():
			out[i] = seq
		default:
			out[i] = boolValue(deleted)
		}
	}
	return out
}

func (it *rowIter) Close(*sql.Context) error {
	it.t.sess.untrack(it)
	if it.hotRead > 0 {
		it.t.e.hotRowsRead.Add(it.hotRead)
		it.hotRead = 0
	}
	for _, c := range it.cold {
		c.Close()
	}
	it.cold = nil
	for _, f := range it.files {
		f.Release()
	}
	it.files = nil
	var err error
	if it.back != nil {
		err = it.back.Close()
		it.back = nil
	}
	if it.kit != nil {
		err = errors.Join(err, it.kit.Close())
		it.kit = nil
	}
	return err
}
