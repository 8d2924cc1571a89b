package kv

import (
	"bytes"
	"encoding/binary"
)

// Reading backwards through a memtable is slow: RocksDB's skiplist has no
// back links, so every Prev is a search from the head (O(log n) key
// comparisons, each a likely cache miss), while Next follows a pointer.
// In a 10,000-entry memtable a Prev costs about ten Nexts. The newest
// entries of a prefix, the typical backward read (the newest messages of
// a conversation), are exactly the ones still in the memtable.
//
// Backward therefore reads a prefix range backwards in windows read
// forwards: a window is [S, E), E the start of the window read before it
// (the end of the range first), S a key chosen below E so that the window
// holds about the entries wanted. Windows are contiguous and disjoint and
// the last one starts at the prefix itself, so the entries yielded are
// exactly those of the range, in descending order, whatever S is chosen:
// the choice only decides the cost. S is chosen by treating the first 8
// bytes after the prefix as a number and the entries as spread evenly
// between the first and the last one; a window that turns out to hold too
// many entries is abandoned and a narrower one chosen from the density it
// saw. When keys cannot be told apart by those 8 bytes, the read falls
// back to stepping backwards.
//
// Finding the first and the last entry costs two seeks, as many as the
// window itself, and a prefix is usually read again and again (the same
// conversation's newest messages). A read therefore leaves a hint in its
// family (backwardHints): the numbers of the prefix's newest entry and of
// the one as many entries below as a window aims at, and how many numbers
// there are per entry. The next read of the prefix starts with a window
// from the hinted number to the end of the range, so that entries written
// since are in it, and learns the first entry's number only if it has to
// read below that window. A hint that is stale (entries written or
// deleted since, the prefix emptied) or wrong only costs: a window that
// overflows is abandoned for the first and last entries as without a
// hint, one that holds too few is followed by windows below, and either
// way the windows are contiguous from the end of the range to its start.

// backwardMinWindow is the least entry count a window aims at.
const backwardMinWindow = 16

// Backward yields the entries of a prefix range in descending key order.
// Key and Value are views valid until the next call of Next or Close.
// Close must always be called.
type Backward struct {
	cf     *ColumnFamily
	snap   *Snapshot
	it     *Iterator
	prefix []byte
	want   int
	// noHints: the read is of the part of a prefix below a kept window
	// (see nextKept); it neither uses nor leaves a hint.
	noHints bool
	closed  bool

	// kept is the family's window the read yields (backcache.go),
	// keptPos the entry it is at; below it, below reads the rest of the
	// prefix. Without kept, rec is the window this read leaves, when
	// it may (recFull: it stopped recording, so is not complete).
	kept    *backwardWindow
	keptPos int
	below   *Backward
	rec     *backwardWindow
	recFull bool

	// aim is how many entries a first window aims at: a few more than
	// wanted, so that an uneven spread seldom makes it fall short.
	// markAt is the entry, counted from the newest, a hint marks: a
	// window from there holds exactly the entries wanted and two more
	// while the prefix does not change, and every entry read costs.
	aim, markAt int
	err         error

	started bool
	done    bool
	// rev: stepping backwards with the iterator (the fallback);
	// revStarted once it is positioned.
	rev, revStarted bool
	// end is the exclusive end of the part not read yet (nil: the end of
	// the range); xe its number (the last entry's, first).
	end []byte
	xe  uint64
	// width is the span of numbers the next window covers.
	width uint64

	// lo is the number of the range's first entry once loKnown: a window
	// starting below it is the last one.
	lo      uint64
	loKnown bool

	// The current window's entries, ascending, in scratch; pos is the one
	// being yielded (they are yielded from the last down).
	scratch *backwardScratch
	pos     int

	// What the windows read say about the prefix, for the hint left at
	// Close: top is the newest entry's number, count the entries of the
	// windows read, floor the start number of the lowest of them.
	// mark is the number of the marked-th newest entry, the markAt-th
	// once that many are read. whole: the windows read all of the prefix, and
	// it fits in one.
	top, floor, mark uint64
	count, marked    int
	whole            bool
}

