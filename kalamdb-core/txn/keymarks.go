package txn

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tables"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// Generated keys. A write whose key the id generator issued in its own
// statement (Write.Generated) cannot find a committed version of that key
// unless someone wrote the same key without the generator: every id the
// generator issues is above every id it issued before, in this process and
// after a restart (the _seq lease, seqlease.go). So its commit skips the
// duplicate check (the read of the hot key and the cold lookup) while the
// table is "clean": no key that the generator did not issue to its own
// write has ever been written to it.
//
// The clean state is a record in the transactions' family, written with
// the table's metadata by CREATE TABLE (RecordCreated) and deleted in the
// batch of the first commit that writes a key the generator did not issue
// (an INSERT naming its key, INSERT ... SELECT of named keys, a row the
// engine plans whose key is not the id its statement issued for it), and
// by a restore in its own batch
// (MarkRestored); DROP TABLE deletes it with the table (TableDropped). No
// record is "marked": tables created before the record existed and
// restored tables have their keys read. The record carries the table's
// creation time, so a record of another table of the same name is never
// taken for this one's.
//
// Race freedom: a generated key and an explicit one collide only within a
// partition, and both commits hold its lock while they validate. The
// explicit commit moves the table's state in memory to marked before it
// writes its batch (and it stays marked if the write fails, which costs
// only reads), and a later commit of the partition reads that state under
// the same lock; an earlier one wrote its generated key, which the explicit
// commit's own read then finds. States only move from unknown to clean,
// marked or gone, from clean to marked and from marked to gone, so a state
// loaded from the record while an explicit commit ran elsewhere cannot
// hide its mark.
//
// Durability of the mark: marked says the record may still be on disk
// (the batch deleting it is not written yet, or failed), so every batch
// that marks the table deletes it again; gone says a written batch deleted
// it, and only then do later batches leave the deletion out. A failed
// commit or DROP therefore never leaves the record behind a committed
// explicit key.

// cleanKeysPrefix starts the key of a table's clean-state record in the
// transactions' family; the table id follows.
const cleanKeysPrefix = "keys_generated/"

// Key states of a table incarnation in memory.
const (
	keysUnknown int32 = iota // the record was not read yet
	keysClean                // every key written was issued to its write
	keysMarked               // some key may have been written explicitly; the record may still be on disk
	keysGone                 // marked, and the record's deletion is written
)

// incarnation names one life of a table: its id and creation time.
type incarnation struct {
	id      string
	created int64
}

func incarnationOf(m *systable.TableMeta) incarnation {
	return incarnation{id: m.TableID, created: m.CreatedAt.UnixNano()}
}

// keyMarks holds the tables' key states: the records in the
// transactions' family, and their states in memory.
type keyMarks struct {
	cf     *kv.ColumnFamily
	states sync.Map // incarnation -> *atomic.Int32
}

func cleanKeysKey(tableID string) []byte {
	return append([]byte(cleanKeysPrefix), tableID...)
}

func (k *keyMarks) state(inc incarnation) *atomic.Int32 {
	if s, ok := k.states.Load(inc); ok {
		return s.(*atomic.Int32)
	}
	s, _ := k.states.LoadOrStore(inc, new(atomic.Int32))
	return s.(*atomic.Int32)
}

// clean reports whether no key the generator did not issue to its own
// write was ever written to t. The commit asks with t's partition locked;
// anyone may ask, and a true answer without the lock may be stale, never
// the other way round for the partition the asker then locks.
func (k *keyMarks) clean(t *catalog.Table) (bool, error) {
	s := k.state(incarnationOf(t.Meta))
	switch s.Load() {
	case keysClean:
		return true, nil
	case keysMarked, keysGone:
		return false, nil
	}
	raw, err := k.cf.Get(cleanKeysKey(t.Meta.TableID))
	switch {
	case errors.Is(err, kv.ErrNotFound):
		// No record on disk: nothing is left to delete (only CREATE TABLE
		// writes one, for an incarnation of its own).
		s.CompareAndSwap(keysUnknown, keysGone)
		return false, nil
	case err != nil:
		return false, fmt.Errorf("read key state of %s: %w", t.Meta.TableID, err)
	}
	next := keysMarked
	if len(raw) == 8 && int64(binary.BigEndian.Uint64(raw)) == t.Meta.CreatedAt.UnixNano() {
		next = keysClean
	}
	// A mark made meanwhile wins: states never go back to clean.
	s.CompareAndSwap(keysUnknown, next)
	return s.Load() == keysClean, nil
}

