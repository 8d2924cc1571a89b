package kv

import (
	"slices"
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
// is at least the write's own. A snapshot notes lo, the highest such
// number of the writes that had returned just before it was taken (each
// was published then), so its own number is at least lo. A window
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
//
// Per family, a write to any prefix would make every window stale: where
// many users write one table while they read it, no window would serve.
// So the numbers are also kept per prefix, as far as it takes: a family
// tracks up to backwardMarkedLens prefix lengths n, one slot (markSlot)
// each, and a write raises, for each key it writes and each tracked
// length, the number of the bucket (of backwardBuckets, shared by the
// lengths) the key's first n bytes hash to. A window of a tracked length
// names its slot and is checked against the slot's bucket instead of
// lastSeq.
//
// The slots go to the lengths whose windows serve reads: a slot scores
// the reads its windows served; a read of an untracked length that no
// window served counts for its length (a few lengths at a time); when
// that count passes the least score, that slot is evicted and the length
// gets a new one (credited with the count). Every backwardDecayEvery
// such reads, scores and counts are halved, so a length read long ago
// gives way (scores are capped for the same reason). So reads of one-off
// lengths do not keep a length read again and again out for good, and a
// fifth length read about as often as the tracked ones does not take
// turns with them.
//
// Invariants (all loads and stores are atomic, sequentially consistent):
//
//  1. marked is replaced, never changed in place, under markMu; a slot
//     is published in one marked and stays in every later one until it is
//     evicted, and then never comes back (a length tracked again gets a
//     new slot). A slot's state goes from marking to ready (3) to
//     evicted, and is evicted before the marks without it are published.
//     The buckets array is the family's for good.
//  2. A write loads marked (m) after counting itself in flight, and when
//     it is done raises, for each slot of m, its keys' buckets, then, if
//     marked is no longer m (a length was tracked or evicted while it
//     ran), the floor of each slot of marked that m lacks, then stops
//     counting itself.
//  3. A slot's floor is raised to the latest sequence number after the
//     slot is published, before it is ready; windows trust the slot only
//     when ready, and only for a lo at least its floor.
//  4. A range deletion raises coarse.
//  5. A window of slot s and bucket b holds for a reader at lo when,
//     loaded in this order: s is ready (so not evicted: marked holds it);
//     no write is in flight; coarse, s's floor and b's number are all at
//     most lo; s is still ready.
//
// Why 5 is sound: both snapshots were taken before the check. Take a write
// W to the window's prefix P. If W started after the in-flight count was
// loaded as 0, its number is above both snapshots'. Otherwise W finished
// before that load, so its raises (2) were made before the later loads.
// If W's m held s, it raised b. If not, W loaded m before s was published
// or after s was evicted (1). If W's last load of marked held s, W raised
// s's floor. If not, that load came before s was published, and then W's
// number is at most s's floor (3), or after s was evicted, and then the
// last load of the check sees s evicted. In every case a write that one
// snapshot may not see fails the check. A change of slots thus costs the
// windows of the other lengths nothing, even with writes in flight (they
// marked those lengths' buckets): a window of an evicted slot fails the
// first test for good (stale, so its bytes are given back), and a length
// tracked anew trusts only writes after its floor.

// Bounds of the windows kept: per window (a read that yields more keeps
// its newest entries up to here, as an incomplete window) and per DB.
// A window of the 50 newest index entries of a conversation is ~3 KB; a
// family keeps at most backwardHintEntries of them, and the DB at most
// backwardWindowBudget bytes in all (past it, reads are not kept until
// windows are replaced, forgotten, go stale or serve no read for a while,
// or their family is dropped: see keepWindow).
const (
	backwardWindowMaxBytes   = 16 << 10
	backwardWindowMaxEntries = 256
	backwardWindowBudget     = 8 << 20
	backwardIdleSweepEvery   = 16
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
	// slot: its prefix's length was tracked (slot) when it was read, and
	// it is checked with its prefix's bucket (bucket) rather than with all
	// of the family's writes (nil).
	slot   *markSlot
	bucket int
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

// stale reports whether the window can never serve a read again: a write
// it depends on finished with a number above its own lo, and the numbers
// only grow, so no reader's check can pass. (A window that does not hold
// for an older reader, or while a write is in flight, may still serve
// later ones.)
func (w *backwardWindow) stale(cf *ColumnFamily) bool {
	if s := w.slot; s != nil {
		// An evicted slot never comes back; the numbers only grow. (A
		// window's slot was ready when the window was read.)
		return s.state.Load() == slotEvicted || cf.coarse.Load() > w.lo || s.floor.Load() > w.lo ||
			s.buckets[w.bucket].Load() > w.lo
	}
	return cf.lastSeq.Load() > w.lo
}

// holds reports whether the family holds what the window does for a
// reader whose snapshot's lo is lo.
func (w *backwardWindow) holds(cf *ColumnFamily, lo uint64) bool {
	lo = min(lo, w.lo)
	if w.slot != nil {
		return cf.prefixUnchangedSince(w.slot, w.bucket, lo)
	}
	return cf.unchangedSince(lo)
}

// backwardWindows are a family's windows, by prefix. The zero value is
// empty and ready.
type backwardWindows struct {
	mu sync.Mutex
	m  map[string]*backwardKept
}

// backwardKept is a prefix's window (nil once it went stale: its bytes
// are given back at once, so stale windows never hold the DB's budget),
// whether the last one served a read (used), how many reads in a row
// found it stale without its having served a read (wasted), and whether
// it served no read since the last idle sweep (idle; see keepWindow).
type backwardKept struct {
	w      *backwardWindow
	used   bool
	wasted int
	idle   bool
}

// bytes is what k's window holds of the DB's budget.
func (k *backwardKept) bytes() int64 {
	if k.w == nil {
		return 0
	}
	return k.w.bytes()
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
func (ws *backwardWindows) get(cf *ColumnFamily, prefix []byte, lo uint64, budget *atomic.Int64) (w *backwardWindow, record bool) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	k := ws.m[string(prefix)]
	if k == nil {
		return nil, true
	}
	if k.w != nil {
		if k.w.holds(cf, lo) {
			if !k.w.used.Load() {
				k.w.used.Store(true)
			}
			if s := k.w.slot; s != nil {
				s.served()
			}
			k.idle = false
			return k.w, false
		}
		if k.w.stale(cf) {
			// Readers holding it keep it alive; the budget no longer
			// counts it.
			budget.Add(-k.w.bytes())
			k.used, k.w = k.w.used.Load(), nil
		} else if k.w.used.Load() {
			k.wasted = 0
			return nil, true
		}
	}
	if k.used {
		k.used, k.wasted = false, 0
		return nil, true
	}
	k.wasted++
	n := k.wasted
	return nil, n&(n-1) == 0 && n <= 16 || n%16 == 0
}

// put keeps w as the prefix's window, replacing the one it had, within
// the DB's budget (used). It reports false when the budget is spent.
func (ws *backwardWindows) put(prefix []byte, w *backwardWindow, used *atomic.Int64) bool {
	if len(prefix) > backwardHintMaxPrefix {
		return true
	}
	n := w.bytes()
	ws.mu.Lock()
	defer ws.mu.Unlock()
	old := ws.m[string(prefix)]
	if old == nil && len(ws.m) >= backwardHintEntries {
		for k, o := range ws.m {
			delete(ws.m, k) // map order is random: an arbitrary one
			used.Add(-o.bytes())
			break
		}
	}
	if old != nil {
		n -= old.bytes()
	}
	if used.Add(n) > backwardWindowBudget {
		used.Add(-n)
		return false
	}
	if old != nil {
		old.w, old.idle = w, false
		return true
	}
	if ws.m == nil {
		ws.m = make(map[string]*backwardKept)
	}
	ws.m[string(prefix)] = &backwardKept{w: w}
	return true
}

// sweep gives back the bytes of the windows that can never serve a
// read again (stale), which a read drops only when it reads their prefix:
// windows of conversations read once and then written would otherwise
// hold the DB's budget for good. An idle sweep also gives back those
// that served no read since the last idle sweep, and marks the others:
// windows of conversations read once and never again would otherwise.
func (ws *backwardWindows) sweep(cf *ColumnFamily, used *atomic.Int64, idle bool) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for _, k := range ws.m {
		switch {
		case k.w == nil:
		case k.w.stale(cf) || idle && k.idle:
			used.Add(-k.w.bytes())
			k.used, k.w = k.w.used.Load(), nil
		case idle:
			k.idle = true
		}
	}
}

// keepWindow keeps w as cf's window of prefix. When the DB's budget is
// spent, every family's stale windows are dropped and it is tried again,
// unless nothing was written since the last such sweep (then no window
// went stale since): a budget full of windows that still serve is not
// swept over and over. Every backwardIdleSweepEvery windows the budget
// refuses, the sweep is an idle one (see sweep): a window survives it
// when it served a read since the one before, so a full budget gives
// way to the prefixes read now within 2*backwardIdleSweepEvery refusals.
func (d *DB) keepWindow(cf *ColumnFamily, prefix []byte, w *backwardWindow) {
	if cf.windows.put(prefix, w, &d.windowBytes) {
		return
	}
	idle := d.refusedWindows.Add(1)%backwardIdleSweepEvery == 0
	seq, last := d.writtenSeq.Load(), d.sweptAt.Load()
	if !idle && (seq == last || !d.sweptAt.CompareAndSwap(last, seq)) {
		return
	}
	d.mu.Lock()
	fams := make([]*ColumnFamily, 0, len(d.families))
	for _, f := range d.families {
		fams = append(fams, f)
	}
	d.mu.Unlock()
	for _, f := range fams {
		f.windows.sweep(f, &d.windowBytes, idle)
	}
	cf.windows.put(prefix, w, &d.windowBytes)
}

// clear forgets every window, giving their bytes back to the budget.
func (ws *backwardWindows) clear(used *atomic.Int64) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for k, o := range ws.m {
		used.Add(-o.bytes())
		delete(ws.m, k)
	}
}

