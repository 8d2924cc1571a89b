package kv

// #include "rocksdb/c.h"
import "C"

import (
	"fmt"

	"github.com/linxGnu/grocksdb"
)

// IterOptions bound an iterator. Bounds are enforced inside RocksDB, which
// lets it skip tombstones past the bound instead of surfacing them.
type IterOptions struct {
	// LowerBound is the inclusive lower bound; nil means the first key.
	LowerBound []byte
	// UpperBound is the exclusive upper bound; nil means past the last key.
	UpperBound []byte
	// Snapshot, when set, makes the iterator read that snapshot.
	Snapshot *Snapshot
	// ReadAhead is how many entries the first batch after a positioning
	// call copies out (0: a few; at most fillMaxEntries). A reader that
	// knows how many entries it wants says so: every entry read ahead
	// and not used costs a step of the RocksDB iterator, which backwards
	// through a memtable is a search from the skiplist's head.
	ReadAhead int
}

// PrefixOptions returns options that bound iteration to keys with prefix.
func PrefixOptions(prefix []byte) IterOptions {
	return IterOptions{LowerBound: prefix, UpperBound: PrefixEnd(prefix)}
}

// PrefixEnd returns the smallest key greater than every key with prefix, or
// nil when there is none (the prefix is empty or all 0xFF bytes).
func PrefixEnd(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] != 0xFF {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// Iterator walks a column family in key order. It holds references on its
// family and DB (and snapshot) until Close, so Close must always be called.
//
// Key and Value return views that are valid only until the next
// positioning call or Close; copy them to keep them.
//
// Rows are read ahead in batches (see fill): the RocksDB iterator is
// usually a batch ahead of the position the Iterator reports, in the
// direction it moves.
type Iterator struct {
	cf   *ColumnFamily
	snap *Snapshot
	ro   *grocksdb.ReadOptions
	it   *grocksdb.Iterator
	raw  *C.rocksdb_iterator_t

	valid bool
	// dir is the direction of the current batch (+1 forward, -1 back).
	dir int
	// buf holds the batch's entries, located by ents; pos is the current
	// one. drained: the RocksDB iterator has nothing past the batch.
	buf     []byte
	ents    []span
	pos     int
	drained bool
	// batch is the entry count of the next fill; next the byte size of
	// the next buffer; first the count of a positioning call's fill.
	batch int
	next  int
	first int
	// seeks counts the positioning calls (what a read costs most).
	seeks int
}

// NewIter opens an iterator over the family. It is not positioned: call
// First, Last or a Seek before reading.
func (cf *ColumnFamily) NewIter(o IterOptions) (*Iterator, error) {
	if o.Snapshot != nil {
		if err := o.Snapshot.acquire(); err != nil {
			return nil, err
		}
	}
	if err := cf.acquire(); err != nil {
		if o.Snapshot != nil {
			o.Snapshot.release()
		}
		return nil, err
	}
	ro := grocksdb.NewDefaultReadOptions()
	if o.LowerBound != nil {
		ro.SetIterateLowerBound(o.LowerBound)
	}
	if o.UpperBound != nil {
		ro.SetIterateUpperBound(o.UpperBound)
	}
	if o.Snapshot != nil {
		ro.SetSnapshot(o.Snapshot.s)
	}
	it := cf.db.db.NewIteratorCF(ro, cf.h)
	first := fillFirstEntries
	if o.ReadAhead > 0 {
		first = min(o.ReadAhead, fillMaxEntries)
	}
	return &Iterator{cf: cf, snap: o.Snapshot, ro: ro, it: it, raw: rawIterator(it), next: fillBufBytes, first: first}, nil
}

// seeked starts a batch in direction dir after the RocksDB iterator was
// positioned.
func (i *Iterator) seeked(dir int) bool {
	i.seeks++
	i.batch = i.first
	return i.fill(dir)
}

// First moves to the first key within the bounds.
func (i *Iterator) First() bool { i.it.SeekToFirst(); return i.seeked(1) }

// Last moves to the last key within the bounds.
func (i *Iterator) Last() bool { i.it.SeekToLast(); return i.seeked(-1) }

// SeekGE moves to the first key >= key.
func (i *Iterator) SeekGE(key []byte) bool { i.it.Seek(key); return i.seeked(1) }

// SeekLE moves to the last key <= key.
func (i *Iterator) SeekLE(key []byte) bool { i.it.SeekForPrev(key); return i.seeked(-1) }

// Next moves to the next key.
func (i *Iterator) Next() bool { return i.step(1) }

// Prev moves to the previous key.
func (i *Iterator) Prev() bool { return i.step(-1) }

// Valid reports whether the iterator is at a key. A new iterator is not
// positioned, so it is not valid until First, Last or a Seek.
func (i *Iterator) Valid() bool { return i.valid }

// Key is the current key (a view; see Iterator).
func (i *Iterator) Key() []byte {
	if !i.valid {
		return nil
	}
	e := i.ents[i.pos]
	return i.buf[e.key : e.key+e.klen : e.key+e.klen]
}

// Value is the current value (a view; see Iterator).
func (i *Iterator) Value() []byte {
	if !i.valid {
		return nil
	}
	e := i.ents[i.pos]
	return i.buf[e.val : e.val+e.vlen : e.val+e.vlen]
}

// Error reports an I/O or corruption error that ended iteration early.
// An iterator that stops being Valid without an error has reached its end.
func (i *Iterator) Error() error {
	if err := i.it.Err(); err != nil {
		return fmt.Errorf("kv: iterate %s: %w", i.cf.name, err)
	}
	return nil
}

// Close releases the iterator. It is safe to call more than once.
func (i *Iterator) Close() error {
	if i.it == nil {
		return nil
	}
	err := i.Error()
	i.it.Close()
	i.ro.Destroy()
	i.it, i.ro, i.raw = nil, nil, nil
	i.releaseBuf()
	if i.ents != nil {
		e := i.ents[:0]
		i.cf.db.spans.Put(&e)
	}
	i.valid, i.ents = false, nil
	i.cf.release()
	if i.snap != nil {
		i.snap.release()
	}
	return err
}