// mark makes b delete t's clean record, unless its deletion is known to
// be written already, and marks t in memory now, before b is written. It
// returns t's state when it added the deletion, for the caller to pass to
// written once b is written: only then is the deletion known to be on
// disk, so that later marks may leave it out. A batch that fails leaves t
// marked with its record on disk, and the next batch marking t deletes it
// again.
func (k *keyMarks) mark(b *kv.Batch, t *systable.TableMeta) *atomic.Int32 {
	s := k.state(incarnationOf(t))
	if s.Load() == keysGone {
		return nil
	}
	b.Delete(k.cf, cleanKeysKey(t.TableID))
	for {
		v := s.Load()
		if v == keysMarked || v == keysGone || s.CompareAndSwap(v, keysMarked) {
			return s
		}
	}
}

// written records that the batches deleting the records of marked, as
// mark returned them, are written.
func written(marked []*atomic.Int32) {
	for _, s := range marked {
		if s != nil {
			s.CompareAndSwap(keysMarked, keysGone)
		}
	}
}

// forget drops t's state from memory once t is dropped and its record's
// deletion written: a table created again has another incarnation, and a
// restored one with this incarnation reads its record again.
func (k *keyMarks) forget(t *systable.TableMeta) {
	k.states.Delete(incarnationOf(t))
}

// RecordCreated adds to b, the batch that creates table t, the record
// that its keys are clean: until a key the generator did not issue is
// written to it, INSERTs of generated keys skip their duplicate check.
func (m *Manager) RecordCreated(b *kv.Batch, t *catalog.Table) {
	var raw [8]byte
	binary.BigEndian.PutUint64(raw[:], uint64(t.Meta.CreatedAt.UnixNano()))
	b.Put(m.marks.cf, cleanKeysKey(t.Meta.TableID), raw[:])
}

// TableDropped adds to b, the batch that drops table t, the deletion of
// its record, which no table would use again (a table created under its
// name has another creation time and writes its own). The caller runs
// dropped once b is written, and only then: it forgets t's state.
func (m *Manager) TableDropped(b *kv.Batch, t *catalog.Table) (dropped func()) {
	m.marks.mark(b, t.Meta)
	return func() { m.marks.forget(t.Meta) }
}

// MarkRestored adds to b, the batch that makes restored tables visible,
// the marks of those tables: their rows' keys were written by a restore,
// not issued by this database's generator, so every INSERT reads its key.
// The caller runs done once b is written, and only then.
func (m *Manager) MarkRestored(b *kv.Batch, restored []*systable.TableMeta) (done func()) {
	marked := make([]*atomic.Int32, len(restored))
	for i, t := range restored {
		marked[i] = m.marks.mark(b, t)
	}
	return func() { written(marked) }
}

// KeysClean reports whether t is clean (see keymarks.go): no key was
// written to it that the generator did not issue to its own write.
func (m *Manager) KeysClean(t *catalog.Table) (bool, error) {
	return m.marks.clean(t)
}

// mustCheck returns the writes whose expectations the commit checks: all
// but the inserts of generated keys into clean tables, which replace no
// committed version. The commit calls it with the partitions locked.
func (m *Manager) mustCheck(writes []*Write) ([]*Write, error) {
	var out []*Write
	skipped := false
	var last *tables.Table
	lastClean := false
	for i, w := range writes {
		if w.Generated && w.Insert {
			if w.Table != last {
				c, err := m.marks.clean(w.Table.Table)
				if err != nil {
					return nil, fmt.Errorf("commit: %w", err)
				}
				last, lastClean = w.Table, c
			}
			if lastClean {
				if !skipped {
					skipped = true
					out = append(make([]*Write, 0, len(writes)-1), writes[:i]...)
				}
				continue
			}
		}
		if skipped {
			out = append(out, w)
		}
	}
	if !skipped {
		return writes, nil
	}
	return out, nil
}

// markExplicit adds to b the marks of the tables to which writes write a
// key the generator did not issue them: an insert without Generated, or a
// write expecting no committed version. The commit calls it with the
// partitions locked, after validation and before writing b, and passes
// what it returns to written once b is written, and only then.
func (m *Manager) markExplicit(b *kv.Batch, writes []*Write) (marked []*atomic.Int32) {
	var last *tables.Table
	for _, w := range writes {
		if w.Generated || (!w.Insert && w.ExpectSeq != 0) || w.Table == last {
			continue
		}
		if s := m.marks.mark(b, w.Table.Meta); s != nil {
			marked = append(marked, s)
		}
		last = w.Table
	}
	return marked
}
