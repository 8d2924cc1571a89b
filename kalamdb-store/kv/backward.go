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

// backwardMinWindow is the least entry count a window aims at.
const backwardMinWindow = 16

// Backward yields the entries of a prefix range in descending key order.
// Key and Value are views valid until the next call of Next or Close.
// Close must always be called.
type Backward struct {
	it     *Iterator
	prefix []byte
	want   int
	err    error

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

	// The current window's entries, ascending, in buf; pos is the one
	// being yielded (they are yielded from the last down).
	buf  []byte
	ents []span
	pos  int
}

// NewBackward opens a backward read of the keys of cf that start with
// prefix (not empty), as of snap (nil: the latest state). want is how
// many entries the caller expects to take (0: unknown); it sizes the
// windows.
func (cf *ColumnFamily) NewBackward(prefix []byte, snap *Snapshot, want int) (*Backward, error) {
	it, err := cf.NewIter(IterOptions{LowerBound: prefix, UpperBound: PrefixEnd(prefix), Snapshot: snap})
	if err != nil {
		return nil, err
	}
	return &Backward{it: it, prefix: append([]byte(nil), prefix...), want: max(want, backwardMinWindow)}, nil
}

// suffixNumber is the number of key's first 8 bytes after the prefix
// (zero-padded).
func (b *Backward) suffixNumber(key []byte) uint64 {
	var x [8]byte
	copy(x[:], key[len(b.prefix):])
	return binary.BigEndian.Uint64(x[:])
}

// Next moves to the next entry, descending.
func (b *Backward) Next() bool {
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
		// Only the keys of the last and the first entries are wanted
		// here: a read-ahead of one (the default batch would step the
		// iterator back 8 times from the last entry, a skiplist search
		// each).
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
		// No count yet: the first window is an eighth of the span from
		// the first entry to the last; what it holds sizes the next.
		b.xe, b.width = last, (last-first)/8+1
	}
	for b.end == nil || !bytes.Equal(b.end, b.prefix) {
		b.window()
		switch {
		case b.err != nil:
			return b.finish()
		case b.rev:
			return b.step()
		case len(b.ents) > 0:
			b.pos = len(b.ents) - 1
			return true
		}
	}
	return b.finish()
}

func (b *Backward) finish() bool {
	if b.err == nil {
		b.err = b.it.Error()
	}
	b.done = true
	return false
}

// window reads the next window below end into ents and moves end down to
// its start, or falls back to stepping (b.rev). A window holding too many
// entries is abandoned for one half as wide; the next window is as wide
// as the last one's entries say holds those wanted, within a factor of 8
// of it (four times as wide after an empty one). An abandoned window says
// the same by the entries it read before it was abandoned.
func (b *Backward) window() {
	for {
		var xs uint64
		if b.width < b.xe {
			xs = b.xe - b.width
		}
		start := b.prefix
		if xs > 0 {
			start = binary.BigEndian.AppendUint64(append([]byte(nil), b.prefix...), xs)
		}
		overflow := b.read(start)
		if b.err != nil {
			return
		}
		if !overflow {
			span := b.xe - xs
			b.end, b.xe = start, xs
			scale := 4.0
			if n := len(b.ents); n > 0 {
				scale = min(max(float64(b.want)*1.25/float64(n), 1.0/8), 8)
			}
			if w := float64(span) * scale; w < float64(b.xe) {
				b.width = max(uint64(w), 1)
			} else {
				b.width = b.xe
			}
			return
		}
		// Too many entries: as wide as the density of those read says
		// holds the entries wanted, and at most half as wide (so that
		// narrowing ends). One that cannot be narrower means the numbers
		// do not separate the keys: step backwards.
		half := (b.xe - xs) / 2
		seen := b.suffixNumber(b.keyAt(len(b.ents)-1)) - xs + 1
		wanted := uint64(float64(seen) * float64(b.want) * 1.25 / float64(len(b.ents)))
		b.width = min(max(wanted, 1), half)
		if half == 0 {
			b.rev, b.ents, b.pos = true, b.ents[:0], 0
			b.it.first = min(b.want, fillMaxEntries)
			return
		}
	}
}

// read copies the entries of [start, end) into ents, giving up (overflow)
// once there are more than a window may hold.
func (b *Backward) read(start []byte) (overflow bool) {
	most := 2*b.want + backwardMinWindow
	if b.buf == nil {
		// Sized for index entries of ~64 bytes, so that a window's
		// entries are usually copied without growing it.
		b.buf, b.ents = make([]byte, 0, 80*b.want), make([]span, 0, most)
	}
	b.buf, b.ents = b.buf[:0], b.ents[:0]
	b.it.first = min(b.want*5/4+2, fillMaxEntries)
	for ok := b.it.SeekGE(start); ok; ok = b.it.Next() {
		k := b.it.Key()
		if b.end != nil && bytes.Compare(k, b.end) >= 0 {
			break
		}
		if len(b.ents) == most {
			return true
		}
		v := b.it.Value()
		off := len(b.buf)
		b.buf = append(append(b.buf, k...), v...)
		b.ents = append(b.ents, span{key: off, klen: len(k), val: off + len(k), vlen: len(v)})
	}
	b.err = b.it.Error()
	return false
}

func (b *Backward) keyAt(i int) []byte {
	e := b.ents[i]
	return b.buf[e.key : e.key+e.klen : e.key+e.klen]
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
	if b.rev {
		return b.it.Key()
	}
	return b.keyAt(b.pos)
}

// Value is the current value (a view).
func (b *Backward) Value() []byte {
	if b.rev {
		return b.it.Value()
	}
	e := b.ents[b.pos]
	return b.buf[e.val : e.val+e.vlen : e.val+e.vlen]
}

// Error reports an I/O or corruption error that ended the read early.
func (b *Backward) Error() error {
	if b.err != nil {
		return b.err
	}
	return b.it.Error()
}

// Close releases the read. It is safe to call more than once.
func (b *Backward) Close() error { return b.it.Close() }
