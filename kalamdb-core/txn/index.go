package txn

import (
	"bytes"
	"fmt"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tables"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// Secondary index maintenance. A commit keeps every index of every table
// it writes exact, in the batch that writes the row versions: for each
// write, the entry of the version it replaces goes (when that version was
// live) and the entry of the version it writes comes (when it is live).
// The invariant is one entry per key whose newest version is live, for
// that version, and no other entry. Flush, compaction and retention move
// or drop versions without changing the newest live version of any key,
// so they never touch an index.
//
// Which indexes exist is read from the catalog under the commit's
// partition locks, so an index published while a commit was in flight is
// either seen by it or only used after Locks.Barrier, which waits for it.
// Building indexes are maintained like ready ones: the build job only
// adds the entries of rows no commit has touched since.

// indexEntries adds the index entry changes of the writes to b.
func (m *Manager) indexEntries(b *kv.Batch, writes []*Write) error {
	if m.tables == nil {
		return nil
	}
	current := make(map[*tables.Table]*tables.Table, 1)
	for _, w := range writes {
		if w.Table.IsStream() {
			continue
		}
		t, seen := current[w.Table]
		if !seen {
			var err error
			if t, err = m.tables.Indexed(w.Table.Table); err != nil {
				return fmt.Errorf("commit: indexes of %s: %w", w.Table.Meta.TableID, err)
			}
			current[w.Table] = t
		}
		if t == nil {
			continue
		}
		if err := writeEntries(b, t, w); err != nil {
			return fmt.Errorf("commit: indexes of %s: %w", t.Meta.TableID, err)
		}
	}
	return nil
}

// writeEntries adds the entry changes of one write to the indexes of t,
// the current version of its table.
func writeEntries(b *kv.Batch, t *tables.Table, w *Write) error {
	for _, ix := range t.Indexes {
		oldKey, err := replacedEntry(t, ix, w)
		if err != nil {
			return err
		}
		var newKey []byte
		if w.Live {
			// Decoded from the bytes being written, projected as a read
			// will project them, whatever version of the table the
			// statement that wrote them saw.
			vals, err := t.StoredIndexValues(ix, w.Value)
			if err != nil {
				return err
			}
			if newKey, err = t.EntryKey(ix, w.Owner, w.Key, vals); err != nil {
				return err
			}
		}
		if oldKey != nil && !bytes.Equal(oldKey, newKey) {
			b.Delete(t.IndexCF, oldKey)
		}
		if newKey != nil {
			b.Put(t.IndexCF, newKey, tables.EntryValue(w.Seq))
		}
	}
	return nil
}

// replacedEntry is the entry key of the committed version w replaces, or
// nil when that version is not live (there is none, or it is deleted).
// The hot version is the one commit validation read; a cold one is the
// version the statement read (validation checked its _seq), whose values
// w.Before holds.
func replacedEntry(t *tables.Table, ix *tables.Index, w *Write) ([]byte, error) {
	var vals []any
	switch {
	case w.committed != nil:
		live, err := liveVersion(w.committed)
		if err != nil || !live {
			return nil, err
		}
		if vals, err = t.StoredIndexValues(ix, w.committed); err != nil {
			return nil, err
		}
	case w.Before != nil:
		vals = t.IndexValuesOf(ix, w.Table, w.Before)
	default:
		return nil, nil
	}
	return t.EntryKey(ix, w.Owner, w.Key, vals)
}

func liveVersion(value []byte) (bool, error) {
	h, err := row.DecodeHeader(value)
	if err != nil {
		return false, err
	}
	return !h.Deleted, nil
}

// HasPending reports whether the transaction has written t. A read of t
// inside the transaction must then see its own writes, which secondary
// indexes (committed entries only) do not.
func (tx *Tx) HasPending(t *tables.Table) bool {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	for _, w := range tx.writes {
		if w.Table.CF == t.CF {
			return true
		}
	}
	return false
}

// Barrier waits until every partition lock held when it was called has
// been released once: a commit that read the catalog before a change was
// published has then finished. It holds each stripe only for a moment.
func (l *Locks) Barrier() {
	for i := range l.stripes {
		l.stripes[i].Lock()
		l.stripes[i].Unlock()
	}
}