// backwardScratch holds a window's entries; Backwards recycle them
// through their DB (DB.backs), as a query reads one or two windows and
// the buffers are larger than everything else it allocates for them.
//
// A window whose entries all came in one batch of the iterator is not
// copied: its spans locate them in the iterator's own buffer (view),
// which the iterator keeps until its next positioning call (the next
// window, or the first entry looked up) or Close. Only a window that
// runs past a batch is copied into buf, before the step that would
// refill the iterator's buffer.
type backwardScratch struct {
	buf  []byte
	ents []span
	view []byte
}

// data is the buffer the spans of ents locate entries in.
func (s *backwardScratch) data() []byte {
	if s.view != nil {
		return s.view
	}
	return s.buf
}

// own copies the entries of ents out of src, the iterator's buffer, into
// buf and makes their spans locate them there. In src a key is followed
// by its value.
func (s *backwardScratch) own(src []byte) {
	for j, e := range s.ents {
		off := len(s.buf)
		s.buf = append(s.buf, src[e.key:e.val+e.vlen]...)
		s.ents[j] = span{key: off, klen: e.klen, val: off + e.klen, vlen: e.vlen}
	}
}

// NewBackward opens a backward read of the keys of cf that start with
// prefix (not empty), as of snap (nil: the latest state). want is how
// many entries the caller expects to take (0: unknown); it sizes the
// windows.
func (cf *ColumnFamily) NewBackward(prefix []byte, snap *Snapshot, want int) (*Backward, error) {
	want = max(want, backwardMinWindow)
	record := false
	var slot *markSlot
	if snap != nil && len(prefix) <= backwardHintMaxPrefix {
		var w *backwardWindow
		if w, record = cf.windows.get(cf, prefix, snap.lo, &cf.db.windowBytes); w != nil {
			// What an iterator would hold, for as long as the read.
			if err := snap.hold(cf); err != nil {
				return nil, err
			}
			return &Backward{cf: cf, snap: snap, prefix: append([]byte(nil), prefix...), want: want, kept: w, keptPos: -1}, nil
		}
		// Asked on every read no window served, recording or not, so
		// that a length whose windows go stale on every write to the
		// family (because it has no slot) counts for one.
		slot = cf.markPrefixes(len(prefix))
	}
	b, err := cf.newBackward(prefix, PrefixEnd(prefix), snap, want, false)
	if err != nil {
		return nil, err
	}
	if record {
		// Sized for index entries of about 64 bytes, so that recording
		// seldom grows it.
		n := min(want+2, backwardWindowMaxEntries)
		w := &backwardWindow{lo: snap.lo, slot: slot, bucket: prefixBucket(prefix)}
		if w.holds(cf, snap.lo) {
			w.buf, w.ents = make([]byte, 0, min(64*n, backwardWindowMaxBytes)), make([]span, 0, n)
			b.rec = w
		}
	}
	return b, nil
}

// newBackward opens a backward read of [prefix, upper).
func (cf *ColumnFamily) newBackward(prefix, upper []byte, snap *Snapshot, want int, noHints bool) (*Backward, error) {
	it, err := cf.NewIter(IterOptions{LowerBound: prefix, UpperBound: upper, Snapshot: snap})
	if err != nil {
		return nil, err
	}
	return &Backward{cf: cf, snap: snap, it: it, prefix: append([]byte(nil), prefix...), want: want, aim: want*5/4 + 2,
		markAt: want + 2, noHints: noHints}, nil
}

// nextKept moves to the kept window's next entry, and past its last to
// a read of the entries below it (unless it is all of the prefix).
func (b *Backward) nextKept() bool {
	if b.below == nil {
		w := b.kept
		if b.keptPos+1 < len(w.ents) {
			b.keptPos++
			return true
		}
		if w.complete || b.err != nil {
			return false
		}
		upper := PrefixEnd(b.prefix)
		if len(w.ents) > 0 {
			upper = w.key(len(w.ents) - 1)
		}
		below, err := b.cf.newBackward(b.prefix, upper, b.snap, b.want, true)
		if err != nil {
			b.err = err
			return false
		}
		b.below = below
	}
	return b.below.Next()
}

