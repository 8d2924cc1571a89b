package kv

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
// Key and Value return views into RocksDB memory that are valid only until
// the next positioning call or Close; copy them to keep them.
type Iterator struct {
	cf   *ColumnFamily
	snap *Snapshot
	ro   *grocksdb.ReadOptions
	it   *grocksdb.Iterator
	// valid caches the result of the last positioning call: every call
	// into RocksDB is a cgo call, and scans ask Valid once per row.
	valid bool
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
	return &Iterator{cf: cf, snap: o.Snapshot, ro: ro, it: cf.db.db.NewIteratorCF(ro, cf.h)}, nil
}

func (i *Iterator) settle() bool {
	i.valid = i.it.Valid()
	return i.valid
}

// First moves to the first key within the bounds.
func (i *Iterator) First() bool { i.it.SeekToFirst(); return i.settle() }

// Last moves to the last key within the bounds.
func (i *Iterator) Last() bool { i.it.SeekToLast(); return i.settle() }

// SeekGE moves to the first key >= key.
func (i *Iterator) SeekGE(key []byte) bool { i.it.Seek(key); return i.settle() }

// SeekLE moves to the last key <= key.
func (i *Iterator) SeekLE(key []byte) bool { i.it.SeekForPrev(key); return i.settle() }

// Next moves to the next key.
func (i *Iterator) Next() bool { i.it.Next(); return i.settle() }

// Prev moves to the previous key.
func (i *Iterator) Prev() bool { i.it.Prev(); return i.settle() }

// Valid reports whether the iterator is at a key. A new iterator is not
// positioned, so it is not valid until First, Last or a Seek.
func (i *Iterator) Valid() bool { return i.valid }

// Key is the current key (a view; see Iterator).
func (i *Iterator) Key() []byte { return i.it.Key().Data() }

// Value is the current value (a view; see Iterator).
func (i *Iterator) Value() []byte { return i.it.Value().Data() }

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
	i.it, i.ro = nil, nil
	i.cf.release()
	if i.snap != nil {
		i.snap.release()
	}
	return err
}