// unchangedSince reports whether every write to the family so far has
// finished with a sequence number at most lo (see above).
func (cf *ColumnFamily) unchangedSince(lo uint64) bool {
	return cf.inflight.Load() == 0 && cf.lastSeq.Load() <= lo
}

// prefixUnchangedSince reports whether every write to the family so far
// that wrote a prefix of slot s's length hashing to bucket has finished
// with a sequence number at most lo (invariant 5 above; the order of the
// loads matters).
func (cf *ColumnFamily) prefixUnchangedSince(s *markSlot, bucket int, lo uint64) bool {
	return s.state.Load() == slotReady && cf.inflight.Load() == 0 && cf.coarse.Load() <= lo && s.floor.Load() <= lo &&
		s.buckets[bucket].Load() <= lo && s.state.Load() == slotReady
}

// Bounds of the per-prefix numbers: the lengths a family tracks, and the
// buckets (8 KiB per family that tracks any). Two prefixes in one bucket
// only make each other's windows stale. A slot's score stops at
// backwardScoreCap, and scores and the counts of untracked lengths are
// halved every backwardDecayEvery reads of untracked lengths: a length
// whose windows served many reads long ago then gives way to one read
// now within about backwardDecayEvery*log2(backwardScoreCap) reads.
const (
	backwardMarkedLens = 4
	backwardBuckets    = 1024
	backwardScoreCap   = 1024
	backwardDecayEvery = 16
)

