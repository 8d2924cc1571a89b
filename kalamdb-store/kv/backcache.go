package kv

import (
	"sync"
	"sync/atomic"
)

// A backward read of a prefix's newest entries (Backward) costs an
// iterator over the memtable and every L0 file, a seek in each, and a
// step through a merging heap per entry: ~25 µs in a server whose index
// entries sit in an L0 file, although the same prefix is read again and
// again (the newest messages of a conversation) and usually nothing in
// the family changed since. A read therefore leaves the entries it
// yielded in its family (backwardWindows), and the next read of the
// prefix yields them without touching RocksDB, if the family provably
// holds the same entries in both reads' snapshots.
//
// The proof uses RocksDB's sequence numbers, which every write takes
// (in order, and a snapshot sees exactly the writes numbered up to its
// own number). DB.Write counts each family's writes in flight and, after
// a write, raises the family's lastSeq to the DB's latest number, which
// is at least the write's own. A snapshot notes lo, the latest number
// just before it was taken, so its own number is at least lo. A window
// read at a snapshot with lo = c serves a reader whose snapshot has lo =
// s when, checked after both snapshots were taken, the family has no
// write in flight and lastSeq <= min(c, s): every write to the family
// that had started by then has finished, with a number at most min(c, s),
// so both snapshots see it; every write that starts later takes a number
// above the latest one at the check, which is above both snapshots'. The
// two snapshots thus see the same writes to the family. The numbers are
// upper bounds (a write to another family in between raises lastSeq
// too), so the check can only fail where it need not, never the other
// way round.

// Bounds of the windows kept: per window (a read that yields more keeps
// its newest entries up to here, as an incomplete window) and per DB.
// A window of the 50 newest index entries of a conversation is ~3 KB; a
// family keeps at most backwardHintEntries of them, and the DB at most
// backwardWindowBudget bytes in all (past it, reads are not kept until
// windows are replaced, forgotten or their family dropped).
const (
	backwardWindowMaxBytes   = 16 << 10
	backwardWindowMaxEntries = 256
	backwardWindowBudget     = 8 << 20
)

// backwardWindow is the newest entries of a prefix as of a snapshot
// whose lo was lo, newest first, in buf. complete: they are all of the
// prefix's entries. It is never modified once kept: readers hand out
// views of it.
type backwardWindow struct {
	lo       uint64
	buf      []byte
	ents     []span
	complete bool
	// used: a read came from it. Set once (a load after that, so that
	// concurrent readers do not pass its cache line back and forth).
	used atomic.Bool
}

func (w *backwardWindow) key(i int) []byte {
	e := w.ents[i]
	return w.buf[e.key : e.key+e.klen : e.key+e.klen]
}

func (w *backwardWindow) value(i int) []byte {
	e := w.ents[i]
	return w.buf[e.val : e.val+e.vlen : e.val+e.vlen]
}

// add appends an entry unless the window is full; it reports whether
// it did.
func (w *backwardWindow) add(k, v []byte) bool {
	if len(w.ents) == backwardWindowMaxEntries || len(w.buf)+len(k)+len(v) > backwardWindowMaxBytes {
		return false
	}
	off := len(w.buf)
	w.buf = append(append(w.buf, k...), v...)
	w.ents = append(w.ents, span{key: off, klen: len(k), val: off + len(k), vlen: len(v)})
	return true
}

func (w *backwardWindow) bytes() int64 { return int64(cap(w.buf) + cap(w.ents)*32) }

// backwardWindows are a family's windows, by prefix. The zero value is
// empty and ready.
type backwardWindows struct {
	mu sync.Mutex
	m  map[string]*backwardKept
}

// backwardKept is a prefix's window, and how many reads in a row found
// it stale without its having served a read (wasted).
type backwardKept struct {
	w      *backwardWindow
	wasted int
}

// get returns the prefix's window if it holds for a reader whose
// snapshot's lo is lo, and otherwise whether the read should record a
// new one. Recording costs (a copy of the entries, ~5 KB for 50 index
// entries, and a few µs): where the family is written between every two
// reads of a prefix (many users inserting into one table), its windows
// would be recorded and never used, so a prefix whose windows went
// stale unused records only on the 1st, 2nd, 4th, 8th and 16th such
// read, then every 16th, until a window of it serves a read again (so
// that once the writes stop, a window is back within 16 reads).
func (ws *backwardWindows) get(cf *ColumnFamily, prefix []byte, lo uint64) (w *backwardWindow, record bool) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	k := ws.m[string(prefix)]
	switch {
	case k == nil:
		return nil, true
	case cf.unchangedSince(min(k.w.lo, lo)):
		if !k.w.used.Load() {
			k.w.used.Store(true)
		}
		return k.w, false
	case k.w.used.Load():
		k.wasted = 0
		return nil, true
	}
	k.wasted++
	n := k.wasted
	return nil, n&(n-1) == 0 && n <= 16 || n%16 == 0
}

// put keeps w as the prefix's window, replacing the one it had, within
// the DB's budget (used).
func (ws *backwardWindows) put(prefix []byte, w *backwardWindow, used *atomic.Int64) {
	if len(prefix) > backwardHintMaxPrefix {
		return
	}
	n := w.bytes()
	ws.mu.Lock()
	defer ws.mu.Unlock()
	old := ws.m[string(prefix)]
	if old == nil && len(ws.m) >= backwardHintEntries {
		for k, o := range ws.m {
			delete(ws.m, k) // map order is random: an arbitrary one
			used.Add(-o.w.bytes())
			break
		}
	}
	if old != nil {
		n -= old.w.bytes()
	}
	if used.Add(n) > backwardWindowBudget {
		used.Add(-n)
		return
	}
	if old != nil {
		old.w = w
		return
	}
	if ws.m == nil {
		ws.m = make(map[string]*backwardKept)
	}
	ws.m[string(prefix)] = &backwardKept{w: w}
}

// clear forgets every window, giving their bytes back to the budget.
func (ws *backwardWindows) clear(used *atomic.Int64) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for k, o := range ws.m {
		used.Add(-o.w.bytes())
		delete(ws.m, k)
	}
}

// unchangedSince reports whether every write to the family so far has
// finished with a sequence number at most lo (see above).
func (cf *ColumnFamily) unchangedSince(lo uint64) bool {
	return cf.inflight.Load() == 0 && cf.lastSeq.Load() <= lo
}

// writing and written bracket a write to the family: seq is the DB's
// latest sequence number after it.
func (cf *ColumnFamily) writing() { cf.inflight.Add(1) }

func (cf *ColumnFamily) written(seq uint64) {
	for {
		old := cf.lastSeq.Load()
		if old >= seq || cf.lastSeq.CompareAndSwap(old, seq) {
			break
		}
	}
	cf.inflight.Add(-1)
}