// Next moves to the next entry, descending.
func (b *Backward) Next() bool {
	if b.kept != nil {
		return b.nextKept()
	}
	if !b.next() {
		return false
	}
	if b.rec != nil && !b.recFull && !b.rec.add(b.Key(), b.Value()) {
		b.recFull = true
	}
	return true
}

// numberKey is the key of the prefix followed by x's 8 bytes: where the
// numbers of x and above start (the prefix itself for 0).
func (b *Backward) numberKey(x uint64) []byte {
	if x == 0 {
		return b.prefix
	}
	return binary.BigEndian.AppendUint64(append(make([]byte, 0, len(b.prefix)+8), b.prefix...), x)
}

// suffixNumber is the number of key's first 8 bytes after the prefix
// (zero-padded).
func (b *Backward) suffixNumber(key []byte) uint64 {
	var x [8]byte
	copy(x[:], key[len(b.prefix):])
	return binary.BigEndian.Uint64(x[:])
}

// next is Next reading the family.
func (b *Backward) next() bool {
	switch {
	case b.done:
		return false
	case b.rev:
		return b.step()
	case b.pos > 0:
		b.pos--
		return true
	}
	if !b.started {
		b.started = true
		switch hinted := b.hinted(); {
		case b.err != nil:
			return b.finish()
		case hinted && len(b.scratch.ents) > 0:
			b.pos = len(b.scratch.ents) - 1
			return true
		case !hinted:
			// Only the keys of the last and the first entries are
			// wanted here: a read-ahead of one (the default batch would
			// step the iterator back 8 times from the last entry, a
			// skiplist search each).
			b.it.first = 1
			if !b.it.Last() {
				return b.finish()
			}
			last := b.suffixNumber(b.it.Key())
			if !b.it.First() {
				return b.finish()
			}
			first := b.suffixNumber(b.it.Key())
			if first >= last {
				// One entry, or entries the numbers do not tell apart.
				b.rev = true
				b.it.first = min(b.want, fillMaxEntries)
				return b.step()
			}
			// No count yet: the first window is an eighth of the span
			// from the first entry to the last; what it holds sizes the
			// next.
			b.xe, b.width = last, (last-first)/8+1
			b.lo, b.loKnown = first, true
		}
	}
	for b.end == nil || !bytes.Equal(b.end, b.prefix) {
		if !b.loKnown {
			// Below the hinted window: where the range starts bounds
			// the windows still to read.
			b.loKnown = true
			b.it.first = 1
			if !b.it.First() || bytes.Compare(b.it.Key(), b.end) >= 0 {
				b.whole = b.count <= 2*b.want
				return b.finish()
			}
			b.lo = b.suffixNumber(b.it.Key())
		}
		b.window()
		switch {
		case b.err != nil:
			return b.finish()
		case b.rev:
			return b.step()
		case len(b.scratch.ents) > 0:
			b.pos = len(b.scratch.ents) - 1
			return true
		}
	}
	return b.finish()
}

// hinted reads the first window from the family's hint for the prefix,
// if it has one, to the end of the range: from where the marked entry
// was, or from the newest less the numbers of the entries aimed at.
// It reports false when there is no hint or the window overflowed (then
// nothing is read yet).
func (b *Backward) hinted() bool {
	if b.noHints {
		return false
	}
	h, ok := b.it.cf.hints.get(b.prefix)
	if !ok {
		return false
	}
	// below is x less the numbers of n entries (0 at the least).
	below := func(x uint64, n int) uint64 {
		if h.perEntry > x/uint64(n) {
			return 0
		}
		return x - h.perEntry*uint64(n)
	}
	var xs uint64
	switch {
	case h.whole:
	case h.marked >= b.want && h.marked <= b.aim+b.want/2:
		// Enough, and not so many that entries written since would
		// overflow the window.
		xs = h.mark
	case h.marked > 0 && h.marked < b.want:
		xs = below(h.mark, b.aim-h.marked)
	default:
		xs = below(h.top, b.aim)
	}
	start := b.numberKey(xs)
	if b.read(start) || b.err != nil {
		return false
	}
	ents := b.scratch.ents
	// The window covered its start up to its newest entry (as far as
	// the hint's newest number when it is empty).
	top := h.top
	if len(ents) > 0 {
		top = b.suffixNumber(b.keyAt(len(ents) - 1))
	}
	b.accept(start, xs, max(top, xs)-xs+1)
	return true
}