// markSlot is a prefix length n a family tracks, from the time it was
// published in the family's marks until it is evicted. A length evicted
// and tracked again gets a new slot, so a window that names its slot can
// tell whether its length was tracked without a break since.
type markSlot struct {
	n int
	// buckets are its family's (prefixMarks).
	buckets *[backwardBuckets]atomic.Uint64
	// state is slotMarking, slotReady or slotEvicted, in that order.
	state atomic.Uint32
	// floor is at least the sequence number of every write that finished
	// without marking the slot's buckets (invariants 2 and 3) once it is
	// ready.
	floor atomic.Uint64
	// score is how useful the slot is: reads its windows served, plus the
	// untracked reads that won it the slot; halved now and then.
	score atomic.Int64
}

// The states of a markSlot.
const (
	slotMarking uint32 = iota
	slotReady
	slotEvicted
)

// served counts a read a window of the slot served. Past the cap it only
// loads, so that readers do not pass the cache line back and forth.
func (s *markSlot) served() {
	if s.score.Load() < backwardScoreCap {
		s.score.Add(1)
	}
}

// prefixMarks are the slots a family's writes mark and the buckets they
// raise. A family replaces its prefixMarks to change a slot (never
// changing one in place); the buckets stay the same.
type prefixMarks struct {
	slots   []*markSlot
	buckets *[backwardBuckets]atomic.Uint64
}

// slot is the slot of length n, or nil.
func (m *prefixMarks) slot(n int) *markSlot {
	if m == nil {
		return nil
	}
	for _, s := range m.slots {
		if s.n == n {
			return s
		}
	}
	return nil
}

// lengthDemand counts the reads of untracked lengths that no window
// served, for a few lengths at a time (the most read ones stay). It is
// guarded by its family's markMu.
type lengthDemand struct {
	lens    [backwardMarkedLens]struct{ n, reads int } // n > 0 where reads > 0
	refused int
	// evicted counts the slots given to other lengths (for tests).
	evicted int
}

// want counts a read of length n that found no slot, and returns the
// index of the slot in slots to give n, and n's count, when n was read
// more than twice as often as the least useful slot served.
func (d *lengthDemand) want(n int, slots []*markSlot) (victim, reads int, ok bool) {
	d.refused++
	if d.refused%backwardDecayEvery == 0 {
		for _, s := range slots {
			// A read served meanwhile may be lost: scores are estimates.
			s.score.Store(s.score.Load() / 2)
		}
		for i := range d.lens {
			d.lens[i].reads /= 2
		}
	}
	c := 0
	for i := range d.lens {
		if d.lens[i].n == n {
			c = i
			break
		}
		if d.lens[i].reads < d.lens[c].reads {
			c = i
		}
	}
	if d.lens[c].n != n {
		d.lens[c].n, d.lens[c].reads = n, 0
	}
	d.lens[c].reads++
	reads = d.lens[c].reads
	for i, s := range slots {
		if s.score.Load() < slots[victim].score.Load() {
			victim = i
		}
	}
	if int64(reads) <= 2*slots[victim].score.Load() {
		// Twice, so that a length read about as often as a tracked one
		// is served does not take turns with it.
		return 0, 0, false
	}
	d.lens[c].n, d.lens[c].reads = 0, 0
	d.evicted++
	return victim, reads, true
}

// prefixBucket is the bucket of a prefix (FNV-1a).
func prefixBucket(p []byte) int {
	h := uint64(14695981039346656037)
	for _, c := range p {
		h = (h ^ uint64(c)) * 1099511628211
	}
	return int(h % backwardBuckets)
}

// markPrefixes is told of a read of a prefix of n bytes that no window
// served. It returns the slot that makes the family's writes mark such
// prefixes, giving n one when the family tracks fewer lengths than it
// may or n is in more demand than a tracked length (which is evicted),
// and nil when windows of such prefixes must be checked against all of
// the family's writes.
func (cf *ColumnFamily) markPrefixes(n int) *markSlot {
	if n == 0 {
		// Every key starts with the empty prefix: its one bucket would be
		// raised by every write, as lastSeq is.
		return nil
	}
	if s := cf.marked.Load().slot(n); s != nil && s.state.Load() == slotReady {
		return s
	}
	cf.markMu.Lock()
	defer cf.markMu.Unlock()
	old := cf.marked.Load()
	if s := old.slot(n); s != nil {
		return s // ready: it was made so before the lock was let go
	}
	var m *prefixMarks
	s := &markSlot{n: n}
	switch {
	case old == nil:
		m = &prefixMarks{slots: []*markSlot{s}, buckets: new([backwardBuckets]atomic.Uint64)}
	case len(old.slots) < backwardMarkedLens:
		m = &prefixMarks{slots: append(slices.Clone(old.slots), s), buckets: old.buckets}
	default:
		victim, reads, ok := cf.demand.want(n, old.slots)
		if !ok {
			return nil
		}
		s.score.Store(int64(reads))
		m = &prefixMarks{slots: slices.Clone(old.slots), buckets: old.buckets}
		// Before the marks without it are published (invariant 1).
		m.slots[victim].state.Store(slotEvicted)
		m.slots[victim] = s
	}
	s.buckets = m.buckets
	cf.marked.Store(m)
	// Writes that end from here on and began before raise the floor
	// too (written); those that ended before are below this number.
	raise(&s.floor, cf.db.db.GetLatestSequenceNumber())
	s.state.Store(slotReady)
	return s
}

// writing counts a write to the family in flight; it returns the marks
// the write's keys set.
func (cf *ColumnFamily) writing() *prefixMarks {
	cf.inflight.Add(1)
	return cf.marked.Load()
}

// written ends a write to the family of ops (of the whole batch, whose
// other families' ops it skips) with marks m, seq being the DB's latest
// sequence number after it.
func (cf *ColumnFamily) written(ops []batchOp, m *prefixMarks, seq uint64) {
	raise(&cf.lastSeq, seq)
	if m != nil {
		for i := range ops {
			op := &ops[i]
			switch {
			case op.cf != cf:
			case op.kind == opDeleteRange:
				raise(&cf.coarse, seq)
			default:
				for _, s := range m.slots {
					if len(op.key) >= s.n {
						raise(&m.buckets[prefixBucket(op.key[:s.n])], seq)
					}
				}
			}
		}
	}
	if cur := cf.marked.Load(); cur != m {
		// A length was tracked (or evicted) while the write ran: its
		// keys did not mark the slots it lacks. The slots it has, it
		// marked: their windows stay.
		for _, s := range cur.slots {
			if m == nil || !slices.Contains(m.slots, s) {
				raise(&s.floor, seq)
			}
		}
	}
	cf.inflight.Add(-1)
}

// raise makes x at least seq.
func raise(x *atomic.Uint64, seq uint64) {
	for {
		old := x.Load()
		if old >= seq || x.CompareAndSwap(old, seq) {
			return
		}
	}
}