// accept takes the window [start, end) of numbers [xs, xs+span) just
// read: end moves down to its start and the next window is as wide as
// its entries say holds those wanted, within a factor of 8 of it (four
// times as wide after an empty one).
func (b *Backward) accept(start []byte, xs, span uint64) {
	b.end, b.xe = start, xs
	scale := 4.0
	if n := len(b.scratch.ents); n > 0 {
		scale = min(max(float64(b.want)*1.25/float64(n), 1.0/8), 8)
		if b.count == 0 {
			b.top = b.suffixNumber(b.keyAt(n - 1))
		}
		if b.count < b.markAt {
			b.mark, b.marked = b.suffixNumber(b.keyAt(max(n-(b.markAt-b.count), 0))), min(b.count+n, b.markAt)
		}
		b.count += n
	}
	if b.count > 0 {
		// The entries counted are in [floor, top].
		b.floor = xs
		if b.loKnown && xs < b.lo {
			b.floor = b.lo
		}
	}
	if w := float64(span) * scale; w < float64(b.xe) {
		b.width = max(uint64(w), 1)
	} else {
		b.width = b.xe
	}
	if b.loKnown && xs < b.lo {
		// The first entry's key is above start (its number is), so
		// nothing is below.
		b.end = b.prefix
	}
	// All of the prefix read, and few entries: the next read may as well
	// take all of it in one window.
	b.whole = bytes.Equal(b.end, b.prefix) && b.count <= 2*b.want
}

func (b *Backward) finish() bool {
	if b.err == nil {
		b.err = b.it.Error()
	}
	b.done = true
	return false
}

// window reads the next window below end into the scratch entries and
// moves end down to its start (accept), or falls back to stepping
// (b.rev). A window holding too many entries is abandoned for one half as
// wide; an abandoned window sizes the next by the entries it read before
// it was abandoned. No window starts further below the first entry than
// one number: that one is the last.
func (b *Backward) window() {
	for {
		var xs uint64
		if b.width < b.xe {
			xs = b.xe - b.width
		}
		if b.lo > 0 && xs < b.lo-1 {
			xs = b.lo - 1
		}
		start := b.numberKey(xs)
		overflow := b.read(start)
		if b.err != nil {
			return
		}
		if !overflow {
			b.accept(start, xs, b.xe-xs)
			return
		}
		// Too many entries: as wide as the density of those read says
		// holds the entries wanted, and at most half as wide (so that
		// narrowing ends). One that cannot be narrower means the numbers
		// do not separate the keys: step backwards.
		half := (b.xe - xs) / 2
		ents := b.scratch.ents
		seen := b.suffixNumber(b.keyAt(len(ents)-1)) - xs + 1
		wanted := uint64(float64(seen) * float64(b.want) * 1.25 / float64(len(ents)))
		b.width = min(max(wanted, 1), half)
		if half == 0 {
			b.rev, b.scratch.ents, b.pos = true, ents[:0], 0
			b.it.first = min(b.want, fillMaxEntries)
			return
		}
	}
}

// read copies the entries of [start, end) into the scratch entries,
// giving up (overflow) once there are more than a window may hold.
func (b *Backward) read(start []byte) (overflow bool) {
	most := 2*b.want + backwardMinWindow
	if b.scratch == nil {
		b.scratch = b.it.cf.db.backwardScratch()
	}
	s := b.scratch
	if cap(s.ents) < most {
		s.ents = make([]span, 0, most)
	}
	s.buf, s.ents, s.view = s.buf[:0], s.ents[:0], nil
	it := b.it
	it.first = min(b.aim, fillMaxEntries)
	// viewing: the entries so far are spans of the iterator's current
	// batch (see backwardScratch).
	viewing := true
	for ok := it.SeekGE(start); ok; ok = it.Next() {
		k := it.Key()
		if b.end != nil && bytes.Compare(k, b.end) >= 0 {
			break
		}
		if len(s.ents) == most {
			overflow = true
			break
		}
		if !viewing {
			v := it.Value()
			off := len(s.buf)
			s.buf = append(append(s.buf, k...), v...)
			s.ents = append(s.ents, span{key: off, klen: len(k), val: off + len(k), vlen: len(v)})
			continue
		}
		s.ents = append(s.ents, it.ents[it.pos])
		if it.pos+1 == len(it.ents) && !it.drained {
			// The next step refills the iterator's buffer.
			s.own(it.buf)
			viewing = false
		}
	}
	if viewing {
		s.view = it.buf
	}
	if !overflow {
		b.err = it.Error()
	}
	return overflow
}

func (b *Backward) keyAt(i int) []byte {
	s := b.scratch
	e := s.ents[i]
	return s.data()[e.key : e.key+e.klen : e.key+e.klen]
}

// step moves one entry backwards in the fallback, starting below end.
func (b *Backward) step() bool {
	var ok bool
	if !b.revStarted {
		b.revStarted = true
		if b.end == nil {
			ok = b.it.Last()
		} else if ok = b.it.SeekLE(b.end); ok && bytes.Equal(b.it.Key(), b.end) {
			ok = b.it.Prev()
		}
	} else {
		ok = b.it.Prev()
	}
	if !ok {
		return b.finish()
	}
	return true
}

// Key is the current key (a view).
func (b *Backward) Key() []byte {
	switch {
	case b.below != nil:
		return b.below.Key()
	case b.kept != nil:
		return b.kept.key(b.keptPos)
	}
	if b.rev {
		return b.it.Key()
	}
	return b.keyAt(b.pos)
}

// Value is the current value (a view).
func (b *Backward) Value() []byte {
	switch {
	case b.below != nil:
		return b.below.Value()
	case b.kept != nil:
		return b.kept.value(b.keptPos)
	}
	if b.rev {
		return b.it.Value()
	}
	s := b.scratch
	e := s.ents[b.pos]
	return s.data()[e.val : e.val+e.vlen : e.val+e.vlen]
}

// Error reports an I/O or corruption error that ended the read early.
func (b *Backward) Error() error {
	switch {
	case b.err != nil:
		return b.err
	case b.below != nil:
		return b.below.Error()
	case b.kept != nil:
		return nil
	}
	return b.it.Error()
}

// Close releases the read, leaving what its windows saw of the prefix as
// the family's hint for it. It is safe to call more than once.
func (b *Backward) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	if b.kept != nil {
		var err error
		if b.below != nil {
			err = b.below.Close()
		}
		b.snap.unhold(b.cf)
		return err
	}
	if w := b.rec; w != nil && b.it.Error() == nil && b.err == nil {
		// What this read yielded is the prefix's newest entries (all of
		// them if it reached the start), kept for the next read while
		// the family does not change.
		w.complete = b.done && !b.recFull
		if (len(w.ents) > 0 || w.complete) && w.holds(b.cf, w.lo) {
			b.cf.db.keepWindow(b.cf, b.prefix, w)
		}
	}
	b.rec = nil
	switch {
	case b.noHints:
	case b.count > 0:
		h := backwardHint{top: b.top, perEntry: max((b.top-b.floor)/uint64(b.count), 1), whole: b.whole}
		if b.marked > 0 {
			h.mark, h.marked = b.mark, b.marked
		}
		b.it.cf.hints.put(b.prefix, h)
	case b.started:
		// Nothing read in windows: the prefix is empty, or its keys are
		// not told apart by their numbers.
		b.it.cf.hints.forget(b.prefix)
	}
	b.count, b.started = 0, false
	if b.scratch != nil {
		// The view is the iterator's buffer, which its Close recycles
		// on its own.
		b.scratch.view = nil
		b.it.cf.db.putBackwardScratch(b.scratch)
		b.scratch = nil
	}
	return b.it.Close()
}
